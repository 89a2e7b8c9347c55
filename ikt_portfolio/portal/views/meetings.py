"""Meetings of the collaboration's bodies on the collaboration platform: the list (upcoming and past), a
meeting's page (time, place, participants and attendance, quorum, agenda with links to the needs) and the
calendar invitation. Read-only here: meetings are scheduled and run in the Desk and the API.

Who sees what is decided by `council.models.MeetingQuerySet` (see there); a meeting the user may not see
answers 404, like one that does not exist.
"""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ikt_portfolio.council import selectors, services
from ikt_portfolio.council.models import Meeting

from .common import (
    NEED_DOCUMENT,
    PAGE_SIZE,
    current_collaboration,
    no_collaboration,
    portal_login_required,
    render_portal,
)

WHEN = ("upcoming", "past")


@portal_login_required
def meeting_list(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    when = request.GET.get("when", "upcoming")
    if when not in WHEN:
        when = "upcoming"
    meetings = selectors.meetings_for(request.user, collaboration_id=collaboration.pk, when=when)
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_portal(
        request,
        "ikt_portal/meeting_list.html",
        {
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
            "when": when,
            "tabs": [("upcoming", _("Upcoming")), ("past", _("Past"))],
        },
        nav="meetings",
    )


def _meeting_or_404(request, pk) -> Meeting:
    return get_object_or_404(selectors.with_rows(Meeting.objects.visible_to(request.user)), pk=pk)


def _agenda(items) -> list[dict]:
    documents = selectors.agenda_documents(items)
    rows = []
    for item in items:
        found = documents.get(item.pk)
        link = ""
        if found is not None:
            link = reverse("ikt_portal:need", args=[item.object_id]) if found.label == NEED_DOCUMENT else found.link
        rows.append({"item": item, "state": found.state if found else "", "link": link})
    return rows


@portal_login_required
def meeting_detail(request, pk):
    meeting = _meeting_or_404(request, pk)
    participants = list(meeting.participants.all())
    items = list(meeting.agenda_items.all())
    may_manage = services.may_manage(request.user, meeting.body)
    return render_portal(
        request,
        "ikt_portal/meeting_detail.html",
        {
            "meeting": meeting,
            "participants": participants,
            "agenda": _agenda(items),
            "quorum": services.quorum(meeting, participants),
            "details": services.sees_details(request.user, meeting, participants),
            "may_manage": may_manage,
            "desk_url": reverse("admin:ikt_council_meeting_change", args=[meeting.pk]) if may_manage else "",
            "over": meeting.ends_at < timezone.now(),
        },
        nav="meetings",
    )


@portal_login_required
def meeting_ics(request, pk):
    meeting = _meeting_or_404(request, pk)
    participants = list(meeting.participants.all())
    full = services.sees_details(request.user, meeting, participants)
    response = HttpResponse(
        services.ics(meeting, participants, list(meeting.agenda_items.all()), full=full),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{services.ics_filename(meeting)}"'
    return response
