from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from ikt_portfolio.workflow import services
from ikt_portfolio.workflow.registry import deadline_sweeps


class Command(BaseCommand):
    help = (
        "Send deadline reminders and escalations, and deliver waiting e-mail notifications. "
        "Run it every few minutes (cron)."
    )

    def handle(self, *args, **options):
        sweeps = {}
        deadlines = services.run_deadlines(sweeps=sweeps)
        delivered = services.deliver_pending()
        self.stdout.write(
            _("Reminders: %(reminded)s, escalations: %(escalated)s, e-mails sent: %(sent)s, failed: %(failed)s.")
            % {**deadlines, **delivered}
        )
        for sweep in deadline_sweeps():  # other apps' reminders, counted in the line above too
            if sweep.report and sweep.name in sweeps:
                self.stdout.write(str(sweep.report) % {"reminded": 0, "escalated": 0, **sweeps[sweep.name]})
