from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "ikt_portfolio.projects"
    label = "ikt_projects"
    verbose_name = _("Projects")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import workflow  # noqa: F401  (projects registered with the workflow engine)
        from .permissions import create_capacity_permissions

        post_migrate.connect(create_capacity_permissions, sender=self)
