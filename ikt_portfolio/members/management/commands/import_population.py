from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ikt_portfolio.members import services


class Command(BaseCommand):
    help = "Import population figures from an SSB-style CSV (municipality number; year; population). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", default="SSB, tabell 07459", help="Where the figures come from.")
        parser.add_argument(
            "--as-user", default=None, help="Import with this user's permissions (default: as the operator)."
        )

    def handle(self, *args, file: Path, source: str, as_user: str | None, **options):
        try:
            text = services.decode_upload(file.read_bytes())
        except OSError as error:
            raise CommandError(str(error)) from error
        except ValueError as error:
            raise CommandError(str(error)) from error
        if as_user:
            user = get_user_model().objects.get(username=as_user)
        else:
            user = get_user_model()(is_superuser=True, is_active=True)

        def progress(done: int, total: int) -> None:
            self.stdout.write(_("Checked %(done)s of %(total)s rows") % {"done": done, "total": total})

        report = services.import_population(text, user=user, source=source, progress=progress)
        if not report.ok:
            for line, message in report.errors:
                self.stderr.write(_("Line %(line)s: %(message)s") % {"line": line, "message": message})
            raise CommandError(
                _("Nothing was imported: %(count)s errors in %(file)s.") % {"count": len(report.errors), "file": file}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported %(rows)s rows: %(created)s new and %(updated)s changed figures.")
                % {"rows": report.rows_read, "created": report.created, "updated": report.updated}
            )
        )
