import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ikt_portfolio.workflow import services
from ikt_portfolio.workflow.models import WorkflowVersion


class Command(BaseCommand):
    help = "Write a workflow version as a fixture file (JSON) to standard output."

    def add_arguments(self, parser):
        parser.add_argument("--collaboration", required=True, help="The collaboration's short name.")
        parser.add_argument("--key", required=True, help="The workflow's key.")
        parser.add_argument("--version", type=int, help="Version number (default: the latest).")

    def handle(self, *args, collaboration, key, version, **options):
        versions = WorkflowVersion.objects.filter(
            workflow__collaboration__short_name=collaboration, workflow__key=key
        ).order_by("-number")
        if version is not None:
            versions = versions.filter(number=version)
        found = versions.first()
        if found is None:
            raise CommandError(_("No such workflow version."))
        self.stdout.write(json.dumps(services.export_version(found), ensure_ascii=False, indent=1))
