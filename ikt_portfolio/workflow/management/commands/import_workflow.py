import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ikt_portfolio.members.models import Collaboration
from ikt_portfolio.workflow import services

DEFAULTS = Path(__file__).resolve().parents[2] / "fixtures"


class Command(BaseCommand):
    help = "Import a workflow from a fixture file into a collaboration, validate and publish it as a new version."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="A JSON file, or the name of a default: need_routing_recommended, need_routing_ks."
        )
        parser.add_argument("--collaboration", required=True, help="The collaboration's short name.")
        parser.add_argument("--activate", action="store_true", help="Make it the workflow new documents follow.")

    def handle(self, *args, file, collaboration, activate, **options):
        path = Path(file)
        if not path.exists():
            path = DEFAULTS / f"{file}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": error}) from error
        target = Collaboration.objects.filter(short_name=collaboration).first()
        if target is None:
            raise CommandError(_("No collaboration has the short name %(name)s.") % {"name": collaboration})
        try:
            version = services.import_workflow(data, target, activate=activate)
        except services.DefinitionError as error:
            for message in error.errors:
                self.stderr.write(message)
            raise CommandError(_("The workflow was not imported.")) from error
        self.stdout.write(
            _("Imported %(name)s as version %(number)s for %(collaboration)s%(active)s.")
            % {
                "name": version.workflow,
                "number": version.number,
                "collaboration": target,
                "active": _(" (active)") if activate else "",
            }
        )
