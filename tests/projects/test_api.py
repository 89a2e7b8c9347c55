import pytest
from rest_framework.test import APIClient

from ikt_portfolio.members.models import Person
from ikt_portfolio.projects.models import BudgetLine, Project


@pytest.fixture(autouse=True)
def english_people(world, people):
    Person.objects.all().update(language="en")


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def test_list_for_the_collaboration_and_page_for_those_allowed(api, world, project, people):
    api.force_authenticate(people.large_staff.user)
    listed = api.get("/api/v1/projects/")
    assert listed.status_code == 200 and [p["id"] for p in listed.json()["results"]] == [project.pk]
    assert api.get(f"/api/v1/projects/{project.pk}/").status_code == 404  # not participating
    api.force_authenticate(world.member_small.user)
    detail = api.get(f"/api/v1/projects/{project.pk}/").json()
    assert detail["reference"] == "P-1" and {p["municipality"] for p in detail["participations"]} == {
        world.small.pk,
        world.medium.pk,
    }
    api.force_authenticate(world.member_other.user)
    assert api.get("/api/v1/projects/").json()["results"] == []


def test_from_needs_refused_then_allowed(api, world, phases, approved, people):
    need = approved()
    api.force_authenticate(world.member_small.user)
    assert api.post("/api/v1/projects/from-needs/", {"needs": [need.pk]}, format="json").status_code == 403
    api.force_authenticate(world.admin_b.user)
    assert api.post("/api/v1/projects/from-needs/", {"needs": [need.pk]}, format="json").status_code == 404
    assert not Project.objects.exists()
    api.force_authenticate(people.owner.user)
    response = api.post("/api/v1/projects/from-needs/", {"needs": [need.pk], "title": "API"}, format="json")
    assert response.status_code == 201 and response.json()["title"] == "API"
    again = api.post("/api/v1/projects/from-needs/", {"needs": [need.pk]}, format="json")
    assert again.status_code == 400 and "not approved" in again.json()["non_field_errors"][0]


def test_record_changes_and_refusals(api, world, project, people):
    url = f"/api/v1/projects/{project.pk}"
    api.force_authenticate(world.member_small.user)
    denied = api.post(f"{url}/budget-lines/", {"year": 2026, "kind": "investment", "amount": "5"}, format="json")
    assert denied.status_code == 403
    api.force_authenticate(people.owner.user)
    negative = api.post(f"{url}/budget-lines/", {"year": 2026, "kind": "investment", "amount": "-5"}, format="json")
    assert negative.status_code == 400 and "amount" in negative.json()
    assert not BudgetLine.objects.exists()
    ok = api.post(f"{url}/budget-lines/", {"year": 2026, "kind": "investment", "amount": "5000"}, format="json")
    assert ok.status_code == 200
    opt_out = {"municipality": world.medium.pk, "status": "opts_out"}
    assert api.post(f"{url}/participation/", opt_out, format="json").status_code == 400
    opt_out["reason"] = "Eget system"
    assert api.post(f"{url}/participation/", opt_out, format="json").json()["status"] == "opts_out"
    report = {"scope": "green", "time": "amber", "cost": "red", "benefits": "green", "comment": "Ok"}
    assert api.post(f"{url}/status-reports/", report, format="json").status_code == 201
    risk = {"description": "Leverandør", "probability": 3, "consequence": 4}
    assert api.post(f"{url}/risks/", risk, format="json").json()["score"] == 12
    assert api.post(f"{url}/risks/", {**risk, "probability": 0}, format="json").status_code == 400


def test_gate_checklist_through_the_api(api, world, project, people):
    api.force_authenticate(people.owner.user)
    url = f"/api/v1/projects/{project.pk}/checklist/"
    items = api.get(url).json()
    assert len(items) == 2 and not any(i["done"] for i in items)
    perform = f"/api/v1/workflow/documents/ikt_projects.project/{project.pk}/perform/"
    refused = api.post(perform, {"action": "start_preproject", "comment": "Videre"}, format="json")
    assert refused.status_code in (400, 403)
    project.refresh_from_db()
    assert project.state == "forfase"
    for item in items:
        api.post(url, {"item": item["item"], "done": True}, format="json")
    passed = api.post(perform, {"action": "start_preproject", "comment": "Videre"}, format="json")
    assert passed.status_code == 200, passed.content
    project.refresh_from_db()
    assert project.state == "forprosjekt"
