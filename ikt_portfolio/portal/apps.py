from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The collaboration platform (samhandlingsplattform): where municipal staff report and follow needs."""

    name = "ikt_portfolio.portal"
    label = "ikt_portal"
    verbose_name = _("collaboration platform")
    default_auto_field = "django.db.models.BigAutoField"
