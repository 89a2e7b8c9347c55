"""Document types register here to be driven by the engine. The engine knows nothing of needs, projects
or benefits: it asks their `WorkflowSubject` what it needs to know about a document."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class ActionInput:
    """A value an action needs besides the comment, e.g. which need a duplicate is merged into. The Desk, the
    portal and the API ask for it and pass it to `WorkflowSubject.take_action`."""

    name: str
    label: str
    help_text: str = ""


class WorkflowSubject:
    """How the engine sees one kind of document. Subclass it and register it with `register`."""

    model: type[models.Model]
    label = ""  # shown in the Desk and the API, e.g. _("need")
    select_related: tuple[str, ...] = ()  # what conditions, scope and titles read, loaded with the document
    # The foreign key to the Person who submitted the document: it makes "submitter" document-relative
    # (only this document's submitter holds it) and refuses self-approval to that person.
    submitter_field: str | None = None

    def collaboration_id(self, document) -> int:
        return document.collaboration_id

    def scope(self, document) -> dict:
        """What limits capacities held for part of a collaboration, e.g. {"service_area_id": 3}."""
        return {}

    def people_in(self, document, capacity: str) -> set[int] | None:
        """Person ids who hold a document-relative capacity (the submitter of *this* document), or None
        when the capacity is not document-relative for this type."""
        if capacity == "submitter" and self.submitter_field:
            return {getattr(document, f"{self.submitter_field}_id")}
        return None

    def relative_filter(self, capacity: str, person_ids: set[int]):
        """A Q narrowing documents to those where one of `person_ids` holds the document-relative
        `capacity` (used by the inbox), or None when the capacity is not document-relative."""
        if capacity == "submitter" and self.submitter_field:
            return models.Q(**{f"{self.submitter_field}_id__in": person_ids})
        return None

    def owner_person_id(self, document) -> int | None:
        """The person whose own document it is (self-approval is refused to them)."""
        return getattr(document, f"{self.submitter_field}_id") if self.submitter_field else None

    def condition_variables(self, document) -> dict:
        """Names a transition's condition may use."""
        return {}

    def prefetch_condition_variables(self, documents) -> None:
        """Load what `condition_variables` reads for many documents at once (the inbox weighs every candidate
        document): override when the variables need queries, and keep the result on the documents."""

    def recipients(self, document) -> set[int]:
        """User ids told of every step (submitter, co-signers, followers)."""
        return set()

    def title(self, document) -> str:
        return str(document)

    def link(self, document) -> str:
        return ""

    # Actions that need more than a comment: {action: (ActionInput, ...)}.
    action_inputs: dict[str, tuple[ActionInput, ...]] = {}

    def take_action(self, document, action: str, user, *, comment: str, revision: int | None, inputs: dict):
        """Carry out `action` as `user` and return the transition log entry. Override for actions that change
        more than the state (they call the engine's `perform` inside their own transaction); a ValidationError
        raised here reaches the user as a refusal with nothing written."""
        from .services.engine import perform

        return perform(document, action, user, comment=comment, revision=revision)


@dataclass
class Registration:
    label: str  # "app_label.modelname"
    model: type[models.Model]
    subject: WorkflowSubject


_registry: dict[str, Registration] = {}


def register(subject: WorkflowSubject) -> WorkflowSubject:
    label = subject.model._meta.label_lower
    _registry[label] = Registration(label, subject.model, subject)
    return subject


def document_types() -> dict[str, Registration]:
    return dict(_registry)


def registration_for(document_or_label) -> Registration:
    label = document_or_label if isinstance(document_or_label, str) else document_or_label._meta.label_lower
    try:
        return _registry[label]
    except KeyError:
        raise LookupError(f"{label} is not registered with the workflow engine") from None


# ---------------------------------------------------------------------------- collaboration variables

# Names a transition's condition may use whose value is a setting of the document's collaboration kept by
# another app, e.g. the council's `board_threshold` ("estimated_cost > board_threshold or strategic"): the
# setting is changed where it belongs, and every routing that names it follows.
_collaboration_variables: dict[str, Callable[[int], object]] = {}


def register_variable(name: str, value: Callable[[int], object]) -> None:
    """Let conditions use `name`; `value(collaboration_id)` reads it (only when a condition uses it, so it
    should be cheap: it may run once per document in a list)."""
    _collaboration_variables[name] = value


def variable_names() -> set[str]:
    return set(_collaboration_variables)


class _Variables(dict):
    """The document's own variables; the collaboration's are read only when a condition names one."""

    def __init__(self, own: dict, collaboration_id: int):
        super().__init__(own)
        self.collaboration_id = collaboration_id

    def __missing__(self, key):
        value = _collaboration_variables[key](self.collaboration_id)  # KeyError: an unknown name
        self[key] = value
        return value


def condition_variables(document) -> dict:
    """What a transition's condition on `document` may read: the document type's variables (they win) and
    the registered collaboration variables."""
    subject = registration_for(document).subject
    return _Variables(subject.condition_variables(document), subject.collaboration_id(document))


# ------------------------------------------------------------------------------------- more deadline sweeps

# Other apps' time-driven reminders (e.g. the benefits' measurements due) run with the engine's deadline sweep:
# `services.run_deadlines` calls each registered sweep and adds its counts, and `workflow_tick` prints them.


@dataclass(frozen=True)
class DeadlineSweep:
    name: str
    # run(now) -> {"reminded": n, "escalated": m}; it commits its own work, claimed so two sweeps never tell twice
    run: Callable[[datetime.datetime], dict[str, int]]
    # workflow_tick's line for it: a lazily translated text with %(reminded)s and %(escalated)s placeholders
    report: str = ""


_deadline_sweeps: dict[str, DeadlineSweep] = {}


def register_deadline_sweep(name: str, run: Callable[[datetime.datetime], dict[str, int]], report: str = "") -> None:
    """Run `run(now)` with every deadline sweep; registering a name again replaces it."""
    _deadline_sweeps[name] = DeadlineSweep(name, run, report)


def deadline_sweeps() -> list[DeadlineSweep]:
    return list(_deadline_sweeps.values())
