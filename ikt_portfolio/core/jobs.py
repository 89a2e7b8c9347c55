"""Background jobs run by the RQ worker (`manage.py rqworker default`) on Redis.

Jobs are enqueued after the surrounding transaction commits (django-rq's default), so a rolled-back
change never sends anything.
"""

import django_rq


def enqueue(func, *args, queue: str = "default", now: bool = False, **kwargs):
    """Queue a job after the current transaction commits, or at once with `now=True` (for callers that
    already run after the commit and want Redis errors raised to them)."""
    return django_rq.get_queue(queue, commit_mode="auto" if now else None).enqueue(func, *args, **kwargs)


def echo(value):
    """A trivial job: lets operators and tests check that the worker and Redis are alive."""
    return value
