from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ikt_portfolio.core import demo


class Command(BaseCommand):
    help = (
        "Load the demo data (one collaboration, its members, bodies and a demo user per role; every "
        "password is “demo”). Does nothing if the demo data is already loaded, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures-dir",
            type=Path,
            default=None,
            help="Directory of the demo fixture files (default: settings.IKT_DEMO_FIXTURES_DIR).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo collaboration's data and the demo users first, then load again.",
        )

    def handle(self, *args, fixtures_dir=None, reset=False, **options):
        if not getattr(settings, "IKT_DEMO_ALLOWED", False):
            raise CommandError("Demo data is switched off here (IKT_DEMO_ALLOWED): it has known passwords.")
        fixtures_dir = fixtures_dir or getattr(settings, "IKT_DEMO_FIXTURES_DIR", None)
        if not fixtures_dir:
            raise CommandError("Pass --fixtures-dir or set IKT_DEMO_FIXTURES_DIR in the settings.")
        context = None
        try:
            with transaction.atomic():
                if reset:
                    self.stdout.write(self.style.MIGRATE_HEADING("Sletter demodata:"))
                    demo.reset_demo(self.stdout, fixtures_dir)
                if not reset and demo.is_loaded(fixtures_dir):
                    self.stdout.write(
                        "Demodataene er allerede lastet; ingenting endret. Bruk --reset for å laste dem på nytt."
                    )
                else:
                    self.stdout.write(self.style.MIGRATE_HEADING("Laster demodata:"))
                    context = demo.run_demo(self.stdout, fixtures_dir)
                    self.stdout.write(self.style.SUCCESS("Demodataene er lastet."))
            demo.print_summary(self.stdout, fixtures_dir, context)
        except demo.DemoDataError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(f"Demodataene er ugyldige: {'; '.join(error.messages)}") from error
