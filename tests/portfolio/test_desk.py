"""The Desk's portfolio pages: lists, the scenario with its result, the Solve button, frames and refusals."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ikt_portfolio.portfolio import services
from ikt_portfolio.portfolio.models import BudgetFrame, Scenario

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_people")]
THIS_YEAR = timezone.localdate().year


@pytest.fixture
def year(world, planners):
    return services.ensure_year(world.a, THIS_YEAR, user=world.admin_a.user)[0]


def test_lists_for_the_administrator_and_nothing_of_other_collaborations(client, world, year):
    services.ensure_year(world.b, THIS_YEAR)
    client.force_login(world.admin_a.user)
    for model in ("period", "budgetframe", "scenario"):
        assert client.get(reverse(f"admin:ikt_plan_{model}_changelist")).status_code == 200
    page = client.get(reverse("admin:ikt_plan_period_changelist")).content.decode()
    assert page.count(f"{THIS_YEAR}, tertial 1") == 1  # collaboration B's is not listed


def test_the_chair_solves_a_scenario_in_the_desk(client, world, year, candidate, planners):
    services.set_budget_frame(year, world.admin_a.user, budget="1000000", capacity="12")
    a = candidate("A", score=90, cost="600000")
    client.force_login(planners.chair.user)
    form = {"period": year.pk, "name": "Desk", "budget": "", "capacity": "", "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0"}  # fmt: skip
    response = client.post(reverse("admin:ikt_plan_scenario_add"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    scenario = Scenario.objects.get(name="Desk")
    assert scenario.created_by == planners.chair
    response = client.get(reverse("admin:ikt_plan_scenario_solve_action", args=[scenario.pk]))
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert scenario.status == "optimal"
    page = client.get(reverse("admin:ikt_plan_scenario_change", args=[scenario.pk])).content.decode()
    assert "Chosen: part of the best set" in page and a.reference in page and "score breakdown" in page
    client.force_login(planners.member.user)  # a council member without the chair reads, but does not solve
    assert client.get(reverse("admin:ikt_plan_scenario_change", args=[scenario.pk])).status_code == 200
    assert client.get(reverse("admin:ikt_plan_scenario_solve_action", args=[scenario.pk])).status_code == 403
    client.force_login(world.admin_b.user)
    assert client.get(reverse("admin:ikt_plan_scenario_change", args=[scenario.pk])).status_code in (302, 404)


def test_a_frame_below_locked_in_items_is_refused_in_the_desk(client, world, year, candidate, planners):
    frame = services.set_budget_frame(year, world.admin_a.user, budget="1000000", capacity="12")
    a = candidate("A", cost="600000")
    services.lock(services.create_scenario(year, planners.chair.user, name="S"), planners.chair.user, a, "in")
    client.force_login(world.admin_a.user)
    response = client.post(
        reverse("admin:ikt_plan_budgetframe_change", args=[frame.pk]), {"budget": "100", "capacity": "12", "note": ""}
    )
    assert response.status_code == 200 and "below the items locked in" in response.content.decode()
    frame.refresh_from_db()
    assert frame.budget == Decimal("1000000.00")
    response = client.get(reverse("admin:ikt_plan_budgetframe_decide_action", args=[frame.pk]))
    assert response.status_code == 302 and BudgetFrame.objects.get().decided
    client.force_login(planners.chair.user)  # frames are the administrators'
    assert client.get(reverse("admin:ikt_plan_budgetframe_decide_action", args=[frame.pk])).status_code == 403
