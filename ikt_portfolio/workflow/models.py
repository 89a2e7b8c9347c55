"""Workflow definitions as data (Frappe's Workflow doctype carried over), and what the engine records.

A collaboration has, per document type, one active `Workflow`; its `WorkflowVersion`s hold the states and
transitions. A published version never changes: documents stay on the version they started on until they
are explicitly migrated. `WorkflowDocument` is the mixin a model inherits to be driven by the engine.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.core.audit import audited
from ikt_portfolio.core.models import Dated, TranslatedName
from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import Body, CollaborationScoped, DatedScopedQuerySet, Person
from ikt_portfolio.members.permissions import ScopedQuerySet


class StateCategory(models.TextChoices):
    OPEN = "open", _("open")
    WAITING = "waiting", _("waiting")
    DONE = "done", _("done")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")


FINAL_CATEGORIES = {StateCategory.DONE, StateCategory.REJECTED, StateCategory.CANCELLED}


class VoteRule(models.TextChoices):
    N_OF_M = "n_of_m", _("N of M members")
    MAJORITY = "majority", _("simple majority of the members")
    UNANIMITY = "unanimity", _("unanimity")


class Workflow(CollaborationScoped, TranslatedName):
    collaboration = models.ForeignKey(
        "ikt_members.Collaboration", on_delete=models.CASCADE, related_name="workflows", verbose_name=_("collaboration")
    )
    document_type = models.CharField(
        _("document type"), max_length=100, help_text=_("The kind of document the workflow routes, e.g. needs.")
    )
    key = models.SlugField(_("key"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(
        _("active"), default=False, help_text=_("New documents of this type in the collaboration follow it.")
    )
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("workflow")
        verbose_name_plural = _("workflows")
        ordering = ["collaboration", "document_type", "key"]
        constraints = [models.UniqueConstraint(fields=["collaboration", "key"], name="ikt_workflow_key")]
        indexes = [models.Index(fields=["collaboration", "document_type", "is_active"])]

    def clean(self) -> None:
        if self.is_active and self.collaboration_id:
            others = Workflow.objects.filter(
                collaboration_id=self.collaboration_id, document_type=self.document_type, is_active=True
            ).exclude(pk=self.pk)
            if others.exists():
                raise ValidationError(
                    {
                        "is_active": _("“%(name)s” is already active for this kind of document; use “Make active”.")
                        % {"name": others.first()}
                    }
                )


class WorkflowVersion(CollaborationScoped, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        RETIRED = "retired", _("retired")

    scope_path = "workflow__collaboration"
    scope_fields = ("workflow",)

    workflow = models.ForeignKey(
        Workflow, on_delete=models.CASCADE, related_name="versions", verbose_name=_("workflow")
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("workflow version")
        verbose_name_plural = _("workflow versions")
        ordering = ["workflow", "-number"]
        constraints = [models.UniqueConstraint(fields=["workflow", "number"], name="ikt_workflowversion_number")]

    def __str__(self) -> str:
        return f"{self.workflow} v{self.number} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class VersionPart(CollaborationScoped, models.Model):
    """States and transitions: parts of one version, frozen once it is published."""

    scope_path = "version__workflow__collaboration"
    scope_fields = ("version",)

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.version_id and not self.version.is_editable:
            raise ValidationError(_("A published workflow version cannot change: make a new draft of it."))
        self.clean_rules()

    def clean_rules(self) -> None:
        """The part's own rules, apart from the version being frozen (validation on publish uses them)."""


def capacity_list_validator(value) -> None:
    if not isinstance(value, list):
        raise ValidationError(
            _("Give a list of capacities among: %(choices)s.") % {"choices": ", ".join(Capacity.values)}
        )
    unknown = [str(item) for item in value if item not in Capacity.values]
    if unknown:
        raise ValidationError(
            _("Unknown capacities: %(unknown)s. Choose among: %(choices)s.")
            % {"unknown": ", ".join(unknown), "choices": ", ".join(Capacity.values)}
        )


class State(VersionPart, TranslatedName):
    version = models.ForeignKey(WorkflowVersion, on_delete=models.CASCADE, related_name="states")
    key = models.SlugField(_("key"), max_length=50)
    category = models.CharField(_("category"), max_length=20, choices=StateCategory.choices)
    is_initial = models.BooleanField(_("initial state"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    edit_capacities = models.JSONField(
        _("who may edit"),
        default=list,
        blank=True,
        validators=[capacity_list_validator],
        help_text=_("Capacities that may edit the document in this state."),
    )
    editable_fields = models.JSONField(
        _("editable fields"), default=list, blank=True, help_text=_("Fields they may edit; empty means all.")
    )
    deadline_days = models.PositiveSmallIntegerField(
        _("deadline (days in state)"), null=True, blank=True, help_text=_("A reminder goes out when it passes.")
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        _("escalate after (days past deadline)"), null=True, blank=True
    )
    escalate_to = models.CharField(
        _("escalate to"), max_length=40, choices=Capacity.choices, blank=True, help_text=_("Who is told then.")
    )
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("state")
        verbose_name_plural = _("states")
        ordering = ["version", "order", "key"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="ikt_state_key")]

    def __str__(self) -> str:
        return self.localized_name

    @property
    def is_final(self) -> bool:
        return self.category in FINAL_CATEGORIES


class Transition(VersionPart):
    version = models.ForeignKey(WorkflowVersion, on_delete=models.CASCADE, related_name="transitions")
    action = models.SlugField(_("action"), max_length=50)
    label = models.CharField(_("label (bokmål)"), max_length=120)
    label_nn = models.CharField(_("label (nynorsk)"), max_length=120, blank=True)
    label_en = models.CharField(_("label (English)"), max_length=120, blank=True)
    from_state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="outgoing", verbose_name=_("from"))
    to_state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="incoming", verbose_name=_("to"))
    allowed_capacities = models.JSONField(
        _("allowed capacities"),
        default=list,
        blank=True,
        validators=[capacity_list_validator],
        help_text=_(
            "Who may take the action. A capacity held for one service area or municipality counts only for "
            "documents of that area; “submitter” means the document's own submitter."
        ),
    )
    condition = models.TextField(
        _("condition"),
        blank=True,
        help_text=_("An expression on the document, e.g. “estimated_cost > 500000 or strategic”. Empty: always."),
    )
    comment_required = models.BooleanField(_("comment required"), default=False)
    allow_self_approval = models.BooleanField(
        _("allow self-approval"), default=False, help_text=_("May the document's own submitter take this action?")
    )
    committee = models.CharField(
        _("decided by body"),
        max_length=20,
        choices=Body.Kind.choices,
        blank=True,
        help_text=_("Set for a committee decision: the members of this body vote."),
    )
    vote_rule = models.CharField(_("vote rule"), max_length=20, choices=VoteRule.choices, blank=True)
    votes_required = models.PositiveSmallIntegerField(_("votes required (N)"), null=True, blank=True)
    quorum = models.PositiveSmallIntegerField(
        _("quorum"), default=0, help_text=_("Votes (including abstentions) needed before the decision is valid.")
    )
    veto_allowed = models.BooleanField(_("veto allowed"), default=False)
    awaited = models.BooleanField(
        _("awaited"),
        default=True,
        help_text=_(
            "Someone is expected to take it: it puts the item in their inbox. Off for options such as withdrawing."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        ordering = ["version", "from_state__order", "order", "action"]
        constraints = [
            models.UniqueConstraint(fields=["version", "from_state", "action"], name="ikt_transition_action")
        ]

    def __str__(self) -> str:
        return f"{self.localized_label}: {self.from_state.key} → {self.to_state.key}"

    @property
    def localized_label(self) -> str:
        language = (get_language() or "nb")[:2]
        return {"nn": self.label_nn, "en": self.label_en}.get(language) or self.label

    @property
    def is_committee(self) -> bool:
        return bool(self.committee)

    def clean_rules(self) -> None:
        if self.from_state_id and self.to_state_id and self.version_id:
            if self.from_state.version_id != self.version_id or self.to_state.version_id != self.version_id:
                raise ValidationError(_("Both states must belong to the same workflow version."))
        if self.committee:
            if not self.vote_rule:
                raise ValidationError({"vote_rule": _("A committee decision needs a vote rule.")})
            if self.vote_rule == VoteRule.N_OF_M and not self.votes_required:
                raise ValidationError({"votes_required": _("Say how many yes votes (N) are needed.")})
        elif not self.allowed_capacities:
            raise ValidationError(
                {
                    "allowed_capacities": _(
                        "Say who may take the action (now nobody may), or make it a committee decision."
                    )
                }
            )


class WorkflowDocument(models.Model):
    """Mixin for a model driven by the workflow engine. Its state fields are written only by the engine:
    `save()` leaves them out, and the engine moves a document with a conditional update."""

    workflow_version = models.ForeignKey(
        WorkflowVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("workflow version"),
    )
    state = models.CharField(_("status"), max_length=50, blank=True, editable=False, db_index=True)
    state_entered_at = models.DateTimeField(_("in this status since"), null=True, blank=True, editable=False)
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True, editable=False, db_index=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    workflow_revision = models.PositiveIntegerField(default=0, editable=False)

    ENGINE_FIELDS = (
        "workflow_version",
        "state",
        "state_entered_at",
        "deadline_at",
        "reminder_sent_at",
        "escalated_at",
        "workflow_revision",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.ENGINE_FIELDS
            ]
        super().save(*args, **kwargs)


class TransitionLogQuerySet(ScopedQuerySet):
    def of(self, document):
        from django.contrib.contenttypes.models import ContentType

        return self.filter(content_type=ContentType.objects.get_for_model(document), object_id=document.pk)


class TransitionLog(models.Model):
    """Every state change and what led to it: the audit trail of a document's route."""

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    collaboration = models.ForeignKey(
        "ikt_members.Collaboration", on_delete=models.CASCADE, related_name="+", verbose_name=_("collaboration")
    )
    version = models.ForeignKey(WorkflowVersion, on_delete=models.PROTECT, related_name="+")
    transition = models.ForeignKey(Transition, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(_("action"), max_length=50)
    from_state = models.CharField(_("from"), max_length=50, blank=True)
    to_state = models.CharField(_("to"), max_length=50)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("by")
    )
    capacity = models.CharField(_("in the capacity of"), max_length=40, blank=True)
    on_behalf_of = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("on behalf of")
    )
    comment = models.TextField(_("comment"), blank=True)
    ballot = models.ForeignKey("Ballot", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    objects = TransitionLogQuerySet.as_manager()
    scope_path = "collaboration"

    class Meta:
        verbose_name = _("transition log entry")
        verbose_name_plural = _("transition log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"

    @classmethod
    def record(cls, document, collaboration_id: int, **fields) -> "TransitionLog":
        from django.contrib.contenttypes.models import ContentType

        return cls.objects.create(
            content_type=ContentType.objects.get_for_model(document),
            object_id=document.pk,
            collaboration_id=collaboration_id,
            **fields,
        )


class Ballot(models.Model):
    """A committee decision under way: the votes of a body's members on one transition of one document."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("open")
        PASSED = "passed", _("passed")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    collaboration = models.ForeignKey("ikt_members.Collaboration", on_delete=models.CASCADE, related_name="+")
    transition = models.ForeignKey(Transition, on_delete=models.PROTECT, related_name="ballots")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("body"))
    eligible = models.JSONField(_("eligible voters"), default=list, help_text=_("Person ids with a vote."))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.OPEN)
    # Set while open, so the database refuses a second open ballot on the same decision (NULLs don't clash).
    open_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "collaboration"

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        indexes = [models.Index(fields=["content_type", "object_id", "outcome"])]

    def __str__(self) -> str:
        return f"{self.transition.action} ({self.get_outcome_display()})"


class Vote(models.Model):
    class Choice(models.TextChoices):
        YES = "yes", _("yes")
        NO = "no", _("no")
        ABSTAIN = "abstain", _("abstain")
        VETO = "veto", _("veto")

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("vote of"))
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("cast by")
    )
    capacity = models.CharField(_("in the capacity of"), max_length=40)
    choice = models.CharField(_("vote"), max_length=10, choices=Choice.choices)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["ballot", "voter"], name="ikt_vote_once")]

    def __str__(self) -> str:
        return f"{self.voter}: {self.get_choice_display()}"


class DelegationQuerySet(DatedScopedQuerySet):
    def in_force(self, day=None):
        return self.active_on(day).filter(revoked_at__isnull=True)


class Delegation(CollaborationScoped, Dated):
    """A person lets a substitute act in their capacities (all, or the listed ones) for a period."""

    collaboration = models.ForeignKey("ikt_members.Collaboration", on_delete=models.CASCADE, related_name="delegations")
    delegator = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="delegations_given", verbose_name=_("delegated by")
    )
    delegate = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="delegations_received", verbose_name=_("substitute")
    )
    capacities = models.JSONField(
        _("capacities"),
        default=list,
        blank=True,
        validators=[capacity_list_validator],
        help_text=_("Empty: all the delegator's capacities."),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = audited()

    objects = DelegationQuerySet.as_manager()

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-valid_from"]
        constraints = [Dated.dates_constraint("ikt_delegation_dates")]
        indexes = [models.Index(fields=["delegate", "valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.period_display()})"

    def clean(self) -> None:
        self.clean_dates()
        if self.delegator_id and self.delegator_id == self.delegate_id:
            raise ValidationError({"delegate": _("A person cannot delegate to themselves.")})


class Notification(models.Model):
    """The outbox: written in the same transaction as the change it tells of, shown in-app at once, and
    e-mailed by the worker (retried with back-off), so a Redis or SMTP outage loses nothing."""

    class EmailStatus(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("not sent by e-mail")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=30)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("message"))
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["email_status", "next_attempt_at"]),
            models.Index(fields=["recipient", "read_at"]),
        ]

    def __str__(self) -> str:
        return self.subject
