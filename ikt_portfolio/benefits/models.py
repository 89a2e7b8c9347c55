"""Benefits realisation (gevinstrealisering): each project's benefits plan, the indicators that measure each
benefit, every participating member's own baseline, target and benefit owner (gevinstansvarlig), and the
measurements over time. The arithmetic (realisation, the member report) and every write of a measurement are in
`services`; who sees and records what is in `permissions`.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.core.audit import audited
from ikt_portfolio.core.money import MoneyField
from ikt_portfolio.members.models import CollaborationScoped
from ikt_portfolio.members.permissions import ScopedQuerySet
from ikt_portfolio.workflow.models import WorkflowDocument

TEXT_LIMIT = 5000
VALUE = {"max_digits": 18, "decimal_places": 4}


class Benefit(CollaborationScoped, WorkflowDocument):
    """Something a project should gain the members, realised in their own services. Its lifecycle (identified,
    planned, being realised, realised / partly / not realised, verified) is a workflow (`benefits.workflow`)."""

    scope_path = "project__collaboration"
    scope_fields = ("project",)

    class Type(models.TextChoices):
        ECONOMIC = "economic", _("economic")
        QUALITY = "quality", _("quality")
        EFFICIENCY = "efficiency", _("efficiency and productivity")
        REDUCED_VULNERABILITY = "reduced_vulnerability", _("reduced vulnerability")

    class Gain(models.TextChoices):
        PRODUCTIVITY = "productivity", _("productivity gain (time freed for other work)")
        COST_CUT = "cost_cut", _("cost cut (money no longer spent)")
        NONE = "none", _("neither")

    project = models.ForeignKey(
        "ikt_projects.Project", on_delete=models.CASCADE, related_name="benefits", verbose_name=_("project")
    )
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=30, choices=Type.choices)
    description = models.TextField(_("description"), blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)])
    service_area = models.ForeignKey(
        "ikt_members.ServiceArea",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="benefits",
        verbose_name=_("service area"),
        help_text=_("Where the benefit is realised."),
    )
    gain = models.CharField(_("kind of gain"), max_length=20, choices=Gain.choices, default=Gain.NONE)
    monetary = models.BooleanField(_("monetary"), default=False, help_text=_("Counted in NOK in the members' reports."))
    yearly_value = MoneyField(
        _("yearly value per member (NOK)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("What the benefit is worth to each participating member in a year when fully realised."),
    )
    history = audited(excluded_fields=list(WorkflowDocument.ENGINE_FIELDS))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        ordering = ["project", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(yearly_value__isnull=True) | models.Q(yearly_value__gte=0),
                name="ikt_benefit_value",
            )
        ]
        indexes = [models.Index(fields=["project", "type"]), models.Index(fields=["service_area", "type"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.monetary and self.yearly_value is None:
            raise ValidationError({"yearly_value": _("A monetary benefit needs its yearly value.")})
        if (
            self.service_area_id
            and self.project_id
            and self.service_area.collaboration_id != self.project.collaboration_id
        ):
            raise ValidationError({"service_area": _("The service area must be one of the project's collaboration.")})


class Indicator(CollaborationScoped, models.Model):
    """How a benefit is measured: the unit, which way is better, the method and how often."""

    scope_path = "benefit__project__collaboration"
    scope_fields = ("benefit",)

    class Direction(models.TextChoices):
        HIGHER = "higher", _("higher is better")
        LOWER = "lower", _("lower is better")

    class Schedule(models.TextChoices):
        MONTHLY = "monthly", _("monthly")
        QUARTERLY = "quarterly", _("quarterly")
        YEARLY = "yearly", _("yearly")

    benefit = models.ForeignKey(Benefit, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("benefit"))
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=50, help_text=_("For example hours per month, NOK, percent."))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    method = models.TextField(_("measurement method"), blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)])
    schedule = models.CharField(_("schedule"), max_length=10, choices=Schedule.choices, default=Schedule.QUARTERLY)
    plausible_min = models.DecimalField(
        _("plausible minimum"), null=True, blank=True, help_text=_("Lower values need a confirmation."), **VALUE
    )
    plausible_max = models.DecimalField(
        _("plausible maximum"), null=True, blank=True, help_text=_("Higher values need a confirmation."), **VALUE
    )
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["benefit", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(plausible_min__isnull=True)
                | models.Q(plausible_max__isnull=True)
                | models.Q(plausible_min__lte=models.F("plausible_max")),
                name="ikt_indicator_range",
            )
        ]
        indexes = [models.Index(fields=["benefit", "schedule"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    def clean(self) -> None:
        if (
            self.plausible_min is not None
            and self.plausible_max is not None
            and self.plausible_min > self.plausible_max
        ):
            raise ValidationError({"plausible_max": _("The plausible maximum must not be below the minimum.")})


class MemberTarget(CollaborationScoped, models.Model):
    """One participating member's baseline (nullpunktsmåling), target and benefit owner for an indicator."""

    scope_path = "indicator__benefit__project__collaboration"
    scope_fields = ("indicator",)

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name=_("indicator")
    )
    municipality = models.ForeignKey(
        "ikt_members.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    baseline_date = models.DateField(_("baseline date"))
    baseline_value = models.DecimalField(_("baseline value"), **VALUE)
    target_value = models.DecimalField(_("target value"), **VALUE)
    target_date = models.DateField(_("target date"))
    owner = models.ForeignKey(
        "ikt_members.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="benefit_targets",
        verbose_name=_("benefit owner"),
        help_text=_("A person of that municipality (gevinstansvarlig)."),
    )
    # The missing period the owner was last reminded of, and escalated for: each late period is told once.
    reminded_for = models.DateField(null=True, blank=True, editable=False)
    escalated_for = models.DateField(null=True, blank=True, editable=False)
    history = audited(excluded_fields=["reminded_for", "escalated_for"])

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("member target")
        verbose_name_plural = _("member targets")
        ordering = ["indicator", "municipality__name"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "municipality"], name="ikt_membertarget_once"),
            models.CheckConstraint(
                condition=models.Q(target_date__gt=models.F("baseline_date")), name="ikt_membertarget_dates"
            ),
        ]
        indexes = [models.Index(fields=["municipality", "indicator"]), models.Index(fields=["owner"])]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.municipality}"

    def clean(self) -> None:
        from ikt_portfolio.projects.models import Participation

        errors = {}
        if self.baseline_date and self.target_date and self.target_date <= self.baseline_date:
            errors["target_date"] = _("The target date must be after the baseline date.")
        if self.indicator_id and self.baseline_value is not None and self.target_value is not None:
            lower = self.indicator.direction == Indicator.Direction.LOWER
            if (self.target_value > self.baseline_value) if lower else (self.target_value < self.baseline_value):
                errors["target_value"] = _(
                    "The target must not be worse than the baseline in the indicator's direction."
                )
        if self.indicator_id and self.municipality_id:
            status = (
                Participation.objects.filter(
                    project_id=self.indicator.benefit.project_id, municipality_id=self.municipality_id
                )
                .values_list("status", flat=True)
                .first()
            )
            if status is None or status == Participation.Status.OPTS_OUT:
                errors["municipality"] = _("Only a member taking part in the project has a target.")
        if self.owner_id and self.municipality_id and self.owner.municipality_id != self.municipality_id:
            errors["owner"] = _("The benefit owner must work in the member municipality.")
        if errors:
            raise ValidationError(errors)


class Measurement(CollaborationScoped, models.Model):
    """A member's value of an indicator for one period (the first day of its month, quarter or year)."""

    scope_path = "target__indicator__benefit__project__collaboration"
    scope_fields = ("target",)

    target = models.ForeignKey(
        MemberTarget, on_delete=models.CASCADE, related_name="measurements", verbose_name=_("member target")
    )
    period = models.DateField(_("period"), help_text=_("The first day of the month, quarter or year measured."))
    value = models.DecimalField(_("value"), **VALUE)
    note = models.CharField(_("note"), max_length=500, blank=True)
    confirmed_implausible = models.BooleanField(
        _("implausible value confirmed"),
        default=False,
        help_text=_("The value is outside the indicator's plausible range and was confirmed as correct."),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["target", "period"]
        constraints = [models.UniqueConstraint(fields=["target", "period"], name="ikt_measurement_once")]
        indexes = [models.Index(fields=["target", "period"]), models.Index(fields=["period"])]

    def __str__(self) -> str:
        return f"{self.target}: {self.period} = {self.value}"
