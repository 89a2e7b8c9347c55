"""The needs API: reporting, scoping, filters, co-signing, comments, following, editing per state, goals and
CSV/XLSX exports, all through HTTP with real users, capacities and workflow."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from ikt_portfolio.members.models import Body, BodyMembership, Person, ServiceArea
from ikt_portfolio.needs.models import Comment, CoSign, Follow, Goal, Need
from ikt_portfolio.workflow import services as workflow

pytestmark = pytest.mark.django_db

NEEDS = "/api/v1/needs/"


class Api:
    """An API client acting as one user, in one language (a fresh user object per request, as in production:
    nothing cached on the user survives from one request to the next)."""

    def __init__(self, user, language="en"):
        self.user_pk = user.pk if user is not None else None
        self.language = language
        self.client = APIClient()

    def _client(self):
        if self.user_pk is not None:
            self.client.force_authenticate(get_user_model().objects.get(pk=self.user_pk))
        return self.client

    def get(self, path, data=None, **extra):
        return self._client().get(path, data, HTTP_ACCEPT_LANGUAGE=self.language, **extra)

    def post(self, path, data=None):
        return self._client().post(path, data, format="json", HTTP_ACCEPT_LANGUAGE=self.language)

    def patch(self, path, data):
        return self._client().patch(path, data, format="json", HTTP_ACCEPT_LANGUAGE=self.language)

    def delete(self, path):
        return self._client().delete(path, HTTP_ACCEPT_LANGUAGE=self.language)


def as_(person_or_user, language="en") -> Api:
    return Api(getattr(person_or_user, "user", person_or_user), language)


def payload(world, **fields) -> dict:
    return {
        "title": "Digitalt tilsyn om natten",
        "problem": "Nattevakten kjører langt for å se til brukere som sover.",
        "service_area": world.health_a.pk,
        "urgency": "high",
        "expected_benefit_nok": "125000.50",
    } | fields


def submit(need, world, user=None):
    workflow.perform(need, "submit", user or need.submitted_by.user)
    return need


def refs(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


@pytest.fixture
def goal(world):
    return Goal.objects.create(collaboration=world.a, code="M1", title="Tjenester hele døgnet", first_year=2025,
                               last_year=2028)  # fmt: skip


# ------------------------------------------------------------------------------------------- reporting


def test_reporting_a_need(world, need_routing, goal):
    response = as_(world.member_small).post(NEEDS, payload(world, goals=[goal.pk]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"] == "B-1" and body["number"] == 1
    assert body["state"] == {"key": "draft", "label": "Draft", "category": "open"}
    assert body["municipality"] == {"number": "1573", "name": "Smøla"}
    assert body["submitted_by"]["name"] == "Smola Testesen"
    assert body["goals"] == [goal.pk] and body["expected_benefit_nok"] == "125000.50"
    assert body["may_edit"] is True and body["links"]["workflow"].endswith(f"/ikt_needs.need/{body['id']}/")
    need = Need.objects.get()
    assert need.submitted_by == world.member_small and need.collaboration == world.a


def test_reporting_is_refused_for_non_members_and_nothing_is_written(world, need_routing):
    response = as_(world.lead).post(NEEDS, payload(world))  # the collaboration's staff, no municipality
    assert response.status_code == 400
    assert "Only people employed by a member municipality" in str(response.json())
    response = as_(world.member_other).post(NEEDS, payload(world))  # Oslo: A's service area is not theirs
    assert response.status_code == 400 and "service_area" in response.json()
    response = as_(world.outsider).post(NEEDS, payload(world))  # no capacity anywhere
    assert response.status_code == 403 and response.json()["detail"]
    assert as_(world.member_small).post(NEEDS, payload(world)).status_code == 201  # …but members may
    Need.objects.all().delete()
    assert Api(None).client.post(NEEDS, payload(world), format="json").status_code in (401, 403)
    assert not Need.objects.exists()


def test_empty_and_oversized_fields_are_named_and_nothing_is_written(world, need_routing):
    response = as_(world.member_small).post(
        NEEDS, payload(world, title="", problem="x" * 5001, expected_benefit_nok="-1", urgency="whenever")
    )
    assert response.status_code == 400
    assert {"title", "problem", "expected_benefit_nok", "urgency"} <= set(response.json())
    response = as_(world.member_small, "nb").post(NEEDS, payload(world, title=""))
    assert response.json()["title"] == ["Dette feltet må ikke være blankt."]  # DRF's own translation
    response = as_(world.member_small).post(NEEDS, {"title": "Bare tittel"})
    assert {"problem", "service_area"} <= set(response.json())
    assert not Need.objects.exists()


def test_goals_of_another_collaboration_are_refused(world, need_routing):
    other = Goal.objects.create(collaboration=world.b, code="M1", title="B-mål", first_year=2025, last_year=2028)
    response = as_(world.operator).post(NEEDS, payload(world, goals=[other.pk]))
    assert response.status_code == 400 and "goals" in response.json()
    response = as_(world.member_small).post(NEEDS, payload(world, goals=[other.pk]))
    assert response.status_code == 400 and "goals" in response.json()
    assert not Need.objects.exists()


# ---------------------------------------------------------------------------------------------- scoping


def test_lists_are_scoped_and_drafts_are_seen_by_their_submitter_and_admins_only(world, report):
    draft = report(title="Utkast")
    sent = submit(report(title="Meldt"), world)
    assert refs(as_(world.member_small).get(NEEDS)) == {"B-1", "B-2"}
    assert refs(as_(world.admin_a).get(NEEDS)) == {"B-1", "B-2"}
    assert refs(as_(world.operator).get(NEEDS)) == {"B-1", "B-2"}
    assert refs(as_(world.council_member).get(NEEDS)) == {"B-2"}  # Sunndal, a member: not the draft
    assert refs(as_(world.lead).get(NEEDS)) == {"B-2"}
    assert refs(as_(world.admin_b).get(NEEDS)) == set()  # another collaboration's administrator
    assert refs(as_(world.member_other).get(NEEDS)) == set()
    assert as_(world.outsider).get(NEEDS).status_code == 403
    assert as_(world.council_member).get(f"{NEEDS}{draft.pk}/").status_code == 404
    assert as_(world.admin_b).get(f"{NEEDS}{sent.pk}/").status_code == 404
    detail = as_(world.council_member).get(f"{NEEDS}{sent.pk}/").json()
    assert detail["state"]["key"] == "submitted" and detail["problem"] and detail["may_edit"] is False


@pytest.fixture
def three_needs(world, report, make_person, goal):
    """Smøla's submitted health need, Kristiansund's submitted school need with a goal, Sunndal's need
    taken up by the sector group."""
    school = ServiceArea.objects.create(collaboration=world.a, code="oppvekst", name="Oppvekst")
    world.school_a = school
    world.kristiansund = make_person("ksu", municipality=world.large)
    world.sunndal = make_person("sunndal", municipality=world.medium)
    small = submit(report(title="Nattilsyn med sensor", urgency="high"), world)
    large = submit(
        report(
            user=world.kristiansund.user,
            title="Skoleskyss",
            problem="Foreldre ringer om skyssen hver morgen.",
            service_area=school,
            urgency="low",
            goals=[goal],
        ),
        world,
    )
    medium = submit(report(user=world.sunndal.user, title="Medisinrom", urgency="critical"), world)
    workflow.perform(medium, "take_up", world.lead.user)
    return small, large, medium


def test_filters(world, three_needs, goal):
    small, large, medium = three_needs
    admin = as_(world.admin_a)
    assert refs(admin.get(NEEDS, {"state": "submitted"})) == {small.reference, large.reference}
    assert refs(admin.get(NEEDS, {"state": "in_sector_group"})) == {medium.reference}
    assert refs(admin.get(NEEDS, {"service_area": world.school_a.pk})) == {large.reference}
    assert refs(admin.get(NEEDS, {"municipality": world.small.pk})) == {small.reference}
    assert refs(admin.get(NEEDS, {"municipality_number": "1505"})) == {large.reference}
    assert refs(admin.get(NEEDS, {"segment": "small"})) == {small.reference}
    assert refs(admin.get(NEEDS, {"segment": "medium"})) == {medium.reference}
    assert refs(admin.get(NEEDS, {"segment": "large"})) == {large.reference}
    assert refs(admin.get(NEEDS, {"goal": goal.pk})) == {large.reference}
    assert refs(admin.get(NEEDS, {"urgency": "critical"})) == {medium.reference}
    assert refs(admin.get(NEEDS, {"search": "sensor"})) == {small.reference}  # in the title
    assert refs(admin.get(NEEDS, {"search": "skyssen morgen"})) == {large.reference}  # in the problem
    assert refs(as_(world.kristiansund).get(NEEDS, {"mine": "true"})) == {large.reference}
    assert refs(admin.get(NEEDS, {"mine": "true"})) == set()
    colleague = Person.objects.create(user=get_user_model().objects.create_user("smola2"), municipality=world.small)
    assert refs(as_(colleague).get(NEEDS, {"my_municipality": "true"})) == {small.reference}
    assert refs(admin.get(NEEDS, {"my_municipality": "true"})) == set()  # staff have no municipality
    rows = admin.get(NEEDS, {"ordering": "-urgency"}).json()["results"]
    assert [row["urgency"] for row in rows] == ["critical", "high", "low"]
    rows = admin.get(NEEDS, {"ordering": "number"}).json()["results"]
    assert [row["number"] for row in rows] == [1, 2, 3]
    by_ref = {row["reference"]: row for row in rows}
    assert by_ref[medium.reference]["state"]["category"] == "open"
    assert by_ref[small.reference]["size_segment"] == "small"
    assert by_ref[large.reference]["service_area"] == {"id": world.school_a.pk, "name": "Oppvekst"}
    world.a.small_max_population = 10000  # the collaboration's own thresholds decide the segment
    world.a.save()
    assert refs(admin.get(NEEDS, {"segment": "small"})) == {small.reference, medium.reference}
    response = admin.get(NEEDS, {"segment": "huge"})
    assert response.status_code == 400 and "segment" in response.json()


def test_a_filter_for_another_collaborations_service_area_is_refused(world, three_needs):
    response = as_(world.admin_a).get(NEEDS, {"service_area": world.health_b.pk})
    assert response.status_code == 400 and "service_area" in response.json()


# ------------------------------------------------------------------------------------------- co-signing


def co_sign_url(need) -> str:
    return f"{NEEDS}{need.pk}/co-sign/"


def test_co_signing(world, report, make_person):
    need = submit(report(), world)
    colleague = make_person("sunndal", municipality=world.medium)
    response = as_(colleague).post(co_sign_url(need), {"expected_benefit": "Samme hos oss", "affected_count": 30})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["municipality"] == {"number": "1563", "name": "Sunndal"} and body["affected_count"] == 30
    assert Follow.objects.filter(need=need, user=colleague.user).exists()
    rows = as_(world.admin_a).get(NEEDS).json()["results"]
    assert rows[0]["co_sign_count"] == 1
    detail = as_(colleague).get(f"{NEEDS}{need.pk}/").json()
    assert detail["co_signs"][0]["person"]["name"] == "Sunndal Testesen" and detail["following"] is True


def test_co_sign_refusals_have_messages_and_write_nothing(world, report, make_person, seat):
    need = submit(report(), world)
    # Oslo is not a member of A; this Oslo employee sits in A's council (so sees the need) but cannot co-sign
    oslo = make_person("oslo2", municipality=world.other)
    seat(oslo, world.council_a)
    response = as_(oslo).post(co_sign_url(need), {})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Your municipality is not a member of this collaboration."]}
    assert as_(world.member_other).post(co_sign_url(need), {}).status_code == 404  # does not even see it
    response = as_(make_person("smola2", municipality=world.small)).post(co_sign_url(need), {})
    assert response.status_code == 400 and "reported this need" in str(response.json())
    response = as_(make_person("sunndal", municipality=world.medium), "nb").post(
        co_sign_url(need), {"expected_benefit": "x" * 3001}
    )
    assert response.status_code == 400 and "expected_benefit" in response.json()
    assert as_(world.council_member).post(co_sign_url(need), {}).status_code == 201  # Sunndal signs
    response = as_(make_person("sunndal2", municipality=world.medium)).post(co_sign_url(need), {})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Your municipality has already co-signed this need."]}
    response = as_(make_person("sunndal3", municipality=world.medium), "nb").post(co_sign_url(need), {})
    assert response.status_code == 400 and "allerede" in str(response.json())  # in Norwegian for nb
    assert CoSign.objects.count() == 1


# ---------------------------------------------------------------------------------- comments, following


def test_comments_and_questions(world, report, make_person):
    need = submit(report(), world)
    url = f"{NEEDS}{need.pk}/comments/"
    response = as_(world.member_small).post(url, {"body": "  Gjelder alle tre sykehjem.  "})
    assert response.status_code == 201 and response.json()["capacity"] == "submitter"
    assert response.json()["body"] == "Gjelder alle tre sykehjem."
    response = as_(world.council_member).post(url, {"body": "Hvor mange brukere?", "is_question": True})
    assert response.status_code == 400 and "sector group" in str(response.json())
    response = as_(world.lead).post(url, {"body": "Hvor mange brukere?", "is_question": True})
    assert response.status_code == 201 and response.json()["capacity"] == "sector_lead"
    assert as_(world.lead).post(url, {"body": ""}).status_code == 400
    assert as_(world.lead).post(url, {"body": "x" * 5001}).status_code == 400
    assert as_(world.admin_b).post(url, {"body": "Hei"}).status_code == 404
    rows = as_(world.council_member).get(url).json()["results"]
    assert [row["is_question"] for row in rows] == [False, True]
    assert rows[1]["author"]["name"] == "Lead Testesen" and rows[1]["capacity_label"]
    assert Comment.objects.count() == 2


def test_following(world, report):
    need = submit(report(), world)
    url = f"{NEEDS}{need.pk}/follow/"
    response = as_(world.council_member).post(url)
    assert response.status_code == 200 and response.json() == {"following": True}
    assert as_(world.council_member).post(url).status_code == 200  # twice is still once
    assert Follow.objects.filter(need=need).count() == 1
    assert as_(world.council_member).get(f"{NEEDS}{need.pk}/").json()["following"] is True
    assert as_(world.council_member).delete(url).status_code == 204
    assert not Follow.objects.exists()
    assert as_(world.admin_b).post(url).status_code == 404
    assert not Follow.objects.exists()


# --------------------------------------------------------------------------------------------- editing


def test_submitter_edits_a_draft_but_not_after_submitting(world, report):
    need = report()
    url = f"{NEEDS}{need.pk}/"
    response = as_(world.member_small).patch(url, {"title": "Sensorer om natten", "urgency": "critical"})
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Sensorer om natten"
    assert need.history.first().history_capacity == "submitter"
    response = as_(world.member_small).patch(url, {"title": ""})
    assert response.status_code == 400 and "title" in response.json()
    submit(need, world)
    response = as_(world.member_small).patch(url, {"title": "Endret etterpå"})
    assert response.status_code == 403
    assert response.json()["detail"] == "You may not change this need while it is “Submitted”."
    response = as_(world.member_small, "nb").patch(url, {"title": "Endret etterpå"})
    assert response.status_code == 403 and response.json()["detail"]
    assert as_(world.member_small).patch(url, {"title": "Sensorer om natten"}).status_code == 200  # no change
    need.refresh_from_db()
    assert need.title == "Sensorer om natten" and need.urgency == "critical"


def test_sector_lead_edits_in_the_sector_group_but_not_outside_it(world, report, make_person, seat):
    need = submit(report(), world)
    workflow.perform(need, "take_up", world.lead.user)
    url = f"{NEEDS}{need.pk}/"
    response = as_(world.lead).patch(url, {"estimated_cost": "250000.00", "estimated_effort": "3.5"})
    assert response.status_code == 200, response.content
    assert response.json()["estimated_cost"] == "250000.00"
    assert need.history.first().history_capacity == "sector_lead"
    school = ServiceArea.objects.create(collaboration=world.a, code="oppvekst", name="Oppvekst")
    school_group = Body.objects.create(
        collaboration=world.a, kind=Body.Kind.SECTOR_GROUP, name="Faggruppe oppvekst", service_area=school
    )
    other_lead = make_person("lead2", staff_of=world.a)
    seat(other_lead, school_group, BodyMembership.Role.LEAD)
    response = as_(other_lead).patch(url, {"estimated_cost": "1.00"})
    assert response.status_code == 403 and "may not change" in response.json()["detail"]
    assert as_(world.member_small).patch(url, {"title": "Ny"}).status_code == 403  # the submitter, now
    assert as_(world.admin_b).patch(url, {"title": "Ny"}).status_code == 404
    need.refresh_from_db()
    assert need.estimated_cost == Decimal("250000.00") and need.title != "Ny"


def test_put_and_delete_are_not_offered(world, report):
    need = report()
    client = as_(world.member_small)._client()
    assert client.put(f"{NEEDS}{need.pk}/", payload(world), format="json").status_code == 405
    assert client.delete(f"{NEEDS}{need.pk}/").status_code == 405


# ---------------------------------------------------------------------------------------------- exports


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, getattr(response, "content", b"")
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_csv_export_has_the_lists_rows_and_norwegian_headers(world, three_needs):
    small, large, medium = three_needs
    admin = as_(world.admin_a, "nb")
    for filters in ({}, {"state": "submitted"}, {"segment": "large"}, {"search": "sensor"}):
        listed = refs(admin.get(NEEDS, filters))
        rows = csv_rows(admin.get(f"{NEEDS}export.csv", filters))
        assert {row[0] for row in rows[1:]} == listed
    header, *rows = csv_rows(admin.get(f"{NEEDS}export/", {"format": "csv", "ordering": "number"}))
    assert header[:3] == ["Nummer", "Tittel", "Status"]
    assert {"Tjenesteområde", "Kommune", "Hastegrad", "Medsigneringer"} <= set(header)
    first = dict(zip(header, rows[0], strict=True))
    assert first["Nummer"] == "B-1" and first["Status"] == "Meldt inn" and first["Kommune"] == "Smøla"
    assert first["Størrelsesgruppe"] == "liten" and first["Hastegrad"] == "høy"
    assert first["Forventet årlig gevinst (kr)"] == ""
    Need.objects.filter(pk=small.pk).update(expected_benefit_nok=Decimal("125000.5"))
    header, *rows = csv_rows(admin.get(f"{NEEDS}export.csv", {"ordering": "number"}))
    assert dict(zip(header, rows[0], strict=True))["Forventet årlig gevinst (kr)"] == "125000,50"
    header, *rows = csv_rows(as_(world.admin_a, "en").get(f"{NEEDS}export.csv", {"ordering": "number"}))
    assert header[:2] == ["Number", "Title"] and rows[0][header.index("Expected yearly benefit (NOK)")] == "125000.50"
    assert csv_rows(as_(world.admin_b).get(f"{NEEDS}export.csv")) == [header]  # nothing of A
    assert Api(None).client.get(f"{NEEDS}export.csv").status_code in (401, 403)
    response = as_(world.outsider).get(f"{NEEDS}export.csv")
    assert response.status_code == 403 and response["Content-Type"] == "application/json"
    response = admin.get(f"{NEEDS}export.csv", {"segment": "huge"})
    assert response.status_code == 400 and "segment" in response.json()


def test_xlsx_export_opens_with_numbers_as_numbers(world, three_needs):
    small, large, medium = three_needs
    Need.objects.filter(pk=small.pk).update(expected_benefit_nok=Decimal("125000.5"))
    response = as_(world.admin_a, "nb").get(f"{NEEDS}export.xlsx", {"ordering": "number"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:2] == ("Nummer", "Tittel") and [row[0] for row in rows] == ["B-1", "B-2", "B-3"]
    column = header.index("Forventet årlig gevinst (kr)") + 1
    cell = sheet.cell(row=2, column=column)
    assert cell.value == 125000.5 and cell.number_format == "#,##0.00"
    assert sheet.cell(row=2, column=header.index("Opprettet") + 1).is_date
    assert rows[0][header.index("Medsigneringer")] == 0
    response = as_(world.admin_a).get(f"{NEEDS}export/", {"format": "xlsx", "state": "in_sector_group"})
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [medium.reference]


# ------------------------------------------------------------------------------------------- query cost


def test_list_queries_do_not_grow_with_the_number_of_needs(world, report, make_person, goal):
    colleague = make_person("sunndal", municipality=world.medium)

    def count(path=NEEDS):
        with CaptureQueriesContext(connection) as queries:
            response = as_(world.admin_a).get(path)
        assert response.status_code == 200
        return len(queries)

    for index in range(2):
        need = submit(report(title=f"Behov {index}", goals=[goal]), world)
        as_(colleague).post(co_sign_url(need), {})
    few = count()
    few_export = count(f"{NEEDS}export.csv")
    for index in range(2, 14):
        need = submit(report(title=f"Behov {index}", goals=[goal]), world)
        as_(colleague).post(co_sign_url(need), {})
        report(title=f"Utkast {index}")
    assert count() == few
    assert count(f"{NEEDS}export.csv") == few_export


# ------------------------------------------------------------------------------------------------ goals


def test_goals_are_read_by_members_and_written_by_admins(world, goal):
    rows = as_(world.member_small).get("/api/v1/goals/").json()["results"]
    assert [row["code"] for row in rows] == ["M1"]
    assert as_(world.member_other).get("/api/v1/goals/").json()["results"] == []
    new = {"collaboration": world.a.pk, "code": "M2", "title": "Felles data", "first_year": 2025, "last_year": 2028}
    assert as_(world.member_small).post("/api/v1/goals/", new).status_code == 403
    assert as_(world.admin_a).post("/api/v1/goals/", new).status_code == 201
    assert as_(world.admin_b).post("/api/v1/goals/", new | {"code": "M3"}).status_code == 403
    response = as_(world.admin_a).post("/api/v1/goals/", new | {"code": "M4", "last_year": 2020})
    assert response.status_code == 400 and "last_year" in response.json()
    response = as_(world.admin_a).patch(f"/api/v1/goals/{goal.pk}/", {"title": "Tjenester døgnet rundt"})
    assert response.status_code == 200
    assert as_(world.member_small).patch(f"/api/v1/goals/{goal.pk}/", {"title": "x"}).status_code == 403
    assert set(Goal.objects.values_list("code", flat=True)) == {"M1", "M2"}
