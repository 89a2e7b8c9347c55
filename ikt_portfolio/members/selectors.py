"""Read-side queries shared by the Desk, the API and later apps (joins included, so no page forgets them)."""

import datetime

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .models import Collaboration, Membership, PopulationFigure
from .permissions import collaboration_ids, is_operator, person_of


def primary_collaboration(user) -> Collaboration | None:
    """The collaboration a user works in first: their staff post, else the first their municipality is in."""
    person = person_of(user)
    if person is not None and person.staff_of_id:
        return Collaboration.objects.filter(pk=person.staff_of_id).first()
    ids = collaboration_ids(user) if person is not None else set()
    if ids:
        return Collaboration.objects.filter(pk__in=ids).order_by("pk").first()
    if is_operator(user):
        return Collaboration.objects.order_by("pk").first()
    return None


def latest_population_subquery(year: int | None = None, outer: str = "municipality_id") -> Subquery:
    figures = PopulationFigure.objects.filter(municipality_id=OuterRef(outer))
    if year is not None:
        figures = figures.filter(year__lte=year)
    return Subquery(figures.order_by("-year").values("population")[:1])


def memberships_with_population(queryset=None, day: datetime.date | None = None):
    """Memberships with municipality and collaboration joined and `population` annotated (latest figure)."""
    day = day or timezone.localdate()
    queryset = queryset if queryset is not None else Membership.objects.all()
    return queryset.select_related("municipality", "collaboration").annotate(
        population=latest_population_subquery(day.year)
    )


def size_segments(collaboration: Collaboration, day: datetime.date | None = None) -> dict[int, str | None]:
    """Municipality id → size segment for the collaboration's active members on `day`."""
    memberships = memberships_with_population(collaboration.memberships.active_on(day), day)
    return {m.municipality_id: collaboration.size_segment(m.population) for m in memberships}


BODY_CAPACITIES = {
    # capacity: (body kind, roles: None = any except lead, or a tuple of roles)
    "sector_lead": ("sector_group", ("lead",)),
    "sector_representative": ("sector_group", None),
    "council_member": ("portfolio_council", None),
    "board_member": ("board", None),
    "owner_representative": ("owners_meeting", None),
}


def capacity_holders(collaboration_id: int, capacities, scope: dict | None = None, day=None) -> set[int]:
    """User ids of the people who hold any of `capacities` in the collaboration today, limited by `scope`
    (e.g. service_area_id) for seats in bodies tied to one service area. Two queries at most."""
    from django.db.models import Q

    from .models import BodyMembership, RoleAssignment

    scope = scope or {}
    seat_filter = Q()
    for capacity in capacities:
        if capacity not in BODY_CAPACITIES:
            continue
        kind, roles = BODY_CAPACITIES[capacity]
        condition = Q(body__kind=kind)
        condition &= Q(role__in=roles) if roles else ~Q(role="lead")
        seat_filter |= condition
    users: set[int] = set()
    if seat_filter:
        seats = BodyMembership.objects.active_on(day).filter(seat_filter, body__collaboration_id=collaboration_id)
        if scope.get("service_area_id"):
            seats = seats.filter(
                Q(body__service_area_id__isnull=True) | Q(body__service_area_id=scope["service_area_id"])
            )
        users.update(seats.values_list("person__user_id", flat=True))
    assigned = [c for c in capacities if c not in BODY_CAPACITIES or c == "owner_representative"]
    if assigned:
        users.update(
            RoleAssignment.objects.active_on(day)
            .filter(collaboration_id=collaboration_id, capacity__in=assigned)
            .values_list("person__user_id", flat=True)
        )
    return users
