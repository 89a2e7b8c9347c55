"""The council app's card on the Desk start page: the next meeting the user is invited to."""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ikt_portfolio.core.desk import dashboard_card
from ikt_portfolio.members.permissions import person_of


@dashboard_card
def next_meetings_card(request):
    from .models import Meeting

    person = person_of(request.user)
    if person is None:
        return None
    upcoming = (
        Meeting.objects.filter(participants__person_id=person.pk, ends_at__gte=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("body")
        .order_by("starts_at")
    )
    meetings = list(upcoming[:20])
    if not meetings:
        return None
    first = meetings[0]
    return {
        "title": _("Your meetings"),
        "value": len(meetings),
        "description": _("Next: %(meeting)s, %(when)s")
        % {
            "meeting": first.title,
            "when": formats.date_format(timezone.localtime(first.starts_at), "SHORT_DATETIME_FORMAT"),
        },
        "link": reverse("admin:ikt_council_meeting_change", args=[first.pk]),
    }
