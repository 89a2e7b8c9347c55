import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ikt_portfolio.members.models import (
    Body,
    Collaboration,
    LegalFormPeriod,
    Membership,
    Municipality,
    PopulationFigure,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def login(api, user):
    api.force_authenticate(user)
    return api


def test_unauthenticated_requests_are_refused(api, world):
    assert api.get("/api/v1/memberships/").status_code in (401, 403)


def test_token_authentication(api, world):
    token = Token.objects.create(user=world.admin_a.user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/v1/memberships/")
    assert response.status_code == 200
    assert {row["collaboration"] for row in response.json()["results"]} == {world.a.pk}


def test_lists_are_scoped_to_the_users_collaborations(api, world):
    rows = login(api, world.member_other.user).get("/api/v1/memberships/").json()["results"]
    assert {row["municipality_number"] for row in rows} == {"0301", "1505"}
    rows = login(api, world.operator).get("/api/v1/memberships/").json()["results"]
    assert len(rows) == 5


def test_membership_rows_carry_population_and_segment(api, world):
    rows = login(api, world.admin_a.user).get("/api/v1/memberships/").json()["results"]
    by_number = {row["municipality_number"]: row for row in rows}
    assert by_number["1573"]["population"] == 2150
    assert by_number["1573"]["size_segment"] == "small"
    assert by_number["1505"]["size_segment"] == "large"


def test_detail_outside_scope_is_not_found(api, world):
    membership = Membership.objects.filter(collaboration=world.b).first()
    assert login(api, world.admin_a.user).get(f"/api/v1/memberships/{membership.pk}/").status_code == 404


def test_admin_adds_a_member_to_own_collaboration(api, world):
    response = login(api, world.admin_a.user).post(
        "/api/v1/memberships/",
        {"collaboration": world.a.pk, "municipality": world.other.pk, "valid_from": "2025-01-01"},
    )
    assert response.status_code == 201, response.json()
    membership = Membership.objects.get(pk=response.json()["id"])
    record = membership.history.first()
    assert record.history_user == world.admin_a.user
    assert record.history_capacity == "collaboration_admin"


def test_admin_cannot_write_into_another_collaboration(api, world):
    response = login(api, world.admin_a.user).post(
        "/api/v1/memberships/",
        {"collaboration": world.b.pk, "municipality": world.small.pk, "valid_from": "2025-01-01"},
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(collaboration=world.b, municipality=world.small).exists()


def test_admin_cannot_move_a_row_into_another_collaboration(api, world):
    membership = Membership.objects.get(collaboration=world.a, municipality=world.small)
    response = login(api, world.admin_a.user).patch(
        f"/api/v1/memberships/{membership.pk}/", {"collaboration": world.b.pk}
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.collaboration == world.a


def test_plain_member_cannot_write(api, world):
    response = login(api, world.member_small.user).post(
        "/api/v1/memberships/",
        {"collaboration": world.a.pk, "municipality": world.other.pk, "valid_from": "2025-01-01"},
    )
    assert response.status_code == 403


def test_duplicate_membership_gets_a_translated_400(api, world):
    with translation.override("nb"):
        response = login(api, world.admin_a.user).post(
            "/api/v1/memberships/",
            {"collaboration": world.a.pk, "municipality": world.small.pk, "valid_from": "2025-01-01"},
            HTTP_ACCEPT_LANGUAGE="nb",
        )
    assert response.status_code == 400
    assert "allerede medlem" in str(response.json())
    assert Membership.objects.filter(collaboration=world.a, municipality=world.small).count() == 1


def test_invalid_kommunenummer_names_the_field(api, world):
    response = login(api, world.operator).post("/api/v1/municipalities/", {"number": "9901", "name": "X"})
    assert response.status_code == 400
    assert "number" in response.json()
    assert not Municipality.objects.filter(name="X").exists()


def test_overlapping_role_assignment_is_refused(api, world):
    response = login(api, world.admin_a.user).post(
        "/api/v1/role-assignments/",
        {
            "person": world.admin_a.pk,
            "collaboration": world.a.pk,
            "capacity": "collaboration_admin",
            "valid_from": "2024-05-01",
        },
    )
    assert response.status_code == 400


def test_population_import_endpoint_is_all_or_nothing(api, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(api, world.admin_a.user)
    bad = SimpleUploadedFile("p.csv", "kommunenummer;år;folkemengde\n1573;2025;1\n0301;2025;2\n".encode())
    response = client.post("/api/v1/population-figures/import/", {"file": bad}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["line"] == 3
    assert not PopulationFigure.objects.filter(year=2025).exists()
    good = SimpleUploadedFile("p.csv", "kommunenummer;år;folkemengde\n1573;2025;1\n".encode())
    response = client.post("/api/v1/population-figures/import/", {"file": good}, format="multipart")
    assert response.status_code == 200 and response.json()["created"] == 1


def test_schema_and_docs(api, world):
    login(api, world.member_small.user)
    schema = api.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/memberships/" in schema.json()["paths"]
    assert api.get("/api/docs/").status_code == 200


LIST_ENDPOINTS = [
    "/api/v1/municipalities/",
    "/api/v1/population-figures/",
    "/api/v1/collaborations/",
    "/api/v1/legal-form-periods/",
    "/api/v1/memberships/",
    "/api/v1/service-areas/",
    "/api/v1/bodies/",
    "/api/v1/body-memberships/",
    "/api/v1/people/",
    "/api/v1/role-assignments/",
]


ADMIN_SEES_NO_NEW_ROWS = {"/api/v1/collaborations/", "/api/v1/legal-form-periods/"}


def add_rows(world, make_municipality, make_person, seat, assign, start, count):
    from ikt_portfolio.members.models import ServiceArea

    for index in range(start, start + count):
        municipality = make_municipality(f"46{index + 10:02d}", f"Kommune {index}", 1000 + index)
        PopulationFigure.objects.create(municipality=municipality, year=2020, population=900)
        Membership.objects.create(collaboration=world.a, municipality=municipality, valid_from="2020-01-01")
        person = make_person(f"extra{index}", municipality=municipality)
        seat(person, world.sector_a, represents=municipality)
        assign(person, world.a, "benefit_owner", municipality=municipality)
        area = ServiceArea.objects.create(collaboration=world.a, code=f"omr{index}", name=f"Område {index}")
        Body.objects.create(collaboration=world.a, kind="sector_group", name=f"Faggruppe {index}", service_area=area)
        collaboration = Collaboration.objects.create(name=f"Samarbeid {index}", short_name=f"S{index}")
        LegalFormPeriod.objects.create(collaboration=collaboration, legal_form="iks", valid_from="2020-01-01")
        Membership.objects.create(collaboration=collaboration, municipality=municipality, valid_from="2020-01-01")


@pytest.mark.parametrize("who", ["operator", "admin_a"])
@pytest.mark.parametrize("url", LIST_ENDPOINTS)
def test_list_queries_do_not_grow_with_rows(api, world, make_municipality, make_person, seat, assign, url, who):
    user = world.operator if who == "operator" else world.admin_a.user

    def count_queries():
        api.force_authenticate(type(user).objects.get(pk=user.pk))  # fresh: no cached grants or permissions
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url)
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    add_rows(world, make_municipality, make_person, seat, assign, 0, 2)
    few, few_rows = count_queries()
    add_rows(world, make_municipality, make_person, seat, assign, 2, 12)
    many, many_rows = count_queries()
    assert many_rows > few_rows or (who == "admin_a" and url in ADMIN_SEES_NO_NEW_ROWS)
    assert many == few, f"{url}: {few} queries with {few_rows} rows, {many} with {many_rows}"
    assert few <= 10
