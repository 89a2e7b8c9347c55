from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "ikt_portfolio.members"
    label = "ikt_members"
    verbose_name = _("Members and organisation")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import desk  # noqa: F401  (registers the Desk dashboard cards)
        from .signals import create_capacity_groups

        post_migrate.connect(create_capacity_groups, sender=self)
