"""Meetings of the collaboration's bodies on the collaboration platform: the list (upcoming and past), a
meeting's page (time, place, participants and attendance, quorum, agenda with links to the needs) and the
calendar invitation, and the meeting's papers (downloads for those who see the meeting's details; the
body's chair or secretary and the administrators add and remove them here too). Meetings are otherwise
scheduled in the Desk and the API.

In the meeting, the chair or secretary puts a decision on each item to the vote here and the members vote
(`council.decisions`); the minutes have their own page: read, edited, approved, published and downloaded as
HTML or PDF in bokmål or nynorsk (`council.minutes`).

Who sees what is decided by `council.models.MeetingQuerySet` (see there); a meeting the user may not see
answers 404, like one that does not exist.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ikt_portfolio.council import decisions, selectors, services
from ikt_portfolio.council import minutes as minutes_services
from ikt_portfolio.council.models import Decision, Meeting, Paper
from ikt_portfolio.portfolio.models import Period
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import Vote

from ..forms import PortalForm
from .common import (
    NEED_DOCUMENT,
    current_collaboration,
    no_collaboration,
    paginate,
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
    page, page_range = paginate(request, meetings)
    return render_portal(
        request,
        "ikt_portal/meeting_list.html",
        {
            "page": page,
            "page_range": page_range,
            "when": when,
            "tabs": [("upcoming", _("Upcoming")), ("past", _("Past"))],
        },
        nav="meetings",
    )


def _meeting_or_404(request, pk) -> Meeting:
    return get_object_or_404(selectors.with_rows(Meeting.objects.visible_to(request.user)), pk=pk)


def _document_link(item, found) -> str:
    if found is None:
        return ""
    return reverse("ikt_portal:need", args=[item.object_id]) if found.label == NEED_DOCUMENT else found.link


def _agenda(items, decided=None, documents=None) -> list[dict]:
    documents = documents if documents is not None else selectors.agenda_documents(items)
    decided = decided or {}
    rows = []
    for item in items:
        found = documents.get(item.pk)
        rows.append(
            {
                "item": item,
                "state": found.state if found else "",
                "link": _document_link(item, found),
                "decision": decided.get(item.pk),
            }
        )
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


class DecisionForm(PortalForm):
    """Put a decision on an item to the vote: one of the committee actions the item's state offers."""

    action = forms.ChoiceField(label=gettext_lazy("Proposed decision"), widget=forms.RadioSelect)
    priority = forms.IntegerField(
        label=gettext_lazy("Priority"),
        required=False,
        min_value=1,
        max_value=999,
        help_text=gettext_lazy("When including: 1 is the most important."),
    )
    period = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=gettext_lazy("Required when deferring (a later period); when including, when it is planned for."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required when rejecting or deferring: the submitter and the co-signers are told it."),
    )

    def __init__(self, *args, choices=(), periods=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [(c.action, c.label) for c in choices if c.allowed]
        self.periods = {period.pk: period for period in periods or ()}
        self.fields["period"].choices = [("", "–")] + [(pk, period.label) for pk, period in self.periods.items()]

    def clean_period(self):
        value = self.cleaned_data.get("period")
        return self.periods.get(value) if value is not None else None


class MeetingVoteForm(PortalForm):
    choice = forms.ChoiceField(
        label=gettext_lazy("Your vote"),
        widget=forms.RadioSelect,
        choices=[
            (Vote.Choice.YES, gettext_lazy("For")),
            (Vote.Choice.NO, gettext_lazy("Against")),
            (Vote.Choice.ABSTAIN, gettext_lazy("Abstain")),
        ],  # fmt: skip
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment on your vote"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _periods(meeting):
    return Period.objects.filter(
        collaboration_id=meeting.body.collaboration_id, ends_on__gte=timezone.localdate()
    ).order_by("starts_on", "-ends_on")


@portal_login_required
def meeting_detail(request, pk, *, forms_with_errors=None):
    meeting = _meeting_or_404(request, pk)
    participants = list(meeting.participants.all())
    items = list(meeting.agenda_items.all())
    may_manage = services.may_manage(request.user, meeting.body)
    details = services.sees_details(request.user, meeting, participants)
    papers = list(meeting.papers.all()) if details else []
    may_add_papers = may_manage and meeting.status != Meeting.Status.CANCELLED
    documents = selectors.agenda_documents(items)
    rows = selectors.item_decisions(meeting, items, request.user, managing=may_manage, documents=documents)
    forms_with_errors = forms_with_errors or {}
    periods = list(_periods(meeting)) if may_manage and any(row.choices for row in rows) else []
    for row in rows:
        is_need = row.document is not None and row.document._meta.label_lower == NEED_DOCUMENT
        row.portal_link = reverse("ikt_portal:need", args=[row.item.object_id]) if is_need else row.link
        row.decide_form = None
        if row.choices and any(choice.allowed for choice in row.choices):
            row.decide_form = forms_with_errors.get(f"decide-{row.item.pk}") or DecisionForm(
                prefix=f"decide-{row.item.pk}", choices=row.choices, periods=periods
            )
        row.vote_form = None
        if row.vote is not None:
            row.vote_form = forms_with_errors.get(f"vote-{row.open.pk}") or MeetingVoteForm(
                prefix=f"vote-{row.open.pk}"
            )
    minutes = minutes_services.minutes_of(meeting)
    started = meeting.starts_at <= timezone.now()
    return render_portal(
        request,
        "ikt_portal/meeting_detail.html",
        {
            "meeting": meeting,
            "participants": participants,
            "agenda": _agenda(items, {row.item.pk: row.passed for row in rows}, documents),
            "quorum": services.quorum(meeting, participants),
            "details": details,
            "papers": papers,
            "paper_form": PaperForm(prefix="paper", items=items) if may_add_papers else None,
            "may_manage": may_manage,
            "desk_url": reverse("admin:ikt_council_meeting_change", args=[meeting.pk]) if may_manage else "",
            "over": meeting.ends_at < timezone.now(),
            "decision_rows": rows,
            "deciding": started
            and meeting.status != Meeting.Status.CANCELLED
            and not (minutes and minutes.is_approved),
            "minutes": minutes if minutes_services.may_read(request.user, minutes, meeting, participants) else None,
            "may_write_minutes": may_manage and started and meeting.status != Meeting.Status.CANCELLED,
        },
        nav="meetings",
        status=400 if forms_with_errors else 200,
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


# --------------------------------------------------------------------------------------------- decisions


def _to_decisions(meeting_pk, anchor="decisions-heading"):
    return redirect(reverse("ikt_portal:meeting", args=[meeting_pk]) + f"#{anchor}")


def _refusal(error) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else error.message


@require_POST
@portal_login_required
def decide(request, pk, item_pk):
    """Put a decision on an item to the vote (the body's chair or secretary, administrators)."""
    meeting = _meeting_or_404(request, pk)
    item = get_object_or_404(meeting.agenda_items.all(), pk=item_pk)
    item.meeting = meeting
    if not services.may_manage(request.user, meeting.body):
        raise Http404
    choices = decisions.action_choices(item)
    form = DecisionForm(request.POST, prefix=f"decide-{item.pk}", choices=choices, periods=list(_periods(meeting)))
    if form.is_valid():
        data = form.cleaned_data
        try:
            decisions.open_decision(
                item,
                request.user,
                action=data["action"],
                priority=data.get("priority"),
                period=data.get("period"),
                reason=data.get("reason", ""),
            )
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages_)
        except services.MeetingError as error:
            messages.error(request, error.message)
            return _to_decisions(meeting.pk)
        else:
            messages.success(request, _("The proposal is put to the vote."))
            return _to_decisions(meeting.pk, f"item-{item.pk}")
    return meeting_detail(request, pk, forms_with_errors={f"decide-{item.pk}": form})


@require_POST
@portal_login_required
def vote(request, pk, decision_pk):
    """A member's own vote on an open decision (for their own seat, or the seat of someone who delegated)."""
    meeting = _meeting_or_404(request, pk)
    decision = get_object_or_404(
        Decision.objects.filter(agenda_item__meeting=meeting).select_related("agenda_item__meeting__body"),
        pk=decision_pk,
    )
    form = MeetingVoteForm(request.POST, prefix=f"vote-{decision.pk}")
    if not form.is_valid():
        return meeting_detail(request, pk, forms_with_errors={f"vote-{decision.pk}": form})
    try:
        outcome = decisions.cast_vote(
            decision, request.user, form.cleaned_data["choice"], comment=form.cleaned_data["comment"]
        )
    except (services.MeetingError, workflow.WorkflowError) as error:
        messages.error(request, error.message)
    else:
        if outcome.result.log is not None:
            messages.success(
                request,
                _("Your vote decided the item: “%(decision)s”.") % {"decision": decision.transition.localized_label},
            )
        else:
            messages.success(request, _("Your vote is recorded."))
        if outcome.warning:
            messages.warning(request, outcome.warning)
    return _to_decisions(meeting.pk, f"item-{decision.agenda_item_id}")


@require_POST
@portal_login_required
def withdraw(request, pk, decision_pk):
    meeting = _meeting_or_404(request, pk)
    decision = get_object_or_404(Decision.objects.filter(agenda_item__meeting=meeting), pk=decision_pk)
    decision.agenda_item.meeting = meeting
    try:
        decisions.withdraw_decision(decision, request.user)
    except services.MeetingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The proposal is withdrawn."))
    return _to_decisions(meeting.pk, f"item-{decision.agenda_item_id}")


@require_POST
@portal_login_required
def record_decided(request, pk):
    """Record the decisions the members already took by voting on the items' own pages."""
    meeting = _meeting_or_404(request, pk)
    try:
        recorded = decisions.record_decided(meeting, request.user)
    except services.MeetingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(count)d decisions recorded.") % {"count": len(recorded)})
    return _to_decisions(meeting.pk)


# ----------------------------------------------------------------------------------------------- minutes


class MinutesForm(PortalForm):
    introduction = forms.CharField(
        label=gettext_lazy("Introduction"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    closing = forms.CharField(
        label=gettext_lazy("Closing remarks"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        for entry in entries:
            self.fields[f"notes_{entry.position}"] = forms.CharField(
                label=_("Notes on item %(number)s: %(title)s") % {"number": entry.position, "title": entry.title},
                required=False,
                max_length=20000,
                widget=forms.Textarea(attrs={"rows": 3, "class": "ds-input"}),
            )
        self.entry_fields = [self[f"notes_{entry.position}"] for entry in entries]


def _minutes_page(request, pk, form=None, status=200):
    meeting = _meeting_or_404(request, pk)
    participants = list(meeting.participants.all())
    minutes = minutes_services.minutes_of(meeting)
    may_manage = services.may_manage(request.user, meeting.body)
    if not minutes_services.may_read(request.user, minutes, meeting, participants) and not (
        may_manage and minutes is None
    ):
        raise Http404
    context = {"meeting": meeting, "minutes": minutes, "may_manage": may_manage}
    if minutes is not None:
        language = translation.get_language()[:2]
        entries = list(minutes.entries.order_by("position"))
        editable = may_manage and not minutes.is_approved
        context.update(
            {
                "document": minutes_services.document_context(minutes, language),
                "form": form
                or (
                    MinutesForm(
                        prefix="minutes",
                        entries=entries,
                        initial={"introduction": minutes.introduction, "closing": minutes.closing}
                        | {f"notes_{e.position}": e.notes for e in entries},
                    )
                    if editable
                    else None
                ),
                "may_approve": not minutes.is_approved and minutes_services.may_approve(request.user, meeting.body),
                "may_publish": may_manage and minutes.is_approved and minutes.published_at is None,
                "downloads": [
                    (code, name, extension)
                    for code, name in (("nb", _("bokmål")), ("nn", _("nynorsk")))
                    for extension in ("pdf", "html")
                ],
            }
        )
    return render_portal(request, "ikt_portal/meeting_minutes.html", context, status=status, nav="meetings")


@portal_login_required
def minutes_page(request, pk):
    return _minutes_page(request, pk)


def _to_minutes(meeting_pk):
    return redirect(reverse("ikt_portal:meeting_minutes", args=[meeting_pk]))


def _minutes_action(request, pk, service, success: str):
    meeting = _meeting_or_404(request, pk)
    minutes = minutes_services.minutes_of(meeting)
    if minutes is None:
        raise Http404
    minutes.meeting = meeting
    try:
        service(minutes, request.user)
    except services.MeetingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return _to_minutes(meeting.pk)


@require_POST
@portal_login_required
def minutes_generate(request, pk):
    meeting = _meeting_or_404(request, pk)
    try:
        minutes_services.generate(meeting, request.user)
    except services.MeetingError as error:
        messages.error(request, error.message)
        if minutes_services.minutes_of(meeting) is None:
            return redirect(reverse("ikt_portal:meeting", args=[meeting.pk]))
    else:
        messages.success(request, _("The minutes are generated from the meeting's record."))
    return _to_minutes(meeting.pk)


@require_POST
@portal_login_required
def minutes_save(request, pk):
    meeting = _meeting_or_404(request, pk)
    minutes = minutes_services.minutes_of(meeting)
    if minutes is None or not minutes_services.may_read(request.user, minutes, meeting):
        raise Http404
    minutes.meeting = meeting
    form = MinutesForm(request.POST, prefix="minutes", entries=list(minutes.entries.order_by("position")))
    if not form.is_valid():
        return _minutes_page(request, pk, form=form, status=400)
    data = form.cleaned_data
    notes = {int(name[6:]): value for name, value in data.items() if name.startswith("notes_")}
    try:
        minutes_services.update(
            minutes, request.user, introduction=data["introduction"], closing=data["closing"], notes=notes
        )
    except services.MeetingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The minutes are saved."))
    return _to_minutes(meeting.pk)


@require_POST
@portal_login_required
def minutes_approve(request, pk):
    return _minutes_action(request, pk, minutes_services.approve, _("The minutes are approved and locked."))


@require_POST
@portal_login_required
def minutes_publish(request, pk):
    return _minutes_action(request, pk, minutes_services.publish, _("The minutes are published."))


@require_GET
@portal_login_required
def minutes_download(request, pk, language, extension):
    meeting = _meeting_or_404(request, pk)
    minutes = minutes_services.minutes_of(meeting)
    if minutes is None or not minutes_services.may_read(request.user, minutes, meeting):
        raise Http404
    if language not in ("nb", "nn") or extension not in ("pdf", "html"):
        raise Http404
    minutes.meeting = meeting
    if extension == "pdf":
        response = HttpResponse(minutes_services.render_pdf(minutes, language), content_type="application/pdf")
    else:
        response = HttpResponse(
            minutes_services.render_html(minutes, language), content_type="text/html; charset=utf-8"
        )
    disposition = "attachment" if extension == "pdf" or request.GET.get("download") else "inline"
    response["Content-Disposition"] = (
        f'{disposition}; filename="{minutes_services.filename(minutes, language, extension)}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
