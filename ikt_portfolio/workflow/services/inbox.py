"""The inbox: everything waiting for a user's action or vote, across every registered document type."""

import functools
import operator
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from ikt_portfolio.members.models import BodyMembership
from ikt_portfolio.members.permissions import person_of

from ..models import Transition, WorkflowVersion
from ..registry import document_types
from .engine import COMMITTEE_CAPACITY, ActionOption, CommitteeLookups, _sources, available_actions, graph_of


@dataclass
class InboxItem:
    document: object
    label: str
    title: str
    link: str
    state: str
    waiting_since: object
    deadline_at: object
    actions: list[ActionOption]

    @property
    def overdue(self) -> bool:
        return self.deadline_at is not None and self.deadline_at <= timezone.now()


def inbox(user) -> list[InboxItem]:
    """Documents where the user (or someone who delegated to them) can act now, oldest first.

    Candidates are narrowed in the database to the user's collaborations and to states with a transition
    the user could take; the engine then decides each candidate exactly as it would for the action itself.
    """
    person = person_of(user)
    if person is None:
        return []
    capacities_by_collaboration: dict[int, set[str]] = {}
    votes_by_collaboration: dict[int, set[str]] = {}  # committee capacities from seats that carry a vote
    person_ids: set[int] = set()
    for person_id, grants, _behalf, allowed in _sources(user, None, timezone.localdate()):
        if allowed is None or "submitter" in allowed:
            person_ids.add(person_id)
        for grant in grants:
            if allowed is None or grant.capacity in allowed:
                capacities_by_collaboration.setdefault(grant.collaboration_id, set()).add(grant.capacity)
                if grant.role in BodyMembership.VOTING_ROLES:
                    votes_by_collaboration.setdefault(grant.collaboration_id, set()).add(grant.capacity)
    collaboration_ids = set(capacities_by_collaboration)
    items: list[InboxItem] = []
    for registration in document_types().values():
        versions = WorkflowVersion.objects.filter(
            workflow__collaboration_id__in=collaboration_ids, workflow__document_type=registration.label
        ).exclude(status=WorkflowVersion.Status.DRAFT)
        subject = registration.subject
        waiting = _waiting_states(versions, capacities_by_collaboration, votes_by_collaboration, subject, person_ids)
        if not waiting:
            continue
        documents = list(
            registration.model._default_manager.filter(waiting)
            .select_related("workflow_version", *subject.select_related)
            .order_by("state_entered_at")
        )
        subject.prefetch_condition_variables(documents)
        lookups = CommitteeLookups()
        lookups.prefetch(
            (document, transition)
            for document in documents
            for transition in graph_of(document.workflow_version).outgoing.get(document.state, [])
            if transition.is_committee
        )
        for document in documents:
            options = available_actions(document, user, with_warnings=False, lookups=lookups)
            actions = [option for option in options if option.allowed and option.transition.awaited]
            if actions:
                items.append(
                    InboxItem(
                        document,
                        registration.label,
                        subject.title(document),
                        subject.link(document),
                        document.state,
                        document.state_entered_at,
                        document.deadline_at,
                        actions,
                    )
                )
    items.sort(key=lambda item: item.waiting_since or timezone.now())
    return items


def _waiting_states(versions, capacities_by_collaboration, votes_by_collaboration, subject, person_ids) -> Q | None:
    """Q matching documents in a state with an awaited transition the user's capacities might allow."""
    condition = None
    transitions = Transition.objects.filter(version__in=versions, awaited=True).select_related(
        "from_state", "version__workflow"
    )
    for transition in transitions:
        by_collaboration = votes_by_collaboration if transition.committee else capacities_by_collaboration
        held = by_collaboration.get(transition.version.workflow.collaboration_id, set())
        wanted = (
            {COMMITTEE_CAPACITY[transition.committee]} if transition.committee else set(transition.allowed_capacities)
        )
        term = Q(workflow_version_id=transition.version_id, state=transition.from_state.key)
        relative = {c: subject.relative_filter(c, person_ids) for c in wanted}
        relative = {c: q for c, q in relative.items() if q is not None}
        if not (wanted - set(relative)) & held:
            # Only a document-relative capacity (e.g. the submitter) could allow it: just the user's own.
            if not relative:
                continue
            term &= functools.reduce(operator.or_, relative.values())
        condition = term if condition is None else condition | term
    return condition
