"""Workflow definitions: validation on publish, versions, fixture files, moving documents between versions."""

from collections import deque

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.members.capacities import Capacity

from ..models import FINAL_CATEGORIES, State, Transition, TransitionLog, Workflow, WorkflowVersion
from ..registry import document_types, registration_for, variable_names
from .conditions import ConditionError, parse_condition


class DefinitionError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def validate_version(version: WorkflowVersion) -> list[str]:
    """Everything wrong with a version, as sentences for the person editing it (empty when it is sound)."""
    errors: list[str] = []
    states = {state.key: state for state in version.states.all()}
    transitions = list(version.transitions.select_related("from_state", "to_state"))
    registration = document_types().get(version.workflow.document_type)
    if registration is None:
        errors.append(
            _("“%(type)s” is not a kind of document the engine knows.") % {"type": version.workflow.document_type}
        )
    initial = [state for state in states.values() if state.is_initial]
    if len(initial) != 1:
        errors.append(
            _("Mark exactly one state as the initial state (now %(count)s: %(states)s).")
            % {"count": len(initial), "states": ", ".join(s.key for s in initial) or "–"}
        )
    finals = {key for key, state in states.items() if state.category in FINAL_CATEGORIES}
    if not finals:
        errors.append(_("The workflow has no final state (done, rejected or cancelled)."))
    outgoing: dict[str, set[str]] = {key: set() for key in states}
    incoming: dict[str, set[str]] = {key: set() for key in states}
    names = getattr(registration.subject, "condition_names", None) if registration else None
    if names is not None:
        names = set(names) | variable_names()  # the collaboration's settings other apps offer
    for state in states.values():
        errors.extend(_part_errors(state, state.key))
    for transition in transitions:
        errors.extend(_part_errors(transition, transition.action))
        if version.pk not in (transition.from_state.version_id, transition.to_state.version_id) or (
            transition.from_state.version_id != transition.to_state.version_id
        ):
            continue  # reported by the transition's own rules above
        outgoing[transition.from_state.key].add(transition.to_state.key)
        incoming[transition.to_state.key].add(transition.from_state.key)
        if transition.condition:
            try:
                parse_condition(transition.condition, names)
            except ConditionError as error:
                errors.append(f"{transition.action}: {error}")
    if len(initial) == 1:
        reachable = _walk(initial[0].key, outgoing)
        for key in sorted(set(states) - reachable):
            errors.append(_("The state “%(state)s” cannot be reached from the initial state.") % {"state": key})
    if finals:
        can_finish = _walk_all(finals, incoming)
        for key in sorted(set(states) - can_finish):
            errors.append(_("From the state “%(state)s” no final state can be reached.") % {"state": key})
    return errors


def _part_errors(part, name: str) -> list[str]:
    """The model's own rules for one state or transition, each message prefixed with its key or action.
    (Not whether the version is still a draft: publishing is what freezes it.)"""
    from django.core.exceptions import ValidationError

    try:
        part.clean_fields(exclude=["version"])
        part.clean_rules()
    except ValidationError as error:
        return [f"{name}: {message}" for message in error.messages]
    return []


def _walk(start: str, edges: dict[str, set[str]]) -> set[str]:
    return _walk_all({start}, edges)


def _walk_all(starts: set[str], edges: dict[str, set[str]]) -> set[str]:
    seen, queue = set(starts), deque(starts)
    while queue:
        for following in edges[queue.popleft()]:
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return seen


def publish(version: WorkflowVersion, user) -> WorkflowVersion:
    """Freeze a draft after validating it; the workflow's earlier published version is retired. Documents
    already under way stay on their version until `migrate_documents` moves them."""
    errors = validate_version(version)
    if version.status != WorkflowVersion.Status.DRAFT:
        errors.insert(0, _("Only a draft can be published."))
    if errors:
        raise DefinitionError(errors)
    with transaction.atomic(), acting_as("collaboration_admin"):
        for earlier in WorkflowVersion.objects.filter(
            workflow=version.workflow, status=WorkflowVersion.Status.PUBLISHED
        ):
            earlier.status = WorkflowVersion.Status.RETIRED
            earlier.save(update_fields=["status"])  # through save(), so the audit history records it
        version.status = WorkflowVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.published_by = user
        version.save()
    return version


def new_draft(workflow: Workflow, user=None, note: str = "") -> WorkflowVersion:
    """A new draft, a copy of the latest version, to edit and publish."""
    with transaction.atomic():
        latest = workflow.versions.order_by("-number").first()
        draft = WorkflowVersion.objects.create(
            workflow=workflow, number=(latest.number + 1) if latest else 1, note=note
        )
        if latest is not None:
            _load_parts(draft, export_version(latest))
    return draft


STATE_FIELDS = [
    "key",
    "name",
    "name_nn",
    "name_en",
    "category",
    "is_initial",
    "order",
    "edit_capacities",
    "editable_fields",
    "deadline_days",
    "escalate_after_days",
    "escalate_to",
]
TRANSITION_FIELDS = [
    "action",
    "label",
    "label_nn",
    "label_en",
    "allowed_capacities",
    "condition",
    "comment_required",
    "allow_self_approval",
    "committee",
    "vote_rule",
    "votes_required",
    "quorum",
    "veto_allowed",
    "awaited",
    "order",
]


def export_version(version: WorkflowVersion) -> dict:
    """A version as plain data (the fixture file format)."""
    workflow = version.workflow
    return {
        "key": workflow.key,
        "document_type": workflow.document_type,
        "name": workflow.name,
        "name_nn": workflow.name_nn,
        "name_en": workflow.name_en,
        "description": workflow.description,
        "states": [{f: getattr(s, f) for f in STATE_FIELDS} for s in version.states.order_by("order", "key")],
        "transitions": [
            {**{f: getattr(t, f) for f in TRANSITION_FIELDS}, "from": t.from_state.key, "to": t.to_state.key}
            for t in version.transitions.select_related("from_state", "to_state").order_by("order", "pk")
        ],
    }


def _load_parts(version: WorkflowVersion, data: dict) -> None:
    states = {}
    for entry in data["states"]:
        state = State(version=version, **{f: entry[f] for f in STATE_FIELDS if f in entry})
        _clean_named(state, entry.get("key", "?"))
        state.save()
        states[state.key] = state
    for entry in data["transitions"]:
        try:
            from_state, to_state = states[entry["from"]], states[entry["to"]]
        except KeyError as error:
            raise DefinitionError(
                [_("%(action)s: no state “%(state)s”.") % {"action": entry.get("action"), "state": error.args[0]}]
            ) from error
        transition = Transition(
            version=version,
            from_state=from_state,
            to_state=to_state,
            **{f: entry[f] for f in TRANSITION_FIELDS if f in entry and entry[f] is not None},
        )
        _clean_named(transition, entry.get("action", "?"))
        transition.save()


def _clean_named(part, name: str) -> None:
    from django.core.exceptions import ValidationError

    try:
        part.full_clean()
    except ValidationError as error:
        raise DefinitionError([f"{name}: {message}" for message in error.messages]) from error


def import_workflow(data: dict, collaboration, user=None, *, activate: bool = False) -> WorkflowVersion:
    """Create (or add a version to) the collaboration's workflow from fixture data, validate and publish it."""
    from django.core.exceptions import ValidationError

    with transaction.atomic():
        workflow, _created = Workflow.objects.get_or_create(
            collaboration=collaboration,
            key=data["key"],
            defaults={
                "document_type": data["document_type"],
                "name": data["name"],
                "name_nn": data.get("name_nn", ""),
                "name_en": data.get("name_en", ""),
                "description": data.get("description", ""),
            },
        )
        latest = workflow.versions.order_by("-number").first()
        version = WorkflowVersion.objects.create(workflow=workflow, number=(latest.number + 1) if latest else 1)
        try:
            _load_parts(version, data)
        except ValidationError as error:
            raise DefinitionError(error.messages) from error
        publish(version, user)
        if activate:
            set_active(workflow)
    return version


def set_active(workflow: Workflow) -> Workflow:
    """Make `workflow` the one new documents of its kind follow in its collaboration (one at a time)."""
    if not workflow.versions.filter(status=WorkflowVersion.Status.PUBLISHED).exists():
        raise DefinitionError([_("Publish a version of the workflow before making it active.")])
    with transaction.atomic(), acting_as("collaboration_admin"):
        for other in Workflow.objects.filter(
            collaboration_id=workflow.collaboration_id, document_type=workflow.document_type, is_active=True
        ).exclude(pk=workflow.pk):
            other.is_active = False
            other.save(update_fields=["is_active"])
        workflow.is_active = True
        workflow.save(update_fields=["is_active"])
    return workflow


def migrate_documents(documents, to_version: WorkflowVersion, state_mapping: dict[str, str], user) -> int:
    """Move documents under way to another published version; each state maps to one in the new version.
    Logged on each document's history."""
    if to_version.status != WorkflowVersion.Status.PUBLISHED:
        raise DefinitionError([_("Documents can only move to a published version.")])
    target_keys = set(to_version.states.values_list("key", flat=True))
    moved = 0
    with transaction.atomic():
        for document in documents.select_for_update():
            subject = registration_for(document).subject
            if (
                to_version.workflow.collaboration_id != subject.collaboration_id(document)
                or to_version.workflow.document_type != document._meta.label_lower
            ):
                raise DefinitionError([_("The version belongs to another collaboration or kind of document.")])
            new_key = state_mapping.get(document.state, document.state)
            if new_key not in target_keys:
                raise DefinitionError(
                    [_("The state “%(state)s” has no counterpart in the new version.") % {"state": document.state}]
                )
            type(document)._default_manager.filter(pk=document.pk).update(
                workflow_version=to_version, state=new_key, workflow_revision=document.workflow_revision + 1
            )
            TransitionLog.record(
                document,
                to_version.workflow.collaboration_id,
                version=to_version,
                action="migrate",
                from_state=document.state,
                to_state=new_key,
                actor=user,
                capacity=Capacity.COLLABORATION_ADMIN,
                comment=_("Moved to workflow version %(number)s.") % {"number": to_version.number},
            )
            moved += 1
    return moved
