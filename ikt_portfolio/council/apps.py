from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouncilConfig(AppConfig):
    name = "ikt_portfolio.council"
    label = "ikt_council"
    verbose_name = _("Portfolio council and board")

    def ready(self):
        from django.core.signals import request_started
        from django.db.models.signals import post_delete, post_migrate, post_save

        from ikt_portfolio.workflow.registry import register_variable

        from . import desk  # noqa: F401  (the Desk card: the user's next meetings)
        from .decisions import board_threshold, forget_thresholds
        from .models import DecisionSettings
        from .permissions import create_capacity_permissions

        post_migrate.connect(create_capacity_permissions, sender=self)
        # Routing conditions may name the collaboration's board threshold ("estimated_cost > board_threshold").
        register_variable("board_threshold", board_threshold)
        request_started.connect(forget_thresholds, dispatch_uid="ikt_council_thresholds")
        post_save.connect(forget_thresholds, sender=DecisionSettings, dispatch_uid="ikt_council_thresholds_saved")
        post_delete.connect(forget_thresholds, sender=DecisionSettings, dispatch_uid="ikt_council_thresholds_deleted")
