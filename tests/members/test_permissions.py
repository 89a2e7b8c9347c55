"""The permission matrix of the members domain: who sees and who may change what, and what is refused."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import (
    Body,
    BodyMembership,
    Collaboration,
    Membership,
    Municipality,
    Person,
    PopulationFigure,
    RoleAssignment,
    ServiceArea,
)
from ikt_portfolio.members.permissions import can_edit, collaboration_ids, grants_of, has_capacity

pytestmark = pytest.mark.django_db


def user_of(world, who):
    value = getattr(world, who)
    return value if who in ("operator", "outsider") else value.user


def test_capacities_come_from_employer_seats_and_assignments(world):
    assert {g.capacity for g in grants_of(world.member_small.user)} == {Capacity.SUBMITTER}
    assert {g.capacity for g in grants_of(world.council_member.user)} == {Capacity.SUBMITTER, Capacity.COUNCIL_MEMBER}
    assert {g.capacity for g in grants_of(world.lead.user)} == {Capacity.SECTOR_LEAD}
    assert {g.capacity for g in grants_of(world.admin_a.user)} == {Capacity.COLLABORATION_ADMIN}
    assert has_capacity(world.lead.user, Capacity.SECTOR_LEAD, world.a.pk, service_area_id=world.health_a.pk)
    assert not has_capacity(world.lead.user, Capacity.SECTOR_LEAD, world.b.pk)


def test_a_large_member_submits_in_both_its_collaborations(world, make_person):
    person = make_person("ks", municipality=world.large)
    assert {(g.capacity, g.collaboration_id) for g in grants_of(person.user)} == {
        (Capacity.SUBMITTER, world.a.pk),
        (Capacity.SUBMITTER, world.b.pk),
    }


def test_capacities_are_dated(world, seat):
    past = datetime.date(2021, 6, 1)
    BodyMembership.objects.filter(person=world.council_member).update(valid_to=datetime.date(2022, 12, 31))
    user = Person.objects.get(pk=world.council_member.pk).user
    assert Capacity.COUNCIL_MEMBER not in {g.capacity for g in grants_of(user)}
    assert Capacity.COUNCIL_MEMBER in {g.capacity for g in grants_of(user, day=past)}
    future = seat(world.member_small, world.council_a, valid_from=datetime.date(2099, 1, 1))
    assert future.capacity == Capacity.COUNCIL_MEMBER
    assert Capacity.COUNCIL_MEMBER not in {g.capacity for g in grants_of(world.member_small.user)}


def test_model_permissions_follow_the_capacities_held_today(world):
    user = world.admin_a.user
    assert user.has_perm("ikt_members.change_membership")
    assert user.has_perm("ikt_members.add_bodymembership")
    assert not user.has_perm("ikt_members.add_municipality")
    member = world.member_small.user
    assert member.has_perm("ikt_members.view_membership")
    assert not member.has_perm("ikt_members.change_membership")
    RoleAssignment.objects.filter(person=world.admin_a).update(valid_to=datetime.date(2021, 1, 1))
    fresh = type(user).objects.get(pk=user.pk)
    assert not fresh.has_perm("ikt_members.change_membership")


def test_a_user_without_any_capacity_has_no_model_permissions(world):
    assert not world.outsider.has_perm("ikt_members.view_membership")


# (who, model, collaboration the row belongs to) -> (sees, may change)
VISIBILITY = [
    ("operator", "a", True, True),
    ("operator", "b", True, True),
    ("admin_a", "a", True, True),
    ("admin_a", "b", False, False),
    ("admin_b", "a", False, False),
    ("member_small", "a", True, False),
    ("member_small", "b", False, False),
    ("member_other", "a", False, False),
    ("member_other", "b", True, False),
    ("council_member", "a", True, False),
    ("lead", "a", True, False),
    ("lead", "b", False, False),
    ("outsider", "a", False, False),
]


def rows_of(world, which):
    collaboration = getattr(world, which)
    return {
        Collaboration: collaboration.pk,
        Membership: Membership.objects.filter(collaboration=collaboration).first().pk,
        ServiceArea: ServiceArea.objects.filter(collaboration=collaboration).first().pk,
        Body: Body.objects.filter(collaboration=collaboration).first().pk,
        BodyMembership: BodyMembership.objects.filter(body__collaboration=collaboration).first().pk
        if which == "a"
        else None,
        RoleAssignment: RoleAssignment.objects.filter(collaboration=collaboration).first().pk,
    }


@pytest.mark.parametrize(("who", "which", "sees", "changes"), VISIBILITY)
def test_collaboration_data_is_scoped(world, who, which, sees, changes):
    user = user_of(world, who)
    for model, pk in rows_of(world, which).items():
        if pk is None:
            continue
        assert model.objects.visible_to(user).filter(pk=pk).exists() is sees, (model.__name__, who, which)
        assert model.objects.editable_by(user).filter(pk=pk).exists() is changes, (model.__name__, who, which)


def test_anonymous_sees_nothing(world):
    anonymous = AnonymousUser()
    for model in (Collaboration, Membership, Municipality, PopulationFigure, Person, Body):
        assert not model.objects.visible_to(anonymous).exists()
        assert not model.objects.editable_by(anonymous).exists()


def test_municipality_register_is_public_but_edited_only_for_members(world):
    admin = world.admin_a.user
    assert Municipality.objects.visible_to(world.member_other.user).count() == 4
    assert set(Municipality.objects.editable_by(admin)) == {world.small, world.medium, world.large}
    assert not PopulationFigure.objects.editable_by(admin).filter(municipality=world.other).exists()
    assert PopulationFigure.objects.editable_by(admin).filter(municipality=world.small).exists()


def test_people_are_seen_within_shared_collaborations(world):
    seen_by_small = set(Person.objects.visible_to(world.member_small.user))
    assert {world.admin_a, world.lead, world.council_member, world.member_small} <= seen_by_small
    assert world.member_other not in seen_by_small
    assert world.admin_b not in seen_by_small
    assert set(Person.objects.visible_to(world.outsider)) == set()
    assert world.member_other in set(Person.objects.editable_by(world.admin_b.user))
    assert world.member_other not in set(Person.objects.editable_by(world.admin_a.user))


def test_nobody_but_the_operator_creates_collaborations_or_municipalities(world):
    assert not can_edit(world.admin_a.user, Collaboration(name="Ny", short_name="Ny"))
    assert not can_edit(world.admin_a.user, Municipality(number="1101", name="Eigersund"))
    assert can_edit(world.operator, Collaboration(name="Ny", short_name="Ny"))


def test_unsaved_rows_are_checked_against_their_collaboration(world):
    assert can_edit(world.admin_a.user, Membership(collaboration=world.a, municipality=world.other))
    assert not can_edit(world.admin_a.user, Membership(collaboration=world.b, municipality=world.small))
    assert not can_edit(world.member_small.user, Membership(collaboration=world.a, municipality=world.other))


def test_collaborations_of_staff_include_their_employer(world):
    assert collaboration_ids(world.lead.user) == {world.a.pk}
