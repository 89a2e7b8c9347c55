"""The read side (proposal, roadmap, dashboard) and the portal pages: numbers, scoping, refusals, and a bounded
number of queries however many rows."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ikt_portfolio.needs.models import Need
from ikt_portfolio.portfolio import selectors, services
from ikt_portfolio.portfolio.models import BudgetFrame, Scenario, ScenarioItem
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import TransitionLog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_people")]
THIS_YEAR = timezone.localdate().year


@pytest.fixture
def year(world, planners):
    period = services.ensure_year(world.a, THIS_YEAR, user=world.admin_a.user)[0]
    services.set_budget_frame(period, world.admin_a.user, budget="1000000", capacity="12")
    return period


def dated(need, submitted_days_ago, decided_days_ago=None):
    """Move the need's submission (and committee decision) into the past."""
    logs = TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(Need), object_id=need.pk)
    logs.filter(from_state="draft").update(at=timezone.now() - datetime.timedelta(days=submitted_days_ago))
    if decided_days_ago is not None:
        logs.filter(capacity__startswith="committee:").update(
            at=timezone.now() - datetime.timedelta(days=decided_days_ago)
        )


@pytest.fixture
def portfolio(world, candidate, decide, report):
    """Four reported needs (recommended, approved, rejected by the council, just submitted) and a draft."""
    p = type("Portfolio", (), {})()
    p.recommended = candidate("Anbefalt", score=70)
    p.approved = decide(candidate("Godkjent", to_council=True, cost="200000"))
    p.rejected = decide(candidate("Avvist", to_council=True), "reject")
    p.submitted = report(title="Meldt inn")
    workflow.perform(p.submitted, "submit", world.member_small.user)
    p.draft = report(title="Utkast")
    dated(p.approved, 30, 10)
    dated(p.rejected, 50, 20)
    return p


def count_queries(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


# -------------------------------------------------------------------------------------------- selectors


def test_the_dashboard_counts(world, portfolio):
    found = selectors.dashboard(world.a)
    assert found.total == 4
    assert {bar.key: bar.count for bar in found.by_status} == {"submitted": 1, "recommended": 1, "approved": 1,
                                                                "rejected": 1}  # fmt: skip
    assert [bar.key for bar in found.by_status][0] == "submitted"  # in the routing's order
    assert {bar.key: bar.count for bar in found.funnel} == {"submitted": 4, "recommended": 3, "council": 2,
                                                             "decided": 2, "approved": 1}  # fmt: skip
    area = next(bar for bar in found.by_service_area if bar.key == str(world.health_a.pk))
    assert area.count == 4 and area.counts == {"sector": 1, "council": 1, "approved": 1, "closed": 1}
    municipalities = {bar.key: bar.count for bar in found.by_municipality}
    assert municipalities == {str(world.small.pk): 4, str(world.medium.pk): 0, str(world.large.pk): 0}
    assert {bar.key: bar.count for bar in found.by_segment} == {"small": 4, "medium": 0, "large": 0}
    assert found.decided == 2 and found.median_days == Decimal("25.0")  # 20 and 30 days
    assert [(a.pk, n, days) for a, n, days in found.median_by_service_area] == [(world.health_a.pk, 2, Decimal("25.0"))]
    assert {bar.key: bar.share for bar in found.funnel}["approved"] == 25


def test_the_roadmap_places_approved_needs_in_their_tertial(world, portfolio):
    found = selectors.roadmap(world.a, THIS_YEAR)
    assert found.count == 1 and [p.number for p in found.periods] == [1, 2, 3]
    day = timezone.localdate(TransitionLog.objects.get(object_id=portfolio.approved.pk, to_state="approved").at)
    column = (day.month - 1) // 4
    assert [row["service_area"] for row in found.rows] == [world.health_a]
    assert [need.pk for need in found.rows[0]["cells"][column]] == [portfolio.approved.pk]
    assert selectors.roadmap(world.a, THIS_YEAR - 1).count == 0
    assert selectors.roadmap(world.b, THIS_YEAR).count == 0


def test_the_proposal_sums_beside_the_frame(world, year, candidate):
    candidate("A", cost="700000", effort="8")
    candidate("B", cost="600000", effort="2")
    candidate("C", cost=None, effort="2")
    found = selectors.proposal(year)
    assert len(found.candidates) == 3 and found.unestimated == 1
    assert (found.total_cost, found.total_effort) == (Decimal("1300000.00"), Decimal("12.0"))
    assert found.cost_beyond_budget == Decimal("300000.00") and found.effort_beyond_capacity is None


def test_proposal_roadmap_and_dashboard_queries_do_not_grow_with_rows(world, year, candidate, decide, report):
    def add(n):
        for index in range(n):
            candidate(f"Kandidat {index}")
            decide(candidate(f"Vedtatt {index}", to_council=True))
            workflow.perform(report(title=f"Ny {index}"), "submit", world.member_small.user)

    add(1)
    counts = [
        count_queries(lambda: selectors.proposal(year)),
        count_queries(lambda: selectors.roadmap(world.a, THIS_YEAR)),
        count_queries(lambda: selectors.dashboard(world.a)),
    ]
    add(3)
    assert count_queries(lambda: selectors.proposal(year)) == counts[0]
    assert count_queries(lambda: selectors.roadmap(world.a, THIS_YEAR)) == counts[1]
    assert count_queries(lambda: selectors.dashboard(world.a)) == counts[2]
    assert counts[2] <= 8


# ------------------------------------------------------------------------------------------------ pages


def test_the_proposal_page_ranks_candidates_with_their_breakdown(client, world, year, candidate, planners):
    high = candidate("Høy", score=90, cost="250000")
    candidate("Lav", score=30)
    client.force_login(world.member_small.user)
    response = client.get(reverse("ikt_portal:portfolio"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(f'data-need="{high.pk}"') < html.index("Lav")
    assert "How the score of" in html and 'data-criterion="strategic_fit"' in html
    assert "kr 250,000.00" in html and 'id="new-scenario"' not in html  # members read, do not plan
    assert "data-frame-budget>kr 1,000,000.00" in html
    client.force_login(planners.chair.user)
    assert 'id="new-scenario"' in client.get(reverse("ikt_portal:portfolio")).content.decode()
    assert client.get(reverse("ikt_portal:portfolio_period", args=[f"{THIS_YEAR}-t2"])).status_code == 200
    assert client.get(reverse("ikt_portal:portfolio_period", args=["later"])).status_code == 404


def test_a_planner_creates_solves_and_locks_on_the_portal(client, world, year, candidate, planners):
    a = candidate("A", score=90, cost="600000")
    b = candidate("B", score=80, cost="500000")
    client.force_login(planners.secretary.user)
    response = client.post(
        reverse("ikt_portal:portfolio_new_scenario", args=[year.slug]),
        {"name": "Forslag", "budget": "", "capacity": ""},
    )
    scenario = Scenario.objects.get(name="Forslag")
    assert response.status_code == 302 and response["Location"] == reverse(
        "ikt_portal:portfolio_scenario", args=[scenario.pk]
    )
    assert scenario.status == Scenario.Status.OPTIMAL
    page = client.get(response["Location"]).content.decode()
    assert f'data-need="{a.pk}" data-chosen="yes" data-reason="chosen"' in page
    assert f'data-need="{b.pk}" data-chosen="no" data-reason="score"' in page
    assert "A better-scoring set uses the budget" in page and 'class="portfolio-lock"' in page
    response = client.post(reverse("ikt_portal:portfolio_lock", args=[scenario.pk]), {"need": b.pk, "lock": "in"})
    assert response.status_code == 302
    page = client.get(reverse("ikt_portal:portfolio_scenario", args=[scenario.pk])).content.decode()
    assert f'data-need="{b.pk}" data-chosen="yes" data-reason="locked_in" data-lock="in"' in page
    assert (
        client.get(reverse("ikt_portal:portfolio_scenario", args=[scenario.pk]) + "?show=left_out").status_code == 200
    )


def test_members_may_read_a_scenario_but_not_lock_and_other_collaborations_get_404(
    client, world, year, candidate, planners
):
    a = candidate("A")
    scenario = services.solve(services.create_scenario(year, planners.chair.user, name="S"), planners.chair.user)
    client.force_login(planners.member.user)
    page = client.get(reverse("ikt_portal:portfolio_scenario", args=[scenario.pk]))
    assert page.status_code == 200 and 'class="portfolio-lock"' not in page.content.decode()
    response = client.post(
        reverse("ikt_portal:portfolio_lock", args=[scenario.pk]), {"need": a.pk, "lock": "out"}, follow=True
    )
    assert "Only the portfolio council" in response.content.decode()
    assert ScenarioItem.objects.get(scenario=scenario, need=a).lock == ""
    client.force_login(world.member_other.user)  # collaboration B only
    assert client.get(reverse("ikt_portal:portfolio_scenario", args=[scenario.pk])).status_code == 404
    assert (
        client.post(reverse("ikt_portal:portfolio_lock", args=[scenario.pk]), {"need": a.pk, "lock": "in"}).status_code
        == 404
    )
    assert client.post(reverse("ikt_portal:portfolio_solve", args=[scenario.pk])).status_code == 404
    client.force_login(world.admin_b.user)
    assert client.get(reverse("ikt_portal:portfolio_compare") + f"?a={scenario.pk}&b={scenario.pk}").status_code == 404


def test_a_refused_lock_writes_nothing_and_says_why(client, world, year, candidate, planners):
    a, b = candidate("A", cost="600000"), candidate("B", cost="500000")
    scenario = services.create_scenario(year, planners.chair.user, name="S")
    services.lock(scenario, planners.chair.user, a, "in")
    client.force_login(planners.chair.user)
    response = client.post(
        reverse("ikt_portal:portfolio_lock", args=[scenario.pk]), {"need": b.pk, "lock": "in"}, follow=True
    )
    assert "above the budget of kr 1,000,000.00" in response.content.decode()
    assert not ScenarioItem.objects.filter(scenario=scenario, need=b).exists()


def test_the_compare_page(client, world, year, candidate, planners):
    a, b = candidate("A", score=90, cost="600000"), candidate("B", score=80, cost="500000")
    first = services.solve(services.create_scenario(year, planners.chair.user, name="En"), planners.chair.user)
    second = services.create_scenario(year, planners.chair.user, name="To")
    services.lock(second, planners.chair.user, a, "out")
    services.solve(second, planners.chair.user)
    client.force_login(world.member_small.user)
    html = client.get(reverse("ikt_portal:portfolio_compare") + f"?a={first.pk}&b={second.pk}").content.decode()
    assert html.index('id="only-a"') < html.index(f'data-need="{a.pk}"') < html.index('id="only-b"')
    assert html.index('id="only-b"') < html.index(f'data-need="{b.pk}"')
    assert client.get(reverse("ikt_portal:portfolio_compare") + "?a=x").status_code == 404


def test_roadmap_and_dashboard_pages(client, world, portfolio):
    client.force_login(world.member_small.user)
    html = client.get(reverse("ikt_portal:portfolio_roadmap")).content.decode()
    assert f'data-need="{portfolio.approved.pk}"' in html and "kr 200,000.00" in html
    html = client.get(reverse("ikt_portal:portfolio_dashboard")).content.decode()
    assert "data-total>4<" in html and "25.0 days" in html
    assert 'id="funnel"' in html and 'id="by-municipality"' in html and 'aria-hidden="true"' in html
    assert client.get(reverse("ikt_portal:portfolio_roadmap") + "?year=abc").status_code == 200
    client.logout()
    assert client.get(reverse("ikt_portal:portfolio_dashboard")).status_code == 302


def test_portal_pages_run_a_bounded_number_of_queries(client, world, year, candidate, decide, planners):
    client.force_login(planners.chair.user)
    scenario = services.create_scenario(year, planners.chair.user, name="S")

    def add(n):
        for index in range(n):
            candidate(f"Kandidat {index}")
            decide(candidate(f"Vedtatt {index}", to_council=True))
        services.solve(scenario, planners.chair.user)

    urls = [
        reverse("ikt_portal:portfolio"),
        reverse("ikt_portal:portfolio_scenario", args=[scenario.pk]),
        reverse("ikt_portal:portfolio_roadmap"),
        reverse("ikt_portal:portfolio_dashboard"),
    ]
    add(1)
    before = [count_queries(lambda url=url: client.get(url)) for url in urls]
    add(3)
    after = [count_queries(lambda url=url: client.get(url)) for url in urls]
    assert after == before
    assert BudgetFrame.objects.count() == 1
