"""The solver alone (no database): its choice against a brute-force optimum on small random cases, the
tie-breaks, the reasons and the refusals."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikt_portfolio.portfolio import solver
from ikt_portfolio.portfolio.solver import Item


def brute_force(items, budget, capacity):
    """The lexicographic optimum (highest score, then lowest cost, then lowest age sum) over every subset that
    respects the limits and the locks; None when no subset does."""
    best = None
    for size in range(len(items) + 1):
        for subset in itertools.combinations(items, size):
            chosen = {item.key for item in subset}
            if any(item.lock == "in" and item.key not in chosen for item in items):
                continue
            if any(item.lock == "out" or not item.estimated for item in subset):
                continue
            if sum(i.cost for i in subset) > budget or sum(i.effort for i in subset) > capacity:
                continue
            key = (-sum(i.score for i in subset), sum(i.cost for i in subset), sum(i.age for i in subset))
            if best is None or key < best:
                best = key
    return best


@st.composite
def cases(draw):
    count = draw(st.integers(min_value=0, max_value=12))
    items = []
    for age in range(count):
        estimated = draw(st.booleans() | st.just(True))
        items.append(
            Item(
                key=1000 + age * 7,
                score=draw(st.sampled_from([0, 2500, 5000, 7500]) | st.integers(0, 10_000)),
                cost=draw(st.integers(0, 5_000_000_00)) if estimated else None,
                effort=draw(st.integers(0, 240)) if estimated else None,
                lock=draw(st.sampled_from(["", "", "", "", "in", "out"])),
                age=age,
            )
        )
    total_cost = sum(i.cost or 0 for i in items)
    total_effort = sum(i.effort or 0 for i in items)
    budget = draw(st.integers(0, max(total_cost, 1)))
    capacity = draw(st.integers(0, max(total_effort, 1)))
    return items, budget, capacity


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_choice_equals_the_brute_force_optimum(case):
    items, budget, capacity = case
    best = brute_force(items, budget, capacity)
    try:
        found = solver.solve(items, budget, capacity)
    except (solver.LockedInTooMuch, solver.LockedInWithoutEstimate):
        assert best is None  # only refused when no set can honour the locks
        return
    assert best is not None
    by_key = {item.key: item for item in items}
    chosen = [by_key[key] for key in found.chosen]
    assert found.status == solver.OPTIMAL
    # The same objective as the optimum, tie-breaks included.
    assert (-found.score, found.cost, sum(i.age for i in chosen)) == best
    # The limits and the locks hold.
    assert sum(i.cost for i in chosen) == found.cost <= budget
    assert sum(i.effort for i in chosen) == found.effort <= capacity
    assert all(i.key in found.chosen for i in items if i.lock == "in")
    assert not any(i.key in found.chosen for i in items if i.lock == "out" or not i.estimated)
    # Every item has a reason, and the reasons are true.
    assert set(found.reasons) == set(by_key)
    locked_cost = sum(i.cost for i in items if i.lock == "in")
    locked_effort = sum(i.effort for i in items if i.lock == "in")
    for key, reason in found.reasons.items():
        item = by_key[key]
        assert (key in found.chosen) == (reason.code in (solver.CHOSEN, solver.LOCKED_IN))
        if reason.code == solver.BUDGET:
            assert item.cost > budget - locked_cost == reason.values["left"]
        elif reason.code == solver.CAPACITY:
            assert item.cost <= budget - locked_cost and item.effort > capacity - locked_effort
        elif reason.code == solver.SCORE:
            binds = reason.values["binds"]
            assert (solver.BUDGET in binds) == (item.cost > budget - found.cost)
            assert (solver.CAPACITY in binds) == (item.effort > capacity - found.effort)
            assert binds or item.score == 0  # at the optimum an item that still fits adds nothing
        elif reason.code == solver.LOCKED_OUT:
            assert item.lock == "out"
        elif reason.code == solver.NO_ESTIMATE:
            assert not item.estimated


def test_higher_score_wins_then_lower_cost_then_the_older():
    items = [
        Item(1, score=5000, cost=100, effort=1, age=2),
        Item(2, score=5000, cost=90, effort=1, age=3),  # same score, cheaper: chosen over 1
        Item(3, score=4000, cost=50, effort=1, age=0),
        Item(4, score=4000, cost=50, effort=1, age=1),  # same score and cost as 3, younger: 3 wins
    ]
    found = solver.solve(items, budget=140, capacity=3)
    assert found.chosen == {2, 3}
    assert found.reasons[1].code == solver.SCORE and found.reasons[1].values["binds"] == [solver.BUDGET]
    assert found.reasons[4].code == solver.SCORE


def test_reasons_say_which_limit_an_item_cannot_meet():
    items = [
        Item(1, score=9000, cost=600, effort=1),  # alone more than the budget left after the lock
        Item(2, score=9000, cost=10, effort=50),  # alone more than the capacity left
        Item(3, score=100, cost=10, effort=1, lock="in"),
        Item(4, score=8000, cost=None, effort=2),  # no estimate
        Item(5, score=9999, cost=10, effort=1, lock="out"),
        Item(6, score=7000, cost=400, effort=3),
        Item(7, score=6000, cost=400, effort=3),  # loses to 6 for the same room
    ]
    found = solver.solve(items, budget=500, capacity=10)
    codes = {key: reason.code for key, reason in found.reasons.items()}
    assert codes == {1: "budget", 2: "capacity", 3: "locked_in", 4: "no_estimate", 5: "locked_out", 6: "chosen",
                     7: "score"}  # fmt: skip
    assert found.reasons[1].values == {"cost": 600, "left": 490, "capacity_too": False}
    assert found.reasons[7].values["binds"] == [solver.BUDGET]
    assert found.reasons[7].values["budget_left"] == 90


def test_locks_that_cannot_be_honoured_are_refused():
    with pytest.raises(solver.LockedInTooMuch) as refused:
        solver.solve([Item(1, 100, 60, 1, "in"), Item(2, 100, 60, 1, "in")], budget=100, capacity=10)
    assert (refused.value.limit, refused.value.locked, refused.value.available) == ("budget", 120, 100)
    with pytest.raises(solver.LockedInTooMuch) as refused:
        solver.solve([Item(1, 100, 1, 6, "in"), Item(2, 100, 1, 6, "in")], budget=100, capacity=10)
    assert refused.value.limit == "capacity"
    with pytest.raises(solver.LockedInWithoutEstimate):
        solver.solve([Item(1, 100, None, 6, "in")], budget=100, capacity=10)


def test_large_amounts_stay_exact():
    # Costs in øre near a billion kroner: integers all the way, nothing rounded.
    items = [Item(k, score=5000 + k, cost=99_999_999_999 - k, effort=10) for k in range(30)]
    found = solver.solve(items, budget=3 * 99_999_999_999, capacity=1000)
    assert len(found.chosen) == 3 and found.chosen == {27, 28, 29}
    assert found.cost == sum(99_999_999_999 - k for k in (27, 28, 29))


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        solver.solve([Item(1, -1, 1, 1)], 10, 10)
    with pytest.raises(ValueError):
        solver.solve([Item(1, 1, 1, 1), Item(1, 2, 1, 1)], 10, 10)
    with pytest.raises(ValueError):
        solver.solve([], -1, 10)
