"""Read-side queries of meetings shared by the Desk, the portal and the API: the meetings a user sees, one
meeting with everything its page shows (a bounded number of queries, whatever the number of participants and
items), and the documents waiting for a body's decision."""

import datetime
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ikt_portfolio.members.models import Body
from ikt_portfolio.workflow.models import Transition, WorkflowVersion
from ikt_portfolio.workflow.registry import document_types, registration_for
from ikt_portfolio.workflow.selectors import state_name, with_state_names
from ikt_portfolio.workflow.services.conditions import ConditionError, condition_holds
from ikt_portfolio.workflow.services.engine import CommitteeLookups, WorkflowError

from .models import AgendaItem, Meeting, Paper, Participant


def _count(queryset):
    counted = queryset.order_by().values("meeting_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def annotate_meetings(queryset):
    """Joins and counts of a meeting list: one query for the page, whatever its length."""
    participants = Participant.objects.filter(meeting_id=OuterRef("pk"))
    return queryset.select_related("body", "body__collaboration").annotate(
        participant_count=_count(participants),
        present_count=_count(participants.filter(attendance=Participant.Attendance.PRESENT)),
        item_count=_count(AgendaItem.objects.filter(meeting_id=OuterRef("pk"))),
    )


def meetings_for(user, *, collaboration_id: int | None = None, when: str = "", body_id: int | None = None, now=None):
    """The meetings `user` may see (see `models`), annotated for lists; `when` is "upcoming" (not over yet,
    soonest first), "past" (over, latest first) or empty (all, latest first)."""
    now = now or timezone.now()
    queryset = annotate_meetings(Meeting.objects.visible_to(user))
    if collaboration_id is not None:
        queryset = queryset.filter(body__collaboration_id=collaboration_id)
    if body_id is not None:
        queryset = queryset.filter(body_id=body_id)
    if when == "upcoming":
        return queryset.filter(ends_at__gte=now).order_by("starts_at", "pk")
    if when == "past":
        return queryset.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    return queryset.order_by("-starts_at", "-pk")


def with_rows(queryset):
    """Meetings with their participants, agenda and papers loaded (for a meeting's page)."""
    return queryset.select_related("body__collaboration", "body__meeting_settings", "created_by").prefetch_related(
        Prefetch(
            "participants",
            queryset=Participant.objects.select_related(
                "person__user", "person__municipality", "person__staff_of", "represents", "recorded_by"
            ).order_by("role", "person__user__last_name", "person__user__first_name", "pk"),
        ),
        Prefetch(
            "agenda_items",
            queryset=AgendaItem.objects.select_related("content_type", "presenter__user").order_by("order", "pk"),
        ),
        Prefetch(
            "papers",
            queryset=Paper.objects.select_related("uploaded_by__user", "agenda_item").order_by("uploaded_at", "pk"),
        ),
    )


@dataclass
class AgendaDocument:
    """What an agenda shows of a document item: the document now (or None if it is gone) and its status."""

    document: object
    label: str
    state: str
    link: str


def agenda_documents(items) -> dict[int, AgendaDocument]:
    """The documents behind agenda items, by item id: one query per kind of document, not per item."""
    wanted: dict[int, dict[int, list[int]]] = {}
    for item in items:
        if item.kind == AgendaItem.Kind.DOCUMENT:
            wanted.setdefault(item.content_type_id, {}).setdefault(item.object_id, []).append(item.pk)
    found: dict[int, AgendaDocument] = {}
    for content_type_id, by_object in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        try:
            registration = registration_for(model._meta.label_lower)
        except LookupError:
            continue
        subject = registration.subject
        queryset = model._default_manager.filter(pk__in=list(by_object)).select_related(
            "workflow_version", *subject.select_related
        )
        for document in with_state_names(queryset):
            entry = AgendaDocument(document, registration.label, state_name(document), subject.link(document))
            for item_id in by_object[document.pk]:
                found[item_id] = entry
    return found


# ----------------------------------------------------------------------------------- waiting for a body


@dataclass
class WaitingItem:
    """A document whose decision lies with a body: it is in a state with an awaited committee transition of
    the body's kind, in the body's collaboration (and service area, for a sector group)."""

    document: object
    label: str
    title: str
    state: str
    waiting_since: datetime.datetime | None
    actions: list[Transition]

    @property
    def content_type(self) -> ContentType:
        return ContentType.objects.get_for_model(self.document)


def waiting_for(body: Body) -> list[WaitingItem]:
    """Documents of every registered type waiting for `body`'s decision, oldest first.

    The deciding body is the one the workflow engine would open the ballot with (the collaboration's first
    body of the kind; for sector groups, of the document's service area), so a second body of the same kind
    gets nothing. A document counts while the decision is open: its ballot is open, or not opened yet
    (ballots open with the first vote). Transitions whose condition does not hold are left out; a document
    with none left is not waiting.
    """
    items: list[WaitingItem] = []
    lookups = CommitteeLookups()
    for registration in document_types().values():
        transitions = (
            Transition.objects.filter(
                version__workflow__collaboration_id=body.collaboration_id,
                version__workflow__document_type=registration.label,
                committee=body.kind,
                awaited=True,
            )
            .exclude(version__status=WorkflowVersion.Status.DRAFT)
            .select_related("from_state")
            .order_by("order", "pk")
        )
        by_state: dict[tuple[int, str], list[Transition]] = {}
        for transition in transitions:
            by_state.setdefault((transition.version_id, transition.from_state.key), []).append(transition)
        if not by_state:
            continue
        where = Q()
        for version_id, state in by_state:
            where |= Q(workflow_version_id=version_id, state=state)
        subject = registration.subject
        documents = (
            registration.model._default_manager.filter(where)
            .select_related("workflow_version", *subject.select_related)
            .order_by("state_entered_at", "pk")
        )
        for document in with_state_names(documents):
            if subject.collaboration_id(document) != body.collaboration_id:
                continue
            if body.kind == Body.Kind.SECTOR_GROUP and subject.scope(document).get("service_area_id") not in (
                None,
                body.service_area_id,
            ):
                continue
            candidates = by_state[(document.workflow_version_id, document.state)]
            try:
                if lookups.body(document, candidates[0]).pk != body.pk:
                    continue
            except WorkflowError:
                continue
            actions = [t for t in candidates if _holds(subject, document, t)]
            if actions:
                items.append(
                    WaitingItem(
                        document,
                        registration.label,
                        subject.title(document),
                        state_name(document),
                        document.state_entered_at,
                        actions,
                    )
                )
    items.sort(key=lambda item: item.waiting_since or timezone.now())
    return items


def _holds(subject, document, transition: Transition) -> bool:
    if not transition.condition:
        return True
    try:
        return condition_holds(transition.condition, subject.condition_variables(document))
    except ConditionError:
        return True  # a condition that cannot be read is the body's to sort out, not a reason to hide it


# ------------------------------------------------------------------------------------------ decisions


@dataclass
class ItemDecisions:
    """What a meeting's page shows of one document item's decisions, and what the reader may do there."""

    item: AgendaItem
    document: object | None
    state: str
    link: str
    decisions: list
    choices: list  # ActionChoice: what may be put to the vote (for those who run the meeting)
    vote: object | None = None  # the reader's ActionOption on the open decision, if they have a vote left
    warning: str = ""  # the reader would decide the item in a second capacity
    tally: dict | None = None  # votes so far on the open decision: {"yes": 2, ..., "eligible": 4}

    @property
    def open(self):
        return next((d for d in self.decisions if d.status == d.Status.OPEN), None)

    @property
    def passed(self):
        return next((d for d in self.decisions if d.status == d.Status.PASSED), None)


def item_decisions(meeting: Meeting, items, user, *, managing: bool = False, documents=None) -> list[ItemDecisions]:
    """Every document item of the agenda with its decisions, the reader's vote on the open one (with the
    two-capacities warning) and, for those who run the meeting, the actions that may be put to the vote.
    A fixed number of queries, whatever the number of items."""
    from ikt_portfolio.members.permissions import person_of
    from ikt_portfolio.workflow import services as workflow
    from ikt_portfolio.workflow.services.engine import COMMITTEE_CAPACITY

    from .decisions import action_choices
    from .minutes import capacities_acted_in
    from .models import Decision

    documents = documents if documents is not None else agenda_documents(items)
    decisions: dict[int, list] = {}
    for decision in (
        Decision.objects.filter(agenda_item__meeting_id=meeting.pk)
        .select_related("transition__to_state", "period", "proposed_by")
        .order_by("opened_at", "pk")
    ):
        decisions.setdefault(decision.agenda_item_id, []).append(decision)
    lookups = CommitteeLookups()
    pairs = []
    for item in items:
        found = documents.get(item.pk)
        if found is None or not any(d.status == Decision.Status.OPEN for d in decisions.get(item.pk, [])):
            continue
        document = found.document
        outgoing = workflow.graph_of(document.workflow_version).outgoing.get(document.state, [])
        pairs += [(document, transition) for transition in outgoing if transition.is_committee]
    lookups.prefetch(pairs)
    person = person_of(user)
    acted = capacities_acted_in(items) if person is not None and pairs else {}
    rows = []
    for item in items:
        if item.kind != AgendaItem.Kind.DOCUMENT:
            continue
        found = documents.get(item.pk)
        row = ItemDecisions(
            item=item,
            document=found.document if found else None,
            state=found.state if found else "",
            link=found.link if found else "",
            decisions=decisions.get(item.pk, []),
            choices=[],
        )
        rows.append(row)
        if found is None:
            continue
        opened = row.open
        if opened is not None:
            for option in workflow.available_actions(found.document, user, with_warnings=False, lookups=lookups):
                if option.action == opened.action:
                    row.tally = option.votes or None
                    row.vote = option if option.allowed else None
                    if option.allowed:
                        capacity = COMMITTEE_CAPACITY[opened.transition.committee]
                        others = acted.get((item.content_type_id, item.object_id, option.standing.person_id), set())
                        others = others - {capacity, "submitter", ""}
                        if others:
                            from ikt_portfolio.core.audit import capacity_label

                            row.warning = _two_capacity_text(capacity_label, others, capacity)
                    break
        elif managing and row.passed is None:
            row.choices = action_choices(item, found.document, lookups)
    return rows


def _two_capacity_text(label, others, capacity) -> str:
    from django.utils.translation import gettext as _

    return _("You have already acted on this item as %(capacities)s; now you would decide it as %(capacity)s.") % {
        "capacities": ", ".join(label(c) for c in sorted(others)),
        "capacity": label(capacity),
    }
