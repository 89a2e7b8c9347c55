"""Cost sharing (fordelingsnøkler): dated, decided keys that split any total between the member
municipalities, each member's share of a key (a percentage, a weight or units of use), and the
collaboration's own annual budget lines, each split by a key.

A key is one of four kinds:
- equal + population: part of the total split equally, part by population (the usual key; the two
  percentages sum to 100, the population year is fixed on the key or is the year allocated);
- fixed percentage: one percentage per member (summing to 100);
- custom weights: one weight per member (any non-negative numbers; shares are proportional);
- usage: units per member times the key's unit price (optional and special services).

The arithmetic, the rounding rule and every refusal are in `services`; who sees what in `permissions`.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.core.audit import audited
from ikt_portfolio.core.models import Dated
from ikt_portfolio.core.money import MoneyField
from ikt_portfolio.members.models import CollaborationScoped, DatedScopedQuerySet
from ikt_portfolio.members.permissions import ScopedQuerySet

HUNDRED = Decimal(100)
PERCENT = {"max_digits": 7, "decimal_places": 4, "validators": [MinValueValidator(0), MaxValueValidator(100)]}


def plain(value: Decimal) -> str:
    """A percentage as people write it: 99.5, 100 (no trailing zeros, never 1E+2)."""
    return f"{value.normalize():f}"


class CostKey(CollaborationScoped, Dated):
    class Kind(models.TextChoices):
        EQUAL_POPULATION = "equal_population", _("equal share and population")
        FIXED_PERCENTAGE = "fixed_percentage", _("fixed percentage per member")
        CUSTOM_WEIGHTS = "custom_weights", _("custom weights")
        USAGE = "usage", _("usage (units × unit price)")

    class AppliesTo(models.TextChoices):
        ANY = "any", _("anything")
        PROJECTS = "projects", _("projects")
        ANNUAL_BUDGET = "annual_budget", _("the collaboration's annual budget")

    collaboration = models.ForeignKey(
        "ikt_members.Collaboration", on_delete=models.CASCADE, related_name="cost_keys", verbose_name=_("collaboration")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EQUAL_POPULATION)
    applies_to = models.CharField(
        _("applies to"),
        max_length=20,
        choices=AppliesTo.choices,
        default=AppliesTo.ANY,
        help_text=_("What the key may split: projects, the collaboration's annual budget lines, or anything."),
    )
    equal_percent = models.DecimalField(
        _("equal part (%)"), default=Decimal(50), help_text=_("Split equally between the members."), **PERCENT
    )
    population_percent = models.DecimalField(
        _("population part (%)"), default=Decimal(50), help_text=_("Split by population."), **PERCENT
    )
    population_year = models.PositiveSmallIntegerField(
        _("population year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
        help_text=_("Population on 1 January of this year. Empty: the year the amount is allocated for."),
    )
    unit_price = MoneyField(
        _("unit price (NOK)"), null=True, blank=True, validators=[MinValueValidator(0)], help_text=_("For usage keys.")
    )
    opted_out_pays = models.BooleanField(
        _("members who opted out pay"),
        default=False,
        help_text=_("Usually members who opted out of a project pay nothing for it; tick to make them pay anyway."),
    )
    decided_by = models.CharField(
        _("decided by"), max_length=300, help_text=_("The body and meeting, e.g. “Styret, sak 12/2025”.")
    )
    decided_on = models.DateField(_("decided on"))
    replaces = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
        help_text=_("The key this one supersedes, so the history of a key can be followed."),
    )
    note = models.TextField(_("note"), blank=True)
    history = audited()

    objects = DatedScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cost-sharing key")
        verbose_name_plural = _("cost-sharing keys")
        ordering = ["collaboration", "name", "-valid_from"]
        constraints = [
            Dated.dates_constraint("ikt_costs_key_dates"),
            models.CheckConstraint(
                condition=~models.Q(kind="equal_population")
                | models.Q(equal_percent__gte=0, population_percent__gte=0),
                name="ikt_costs_key_percent_positive",
            ),
        ]
        indexes = [models.Index(fields=["collaboration", "valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.period_display()})"

    @property
    def uses_shares(self) -> bool:
        """Does the key need one row per member (percentage, weight or units)?"""
        return self.kind != self.Kind.EQUAL_POPULATION

    def clean(self) -> None:
        self.clean_dates()
        errors = {}
        if self.kind == self.Kind.EQUAL_POPULATION:
            equal, population = self.equal_percent, self.population_percent
            if equal is not None and population is not None and equal + population != HUNDRED:
                errors["population_percent"] = gettext(
                    "The equal part and the population part must sum to 100 %% (they sum to %(sum)s %%)."
                ) % {"sum": plain(equal + population)}
        if self.kind == self.Kind.USAGE and self.unit_price is None:
            errors["unit_price"] = gettext("A usage key needs a unit price.")
        if self.replaces_id and self.replaces_id == self.pk:
            errors["replaces"] = gettext("A key cannot replace itself.")
        if self.replaces_id and self.collaboration_id and self.replaces.collaboration_id != self.collaboration_id:
            errors["replaces"] = gettext("The replaced key belongs to another collaboration.")
        if errors:
            raise ValidationError(errors)


class CostKeyShare(CollaborationScoped, models.Model):
    """One member's entry in a key: its percentage, weight or units (whichever the key's kind uses)."""

    scope_path = "key__collaboration"
    scope_fields = ("key",)

    key = models.ForeignKey(CostKey, on_delete=models.CASCADE, related_name="shares", verbose_name=_("key"))
    municipality = models.ForeignKey(
        "ikt_members.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    percent = models.DecimalField(_("percentage"), null=True, blank=True, **PERCENT)
    weight = models.DecimalField(
        _("weight"), max_digits=14, decimal_places=4, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    units = models.DecimalField(
        _("units"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("member's share of a key")
        verbose_name_plural = _("members' shares of a key")
        ordering = ["key", "municipality__number"]
        constraints = [models.UniqueConstraint(fields=["key", "municipality"], name="ikt_costs_share_once")]

    def __str__(self) -> str:
        return f"{self.key.name}: {self.municipality}"

    def value_field(self) -> str | None:
        return {
            CostKey.Kind.FIXED_PERCENTAGE: "percent",
            CostKey.Kind.CUSTOM_WEIGHTS: "weight",
            CostKey.Kind.USAGE: "units",
        }.get(self.key.kind)

    def clean(self) -> None:
        if not self.key_id or not self.municipality_id:
            return
        from ikt_portfolio.members.models import Membership

        key = self.key
        field = self.value_field()
        if field and getattr(self, field) is None:
            raise ValidationError({field: gettext("This key's kind needs a value here.")})
        members = Membership.objects.filter(
            collaboration_id=key.collaboration_id, municipality_id=self.municipality_id
        ).overlapping(key.valid_from, key.valid_to)
        if not members.exists():
            raise ValidationError(
                {
                    "municipality": gettext("%(member)s is not a member of the collaboration while the key is valid.")
                    % {"member": self.municipality}
                }
            )


class AnnualBudgetLine(CollaborationScoped, models.Model):
    """A line of the collaboration's own annual budget (operation or investment), split by a key."""

    class Kind(models.TextChoices):
        OPERATION = "operation", _("operation")
        INVESTMENT = "investment", _("investment")

    collaboration = models.ForeignKey(
        "ikt_members.Collaboration",
        on_delete=models.CASCADE,
        related_name="annual_budget_lines",
        verbose_name=_("collaboration"),
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OPERATION)
    amount = MoneyField(_("amount (NOK)"), validators=[MinValueValidator(0)])
    key = models.ForeignKey(CostKey, on_delete=models.PROTECT, related_name="budget_lines", verbose_name=_("key"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = audited()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("annual budget line")
        verbose_name_plural = _("annual budget lines")
        ordering = ["collaboration", "-year", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["collaboration", "year", "name"], name="ikt_costs_line_once"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="ikt_costs_line_amount_positive"),
        ]
        indexes = [models.Index(fields=["collaboration", "year"])]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    def clean(self) -> None:
        if self.amount is not None and self.amount < 0:
            raise ValidationError({"amount": gettext("The amount cannot be negative.")})
        if not self.key_id or not self.year:
            return
        from .services import allocation_day

        key = self.key
        if self.collaboration_id and key.collaboration_id != self.collaboration_id:
            raise ValidationError({"key": gettext("The key belongs to another collaboration.")})
        if key.applies_to == CostKey.AppliesTo.PROJECTS:
            raise ValidationError({"key": gettext("This key is for projects, not for the annual budget.")})
        day = allocation_day(self.year)
        if not key.is_active_on(day):
            raise ValidationError(
                {
                    "key": gettext("The key %(key)s is not valid on %(date)s.")
                    % {"key": key.name, "date": day.isoformat()}
                }
            )
