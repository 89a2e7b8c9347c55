"""Time cost allocation: 357 members × 1 000 lines (national scale: every municipality of Norway in one key).

    python -m benchmarks.costs [--members 357] [--lines 1000] [--repeat 3] [--seed 42]

The members are synthetic (kommunenummer 0001–0357, populations from 200 to 700 000, skewed like Norway's), the
lines are amounts from 0,01 to 50 000 000 kroner in øre, split alternately by a 50/50 equal + population key and by
custom weights, a few with members who opted out. What is timed is `ikt_portfolio.costs.services.Split` (what
`services.prepare` returns after its queries; one per key, day and set of payers) and `Split.split` per line,
which is what `services.allocate` and the portal's per-member page do (no database needed). Every allocation is
checked to sum exactly to its line.

`measure_costs(members, lines, repeat, seed, log)` returns a dict for RESULTS.md: median and worst time of the
whole run, per line, and of preparing a key. To wire it into `benchmarks/run.py`, call it from the worker beside
`measure_solver` (after `django.setup()`) and store the dict in the run's data, e.g.
`data["costs"] = measure_costs(log=log)`, then print a row "cost allocation, 357 members × 1 000 lines" in the
throughput section.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from decimal import Decimal
from types import SimpleNamespace


def synthetic(members: int, lines: int, seed: int):
    rng = random.Random(seed)
    people = [
        SimpleNamespace(
            pk=i + 1, number=f"{i + 1:04d}", name=f"Kommune {i + 1}", population=int(200 * 3500 ** rng.random())
        )
        for i in range(members)
    ]
    amounts = [Decimal(rng.randint(1, 5_000_000_000)) / 100 for _line in range(lines)]
    opted_out = [set(rng.sample(range(members), 5)) if rng.random() < 0.1 else set() for _line in range(lines)]
    return people, amounts, opted_out


def measure_costs(members: int = 357, lines: int = 1000, repeat: int = 3, seed: int = 42, log=print) -> dict:
    from ikt_portfolio.costs.models import CostKey
    from ikt_portfolio.costs.services import Entry, Split

    people, amounts, opted_out = synthetic(members, lines, seed)
    half = dict(equal_percent=Decimal(50), population_percent=Decimal(50))

    def prepare(kind: str, out: frozenset):
        payers = [m for i, m in enumerate(people) if i not in out]
        gone = [m for i, m in enumerate(people) if i in out]
        if kind == CostKey.Kind.EQUAL_POPULATION:
            return Split(kind, [Entry(m, population=m.population) for m in payers], gone, **half)
        return Split(kind, [Entry(m, weight=Decimal(m.pk % 7 + 1)) for m in payers], gone)

    started = time.perf_counter()
    prepare(CostKey.Kind.EQUAL_POPULATION, frozenset())
    prepare_ms = (time.perf_counter() - started) * 1000
    timings = []
    for _run in range(repeat):
        splits = {}
        started = time.perf_counter()
        for number, (amount, out) in enumerate(zip(amounts, opted_out, strict=True)):
            kind = CostKey.Kind.EQUAL_POPULATION if number % 2 == 0 else CostKey.Kind.CUSTOM_WEIGHTS
            cache_key = (kind, frozenset(out))
            if cache_key not in splits:
                splits[cache_key] = prepare(kind, cache_key[1])
            shares = splits[cache_key].split(amount)
            assert sum(share.amount for share in shares) == amount
        timings.append((time.perf_counter() - started) * 1000)
    result = {
        "members": members,
        "lines": lines,
        "runs": repeat,
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "per_line_ms": round(statistics.median(timings) / lines, 3),
        "prepare_ms": round(prepare_ms, 1),
    }
    log(
        f"  cost allocation, {members} members × {lines} lines: median {result['median_ms']} ms, worst "
        f"{result['max_ms']} ms ({result['per_line_ms']} ms a line; preparing a key {result['prepare_ms']} ms)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=357)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ikt_site.settings")
    django.setup()
    measure_costs(args.members, args.lines, args.repeat, args.seed)


if __name__ == "__main__":
    main()
