"""Projects' budget lines as a source of what members pay (`costs.services.register_cost_source`), and each
member's share of one project's budget, computed by the cost app's allocation (exact to the øre)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _

from ikt_portfolio.costs import services as costs
from ikt_portfolio.costs.services import CostItem, register_cost_source

from .models import BudgetLine, Participation


def _items(lines, participants: dict[int, list[tuple[int, str]]]):
    for line in lines:
        members = participants.get(line.project_id, [])
        yield CostItem(
            source="project",
            source_label=_("Project"),
            name=f"{line.project.reference}: {line.project.title} ({line.get_kind_display()})",
            total=line.amount,
            key=line.key,
            year=line.year,
            members=tuple(sorted(m for m, _status in members)),
            excluded=tuple(sorted(m for m, status in members if status == Participation.Status.OPTS_OUT)),
            url=reverse("ikt_portal:project", args=[line.project_id]),
            reference=f"project-line-{line.pk}",
        )


def _participants(project_ids) -> dict[int, list[tuple[int, str]]]:
    found: dict[int, list[tuple[int, str]]] = {}
    for project_id, municipality_id, status in Participation.objects.filter(project_id__in=project_ids).values_list(
        "project_id", "municipality_id", "status"
    ):
        found.setdefault(project_id, []).append((municipality_id, status))
    return found


@register_cost_source("project")
def project_items(collaboration, years):
    """Every keyed budget line of the collaboration's projects in the years (two queries)."""
    lines = list(
        BudgetLine.objects.filter(project__collaboration=collaboration, year__in=list(years), key__isnull=False)
        .select_related("project", "key__collaboration")
        .order_by("year", "project__number", "kind")
    )
    return list(_items(lines, _participants({line.project_id for line in lines})))


@dataclass
class MemberShare:
    municipality: object
    status: str
    by_year: dict[int, Decimal] = field(default_factory=dict)
    total: Decimal = Decimal(0)


@dataclass
class ProjectShares:
    years: list[int]
    members: list[MemberShare]
    errors: list[str]
    unkeyed: list[BudgetLine]
    total: Decimal


def project_shares(project) -> ProjectShares:
    """Each participating member's share of the project's keyed budget lines, per year and in all."""
    lines = list(project.budget_lines.select_related("key__collaboration", "project").order_by("year", "kind"))
    keyed = [line for line in lines if line.key_id]
    participations = list(project.participations.select_related("municipality"))
    participants = {project.pk: [(p.municipality_id, p.status) for p in participations]}
    allocated = costs.allocate_items(list(_items(keyed, participants))) if participations else []
    members = {p.municipality_id: MemberShare(p.municipality, p.status) for p in participations}
    errors = []
    for item in allocated:
        if item.error:
            errors.append(f"{item.item.name} {item.item.year}: {item.error}")
            continue
        for share in item.shares:
            member = members.get(share.member.pk)
            if member is None:
                continue
            member.by_year[item.item.year] = member.by_year.get(item.item.year, Decimal(0)) + share.amount
            member.total += share.amount
    return ProjectShares(
        years=sorted({line.year for line in keyed}),
        members=sorted(members.values(), key=lambda m: m.municipality.name),
        errors=errors,
        unkeyed=[line for line in lines if not line.key_id],
        total=sum((line.amount for line in keyed), Decimal(0)),
    )
