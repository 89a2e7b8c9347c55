from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "ikt_portfolio.core"
    label = "ikt_core"
    verbose_name = _("Shared infrastructure")
