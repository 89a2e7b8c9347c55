"""Benefits across the portfolio: one year's benefits of every member and project of a collaboration, rolled up
per member, project, service area, benefit type, kind of gain and member size segment, with the cost the members
pay for the projects set against them. The portal's "Benefits in the portfolio" page, its CSV/XLSX, the API's
portfolio report and the annual report for the owners' meeting (`annual`) all read `portfolio_report`.

The lines
---------
A line is one benefit for one member taking part in the benefit's project (status participates or postpones;
a member that opted out has no lines and pays nothing for that project). Each line is computed exactly as in
that member's own report (`services.member_report`, by the same `services._benefit_line`):

- basis "measured": the member has measured at least one of the benefit's indicators (latest value in or before
  the year); realisation = the mean of the indicators' progress (latest − baseline) / (target − baseline),
  each clamped to 0–100 %;
- basis "planned": the member has targets but no value yet;
- basis "not measurable yet": the benefit has no indicator, or none with a target for this member. Never
  dropped: counted, and listed with the members concerned and the reason (`PortfolioReport.unmeasurable`).

Money per line (monetary benefits only; Decimal kroner, exact to the øre, rounded half up per line):

- planned NOK = the benefit's yearly value (what the member gains when the benefit is fully realised);
- benefits NOK = what the member report counts: yearly value × realisation when measured, else the full yearly
  value (counted as planned, and labelled so);
- realised NOK = yearly value × realisation, of measured lines only (the part of the benefits backed by
  measurements).

The roll-ups
------------
Every roll-up sums its lines (so sums are exact: each is a sum of øre amounts, no rounding after the lines) and
counts them by basis; mean realisation is the plain mean of the realisation of its measured lines (each
member × benefit weighs the same), rounded to 0.01 %.

- Per member: every member of the collaboration in the year (a membership overlapping the year) and every
  municipality taking part in one of its projects. Cost share = the member's share of the budget lines of the
  year of the projects it takes part in, allocated by their cost-sharing keys (`costs.services`, exact to the
  øre) — what its own report counts (the collaboration's annual budget is not set against project benefits).
  Net benefit = benefits NOK − cost share. Each row equals that member's `member_report`.
- Per project: the members taking part, their cost shares summed, planned / benefits / realised NOK, net,
  mean realisation and how many lines are not measurable yet; budget lines that cannot be allocated are named.
- Per service area, benefit type and kind of gain (productivity gain or cost cut): the same sums of the lines of
  the benefits in it (cost is per project, so these have no net).
- Per size segment (the collaboration's thresholds, population of the members on 1 January of the year; members
  then without a population figure or not members form "not known"): sums, and the per-member mean of cost,
  benefits and net (sum ÷ members in the segment), so a small member's lane is visible beside the large ones.
- The totals: every member's lines and cost.

Query cost: bounded whatever the number of members, projects, benefits and measurements: the participations,
the collaboration's costs once (`costs.services.collaboration_costs` for all members at once), the benefits with
indicators, targets and each target's latest measurement (`services.with_targets`), the memberships and the size
segments.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.core.money import ORE
from ikt_portfolio.members.models import Membership, SizeSegment
from ikt_portfolio.members.selectors import size_segments
from ikt_portfolio.needs import exports
from ikt_portfolio.projects.models import Participation

from . import services
from .models import Benefit

ZERO_NOK = Decimal("0.00")
PERCENT = Decimal("0.0001")  # realisation as a fraction, to 0.01 %
UNKNOWN = "unknown"
BASES = ("measured", "planned", "not_measurable")


def _mean(total: Decimal, count: int) -> Decimal | None:
    return (total / count).quantize(ORE, rounding=ROUND_HALF_UP) if count else None


@dataclass
class Tally:
    """The sums and counts of a set of lines (see the module's docstring)."""

    lines: int = 0
    measured: int = 0
    planned: int = 0
    not_measurable: int = 0
    planned_value: Decimal = ZERO_NOK
    benefits: Decimal = ZERO_NOK
    realised: Decimal = ZERO_NOK
    realisation_sum: Decimal = Decimal(0)

    def add(self, line: services.BenefitLine) -> None:
        self.lines += 1
        setattr(self, line.basis, getattr(self, line.basis) + 1)
        benefit = line.benefit
        if line.value is not None:
            self.benefits += line.value
            if benefit.yearly_value is not None:
                self.planned_value += benefit.yearly_value.quantize(ORE)
            if line.basis == "measured":
                self.realised += line.value
        if line.realisation is not None:
            self.realisation_sum += line.realisation

    @property
    def mean_realisation(self) -> Decimal | None:
        if not self.measured:
            return None
        return (self.realisation_sum / self.measured).quantize(PERCENT, rounding=ROUND_HALF_UP)

    @property
    def percent(self) -> Decimal | None:
        mean = self.mean_realisation
        return None if mean is None else (mean * 100).quantize(Decimal("0.01"))

    @property
    def percent_int(self) -> int | None:
        mean = self.mean_realisation
        return None if mean is None else int((mean * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Balance:
    """What a row (a member, a project, a size segment) gained against what it paid: `cost` and `tally`."""

    @property
    def benefits(self) -> Decimal:
        return self.tally.benefits

    @property
    def net(self) -> Decimal:
        return self.tally.benefits - self.cost


@dataclass
class MemberRow(Balance):
    municipality: object
    segment: str
    projects: int = 0
    cost: Decimal = ZERO_NOK
    tally: Tally = field(default_factory=Tally)

    @property
    def segment_label(self) -> str:
        return segment_label(self.segment)


@dataclass
class ProjectRow(Balance):
    project: object
    members: list = field(default_factory=list)  # municipalities taking part (by number)
    postponed: list = field(default_factory=list)  # those of them that postpone adopting the result
    cost: Decimal = ZERO_NOK
    tally: Tally = field(default_factory=Tally)
    cost_errors: list[str] = field(default_factory=list)

    @property
    def member_names(self) -> str:
        return ", ".join(m.name for m in self.members)


@dataclass
class GroupRow:
    """A service area, benefit type or kind of gain: its benefits (how many) and their lines."""

    key: str
    label: str
    benefit_ids: set = field(default_factory=set)
    tally: Tally = field(default_factory=Tally)

    @property
    def benefit_count(self) -> int:
        return len(self.benefit_ids)


@dataclass
class SegmentRow(Balance):
    key: str
    label: str
    members: list = field(default_factory=list)
    cost: Decimal = ZERO_NOK
    tally: Tally = field(default_factory=Tally)

    @property
    def member_count(self) -> int:
        return len(self.members)

    @property
    def mean_cost(self) -> Decimal | None:
        return _mean(self.cost, len(self.members))

    @property
    def mean_benefits(self) -> Decimal | None:
        return _mean(self.benefits, len(self.members))

    @property
    def mean_net(self) -> Decimal | None:
        return _mean(self.net, len(self.members))


@dataclass
class Unmeasurable:
    """A benefit not measurable yet for some members: why (no indicator, or no target for them), for whom, and
    the NOK counted for it as planned."""

    benefit: Benefit
    project: object
    reason: str  # "no_indicator" or "no_target"
    members: list = field(default_factory=list)
    value: Decimal | None = None

    @property
    def reason_label(self) -> str:
        if self.reason == "no_indicator":
            return gettext("no indicator yet")
        return gettext("no target for these members yet")

    @property
    def member_names(self) -> str:
        return ", ".join(m.name for m in self.members)


@dataclass
class PortfolioReport:
    collaboration: object
    year: int
    day: datetime.date  # members and population as of this day (1 January)
    generated_at: datetime.datetime
    members: list[MemberRow]
    projects: list[ProjectRow]
    service_areas: list[GroupRow]
    types: list[GroupRow]
    gains: list[GroupRow]
    segments: list[SegmentRow]
    unmeasurable: list[Unmeasurable]
    total: Tally

    @property
    def cost(self) -> Decimal:
        return sum((row.cost for row in self.members), ZERO_NOK)

    @property
    def benefits(self) -> Decimal:
        return self.total.benefits

    @property
    def net(self) -> Decimal:
        return self.benefits - self.cost

    def largest(self, attribute: str, rows) -> Decimal:
        """The largest absolute value of `attribute` over `rows` (for the bars' scale)."""
        return max((abs(getattr(row, attribute) or 0) for row in rows), default=Decimal(0))


def segment_label(segment: str) -> str:
    if segment == UNKNOWN:
        return gettext("not known")
    return str(SizeSegment(segment).label)


def _group(groups: dict, key: str, label: str) -> GroupRow:
    if key not in groups:
        groups[key] = GroupRow(key, label)
    return groups[key]


def portfolio_report(collaboration, year: int, loader=None) -> PortfolioReport:
    """Every member's and project's benefits and costs of the collaboration in `year`, rolled up (see the module's
    docstring). A bounded number of queries."""
    from ikt_portfolio.costs import services as costs

    year = int(year)
    day = datetime.date(year, 1, 1)
    year_end = datetime.date(year, 12, 31)
    participations = list(
        Participation.objects.filter(project__collaboration=collaboration)
        .exclude(status=Participation.Status.OPTS_OUT)
        .select_related("project", "municipality")
        .order_by("project__number", "project_id", "municipality__number")
    )
    cost_of, cost_errors = services.project_cost_shares(costs.collaboration_costs(collaboration, [year], loader))
    memberships = Membership.objects.filter(collaboration=collaboration).overlapping(day, year_end)
    segments = size_segments(collaboration, day)

    members: dict[int, MemberRow] = {}
    for membership in memberships.select_related("municipality").order_by("municipality__number"):
        municipality = membership.municipality
        members.setdefault(municipality.pk, MemberRow(municipality, segments.get(municipality.pk) or UNKNOWN))
    projects: dict[int, ProjectRow] = {}
    takers: dict[int, list] = {}  # project id → municipalities taking part
    for p in participations:
        row = members.get(p.municipality_id)
        if row is None:
            row = members[p.municipality_id] = MemberRow(p.municipality, segments.get(p.municipality_id) or UNKNOWN)
        cost = cost_of.get((p.project_id, p.municipality_id), ZERO_NOK).quantize(ORE)
        row.projects += 1
        row.cost += cost
        project = projects.setdefault(
            p.project_id, ProjectRow(p.project, cost_errors=cost_errors.get(p.project_id, []))
        )
        project.members.append(p.municipality)
        if p.status == Participation.Status.POSTPONES:
            project.postponed.append(p.municipality)
        project.cost += cost
        takers.setdefault(p.project_id, []).append(p.municipality)

    areas: dict[str, GroupRow] = {}
    types = {key: GroupRow(key, str(label)) for key, label in Benefit.Type.choices}
    gains = {key: GroupRow(key, str(label)) for key, label in Benefit.Gain.choices}
    total = Tally()
    unmeasurable: list[Unmeasurable] = []
    for benefit in services.with_targets(Benefit.objects.filter(project__collaboration=collaboration), year_end):
        if benefit.project_id not in takers:  # nobody takes part in its project
            continue
        targets: dict[int, dict] = {}  # municipality id → {indicator id: target}
        indicators = list(benefit.indicators.all())
        for indicator in indicators:
            for target in indicator.member_targets:
                targets.setdefault(target.municipality_id, {})[indicator.pk] = target
        area_key = str(benefit.service_area_id or "")
        area = areas.get(area_key) or _group(
            areas, area_key, benefit.service_area.localized_name if area_key else gettext("No service area")
        )
        missing = None
        for municipality in takers.get(benefit.project_id, []):
            line = services._benefit_line(benefit, targets.get(municipality.pk, {}), year_end)
            for tally in (
                members[municipality.pk].tally,
                projects[benefit.project_id].tally,
                area.tally,
                types[benefit.type].tally,
                gains[benefit.gain].tally,
                total,
            ):
                tally.add(line)
            for group in (area, types[benefit.type], gains[benefit.gain]):
                group.benefit_ids.add(benefit.pk)
            if line.basis == "not_measurable":
                if missing is None:
                    reason = "no_target" if indicators else "no_indicator"
                    missing = Unmeasurable(benefit, projects[benefit.project_id].project, reason)
                    unmeasurable.append(missing)
                missing.members.append(municipality)
                if line.value is not None:
                    missing.value = (missing.value or ZERO_NOK) + line.value

    segment_rows = {key: SegmentRow(key, segment_label(key)) for key in [*SizeSegment.values, UNKNOWN]}
    for row in members.values():
        segment = segment_rows[row.segment]
        segment.members.append(row.municipality)
        segment.cost += row.cost
        _merge(segment.tally, row.tally)

    return PortfolioReport(
        collaboration=collaboration,
        year=year,
        day=day,
        generated_at=timezone.now(),
        members=list(members.values()),
        projects=list(projects.values()),
        service_areas=sorted(areas.values(), key=lambda g: (g.key == "", g.label.lower())),
        types=[g for g in types.values() if g.tally.lines],
        gains=[g for g in gains.values() if g.tally.lines],
        segments=[s for s in segment_rows.values() if s.members],
        unmeasurable=unmeasurable,
        total=total,
    )


def _merge(into: Tally, other: Tally) -> None:
    for name in ("lines", "measured", "planned", "not_measurable"):
        setattr(into, name, getattr(into, name) + getattr(other, name))
    for name in ("planned_value", "benefits", "realised", "realisation_sum"):
        setattr(into, name, getattr(into, name) + getattr(other, name))


# ------------------------------------------------------------------------------------------------ files

_C = exports.Column


def _tally_columns() -> list[exports.Column]:
    return [
        _C(_("planned (NOK)"), lambda row: row.tally.planned_value, "money"),
        _C(_("benefits (NOK)"), lambda row: row.tally.benefits, "money"),
        _C(_("realised, measured (NOK)"), lambda row: row.tally.realised, "money"),
        _C(_("mean realisation (%)"), lambda row: row.tally.percent, "decimal"),
        _C(_("measured"), lambda row: row.tally.measured, "int"),
        _C(_("planned, not measured yet"), lambda row: row.tally.planned, "int"),
        _C(_("not measurable yet"), lambda row: row.tally.not_measurable, "int"),
    ]


MEMBER_COLUMNS = [
    _C(_("municipality number"), lambda row: row.municipality.number),
    _C(_("municipality"), lambda row: row.municipality.name, width=24),
    _C(_("size segment"), lambda row: row.segment_label),
    _C(_("projects taken part in"), lambda row: row.projects, "int"),
    _C(_("cost share (NOK)"), lambda row: row.cost, "money"),
    *_tally_columns(),
    _C(_("net benefit (NOK)"), lambda row: row.net, "money"),
]

PROJECT_COLUMNS = [
    _C(_("project"), lambda row: row.project.reference),
    _C(_("title"), lambda row: row.project.title, width=36),
    _C(_("members taking part"), lambda row: row.member_names, width=36),
    _C(_("cost shares (NOK)"), lambda row: row.cost, "money"),
    *_tally_columns(),
    _C(_("net benefit (NOK)"), lambda row: row.net, "money"),
]

GROUP_COLUMNS = [
    _C(_("name"), lambda row: row.label, width=28),
    _C(_("benefits"), lambda row: row.benefit_count, "int"),
    _C(_("member lines"), lambda row: row.tally.lines, "int"),
    *_tally_columns(),
]

SEGMENT_COLUMNS = [
    _C(_("size segment"), lambda row: row.label, width=20),
    _C(_("members"), lambda row: row.member_count, "int"),
    _C(_("cost share (NOK)"), lambda row: row.cost, "money"),
    _C(_("benefits (NOK)"), lambda row: row.benefits, "money"),
    _C(_("net benefit (NOK)"), lambda row: row.net, "money"),
    _C(_("cost share per member (NOK)"), lambda row: row.mean_cost, "money"),
    _C(_("benefits per member (NOK)"), lambda row: row.mean_benefits, "money"),
    _C(_("net benefit per member (NOK)"), lambda row: row.mean_net, "money"),
    _C(_("mean realisation (%)"), lambda row: row.tally.percent, "decimal"),
    _C(_("not measurable yet"), lambda row: row.tally.not_measurable, "int"),
]

UNMEASURABLE_COLUMNS = [
    _C(_("project"), lambda row: row.project.reference),
    _C(_("benefit"), lambda row: row.benefit.name, width=36),
    _C(_("why"), lambda row: row.reason_label, width=28),
    _C(_("members"), lambda row: row.member_names, width=36),
    _C(_("counted as planned (NOK)"), lambda row: row.value, "money"),
]

TABLES = ("members", "projects", "service_areas", "types", "gains", "segments", "unmeasurable")


def tables(report: PortfolioReport) -> dict:
    """{table key: (title, columns, rows)} in the order of TABLES."""
    return {
        "members": (_("members"), MEMBER_COLUMNS, report.members),
        "projects": (_("projects"), PROJECT_COLUMNS, report.projects),
        "service_areas": (_("service areas"), GROUP_COLUMNS, report.service_areas),
        "types": (_("benefit types"), GROUP_COLUMNS, report.types),
        "gains": (_("kinds of gain"), GROUP_COLUMNS, report.gains),
        "segments": (_("size segments"), SEGMENT_COLUMNS, report.segments),
        "unmeasurable": (_("not measurable yet"), UNMEASURABLE_COLUMNS, report.unmeasurable),
    }


def _values(rows, columns):
    for row in rows:
        yield [column.value(row) for column in columns]


def csv_lines(report: PortfolioReport, table: str, language: str | None = None):
    """One table of the report as CSV lines (semicolon separated, BOM, the language's decimal mark)."""
    _title, columns, rows = tables(report)[table]
    return exports.csv_lines(_values(rows, columns), columns, language)


def xlsx_bytes(report: PortfolioReport, language: str | None = None) -> bytes:
    """Every table of the report, one sheet each (money as numbers with two decimals)."""
    sheets = [(title, columns, _values(rows, columns)) for title, columns, rows in tables(report).values()]
    return exports.xlsx_workbook(sheets, language)


def filename(report: PortfolioReport, extension: str, table: str = "", name: str = "") -> str:
    parts = [
        slugify(name or gettext("benefits-portfolio")),
        slugify(report.collaboration.short_name),
        str(report.year),
        slugify(table.replace("_", "-")),
    ]
    return "-".join(part for part in parts if part) + f".{extension}"
