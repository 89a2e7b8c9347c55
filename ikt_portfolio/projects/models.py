"""Projects: made from approved needs, driven through phases and gate decisions by the workflow engine (the KS
guide's or Digdir's phases, see `fixtures/`), with each member's participation and receiving project
(mottaksprosjekt), the budget by year, actual costs, status reports and risks.

Who sees and changes what: see `permissions`. Every write goes through `services`.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.core.audit import audited
from ikt_portfolio.core.models import TranslatedName
from ikt_portfolio.core.money import MoneyField
from ikt_portfolio.members.models import CollaborationScoped
from ikt_portfolio.members.permissions import ScopedQuerySet, is_operator, person_of
from ikt_portfolio.workflow.models import WorkflowDocument

from .permissions import insider_collaboration_ids

TEXT_LIMIT = 5000


class ProjectQuerySet(ScopedQuerySet):
    def readable_by(self, user):
        """Projects whose page the user may see (see `permissions`); the list is `visible_to`."""
        if is_operator(user):
            return self
        person = person_of(user)
        if person is None:
            return self.none()
        visible = self.visible_to(user)
        rule = models.Q(collaboration_id__in=insider_collaboration_ids(user))
        rule |= models.Q(owner_id=person.pk) | models.Q(manager_id=person.pk)
        if person.municipality_id:
            rule |= models.Q(
                pk__in=Participation.objects.filter(municipality_id=person.municipality_id).values("project_id")
            )
        return visible.filter(rule)


class Project(CollaborationScoped, WorkflowDocument):
    collaboration = models.ForeignKey(
        "ikt_members.Collaboration", on_delete=models.CASCADE, related_name="projects", verbose_name=_("collaboration")
    )
    number = models.PositiveIntegerField(_("number"), editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), validators=[MaxLengthValidator(20000)])
    service_areas = models.ManyToManyField(
        "ikt_members.ServiceArea", blank=True, related_name="projects", verbose_name=_("service areas")
    )
    needs = models.ManyToManyField(
        "ikt_needs.Need",
        blank=True,
        related_name="projects",
        verbose_name=_("needs"),
        help_text=_("The approved needs the project was made from."),
    )
    owner = models.ForeignKey(
        "ikt_members.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_projects",
        verbose_name=_("project owner"),
    )
    manager = models.ForeignKey(
        "ikt_members.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_projects",
        verbose_name=_("project manager"),
    )
    expected_benefits = models.TextField(_("expected benefits"), blank=True, validators=[MaxLengthValidator(20000)])
    expected_benefit_nok = MoneyField(
        _("expected yearly benefit (NOK)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    estimated_cost = MoneyField(_("estimated cost (NOK)"), null=True, blank=True, validators=[MinValueValidator(0)])
    estimated_effort = models.DecimalField(
        _("estimated effort (person-months)"),
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = audited(excluded_fields=list(WorkflowDocument.ENGINE_FIELDS))

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["collaboration", "number"], name="ikt_project_number")]
        indexes = [
            models.Index(fields=["collaboration", "state"]),
            models.Index(fields=["owner", "state"]),
            models.Index(fields=["manager", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def reference(self) -> str:
        return f"P-{self.number}"


class ProjectPart(CollaborationScoped, models.Model):
    """A row of a project's record: scoped through its project."""

    scope_path = "project__collaboration"
    scope_fields = ("project",)

    class Meta:
        abstract = True


class Participation(ProjectPart):
    """A member municipality's part in a project. Members differ: one takes part now, another postpones
    adopting the result to a date, a third opts out with its reason."""

    class Status(models.TextChoices):
        PARTICIPATES = "participates", _("participates")
        POSTPONES = "postpones", _("postpones")
        OPTS_OUT = "opts_out", _("opts out")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="participations", verbose_name=_("project")
    )
    municipality = models.ForeignKey(
        "ikt_members.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PARTICIPATES)
    postponed_until = models.DateField(
        _("postponed until"), null=True, blank=True, help_text=_("When the member will adopt the result.")
    )
    reason = models.TextField(
        _("reason"),
        blank=True,
        validators=[MaxLengthValidator(TEXT_LIMIT)],
        help_text=_("Required when the member opts out."),
    )
    decided_at = models.DateTimeField(
        _("decided at"),
        null=True,
        blank=True,
        help_text=_("Empty while the participation is only proposed (from the needs' submitter and co-signers)."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["project", "municipality__name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "municipality"], name="ikt_participation_once"),
            models.CheckConstraint(
                condition=~models.Q(status="postpones") | models.Q(postponed_until__isnull=False),
                name="ikt_participation_postpone_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="opts_out") | ~models.Q(reason=""), name="ikt_participation_optout_reason"
            ),
        ]
        indexes = [models.Index(fields=["municipality", "status"])]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.get_status_display()}"


class ReceivingProject(ProjectPart):
    """A member's own project to take the result into use (mottaksprosjekt), owned in that municipality."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("not started")
        PLANNING = "planning", _("planning")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="receiving_projects", verbose_name=_("project")
    )
    municipality = models.ForeignKey(
        "ikt_members.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    owner = models.ForeignKey(
        "ikt_members.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receiving_projects",
        verbose_name=_("owner"),
        help_text=_("A person of that municipality."),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    notes = models.TextField(_("notes"), blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)])
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("receiving project")
        verbose_name_plural = _("receiving projects")
        ordering = ["project", "municipality__name"]
        constraints = [models.UniqueConstraint(fields=["project", "municipality"], name="ikt_receiving_once")]
        indexes = [models.Index(fields=["municipality", "status"])]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.get_status_display()}"

    def clean(self) -> None:
        if self.owner_id and self.municipality_id and self.owner.municipality_id != self.municipality_id:
            raise ValidationError({"owner": _("The owner must work in the municipality of the receiving project.")})


class BudgetLine(ProjectPart):
    """The project's budget for one year, investment or operation, split between the participating members by
    its cost-sharing key (see `costs`: members who opted out pay nothing unless the key says so)."""

    class Kind(models.TextChoices):
        INVESTMENT = "investment", _("investment")
        OPERATION = "operation", _("operation")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="budget_lines", verbose_name=_("project")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = MoneyField(_("amount (NOK)"), validators=[MinValueValidator(0)])
    note = models.CharField(_("note"), max_length=300, blank=True)
    key = models.ForeignKey(
        "ikt_costs.CostKey",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="project_budget_lines",
        verbose_name=_("cost-sharing key"),
        help_text=_("How the line is split between the participating members; empty: not shared yet."),
    )
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["project", "year", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year", "kind"], name="ikt_budgetline_once"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="ikt_budgetline_amount"),
        ]
        indexes = [models.Index(fields=["year", "kind"])]

    def __str__(self) -> str:
        return f"{self.year} {self.get_kind_display()}"


class ActualCost(ProjectPart):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="actual_costs", verbose_name=_("project")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(
        _("kind"), max_length=20, choices=BudgetLine.Kind.choices, default=BudgetLine.Kind.INVESTMENT
    )
    amount = MoneyField(_("amount (NOK)"), validators=[MinValueValidator(0)])
    description = models.CharField(_("description"), max_length=300)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("actual cost")
        verbose_name_plural = _("actual costs")
        ordering = ["project", "-date", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="ikt_actualcost_amount")]
        indexes = [models.Index(fields=["project", "date"])]

    def __str__(self) -> str:
        return f"{self.date}: {self.description}"


class Rag(models.TextChoices):
    GREEN = "green", _("green")
    AMBER = "amber", _("amber")
    RED = "red", _("red")


class StatusReport(ProjectPart):
    """A periodic status: red/amber/green on scope, time, cost and benefits, with a comment."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="status_reports", verbose_name=_("project")
    )
    period_end = models.DateField(_("period ending"), default=timezone.localdate)
    scope = models.CharField(_("scope"), max_length=10, choices=Rag.choices)
    time = models.CharField(_("time"), max_length=10, choices=Rag.choices)
    cost = models.CharField(_("cost"), max_length=10, choices=Rag.choices)
    benefits = models.CharField(_("benefits"), max_length=10, choices=Rag.choices)
    comment = models.TextField(_("comment"), validators=[MaxLengthValidator(TEXT_LIMIT)])
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("status report")
        verbose_name_plural = _("status reports")
        ordering = ["project", "-period_end", "-pk"]
        indexes = [models.Index(fields=["project", "period_end"])]

    def __str__(self) -> str:
        return f"{self.project.reference} {self.period_end}"


class Risk(ProjectPart):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        MITIGATED = "mitigated", _("mitigated")
        OCCURRED = "occurred", _("occurred")
        CLOSED = "closed", _("closed")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="risks", verbose_name=_("project"))
    description = models.TextField(_("description"), validators=[MaxLengthValidator(TEXT_LIMIT)])
    probability = models.PositiveSmallIntegerField(
        _("probability (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    consequence = models.PositiveSmallIntegerField(
        _("consequence (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    owner = models.ForeignKey(
        "ikt_members.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="project_risks",
        verbose_name=_("risk owner"),
    )
    mitigation = models.TextField(_("mitigation"), blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)])
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["project", "status", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__gte=1, probability__lte=5, consequence__gte=1, consequence__lte=5),
                name="ikt_risk_scale",
            )
        ]
        indexes = [models.Index(fields=["project", "status"])]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def score(self) -> int:
        return self.probability * self.consequence


class GateChecklistItem(CollaborationScoped, TranslatedName):
    """What must be in place before a gate is passed: per phase workflow, the state the gate leaves (and the
    gate's action). Loaded with the routing fixture (each transition's "checklist") and editable in the Desk."""

    scope_path = "workflow__collaboration"
    scope_fields = ("workflow",)

    workflow = models.ForeignKey(
        "ikt_workflow.Workflow", on_delete=models.CASCADE, related_name="+", verbose_name=_("phase workflow")
    )
    from_state = models.SlugField(_("phase (state key)"), max_length=50)
    action = models.SlugField(_("gate (action)"), max_length=50)
    key = models.SlugField(_("key"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("gate checklist item")
        verbose_name_plural = _("gate checklist items")
        ordering = ["workflow", "from_state", "action", "order", "key"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "from_state", "action", "key"], name="ikt_checklistitem_key")
        ]
        indexes = [models.Index(fields=["workflow", "from_state"])]


class ChecklistAnswer(ProjectPart):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="checklist_answers", verbose_name=_("project")
    )
    item = models.ForeignKey(GateChecklistItem, on_delete=models.CASCADE, related_name="answers")
    done = models.BooleanField(_("done"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), auto_now=True)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("checklist answer")
        verbose_name_plural = _("checklist answers")
        constraints = [models.UniqueConstraint(fields=["project", "item"], name="ikt_checklistanswer_once")]

    def __str__(self) -> str:
        return f"{self.item}: {'✓' if self.done else '–'}"
