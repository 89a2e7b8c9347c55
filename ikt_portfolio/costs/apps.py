from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CostsConfig(AppConfig):
    name = "ikt_portfolio.costs"
    label = "ikt_costs"
    verbose_name = _("Cost sharing")

    def ready(self):
        from django.db.models.signals import post_migrate

        from .permissions import create_capacity_permissions

        post_migrate.connect(create_capacity_permissions, sender=self)
