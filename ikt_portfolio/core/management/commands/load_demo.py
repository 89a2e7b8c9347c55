from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from ikt_portfolio.core import demo


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # In the active language like the rest of the output (bokmål under manage.py: LANGUAGE_CODE). A property,
        # not gettext_lazy: argparse needs a real str.
        return _(
            "Load the demo data (one collaboration, its members, bodies and a demo user per role; every "
            "password is “demo”). Does nothing if the demo data is already loaded, unless --reset."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures-dir",
            type=Path,
            default=None,
            help=_("Directory of the demo fixture files (default: settings.IKT_DEMO_FIXTURES_DIR)."),
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=_("Delete the demo collaboration's data and the demo users first, then load again."),
        )

    def handle(self, *args, fixtures_dir=None, reset=False, **options):
        if not getattr(settings, "IKT_DEMO_ALLOWED", False):
            raise CommandError(_("Demo data is switched off here (IKT_DEMO_ALLOWED): it has known passwords."))
        fixtures_dir = fixtures_dir or getattr(settings, "IKT_DEMO_FIXTURES_DIR", None)
        if not fixtures_dir:
            raise CommandError(_("Pass --fixtures-dir or set IKT_DEMO_FIXTURES_DIR in the settings."))
        context = None
        try:
            with transaction.atomic():
                if reset:
                    self.stdout.write(self.style.MIGRATE_HEADING(_("Deleting the demo data:")))
                    demo.reset_demo(self.stdout, fixtures_dir)
                if not reset and demo.is_loaded(fixtures_dir):
                    self.stdout.write(
                        _("The demo data is already loaded; nothing changed. Use --reset to load it again.")
                    )
                else:
                    self.stdout.write(self.style.MIGRATE_HEADING(_("Loading the demo data:")))
                    context = demo.run_demo(self.stdout, fixtures_dir)
                    self.stdout.write(self.style.SUCCESS(_("The demo data is loaded.")))
            demo.print_summary(self.stdout, fixtures_dir, context)
        except demo.DemoDataError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(
                _("The demo data is not valid: %(errors)s") % {"errors": "; ".join(error.messages)}
            ) from error
