from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ikt_portfolio.benefits import annual, reports
from ikt_portfolio.members.models import Collaboration


class Command(BaseCommand):
    help = (
        "Write the annual benefits report for the owners' meeting (PDF or XLSX, in bokmål, nynorsk or English) "
        "of a collaboration and year."
    )

    def add_arguments(self, parser):
        parser.add_argument("--collaboration", required=True, help="The collaboration's short name.")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--language", default="nb", choices=annual.LANGUAGES)
        parser.add_argument("--format", default="pdf", choices=annual.FORMATS, dest="fmt")
        parser.add_argument("-o", "--output", type=Path, default=None, help="Default: a file name in this folder.")

    def handle(self, *args, collaboration: str, year: int, language: str, fmt: str, output: Path | None, **options):
        found = Collaboration.objects.filter(short_name=collaboration).first()
        if found is None:
            raise CommandError(_("No collaboration %(name)s.") % {"name": collaboration})
        if not 1900 <= year <= 2100:
            raise CommandError(_("The year must be between 1900 and 2100."))
        report = reports.portfolio_report(found, year)
        content = annual.render(report, language, fmt)
        output = output or Path(annual.filename(report, language, fmt))
        try:
            output.write_bytes(content)
        except OSError as error:
            raise CommandError(_("Could not write %(file)s: %(error)s") % {"file": output, "error": error}) from error
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Wrote %(file)s (%(format)s, %(language)s, %(bytes)s bytes): %(collaboration)s %(year)s, "
                    "%(members)s members, %(projects)s projects, %(unmeasurable)s benefits not measurable yet."
                )  # fmt: skip
                % {
                    "file": output,
                    "format": fmt.upper(),
                    "language": language,
                    "bytes": len(content),
                    "collaboration": found.name,
                    "year": year,
                    "members": len(report.members),
                    "projects": len(report.projects),
                    "unmeasurable": len(report.unmeasurable),
                }
            )
        )
