"""Decisions of a body in its meeting: the chair or secretary puts a decision on a document item to the vote
(one of the workflow's committee actions of the document's state: include with a priority, defer to a later
period, reject with a reason, send to the board; the board approves or rejects), the members vote through
the workflow engine (`workflow.services.vote`: membership, one vote per seat, delegation, the transition's
own quorum and rule), and the vote that decides moves the document with the decision and its reason as the
step's comment, so the need's timeline and the notifications to its submitter and co-signers carry them.

Decisions are taken only while the meeting has its quorum (`services.quorum`) and before its minutes are
approved. Members vote themselves (the engine records the vote of the signed-in member, or of the member who
delegated to them); a secretary cannot cast another member's vote. Each refusal raises `MeetingError`
(`MeetingRefused` for "not allowed") or a ValidationError naming the field, and writes nothing.

Items above the collaboration's board threshold (`DecisionSettings`, 500 000 kroner unless set) or marked
strategic cannot be included by the council: the recommended routing's condition reads the threshold as
`board_threshold`, registered with the engine in `apps.py`.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.core.money import format_nok, to_money
from ikt_portfolio.members.models import Collaboration
from ikt_portfolio.members.permissions import admin_collaboration_ids, is_operator, person_of
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import Ballot, StateCategory, Transition, TransitionLog
from ikt_portfolio.workflow.registry import condition_variables, registration_for
from ikt_portfolio.workflow.services.conditions import ConditionError, condition_holds
from ikt_portfolio.workflow.services.engine import CommitteeLookups

from .models import DEFAULT_BOARD_THRESHOLD, AgendaItem, Decision, DecisionSettings, Meeting, Minutes, Participant
from .services import MeetingError, MeetingRefused, _capacity, _require_manage, meeting_day, quorum

# Actions of the recommended routing that carry more than a reason (other routings' actions work too; they
# simply ask for no priority or period).
PRIORITY_ACTIONS = {"include": True, "approve": False}  # action: is the priority required?
PERIOD_ACTIONS = {"defer": True, "include": False, "approve": False}  # action: is the period required?
REASON_ACTIONS = {"defer", "reject"}  # and every action into a rejected state


# ------------------------------------------------------------------------------------ board threshold

BOARD_THRESHOLD_TTL = 60  # seconds a process trusts a threshold it read (changes here clear it at once)
_thresholds: dict[int, tuple[float, object]] = {}
_thresholds_lock = threading.Lock()


def board_threshold(collaboration_id: int):
    """The collaboration's board threshold in kroner (the routing's `board_threshold`). Read once per
    request (and at most a minute) per collaboration, so lists of many items do not ask for it each time."""
    now = time.monotonic()
    found = _thresholds.get(collaboration_id)
    if found is not None and now - found[0] < BOARD_THRESHOLD_TTL:
        return found[1]
    value = (
        DecisionSettings.objects.filter(collaboration_id=collaboration_id)
        .values_list("board_threshold", flat=True)
        .first()
    )
    value = DEFAULT_BOARD_THRESHOLD if value is None else value
    with _thresholds_lock:
        _thresholds[collaboration_id] = (now, value)
    return value


def forget_thresholds(**kwargs) -> None:
    """Clear what this process remembers (on every request and whenever settings change)."""
    with _thresholds_lock:
        _thresholds.clear()


def set_board_threshold(collaboration: Collaboration, user, amount) -> DecisionSettings:
    """Set the collaboration's board threshold (administrators only)."""
    if not (is_operator(user) or collaboration.pk in admin_collaboration_ids(user)):
        raise MeetingRefused(_("Only the collaboration's administrators can change the board threshold."))
    try:
        value = to_money(amount)
    except (TypeError, ValueError, ArithmeticError):
        raise ValidationError({"board_threshold": _("Give the threshold in kroner.")}) from None
    with transaction.atomic():
        found, _created = DecisionSettings.objects.select_for_update().get_or_create(collaboration=collaboration)
        found.board_threshold = value
        found.full_clean()
        with acting_as("collaboration_admin"):
            found.save()
    forget_thresholds()
    return found


# -------------------------------------------------------------------------------------------- choices


@dataclass
class ActionChoice:
    """A committee action of the item's document now, and whether the body may put it to the vote."""

    transition: Transition
    allowed: bool
    reason: str = ""

    @property
    def action(self) -> str:
        return self.transition.action

    @property
    def label(self) -> str:
        return self.transition.localized_label

    @property
    def asks_priority(self) -> bool:
        return self.action in PRIORITY_ACTIONS

    @property
    def asks_period(self) -> bool:
        return self.action in PERIOD_ACTIONS

    @property
    def asks_reason(self) -> bool:
        return reason_required(self.transition)


def reason_required(transition: Transition) -> bool:
    return transition.action in REASON_ACTIONS or transition.to_state.category == StateCategory.REJECTED


def document_of(item: AgendaItem):
    """The item's document, fresh from the database with what the engine reads (None for manual items or
    when it is gone)."""
    if item.kind != AgendaItem.Kind.DOCUMENT:
        return None
    model = ContentType.objects.get_for_id(item.content_type_id).model_class()
    try:
        subject = registration_for(model._meta.label_lower).subject
    except LookupError:
        return None
    return (
        model._default_manager.select_related("workflow_version", *subject.select_related)
        .filter(pk=item.object_id)
        .first()
    )


def _board_note(transition: Transition, document) -> str:
    if "board_threshold" not in transition.condition:
        return ""
    threshold = board_threshold(registration_for(document).subject.collaboration_id(document))
    return _("Items estimated above %(threshold)s and strategic items are decided by the board.") % {
        "threshold": format_nok(threshold)
    }


def action_choices(item: AgendaItem, document=None, lookups: CommitteeLookups | None = None) -> list[ActionChoice]:
    """The committee actions of the body's kind leading out of the document's state now, each with whether
    it can be put to the vote (its condition holds, this body is the one deciding it)."""
    document = document if document is not None else document_of(item)
    if document is None or not document.workflow_version_id:
        return []
    body = item.meeting.body
    lookups = lookups or CommitteeLookups()
    outgoing = workflow.graph_of(document.workflow_version).outgoing.get(document.state, [])
    variables = None
    choices = []
    for transition in outgoing:
        if transition.committee != body.kind:
            continue
        choice = ActionChoice(transition, allowed=True)
        choices.append(choice)
        try:
            if lookups.body(document, transition).pk != body.pk:
                choice.allowed, choice.reason = False, _("Another body decides this item.")
                continue
        except workflow.WorkflowError as error:
            choice.allowed, choice.reason = False, error.message
            continue
        if transition.condition:
            variables = variables if variables is not None else condition_variables(document)
            try:
                holds = condition_holds(transition.condition, variables)
            except ConditionError as error:
                choice.allowed, choice.reason = False, str(error)
                continue
            if not holds:
                note = _board_note(transition, document)
                choice.allowed = False
                choice.reason = note or _("Its condition (%(condition)s) does not hold for this item.") % {
                    "condition": transition.condition
                }
    return choices


# ----------------------------------------------------------------------------------------- the rules


def _require_deciding(meeting: Meeting, participants=None) -> None:
    """A decision needs a meeting that has started, is not cancelled, has its quorum, and whose minutes
    are not approved yet."""
    if meeting.status == Meeting.Status.CANCELLED:
        raise MeetingError(_("The meeting is cancelled: it decides nothing."))
    if meeting.starts_at > timezone.now():
        raise MeetingError(_("The meeting has not started yet: decisions are taken in the meeting."))
    if Minutes.objects.filter(meeting_id=meeting.pk, status=Minutes.Status.APPROVED).exists():
        raise MeetingError(_("The meeting's minutes are approved: it decides nothing more."))
    found = quorum(meeting, participants)
    if not found.met:
        raise MeetingError(
            _(
                "The meeting does not have a quorum (%(present)s of %(seats)s voting members present, "
                "%(required)s required): no decision can be taken."
            )
            % {"present": found.present, "seats": found.seats, "required": found.required}
        )


def _locked_meeting(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("body").get(pk=meeting.pk)


def _clean_fields(choice: ActionChoice, meeting: Meeting, priority, period, reason: str) -> dict:
    errors: dict[str, str] = {}
    action = choice.action
    if priority in ("", None):
        priority = None
        if PRIORITY_ACTIONS.get(action):
            errors["priority"] = _("Give the item's priority (1 is the most important).")
    elif action not in PRIORITY_ACTIONS:
        errors["priority"] = _("A priority is given only when an item is included or approved.")
    else:
        try:
            priority = int(priority)
        except (TypeError, ValueError):
            priority = 0
        if priority < 1 or priority > 999:
            errors["priority"] = _("The priority is a whole number from 1 (the most important).")
    if period is None:
        if PERIOD_ACTIONS.get(action):
            errors["period"] = _("Name the later period the item is deferred to.")
    elif action not in PERIOD_ACTIONS:
        errors["period"] = _("A period is named only when an item is deferred, included or approved.")
    elif period.collaboration_id != meeting.body.collaboration_id:
        errors["period"] = _("The period belongs to another collaboration.")
    else:
        today = timezone.localdate()
        if period.ends_on < today:
            errors["period"] = _("%(period)s is over: name a later period.") % {"period": period}
        elif action == "defer" and period.starts_on <= today:
            errors["period"] = _("%(period)s has already begun: defer to a later period.") % {"period": period}
    reason = (reason or "").strip()
    if choice.asks_reason and not reason:
        errors["reason"] = _("Give the reason: the submitter and the co-signers are told it.")
    if errors:
        raise ValidationError(errors)
    return {"priority": priority, "period": period, "reason": reason}


def open_decision(item: AgendaItem, user, *, action: str, priority=None, period=None, reason: str = "") -> Decision:
    """Put a decision on a document item to the vote (the chair or secretary of the body, administrators)."""
    meeting = item.meeting
    capacity = _require_manage(user, meeting.body)
    if item.kind != AgendaItem.Kind.DOCUMENT:
        raise MeetingError(_("Only items waiting for the body's decision are decided by a vote."))
    with transaction.atomic():
        fresh_meeting = _locked_meeting(meeting)
        _require_deciding(fresh_meeting)
        settle(fresh_meeting)
        fresh = AgendaItem.objects.select_for_update().select_related("meeting__body").get(pk=item.pk)
        if fresh.decisions.filter(status=Decision.Status.OPEN).exists():
            raise MeetingError(_("A decision on this item is already open for votes."))
        if fresh.decisions.filter(status=Decision.Status.PASSED).exists():
            raise MeetingError(_("The item is decided."))
        document = document_of(fresh)
        if document is None:
            raise MeetingError(_("The item's document no longer exists."))
        choices = {choice.action: choice for choice in action_choices(fresh, document)}
        if not choices:
            raise MeetingError(
                _("The item is no longer waiting for %(body)s (it is “%(state)s”).")
                % {"body": fresh_meeting.body, "state": workflow.current_state(document)}
            )
        choice = choices.get(action)
        if choice is None:
            raise ValidationError(
                {
                    "action": _("Choose one of: %(actions)s.")
                    % {"actions": ", ".join(c.label for c in choices.values() if c.allowed)}
                }
            )
        if not choice.allowed:
            raise ValidationError({"action": f"{choice.label}: {choice.reason}"})
        fields = _clean_fields(choice, fresh_meeting, priority, period, reason)
        with acting_as(capacity):
            return Decision.objects.create(
                agenda_item=fresh,
                transition=choice.transition,
                action=choice.action,
                proposed_by=user if getattr(user, "is_authenticated", False) else None,
                **fields,
            )


def withdraw_decision(decision: Decision, user) -> Decision:
    """Take an open decision off the vote (the votes cast stay in the workflow's ballot)."""
    meeting = decision.agenda_item.meeting
    capacity = _require_manage(user, meeting.body)
    with transaction.atomic():
        _locked_meeting(meeting)
        fresh = Decision.objects.select_for_update().get(pk=decision.pk)
        if fresh.status != Decision.Status.OPEN:
            raise MeetingError(_("Only a decision open for votes can be withdrawn."))
        fresh.status, fresh.closed_at = Decision.Status.WITHDRAWN, timezone.now()
        with acting_as(capacity):
            fresh.save()
    return fresh


# ----------------------------------------------------------------------------------------------- votes


@dataclass
class VoteOutcome:
    decision: Decision
    result: workflow.VoteResult
    warning: str  # the two-capacities warning, if the voter has acted on the item in another capacity


def decision_text(decision: Decision, meeting: Meeting) -> str:
    """What the deciding step says (its comment; the timeline and the notifications show it): the reason,
    the priority or period, and where it was decided. In the site's language (bokmål by default)."""
    with translation.override(settings.LANGUAGE_CODE):
        lines = []
        if decision.reason:
            lines.append(decision.reason)
        if decision.priority:
            lines.append(_("Priority: %(priority)s.") % {"priority": decision.priority})
        if decision.period_id:
            template = _("Deferred to %(period)s.") if decision.action == "defer" else _("Planned for %(period)s.")
            lines.append(template % {"period": decision.period})
        lines.append(
            _("Decided by %(body)s in the meeting “%(meeting)s” on %(date)s (item %(number)s).")
            % {
                "body": meeting.body,
                "meeting": meeting.title,
                "date": formats.date_format(meeting_day(meeting), "SHORT_DATE_FORMAT"),
                "number": decision.agenda_item.order,
            }
        )
        return "\n".join(str(line) for line in lines)


def _would_decide(document, transition: Transition, choice: str) -> bool:
    """Would this vote pass the ballot (the engine's own tally on the ballot as it stands)?"""
    lookups = CommitteeLookups()
    ballot = lookups.ballot(document, transition)
    if ballot is not None:
        eligible = len(ballot.eligible)
        choices = [cast for _voter, cast in lookups.votes_in(ballot)]
    else:
        eligible = len(lookups.voting_members(lookups.body(document, transition)))
        choices = []
    outcome = workflow.tally(
        transition.vote_rule, transition.votes_required, transition.quorum, eligible, [*choices, choice]
    )
    return outcome == Ballot.Outcome.PASSED


def _require_present(meeting: Meeting, participants, user) -> None:
    """A member of the body votes in the meeting when recorded present (a substitute voting for a member
    who delegated to them is not a participant and is let through to the engine)."""
    person = person_of(user)
    if person is None:
        return
    own = next((p for p in participants if p.person_id == person.pk and p.voting), None)
    if own is not None and own.attendance != Participant.Attendance.PRESENT:
        raise MeetingError(_("You are not recorded as present at the meeting: the secretary records attendance."))


def cast_vote(decision: Decision, user, choice: str, *, comment: str = "") -> VoteOutcome:
    """The signed-in member's vote on an open decision. The vote that decides carries the decision's text
    (reason, priority or period, the meeting) as the workflow step's comment."""
    meeting = decision.agenda_item.meeting
    with transaction.atomic():
        fresh_meeting = _locked_meeting(meeting)
        participants = list(fresh_meeting.participants.all())
        _require_deciding(fresh_meeting, participants)
        settle(fresh_meeting)
        fresh = (
            Decision.objects.select_for_update()
            .select_related("agenda_item__meeting__body", "transition__from_state", "transition__to_state", "period")
            .get(pk=decision.pk)
        )
        if fresh.status != Decision.Status.OPEN:
            raise MeetingError(
                _("This decision is not open for votes (it is “%(status)s”).") % {"status": fresh.get_status_display()}
            )
        _require_present(fresh_meeting, participants, user)
        document = document_of(fresh.agenda_item)
        if document is None:
            raise MeetingError(_("The item's document no longer exists."))
        # Lock the document as the engine will, before reading its ballot.
        list(type(document)._default_manager.select_for_update().filter(pk=document.pk).values_list("pk"))
        warning = next(
            (
                option.warning
                for option in workflow.available_actions(document, user)
                if option.action == fresh.action and option.allowed
            ),
            "",
        )
        transition = fresh.transition
        text = (comment or "").strip()
        if transition.from_state.key == document.state and _would_decide(document, transition, choice):
            text = decision_text(fresh, fresh_meeting) + (f"\n\n{text}" if text else "")
        result = workflow.vote(document, fresh.action, user, choice, comment=text)
        fresh.ballot = result.ballot
        if result.log is not None:
            fresh.status, fresh.log, fresh.closed_at = Decision.Status.PASSED, result.log, result.log.at
        elif result.ballot.outcome != Ballot.Outcome.OPEN:
            fresh.status, fresh.closed_at = Decision.Status.FAILED, timezone.now()
        with acting_as(result.vote.capacity):
            fresh.save()
    return VoteOutcome(fresh, result, warning)


# ------------------------------------------------------------------------------ decisions made elsewhere


def settle(meeting: Meeting) -> None:
    """Bring open decisions up to date with their ballots: a ballot decided by votes on the need's own page
    (or failed there) closes the decision too; a document that moved on by another route withdraws it."""
    open_decisions = list(
        Decision.objects.filter(agenda_item__meeting_id=meeting.pk, status=Decision.Status.OPEN).select_related(
            "agenda_item", "transition__from_state"
        )
    )
    for decision in open_decisions:
        item = decision.agenda_item
        if decision.ballot_id:
            ballot = Ballot.objects.filter(pk=decision.ballot_id).first()
        else:  # no vote through the meeting yet: the ballot open now, or one closed since the decision opened
            ballot = (
                Ballot.objects.filter(
                    content_type_id=item.content_type_id, object_id=item.object_id, transition_id=decision.transition_id
                )
                .filter(Q(outcome=Ballot.Outcome.OPEN) | Q(closed_at__gte=decision.opened_at))
                .order_by("-opened_at", "-pk")
                .first()
            )
        if ballot is not None and ballot.outcome == Ballot.Outcome.PASSED:
            log = TransitionLog.objects.filter(ballot=ballot).first()
            if log is not None and not Decision.objects.filter(log=log).exists():
                decision.status, decision.ballot, decision.log, decision.closed_at = (
                    Decision.Status.PASSED,
                    ballot,
                    log,
                    log.at,
                )
                decision.save()
                continue
        if ballot is not None and ballot.outcome in (Ballot.Outcome.FAILED, Ballot.Outcome.CANCELLED):
            decision.status, decision.ballot = Decision.Status.FAILED, ballot
            decision.closed_at = ballot.closed_at or timezone.now()
            decision.save()
            continue
        document = document_of(item)
        if document is None or document.state != decision.transition.from_state.key:
            decision.status, decision.closed_at = Decision.Status.WITHDRAWN, timezone.now()
            decision.save()


def record_decided(meeting: Meeting, user) -> list[Decision]:
    """Record in the meeting the decisions its body's members already took by voting on the items' own
    pages (asynchronous participation): for every document item with no decision yet, the body's latest
    passed committee step on it. Needs the quorum like any decision. Returns the decisions recorded."""
    capacity = _require_manage(user, meeting.body)
    with transaction.atomic():
        fresh_meeting = _locked_meeting(meeting)
        _require_deciding(fresh_meeting)
        settle(fresh_meeting)
        items = list(
            fresh_meeting.agenda_items.filter(kind=AgendaItem.Kind.DOCUMENT)
            .exclude(decisions__status__in=(Decision.Status.OPEN, Decision.Status.PASSED))
            .order_by("order", "pk")
        )
        if not items:
            return []
        logs = (
            TransitionLog.objects.filter(
                ballot__body_id=fresh_meeting.body_id,
                ballot__outcome=Ballot.Outcome.PASSED,
                council_decision__isnull=True,
                content_type_id__in={item.content_type_id for item in items},
                object_id__in={item.object_id for item in items},
            )
            .select_related("transition")
            .order_by("at", "pk")
        )
        latest = {(log.content_type_id, log.object_id): log for log in logs}  # the last one wins
        recorded = []
        with acting_as(capacity):
            for item in items:
                log = latest.get((item.content_type_id, item.object_id))
                if log is None or log.transition is None:
                    continue
                recorded.append(
                    Decision.objects.create(
                        agenda_item=item,
                        transition=log.transition,
                        action=log.action,
                        reason=log.comment,
                        status=Decision.Status.PASSED,
                        ballot_id=log.ballot_id,
                        log=log,
                        closed_at=log.at,
                        proposed_by=user if getattr(user, "is_authenticated", False) else None,
                    )
                )
    return recorded


def capacity_for(user, meeting: Meeting) -> str:
    return _capacity(user, meeting.body)
