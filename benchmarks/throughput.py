"""Workflow engine throughput: fresh needs taken from report to a portfolio council decision.

Run by the worker after the page timings, on the same generated data. For each of `count` fresh needs, in
the largest collaboration (its 15-member council is the worst case), the engine's own services do what the
Desk and the API do on a POST:

    create_need (a member's employee)  ->  perform "submit" (the same person)
    perform "take_up", "recommend", "send_to_council" (the sector lead)
    vote "include" yes by the council members in turn until the majority decides (8 of 15 votes)

Each operation runs in its own `transaction.atomic()`, as a request would (ATOMIC_REQUESTS is off, so a
view's transaction is the service's own; the outer block here only makes the commit and the after-commit
work part of the timing: the notification delivery job queued on Redis). The user and the need are fetched
before the clock starts, as the auth middleware and the view's `get_object` would; the user is fetched
fresh for every operation so no per-request cache (grants, delegations) carries over. SQL statements are
counted for every timed operation (CaptureQueriesContext).

A short second pass repeats submit and take_up with Redis unreachable, and `queue_delivery` (the
after-commit enqueue of the delivery job, no SQL) is timed alone with Redis up and down, to show what the
Redis round trip and an outage cost.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections import Counter

DEAD_REDIS = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 600}}
ROUTE = (  # (operation, action, who)
    ("submit", "submit", "submitter"),
    ("take_up", "take_up", "lead"),
    ("recommend", "recommend", "lead"),
    ("send_to_council", "send_to_council", "lead"),
)
OPERATIONS = (
    "create_need",
    "submit",
    "take_up",
    "recommend",
    "send_to_council",
    "vote (opens ballot)",
    "vote",
    "vote (decides)",
)
REDIS_DOWN_OPERATIONS = ("submit (Redis down)", "take_up (Redis down)")
QUEUE_OPERATIONS = ("queue_delivery (Redis up)", "queue_delivery (Redis down)")
QUEUE_CALLS = 20


def percentile(values: list[float], share: float) -> float:
    import math

    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class Timer:
    """Runs one operation as one transaction, timed and with its statements counted."""

    def __init__(self):
        self.samples: dict[str, list[dict]] = {}

    def __call__(self, operation: str, user_id: int, func):
        from django.contrib.auth import get_user_model
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        from .run import repeated_statements

        user = get_user_model().objects.get(pk=user_id)  # the auth middleware's work, not timed
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            with transaction.atomic():
                result = func(user)
            elapsed = (time.perf_counter() - started) * 1000
        self.samples.setdefault(operation, []).append(
            {
                "ms": elapsed,
                "queries": len(captured.captured_queries),
                "repeated": repeated_statements(captured.captured_queries),
                "statements": [query["sql"][:300] for query in captured.captured_queries],
            }
        )
        return result

    def relabel_last(self, operation: str, new: str) -> None:
        self.samples.setdefault(new, []).append(self.samples[operation].pop())


def redis_status() -> str:
    import django_rq
    from django.conf import settings

    try:
        django_rq.get_connection("default").ping()
    except Exception as error:  # any Redis failure
        return f"unreachable ({settings.REDIS_URL}: {type(error).__name__})"
    return f"up ({settings.REDIS_URL})"


def _route(timer: Timer, info: dict, index: int, collaboration, area, *, suffix: str = "", stop_after: str = ""):
    """Report a fresh need and take it along ROUTE (up to `stop_after`); returns the need."""
    from ikt_portfolio.needs.models import Need
    from ikt_portfolio.needs.services import create_need
    from ikt_portfolio.workflow import services as workflow

    submitter = info["submitter_user_ids"][index % len(info["submitter_user_ids"])]
    need = timer(
        "create_need" + suffix,
        submitter,
        lambda user: create_need(
            user=user,
            collaboration=collaboration,
            title=f"Ytelsestest {index + 1}: digital timebestilling",
            problem="Innbyggerne ringer for å bestille time; det tar tid for alle. " * 4,
            desired_outcome="Timebestilling på nett.",
            service_area=area,
        ),
    )
    for operation, action, who in ROUTE:
        actor = submitter if who == "submitter" else info["lead_user_id"]
        document = Need.objects.get(pk=need.pk)  # the view's get_object, not timed
        timer(operation + suffix, actor, lambda user, document=document, action=action: workflow.perform(
            document, action, user
        ))  # fmt: skip
        if operation == stop_after:
            break
    return need


def measure_throughput(ctx, count: int, progress) -> dict:
    import django_rq
    from django.test.utils import override_settings

    from ikt_portfolio.members.models import Collaboration, ServiceArea
    from ikt_portfolio.needs.models import Need
    from ikt_portfolio.workflow import services as workflow
    from ikt_portfolio.workflow.models import Notification, TransitionLog, Vote

    info = ctx.extra["throughput"]
    collaboration = Collaboration.objects.get(pk=info["collaboration_id"])
    area = ServiceArea.objects.get(pk=info["service_area_id"])
    voters = info["voter_user_ids"]
    redis = redis_status()
    queue = django_rq.get_queue("default") if redis.startswith("up") else None
    jobs_before = queue.count if queue is not None else 0
    counts_before = (Notification.objects.count(), TransitionLog.objects.count(), Vote.objects.count())
    # Quiet the outbox's "could not queue" warning in the Redis-down pass (one per operation).
    logging.getLogger("ikt_portfolio.workflow.services.notifications").setLevel(logging.ERROR)

    timer = Timer()
    started = time.perf_counter()
    decided = 0
    for index in range(count):
        need = _route(timer, info, index, collaboration, area)
        # The council votes "include", starting from a different member each time, until it is decided.
        order = voters[index % len(voters) :] + voters[: index % len(voters)]
        for position, voter in enumerate(order):
            document = Need.objects.get(pk=need.pk)
            result = timer(
                "vote", voter, lambda user, document=document: workflow.vote(document, "include", user, "yes")
            )
            if result.log is not None:
                timer.relabel_last("vote", "vote (decides)")
                decided += 1
                break
            if position == 0:
                timer.relabel_last("vote", "vote (opens ballot)")
        if (index + 1) % max(1, count // 4) == 0:
            progress(f"  [throughput] {index + 1}/{count} needs decided")
    wall_seconds = time.perf_counter() - started
    jobs_queued = (queue.count - jobs_before) if queue is not None else 0
    counts_after = (Notification.objects.count(), TransitionLog.objects.count(), Vote.objects.count())

    down = Timer()
    down_count = min(5, count)
    with override_settings(RQ_QUEUES=DEAD_REDIS):
        for index in range(down_count):
            _route(down, info, count + index, collaboration, area, suffix=" (Redis down)", stop_after="take_up")
        queue_calls = time_queue_delivery("queue_delivery (Redis down)")
    if queue is not None:
        queue_calls.update(time_queue_delivery("queue_delivery (Redis up)"))
        queue.delete(delete_jobs=True)  # the benchmark's own Redis database: nobody runs these jobs

    rows = [summarise(name, timer.samples.get(name, [])) for name in OPERATIONS]
    rows += [summarise(name, down.samples.get(name, [])) for name in REDIS_DOWN_OPERATIONS]
    rows += [summarise(name, queue_calls.get(name, [])) for name in QUEUE_OPERATIONS]
    rows = [row for row in rows if row["samples"]]
    operations = sum(len(samples) for samples in timer.samples.values())
    engine_ms = sum(sample["ms"] for samples in timer.samples.values() for sample in samples)
    return {
        "needs": count,
        "decided": decided,
        "voters": len(voters),
        "redis": redis,
        "jobs_queued": jobs_queued,
        "notifications": counts_after[0] - counts_before[0],
        "log_entries": counts_after[1] - counts_before[1],
        "votes": counts_after[2] - counts_before[2],
        "operations": operations,
        "wall_seconds": round(wall_seconds, 2),
        "ops_per_second": round(operations / (engine_ms / 1000), 1) if engine_ms else None,
        "route_ms": round(engine_ms / max(1, count), 1),
        "rows": rows,
    }


def time_queue_delivery(name: str) -> dict[str, list[dict]]:
    """The after-commit hook alone: enqueue the delivery job (a new Redis connection each time)."""
    from ikt_portfolio.workflow.services.notifications import queue_delivery

    samples = []
    for _ in range(QUEUE_CALLS):
        started = time.perf_counter()
        queue_delivery()
        samples.append({"ms": (time.perf_counter() - started) * 1000, "queries": 0, "repeated": [], "statements": []})
    return {name: samples}


def summarise(name: str, samples: list[dict]) -> dict:
    if not samples:
        return {"operation": name, "samples": 0}
    timings = [sample["ms"] for sample in samples]
    queries = [sample["queries"] for sample in samples]
    repeated = Counter()
    example = {}
    for sample in samples:
        for n, sql in sample["repeated"]:
            repeated[sql] = max(repeated[sql], n)
    worst = max(samples, key=lambda sample: sample["queries"])
    if repeated:
        sql, n = repeated.most_common(1)[0]
        example = {"count": n, "sql": sql[:1000]}
    return {
        "operation": name,
        "samples": len(samples),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "mean_ms": round(statistics.fmean(timings), 1),
        "ops_per_second": round(1000 / statistics.fmean(timings), 1),
        "queries_min": min(queries),
        "queries_max": max(queries),
        "queries_median": statistics.median(queries),
        "queries_first": queries[0],
        "queries_last": queries[-1],
        "repeated": [example] if example else [],
        "statements": worst["statements"],
    }
