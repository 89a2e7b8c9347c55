from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ikt_portfolio.benefits.imports import import_measurements
from ikt_portfolio.members.models import Collaboration


class Command(BaseCommand):
    help = (
        "Import measurements from a CSV or XLSX file (project; indicator; municipality; period; value; "
        "confirm_implausible; note) with a user's permissions. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="Record as this user (their permissions apply).")
        parser.add_argument("--collaboration", default=None, help="Short name of the collaboration of the projects.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and write nothing.")

    def handle(self, *args, file: Path, user: str, collaboration: str | None, dry_run: bool, **options):
        account = get_user_model().objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(_("No active user %(user)s.") % {"user": user})
        scope = None
        if collaboration:
            scope = Collaboration.objects.filter(short_name=collaboration).first()
            if scope is None:
                raise CommandError(_("No collaboration %(name)s.") % {"name": collaboration})
        if not file.is_file():
            raise CommandError(_("No file %(file)s.") % {"file": file})
        result = import_measurements(file, account, dry_run=dry_run, collaboration=scope)
        if not result.ok:
            for line, message in result.errors:
                if line is None:
                    self.stderr.write(message)
                else:
                    self.stderr.write(_("Row %(row)s: %(message)s") % {"row": line, "message": message})
            raise CommandError(
                _("Nothing was imported: %(count)s errors in %(rows)s rows of %(file)s.")
                % {"count": len(result.errors), "rows": result.rows_read, "file": file}
            )
        if dry_run:
            message = _("Checked %(rows)s rows: all %(written)s values can be recorded; nothing was written.")
        else:
            message = _("Read %(rows)s rows and recorded %(written)s values.")
        self.stdout.write(self.style.SUCCESS(message % {"rows": result.rows_read, "written": result.written}))
