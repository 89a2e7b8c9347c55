from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "ikt_portfolio.api"
    label = "ikt_api"
    verbose_name = _("API")
