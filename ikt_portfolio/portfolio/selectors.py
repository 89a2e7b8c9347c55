"""Read-side views of the portfolio, shared by the portal, the API and the Desk: the proposal of a period, the
roadmap of decided items and the dashboard. Each runs a fixed number of queries, however many needs.

Roadmap
-------
The decided portfolio: the collaboration's needs in the states "approved" and "converted" (approved by the
portfolio council's "include" or by the board, and made into projects). Until decisions record the period
an item is planned for, an item is placed in the tertial of the day it was approved (its first step into
"approved"), shown one year at a time, by service area.

Dashboard
---------
Over the collaboration's needs that have left the draft (the workflow's initial state):

- by status: how many are in each state now;
- the funnel: how many were ever submitted, recommended by a sector group, put before the portfolio council,
  decided by the council or the board (a committee's step into "approved", "rejected" or "deferred"), and
  approved;
- by service area, by member municipality (every member today, also those with none) and by size segment
  (the collaboration's own population thresholds; a member without a population figure is "population not
  known"): how many are with the sector group, recommended or at the council or board (including deferred),
  approved (or converted), or closed otherwise (rejected, withdrawn, merged, resolved);
- time from submission (the first step out of the draft) to decision (as in the funnel), in days: the median
  over decided needs, overall and per service area.
"""

import datetime
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ikt_portfolio.members.models import Membership, Municipality, ServiceArea, SizeSegment
from ikt_portfolio.members.selectors import latest_population_subquery
from ikt_portfolio.needs.models import Need
from ikt_portfolio.workflow.models import FINAL_CATEGORIES, State, TransitionLog

from . import services
from .models import BudgetFrame, Period, Scenario, period_dates

APPROVED_STATES = ("approved", "converted")
COUNCIL_STATES = ("recommended", "portfolio_council", "board", "deferred")
DECISION_STATES = ("approved", "rejected", "deferred")
COMMITTEE_PREFIX = "committee:"

# ---------------------------------------------------------------------------------------------- proposal


@dataclass
class Proposal:
    period: Period
    frame: BudgetFrame | None
    candidates: list
    scenarios: list
    total_cost: Decimal = Decimal(0)
    total_effort: Decimal = Decimal(0)
    unestimated: int = 0

    @property
    def budget(self) -> Decimal | None:
        return self.frame.budget if self.frame else None

    @property
    def capacity(self) -> Decimal | None:
        return self.frame.capacity if self.frame else None

    @property
    def cost_beyond_budget(self) -> Decimal | None:
        return self.total_cost - self.budget if self.frame and self.total_cost > self.budget else None

    @property
    def effort_beyond_capacity(self) -> Decimal | None:
        return self.total_effort - self.capacity if self.frame and self.total_effort > self.capacity else None


def proposal(period: Period) -> Proposal:
    """The period's candidates ranked by score, with their sums beside the budget frame (three queries)."""
    found = services.candidates(period)
    frame = BudgetFrame.objects.filter(period=period).first() if period.pk else None
    scenarios = list(Scenario.objects.filter(period=period).order_by("created_at", "pk")) if period.pk else []
    result = Proposal(period=period, frame=frame, candidates=found, scenarios=scenarios)
    for candidate in found:
        result.total_cost += candidate.cost or 0
        result.total_effort += candidate.effort or 0
        result.unestimated += not candidate.has_estimate
    return result


# ----------------------------------------------------------------------------------------------- roadmap


def _need_type():
    return ContentType.objects.get_for_model(Need)


def _start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class Roadmap:
    year: int
    periods: list  # the year's tertials
    rows: list  # [{"service_area": ..., "cells": [[need, …] per period]}]
    count: int


def roadmap(collaboration, year: int) -> Roadmap:
    """The approved items of `year`, by service area (rows) and tertial (columns): placed in the period the
    decision planned them for (`council.Decision.period`), else by the day they were approved; three queries."""
    from ikt_portfolio.council.models import Decision

    approved_at = (
        TransitionLog.objects.filter(content_type=_need_type(), object_id=OuterRef("pk"), to_state="approved")
        .order_by("at", "pk")
        .values("at")[:1]
    )
    planned_for = (
        Decision.objects.filter(
            status=Decision.Status.PASSED,
            log__content_type=_need_type(),
            log__object_id=OuterRef("pk"),
            period__isnull=False,
        )
        .order_by("-closed_at", "-pk")
        .values("period__starts_on")[:1]
    )
    start, end = _start(datetime.date(year, 1, 1)), _start(datetime.date(year + 1, 1, 1))
    needs = (
        Need.objects.filter(collaboration=collaboration, state__in=APPROVED_STATES)
        .annotate(approved_at=Subquery(approved_at), planned_for=Subquery(planned_for))
        .filter(Q(planned_for__year=year) | Q(planned_for__isnull=True, approved_at__gte=start, approved_at__lt=end))
        .select_related("service_area", "municipality", "assessment")
        .order_by("service_area__order", "service_area__name", "approved_at", "pk")
    )
    saved = {
        period.number: period
        for period in Period.objects.filter(collaboration=collaboration, year=year, kind=Period.Kind.TERTIAL)
    }
    periods = []
    for number in (1, 2, 3):
        period = saved.get(number) or Period(
            collaboration=collaboration, kind=Period.Kind.TERTIAL, year=year, number=number
        )
        period.starts_on, period.ends_on = period_dates(Period.Kind.TERTIAL, year, number)
        periods.append(period)
    rows: dict[int, dict] = {}
    count = 0
    for need in needs:
        day = need.planned_for or timezone.localdate(need.approved_at)
        column = next(index for index, period in enumerate(periods) if period.starts_on <= day <= period.ends_on)
        row = rows.setdefault(
            need.service_area_id, {"service_area": need.service_area, "cells": [[] for _p in periods]}
        )
        row["cells"][column].append(need)
        count += 1
    return Roadmap(year=year, periods=periods, rows=list(rows.values()), count=count)


# --------------------------------------------------------------------------------------------- dashboard

STAGES = [
    ("sector", gettext_lazy("with the sector group")),
    ("council", gettext_lazy("recommended, at the council or the board")),
    ("approved", gettext_lazy("approved")),
    ("closed", gettext_lazy("closed otherwise")),
]
FUNNEL = [
    ("submitted", gettext_lazy("submitted")),
    ("recommended", gettext_lazy("recommended by a sector group")),
    ("council", gettext_lazy("put before the portfolio council")),
    ("decided", gettext_lazy("decided by the council or the board")),
    ("approved", gettext_lazy("approved")),
]
NO_SEGMENT = "unknown"


def stage_of(key: str, category: str | None) -> str:
    if key in APPROVED_STATES:
        return "approved"
    if key in COUNCIL_STATES:
        return "council"
    if category in FINAL_CATEGORIES:
        return "closed"
    return "sector"


@dataclass
class Bar:
    key: str
    label: str
    count: int
    share: int = 0  # 0–100: the bar's length relative to the largest in its chart
    counts: dict = field(default_factory=dict)  # per stage
    segments: list = field(default_factory=list)  # [(stage, label, count, width 0–100 of the largest bar)]


@dataclass
class Dashboard:
    total: int
    by_status: list
    funnel: list
    by_service_area: list
    by_municipality: list
    by_segment: list
    decided: int
    median_days: Decimal | None
    median_by_service_area: list  # [(service area, decided, median days)]
    stages: list = field(default_factory=lambda: [(key, str(label)) for key, label in STAGES])


def _shares(bars: list[Bar]) -> list[Bar]:
    largest = max((bar.count for bar in bars), default=0)
    for bar in bars:
        bar.share = round(100 * bar.count / largest) if largest else 0
    return bars


def _days(seconds: float) -> Decimal:
    return (Decimal(seconds) / Decimal(86400)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def dashboard(collaboration, day: datetime.date | None = None) -> Dashboard:
    """The collaboration's dashboard (see the module's docstring); six queries."""
    day = day or timezone.localdate()
    states = {
        (state.version_id, state.key): state
        for state in State.objects.filter(
            version__workflow__collaboration=collaboration, version__workflow__document_type=Need._meta.label_lower
        ).only("version_id", "key", "name", "name_nn", "name_en", "category", "order", "is_initial")
    }
    initial_keys = {key for (_version, key), state in states.items() if state.is_initial}
    rows = list(
        Need.objects.filter(collaboration=collaboration)
        .exclude(state__in=initial_keys)
        .annotate(population=latest_population_subquery(day.year))
        .values_list("pk", "state", "workflow_version_id", "service_area_id", "municipality_id", "population")
    )
    areas = list(ServiceArea.objects.filter(collaboration=collaboration).order_by("order", "name"))
    members = set(
        Membership.objects.active_on(day).filter(collaboration=collaboration).values_list("municipality_id", flat=True)
    )
    municipality_ids = members | {row[4] for row in rows}
    municipalities = {m.pk: m for m in Municipality.objects.filter(pk__in=municipality_ids)}

    # By status and by stage.
    status_counts: Counter = Counter()
    status_meta: dict[str, State] = {}
    by_area: dict[int, Counter] = defaultdict(Counter)
    by_municipality: dict[int, Counter] = defaultdict(Counter)
    by_segment: dict[str, Counter] = defaultdict(Counter)
    area_of: dict[int, int] = {}
    for pk, key, version_id, area_id, municipality_id, population in rows:
        state = states.get((version_id, key))
        status_counts[key] += 1
        if state is not None:
            status_meta.setdefault(key, state)
        stage = stage_of(key, state.category if state else None)
        by_area[area_id][stage] += 1
        by_municipality[municipality_id][stage] += 1
        segment = collaboration.size_segment(population) or NO_SEGMENT
        by_segment[segment][stage] += 1
        area_of[pk] = area_id

    def ordered_status(key):
        state = status_meta.get(key)
        return (state.order if state else 999, key)

    by_status = _shares(
        [
            Bar(key, status_meta[key].localized_name if key in status_meta else key, status_counts[key])
            for key in sorted(status_counts, key=ordered_status)
        ]
    )

    def stage_bars(groups: dict, labels: list[tuple]) -> list[Bar]:
        bars = _shares(
            [Bar(str(key), str(label), sum(groups[key].values()), counts=dict(groups[key])) for key, label in labels]
        )
        largest = max((bar.count for bar in bars), default=0) or 1
        for bar, (key, _label) in zip(bars, labels, strict=True):
            bar.segments = [
                (stage, str(stage_label), groups[key][stage], round(100 * groups[key][stage] / largest, 1))
                for stage, stage_label in STAGES
            ]
            bar.counts = {stage: groups[key][stage] for stage, _stage_label in STAGES}
        return bars

    area_bars = stage_bars(by_area, [(area.pk, area.localized_name) for area in areas])
    municipality_bars = stage_bars(
        by_municipality,
        [
            (pk, f"{municipalities[pk].name}" + ("" if pk in members else " " + _("(not a member today)")))
            for pk in sorted(municipality_ids, key=lambda pk: municipalities[pk].number)
            if pk in municipalities
        ],
    )
    segment_labels = [(value, label) for value, label in SizeSegment.choices]
    if by_segment.get(NO_SEGMENT):
        segment_labels.append((NO_SEGMENT, _("population not known")))
    segment_bars = stage_bars(by_segment, segment_labels)

    # The funnel and the time to decision, from the workflow's log.
    logs = (
        TransitionLog.objects.filter(collaboration=collaboration, content_type=_need_type())
        .filter(
            Q(from_state__in=initial_keys)
            | Q(to_state__in=("recommended", "portfolio_council", "approved"))
            | Q(capacity__startswith=COMMITTEE_PREFIX, to_state__in=DECISION_STATES)
        )
        .order_by("at", "pk")
        .values_list("object_id", "from_state", "to_state", "capacity", "at")
    )
    reached: dict[str, set] = {key: set() for key, _label in FUNNEL}
    submitted_at: dict[int, datetime.datetime] = {}
    decided_at: dict[int, datetime.datetime] = {}
    for object_id, from_state, to_state, capacity, at in logs:
        if from_state in initial_keys and object_id not in submitted_at:
            submitted_at[object_id] = at
            reached["submitted"].add(object_id)
        if to_state == "recommended":
            reached["recommended"].add(object_id)
        if to_state == "portfolio_council":
            reached["council"].add(object_id)
        if to_state == "approved":
            reached["approved"].add(object_id)
        if capacity.startswith(COMMITTEE_PREFIX) and to_state in DECISION_STATES:
            reached["decided"].add(object_id)
            decided_at.setdefault(object_id, at)
    funnel = _shares([Bar(key, str(label), len(reached[key])) for key, label in FUNNEL])

    durations: list[float] = []
    per_area: dict[int, list[float]] = defaultdict(list)
    for object_id, at in decided_at.items():
        start = submitted_at.get(object_id)
        if start is None or at < start or object_id not in area_of:
            continue
        seconds = (at - start).total_seconds()
        durations.append(seconds)
        per_area[area_of[object_id]].append(seconds)
    median_by_area = [
        (area, len(per_area[area.pk]), _days(statistics.median(per_area[area.pk])))
        for area in areas
        if per_area.get(area.pk)
    ]
    return Dashboard(
        total=len(rows),
        by_status=by_status,
        funnel=funnel,
        by_service_area=area_bars,
        by_municipality=municipality_bars,
        by_segment=segment_bars,
        decided=len(durations),
        median_days=_days(statistics.median(durations)) if durations else None,
        median_by_service_area=median_by_area,
    )
