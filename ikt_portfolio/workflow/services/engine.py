"""The workflow engine: who may take which action on a document now, taking it, and committee votes.

Every change goes through `perform` (a single actor) or `vote` (a committee). Both run in one transaction
and move the document with a conditional UPDATE on its current state and revision, so of two people acting
at once exactly one succeeds and the other gets `WorkflowConflict`.
"""

import functools
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.core.errors import DomainError
from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import Body, BodyMembership
from ikt_portfolio.members.permissions import concrete_user, grants_of, is_operator, person_of

from ..models import Ballot, Delegation, State, Transition, TransitionLog, Vote, VoteRule, Workflow
from ..registry import condition_variables, registration_for
from .conditions import ConditionError, condition_holds


class WorkflowError(DomainError):
    """A refusal with a message for the user (already translated)."""


class ActionRefused(WorkflowError):
    status_code = 403


class WorkflowConflict(WorkflowError):
    status_code = 409


class InvalidActionInput(WorkflowError):
    status_code = 400


# ------------------------------------------------------------------------------------------ the graph


@dataclass(frozen=True)
class Graph:
    states: dict[str, State]
    outgoing: dict[str, list[Transition]]

    def state(self, key: str) -> State | None:
        return self.states.get(key)


@functools.lru_cache(maxsize=256)
def _graph(version_id: int, published_at) -> Graph:
    # Published versions never change, so (id, publication time) identifies their graph for good.
    states = {state.key: state for state in State.objects.filter(version_id=version_id)}
    outgoing: dict[str, list[Transition]] = {key: [] for key in states}
    for transition in Transition.objects.filter(version_id=version_id).select_related("from_state", "to_state"):
        outgoing[transition.from_state.key].append(transition)
    return Graph(states, outgoing)


def graph_of(version) -> Graph:
    if version.published_at is None:  # drafts are never cached
        return _graph.__wrapped__(version.pk, None)
    return _graph(version.pk, version.published_at)


def active_workflow(collaboration_id: int, document_label: str) -> Workflow:
    workflow = Workflow.objects.filter(
        collaboration_id=collaboration_id, document_type=document_label, is_active=True
    ).first()
    if workflow is None:
        raise WorkflowError(_("The collaboration has no active workflow for this kind of document."))
    return workflow


def active_version(collaboration_id: int, document_label: str):
    version = active_workflow(collaboration_id, document_label).versions.filter(status="published").first()
    if version is None:
        raise WorkflowError(_("The collaboration's workflow has no published version."))
    return version


# --------------------------------------------------------------------------------- standings (who acts)


@dataclass(frozen=True)
class Standing:
    """A way for a user to act: in a capacity, as themselves or on behalf of someone who delegated to them."""

    capacity: str
    person_id: int | None  # whose capacity it is
    on_behalf_of_id: int | None = None


def _sources(user, collaboration_id: int | None, day):
    """(person id, grants, on behalf of, delegated capacities) for the user and everyone who delegated to
    them today (in `collaboration_id`, or in any collaboration when it is None)."""
    person = person_of(user)
    if person is None:
        return []
    sources = [(person.pk, grants_of(user, day), None, None)]
    cache = concrete_user(user).__dict__.setdefault("_ikt_delegations", {})
    if day not in cache:
        cache[day] = list(
            Delegation.objects.in_force(day).filter(delegate_id=person.pk).select_related("delegator__user")
        )
    for delegation in cache[day]:
        if collaboration_id is not None and delegation.collaboration_id != collaboration_id:
            continue
        delegator = delegation.delegator
        allowed = set(delegation.capacities) if delegation.capacities else None
        sources.append((delegator.pk, grants_of(delegator.user, day), delegator.pk, allowed))
    return sources


def standings(user, document, capacities, day=None) -> list[Standing]:
    """Every way `user` holds one of `capacities` for this document today (own first, then delegated)."""
    day = day or timezone.localdate()
    subject = registration_for(document).subject
    collaboration_id = subject.collaboration_id(document)
    scope = subject.scope(document)
    found: list[Standing] = []
    for person_id, grants, on_behalf_of, allowed in _sources(user, collaboration_id, day):
        for capacity in capacities:
            if allowed is not None and capacity not in allowed:
                continue
            relative = subject.people_in(document, capacity)
            if relative is not None:
                if person_id in relative:
                    found.append(Standing(capacity, person_id, on_behalf_of))
                continue
            for grant in grants:
                if grant.capacity != capacity or grant.collaboration_id != collaboration_id:
                    continue
                if all(getattr(grant, key, None) in (None, value) for key, value in scope.items()):
                    found.append(Standing(capacity, person_id, on_behalf_of))
                    break
    return found


# ------------------------------------------------------------------------------------------- actions


@dataclass
class ActionOption:
    transition: Transition
    allowed: bool
    reason: str = ""
    standing: Standing | None = None
    warning: str = ""
    ballot: Ballot | None = None
    votes: dict = field(default_factory=dict)
    inputs: tuple = ()  # the ActionInputs the document type asks for besides the comment

    @property
    def action(self) -> str:
        return self.transition.action


def _earlier_capacities(document, person_id: int) -> set[str]:
    content_type = ContentType.objects.get_for_model(document)
    logged = TransitionLog.objects.of(document)
    own = set(logged.filter(actor__person__pk=person_id, on_behalf_of__isnull=True).values_list("capacity", flat=True))
    own |= set(logged.filter(on_behalf_of_id=person_id).values_list("capacity", flat=True))
    own |= set(
        Vote.objects.filter(
            ballot__content_type=content_type, ballot__object_id=document.pk, voter_id=person_id
        ).values_list("capacity", flat=True)
    )
    return own


def _two_capacity_warning(document, standing: Standing, cache: dict[int, set[str]]) -> str:
    """The source documents name one person deciding an item in two capacities as a real failure: say so."""
    if standing.person_id is None:
        return ""
    if standing.person_id not in cache:
        cache[standing.person_id] = _earlier_capacities(document, standing.person_id)
    earlier = cache[standing.person_id] - {standing.capacity, Capacity.SUBMITTER, ""}
    if not earlier:
        return ""
    labels = ", ".join(str(Capacity(c).label) if c in Capacity.values else c for c in sorted(earlier))
    return _("You have already acted on this item as %(capacities)s; now you would act as %(capacity)s.") % {
        "capacities": labels,
        "capacity": Capacity(standing.capacity).label,
    }


def current_state(document) -> State:
    if not document.workflow_version_id:
        raise WorkflowError(_("The document has not entered its workflow yet."))
    state = graph_of(document.workflow_version).state(document.state)
    if state is None:
        raise WorkflowError(_("The document's status is not in its workflow version."))
    return state


def available_actions(
    document, user, *, with_warnings: bool = True, lookups: "CommitteeLookups | None" = None
) -> list[ActionOption]:
    """Every action leading out of the document's state, each allowed or not, with the reason."""
    if not document.workflow_version_id:
        return []
    outgoing = graph_of(document.workflow_version).outgoing.get(document.state, [])
    if lookups is None:
        lookups = CommitteeLookups()
        lookups.prefetch((document, t) for t in outgoing if t.is_committee)
    subject = registration_for(document).subject
    options = []
    variables = None
    earlier: dict[int, set[str]] = {}  # capacities each person already acted in, looked up once
    for transition in outgoing:
        option = ActionOption(transition, allowed=False, inputs=subject.action_inputs.get(transition.action, ()))
        options.append(option)
        if transition.condition:
            if variables is None:
                variables = condition_variables(document)
            try:
                holds = condition_holds(transition.condition, variables)
            except ConditionError as error:
                option.reason = str(error)
                continue
            if not holds:
                option.reason = _("The condition for this action is not met (%(condition)s).") % {
                    "condition": transition.condition
                }
                continue
        if transition.is_committee:
            _describe_ballot(document, user, option, lookups)
            if option.allowed and with_warnings:
                option.warning = _two_capacity_warning(document, option.standing, earlier)
            continue
        found = standings(user, document, transition.allowed_capacities)
        if not found and is_operator(user):
            option.reason = _("IT operators do not take part in decisions.")
            continue
        if not found:
            option.reason = _("Only %(capacities)s can do this.") % {
                "capacities": ", ".join(str(Capacity(c).label) for c in transition.allowed_capacities)
            }
            continue
        owner = subject.owner_person_id(document)
        if not transition.allow_self_approval and owner is not None:
            # Neither one's own item, nor one's own item reached through someone else's delegation.
            acting = person_of(user)
            if acting is not None and acting.pk == owner:
                found = []
            found = [s for s in found if s.person_id != owner]
            if not found:
                option.reason = _("You cannot approve your own item.")
                continue
        option.allowed, option.standing = True, found[0]
        if with_warnings:
            option.warning = _two_capacity_warning(document, option.standing, earlier)
    return options


def _option(document, action: str, user) -> ActionOption:
    for option in available_actions(document, user, with_warnings=False):
        if option.action == action:
            return option
    state = current_state(document)
    raise ActionRefused(
        _("“%(action)s” cannot be done while the item is “%(state)s”.") % {"action": action, "state": state}
    )


def _fresh(document):
    related = registration_for(document).subject.select_related
    return type(document)._default_manager.select_related("workflow_version", *related).get(pk=document.pk)


def act(
    document, action: str, user, *, comment: str = "", revision: int | None = None, inputs: dict | None = None
) -> TransitionLog:
    """Take `action` the way the document type carries it out (`WorkflowSubject.take_action`): what the Desk,
    the portal and the API call. Raises what `perform` raises, and InvalidActionInput for a bad input value."""
    subject = registration_for(document).subject
    inputs = {spec.name: (inputs or {}).get(spec.name, "") for spec in subject.action_inputs.get(action, ())}
    try:
        return subject.take_action(document, action, user, comment=comment, revision=revision, inputs=inputs)
    except ValidationError as error:
        raise InvalidActionInput(" ".join(error.messages)) from error


def perform(document, action: str, user, *, comment: str = "", revision: int | None = None) -> TransitionLog:
    """Take `action` on `document` as `user`. Raises ActionRefused (not allowed now, with the reason) or
    WorkflowConflict (someone else changed the document first).

    `revision` is the workflow revision the person saw when they chose the action (the Desk, portal and API
    send the page's); without it, the revision of `document` as the caller loaded it. Either way an action
    chosen on a state that has since moved on is a conflict, never carried out on the new state."""
    if revision is None:
        revision = document.workflow_revision
    with transaction.atomic():
        fresh = _fresh(document)
        if revision is not None and fresh.workflow_revision != revision:
            raise WorkflowConflict(_conflict_message(fresh))
        option = _option(fresh, action, user)
        if option.transition.is_committee:
            raise ActionRefused(_("This is decided by a vote; cast your vote instead."))
        if not option.allowed:
            raise ActionRefused(option.reason)
        if option.transition.comment_required and not comment.strip():
            raise ActionRefused(_("Give a reason in the comment."))
        log = _move(fresh, option.transition, user, option.standing, comment)
    copy_engine_fields(fresh, document)
    return log


def _conflict_message(document) -> str:
    return _("Someone else acted on this item first; it is now “%(state)s”. Reload the page and try again.") % {
        "state": current_state(document)
    }


def copy_engine_fields(source, target) -> None:
    """Let the caller's instance see the new state without reloading it."""
    for name in source.ENGINE_FIELDS:
        attname = source._meta.get_field(name).attname
        setattr(target, attname, getattr(source, attname))


def _move(document, transition: Transition, user, standing: Standing | None, comment: str, ballot=None):
    from .notifications import notify_transition

    now = timezone.now()
    to_state = transition.to_state
    deadline = now + timezone.timedelta(days=to_state.deadline_days) if to_state.deadline_days else None
    model = type(document)
    moved = model._default_manager.filter(
        pk=document.pk, state=transition.from_state.key, workflow_revision=document.workflow_revision
    ).update(
        state=to_state.key,
        state_entered_at=now,
        deadline_at=deadline,
        reminder_sent_at=None,
        escalated_at=None,
        workflow_revision=F("workflow_revision") + 1,
    )
    if moved != 1:
        raise WorkflowConflict(_conflict_message(_fresh(document)))
    subject = registration_for(document).subject
    with acting_as(standing.capacity if standing else "committee"):
        log = TransitionLog.record(
            document,
            subject.collaboration_id(document),
            version_id=document.workflow_version_id,
            transition=transition,
            action=transition.action,
            from_state=transition.from_state.key,
            to_state=to_state.key,
            actor=user,
            capacity=standing.capacity if standing else f"committee:{transition.committee}",
            on_behalf_of_id=standing.on_behalf_of_id if standing else None,
            comment=comment,
            ballot=ballot,
        )
    document.state, document.state_entered_at, document.deadline_at = to_state.key, now, deadline
    document.reminder_sent_at = document.escalated_at = None
    document.workflow_revision += 1
    notify_transition(document, log, transition)
    return log


def start(document, user=None, *, version=None) -> TransitionLog:
    """Put a new document into its collaboration's active workflow, in the initial state."""
    label = document._meta.label_lower
    subject = registration_for(document).subject
    version = version or active_version(subject.collaboration_id(document), label)
    initial = next((s for s in graph_of(version).states.values() if s.is_initial), None)
    if initial is None:
        raise WorkflowError(_("The workflow has no initial state."))
    now = timezone.now()
    with transaction.atomic():
        started = (
            type(document)
            ._default_manager.filter(pk=document.pk, workflow_version__isnull=True)
            .update(
                workflow_version=version,
                state=initial.key,
                state_entered_at=now,
                deadline_at=now + timezone.timedelta(days=initial.deadline_days) if initial.deadline_days else None,
                workflow_revision=1,
            )
        )
        if started != 1:
            raise WorkflowConflict(_("The item is already in a workflow."))
        document.workflow_version, document.state, document.state_entered_at = version, initial.key, now
        document.workflow_revision = 1
        return TransitionLog.record(
            document,
            subject.collaboration_id(document),
            version=version,
            action="start",
            from_state="",
            to_state=initial.key,
            actor=user,
            capacity=Capacity.SUBMITTER if user is not None else "",
        )


def history(document):
    return TransitionLog.objects.of(document).select_related("actor", "on_behalf_of__user", "transition")


def may_edit(document, user, field_name: str | None = None) -> bool:
    """Per-state edit rights: may `user` edit the document (or one field of it) in its current state?"""
    state = current_state(document)
    if state.is_final or not state.edit_capacities:
        return False
    if field_name is not None and state.editable_fields and field_name not in state.editable_fields:
        return False
    return bool(standings(user, document, state.edit_capacities))


# -------------------------------------------------------------------------------------- committee votes

COMMITTEE_CAPACITY = {
    Body.Kind.SECTOR_GROUP: Capacity.SECTOR_REPRESENTATIVE,
    Body.Kind.PORTFOLIO_COUNCIL: Capacity.COUNCIL_MEMBER,
    Body.Kind.BOARD: Capacity.BOARD_MEMBER,
    Body.Kind.OWNERS_MEETING: Capacity.OWNER_REPRESENTATIVE,
}


def tally(rule: str, required: int | None, quorum: int, eligible: int, choices: list[str]) -> str:
    """The state of a committee decision: "passed", "failed" (can no longer pass) or "open".

    N of M: passes with N yes votes; majority: more than half of the M members vote yes; unanimity: every
    member votes and none votes no (abstentions count as taking part). A veto fails it at once. Nothing
    passes before `quorum` votes (abstentions included) are cast.
    """
    if Vote.Choice.VETO in choices:
        return Ballot.Outcome.FAILED
    yes = choices.count(Vote.Choice.YES)
    cast = len(choices)
    remaining = eligible - cast
    if eligible < quorum:
        return Ballot.Outcome.FAILED
    if rule == VoteRule.UNANIMITY:
        if Vote.Choice.NO in choices or eligible == 0:
            return Ballot.Outcome.FAILED
        if remaining > 0:
            return Ballot.Outcome.OPEN
        return Ballot.Outcome.PASSED if yes >= 1 and cast >= quorum else Ballot.Outcome.FAILED
    needed = eligible // 2 + 1 if rule == VoteRule.MAJORITY else max(required or 0, 1)
    if needed > eligible:
        return Ballot.Outcome.FAILED
    if yes >= needed and cast >= quorum:
        return Ballot.Outcome.PASSED
    if yes + remaining < needed:
        return Ballot.Outcome.FAILED
    return Ballot.Outcome.OPEN


class CommitteeLookups:
    """What `available_actions` needs to know about committee decisions, looked up once per call (and
    filled in bulk by the inbox, so its cost does not grow with the number of items)."""

    def __init__(self):
        self.ballots: dict[str, Ballot | None] = {}
        self.votes: dict[int, list[tuple[int, str]]] = {}
        self.bodies: dict[tuple, Body | None] = {}
        self.members: dict[int, list[int]] = {}

    @staticmethod
    def ballot_key(document, transition: Transition) -> str:
        return f"{ContentType.objects.get_for_model(document).pk}:{document.pk}:{transition.pk}"

    def ballot(self, document, transition: Transition) -> Ballot | None:
        key = self.ballot_key(document, transition)
        if key not in self.ballots:
            self.ballots[key] = Ballot.objects.filter(open_key=key).first()
        return self.ballots[key]

    def votes_in(self, ballot: Ballot) -> list[tuple[int, str]]:
        if ballot.pk not in self.votes:
            self.votes[ballot.pk] = list(ballot.votes.values_list("voter_id", "choice"))
        return self.votes[ballot.pk]

    def body(self, document, transition: Transition) -> Body:
        subject = registration_for(document).subject
        service_area_id = subject.scope(document).get("service_area_id")
        if transition.committee != Body.Kind.SECTOR_GROUP:
            service_area_id = None
        key = (subject.collaboration_id(document), transition.committee, service_area_id)
        if key not in self.bodies:
            bodies = Body.objects.filter(collaboration_id=key[0], kind=key[1])
            if service_area_id:
                bodies = bodies.filter(service_area_id=service_area_id)
            self.bodies[key] = bodies.order_by("pk").first()
        if self.bodies[key] is None:
            raise WorkflowError(_("The collaboration has no body to decide this."))
        return self.bodies[key]

    def voting_members(self, body: Body) -> list[int]:
        if body.pk not in self.members:
            self.members[body.pk] = sorted(
                set(
                    BodyMembership.objects.active_on()
                    .filter(body=body, role__in=BodyMembership.VOTING_ROLES)
                    .values_list("person_id", flat=True)
                )
            )
        return self.members[body.pk]

    def prefetch(self, pairs) -> None:
        """Load the open ballots (with votes), bodies and voting members of many (document, transition)."""
        pairs = list(pairs)
        if not pairs:
            return
        keys = {self.ballot_key(document, transition) for document, transition in pairs}
        self.ballots.update(dict.fromkeys(keys))
        ballots = list(Ballot.objects.filter(open_key__in=keys))
        self.ballots.update({ballot.open_key: ballot for ballot in ballots})
        for ballot in ballots:
            self.votes[ballot.pk] = []
        for ballot_id, voter_id, choice in Vote.objects.filter(ballot__in=ballots).values_list(
            "ballot_id", "voter_id", "choice"
        ):
            self.votes[ballot_id].append((voter_id, choice))
        collaboration_ids = {registration_for(d).subject.collaboration_id(d) for d, _t in pairs}
        kinds = {t.committee for _d, t in pairs}
        bodies = list(Body.objects.filter(collaboration_id__in=collaboration_ids, kind__in=kinds).order_by("-pk"))
        for body in bodies:  # descending, so the lowest pk of a kind wins, as in `body()`
            area = body.service_area_id if body.kind == Body.Kind.SECTOR_GROUP else None
            self.bodies[(body.collaboration_id, body.kind, area)] = body
        members: dict[int, set[int]] = {body.pk: set() for body in bodies}
        for body_id, person_id in (
            BodyMembership.objects.active_on()
            .filter(body__in=bodies, role__in=BodyMembership.VOTING_ROLES)
            .values_list("body_id", "person_id")
        ):
            members[body_id].add(person_id)
        self.members.update({body_id: sorted(people) for body_id, people in members.items()})


def _open_ballot(document, transition: Transition) -> Ballot:
    """The open ballot on this decision, locked for the vote; opened with the body's voting members now."""
    lookups = CommitteeLookups()
    key = lookups.ballot_key(document, transition)
    ballot = Ballot.objects.select_for_update().filter(open_key=key).first()
    if ballot is not None:
        return ballot
    body = lookups.body(document, transition)
    try:
        with transaction.atomic():
            return Ballot.objects.create(
                content_type=ContentType.objects.get_for_model(document),
                object_id=document.pk,
                collaboration_id=body.collaboration_id,
                transition=transition,
                body=body,
                eligible=lookups.voting_members(body),
                open_key=key,
            )
    except IntegrityError:  # opened by a concurrent first vote
        return Ballot.objects.select_for_update().get(open_key=key)


def _describe_ballot(document, user, option: ActionOption, lookups: CommitteeLookups) -> None:
    transition = option.transition
    ballot = lookups.ballot(document, transition)
    option.ballot = ballot
    if ballot is not None:
        choices = [choice for _voter_id, choice in lookups.votes_in(ballot)]
        option.votes = {choice: choices.count(choice) for choice in Vote.Choice.values} | {
            "eligible": len(ballot.eligible)
        }
    try:
        voter = _voter(document, transition, user, ballot, lookups)
    except WorkflowError as error:  # e.g. no body to decide it: say so instead of failing the page
        option.reason = error.message
        return
    if voter is None:
        option.reason = _("Decided by a vote of the members of %(body)s.") % {
            "body": Body.Kind(transition.committee).label
        }
        return
    option.allowed, option.standing = True, voter


def _voter(document, transition: Transition, user, ballot: Ballot | None, lookups: CommitteeLookups) -> Standing | None:
    """The seat the user votes for: their own, else that of a member who delegated to them."""
    capacity = COMMITTEE_CAPACITY[transition.committee]
    if ballot is not None:
        eligible = set(ballot.eligible)
        voted = {voter_id for voter_id, _choice in lookups.votes_in(ballot)}
    else:
        eligible, voted = set(lookups.voting_members(lookups.body(document, transition))), set()
    for standing in standings(user, document, [capacity]):
        if standing.person_id in eligible and standing.person_id not in voted:
            return standing
    return None


@dataclass
class VoteResult:
    vote: Vote
    ballot: Ballot
    log: TransitionLog | None  # set when this vote decided the matter and the document moved


def vote(document, action: str, user, choice: str, *, comment: str = "") -> VoteResult:
    if choice not in Vote.Choice.values:
        raise ActionRefused(_("Vote yes, no or abstain."))
    with transaction.atomic():
        # Lock the document first: a vote arriving as the decision is taken must see the new state, not
        # open a new ballot on a decision already made.
        list(type(document)._default_manager.select_for_update().filter(pk=document.pk).values_list("pk"))
        fresh = _fresh(document)
        transition = next(
            (t for t in graph_of(fresh.workflow_version).outgoing.get(fresh.state, []) if t.action == action), None
        )
        if transition is None or not transition.is_committee:
            raise ActionRefused(
                _("There is no vote on “%(action)s” while the item is “%(state)s”.")
                % {"action": action, "state": current_state(fresh)}
            )
        if choice == Vote.Choice.VETO and not transition.veto_allowed:
            raise ActionRefused(_("This decision allows no veto."))
        if transition.condition:
            try:
                holds = condition_holds(transition.condition, condition_variables(fresh))
            except ConditionError as error:
                raise ActionRefused(str(error)) from error
            if not holds:
                raise ActionRefused(
                    _("The condition for this action is not met (%(condition)s).") % {"condition": transition.condition}
                )
        ballot = _open_ballot(fresh, transition)
        if ballot.outcome != Ballot.Outcome.OPEN:
            raise WorkflowConflict(_("The vote is already closed."))
        voter = _voter(fresh, transition, user, ballot, CommitteeLookups())
        if voter is None:
            already = ballot.votes.filter(voter__user=user).exists()
            raise ActionRefused(
                _("You have already voted.") if already else _("Only members of the deciding body can vote.")
            )
        try:
            with transaction.atomic(), acting_as(voter.capacity):
                cast = Vote.objects.create(
                    ballot=ballot,
                    voter_id=voter.person_id,
                    cast_by=user,
                    capacity=voter.capacity,
                    choice=choice,
                    comment=comment,
                )
        except IntegrityError as error:
            raise ActionRefused(_("You have already voted.")) from error
        choices = list(ballot.votes.values_list("choice", flat=True))
        outcome = tally(
            transition.vote_rule, transition.votes_required, transition.quorum, len(ballot.eligible), choices
        )
        log = None
        if outcome != Ballot.Outcome.OPEN:
            Ballot.objects.filter(pk=ballot.pk).update(outcome=outcome, open_key=None, closed_at=timezone.now())
            ballot.outcome = outcome
            if outcome == Ballot.Outcome.PASSED:
                log = _move(fresh, transition, user, None, comment, ballot=ballot)
            else:
                from .notifications import notify_ballot_failed

                notify_ballot_failed(fresh, ballot)
    copy_engine_fields(fresh, document)
    return VoteResult(cast, ballot, log)
