"""Who may see and change what: capacities held today, and data scoped by collaboration.

Every later app scopes its data with these helpers:
- `grants_of(user)`: the capacities a user holds today, each with its scope (collaboration, body, service
  area, municipality). Computed in three queries and cached on the user object for the request.
- `collaboration_ids(user)` / `admin_collaboration_ids(user)`: where a user belongs / administers.
- `ScopedQuerySet`: a queryset with `visible_to(user)` and `editable_by(user)`, driven by the model's
  `scope_path` (the lookup from the model to its collaboration).
- `can_edit(user, instance)`: the same rule for an instance not saved yet.
"""

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, empty

from .capacities import Capacity


@dataclass(frozen=True)
class Grant:
    capacity: str
    collaboration_id: int
    body_id: int | None = None
    service_area_id: int | None = None
    municipality_id: int | None = None
    role: str | None = None


def concrete_user(user):
    """The real user behind `request.user`'s lazy wrapper, so per-request caches land on one object."""
    if isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            user._setup()
        return user._wrapped
    return user


def person_of(user):
    """The user's Person, or None (anonymous users, operators without one)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.person
    except Exception:  # RelatedObjectDoesNotExist
        return None


def grants_of(user, day: datetime.date | None = None) -> tuple[Grant, ...]:
    day = day or timezone.localdate()
    user = concrete_user(user)
    cache = user.__dict__.setdefault("_ikt_grants", {}) if user is not None else {}
    if day in cache:
        return cache[day]
    grants: list[Grant] = []
    person = person_of(user)
    if person is not None:
        from .models import BodyMembership, Membership, RoleAssignment

        if person.municipality_id:
            for collaboration_id in (
                Membership.objects.active_on(day)
                .filter(municipality_id=person.municipality_id)
                .values_list("collaboration_id", flat=True)
            ):
                grants.append(Grant(Capacity.SUBMITTER, collaboration_id, municipality_id=person.municipality_id))
        seats = (
            BodyMembership.objects.active_on(day)
            .filter(person_id=person.pk)
            .values_list(
                "body_id", "body__kind", "body__collaboration_id", "body__service_area_id", "represents_id", "role"
            )
        )
        for body_id, kind, collaboration_id, service_area_id, represents_id, role in seats:
            grants.append(
                Grant(
                    Capacity.for_body_membership(kind, role),
                    collaboration_id,
                    body_id=body_id,
                    service_area_id=service_area_id,
                    municipality_id=represents_id,
                    role=role,
                )
            )
        for capacity, collaboration_id, municipality_id in (
            RoleAssignment.objects.active_on(day)
            .filter(person_id=person.pk)
            .values_list("capacity", "collaboration_id", "municipality_id")
        ):
            grants.append(Grant(capacity, collaboration_id, municipality_id=municipality_id))
    cache[day] = tuple(grants)
    return cache[day]


def has_capacity(user, capacity: str, collaboration_id: int | None = None, **scope) -> bool:
    for grant in grants_of(user):
        if grant.capacity != capacity:
            continue
        if collaboration_id is not None and grant.collaboration_id != collaboration_id:
            continue
        if all(getattr(grant, key) == value for key, value in scope.items()):
            return True
    return False


def collaboration_ids(user) -> set[int]:
    """Collaborations the user belongs to today: through their municipality, staff post or any capacity."""
    ids = {grant.collaboration_id for grant in grants_of(user)}
    person = person_of(user)
    if person is not None and person.staff_of_id:
        ids.add(person.staff_of_id)
    return ids


def admin_collaboration_ids(user) -> set[int]:
    return {g.collaboration_id for g in grants_of(user) if g.capacity == Capacity.COLLABORATION_ADMIN}


def is_operator(user) -> bool:
    """IT operators (superusers) see and change everything."""
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


class ScopedQuerySet(models.QuerySet):
    """Rows belong to a collaboration through the model's `scope_path`; members see, administrators edit.

    A model whose rows belong to several collaborations (municipalities, people) overrides `scope_filter`.
    """

    def scope_filter(self, collaboration_ids: set[int]) -> models.Q:
        return models.Q(**{f"{self.model.scope_path}__in": collaboration_ids})

    def visible_to(self, user):
        if is_operator(user):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(self.scope_filter(collaboration_ids(user)))

    def editable_by(self, user):
        if is_operator(user):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(self.scope_filter(admin_collaboration_ids(user)))


def can_edit(user, instance) -> bool:
    """May `user` save `instance` (new or changed)? The same rule as `editable_by`, on unsaved data."""
    if is_operator(user):
        return True
    return bool(instance.scope_collaboration_ids() & admin_collaboration_ids(user))
