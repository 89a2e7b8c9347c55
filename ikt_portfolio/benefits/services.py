"""Benefits realisation: the realisation formula, recording a member's measurement, and a member's report.

The realisation formula
-----------------------
For one indicator and one member, with the member's baseline b, target t and latest measured value c:

    progress = (c − b) / (t − b)

- 0 at the baseline, 1 at the target; above 1 when the member overshoots the target, below 0 when it went
  backwards. The raw value is kept (`Progress.raw`); pages show it clamped to [0, 1] (`Progress.shown`).
- Direction "lower is better" needs no special case: the target lies below the baseline, so c − b and t − b
  are both negative while the member improves and the signs cancel (baseline 10, target 4, now 7: 0.5).
- When the target equals the baseline (the benefit is to keep a level): 1 when c is at the target or better in
  the indicator's direction, else 0.
- No measurement yet: `None`, shown as "not measurable yet".

The member report
-----------------
`member_report(municipality, collaboration, year)`: for every project of the collaboration the member takes part
in (participates or postpones; not one it opted out of), its cost share for the year (the project's budget lines
allocated by `costs.services.member_costs`, exact to the øre) and its benefits for the year:

- a monetary benefit with measurements counts yearly value × realisation, where realisation is the mean of the
  shown (clamped) progress of the indicators the member has measured (latest value in or before the year):
  basis "measured";
- a monetary benefit with targets for the member but no measurement yet counts its yearly value as planned:
  basis "planned";
- a benefit with no indicator, or no target for this member, is listed as "not measurable yet" and counts its
  yearly value as planned (basis "not_measurable"): never dropped, always labelled;
- non-monetary benefits are listed with their realisation and count no NOK.

Net benefit = benefits − cost share, per project and in all.

Recording a measurement
-----------------------
`record_measurement(target, user, period, value, confirm_implausible=False)` stores one value per target and
period (the period is the first day of the indicator's month, quarter or year). Refusals are translated
`ValidationError`s and write nothing: the member is not (or no longer) taking part in the project, the value is
not a number, the period is before the baseline or in the future, a value for the period exists already, or the
value is outside the indicator's plausible range and not explicitly confirmed (a confirmed one is stored with
`confirmed_implausible`, audited with the capacity it was recorded in). Who may record: see `permissions`.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.core.money import ORE
from ikt_portfolio.projects.models import BudgetLine, Participation

from .models import Benefit, Indicator, Measurement, MemberTarget
from .permissions import may_record, recording_capacity

ZERO = Decimal(0)
ONE = Decimal(1)
PLACES = Decimal("0.0001")
MONTHS = {Indicator.Schedule.MONTHLY: 1, Indicator.Schedule.QUARTERLY: 3, Indicator.Schedule.YEARLY: 12}


# ------------------------------------------------------------------------------------------- the formula


@dataclass(frozen=True)
class Progress:
    """How far a member has come from its baseline to its target. `raw` is unclamped."""

    raw: Decimal

    @property
    def shown(self) -> Decimal:
        return min(ONE, max(ZERO, self.raw))

    @property
    def percent(self) -> int:
        return int((self.shown * 100).quantize(ONE, rounding=ROUND_HALF_UP))

    @property
    def overshoot(self) -> bool:
        return self.raw > ONE

    @property
    def backwards(self) -> bool:
        return self.raw < ZERO


def realisation(baseline, target, current, direction: str = Indicator.Direction.HIGHER) -> Progress | None:
    """The progress from baseline to target at `current` (see the module's docstring); None when not measured."""
    if current is None:
        return None
    baseline, target, current = Decimal(baseline), Decimal(target), Decimal(current)
    if target == baseline:
        better = current <= target if direction == Indicator.Direction.LOWER else current >= target
        return Progress(ONE if better else ZERO)
    return Progress(((current - baseline) / (target - baseline)).quantize(PLACES, rounding=ROUND_HALF_UP))


# ------------------------------------------------------------------------------------------- periods


def period_start(day: datetime.date, schedule: str) -> datetime.date:
    """The first day of the month, quarter or year that holds `day`."""
    months = MONTHS[schedule]
    month = ((day.month - 1) // months) * months + 1
    return datetime.date(day.year, month, 1)


def next_period(day: datetime.date, schedule: str) -> datetime.date:
    months = MONTHS[schedule]
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Due:
    """Whether a target's measurements are up to date: the period measured last, the next one due (at the end of
    the period), and whether a past period is missing (late)."""

    latest: datetime.date | None
    next_period: datetime.date
    due_on: datetime.date
    late: bool


def due(target: MemberTarget, latest_period: datetime.date | None, today: datetime.date | None = None) -> Due:
    """A period's value is due on the period's last day; a target is late when the last complete period after its
    baseline has no value."""
    today = today or timezone.localdate()
    schedule = target.indicator.schedule
    first = period_start(target.baseline_date, schedule)
    last_complete = period_start(period_start(today, schedule) - datetime.timedelta(days=1), schedule)
    late = last_complete >= first and (latest_period is None or latest_period < last_complete)
    upcoming = next_period(latest_period, schedule) if latest_period else first
    return Due(latest_period, upcoming, next_period(upcoming, schedule) - datetime.timedelta(days=1), late)


# ------------------------------------------------------------------------------------------- recording


def _as_value(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("measurements must not be floats")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({"value": ValidationError(_("The value is not a number."), code="invalid")}) from error
    if not number.is_finite() or abs(number) >= Decimal(10) ** 14:
        raise ValidationError({"value": ValidationError(_("The value is not a number."), code="invalid")})
    return number.quantize(PLACES, rounding=ROUND_HALF_UP)


def check_measurement(target: MemberTarget, period: datetime.date, value, confirm_implausible: bool = False):
    """(period start, value) or a ValidationError with the reason: the rules of `record_measurement`."""
    indicator = target.indicator
    status = (
        Participation.objects.filter(project_id=indicator.benefit.project_id, municipality_id=target.municipality_id)
        .values_list("status", flat=True)
        .first()
    )
    if status is None or status == Participation.Status.OPTS_OUT:
        raise ValidationError(
            _("%(member)s does not take part in the project, so it has no measurements.")
            % {"member": target.municipality.name},
            code="not_participating",
        )
    number = _as_value(value)
    if not isinstance(period, datetime.date):
        raise ValidationError({"period": ValidationError(_("The period is not a date."), code="invalid")})
    start = period_start(period, indicator.schedule)
    if start < period_start(target.baseline_date, indicator.schedule):
        raise ValidationError(
            {
                "period": ValidationError(
                    _("The period is before the baseline (%(date)s).") % {"date": target.baseline_date.isoformat()},
                    code="before_baseline",
                )
            }
        )
    if start > timezone.localdate():
        raise ValidationError({"period": ValidationError(_("The period has not begun yet."), code="future")})
    low, high = indicator.plausible_min, indicator.plausible_max
    outside = (low is not None and number < low) or (high is not None and number > high)
    if outside and not confirm_implausible:
        raise ValidationError(
            {
                "value": ValidationError(
                    _(
                        "%(value)s %(unit)s is outside the plausible range (%(low)s to %(high)s). Check the unit; "
                        "if the value is right, confirm it explicitly."
                    )
                    % {
                        "value": number.normalize(),
                        "unit": indicator.unit,
                        "low": "–" if low is None else low.normalize(),
                        "high": "–" if high is None else high.normalize(),
                    },
                    code="implausible",
                )
            }
        )
    if Measurement.objects.filter(target=target, period=start).exists():
        raise ValidationError({"period": _duplicate(start)})
    return start, number, outside


def _duplicate(start) -> ValidationError:
    return ValidationError(
        _("A value for the period starting %(date)s is recorded already.") % {"date": start.isoformat()},
        code="duplicate",
    )


def record_measurement(
    target: MemberTarget, user, period: datetime.date, value, confirm_implausible: bool = False, note: str = ""
) -> Measurement:
    """Store a member's value for one period (see the module's docstring), or refuse and write nothing."""
    if not may_record(user, target):
        raise PermissionDenied(_("Only the member's benefit owner, the project's owner or manager and the "
                                 "collaboration's administrators record measurements."))  # fmt: skip
    start, number, outside = check_measurement(target, period, value, confirm_implausible)
    try:
        with transaction.atomic(), acting_as(recording_capacity(user, target)):
            measurement = Measurement(
                target=target,
                period=start,
                value=number,
                note=note[:500],
                confirmed_implausible=bool(outside),
                entered_by=user if getattr(user, "pk", None) else None,
            )
            measurement._history_user = measurement.entered_by  # who, also outside a request (API, imports)
            measurement.save()
            return measurement
    except IntegrityError as error:  # recorded at the same time by someone else
        raise ValidationError({"period": _duplicate(start)}) from error


# ------------------------------------------------------------------------------------------- the member report


@dataclass
class IndicatorLine:
    indicator: Indicator
    target: MemberTarget | None
    latest: Measurement | None
    progress: Progress | None


@dataclass
class BenefitLine:
    benefit: Benefit
    basis: str  # "measured", "planned", "not_measurable"
    indicators: list[IndicatorLine]
    realisation: Decimal | None  # mean shown progress of the measured indicators
    value: Decimal | None  # NOK counted for the year (monetary benefits only)

    @property
    def percent(self) -> int | None:
        return None if self.realisation is None else int((self.realisation * 100).quantize(ONE, ROUND_HALF_UP))


@dataclass
class ProjectLine:
    project: object
    status: str
    cost: Decimal
    benefits: list[BenefitLine] = field(default_factory=list)
    cost_errors: list[str] = field(default_factory=list)

    @property
    def benefit_total(self) -> Decimal:
        return sum((b.value for b in self.benefits if b.value is not None), ZERO.quantize(ORE))

    @property
    def net(self) -> Decimal:
        return self.benefit_total - self.cost


@dataclass
class MemberReport:
    municipality: object
    collaboration: object
    year: int
    projects: list[ProjectLine]

    @property
    def cost(self) -> Decimal:
        return sum((p.cost for p in self.projects), ZERO.quantize(ORE))

    @property
    def benefit_total(self) -> Decimal:
        return sum((p.benefit_total for p in self.projects), ZERO.quantize(ORE))

    @property
    def net(self) -> Decimal:
        return self.benefit_total - self.cost


def project_cost_shares(allocated, municipality_id: int | None = None) -> tuple[dict, dict[int, list[str]]]:
    """From `costs.services.collaboration_costs(...)`: {(project id, municipality id): the member's share of the
    project's budget lines} for every member (or only `municipality_id`'s) and {project id: why a line could not
    be allocated}. One query (the budget lines' projects), whatever the number of members and lines."""
    lines = [a for a in allocated if a.item.source == "project"]
    line_ids = {int(a.item.reference.rsplit("-", 1)[1]) for a in lines}
    project_of = dict(BudgetLine.objects.filter(pk__in=line_ids).values_list("pk", "project_id")) if line_ids else {}
    totals: dict[tuple[int, int], Decimal] = {}
    errors: dict[int, list[str]] = {}
    for cost in lines:
        project_id = project_of.get(int(cost.item.reference.rsplit("-", 1)[1]))
        if cost.error:
            errors.setdefault(project_id, []).append(f"{cost.item.name}: {cost.error}")
        if municipality_id is not None:
            share = cost.share_of(municipality_id)
            amounts = {} if share is None else {municipality_id: share.amount}
        else:  # the plain sums, without every member's explained share
            amounts = cost.amounts()
        for member_id, amount in amounts.items():
            totals[project_id, member_id] = totals.get((project_id, member_id), ZERO) + amount
    return totals, errors


def _project_costs(municipality, collaboration, year, loader=None) -> tuple[dict, dict]:
    from ikt_portfolio.costs import services as costs

    totals, errors = project_cost_shares(costs.collaboration_costs(collaboration, [year], loader), municipality.pk)
    return {project_id: amount for (project_id, _member), amount in totals.items()}, errors


def _benefit_line(benefit: Benefit, targets: dict, year_end: datetime.date) -> BenefitLine:
    lines = []
    for indicator in benefit.indicators.all():
        target = targets.get(indicator.pk)
        latest = None
        if target is not None:
            earlier = [m for m in target.measurements.all() if m.period <= year_end]
            latest = earlier[-1] if earlier else None
        progress = (
            realisation(target.baseline_value, target.target_value, latest.value, indicator.direction)
            if latest is not None
            else None
        )
        lines.append(IndicatorLine(indicator, target, latest, progress))
    measured = [line.progress.shown for line in lines if line.progress is not None]
    if measured:
        basis = "measured"
        level = (sum(measured, ZERO) / len(measured)).quantize(PLACES, rounding=ROUND_HALF_UP)
    else:
        basis = "planned" if any(line.target for line in lines) else "not_measurable"
        level = None
    value = None
    if benefit.monetary and benefit.yearly_value is not None:
        factor = level if level is not None else ONE
        value = (benefit.yearly_value * factor).quantize(ORE, rounding=ROUND_HALF_UP)
    return BenefitLine(benefit, basis, lines, level, value)


def with_targets(benefits, year_end: datetime.date, targets=None):
    """`benefits` with what `_benefit_line` reads, in four queries whatever the rows: the service area, the
    indicators (by name), each indicator's `member_targets` (of `targets`, default all members) and each target's
    latest measurement in or before `year_end` (only that one is read: the realisation uses the latest value)."""
    targets = targets if targets is not None else MemberTarget.objects.all()
    # The latest measurement's id looked up once per target (an index seek on target and period), not a
    # correlated subquery per measurement row: at national scale that is 7 000 lookups instead of 380 000.
    latest = Measurement.objects.filter(target_id=OuterRef("pk"), period__lte=year_end).order_by("-period")
    latest_ids = targets.annotate(latest_id=Subquery(latest.values("pk")[:1])).values("latest_id")
    targets = targets.prefetch_related(
        Prefetch("measurements", queryset=Measurement.objects.filter(pk__in=latest_ids).order_by("period"))
    )
    return (
        benefits.select_related("service_area")
        .prefetch_related(
            Prefetch("indicators", queryset=Indicator.objects.order_by("name", "pk")),
            Prefetch("indicators__targets", queryset=targets.order_by("pk"), to_attr="member_targets"),
        )
        .order_by("project_id", "name", "pk")
    )


def member_report(municipality, collaboration, year: int, loader=None) -> MemberReport:
    """What the member pays and gains per project in the year (see the module's docstring); a bounded number of
    queries, whatever the number of projects, benefits and measurements."""
    year_end = datetime.date(year, 12, 31)
    participations = list(
        Participation.objects.filter(project__collaboration=collaboration, municipality=municipality)
        .exclude(status=Participation.Status.OPTS_OUT)
        .select_related("project")
        .order_by("project__number")
    )
    costs, errors = _project_costs(municipality, collaboration, year, loader)
    project_ids = [p.project_id for p in participations]
    benefits = with_targets(
        Benefit.objects.filter(project_id__in=project_ids),
        year_end,
        MemberTarget.objects.filter(municipality=municipality),
    )
    per_project: dict[int, list[BenefitLine]] = {}
    for benefit in benefits:
        targets_by_indicator = {
            indicator.pk: indicator.member_targets[0]
            for indicator in benefit.indicators.all()
            if indicator.member_targets
        }
        per_project.setdefault(benefit.project_id, []).append(_benefit_line(benefit, targets_by_indicator, year_end))
    return MemberReport(
        municipality,
        collaboration,
        year,
        [
            ProjectLine(
                p.project,
                p.status,
                costs.get(p.project_id, ZERO).quantize(ORE),
                per_project.get(p.project_id, []),
                errors.get(p.project_id, []),
            )
            for p in participations
        ],
    )


def targets_of(user, collaboration):
    """The member targets the user may record measurements against, in the collaboration (the benefit owner's
    own, or every target of projects they own or manage, or all for administrators)."""
    from ikt_portfolio.members.capacities import Capacity
    from ikt_portfolio.members.permissions import admin_collaboration_ids, grants_of, is_operator, person_of

    queryset = MemberTarget.objects.filter(indicator__benefit__project__collaboration=collaboration).select_related(
        "indicator__benefit__project", "municipality", "owner__user"
    )
    if is_operator(user) or collaboration.pk in admin_collaboration_ids(user):
        return queryset
    person = person_of(user)
    if person is None:
        return queryset.none()
    from django.db.models import Q

    rule = Q(owner_id=person.pk) | Q(indicator__benefit__project__owner_id=person.pk)
    rule |= Q(indicator__benefit__project__manager_id=person.pk)
    owned = {
        g.municipality_id
        for g in grants_of(user)
        if g.capacity == Capacity.BENEFIT_OWNER and g.collaboration_id == collaboration.pk and g.municipality_id
    }
    if person.municipality_id in owned:
        rule |= Q(municipality_id=person.municipality_id)
    return queryset.filter(rule)
