"""The portfolio API: what each user may read and do, refusals with their reason (nothing written), and
rows of other collaborations answering 404."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ikt_portfolio.portfolio import services
from ikt_portfolio.portfolio.models import BudgetFrame, Period, Scenario, ScenarioItem

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_people")]
THIS_YEAR = timezone.localdate().year
API = "/api/v1/portfolio"


@pytest.fixture
def api():
    def make(user):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def year(world, planners):
    return services.ensure_year(world.a, THIS_YEAR, user=world.admin_a.user)[0]


def test_periods_are_scoped_and_created_by_administrators(api, world, year):
    services.ensure_year(world.b, THIS_YEAR)
    listed = api(world.member_small.user).get(f"{API}/periods/").json()
    assert {row["collaboration"] for row in listed["results"]} == {world.a.pk} and listed["count"] == 4
    refused = api(world.member_small.user).post(
        f"{API}/periods/", {"collaboration": world.a.pk, "kind": "year", "year": 2031}
    )
    assert refused.status_code == 403
    created = api(world.admin_a.user).post(
        f"{API}/periods/", {"collaboration": world.a.pk, "kind": "tertial", "year": 2031, "number": 2}
    )
    assert created.status_code == 201 and created.json()["starts_on"] == "2031-05-01"
    bad = api(world.admin_a.user).post(
        f"{API}/periods/", {"collaboration": world.a.pk, "kind": "tertial", "year": 2031, "number": 5}
    )
    assert bad.status_code == 400
    other = api(world.admin_a.user).post(f"{API}/periods/", {"collaboration": world.b.pk, "kind": "year", "year": 2031})
    assert other.status_code in (400, 403) and not Period.objects.filter(collaboration=world.b, year=2031).exists()


def test_budget_frames_are_set_and_decided_by_administrators(api, world, year, planners):
    refused = api(planners.chair.user).post(
        f"{API}/budget-frames/", {"period": year.pk, "budget": "100", "capacity": "2"}
    )
    assert refused.status_code == 403 and "administrators" in refused.json()["detail"]
    created = api(world.admin_a.user).post(
        f"{API}/budget-frames/", {"period": year.pk, "budget": "1000000", "capacity": "12"}
    )
    assert created.status_code == 201 and created.json()["budget"] == "1000000.00"
    frame = BudgetFrame.objects.get()
    decided = api(world.admin_a.user).post(f"{API}/budget-frames/{frame.pk}/decide/")
    assert (
        decided.status_code == 200
        and decided.json()["decided"]
        and decided.json()["decided_by"]["id"] == world.admin_a.pk
    )
    changed = api(world.admin_a.user).post(f"{API}/budget-frames/", {"period": year.pk, "budget": "1", "capacity": "1"})
    assert changed.status_code == 400 and "decided" in changed.json()["detail"]
    assert api(world.admin_b.user).post(f"{API}/budget-frames/{frame.pk}/decide/").status_code == 404


def test_scenarios_create_lock_solve_compare(api, world, year, candidate, planners):
    services.set_budget_frame(year, world.admin_a.user, budget="1000000", capacity="12")
    a = candidate("A", score=90, cost="600000")
    b = candidate("B", score=80, cost="500000")
    chair = api(planners.chair.user)
    response = chair.post(f"{API}/scenarios/", {"period": year.pk, "name": "Første"})
    assert response.status_code == 201, response.content
    first = response.json()["id"]
    solved = chair.post(f"{API}/scenarios/{first}/solve/")
    assert solved.status_code == 200 and solved.json()["status"] == "optimal"
    assert solved.json()["objective"] == "90.00" and solved.json()["total_cost"] == "600000.00"
    items = chair.get(f"{API}/scenarios/{first}/items/?chosen=false").json()["results"]
    assert [(row["need"]["id"], row["reason"]) for row in items] == [(b.pk, "score")]
    assert items[0]["reason_text"].startswith("A better-scoring set uses the budget")

    second = chair.post(f"{API}/scenarios/", {"period": year.pk, "name": "Andre", "budget": "500000"}).json()["id"]
    locked = chair.post(f"{API}/scenarios/{second}/lock/", {"need": a.pk, "lock": "in"})
    assert locked.status_code == 400 and "above the budget" in locked.json()["detail"]
    assert not ScenarioItem.objects.filter(scenario_id=second).exists()
    assert (
        chair.post(f"{API}/scenarios/{second}/lock/", {"need": b.pk, "lock": "in", "note": "Må med"}).status_code == 200
    )
    chair.post(f"{API}/scenarios/{second}/solve/")
    compared = chair.get(f"{API}/scenarios/{first}/compare/?with={second}").json()
    assert [row["need"]["id"] for row in compared["only_a"]] == [a.pk]
    assert [row["need"]["id"] for row in compared["only_b"]] == [b.pk]
    assert compared["a"]["score"] == "90.00" and compared["b"]["budget"] == "500000.00"

    renamed = chair.patch(f"{API}/scenarios/{second}/", {"name": "Andre, mindre", "budget": "100"}, format="json")
    assert renamed.status_code == 400 and "below the items locked in" in renamed.json()["detail"]
    assert Scenario.objects.get(pk=second).budget == Decimal("500000.00")


def test_scenario_refusals_for_members_and_other_collaborations(api, world, year, candidate, planners):
    a = candidate("A")
    scenario = services.create_scenario(year, planners.chair.user, name="S")
    member = api(planners.member.user)
    assert member.get(f"{API}/scenarios/{scenario.pk}/").status_code == 200
    refused = member.post(f"{API}/scenarios/{scenario.pk}/lock/", {"need": a.pk, "lock": "in"})
    assert refused.status_code == 403 and "chair or secretary" in refused.json()["detail"]
    assert member.post(f"{API}/scenarios/", {"period": year.pk, "name": "Min"}).status_code == 403
    assert member.delete(f"{API}/scenarios/{scenario.pk}/").status_code == 403
    outsider = api(world.admin_b.user)
    assert outsider.get(f"{API}/scenarios/{scenario.pk}/").status_code == 404
    assert outsider.post(f"{API}/scenarios/{scenario.pk}/solve/").status_code == 404
    assert outsider.post(f"{API}/scenarios/", {"period": year.pk, "name": "Min"}).status_code == 404
    assert outsider.get(f"{API}/scenarios/").json()["count"] == 0
    assert not ScenarioItem.objects.exists() and Scenario.objects.count() == 1


def test_proposal_roadmap_and_dashboard(api, world, year, candidate, planners):
    services.set_budget_frame(year, world.admin_a.user, budget="1000000", capacity="12")
    high = candidate("Høy", score=90)
    candidate("Lav", score=20, cost=None)
    client = api(world.member_small.user)
    proposal = client.get(f"{API}/proposal/").json()
    assert [row["need"]["id"] for row in proposal["results"]][0] == high.pk
    assert proposal["totals"]["candidates"] == 2 and proposal["totals"]["without_estimate"] == 1
    assert proposal["totals"]["budget"] == "1000000.00" and proposal["period"]["slug"] == str(THIS_YEAR)
    assert proposal["results"][0]["breakdown"][0]["key"]
    assert client.get(f"{API}/proposal/?period={THIS_YEAR}-t3").status_code == 200
    assert client.get(f"{API}/proposal/?period=nonsense").status_code == 404
    assert client.get(f"{API}/periods/{year.pk}/proposal/").json()["totals"]["candidates"] == 2
    assert client.get(f"{API}/proposal/?collaboration={world.b.pk}").status_code == 404
    dashboard = client.get(f"{API}/dashboard/").json()
    assert dashboard["total"] == 2 and {row["key"]: row["count"] for row in dashboard["by_status"]} == {
        "recommended": 2
    }
    assert client.get(f"{API}/dashboard/?collaboration={world.b.pk}").status_code == 404
    roadmap = client.get(f"{API}/roadmap/?year={THIS_YEAR}").json()
    assert roadmap["count"] == 0 and len(roadmap["periods"]) == 3
    assert APIClient().get(f"{API}/dashboard/").status_code in (401, 403)


def test_the_schema_describes_the_portfolio(client, world):
    client.force_login(world.operator)
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/portfolio/scenarios/{id}/solve/" in schema["paths"]
