import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from ikt_portfolio.members.models import (
    Body,
    BodyMembership,
    Collaboration,
    LegalFormPeriod,
    Membership,
    Municipality,
    Person,
    SizeSegment,
)
from ikt_portfolio.members.selectors import size_segments

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("number", ["1505", "0301", "4601", "5001", "15"])
def test_valid_numbers_pass(number):
    kind = Municipality.Kind.COUNTY if len(number) == 2 else Municipality.Kind.MUNICIPALITY
    Municipality(number=number, name="X", kind=kind).full_clean()


@pytest.mark.parametrize("number", ["150", "15055", "abcd", "9901", "1500", "", "13"])
def test_invalid_kommunenummer_is_refused_with_the_field_named(number):
    with translation.override("nb"), pytest.raises(ValidationError) as error:
        Municipality(number=number, name="X").full_clean()
    assert "number" in error.value.message_dict


def test_invalid_number_message_is_translated():
    with translation.override("nb"), pytest.raises(ValidationError) as error:
        Municipality(number="9901", name="X").full_clean()
    assert "kommunenummer" in " ".join(error.value.message_dict["number"]).lower()


def test_county_needs_two_digits_and_municipality_four():
    with pytest.raises(ValidationError):
        Municipality(number="1505", name="X", kind=Municipality.Kind.COUNTY).full_clean()
    with pytest.raises(ValidationError):
        Municipality(number="15", name="X", kind=Municipality.Kind.MUNICIPALITY).full_clean()


def test_names_repeat_numbers_do_not(make_municipality):
    make_municipality("0236", "Nes")
    make_municipality("0616", "Nes")
    with pytest.raises(IntegrityError), transaction.atomic():
        Municipality.objects.create(number="0236", name="Nes igjen")


def test_overlapping_membership_is_refused(world):
    duplicate = Membership(collaboration=world.a, municipality=world.small, valid_from=datetime.date(2024, 1, 1))
    with translation.override("en"), pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "already a member" in str(error.value)


def test_membership_after_an_ended_one_is_allowed(world):
    Membership.objects.filter(collaboration=world.b, municipality=world.large).update(
        valid_to=datetime.date(2023, 12, 31)
    )
    Membership(collaboration=world.b, municipality=world.large, valid_from=datetime.date(2024, 1, 1)).full_clean()


def test_end_before_start_is_refused(world):
    membership = Membership(
        collaboration=world.b,
        municipality=world.small,
        valid_from=datetime.date(2024, 1, 1),
        valid_to=datetime.date(2023, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        membership.full_clean()
    assert "valid_to" in error.value.message_dict


def test_end_before_start_is_refused_by_the_database_too(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            collaboration=world.b,
            municipality=world.small,
            valid_from=datetime.date(2024, 1, 1),
            valid_to=datetime.date(2023, 1, 1),
        )


def test_one_municipality_in_two_collaborations(world):
    assert set(world.large.memberships.values_list("collaboration__short_name", flat=True)) == {"A", "B"}


def test_overlapping_seat_and_role_are_refused(world, seat, assign):
    with pytest.raises(ValidationError):
        BodyMembership(
            person=world.council_member, body=world.council_a, valid_from=datetime.date(2025, 1, 1)
        ).full_clean()
    from ikt_portfolio.members.models import RoleAssignment

    with pytest.raises(ValidationError):
        RoleAssignment(
            person=world.admin_a,
            collaboration=world.a,
            capacity="collaboration_admin",
            valid_from=datetime.date(2025, 1, 1),
        ).full_clean()


def test_sector_lead_only_in_sector_groups(world):
    seat_ = BodyMembership(person=world.lead, body=world.council_a, role=BodyMembership.Role.LEAD)
    with pytest.raises(ValidationError) as error:
        seat_.full_clean()
    assert "role" in error.value.message_dict


def test_represented_municipality_must_be_a_member(world):
    seat_ = BodyMembership(person=world.member_other, body=world.council_a, represents=world.other)
    with pytest.raises(ValidationError) as error:
        seat_.full_clean()
    assert "represents" in error.value.message_dict


def test_sector_group_needs_service_area(world):
    with pytest.raises(ValidationError):
        Body(collaboration=world.a, kind=Body.Kind.SECTOR_GROUP, name="Uten område").full_clean()
    with pytest.raises(ValidationError):
        Body(collaboration=world.a, kind=Body.Kind.SECTOR_GROUP, name="Feil", service_area=world.health_b).full_clean()


def test_person_works_for_exactly_one_employer(world):
    with pytest.raises(ValidationError):
        Person(user=world.outsider, municipality=world.small, staff_of=world.a).full_clean()
    with pytest.raises(ValidationError):
        Person(user=world.outsider).full_clean()


def test_size_segments_follow_configurable_thresholds(world):
    assert size_segments(world.a) == {
        world.small.pk: SizeSegment.SMALL,
        world.medium.pk: SizeSegment.MEDIUM,
        world.large.pk: SizeSegment.LARGE,
    }
    world.a.small_max_population = 8000
    world.a.medium_max_population = 30000
    world.a.save()
    assert size_segments(world.a)[world.medium.pk] == SizeSegment.SMALL
    assert size_segments(world.a)[world.large.pk] == SizeSegment.MEDIUM


def test_segment_thresholds_must_be_ordered():
    with pytest.raises(ValidationError):
        Collaboration(name="X", short_name="X", small_max_population=9000, medium_max_population=5000).full_clean()


def test_legal_form_history_is_dated_and_does_not_overlap(world):
    LegalFormPeriod.objects.create(
        collaboration=world.a,
        legal_form="section27",
        valid_from=datetime.date(2006, 1, 1),
        valid_to=datetime.date(2019, 12, 31),
    )
    LegalFormPeriod(
        collaboration=world.a, legal_form="oppgavefellesskap", valid_from=datetime.date(2020, 1, 1)
    ).full_clean()
    with pytest.raises(ValidationError):
        LegalFormPeriod(collaboration=world.a, legal_form="iks", valid_from=datetime.date(2019, 6, 1)).full_clean()


def test_names_show_in_the_users_language(world):
    world.health_a.name_nn = "Helse og omsorg (nn)"
    world.health_a.name_en = "Health and care"
    with translation.override("nn"):
        assert str(world.health_a) == "Helse og omsorg (nn)"
    with translation.override("en"):
        assert str(world.health_a) == "Health and care"
    world.health_a.name_en = ""
    with translation.override("en"):
        assert str(world.health_a) == "Helse og omsorg"


def test_norwegian_letters_round_trip(make_municipality):
    make_municipality("1818", "Herøy")
    assert Municipality.objects.get(number="1818").name == "Herøy"
    make_municipality("1514", "Sande Æøå")
    assert Municipality.objects.filter(name="Sande Æøå").exists()
