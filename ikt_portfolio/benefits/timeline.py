"""Benefits over time: each member's planned path against what it measured, per indicator, per project and for
the whole portfolio. Read-only arithmetic on the plan and the measurements; the realisation formula is
`services.realisation`.

Definitions
-----------
- **Periods.** An indicator's periods are those of its schedule (month, quarter, year), named by their first day
  like measurements are. The project and portfolio series are per quarter. A period is judged *at its last day*
  (its end): "by the end of the quarter we planned to be here, and had come this far".
- **The planned path** of a member's target is linear from the baseline value on the baseline date to the target
  value on the target date, evaluated at the period's end:
  planned(d) = b + (t − b) × (d − baseline date) / (target date − baseline date), kept to four decimals;
  flat at the target value from the target date on; no plan (None) for a period that ends before the baseline
  date. The planned progress is the same fraction of the way, (d − baseline date) / (target date − baseline
  date) clamped to [0, 1]; 1 from the baseline on when the target equals the baseline (keeping a level).
  "Lower is better" needs no special case (baseline 10, target 4, half the time gone: planned 7, progress 0.5).
- **Actual.** The value measured in the period (None where nothing was measured) and its realisation
  (`services.realisation`, raw and shown). The *latest* value is the last one measured in or before the period:
  a value is carried forward until the next one is measured.
- **Who.** Members taking part in the project (participates or postpones) and having a target for the
  indicator; a member that opted out has no series.

The quarterly series (a project, the portfolio)
-----------------------------------------------
For each quarter, over the targets whose baseline date is on or before the quarter's end (a target not begun
counts in neither series):

- **Planned mean realisation (%)**: the mean planned progress of those targets × 100.
- **Actual mean realisation (%)**: the mean *shown* (clamped to 0–100 %) realisation of the latest value carried
  forward, over those of the targets that have a value by the quarter's end; None when none has.
- **Planned NOK** of a monetary benefit, per participating member: yearly value × the mean planned progress of
  the benefit's indicators for that member ÷ 4. **Realised NOK**: yearly value × the mean shown realisation of
  the indicators the member has measured by then (latest value carried forward; the mean of the measured ones,
  as in the member report) ÷ 4; 0 while the member has measured none of them.
- Each member's amount for a benefit and quarter is rounded to the øre (half up) on its own; a quarter's total
  is the exact sum of those rounded amounts, so the rows of a table always add up to its total.
- A monetary benefit without any target (no indicator, or no member's baseline) has no path: it counts in
  neither NOK series and is listed as not on the timeline (the member report counts it as planned).

At most `MAX_QUARTERS` quarters (25 years) are computed; a longer default range is cut at its end.
Every function runs a bounded number of queries whatever the number of members, indicators and measurements.
"""

import bisect
import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from ikt_portfolio.core.money import ORE
from ikt_portfolio.projects.models import Participation

from .models import Benefit, Indicator, Measurement, MemberTarget
from .services import ONE, PLACES, ZERO, Progress, next_period, period_start, realisation

QUARTERLY = Indicator.Schedule.QUARTERLY
MAX_QUARTERS = 100
FOUR = Decimal(4)
HUNDRED = Decimal(100)


# ------------------------------------------------------------------------------------------- periods


def period_end(period: datetime.date, schedule: str) -> datetime.date:
    """The last day of the month, quarter or year that starts (or holds) `period`."""
    return next_period(period_start(period, schedule), schedule) - datetime.timedelta(days=1)


def periods_between(start: datetime.date, end: datetime.date, schedule: str, limit: int | None = None) -> list:
    """The first days of the periods from the one holding `start` to the one holding `end`."""
    current, last = period_start(start, schedule), period_start(end, schedule)
    found = []
    while current <= last and (limit is None or len(found) < limit):
        found.append(current)
        current = next_period(current, schedule)
    return found


def quarter_number(day: datetime.date) -> int:
    return (day.month - 1) // 3 + 1


# ------------------------------------------------------------------------------------------- the planned path


def planned_progress(target: MemberTarget, day: datetime.date) -> Decimal | None:
    """How far along its path the member planned to be on `day` (0–1, four decimals); None before the baseline."""
    if day < target.baseline_date:
        return None
    if target.target_value == target.baseline_value or day >= target.target_date:
        return ONE
    span = (target.target_date - target.baseline_date).days
    return (Decimal((day - target.baseline_date).days) / Decimal(span)).quantize(PLACES, rounding=ROUND_HALF_UP)


def planned_value(target: MemberTarget, day: datetime.date) -> Decimal | None:
    """The value on the linear path from baseline to target on `day`; flat at the target after the target date;
    None before the baseline date."""
    if day < target.baseline_date:
        return None
    if day >= target.target_date:
        return Decimal(target.target_value)
    baseline, goal = Decimal(target.baseline_value), Decimal(target.target_value)
    elapsed = Decimal((day - target.baseline_date).days)
    span = Decimal((target.target_date - target.baseline_date).days)
    return (baseline + (goal - baseline) * elapsed / span).quantize(PLACES, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------------------------------- one indicator


@dataclass(frozen=True)
class Point:
    """One period of one member's series (see the module's docstring)."""

    period: datetime.date
    end: datetime.date
    planned: Decimal | None
    planned_progress: Decimal | None
    actual: Decimal | None
    latest: Decimal | None
    progress: Progress | None  # of `actual`
    carried: Progress | None  # of `latest`


@dataclass
class MemberSeries:
    target: MemberTarget
    points: list[Point]

    @property
    def municipality(self):
        return self.target.municipality


@dataclass
class IndicatorTimeline:
    indicator: Indicator
    periods: list[datetime.date]
    members: list[MemberSeries]


class _Values:
    """A target's measurements by period (sorted), for the value in a period and the latest up to a day."""

    def __init__(self, target: MemberTarget, schedule: str, rows: list[tuple] | None = None):
        """`rows`: the target's (period, value) pairs; default its prefetched measurements."""
        if rows is None:
            rows = [(m.period, m.value) for m in target.measurements.all()]
        rows = sorted(rows)
        self.by_period = {period_start(period, schedule): value for period, value in rows}
        self.periods = [period for period, _value in rows]
        self.values = [value for _period, value in rows]

    def latest(self, day: datetime.date) -> Decimal | None:
        index = bisect.bisect_right(self.periods, day) - 1
        return self.values[index] if index >= 0 else None


def _member_series(indicator: Indicator, target: MemberTarget, periods: list, values: _Values) -> MemberSeries:
    points = []
    schedule = indicator.schedule
    for period in periods:
        end = period_end(period, schedule)
        actual = values.by_period.get(period)
        latest = values.latest(end)
        points.append(
            Point(
                period=period,
                end=end,
                planned=planned_value(target, end),
                planned_progress=planned_progress(target, end),
                actual=actual,
                latest=latest,
                progress=realisation(target.baseline_value, target.target_value, actual, indicator.direction),
                carried=realisation(target.baseline_value, target.target_value, latest, indicator.direction),
            )
        )
    return MemberSeries(target, points)


def _participating(project_ids) -> set[tuple[int, int]]:
    """(project id, municipality id) of the members taking part (participates or postpones): one query."""
    return set(
        Participation.objects.filter(project_id__in=project_ids)
        .exclude(status=Participation.Status.OPTS_OUT)
        .values_list("project_id", "municipality_id")
    )


def _targets_queryset():
    return MemberTarget.objects.select_related("municipality").order_by("municipality__name", "pk")


def _measurements_prefetch(prefix: str = "measurements"):
    return Prefetch(prefix, queryset=Measurement.objects.only("pk", "target_id", "period", "value").order_by("period"))


def indicator_timeline(indicator: Indicator, periods: list[datetime.date]) -> IndicatorTimeline:
    """Per participating member: the planned path, the values measured and their realisation at each of
    `periods` (first days of the indicator's periods). Three queries."""
    targets = list(_targets_queryset().filter(indicator=indicator).prefetch_related(_measurements_prefetch()))
    taking_part = _participating([indicator.benefit.project_id])
    return _indicator_timeline(indicator, targets, periods, taking_part, indicator.benefit.project_id)


def _indicator_timeline(indicator, targets, periods, taking_part, project_id) -> IndicatorTimeline:
    members = [
        _member_series(indicator, target, periods, _Values(target, indicator.schedule))
        for target in targets
        if (project_id, target.municipality_id) in taking_part
    ]
    return IndicatorTimeline(indicator, list(periods), members)


# ------------------------------------------------------------------------------------------- per quarter


@dataclass(frozen=True)
class QuarterPoint:
    quarter: datetime.date  # its first day
    end: datetime.date
    planned_percent: Decimal | None
    actual_percent: Decimal | None
    planned_nok: Decimal
    realised_nok: Decimal

    @property
    def year(self) -> int:
        return self.quarter.year

    @property
    def number(self) -> int:
        return quarter_number(self.quarter)

    @property
    def label(self) -> str:
        return quarter_label(self.quarter)


def quarter_label(day: datetime.date) -> str:
    return _("Q%(quarter)s %(year)s") % {"quarter": quarter_number(day), "year": day.year}


@dataclass
class _Entry:
    """One participating member's target, with what the quarterly series need of it."""

    target: MemberTarget
    indicator: Indicator
    benefit: Benefit
    values: _Values


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, ZERO) / len(values)).quantize(PLACES, rounding=ROUND_HALF_UP)


def _percent(fraction: Decimal | None) -> Decimal | None:
    return None if fraction is None else (fraction * HUNDRED).quantize(ORE, rounding=ROUND_HALF_UP)


def _quarter_of(entries: list[_Entry], quarter: datetime.date, yearly: dict) -> QuarterPoint:
    end = period_end(quarter, QUARTERLY)
    planned_all, actual_all = [], []
    money: dict[tuple[int, int], tuple[list, list]] = {}  # (benefit, municipality) -> (planned, actual)
    for entry in entries:
        target = entry.target
        if target.baseline_date > end:
            continue
        planned = planned_progress(target, end)
        latest = entry.values.latest(end)
        progress = realisation(target.baseline_value, target.target_value, latest, entry.indicator.direction)
        actual = progress.shown if progress is not None else None
        planned_all.append(planned)
        if actual is not None:
            actual_all.append(actual)
        if entry.benefit.monetary and entry.benefit.yearly_value is not None:
            planned_list, actual_list = money.setdefault((entry.benefit.pk, target.municipality_id), ([], []))
            planned_list.append(planned)
            if actual is not None:
                actual_list.append(actual)
    planned_nok = realised_nok = ZERO.quantize(ORE)
    for (benefit_id, _municipality), (planned_list, actual_list) in money.items():
        value = Decimal(yearly[benefit_id])
        planned_nok += (value * _mean(planned_list) / FOUR).quantize(ORE, rounding=ROUND_HALF_UP)
        if actual_list:
            realised_nok += (value * _mean(actual_list) / FOUR).quantize(ORE, rounding=ROUND_HALF_UP)
    return QuarterPoint(
        quarter=quarter,
        end=end,
        planned_percent=_percent(_mean(planned_all)),
        actual_percent=_percent(_mean(actual_all)),
        planned_nok=planned_nok,
        realised_nok=realised_nok,
    )


def quarterly_series(entries: list[_Entry], quarters: list[datetime.date]) -> list[QuarterPoint]:
    yearly = {entry.benefit.pk: entry.benefit.yearly_value for entry in entries}
    return [_quarter_of(entries, quarter, yearly) for quarter in quarters]


class QuarterTotals:
    """The planned and realised NOK over a series' `quarters` (a project's or the portfolio's)."""

    @property
    def planned_total(self) -> Decimal:
        return sum((q.planned_nok for q in self.quarters), ZERO.quantize(ORE))

    @property
    def realised_total(self) -> Decimal:
        return sum((q.realised_nok for q in self.quarters), ZERO.quantize(ORE))


# ------------------------------------------------------------------------------------------- a project


@dataclass
class ProjectTimeline(QuarterTotals):
    project: object
    start: datetime.date | None  # first day of the first quarter
    end: datetime.date | None  # last day of the last quarter
    benefits: list[Benefit]
    indicators: list[IndicatorTimeline]
    quarters: list[QuarterPoint]
    not_on_timeline: list[Benefit] = field(default_factory=list)  # monetary benefits without any target

    @property
    def monetary(self) -> bool:
        return any(b.monetary and b.yearly_value is not None for b in self.benefits if b not in self.not_on_timeline)

    def indicators_of(self, benefit) -> list[IndicatorTimeline]:
        return [line for line in self.indicators if line.indicator.benefit_id == benefit.pk]


def _range(entries: list[_Entry], start, end) -> tuple[list[datetime.date], datetime.date | None]:
    """The quarters from `start` (default: the earliest baseline) to `end` (default: the latest of the target
    dates, the measurements and today), at most MAX_QUARTERS."""
    if start is None:
        if not entries:
            return [], None
        start = min(e.target.baseline_date for e in entries)
    if end is None:
        candidates = [timezone.localdate()]
        candidates += [e.target.target_date for e in entries]
        candidates += [e.values.periods[-1] for e in entries if e.values.periods]
        end = max(candidates)
    if end < start:
        return [], None
    quarters = periods_between(start, end, QUARTERLY, limit=MAX_QUARTERS)
    return quarters, period_end(quarters[-1], QUARTERLY)


def project_timeline(project, start: datetime.date | None = None, end: datetime.date | None = None) -> ProjectTimeline:
    """Every indicator of the project's benefits over time (per participating member) and the project's quarterly
    planned-against-actual series (see the module's docstring). Five queries."""
    indicators = Indicator.objects.order_by("name", "pk")
    benefits = list(
        Benefit.objects.filter(project=project)
        .select_related("service_area")
        .prefetch_related(
            Prefetch("indicators", queryset=indicators),
            Prefetch("indicators__targets", queryset=_targets_queryset()),
            _measurements_prefetch("indicators__targets__measurements"),
        )
        .order_by("name", "pk")
    )
    taking_part = _participating([project.pk])
    entries: list[_Entry] = []
    for benefit in benefits:
        for indicator in benefit.indicators.all():
            for target in indicator.targets.all():
                if (project.pk, target.municipality_id) in taking_part:
                    entries.append(_Entry(target, indicator, benefit, _Values(target, indicator.schedule)))
    quarters, last_day = _range(entries, start, end)
    first_day = quarters[0] if quarters else None
    lines = []
    for benefit in benefits:
        for indicator in benefit.indicators.all():
            periods = periods_between(first_day, last_day, indicator.schedule) if quarters else []
            lines.append(_indicator_timeline(indicator, indicator.targets.all(), periods, taking_part, project.pk))
    with_targets = {e.benefit.pk for e in entries}
    not_on_timeline = [b for b in benefits if b.monetary and b.pk not in with_targets]
    return ProjectTimeline(
        project=project,
        start=first_day,
        end=last_day,
        benefits=benefits,
        indicators=lines,
        quarters=quarterly_series(entries, quarters),
        not_on_timeline=not_on_timeline,
    )


# ------------------------------------------------------------------------------------------- the portfolio


@dataclass
class PortfolioTimeline(QuarterTotals):
    collaboration: object
    start_year: int
    end_year: int
    quarters: list[QuarterPoint]
    projects: int  # projects with at least one participating member's target
    targets: int


def check_years(start_year: int, end_year: int) -> None:
    """Refuse a range the portfolio series cannot draw (a translated ValidationError)."""
    if not (1900 <= start_year <= 2100 and 1900 <= end_year <= 2100):
        raise ValidationError(_("Choose years between 1900 and 2100."), code="years")
    if end_year < start_year:
        raise ValidationError(_("The last year must not be before the first."), code="order")
    if (end_year - start_year + 1) * 4 > MAX_QUARTERS:
        raise ValidationError(_("Choose at most %(years)s years.") % {"years": MAX_QUARTERS // 4}, code="too_long")


def portfolio_timeline(collaboration, start_year: int, end_year: int) -> PortfolioTimeline:
    """Planned against realised NOK and mean realisation per quarter over all projects of the collaboration,
    from the first quarter of `start_year` to the last of `end_year`. Three queries."""
    check_years(start_year, end_year)
    first_day, last_day = datetime.date(start_year, 1, 1), datetime.date(end_year, 12, 31)
    # Of the values before the range only each target's latest counts (it is carried into the first quarter).
    before = Measurement.objects.filter(target=OuterRef("pk"), period__lt=first_day).order_by("-period")
    targets = list(
        MemberTarget.objects.filter(indicator__benefit__project__collaboration=collaboration)
        .select_related("indicator__benefit")
        .annotate(
            before_period=Subquery(before.values("period")[:1]), before_value=Subquery(before.values("value")[:1])
        )
        .order_by("pk")
    )
    rows: dict[int, list[tuple]] = {t.pk: [(t.before_period, t.before_value)] for t in targets if t.before_period}
    # Plain (target, period, value) rows rather than model instances: at national scale these are hundreds of
    # thousands of measurements, and building an object for each cost seconds.
    measured = Measurement.objects.filter(
        target__indicator__benefit__project__collaboration=collaboration, period__gte=first_day, period__lte=last_day
    )
    for target_id, period, value in measured.values_list("target_id", "period", "value").iterator(chunk_size=5000):
        rows.setdefault(target_id, []).append((period, value))
    project_ids = {t.indicator.benefit.project_id for t in targets}
    taking_part = _participating(project_ids) if project_ids else set()
    entries = [
        _Entry(t, t.indicator, t.indicator.benefit, _Values(t, t.indicator.schedule, rows.get(t.pk, [])))
        for t in targets
        if (t.indicator.benefit.project_id, t.municipality_id) in taking_part
    ]
    quarters = periods_between(first_day, last_day, QUARTERLY)
    return PortfolioTimeline(
        collaboration=collaboration,
        start_year=start_year,
        end_year=end_year,
        quarters=quarterly_series(entries, quarters),
        projects=len({e.benefit.project_id for e in entries}),
        targets=len(entries),
    )
