"""The needs app's card on the Desk start page: the sector queue of the groups the user works in."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ikt_portfolio.core.desk import dashboard_card


@dashboard_card
def sector_queue_card(request):
    from .assessment import sector_queues_for

    queues = sector_queues_for(request.user)
    if not queues:
        return None  # not in any sector group: no card
    waiting = sum(len(items) for _area, items in queues)
    now = timezone.now()
    overdue = sum(1 for _area, items in queues for item in items if item.deadline_at and item.deadline_at <= now)
    return {
        "title": _("Sector queue"),
        "value": waiting,
        "description": ngettext("%(count)s past its deadline", "%(count)s past their deadline", overdue)
        % {"count": overdue},
        "link": reverse("admin:ikt_needs_sector_queue"),
    }
