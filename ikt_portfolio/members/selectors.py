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


def population_in(municipality_ids, year: int) -> dict[int, int]:
    """Latest population on or before `year` per municipality, in one query."""
    result: dict[int, int] = {}
    for municipality_id, population in (
        PopulationFigure.objects.filter(municipality_id__in=list(municipality_ids), year__lte=year)
        .order_by("municipality_id", "-year")
        .values_list("municipality_id", "population")
    ):
        result.setdefault(municipality_id, population)
    return result


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
