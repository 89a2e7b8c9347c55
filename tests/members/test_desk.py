import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ikt_portfolio.members.models import Membership, Person

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "collaboration",
    "municipality",
    "populationfigure",
    "membership",
    "servicearea",
    "body",
    "sectorgroup",
    "bodymembership",
    "person",
    "roleassignment",
]


def fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_login_page_is_in_bokmal_by_default(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert 'lang="nb"' in response.content.decode()
    assert "Passord" in response.content.decode()


def test_login_with_password_and_throttling(client, world, settings):
    url = reverse("admin:login")
    response = client.post(url, {"username": "admin_a", "password": "pw-for-tests-123"})
    assert response.status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "smola", "password": "wrong"})
    locked = client.post(url, {"username": "smola", "password": "pw-for-tests-123"})
    assert locked.status_code == 429


@pytest.mark.parametrize("model", CHANGELISTS)
def test_every_changelist_opens_for_the_administrator(client, world, model):
    client.force_login(world.admin_a.user)
    assert client.get(reverse(f"admin:ikt_members_{model}_changelist")).status_code == 200


def test_changelist_shows_only_own_collaboration(client, world):
    client.force_login(world.admin_a.user)
    page = client.get(reverse("admin:ikt_members_membership_changelist")).content.decode()
    assert "Smøla" in page and "Oslo" not in page


def test_other_collaborations_rows_cannot_be_opened(client, world):
    client.force_login(world.admin_a.user)
    foreign = Membership.objects.filter(collaboration=world.b).first()
    response = client.get(reverse("admin:ikt_members_membership_change", args=[foreign.pk]))
    assert response.status_code == 302  # the admin's "does not exist" redirect: nothing is shown


def test_member_sees_but_cannot_change(client, world):
    client.force_login(world.member_small.user)
    own = Membership.objects.filter(collaboration=world.a).first()
    response = client.get(reverse("admin:ikt_members_membership_change", args=[own.pk]))
    assert response.status_code == 200
    response = client.post(
        reverse("admin:ikt_members_membership_change", args=[own.pk]),
        {
            "collaboration": world.a.pk,
            "municipality": own.municipality_id,
            "role": "member",
            "valid_from": "2020-01-01",
        },
    )
    assert response.status_code == 403


def test_desk_edit_is_audited_with_capacity(client, world):
    client.force_login(world.admin_a.user)
    membership = Membership.objects.get(collaboration=world.a, municipality=world.small)
    response = client.post(
        reverse("admin:ikt_members_membership_change", args=[membership.pk]),
        {
            "collaboration": world.a.pk,
            "municipality": world.small.pk,
            "role": "member",
            "valid_from": "2020-01-01",
            "valid_to": "2030-12-31",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = membership.history.first()
    assert (latest.history_user, latest.history_capacity, str(latest.valid_to)) == (
        world.admin_a.user,
        "collaboration_admin",
        "2030-12-31",
    )
    history = client.get(reverse("admin:ikt_members_membership_history", args=[membership.pk]))
    assert history.status_code == 200


@pytest.mark.parametrize("model", CHANGELISTS)
def test_changelist_queries_do_not_grow_with_rows(client, world, make_municipality, make_person, seat, model):
    url = reverse(f"admin:ikt_members_{model}_changelist")

    def count():
        client.force_login(fresh(world.operator))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def grow(start, n):
        from ikt_portfolio.members.models import Body, Collaboration, RoleAssignment, ServiceArea

        for i in range(start, start + n):
            municipality = make_municipality(f"34{i + 10:02d}", f"Kommune {i}", 1000 + i)
            collaboration = Collaboration.objects.create(
                name=f"S {i}", short_name=f"S{i}", host_municipality=municipality
            )
            Membership.objects.create(collaboration=collaboration, municipality=municipality, valid_from="2020-01-01")
            area = ServiceArea.objects.create(collaboration=collaboration, code="x", name=f"Område {i}")
            body = Body.objects.create(collaboration=collaboration, kind="sector_group", name="F", service_area=area)
            person = make_person(f"p{i}", municipality=municipality)
            seat(person, body, represents=municipality)
            RoleAssignment.objects.create(
                person=person, collaboration=collaboration, capacity="benefit_owner", valid_from="2020-01-01"
            )

    grow(0, 2)
    few = count()
    grow(2, 15)
    many = count()
    assert many == few, f"{model}: {few} queries before, {many} after adding rows"


def test_language_choice_is_remembered_per_user(client, world):
    client.force_login(world.admin_a.user)
    response = client.post(reverse("ikt_core:set_language"), {"language": "nn", "next": "/desk/"})
    assert response.status_code == 302
    assert Person.objects.get(pk=world.admin_a.pk).language == "nn"
    other_client = type(client)()
    other_client.force_login(world.admin_a.user)
    page = other_client.get(reverse("admin:index")).content.decode()
    assert 'lang="nn"' in page


def test_dashboard_carries_the_collaborations_name(client, world):
    client.force_login(world.admin_a.user)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Samarbeid A" in page


def test_administrator_adds_a_person_with_a_login(client, world):
    client.force_login(world.admin_a.user)
    response = client.post(
        reverse("admin:ikt_members_person_add"),
        {
            "username": "ny.person",
            "first_name": "Nora",
            "last_name": "Nyansatt",
            "email": "nora@example.test",
            "municipality": world.small.pk,
            "job_title": "Rådgiver",
            "language": "nn",
            "role_assignments-TOTAL_FORMS": "0",
            "role_assignments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    person = Person.objects.get(user__username="ny.person")
    assert person.municipality == world.small and not person.user.has_usable_password()


def test_administrator_cannot_add_a_person_outside_the_collaboration(client, world):
    client.force_login(world.admin_a.user)
    response = client.post(
        reverse("admin:ikt_members_person_add"),
        {
            "username": "utenfor",
            "first_name": "U",
            "last_name": "T",
            "email": "u@example.test",
            "municipality": world.other.pk,
            "language": "nb",
            "role_assignments-TOTAL_FORMS": "0",
            "role_assignments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form comes back with the choice refused
    assert "municipality" in response.context["adminform"].form.errors
    assert not Person.objects.filter(user__username="utenfor").exists()


def test_history_of_another_collaborations_row_is_refused(client, world):
    client.force_login(world.admin_a.user)
    foreign = Membership.objects.filter(collaboration=world.b).first()
    response = client.get(reverse("admin:ikt_members_membership_history", args=[foreign.pk]))
    assert response.status_code == 403


def test_history_shows_the_capacity(client, world):
    client.force_login(world.operator)
    membership = Membership.objects.filter(collaboration=world.a).first()
    from ikt_portfolio.core.audit import acting_as

    with acting_as("collaboration_admin"):
        membership.valid_to = "2031-01-01"
        membership.save()
    page = client.get(reverse("admin:ikt_members_membership_history", args=[membership.pk])).content.decode()
    assert "collaboration administrator" in page or "administrator for samarbeidet" in page


def test_inline_rows_cannot_reach_into_another_collaboration(client, world):
    """A collaboration administrator must not make anyone an administrator of another collaboration."""
    from ikt_portfolio.members.models import RoleAssignment

    client.force_login(world.admin_a.user)
    person = world.member_small
    response = client.post(
        reverse("admin:ikt_members_person_change", args=[person.pk]),
        {
            "municipality": world.small.pk,
            "job_title": "",
            "language": "nb",
            "role_assignments-TOTAL_FORMS": "1",
            "role_assignments-INITIAL_FORMS": "0",
            "role_assignments-0-collaboration": world.b.pk,
            "role_assignments-0-capacity": "collaboration_admin",
            "role_assignments-0-valid_from": "2025-01-01",
        },
    )
    assert response.status_code in (200, 403)
    assert not RoleAssignment.objects.filter(person=person, collaboration=world.b).exists()


def test_inline_save_is_checked_even_when_the_choice_is_offered(rf, world):
    """The second line of defence: save_formset refuses a row outside the user's scope."""
    from django.core.exceptions import PermissionDenied

    from ikt_portfolio.core.admin import ensure_editable
    from ikt_portfolio.members.models import RoleAssignment

    request = rf.post("/")
    request.user = world.admin_a.user
    with pytest.raises(PermissionDenied):
        ensure_editable(
            request, RoleAssignment(person=world.member_small, collaboration=world.b, capacity="benefit_owner")
        )


def test_collaboration_page_queries_stay_bounded_as_members_grow(client, world, make_municipality):
    def add_members(start, count):
        for index in range(start, start + count):
            municipality = make_municipality(f"42{index + 10:02d}", f"Kommune {index}", 1000)
            Membership.objects.create(collaboration=world.a, municipality=municipality, valid_from="2020-01-01")

    def count():
        client.force_login(fresh(world.admin_a.user))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("admin:ikt_members_collaboration_change", args=[world.a.pk])).status_code == 200
        return len(queries)

    add_members(0, 22)
    count()  # warms the content-type cache
    before = count()
    add_members(22, 20)
    assert count() == before
