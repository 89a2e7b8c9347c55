"""Transparency reports on needs: the equity view (who reports, co-signs and gets what, by member size segment
and by member municipality, so that small members' needs are visible as their own lane) and the time to first
response per need.

The reports read one collaboration's needs; the caller passes the collaboration the user works in (the
portal's current collaboration, the API's `?collaboration=`) and has checked the user belongs to it. They count
submitted needs only, which every member of the collaboration already sees on the need list.

Definitions
-----------
Submitted
    A need is submitted when it first leaves its workflow's initial state (the draft) for a state that is not
    final: the `submit` step of both default routings (into "submitted", or "ordered" in the KS model). Its
    submission time is the time of that step. Drafts, and drafts withdrawn without ever being submitted, never
    count. The period filter (`submitted_from`, `submitted_to`, both days inclusive, local time) is on this time.

First response
    The earliest of (a) the first workflow step on the need after its submission taken by someone other than
    its submitter (take up, return, merge, resolve, reject, a committee decision …) and (b) the first comment
    after its submission written in the capacity of the need's sector group (sector lead or sector
    representative). This is `assessment.with_response_times` / `_first_response` with two differences: a
    comment counts only when it comes from the sector group (a co-signer's "we have this too" is not an
    answer), and the submission is found for any routing, not only by the state key "submitted".

Still waiting / closed without a response
    A need without a first response is still waiting while it is open (its state is not final); its time so
    far runs to now. One withdrawn by its submitter before any response is closed without a response and
    counts in neither the times nor the waiting.

First-step deadline
    The deadline (days) of the state the submission moved the need into (14 days for "submitted" in the
    recommended model, 10 for "ordered" in the KS model). A need waiting longer than that is overdue.

Times
    In days with one decimal. A median and the 90th percentile are over answered needs only (waiting needs are
    counted apart, so a member whose needs are never answered does not look fast); the percentile is
    interpolated between the closest ranks (`statistics.quantiles(..., method="inclusive")`, Excel's
    PERCENTILE.INC).

Outcomes (from the need's current state: its category, plus the keys of the default routings)
    merged                    the key "merged"
    approved or converted     the keys "approved" and "converted"
    rejected                  any state of category rejected
    withdrawn                 any state of category cancelled
    resolved without project  any other state of category done ("resolved", and done states of other routings)
    recommended or later      the keys "recommended", "portfolio_council", "board" and "deferred" (open or
                              waiting, past the sector group; in the KS model: at the board, deferred)
    in progress               every other open or waiting state ("submitted", "returned", "in_sector_group";
                              "ordered", "under_assessment")

Equity
    One row per member municipality today (also those with no needs), plus one per municipality that is not a
    member today but reported or co-signed needs counted here. Co-signs given are the co-signatures a
    municipality put on the counted needs; co-signs received are those the counted needs of the municipality
    got (the period is that of the needs, not of the signatures). The share of needs is of all counted needs;
    the share of population is of today's members' population (latest figure), so former members have none.
    The size segments are the collaboration's own thresholds (`Collaboration.size_segment`); members without a
    population figure form the segment "population not known", former members "not members today".

Query cost
    Bounded, whatever the number of needs: the counts are grouped in the database (needs per municipality and
    state, co-signs per giving and receiving municipality); the times come from one query of one row per need,
    since a median needs every value.
"""

import datetime
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import Municipality, ServiceArea, SizeSegment
from ikt_portfolio.members.selectors import latest_population_subquery, memberships_with_population
from ikt_portfolio.workflow.models import FINAL_CATEGORIES, State, StateCategory, TransitionLog
from ikt_portfolio.workflow.selectors import state_name, with_state_names

from . import exports
from .models import Comment, CoSign, Need

SECTOR_GROUP_CAPACITIES = (Capacity.SECTOR_LEAD, Capacity.SECTOR_REPRESENTATIVE)
DAY_SECONDS = Decimal(86400)
TENTH = Decimal("0.1")
HUNDRED = Decimal(100)


class Outcome(models.TextChoices):
    IN_PROGRESS = "in_progress", _("in progress")
    RECOMMENDED = "recommended", _("recommended or later")
    APPROVED = "approved", _("approved or converted")
    RESOLVED = "resolved", _("resolved without a project")
    REJECTED = "rejected", _("rejected")
    MERGED = "merged", _("merged")
    WITHDRAWN = "withdrawn", _("withdrawn")


MERGED_KEYS = frozenset({"merged"})
APPROVED_KEYS = frozenset({"approved", "converted"})
RECOMMENDED_OR_LATER_KEYS = frozenset({"recommended", "portfolio_council", "board", "deferred"})


def outcome_of(state_key: str, category: str | None) -> str:
    """The outcome a need in state `state_key` (of `category`) counts as: see the module's docstring."""
    if state_key in MERGED_KEYS:
        return Outcome.MERGED
    if state_key in APPROVED_KEYS:
        return Outcome.APPROVED
    if category == StateCategory.REJECTED:
        return Outcome.REJECTED
    if category == StateCategory.CANCELLED:
        return Outcome.WITHDRAWN
    if category == StateCategory.DONE:
        return Outcome.RESOLVED
    if state_key in RECOMMENDED_OR_LATER_KEYS:
        return Outcome.RECOMMENDED
    return Outcome.IN_PROGRESS


# ---------------------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class ReportFilters:
    submitted_from: datetime.date | None = None
    submitted_to: datetime.date | None = None
    service_area: ServiceArea | None = None

    @property
    def is_filtered(self) -> bool:
        return bool(self.submitted_from or self.submitted_to or self.service_area)


def make_filters(collaboration, *, submitted_from=None, submitted_to=None, service_area=None) -> ReportFilters:
    """Checked filters: the service area (an instance or an id) must be the collaboration's, and the period
    must not end before it starts. Raises ValidationError naming the field."""
    errors = {}
    if service_area is not None and not isinstance(service_area, ServiceArea):
        service_area = ServiceArea.objects.filter(collaboration=collaboration, pk=service_area).first()
        if service_area is None:
            errors["service_area"] = [_("Choose one of the collaboration's service areas.")]
    elif service_area is not None and service_area.collaboration_id != collaboration.pk:
        errors["service_area"] = [_("Choose one of the collaboration's service areas.")]
    if submitted_from and submitted_to and submitted_to < submitted_from:
        errors["submitted_to"] = [_("The period cannot end before it starts.")]
    if errors:
        raise ValidationError(errors)
    return ReportFilters(submitted_from, submitted_to, service_area)


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# ------------------------------------------------------------------------------- submission and response


def _logs():
    return TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(Need), object_id=OuterRef("pk"))


def _submissions():
    final = [category.value for category in FINAL_CATEGORIES]
    return (
        _logs()
        .filter(transition__from_state__is_initial=True)
        .exclude(transition__to_state__category__in=final)
        .order_by("at", "pk")
    )


def with_submission(needs):
    """Annotate `submitted_at` (when the need first left its initial state for a live one, in any routing) and
    `first_deadline_days` (the deadline of the state it entered)."""
    return needs.annotate(
        submitted_at=Subquery(_submissions().values("at")[:1]),
        first_deadline_days=Subquery(_submissions().values("transition__to_state__deadline_days")[:1]),
    )


def submitted_needs(collaboration, filters: ReportFilters | None = None):
    """The collaboration's submitted needs within `filters`, with `submitted_at` and `first_deadline_days`."""
    filters = filters or ReportFilters()
    needs = Need.objects.filter(collaboration=collaboration)
    if filters.service_area is not None:
        needs = needs.filter(service_area=filters.service_area)
    needs = with_submission(needs).filter(submitted_at__isnull=False)
    if filters.submitted_from:
        needs = needs.filter(submitted_at__gte=_start_of(filters.submitted_from))
    if filters.submitted_to:
        needs = needs.filter(submitted_at__lt=_start_of(filters.submitted_to + datetime.timedelta(days=1)))
    return needs


def with_first_response(needs):
    """Annotate `first_step_at` and `first_group_comment_at` on needs annotated with `submitted_at` (see
    `submitted_needs`); the first response is the earlier of the two (`first_response`)."""
    first_step = (
        _logs()
        .filter(at__gt=OuterRef("submitted_at"), actor__isnull=False)
        .exclude(actor_id=OuterRef("submitted_by__user_id"))
        .order_by("at", "pk")
        .values("at")[:1]
    )
    first_comment = (
        Comment.objects.filter(
            need_id=OuterRef("pk"), created_at__gt=OuterRef("submitted_at"), capacity__in=SECTOR_GROUP_CAPACITIES
        )
        .exclude(author_id=OuterRef("submitted_by_id"))
        .order_by("created_at", "pk")
        .values("created_at")[:1]
    )
    return needs.annotate(first_step_at=Subquery(first_step), first_group_comment_at=Subquery(first_comment))


def first_response(first_step_at, first_group_comment_at):
    moments = [moment for moment in (first_step_at, first_group_comment_at) if moment is not None]
    return min(moments) if moments else None


def days(seconds) -> Decimal | None:
    """Seconds as days with one decimal."""
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / DAY_SECONDS).quantize(TENTH, rounding=ROUND_HALF_UP)


def median_days(seconds: list[int]) -> Decimal | None:
    return days(statistics.median(seconds)) if seconds else None


def p90_days(seconds: list[int]) -> Decimal | None:
    if not seconds:
        return None
    if len(seconds) == 1:
        return days(seconds[0])
    return days(statistics.quantiles(seconds, n=10, method="inclusive")[-1])


def _seconds(delta: datetime.timedelta) -> int:
    return int(delta.total_seconds())


def _share(part, whole) -> Decimal | None:
    if part is None or not whole:
        return None
    return (HUNDRED * Decimal(part) / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _categories(version_ids) -> dict[tuple[int, str], str]:
    """(version id, state key) → category, for the given workflow versions: one query."""
    version_ids = {pk for pk in version_ids if pk}
    if not version_ids:
        return {}
    states = State.objects.filter(version_id__in=version_ids).order_by().values_list("version_id", "key", "category")
    return {(version_id, key): category for version_id, key, category in states}


# ----------------------------------------------------------------------------------------------- equity

SEGMENT_ORDER = (SizeSegment.SMALL.value, SizeSegment.MEDIUM.value, SizeSegment.LARGE.value, "unknown", "former")


@dataclass
class EquityRow:
    """The numbers of one member municipality, one size segment, or all of them (`kind`)."""

    kind: str  # "municipality", "segment" or "total"
    key: str  # kommunenummer, segment key or "total"
    label: str
    segment: str  # small, medium, large, unknown (no population figure) or former (not a member today)
    population: int | None = None
    is_member: bool = True
    municipality: Municipality | None = None
    members: int = 0
    needs: int = 0
    co_signs_given: int = 0
    co_signs_received: int = 0
    outcomes: dict = field(default_factory=lambda: dict.fromkeys(Outcome.values, 0))
    waiting: int = 0
    response_seconds: list = field(default_factory=list, repr=False)
    need_share: Decimal | None = None
    population_share: Decimal | None = None
    description: str = ""

    @property
    def answered(self) -> int:
        return len(self.response_seconds)

    @property
    def median_days(self) -> Decimal | None:
        return median_days(self.response_seconds)

    @property
    def representation(self) -> Decimal | None:
        """Share of needs ÷ share of population (1.0: as many needs as its size would suggest)."""
        if self.need_share is None or not self.population_share:
            return None
        return (self.need_share / self.population_share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def segment_label(self) -> str:
        return segment_label(self.segment)

    @property
    def outcome_counts(self) -> list[tuple[str, str, int]]:
        """(key, label, count) in the documented order, for pages."""
        return [(key, label, self.outcomes[key]) for key, label in Outcome.choices]

    def add(self, other: "EquityRow") -> None:
        self.needs += other.needs
        self.co_signs_given += other.co_signs_given
        self.co_signs_received += other.co_signs_received
        self.waiting += other.waiting
        self.response_seconds += other.response_seconds
        for key, count in other.outcomes.items():
            self.outcomes[key] += count
        if other.is_member:
            self.members += 1
            if other.population is not None:
                self.population = (self.population or 0) + other.population


def segment_label(segment: str) -> str:
    if segment in SizeSegment.values:
        return str(SizeSegment(segment).label)
    if segment == "former":
        return gettext("not members today")
    return gettext("population not known")


def _segment_descriptions(collaboration) -> dict[str, str]:
    def n(value: int) -> str:
        return number_format(value, use_l10n=True, force_grouping=True)

    small, medium = collaboration.small_max_population, collaboration.medium_max_population
    return {
        SizeSegment.SMALL.value: gettext("up to %(max)s inhabitants") % {"max": n(small)},
        SizeSegment.MEDIUM.value: gettext("%(min)s to %(max)s inhabitants") % {"min": n(small + 1), "max": n(medium)},
        SizeSegment.LARGE.value: gettext("over %(max)s inhabitants") % {"max": n(medium)},
        "unknown": gettext("members without a population figure"),
        "former": gettext("municipalities that are not members today but reported or co-signed these needs"),
    }


@dataclass
class EquityReport:
    collaboration: object
    filters: ReportFilters
    day: datetime.date
    segments: list[EquityRow]
    municipalities: list[EquityRow]
    total: EquityRow

    @property
    def outcome_labels(self) -> list[tuple[str, str]]:
        return [(key, str(label)) for key, label in Outcome.choices]

    @property
    def thresholds(self) -> dict[str, int]:
        return {
            "small_max_population": self.collaboration.small_max_population,
            "medium_max_population": self.collaboration.medium_max_population,
        }


def equity(collaboration, filters: ReportFilters | None = None, *, day: datetime.date | None = None) -> EquityReport:
    """Needs, co-signs, outcomes and time to first response per member municipality and per size segment.

    Six queries at most, however many needs and members (see the module's docstring for every definition).
    """
    filters = filters or ReportFilters()
    day = day or timezone.localdate()
    rows: dict[int, EquityRow] = {}
    memberships = memberships_with_population(collaboration.memberships.active_on(day), day)
    for membership in memberships:
        municipality = membership.municipality
        rows[municipality.pk] = EquityRow(
            kind="municipality",
            key=municipality.number,
            label=municipality.name,
            segment=collaboration.size_segment(membership.population) or "unknown",
            population=membership.population,
            municipality=municipality,
            members=1,
        )

    needs = submitted_needs(collaboration, filters)
    counts = list(needs.order_by().values("municipality_id", "workflow_version_id", "state").annotate(n=Count("pk")))
    signatures = list(
        CoSign.objects.filter(need__in=needs.values("pk"))
        .order_by()
        .values("municipality_id", "need__municipality_id")
        .annotate(n=Count("pk"))
    )
    times = list(
        with_first_response(needs)
        .order_by()
        .values_list(
            "municipality_id", "workflow_version_id", "state", "submitted_at", "first_step_at", "first_group_comment_at"
        )
    )

    others = {count["municipality_id"] for count in counts}
    others |= {s["municipality_id"] for s in signatures} | {s["need__municipality_id"] for s in signatures}
    others -= set(rows)
    if others:
        former = Municipality.objects.filter(pk__in=others).annotate(
            population=latest_population_subquery(day.year, outer="pk")
        )
        for municipality in former:
            rows[municipality.pk] = EquityRow(
                kind="municipality",
                key=municipality.number,
                label=municipality.name,
                segment="former",
                population=municipality.population,
                is_member=False,
                municipality=municipality,
            )

    categories = _categories(count["workflow_version_id"] for count in counts)
    for count in counts:
        category = categories.get((count["workflow_version_id"], count["state"]))
        row = rows[count["municipality_id"]]
        row.needs += count["n"]
        row.outcomes[outcome_of(count["state"], category)] += count["n"]
    for signature in signatures:
        rows[signature["municipality_id"]].co_signs_given += signature["n"]
        rows[signature["need__municipality_id"]].co_signs_received += signature["n"]
    for municipality_id, version_id, state, submitted_at, first_step_at, first_comment_at in times:
        answered_at = first_response(first_step_at, first_comment_at)
        row = rows[municipality_id]
        if answered_at is not None:
            row.response_seconds.append(_seconds(answered_at - submitted_at))
        elif categories.get((version_id, state)) not in FINAL_CATEGORIES:
            row.waiting += 1

    municipalities = sorted(
        rows.values(), key=lambda row: (SEGMENT_ORDER.index(row.segment), row.label.casefold(), row.key)
    )
    descriptions = _segment_descriptions(collaboration)
    segments = {
        key: EquityRow(kind="segment", key=key, label=segment_label(key), segment=key, description=descriptions[key])
        for key in SEGMENT_ORDER
    }
    total = EquityRow(kind="total", key="total", label=gettext("All"), segment="")
    for row in municipalities:
        segments[row.segment].add(row)
        total.add(row)
    shown = [
        segment
        for key, segment in segments.items()
        if key in SizeSegment.values or segment.members or segment.needs or segment.co_signs_given
    ]
    for row in [*municipalities, *shown, total]:
        row.need_share = _share(row.needs, total.needs)
        row.population_share = _share(row.population, total.population) if row.is_member else None
    total.population_share = HUNDRED if total.population else None
    return EquityReport(collaboration, filters, day, shown, municipalities, total)


# -------------------------------------------------------------------------------------- response times


@dataclass
class ResponseRow:
    """One submitted need: when it was submitted, when it was first answered, and how long that took."""

    need: Need
    submitted_at: datetime.datetime
    first_response_at: datetime.datetime | None
    deadline_days: int | None
    closed: bool  # in a final state now
    now: datetime.datetime

    @property
    def response_seconds(self) -> int | None:
        if self.first_response_at is None:
            return None
        return _seconds(self.first_response_at - self.submitted_at)

    @property
    def response_days(self) -> Decimal | None:
        return days(self.response_seconds)

    @property
    def waiting(self) -> bool:
        """Still waiting for a first response (open, not answered)."""
        return self.first_response_at is None and not self.closed

    @property
    def closed_without_response(self) -> bool:
        return self.first_response_at is None and self.closed

    @property
    def waiting_days(self) -> Decimal | None:
        """Days so far, while still waiting."""
        return days(_seconds(self.now - self.submitted_at)) if self.waiting else None

    @property
    def overdue(self) -> bool:
        """Still waiting beyond the first-step deadline."""
        if not self.waiting or self.deadline_days is None:
            return False
        return self.now - self.submitted_at > datetime.timedelta(days=self.deadline_days)

    @property
    def late(self) -> bool:
        """Answered, but after the first-step deadline."""
        seconds = self.response_seconds
        return bool(seconds is not None and self.deadline_days is not None and seconds > self.deadline_days * 86400)

    @property
    def state_label(self) -> str:
        return state_name(self.need)

    @property
    def status(self) -> str:
        if self.response_days is not None:
            return gettext("answered after %(days)s days") % {"days": number_format(self.response_days, 1)}
        if self.waiting:
            return gettext("still waiting, %(days)s days so far") % {"days": number_format(self.waiting_days, 1)}
        return gettext("closed without a response")


@dataclass
class AreaSummary:
    """Times to first response of one service area (or of all: `service_area` None)."""

    service_area: ServiceArea | None
    label: str
    needs: int = 0
    waiting: int = 0
    waiting_overdue: int = 0
    closed_without_response: int = 0
    response_seconds: list = field(default_factory=list, repr=False)

    @property
    def answered(self) -> int:
        return len(self.response_seconds)

    @property
    def median_days(self) -> Decimal | None:
        return median_days(self.response_seconds)

    @property
    def p90_days(self) -> Decimal | None:
        return p90_days(self.response_seconds)

    def add(self, row: ResponseRow) -> None:
        self.needs += 1
        if row.response_seconds is not None:
            self.response_seconds.append(row.response_seconds)
        elif row.waiting:
            self.waiting += 1
            self.waiting_overdue += int(row.overdue)
        else:
            self.closed_without_response += 1


@dataclass
class ResponseReport:
    collaboration: object
    filters: ReportFilters
    now: datetime.datetime
    rows: list[ResponseRow]
    service_areas: list[AreaSummary]
    total: AreaSummary


def response_report(
    collaboration, filters: ReportFilters | None = None, *, now: datetime.datetime | None = None
) -> ResponseReport:
    """Time to first response of every submitted need (newest submission first), and per service area the
    median, the 90th percentile and how many wait beyond the first-step deadline. Two queries."""
    filters = filters or ReportFilters()
    now = now or timezone.now()
    areas = ServiceArea.objects.filter(collaboration=collaboration).order_by("order", "name")
    if filters.service_area is not None:
        areas = areas.filter(pk=filters.service_area.pk)
    summaries = {area.pk: AreaSummary(area, area.localized_name) for area in areas}
    category = State.objects.filter(version_id=OuterRef("workflow_version_id"), key=OuterRef("state"))
    needs = (
        with_state_names(with_first_response(submitted_needs(collaboration, filters)))
        .annotate(state_category=Subquery(category.values("category")[:1]))
        .select_related("municipality", "service_area")
        .order_by("-submitted_at", "-pk")
    )
    rows = [
        ResponseRow(
            need=need,
            submitted_at=need.submitted_at,
            first_response_at=first_response(need.first_step_at, need.first_group_comment_at),
            deadline_days=need.first_deadline_days,
            closed=need.state_category in FINAL_CATEGORIES,
            now=now,
        )
        for need in needs
    ]
    total = AreaSummary(None, gettext("All service areas"))
    for row in rows:
        area = summaries.get(row.need.service_area_id)
        if area is None:  # a service area added since the list of areas was read
            area = summaries[row.need.service_area_id] = AreaSummary(
                row.need.service_area, row.need.service_area.localized_name
            )
        area.add(row)
        total.add(row)
    return ResponseReport(collaboration, filters, now, rows, list(summaries.values()), total)


# ------------------------------------------------------------------------------------------------ files

_C = exports.Column


def _outcome_columns() -> list[exports.Column]:
    return [_C(label, lambda row, key=key: row.outcomes[key], "int") for key, label in Outcome.choices]


EQUITY_MUNICIPALITY_COLUMNS = [
    _C(_("municipality number"), lambda row: row.key),
    _C(_("municipality"), lambda row: row.label, width=24),
    _C(_("member today"), lambda row: gettext("yes") if row.is_member else gettext("no")),
    _C(_("size segment"), lambda row: row.segment_label),
    _C(_("population"), lambda row: row.population, "int"),
    _C(_("share of population (%)"), lambda row: row.population_share, "decimal"),
    _C(_("needs submitted"), lambda row: row.needs, "int"),
    _C(_("share of needs (%)"), lambda row: row.need_share, "decimal"),
    _C(_("share of needs ÷ share of population"), lambda row: row.representation, "decimal"),
    _C(_("co-signs given"), lambda row: row.co_signs_given, "int"),
    _C(_("co-signs received"), lambda row: row.co_signs_received, "int"),
    *_outcome_columns(),
    _C(_("still waiting for a first response"), lambda row: row.waiting, "int"),
    _C(_("median days to first response"), lambda row: row.median_days, "decimal"),
]

EQUITY_SEGMENT_COLUMNS = [
    _C(_("size segment"), lambda row: row.label, width=24),
    _C(_("description"), lambda row: row.description, width=32),
    _C(_("members"), lambda row: row.members, "int"),
    _C(_("population"), lambda row: row.population, "int"),
    _C(_("share of population (%)"), lambda row: row.population_share, "decimal"),
    _C(_("needs submitted"), lambda row: row.needs, "int"),
    _C(_("share of needs (%)"), lambda row: row.need_share, "decimal"),
    _C(_("share of needs ÷ share of population"), lambda row: row.representation, "decimal"),
    _C(_("co-signs given"), lambda row: row.co_signs_given, "int"),
    _C(_("co-signs received"), lambda row: row.co_signs_received, "int"),
    *_outcome_columns(),
    _C(_("still waiting for a first response"), lambda row: row.waiting, "int"),
    _C(_("median days to first response"), lambda row: row.median_days, "decimal"),
]

RESPONSE_NEED_COLUMNS = [
    _C(_("number"), lambda row: row.need.reference),
    _C(_("title"), lambda row: row.need.title, width=40),
    _C(_("municipality"), lambda row: row.need.municipality.name, width=20),
    _C(_("service area"), lambda row: row.need.service_area.localized_name, width=24),
    _C(_("status"), lambda row: row.state_label, width=24),
    _C(_("submitted"), lambda row: row.submitted_at, "datetime"),
    _C(_("first response"), lambda row: row.first_response_at, "datetime"),
    _C(_("days to first response"), lambda row: row.response_days, "decimal"),
    _C(_("still waiting, days so far"), lambda row: row.waiting_days, "decimal"),
    _C(_("first-step deadline (days)"), lambda row: row.deadline_days, "int"),
    _C(_("waiting beyond the deadline"), lambda row: gettext("yes") if row.overdue else ""),
]

RESPONSE_AREA_COLUMNS = [
    _C(_("service area"), lambda row: row.label, width=28),
    _C(_("needs submitted"), lambda row: row.needs, "int"),
    _C(_("answered"), lambda row: row.answered, "int"),
    _C(_("median days to first response"), lambda row: row.median_days, "decimal"),
    _C(_("90th percentile, days"), lambda row: row.p90_days, "decimal"),
    _C(_("still waiting"), lambda row: row.waiting, "int"),
    _C(_("waiting beyond the first-step deadline"), lambda row: row.waiting_overdue, "int"),
    _C(_("closed without a response"), lambda row: row.closed_without_response, "int"),
]

EQUITY_TABLES = ("municipalities", "segments")
RESPONSE_TABLES = ("needs", "service_areas")


def _values(rows, columns):
    for row in rows:
        yield [column.value(row) for column in columns]


def _equity_tables(report: EquityReport) -> dict:
    return {
        "municipalities": (_("municipalities"), EQUITY_MUNICIPALITY_COLUMNS, report.municipalities),
        "segments": (_("size segments"), EQUITY_SEGMENT_COLUMNS, [*report.segments, report.total]),
    }


def _response_tables(report: ResponseReport) -> dict:
    return {
        "needs": (_("needs"), RESPONSE_NEED_COLUMNS, report.rows),
        "service_areas": (_("service areas"), RESPONSE_AREA_COLUMNS, [*report.service_areas, report.total]),
    }


def _tables(report) -> dict:
    return _equity_tables(report) if isinstance(report, EquityReport) else _response_tables(report)


def csv_lines(report, table: str, language: str | None = None):
    """One table of the report (EQUITY_TABLES / RESPONSE_TABLES) as CSV lines, like the need exports."""
    _title, columns, rows = _tables(report)[table]
    return exports.csv_lines(_values(rows, columns), columns, language)


def xlsx_bytes(report, language: str | None = None) -> bytes:
    """Every table of the report, one sheet each."""
    sheets = [(title, columns, _values(rows, columns)) for title, columns, rows in _tables(report).values()]
    return exports.xlsx_workbook(sheets, language)


def filename(report, extension: str, table: str = "") -> str:
    name = gettext("equity") if isinstance(report, EquityReport) else gettext("response-times")
    parts = [slugify(name), slugify(report.collaboration.short_name), slugify(table.replace("_", "-"))]
    day = timezone.localdate().isoformat()
    return "-".join(part for part in [*parts, day] if part) + f".{extension}"
