"""Time the portfolio solver ("what fits") on 500 candidate items.

    python -m benchmarks.solver [--items 500] [--repeat 5] [--seed 42]

The items are synthetic and shaped like a large collaboration's proposal: scores 0–100 with two decimals
(clustered on the assessment's levels, so there are ties), costs from 50 000 to 5 000 000 kroner (in øre),
efforts from half a person-month to two years (in tenths), a few without an estimate, a few locked in or out;
the budget and the capacity are a quarter of what all the items need, so the solver must choose. The solver
is `ikt_portfolio.portfolio.solver.solve`, the function `services.solve` calls (no database needed).

`measure_solver(items, repeat, seed, log)` returns a dict for RESULTS.md: the median and worst time, the
status, how many items were chosen and the reasons for the rest. `benchmarks/run.py` can call it from its
worker and store the dict beside the throughput.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter


def synthetic_items(count: int, seed: int):
    from ikt_portfolio.portfolio.solver import LOCK_IN, LOCK_OUT, Item

    rng = random.Random(seed)
    items = []
    for age in range(count):
        estimated = rng.random() > 0.03
        levels = [rng.randint(1, 5) for _criterion in range(6)]
        score = round(sum((level - 1) * 2500 for level in levels) / len(levels))  # hundredths, 0–10 000
        items.append(
            Item(
                key=age + 1,
                score=score,
                cost=rng.randint(50_000, 5_000_000) * 100 if estimated else None,
                effort=rng.randint(5, 240) if estimated else None,
                lock="",
                age=age,
            )
        )
    budget = sum(item.cost or 0 for item in items) // 4
    capacity = sum(item.effort or 0 for item in items) // 4
    # A few locks, kept inside the limits: the cheapest estimated items in, a few of the best out.
    by_cost = sorted((item for item in items if item.cost is not None), key=lambda item: item.cost)
    locked_in = {item.key for item in by_cost[:5]}
    best = sorted(items, key=lambda item: -item.score)
    locked_out = {item.key for item in best[:3] if item.key not in locked_in}
    items = [
        Item(
            i.key,
            i.score,
            i.cost,
            i.effort,
            LOCK_IN if i.key in locked_in else LOCK_OUT if i.key in locked_out else "",
            i.age,
        )
        for i in items
    ]
    return items, budget, capacity


def measure_solver(items: int = 500, repeat: int = 5, seed: int = 42, log=print) -> dict:
    from ikt_portfolio.portfolio import solver

    candidates, budget, capacity = synthetic_items(items, seed)
    solver.solve(candidates[:10], budget, capacity)  # load OR-Tools outside the timings
    timings, found = [], None
    for _run in range(repeat):
        started = time.perf_counter()
        found = solver.solve(candidates, budget, capacity)
        timings.append((time.perf_counter() - started) * 1000)
    reasons = Counter(reason.code for reason in found.reasons.values())
    result = {
        "items": items,
        "runs": repeat,
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "status": found.status,
        "chosen": len(found.chosen),
        "budget_used_share": round(found.cost / budget, 3) if budget else None,
        "capacity_used_share": round(found.effort / capacity, 3) if capacity else None,
        "reasons": dict(sorted(reasons.items())),
    }
    log(
        f"  solver, {items} candidates: median {result['median_ms']} ms, worst {result['max_ms']} ms "
        f"({found.status}; {result['chosen']} chosen; {result['reasons']})"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    measure_solver(args.items, args.repeat, args.seed)


if __name__ == "__main__":
    main()
