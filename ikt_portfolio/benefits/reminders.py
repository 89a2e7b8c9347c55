"""Reminders and escalation of late measurements, run with the workflow engine's deadline sweep (`workflow_tick`).

Which targets
-------------
Every member target of a benefit being realised (lifecycle state "being_realised", or no state yet: a benefit
from before the lifecycle is measured too) of a member still taking part in the project, that is late by
`services.due`: the last complete period after its baseline has no value.

Who is told, and when
---------------------
- The late period is the last complete one (its value was due on its last day). When that day plus
  ``IKT_MEASUREMENT_REMINDER_DAYS`` (default 7) has passed, the target's benefit owner is reminded (or, when the
  target has no owner, the project's owner and manager): once per late period (`MemberTarget.reminded_for`).
- When the target has been late for ``IKT_MEASUREMENT_ESCALATION_DAYS`` (default 21) more than that (counted
  from the due date of the oldest missing period, `Due.due_on`), the project's owner and manager and the
  collaboration's administrators are told: once per late period (`MemberTarget.escalated_for`).

A value recorded for the period ends it; the next period that goes unrecorded is told of again.

Each notification names the project, the benefit, the indicator, the member, the period and its due date, and
links to the portal page where the value is recorded; it is written in the recipient's language and e-mailed
by the workflow's outbox after the commit.

Bounded and claimed
-------------------
Targets are read a batch at a time, each batch with its latest measured period in one query. In one transaction
per batch the batch's targets are locked (``SELECT … FOR UPDATE``, re-read fresh), claimed with a conditional
``UPDATE`` per period (at most one per schedule) and told: two sweeps at once never tell twice, and a crash
tells nobody and claims nothing. SQLite ignores the lock but serialises writers.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.selectors import capacity_holders
from ikt_portfolio.projects.models import Participation
from ikt_portfolio.workflow.services import Message, notify_many

from .models import Indicator, Measurement, MemberTarget
from .services import due, next_period, period_start

logger = logging.getLogger(__name__)

MEASURED_STATES = ("being_realised", "")  # "": a benefit not in a lifecycle workflow yet
BATCH = 500


def reminder_days() -> int:
    return int(getattr(settings, "IKT_MEASUREMENT_REMINDER_DAYS", 7))


def escalation_days() -> int:
    return int(getattr(settings, "IKT_MEASUREMENT_ESCALATION_DAYS", 21))


def last_complete_period(today: datetime.date, schedule: str) -> datetime.date:
    """The start of the last period (month, quarter, year) that has ended before `today`."""
    return period_start(period_start(today, schedule) - datetime.timedelta(days=1), schedule)


def period_due_on(period: datetime.date, schedule: str) -> datetime.date:
    """A period's value is due on the period's last day."""
    return next_period(period, schedule) - datetime.timedelta(days=1)


def late_targets(today: datetime.date):
    """Member targets that may be late on `today` and have not been both reminded and escalated for their last
    complete period, each with `latest_period` (its latest measured period): one query."""
    latest = (
        Measurement.objects.filter(target=OuterRef("pk"))
        .order_by()
        .values("target")
        .annotate(latest=Max("period"))
        .values("latest")
    )
    taking_part = Participation.objects.filter(
        project_id=OuterRef("indicator__benefit__project_id"), municipality_id=OuterRef("municipality_id")
    ).exclude(status=Participation.Status.OPTS_OUT)
    late = Q()
    for schedule in Indicator.Schedule.values:
        period = last_complete_period(today, schedule)
        late |= (
            Q(indicator__schedule=schedule, baseline_date__lt=next_period(period, schedule))
            & (Q(latest_period__isnull=True) | Q(latest_period__lt=period))
            & (~Q(reminded_for=period) | ~Q(escalated_for=period))  # a NULL differs too
        )
    return (
        MemberTarget.objects.annotate(latest_period=Subquery(latest[:1]))
        .filter(late, Exists(taking_part), indicator__benefit__state__in=MEASURED_STATES)
        .select_related(
            "indicator__benefit__project__owner",
            "indicator__benefit__project__manager",
            "municipality",
            "owner__user",
        )
    )


@dataclass
class _Plan:
    target: MemberTarget
    period: datetime.date  # the last complete period, without a value
    due_on: datetime.date  # its due date
    since: datetime.date  # the oldest missing period
    since_due_on: datetime.date  # its due date
    remind: bool
    escalate: bool


class _Claimed(Exception):
    """Another sweep claimed part of the batch first: tell nothing from this batch (it retries next time)."""


def run_measurement_reminders(today: datetime.date | None = None) -> dict:
    """Remind benefit owners of late measurements and escalate those long late (see the module's docstring).
    Returns {"reminded": targets reminded, "escalated": targets escalated}."""
    today = today or timezone.localdate()
    grace = datetime.timedelta(days=reminder_days())
    extra = datetime.timedelta(days=escalation_days())
    counts = {"reminded": 0, "escalated": 0}
    admins: dict[int, set[int]] = {}  # collaboration id → administrators' user ids, read once per sweep
    after = 0
    while True:
        batch = list(late_targets(today).filter(pk__gt=after).order_by("pk")[:BATCH])
        if not batch:
            break
        after = batch[-1].pk
        plans = [plan for plan in (_plan(target, today, grace, extra) for target in batch) if plan]
        if plans:
            try:
                reminded, escalated = _tell(plans, admins)
            except _Claimed:
                logger.warning("Measurement reminders: another sweep claimed part of a batch; it is retried.")
                reminded = escalated = 0
            counts["reminded"] += reminded
            counts["escalated"] += escalated
        if len(batch) < BATCH:
            break
    return counts


def sweep(now: datetime.datetime) -> dict:
    """The workflow deadline sweep's hook (`registry.register_deadline_sweep`)."""
    return run_measurement_reminders(timezone.localdate(now))


def _plan(target: MemberTarget, today, grace, extra) -> _Plan | None:
    schedule = target.indicator.schedule
    state = due(target, target.latest_period, today)
    if not state.late:
        return None
    period = last_complete_period(today, schedule)
    due_on = period_due_on(period, schedule)
    remind = today > due_on + grace and target.reminded_for != period
    escalate = today > state.due_on + grace + extra and target.escalated_for != period
    if not (remind or escalate):
        return None
    return _Plan(target, period, due_on, state.next_period, state.due_on, remind, escalate)


def _tell(plans: list[_Plan], admins: dict[int, set[int]]) -> tuple[int, int]:
    """Lock the batch's targets, keep what no other sweep has told, claim it and write the notifications, all in
    one transaction."""
    with transaction.atomic():
        fresh = {
            pk: (reminded_for, escalated_for)
            for pk, reminded_for, escalated_for in MemberTarget.objects.select_for_update()
            .filter(pk__in=[plan.target.pk for plan in plans])
            .order_by("pk")
            .values_list("pk", "reminded_for", "escalated_for")
        }
        reminders = [p for p in plans if p.remind and p.target.pk in fresh and fresh[p.target.pk][0] != p.period]
        escalations = [p for p in plans if p.escalate and p.target.pk in fresh and fresh[p.target.pk][1] != p.period]
        _claim(reminders, "reminded_for")
        _claim(escalations, "escalated_for")
        for collaboration_id in {p.target.indicator.benefit.project.collaboration_id for p in escalations}:
            if collaboration_id not in admins:
                admins[collaboration_id] = capacity_holders(collaboration_id, [Capacity.COLLABORATION_ADMIN])
        reminded = [message for message in map(_reminder, reminders) if message.user_ids]
        escalated = [message for message in (_escalation(plan, admins) for plan in escalations) if message.user_ids]
        notify_many(reminded + escalated)
    return len(reminded), len(escalated)


def _claim(plans: list[_Plan], marker: str) -> None:
    """Mark the targets told for their period: a conditional UPDATE per period, which must claim every one."""
    by_period: dict[datetime.date, list[int]] = {}
    for plan in plans:
        by_period.setdefault(plan.period, []).append(plan.target.pk)
    for period, ids in by_period.items():
        unclaimed = MemberTarget.objects.filter(pk__in=ids).exclude(**{marker: period})  # NULL is unclaimed
        if unclaimed.update(**{marker: period}) != len(ids):
            raise _Claimed


def _project_people(target: MemberTarget) -> set[int]:
    project = target.indicator.benefit.project
    return {person.user_id for person in (project.owner, project.manager) if person is not None}


def _link(target: MemberTarget) -> str:
    return f"{reverse('ikt_portal:benefits_measurements')}#target-{target.pk}"


def _facts(plan: _Plan) -> dict:
    target = plan.target
    indicator = target.indicator
    owner = target.owner
    return {
        "project": str(indicator.benefit.project),
        "benefit": indicator.benefit.name,
        "indicator": indicator.name,
        "unit": indicator.unit,
        "member": target.municipality.name,
        "owner": (owner.user.get_full_name() or owner.user.get_username()) if owner else "",
        "link": _link(target),
    }


def _dates(plan: _Plan) -> dict:
    """The dates, formatted in the language active when the message is composed (the recipient's)."""
    return {
        "period": formats.date_format(plan.period),
        "due": formats.date_format(plan.due_on),
        "since": formats.date_format(plan.since),
        "since_due": formats.date_format(plan.since_due_on),
    }


def _reminder(plan: _Plan) -> Message:
    target = plan.target
    recipients = {target.owner.user_id} if target.owner_id else _project_people(target)
    facts = _facts(plan)

    def compose():
        values = {**facts, **_dates(plan)}
        lines = [
            _(
                "No value of “%(indicator)s” (%(unit)s) is recorded for %(member)s for the period starting "
                "%(period)s. It was due on %(due)s."
            )
            % values,
            _("Project: %(project)s. Benefit: %(benefit)s.") % values,
        ]
        if plan.since != plan.period:
            lines.append(_("Values are missing since the period starting %(since)s.") % values)
        lines.append(_("Record it here: %(link)s") % values)
        return _("Measurement due: %(indicator)s, %(member)s") % values, "\n\n".join(lines)

    return Message(recipients, target.indicator.benefit, "measurement_reminder", compose, facts["link"])


def _escalation(plan: _Plan, admins: dict[int, set[int]]) -> Message:
    target = plan.target
    project = target.indicator.benefit.project
    recipients = _project_people(target) | admins.get(project.collaboration_id, set())
    facts = _facts(plan)

    def compose():
        values = {**facts, **_dates(plan)}
        lines = [
            _(
                "%(member)s has recorded no value of “%(indicator)s” (%(unit)s) since the period starting "
                "%(since)s, which was due on %(since_due)s. The latest period without a value started %(period)s."
            )
            % values,
            _("Project: %(project)s. Benefit: %(benefit)s.") % values,
            _("The benefit owner is %(owner)s.") % values
            if values["owner"]
            else _("The target has no benefit owner: please appoint one."),
            _("The values are recorded here: %(link)s") % values,
        ]
        return _("Measurements late: %(indicator)s, %(member)s") % values, "\n\n".join(lines)

    return Message(recipients, target.indicator.benefit, "measurement_escalation", compose, facts["link"])
