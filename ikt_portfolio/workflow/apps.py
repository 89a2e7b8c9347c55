from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "ikt_portfolio.workflow"
    label = "ikt_workflow"
    verbose_name = _("Workflows")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import desk  # noqa: F401  (registers the inbox card on the Desk start page)
        from .permissions import create_capacity_permissions

        post_migrate.connect(create_capacity_permissions, sender=self)
