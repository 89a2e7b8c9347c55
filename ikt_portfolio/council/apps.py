from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouncilConfig(AppConfig):
    name = "ikt_portfolio.council"
    label = "ikt_council"
    verbose_name = _("Portfolio council and board")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import desk  # noqa: F401  (the Desk card: the user's next meetings)
        from .permissions import create_capacity_permissions

        post_migrate.connect(create_capacity_permissions, sender=self)
