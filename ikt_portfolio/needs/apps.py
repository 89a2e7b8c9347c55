from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeedsConfig(AppConfig):
    name = "ikt_portfolio.needs"
    label = "ikt_needs"
    verbose_name = _("Needs")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import desk, workflow  # noqa: F401  (the Desk card; needs registered with the workflow engine)
        from .permissions import create_capacity_permissions

        post_migrate.connect(create_capacity_permissions, sender=self)
