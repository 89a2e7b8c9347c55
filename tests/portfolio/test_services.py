"""The portfolio's rules with a real database: candidates, frames, scenarios, locks, solving, refusals (each
writes nothing), comparing, and the audit trail."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from ikt_portfolio.needs.models import Need
from ikt_portfolio.portfolio import services
from ikt_portfolio.portfolio.models import BudgetFrame, Period, Scenario, ScenarioItem
from ikt_portfolio.workflow import services as workflow

pytestmark = pytest.mark.django_db
THIS_YEAR = timezone.localdate().year


@pytest.fixture
def year(world, planners):
    return services.ensure_year(world.a, THIS_YEAR, user=world.admin_a.user)[0]


@pytest.fixture
def framed(year, world):
    def make(budget="1000000", capacity="12"):
        return services.set_budget_frame(year, world.admin_a.user, budget=budget, capacity=capacity)

    return make


def items_of(scenario):
    return {item.need_id: item for item in ScenarioItem.objects.filter(scenario=scenario)}


# ------------------------------------------------------------------------------------------- periods


def test_a_year_and_its_tertials_with_derived_dates(world, year):
    periods = list(Period.objects.filter(collaboration=world.a).order_by("starts_on", "-ends_on"))
    assert [(p.kind, p.number) for p in periods] == [("year", 0), ("tertial", 1), ("tertial", 2), ("tertial", 3)]
    assert (periods[0].starts_on, periods[0].ends_on) == (
        datetime.date(THIS_YEAR, 1, 1),
        datetime.date(THIS_YEAR, 12, 31),
    )
    assert (periods[2].starts_on, periods[2].ends_on) == (
        datetime.date(THIS_YEAR, 5, 1),
        datetime.date(THIS_YEAR, 8, 31),
    )
    assert periods[3].label == f"{THIS_YEAR}, tertial 3" and periods[3].slug == f"{THIS_YEAR}-t3"
    assert services.ensure_year(world.a, THIS_YEAR)[0].pk == year.pk  # once per collaboration


def test_parse_period_and_a_past_period_is_refused_for_a_deferral(world, year):
    assert services.parse_period("2026-t2") == ("tertial", 2026, 2)
    assert services.parse_period("2026") == ("year", 2026, 0)
    assert services.parse_period("2026-t4") is None and services.parse_period("x") is None
    past = services.ensure_period(world.a, "tertial", THIS_YEAR - 1, 3)
    with pytest.raises(services.PortfolioError, match="has already ended"):
        services.refuse_past_period(past)
    services.refuse_past_period(year)


def test_only_planners_create_periods(world, planners):
    with pytest.raises(services.PortfolioRefused):
        services.ensure_period(world.a, "year", THIS_YEAR + 1, user=planners.member.user)
    assert not Period.objects.filter(year=THIS_YEAR + 1).exists()
    assert services.ensure_period(world.a, "year", THIS_YEAR + 1, user=planners.chair.user).pk


# ---------------------------------------------------------------------------------------- candidates


def test_candidates_are_recommended_needs_ranked_with_the_assessments_estimate(world, year, candidate, report):
    low = candidate("Lav", score=40)
    high = candidate("Høy", score=80, cost="500000", to_council=True)
    cheap = candidate("Lik men billigere", score=40, cost="100000")
    Need.objects.filter(pk=low.pk).update(estimated_cost=Decimal("999"))  # the assessment's estimate wins
    draft = report(title="Utkast")
    found = services.candidates(year)
    assert [c.need.pk for c in found] == [high.pk, cheap.pk, low.pk]
    assert [c.rank for c in found] == [1, 2, 3]
    assert found[2].cost == Decimal("300000.00") and found[2].estimate_from == "assessment"
    assert draft.pk not in {c.need.pk for c in found}


def test_a_need_recommended_without_an_assessment_scores_zero(world, year, report):
    need = report(title="Ikke vurdert", estimated_cost=Decimal("1000"), estimated_effort=Decimal("1"))
    workflow.perform(need, "submit", world.member_small.user)
    workflow.perform(need, "take_up", world.lead.user)
    workflow.perform(need, "recommend", world.lead.user)
    [found] = services.candidates(year)
    assert (found.score, found.assessed, found.assessment) == (Decimal(0), False, None)
    assert (found.cost, found.effort, found.estimate_from) == (Decimal("1000.00"), Decimal("1.0"), "need")


def test_deferred_needs_are_candidates_of_later_periods_only(world, year, candidate, decide):
    need = decide(candidate("Utsatt", to_council=True), "defer")
    assert need.state == "deferred"
    assert need.pk not in {c.need.pk for c in services.candidates(year)}  # deferred during this year
    later = services.ensure_period(world.a, "year", THIS_YEAR + 1)
    assert need.pk in {c.need.pk for c in services.candidates(later)}


def test_a_candidate_without_an_estimate_is_flagged_and_never_chosen(world, year, framed, candidate, planners):
    framed()
    need = candidate("Uten anslag", cost=None, effort=None, score=90)
    scenario = services.solve(services.create_scenario(year, planners.chair.user, name="A"), planners.chair.user)
    item = items_of(scenario)[need.pk]
    assert not item.chosen and item.reason == "no_estimate"
    assert "cannot be chosen automatically" in services.reason_text(item)
    with pytest.raises(services.PortfolioError, match="no cost or effort estimate"):
        services.lock(scenario, planners.chair.user, need, "in")


# ---------------------------------------------------------------------------------------- solving


def test_solve_chooses_the_best_set_and_explains_every_item(world, year, framed, candidate, planners):
    framed(budget="1000000", capacity="12")
    a = candidate("A", score=90, cost="600000", effort="4")
    b = candidate("B", score=80, cost="500000", effort="4")
    c = candidate("C", score=70, cost="400000", effort="4")
    too_big = candidate("For dyr", score=99, cost="1200000", effort="2")
    too_long = candidate("For lang", score=99, cost="10000", effort="13")
    scenario = services.create_scenario(year, planners.secretary.user, name="Sekretariatets forslag")
    scenario = services.solve(scenario, planners.secretary.user)
    items = items_of(scenario)
    assert {pk for pk, item in items.items() if item.chosen} == {a.pk, c.pk}  # A+B (170 points) is over budget
    assert scenario.status == Scenario.Status.OPTIMAL and not scenario.stale
    assert scenario.objective == Decimal("160.00")
    assert (scenario.total_cost, scenario.total_effort) == (Decimal("1000000.00"), Decimal("8.0"))
    assert (scenario.budget_used, scenario.capacity_used) == (Decimal("1000000.00"), Decimal("12.0"))
    assert items[b.pk].reason == "score" and items[b.pk].reason_values["binds"] == ["budget"]
    assert items[too_big.pk].reason == "budget" and items[too_long.pk].reason == "capacity"
    assert "kr 1,200,000.00" in services.reason_text(items[too_big.pk])
    assert "13.0 person-months" in services.reason_text(items[too_long.pk])
    assert items[a.pk].score == Decimal("90.00") and items[a.pk].cost == Decimal("600000.00")
    # Audited in the capacity the planner acted in.
    assert scenario.history.first().history_capacity == "council_member"
    assert ScenarioItem.history.filter(need_id=a.pk).first().history_capacity == "council_member"


def test_locks_are_honoured_and_make_the_result_stale(world, year, framed, candidate, planners):
    framed(budget="1000000", capacity="12")
    a = candidate("A", score=90, cost="600000")
    b = candidate("B", score=80, cost="500000")
    scenario = services.solve(services.create_scenario(year, planners.chair.user, name="A"), planners.chair.user)
    assert items_of(scenario)[a.pk].chosen
    item = services.lock(scenario, planners.chair.user, b, "in", note="Lovpålagt")
    assert item.lock == "in" and item.locked_by == planners.chair and item.lock_note == "Lovpålagt"
    scenario.refresh_from_db()
    assert scenario.stale
    services.lock(scenario, planners.chair.user, a, "out")
    scenario = services.solve(scenario, planners.chair.user)
    items = items_of(scenario)
    assert items[b.pk].chosen and items[b.pk].reason == "locked_in"
    assert not items[a.pk].chosen and items[a.pk].reason == "locked_out"
    assert not scenario.stale
    services.lock(scenario, planners.chair.user, a, "")
    assert items_of(scenario)[a.pk].lock == "" and items_of(scenario)[a.pk].locked_by is None


def test_a_scenario_may_have_its_own_limits(world, year, framed, candidate, planners):
    framed(budget="100000", capacity="12")
    a = candidate("A", score=90, cost="600000")
    scenario = services.create_scenario(year, planners.chair.user, name="Større ramme", budget="700000")
    scenario = services.solve(scenario, planners.chair.user)
    assert items_of(scenario)[a.pk].chosen
    assert (scenario.budget_used, scenario.capacity_used) == (Decimal("700000.00"), Decimal("12.0"))


# ---------------------------------------------------------------------------------------- refusals


def test_a_budget_frame_below_locked_in_items_is_refused_and_nothing_is_written(
    world, year, framed, candidate, planners
):
    frame = framed(budget="1000000", capacity="12")
    a = candidate("A", cost="600000", effort="5")
    scenario = services.create_scenario(year, planners.chair.user, name="A")
    services.lock(scenario, planners.chair.user, a, "in")
    with pytest.raises(services.PortfolioError, match="below the items locked in to “A”"):
        services.set_budget_frame(year, world.admin_a.user, budget="500000", capacity="12")
    with pytest.raises(services.PortfolioError, match="capacity of 4.0 person-months is below"):
        services.set_budget_frame(year, world.admin_a.user, budget="900000", capacity="4")
    frame.refresh_from_db()
    assert (frame.budget, frame.capacity) == (Decimal("1000000.00"), Decimal("12.0"))
    assert BudgetFrame.history.filter(id=frame.pk).count() == 1
    # A scenario with its own budget is not held to the frame's.
    services.set_scenario_limits(scenario, planners.chair.user, budget="800000")
    services.set_budget_frame(year, world.admin_a.user, budget="500000", capacity="12")
    with pytest.raises(services.PortfolioError, match="below the items locked in"):
        services.set_scenario_limits(scenario, planners.chair.user, budget="100")
    scenario.refresh_from_db()
    assert scenario.budget == Decimal("800000.00")


def test_locking_in_beyond_the_budget_is_refused(world, year, framed, candidate, planners):
    framed(budget="1000000", capacity="12")
    a, b = candidate("A", cost="600000"), candidate("B", cost="500000")
    scenario = services.create_scenario(year, planners.chair.user, name="A")
    services.lock(scenario, planners.chair.user, a, "in")
    with pytest.raises(services.PortfolioError, match="above the budget of kr 1,000,000.00"):
        services.lock(scenario, planners.chair.user, b, "in")
    assert not ScenarioItem.objects.filter(scenario=scenario, need=b).exists()


def test_locks_and_solving_by_someone_not_allowed_are_refused(world, year, framed, candidate, planners):
    framed()
    a = candidate("A")
    scenario = services.create_scenario(year, planners.chair.user, name="A")
    for user in (
        planners.member.user,
        world.member_small.user,
        world.lead.user,
        planners.chair_b.user,
        world.admin_b.user,
    ):
        with pytest.raises(services.PortfolioRefused):
            services.lock(scenario, user, a, "in")
        with pytest.raises(services.PortfolioRefused):
            services.solve(scenario, user)
        with pytest.raises(services.PortfolioRefused):
            services.create_scenario(year, user, name="Mitt")
    assert not ScenarioItem.objects.exists() and Scenario.objects.count() == 1
    with pytest.raises(services.PortfolioRefused):
        services.set_budget_frame(year, planners.chair.user, budget="1", capacity="1")  # frames: administrators
    services.lock(scenario, world.admin_a.user, a, "in")  # the administrator may
    services.lock(scenario, world.operator, a, "out")  # and the IT operator


def test_a_need_that_is_not_a_candidate_cannot_be_locked(world, year, framed, planners, report, candidate):
    framed()
    other = report(title="Ikke anbefalt")
    scenario = services.create_scenario(year, planners.chair.user, name="A")
    with pytest.raises(services.PortfolioError, match="not a candidate"):
        services.lock(scenario, planners.chair.user, other, "in")


def test_a_decided_frame_cannot_change(world, year, framed):
    frame = services.decide_budget_frame(framed(), world.admin_a.user)
    assert frame.decided and frame.decided_by == world.admin_a and frame.decided_at
    with pytest.raises(services.PortfolioError, match="is decided"):
        services.set_budget_frame(year, world.admin_a.user, budget="2", capacity="2")
    with pytest.raises(services.PortfolioError, match="already decided"):
        services.decide_budget_frame(frame, world.admin_a.user)


def test_solving_without_a_frame_and_bad_limits_are_refused(world, year, planners):
    scenario = services.create_scenario(year, planners.chair.user, name="A")
    with pytest.raises(services.PortfolioError, match="no budget frame yet"):
        services.solve(scenario, planners.chair.user)
    scenario.refresh_from_db()
    assert scenario.status == Scenario.Status.NOT_SOLVED and scenario.solved_at is None
    with pytest.raises(services.PortfolioError, match="cannot be negative"):
        services.create_scenario(year, planners.chair.user, name="B", budget="-1")
    with pytest.raises(services.PortfolioError, match="already has a scenario called"):
        services.create_scenario(year, planners.chair.user, name="A")
    with pytest.raises(services.PortfolioError, match="Give the scenario a name"):
        services.create_scenario(year, planners.chair.user, name="  ")
    with pytest.raises(services.PortfolioError, match="Give both"):
        services.set_budget_frame(year, world.admin_a.user, budget="", capacity="1")


def test_locked_in_items_whose_estimate_grew_beyond_the_budget_stop_the_solve(world, year, framed, candidate, planners):
    framed(budget="1000000", capacity="12")
    a = candidate("A", cost="600000")
    scenario = services.solve(services.create_scenario(year, planners.chair.user, name="A"), planners.chair.user)
    services.lock(scenario, planners.chair.user, a, "in")
    a.assessment.__class__.objects.filter(need=a).update(estimated_cost=Decimal("2000000"))
    with pytest.raises(services.PortfolioError, match="more than the budget"):
        services.solve(scenario, planners.chair.user)
    scenario.refresh_from_db()
    assert scenario.stale  # the earlier result stays, marked out of date


# ---------------------------------------------------------------------------------------- compare


def test_compare_two_scenarios(world, year, framed, candidate, planners):
    framed(budget="1000000", capacity="12")
    a = candidate("A", score=90, cost="600000")
    b = candidate("B", score=80, cost="500000")
    c = candidate("C", score=70, cost="400000")
    first = services.solve(services.create_scenario(year, planners.chair.user, name="Første"), planners.chair.user)
    second = services.create_scenario(year, planners.chair.user, name="Andre")
    services.lock(second, planners.chair.user, a, "out")
    second = services.solve(second, planners.chair.user)
    result = services.compare(first, second)
    assert [pair[0].need_id for pair in result["both"]] == [c.pk]
    assert [item.need_id for item in result["only_a"]] == [a.pk]
    assert [item.need_id for item in result["only_b"]] == [b.pk]
    assert (result["a"].score, result["a"].cost) == (Decimal("160.00"), Decimal("1000000.00"))
    assert (result["b"].score, result["b"].chosen) == (Decimal("150.00"), 2)


def test_scenarios_of_different_collaborations_cannot_be_compared(world, year, framed, planners, make_person):
    framed()
    mine = services.create_scenario(year, planners.chair.user, name="A")
    theirs = services.create_scenario(
        services.ensure_year(world.b, THIS_YEAR, user=world.admin_b.user)[0], world.admin_b.user, name="B"
    )
    with pytest.raises(services.PortfolioError):
        services.compare(mine, theirs)


def test_a_scenario_is_deleted_with_its_items_by_a_planner_only(world, year, framed, candidate, planners):
    framed()
    candidate("A")
    scenario = services.solve(services.create_scenario(year, planners.chair.user, name="A"), planners.chair.user)
    with pytest.raises(services.PortfolioRefused):
        services.delete_scenario(scenario, planners.member.user)
    services.delete_scenario(scenario, planners.chair.user)
    assert not Scenario.objects.exists() and not ScenarioItem.objects.exists()
