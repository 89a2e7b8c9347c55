"""The portfolio plan: periods (a year or a tertial), each period's budget frame and delivery capacity, and the
scenarios the portfolio council works through ("what fits": the best set of candidate needs under the frame,
with the council's locks and a reason for every item left out).

Who sees and changes what: see `permissions`. The rules (and every write) are in `services`; the solver is in
`solver`.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.core.audit import audited
from ikt_portfolio.core.money import MoneyField
from ikt_portfolio.members.models import CollaborationScoped
from ikt_portfolio.members.permissions import ScopedQuerySet, is_operator

from .permissions import planner_collaboration_ids

# Tertials: January–April, May–August, September–December.
TERTIAL_MONTHS = {1: (1, 4), 2: (5, 8), 3: (9, 12)}


def _last_day(year: int, month: int) -> datetime.date:
    if month == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)


def period_dates(kind: str, year: int, number: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a period (both inclusive)."""
    if kind == Period.Kind.YEAR:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    first, last = TERTIAL_MONTHS[number]
    return datetime.date(year, first, 1), _last_day(year, last)


def period_label(kind: str, year: int, number: int) -> str:
    if kind == Period.Kind.YEAR:
        return str(year)
    return gettext("%(year)s, tertial %(number)s") % {"year": year, "number": number}


class Period(CollaborationScoped, models.Model):
    """A planning period of a collaboration: a year, or one of its three tertials."""

    class Kind(models.TextChoices):
        YEAR = "year", _("year")
        TERTIAL = "tertial", _("tertial")

    collaboration = models.ForeignKey(
        "ikt_members.Collaboration",
        on_delete=models.CASCADE,
        related_name="portfolio_periods",
        verbose_name=_("collaboration"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.YEAR)
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    number = models.PositiveSmallIntegerField(
        _("number"),
        default=0,
        help_text=_("For a tertial: 1 (January–April), 2 (May–August) or 3 (September–December); 0 for a year."),
    )
    starts_on = models.DateField(_("starts on"), editable=False)
    ends_on = models.DateField(_("ends on"), editable=False)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("planning period")
        verbose_name_plural = _("planning periods")
        ordering = ["collaboration", "starts_on", "-ends_on"]
        constraints = [
            models.UniqueConstraint(fields=["collaboration", "kind", "year", "number"], name="ikt_plan_period_once"),
            models.CheckConstraint(
                condition=models.Q(kind="year", number=0) | models.Q(kind="tertial", number__gte=1, number__lte=3),
                name="ikt_plan_period_number",
            ),
        ]
        indexes = [models.Index(fields=["collaboration", "starts_on", "ends_on"])]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        if self.year and (self.kind == self.Kind.YEAR or self.number in TERTIAL_MONTHS):
            self.starts_on, self.ends_on = period_dates(self.kind, self.year, self.number)
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return period_label(self.kind, self.year, self.number)

    @property
    def slug(self) -> str:
        """How the portal names the period in its address: "2026" or "2026-t1"."""
        return str(self.year) if self.kind == self.Kind.YEAR else f"{self.year}-t{self.number}"

    def clean(self) -> None:
        if self.kind == self.Kind.YEAR and self.number:
            raise ValidationError({"number": _("A year has no number; leave it 0.")})
        if self.kind == self.Kind.TERTIAL and self.number not in TERTIAL_MONTHS:
            raise ValidationError({"number": _("A tertial is number 1, 2 or 3.")})


class BudgetFrame(CollaborationScoped, models.Model):
    """What the period may spend (NOK) and deliver (person-months): the owners' guidance the plan keeps within."""

    scope_path = "period__collaboration"
    scope_fields = ("period",)

    period = models.OneToOneField(
        Period, on_delete=models.CASCADE, related_name="budget_frame", verbose_name=_("period")
    )
    budget = MoneyField(_("budget (NOK)"), validators=[MinValueValidator(0)])
    capacity = models.DecimalField(
        _("delivery capacity (person-months)"),
        max_digits=8,
        decimal_places=1,
        validators=[MinValueValidator(0)],
        help_text=_("What the collaboration can deliver in the period, in person-months."),
    )
    note = models.CharField(
        _("decision reference"), max_length=300, blank=True, help_text=_("E.g. the board's case number.")
    )
    decided = models.BooleanField(_("decided"), default=False, help_text=_("A decided frame can no longer change."))
    decided_by = models.ForeignKey(
        "ikt_members.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("budget frame")
        verbose_name_plural = _("budget frames")
        ordering = ["period__collaboration", "period__starts_on", "-period__ends_on"]

    def __str__(self) -> str:
        return gettext("Budget frame %(period)s") % {"period": self.period}


class ScenarioQuerySet(ScopedQuerySet):
    """Everyone in the collaboration sees its scenarios; its planners (the council's chair and secretary, the
    administrators) change them."""

    def editable_by(self, user):
        if is_operator(user):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(self.scope_filter(planner_collaboration_ids(user)))


class Scenario(CollaborationScoped, models.Model):
    """One way of filling a period: the council's locks, the limits used, and the solver's answer."""

    scope_path = "period__collaboration"
    scope_fields = ("period",)

    class Status(models.TextChoices):
        NOT_SOLVED = "not_solved", _("not solved yet")
        OPTIMAL = "optimal", _("best set found")
        FEASIBLE = "feasible", _("good set found, not proven best")

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="scenarios", verbose_name=_("period"))
    name = models.CharField(_("name"), max_length=120)
    created_by = models.ForeignKey(
        "ikt_members.Person", on_delete=models.PROTECT, related_name="+", null=True, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    budget = MoneyField(
        _("budget (NOK)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty: the period's budget frame."),
    )
    capacity = models.DecimalField(
        _("delivery capacity (person-months)"),
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty: the period's budget frame."),
    )
    # The solver's answer.
    status = models.CharField(_("solver status"), max_length=20, choices=Status.choices, default=Status.NOT_SOLVED)
    stale = models.BooleanField(
        _("out of date"), default=False, help_text=_("Locks or limits changed since it was solved.")
    )
    budget_used = MoneyField(_("budget used for solving (NOK)"), null=True, blank=True)
    capacity_used = models.DecimalField(
        _("capacity used for solving (person-months)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    objective = models.DecimalField(
        _("total score of the chosen items"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    total_cost = MoneyField(_("cost of the chosen items (NOK)"), null=True, blank=True)
    total_effort = models.DecimalField(
        _("effort of the chosen items (person-months)"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    solved_by = models.ForeignKey(
        "ikt_members.Person",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("solved by"),
    )
    solve_ms = models.PositiveIntegerField(_("time to solve (ms)"), null=True, blank=True)
    history = audited()

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ["period__starts_on", "-period__ends_on", "created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["period", "name"], name="ikt_plan_scenario_name")]
        indexes = [models.Index(fields=["period", "created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.period})"

    @property
    def is_solved(self) -> bool:
        return self.status != self.Status.NOT_SOLVED


class Lock(models.TextChoices):
    NONE = "", _("not locked")
    IN = "in", _("locked in")
    OUT = "out", _("locked out")


class Reason(models.TextChoices):
    """Why an item is in or out of a solved scenario (the text, with its numbers, is `services.reason_text`)."""

    CHOSEN = "chosen", _("chosen")
    LOCKED_IN = "locked_in", _("locked in")
    LOCKED_OUT = "locked_out", _("locked out")
    NO_ESTIMATE = "no_estimate", _("no estimate")
    BUDGET = "budget", _("does not fit the budget")
    CAPACITY = "capacity", _("does not fit the capacity")
    SCORE = "score", _("a better-scoring set uses the room")


class ScenarioItem(CollaborationScoped, models.Model):
    """A candidate need in a scenario: the council's lock, and after solving whether it was chosen and why,
    with the score and estimate it was solved with (a snapshot: the assessment may change later)."""

    scope_path = "scenario__period__collaboration"
    scope_fields = ("scenario",)

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="items", verbose_name=_("scenario"))
    need = models.ForeignKey("ikt_needs.Need", on_delete=models.CASCADE, related_name="+", verbose_name=_("need"))
    lock = models.CharField(_("lock"), max_length=3, choices=Lock.choices, blank=True, default=Lock.NONE)
    lock_note = models.CharField(_("why locked"), max_length=300, blank=True)
    locked_by = models.ForeignKey(
        "ikt_members.Person",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("locked by"),
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    chosen = models.BooleanField(_("chosen"), default=False)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    reason_values = models.JSONField(_("reason details"), default=dict, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    score = models.DecimalField(_("score (0–100)"), max_digits=5, decimal_places=2, null=True, blank=True)
    cost = MoneyField(_("estimated cost (NOK)"), null=True, blank=True)
    effort = models.DecimalField(
        _("estimated effort (person-months)"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("scenario item")
        verbose_name_plural = _("scenario items")
        ordering = ["scenario", "rank", "pk"]
        constraints = [models.UniqueConstraint(fields=["scenario", "need"], name="ikt_plan_item_once")]
        indexes = [models.Index(fields=["scenario", "chosen", "rank"]), models.Index(fields=["scenario", "lock"])]

    def __str__(self) -> str:
        return f"{self.scenario}: {self.need_id}"

    @property
    def has_estimate(self) -> bool:
        return self.cost is not None and self.effort is not None
