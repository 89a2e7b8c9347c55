"""Meetings of the collaboration's bodies on the collaboration platform: the list (upcoming and past), a
meeting's page (time, place, participants and attendance, quorum, agenda with links to the needs) and the
calendar invitation, and the meeting's papers (downloads for those who see the meeting's details; the
body's chair or secretary and the administrators add and remove them here too). Meetings are otherwise
scheduled and run in the Desk and the API.

Who sees what is decided by `council.models.MeetingQuerySet` (see there); a meeting the user may not see
answers 404, like one that does not exist.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ikt_portfolio.council import selectors, services
from ikt_portfolio.council.models import Meeting, Paper

from ..forms import PortalForm
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


class PaperForm(PortalForm):
    file = forms.FileField(label=gettext_lazy("Paper to add"))
    agenda_item = forms.TypedChoiceField(
        label=gettext_lazy("For agenda item"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].choices = [("", _("The whole meeting"))] + [
            (item.pk, f"{position}. {item.title}") for position, item in enumerate(items, start=1)
        ]


@portal_login_required
def meeting_detail(request, pk):
    meeting = _meeting_or_404(request, pk)
    participants = list(meeting.participants.all())
    items = list(meeting.agenda_items.all())
    may_manage = services.may_manage(request.user, meeting.body)
    details = services.sees_details(request.user, meeting, participants)
    papers = list(meeting.papers.all()) if details else []
    may_add_papers = may_manage and meeting.status != Meeting.Status.CANCELLED
    return render_portal(
        request,
        "ikt_portal/meeting_detail.html",
        {
            "meeting": meeting,
            "participants": participants,
            "agenda": _agenda(items),
            "quorum": services.quorum(meeting, participants),
            "details": details,
            "papers": papers,
            "paper_form": PaperForm(prefix="paper", items=items) if may_add_papers else None,
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


# ------------------------------------------------------------------------------------------------ papers


def _back(meeting_pk):
    return redirect(reverse("ikt_portal:meeting", args=[meeting_pk]) + "#papers-heading")


def _paper_or_404(request, pk, paper_pk) -> Paper:
    """A paper of a meeting the user sees in detail; 404 otherwise, like a paper that does not exist."""
    meeting = _meeting_or_404(request, pk)
    if not services.sees_details(request.user, meeting, list(meeting.participants.all())):
        raise Http404
    paper = get_object_or_404(Paper.objects.filter(meeting=meeting), pk=paper_pk)
    paper.meeting = meeting
    return paper


@require_POST
@portal_login_required
def add_paper(request, pk):
    meeting = _meeting_or_404(request, pk)
    items = list(meeting.agenda_items.all())
    form = PaperForm(request.POST, request.FILES, prefix="paper", items=items)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back(meeting.pk)
    item = next((i for i in items if i.pk == form.cleaned_data.get("agenda_item")), None)
    try:
        paper = services.add_paper(meeting, request.user, form.cleaned_data["file"], item=item)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except services.MeetingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("“%(name)s” is added to the meeting's papers.") % {"name": paper.original_name})
    return _back(meeting.pk)


@require_POST
@portal_login_required
def remove_paper(request, pk, paper_pk):
    paper = _paper_or_404(request, pk, paper_pk)
    try:
        services.remove_paper(paper, request.user)
    except services.MeetingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("“%(name)s” is removed.") % {"name": paper.original_name})
    return _back(pk)


@require_GET
@portal_login_required
def paper(request, pk, paper_pk):
    return services.paper_download(_paper_or_404(request, pk, paper_pk))
