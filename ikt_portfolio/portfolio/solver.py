"""“What fits”: the best set of candidate items under a budget and a delivery capacity.

This module knows nothing of Django: it takes whole numbers and answers with whole numbers, so it is tested
on its own (against a brute-force optimum) and timed on its own (benchmarks/solver.py). `services.solve`
converts the scenario's money to øre, efforts to tenths of a person-month and scores to hundredths of a
point, so nothing is rounded on the way in or out.

The problem
-----------
Each item i has a score sᵢ (the sector group's 0–100 score), a cost cᵢ and an effort eᵢ; choose xᵢ ∈ {0, 1}:

    Σ cᵢ·xᵢ ≤ budget          Σ eᵢ·xᵢ ≤ capacity          (a 0/1 knapsack with two constraints)
    xᵢ = 1 for items locked in, xᵢ = 0 for items locked out and for items without an estimate

The objective, lexicographic:
    1. the highest total score Σ sᵢ·xᵢ (locked-in items count too);
    2. among sets with that score, the lowest total cost Σ cᵢ·xᵢ;
    3. among those, the older items: the lowest Σ ageᵢ·xᵢ, where age 0 is the oldest need, 1 the next, …

Both solvers come with OR-Tools. Stage 1 is solved by COIN-OR CBC (branch and cut on the LP relaxation, with
zero optimality gap), which proves the best score of a 500-item knapsack with many tied scores in about a
second where CP-SAT takes many; its set is checked again in integer arithmetic, and should CBC be missing or
its set fail the check, CP-SAT solves stage 1 itself. Stages 2 and 3 are solved together (cost × M + age, M
above any age sum, when that fits in 64 bits; otherwise one after the other) by CP-SAT, an exact integer
solver, with the score fixed at its optimum. Both run single-threaded; CP-SAT with a fixed seed and a
deterministic time limit, so the same input gives the same set. If a limit is reached before optimality is
proven the best set found is kept and the status says "feasible"; every set returned respects the budget, the
capacity and the locks.

Reasons for every item left out (`Reason.code`, with the numbers the text needs in `Reason.values`):
    locked_out     the council locked it out;
    no_estimate    it has no cost or no effort estimate, so it cannot be chosen automatically;
    budget         its cost alone is more than the budget left after the locked-in items (whatever else is
                   chosen, it cannot fit); if its effort is also too much, `capacity_too` says so;
    capacity       its effort alone is more than the capacity left after the locked-in items;
    score          it would fit on its own, but the chosen items score higher together (or as high at lower
                   cost or older) than any set with it: `binds` names the limit(s) it no longer fits in beside
                   the chosen items, with what is left of each; an item that would still fit is left out only
                   because it adds no score (`zero_score`) or the solver stopped early (`unproven`).
Chosen items are `chosen` or `locked_in`.
"""

import time
from dataclasses import dataclass, field

LOCK_IN, LOCK_OUT = "in", "out"
OPTIMAL, FEASIBLE = "optimal", "feasible"

CHOSEN, LOCKED_IN, LOCKED_OUT, NO_ESTIMATE, BUDGET, CAPACITY, SCORE = (
    "chosen",
    "locked_in",
    "locked_out",
    "no_estimate",
    "budget",
    "capacity",
    "score",
)

# Limits: CBC's in seconds; CP-SAT's in its deterministic work units (about seconds on a fast machine).
MIP_SECONDS = 60
SCORE_LIMIT = 30.0
TIE_BREAK_LIMIT = 10.0
INT64_SAFE = 2**62


@dataclass(frozen=True)
class Item:
    key: int
    score: int  # hundredths of a point, ≥ 0
    cost: int | None  # øre
    effort: int | None  # tenths of a person-month
    lock: str = ""  # "in", "out" or ""
    age: int = 0  # 0 = the oldest

    @property
    def estimated(self) -> bool:
        return self.cost is not None and self.effort is not None


@dataclass(frozen=True)
class Reason:
    code: str
    values: dict = field(default_factory=dict)


@dataclass
class Solution:
    status: str
    chosen: frozenset
    score: int
    cost: int
    effort: int
    reasons: dict  # key → Reason
    seconds: float


class LockedInTooMuch(Exception):
    """The locked-in items alone exceed the budget or the capacity (no set can respect both)."""

    def __init__(self, limit: str, locked: int, available: int):
        super().__init__(f"locked-in {limit} {locked} > {available}")
        self.limit, self.locked, self.available = limit, locked, available


class LockedInWithoutEstimate(Exception):
    def __init__(self, keys: list):
        super().__init__(f"locked in without an estimate: {keys}")
        self.keys = keys


def _check(items: list[Item], budget: int, capacity: int) -> None:
    if budget < 0 or capacity < 0:
        raise ValueError("budget and capacity must not be negative")
    keys = [item.key for item in items]
    if len(set(keys)) != len(keys):
        raise ValueError("item keys must be unique")
    for item in items:
        if item.score < 0 or (item.cost is not None and item.cost < 0) or (item.effort is not None and item.effort < 0):
            raise ValueError(f"item {item.key}: negative score, cost or effort")
        if item.lock not in ("", LOCK_IN, LOCK_OUT):
            raise ValueError(f"item {item.key}: unknown lock {item.lock!r}")


def _best_score_by_mip(free: list[Item], budget: int, capacity: int) -> tuple[bool, list[int]] | None:
    """Stage 1 by COIN-OR CBC (bundled with OR-Tools): branch and cut on the LP relaxation, zero gap. Returns
    (proven optimal, 0/1 values), or None when CBC is not available or its set fails the exact check."""
    from ortools.linear_solver import pywraplp

    mip = pywraplp.Solver.CreateSolver("CBC")
    if mip is None:
        return None
    x = [mip.BoolVar(f"x{index}") for index in range(len(free))]
    for limit, weights in ((budget, [item.cost for item in free]), (capacity, [item.effort for item in free])):
        row = mip.RowConstraint(0, limit)
        for variable, weight in zip(x, weights, strict=True):
            row.SetCoefficient(variable, weight)
    objective = mip.Objective()
    for variable, item in zip(x, free, strict=True):
        objective.SetCoefficient(variable, item.score)
    objective.SetMaximization()
    mip.SetTimeLimit(int(MIP_SECONDS * 1000))
    parameters = pywraplp.MPSolverParameters()
    parameters.SetDoubleParam(parameters.RELATIVE_MIP_GAP, 0.0)
    status = mip.Solve(parameters)
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    values = [round(variable.solution_value()) for variable in x]
    # The data are integers: check the set exactly (a floating-point answer is never taken on trust).
    if sum(item.cost * value for item, value in zip(free, values, strict=True)) > budget:
        return None
    if sum(item.effort * value for item, value in zip(free, values, strict=True)) > capacity:
        return None
    return status == pywraplp.Solver.OPTIMAL, values


def _optimise(free: list[Item], budget: int, capacity: int) -> tuple[str, set]:
    """The optimum over the free items (not locked, estimated, each fitting alone) under what is left."""
    from ortools.sat.python import cp_model

    if not free:
        return OPTIMAL, set()
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{index}") for index in range(len(free))]
    weighted = cp_model.LinearExpr.weighted_sum
    model.add(weighted(x, [item.cost for item in free]) <= budget)
    model.add(weighted(x, [item.effort for item in free]) <= capacity)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0

    def run(limit: float, hint: list[int]):
        model.clear_hints()
        for variable, value in zip(x, hint, strict=True):
            model.add_hint(variable, value)
        solver.parameters.max_deterministic_time = limit
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, None
        return status == cp_model.OPTIMAL, [solver.value(variable) for variable in x]

    # Stage 1: the highest score. CBC is much faster than CP-SAT at proving it on knapsacks with many ties;
    # CP-SAT does it when CBC cannot (not installed, or its set fails the exact check).
    scores = [item.score for item in free]
    found = _best_score_by_mip(free, budget, capacity)
    if found is None or not found[0]:
        model.maximize(weighted(x, scores))
        proven, values = run(SCORE_LIMIT, found[1] if found else [0] * len(free))
        if values is None:  # nothing found in time (not expected: the hint is feasible)
            return FEASIBLE, set()
    else:
        proven, values = found
    best = sum(score * value for score, value in zip(scores, values, strict=True))
    model.add(weighted(x, scores) == best) if proven else model.add(weighted(x, scores) >= best)

    # Stages 2 and 3, exact in integers: the lowest cost, then the oldest items, among sets with that score.
    costs, ages = [item.cost for item in free], [item.age for item in free]
    multiplier = sum(ages) + 1
    stages = (
        [[cost * multiplier + age for cost, age in zip(costs, ages, strict=True)]]
        if sum(costs) * multiplier + multiplier < INT64_SAFE
        else [costs, ages]
    )
    for weights in stages:
        model.minimize(weighted(x, weights))
        stage_proven, stage_values = run(TIE_BREAK_LIMIT, values)
        if stage_values is None:
            break
        values = stage_values
        reached = sum(w * v for w, v in zip(weights, values, strict=True))
        model.add(weighted(x, weights) == reached) if stage_proven else model.add(weighted(x, weights) <= reached)
    return (OPTIMAL if proven else FEASIBLE), {item.key for item, value in zip(free, values, strict=True) if value}


def solve(items: list[Item], budget: int, capacity: int) -> Solution:
    """The best set (see the module's docstring). Raises LockedInWithoutEstimate or LockedInTooMuch when the
    locks cannot be honoured; ValueError for input that makes no sense."""
    from ortools.sat.python import cp_model  # noqa: F401  (loaded once, before the clock starts)

    started = time.perf_counter()
    _check(items, budget, capacity)
    locked_in = [item for item in items if item.lock == LOCK_IN]
    unestimated = [item.key for item in locked_in if not item.estimated]
    if unestimated:
        raise LockedInWithoutEstimate(unestimated)
    locked_cost = sum(item.cost for item in locked_in)
    locked_effort = sum(item.effort for item in locked_in)
    if locked_cost > budget:
        raise LockedInTooMuch(BUDGET, locked_cost, budget)
    if locked_effort > capacity:
        raise LockedInTooMuch(CAPACITY, locked_effort, capacity)
    budget_left, capacity_left = budget - locked_cost, capacity - locked_effort

    reasons: dict = {}
    free = []
    for item in items:
        if item.lock == LOCK_IN:
            reasons[item.key] = Reason(LOCKED_IN)
        elif item.lock == LOCK_OUT:
            reasons[item.key] = Reason(LOCKED_OUT)
        elif not item.estimated:
            reasons[item.key] = Reason(NO_ESTIMATE)
        elif item.cost > budget_left:
            reasons[item.key] = Reason(
                BUDGET, {"cost": item.cost, "left": budget_left, "capacity_too": item.effort > capacity_left}
            )
        elif item.effort > capacity_left:
            reasons[item.key] = Reason(CAPACITY, {"effort": item.effort, "left": capacity_left})
        else:
            free.append(item)

    status, picked = _optimise(free, budget_left, capacity_left)
    chosen = {item.key for item in locked_in} | picked
    by_key = {item.key: item for item in items}
    cost = sum(by_key[key].cost for key in chosen)
    effort = sum(by_key[key].effort for key in chosen)
    budget_free, capacity_free = budget - cost, capacity - effort
    for item in free:
        if item.key in picked:
            reasons[item.key] = Reason(CHOSEN)
            continue
        binds = [
            name for name, over in ((BUDGET, item.cost > budget_free), (CAPACITY, item.effort > capacity_free)) if over
        ]
        reasons[item.key] = Reason(
            SCORE,
            {
                "binds": binds,
                "cost": item.cost,
                "effort": item.effort,
                "budget_left": budget_free,
                "capacity_left": capacity_free,
                "zero_score": not binds and item.score == 0,
                "unproven": not binds and item.score > 0,
            },
        )
    return Solution(
        status=status,
        chosen=frozenset(chosen),
        score=sum(by_key[key].score for key in chosen),
        cost=cost,
        effort=effort,
        reasons=reasons,
        seconds=time.perf_counter() - started,
    )
