from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "ikt_portfolio.portfolio"
    label = "ikt_plan"
    verbose_name = _("Portfolio plan")

    def ready(self):
        from django.db.models.signals import post_migrate

        from .permissions import create_capacity_permissions

        post_migrate.connect(create_capacity_permissions, sender=self)
