from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "ikt_portfolio.core"
    label = "ikt_core"
    verbose_name = _("Shared infrastructure")

    def ready(self):
        from django.contrib import admin

        # The Desk's start page: the collaboration's name and the cards later apps register (desk.py).
        admin.site.index_template = "ikt_core/desk_index.html"
        admin.site.index_title = _("Overview")
