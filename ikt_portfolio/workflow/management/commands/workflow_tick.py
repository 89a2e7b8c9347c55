from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from ikt_portfolio.workflow import services


class Command(BaseCommand):
    help = (
        "Send deadline reminders and escalations, and deliver waiting e-mail notifications. "
        "Run it every few minutes (cron)."
    )

    def handle(self, *args, **options):
        deadlines = services.run_deadlines()
        delivered = services.deliver_pending()
        self.stdout.write(
            _("Reminders: %(reminded)s, escalations: %(escalated)s, e-mails sent: %(sent)s, failed: %(failed)s.")
            % {**deadlines, **delivered}
        )
