from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "ikt_portfolio.projects"
    label = "ikt_projects"
    verbose_name = _("Projects")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import costs, workflow  # noqa: F401  (the engine's registration; budget lines as a cost source)
        from .permissions import create_capacity_permissions

        post_migrate.connect(create_capacity_permissions, sender=self)
