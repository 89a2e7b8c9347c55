from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "ikt_portfolio.benefits"
    label = "ikt_benefits"
    verbose_name = _("Benefits")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import workflow  # noqa: F401  (the engine's registration)
        from .permissions import create_capacity_permissions

        post_migrate.connect(create_capacity_permissions, sender=self)

        from ikt_portfolio.workflow.registry import register_deadline_sweep

        from . import reminders

        register_deadline_sweep(
            "benefits.measurements",
            reminders.sweep,
            _("Measurement reminders: %(reminded)s, escalations: %(escalated)s."),
        )
