"""The rules of the portfolio plan: periods, budget frames, the candidates of a period, scenarios with the
council's locks, solving ("what fits") and comparing scenarios.

Candidates
----------
The candidates of a period are the collaboration's needs the sector groups have recommended and no decision
has closed yet, by their workflow state:

- "recommended" (assessed and recommended by the sector group) and "portfolio_council" (sent to the council);
- "deferred" (the council put it off to a later period): a candidate from the period its decision named
  (`council.Decision.period`) on; deferred without a named period (e.g. by votes on the need's page outside a
  meeting), from every period that starts after the day it was deferred.

(These are the state keys of the recommended routing; a routing without them has no candidates.) An item's
score is its assessment's total (0–100; 0 when it was never assessed). Its cost and effort are the
assessment's estimate where it has one, else the need's own. An item missing its cost or its effort has no
estimate: it is shown, flagged, and never chosen automatically; it cannot be locked in either.

The proposal ranks the candidates by score (highest first), then cost (lowest first, unknown last), then age
(oldest first); the solver uses the same order to break ties (see `solver`).

Refusals raise `PortfolioError` (400: not possible, with the reason) or `PortfolioRefused` (403: not allowed);
nothing is written when they do. Every write is audited in the capacity the user acts in.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as, current_capacity
from ikt_portfolio.core.errors import DomainError
from ikt_portfolio.core.money import format_nok, to_money
from ikt_portfolio.members.permissions import person_of
from ikt_portfolio.needs.models import Need

from . import solver
from .models import BudgetFrame, Lock, Period, Reason, Scenario, ScenarioItem, period_dates
from .permissions import may_plan, may_set_frames, planning_capacity

CANDIDATE_STATES = ("recommended", "portfolio_council")
DEFERRED_STATE = "deferred"
DEFER_ACTION = "defer"  # the council's action that leads there
TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")


class PortfolioError(DomainError):
    status_code = 400


class PortfolioRefused(PortfolioError):
    status_code = 403


# ------------------------------------------------------------------------------------------------ units


def to_ore(amount: Decimal) -> int:
    return int(to_money(amount) * 100)


def from_ore(ore: int) -> Decimal:
    return (Decimal(ore) / 100).quantize(HUNDREDTH)


def to_tenths(effort: Decimal) -> int:
    return int(Decimal(effort).quantize(TENTH) * 10)


def from_tenths(tenths: int) -> Decimal:
    return (Decimal(tenths) / 10).quantize(TENTH)


def to_hundredths(score: Decimal) -> int:
    return int(Decimal(score).quantize(HUNDREDTH) * 100)


def from_hundredths(hundredths: int) -> Decimal:
    return (Decimal(hundredths) / 100).quantize(HUNDREDTH)


def format_effort(effort) -> str:
    return number_format(Decimal(effort).quantize(TENTH), 1, use_l10n=True)


# ---------------------------------------------------------------------------------------------- periods


def parse_period(slug: str) -> tuple[str, int, int] | None:
    """ "2026" → (year, 2026, 0); "2026-t2" → (tertial, 2026, 2); None when it is neither."""
    year, _sep, rest = (slug or "").partition("-")
    if not (year.isdigit() and len(year) == 4 and 2000 <= int(year) <= 2100):
        return None
    if not rest:
        return Period.Kind.YEAR, int(year), 0
    if rest in ("t1", "t2", "t3"):
        return Period.Kind.TERTIAL, int(year), int(rest[1])
    return None


def period_of(collaboration, kind: str, year: int, number: int = 0) -> Period:
    """The collaboration's period, or an unsaved one with the same dates (a proposal needs no saved period)."""
    found = Period.objects.filter(collaboration=collaboration, kind=kind, year=year, number=number).first()
    if found is not None:
        return found
    period = Period(collaboration=collaboration, kind=kind, year=year, number=number)
    period.starts_on, period.ends_on = period_dates(kind, year, number)
    return period


def current_period(collaboration, day: datetime.date | None = None, kind: str = Period.Kind.YEAR) -> Period:
    day = day or timezone.localdate()
    number = 0 if kind == Period.Kind.YEAR else (day.month - 1) // 4 + 1
    return period_of(collaboration, kind, day.year, number)


def ensure_period(collaboration, kind: str, year: int, number: int = 0, *, user=None) -> Period:
    """The period, created if missing (by a planner of the collaboration; `user=None` for the system)."""
    found = Period.objects.filter(collaboration=collaboration, kind=kind, year=year, number=number).first()
    if found is not None:
        return found
    if user is not None:
        _refuse_planning(user, collaboration.pk)
    period = Period(collaboration=collaboration, kind=kind, year=year, number=number)
    period.full_clean()
    capacity = planning_capacity(user, collaboration.pk) if user is not None else current_capacity()
    with transaction.atomic(), acting_as(capacity):
        period.save()
    return period


def ensure_year(collaboration, year: int, *, user=None) -> list[Period]:
    """The year and its three tertials, created where missing."""
    periods = [ensure_period(collaboration, Period.Kind.YEAR, year, user=user)]
    periods += [ensure_period(collaboration, Period.Kind.TERTIAL, year, number, user=user) for number in (1, 2, 3)]
    return periods


def refuse_past_period(period: Period, day: datetime.date | None = None) -> None:
    """For decisions that name a later period (a deferral): a period that has ended is refused."""
    day = day or timezone.localdate()
    if period.ends_on < day:
        raise PortfolioError(
            _("%(period)s has already ended (%(end)s): choose a period that is still to come.")
            % {"period": period.label, "end": period.ends_on.isoformat()}
        )


# ------------------------------------------------------------------------------------------- candidates


@dataclass
class Candidate:
    need: Need
    score: Decimal
    cost: Decimal | None
    effort: Decimal | None
    estimate_from: str  # "assessment" (the sector group's estimate), "need" (the need's own) or ""
    assessed: bool
    rank: int = 0  # 1 = the highest ranked
    age: int = 0  # 0 = the oldest

    @property
    def has_estimate(self) -> bool:
        return self.cost is not None and self.effort is not None

    @property
    def assessment(self):
        return self.need.assessment if self.assessed else None


def deferred_to_start():
    """A subquery for needs: when the period their latest deferral decision named begins (None without one)."""
    from ikt_portfolio.council.models import Decision

    return Subquery(
        Decision.objects.filter(
            status=Decision.Status.PASSED,
            action=DEFER_ACTION,
            log__content_type=ContentType.objects.get_for_model(Need),
            log__object_id=OuterRef("pk"),
            period__isnull=False,
        )
        .order_by("-closed_at", "-pk")
        .values("period__starts_on")[:1]
    )


def candidate_needs(period: Period):
    """The candidate needs of `period` (see the module's docstring)."""
    start = timezone.make_aware(datetime.datetime.combine(period.starts_on, datetime.time.min))
    deferred = Q(state=DEFERRED_STATE) & (
        Q(deferred_to__lte=period.starts_on) | Q(deferred_to__isnull=True, state_entered_at__lt=start)
    )
    return (
        Need.objects.filter(collaboration_id=period.collaboration_id)
        .annotate(deferred_to=deferred_to_start())
        .filter(Q(state__in=CANDIDATE_STATES) | deferred)
    )


def candidates(period: Period) -> list[Candidate]:
    """The period's candidates, ranked (one query)."""
    needs = (
        candidate_needs(period)
        .select_related("assessment", "service_area", "municipality")
        .order_by("created_at", "pk")
    )
    found = []
    for age, need in enumerate(needs):
        assessment = getattr(need, "assessment", None)  # select_related: None when it was never assessed
        assessed_cost = assessment.estimated_cost if assessment else None
        assessed_effort = assessment.estimated_effort if assessment else None
        cost = assessed_cost if assessed_cost is not None else need.estimated_cost
        effort = assessed_effort if assessed_effort is not None else need.estimated_effort
        if assessed_cost is not None or assessed_effort is not None:
            source = "assessment"
        else:
            source = "need" if cost is not None or effort is not None else ""
        found.append(
            Candidate(
                need=need,
                score=assessment.total if assessment else Decimal(0),
                cost=cost,
                effort=effort,
                estimate_from=source,
                assessed=assessment is not None,
                age=age,
            )
        )
    found.sort(key=lambda c: (-c.score, c.cost is None, c.cost or 0, c.age))
    for rank, candidate in enumerate(found, start=1):
        candidate.rank = rank
    return found


# -------------------------------------------------------------------------------------------- frames


def _locked_in_totals(scenario_ids, by_need: dict[int, Candidate]) -> dict[int, tuple[Decimal, Decimal]]:
    """Per scenario: the cost and effort of its locked-in items, by today's estimates."""
    totals: dict[int, tuple[Decimal, Decimal]] = {pk: (Decimal(0), Decimal(0)) for pk in scenario_ids}
    rows = ScenarioItem.objects.filter(scenario_id__in=scenario_ids, lock=Lock.IN).values_list("scenario_id", "need_id")
    for scenario_id, need_id in rows:
        candidate = by_need.get(need_id)
        if candidate is None or not candidate.has_estimate:
            continue
        cost, effort = totals[scenario_id]
        totals[scenario_id] = (cost + candidate.cost, effort + candidate.effort)
    return totals


def _refuse_below_locked(budget, capacity, locked_cost, locked_effort, scenario_name: str) -> None:
    if budget is not None and locked_cost > budget:
        raise PortfolioError(
            _(
                "The budget %(budget)s is below the items locked in to “%(scenario)s”, which cost %(locked)s together: "
                "unlock items first or raise the budget."
            )
            % {"budget": format_nok(budget), "scenario": scenario_name, "locked": format_nok(locked_cost)}
        )
    if capacity is not None and locked_effort > capacity:
        raise PortfolioError(
            _(
                "The capacity of %(capacity)s person-months is below the items locked in to “%(scenario)s”, which need "
                "%(locked)s person-months together: unlock items first or raise the capacity."
            )
            % {"capacity": format_effort(capacity), "scenario": scenario_name, "locked": format_effort(locked_effort)}
        )


def _check_limits(budget, capacity) -> tuple[Decimal | None, Decimal | None]:
    budget = to_money(budget) if budget is not None and budget != "" else None
    capacity = Decimal(str(capacity)).quantize(TENTH) if capacity is not None and capacity != "" else None
    if budget is not None and budget < 0:
        raise PortfolioError(_("The budget cannot be negative."))
    if capacity is not None and capacity < 0:
        raise PortfolioError(_("The capacity cannot be negative."))
    if budget is not None and budget >= Decimal("1e13"):
        raise PortfolioError(_("The budget is too large."))
    if capacity is not None and capacity >= Decimal("1e7"):
        raise PortfolioError(_("The capacity is too large."))
    return budget, capacity


def check_frame(period: Period, budget, capacity, *, lock: bool = False) -> tuple[Decimal, Decimal]:
    """The frame's budget and capacity, checked: both given, not negative, not decided yet, and not below the
    items locked in to a scenario that takes its budget or capacity from the frame. Raises PortfolioError.
    (`set_budget_frame` asks again under lock; forms ask first, to show the reason beside the fields.)"""
    budget, capacity = _check_limits(budget, capacity)
    if budget is None or capacity is None:
        raise PortfolioError(_("Give both the budget and the delivery capacity."))
    if period.pk is None:
        return budget, capacity
    frames = BudgetFrame.objects.filter(period=period)
    scenarios = Scenario.objects.filter(period=period).filter(Q(budget__isnull=True) | Q(capacity__isnull=True))
    if lock:
        frames, scenarios = frames.select_for_update(), scenarios.select_for_update()
    frame = frames.first()
    if frame is not None and frame.decided:
        raise PortfolioError(
            _("The budget frame of %(period)s is decided and can no longer change.") % {"period": period.label}
        )
    following = list(scenarios)
    if following:
        by_need = {c.need.pk: c for c in candidates(period)}
        totals = _locked_in_totals([scenario.pk for scenario in following], by_need)
        for scenario in following:
            cost, effort = totals[scenario.pk]
            _refuse_below_locked(
                budget if scenario.budget is None else None,
                capacity if scenario.capacity is None else None,
                cost,
                effort,
                scenario.name,
            )
    return budget, capacity


def set_budget_frame(period: Period, user, *, budget, capacity, note: str = "") -> BudgetFrame:
    """Set (or change) the period's budget frame (see `check_frame` for what is refused)."""
    if not may_set_frames(user, period.collaboration_id):
        raise PortfolioRefused(_("Only the collaboration's administrators set the budget frame."))
    with transaction.atomic():
        if period.pk is None:
            check_frame(period, budget, capacity)
            period = ensure_period(period.collaboration, period.kind, period.year, period.number, user=user)
        budget, capacity = check_frame(period, budget, capacity, lock=True)
        frame = BudgetFrame.objects.filter(period=period).first() or BudgetFrame(period=period)
        frame.budget, frame.capacity, frame.note = budget, capacity, (note or "").strip()
        frame.full_clean()
        following = Scenario.objects.filter(period=period, stale=False).exclude(status=Scenario.Status.NOT_SOLVED)
        following = following.filter(Q(budget__isnull=True) | Q(capacity__isnull=True))
        with acting_as(planning_capacity(user, period.collaboration_id)):
            frame.save()
            for scenario in following:  # their result no longer answers the frame
                scenario.stale = True
                scenario.save(update_fields=["stale"])
    return frame


def decide_budget_frame(frame: BudgetFrame, user) -> BudgetFrame:
    """Record that the frame is decided (by whom, when); it can no longer change."""
    collaboration_id = frame.period.collaboration_id
    if not may_set_frames(user, collaboration_id):
        raise PortfolioRefused(_("Only the collaboration's administrators set the budget frame."))
    with transaction.atomic(), acting_as(planning_capacity(user, collaboration_id)):
        frame = BudgetFrame.objects.select_for_update().get(pk=frame.pk)
        if frame.decided:
            raise PortfolioError(_("The budget frame is already decided."))
        frame.decided, frame.decided_by, frame.decided_at = True, person_of(user), timezone.now()
        frame.save()
    return frame


# ----------------------------------------------------------------------------------------- scenarios


def limits_of(scenario: Scenario, frame: BudgetFrame | None = None) -> tuple[Decimal | None, Decimal | None]:
    """The budget and capacity the scenario is solved with: its own where set, else the period's frame."""
    if frame is None:
        frame = BudgetFrame.objects.filter(period_id=scenario.period_id).first()
    budget = scenario.budget if scenario.budget is not None else (frame.budget if frame else None)
    capacity = scenario.capacity if scenario.capacity is not None else (frame.capacity if frame else None)
    return budget, capacity


def _refuse_planning(user, collaboration_id: int) -> None:
    if not may_plan(user, collaboration_id):
        raise PortfolioRefused(
            _(
                "Only the portfolio council's chair or secretary and the collaboration's administrators plan the "
                "portfolio."
            )
        )


def _checked_name(period: Period, name: str, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise PortfolioError(_("Give the scenario a name."))
    if len(name) > 120:
        raise PortfolioError(_("The name is too long (at most 120 characters)."))
    if period.pk and Scenario.objects.filter(period=period, name=name).exclude(pk=exclude).exists():
        raise PortfolioError(
            _("%(period)s already has a scenario called “%(name)s”.") % {"period": period.label, "name": name}
        )
    return name


def create_scenario(period: Period, user, *, name: str, budget=None, capacity=None) -> Scenario:
    """A new scenario of the period (which is saved first if it is not yet), taking the budget and the capacity
    from the period's frame unless given."""
    _refuse_planning(user, period.collaboration_id)
    name = _checked_name(period, name)
    budget, capacity = _check_limits(budget, capacity)
    try:
        with transaction.atomic():
            if period.pk is None:
                period = ensure_period(period.collaboration, period.kind, period.year, period.number, user=user)
            with acting_as(planning_capacity(user, period.collaboration_id)):
                return Scenario.objects.create(
                    period=period, name=name, created_by=person_of(user), budget=budget, capacity=capacity
                )
    except IntegrityError as error:  # the same name saved at the same moment
        raise PortfolioError(
            _("%(period)s already has a scenario called “%(name)s”.") % {"period": period.label, "name": name}
        ) from error


def check_scenario_limits(scenario: Scenario, budget, capacity) -> tuple[Decimal | None, Decimal | None]:
    """The scenario's own budget and capacity (None: the frame's), checked against its locked-in items."""
    budget, capacity = _check_limits(budget, capacity)
    if scenario.pk is None:
        return budget, capacity
    frame = BudgetFrame.objects.filter(period_id=scenario.period_id).first()
    effective_budget = budget if budget is not None else (frame.budget if frame else None)
    effective_capacity = capacity if capacity is not None else (frame.capacity if frame else None)
    by_need = {c.need.pk: c for c in candidates(scenario.period)}
    cost, effort = _locked_in_totals([scenario.pk], by_need)[scenario.pk]
    _refuse_below_locked(effective_budget, effective_capacity, cost, effort, scenario.name)
    return budget, capacity


def set_scenario_limits(scenario: Scenario, user, *, budget=None, capacity=None) -> Scenario:
    """The scenario's own budget and capacity (empty: the frame's). Refused below its locked-in items."""
    _refuse_planning(user, scenario.period.collaboration_id)
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().select_related("period").get(pk=scenario.pk)
        budget, capacity = check_scenario_limits(scenario, budget, capacity)
        if (scenario.budget, scenario.capacity) == (budget, capacity):
            return scenario
        scenario.budget, scenario.capacity = budget, capacity
        scenario.stale = scenario.is_solved
        with acting_as(planning_capacity(user, scenario.period.collaboration_id)):
            scenario.save()
    return scenario


def rename_scenario(scenario: Scenario, user, name: str) -> Scenario:
    _refuse_planning(user, scenario.period.collaboration_id)
    name = _checked_name(scenario.period, name, exclude=scenario.pk)
    with transaction.atomic(), acting_as(planning_capacity(user, scenario.period.collaboration_id)):
        scenario.name = name
        scenario.save(update_fields=["name"])
    return scenario


def delete_scenario(scenario: Scenario, user) -> None:
    _refuse_planning(user, scenario.period.collaboration_id)
    with transaction.atomic(), acting_as(planning_capacity(user, scenario.period.collaboration_id)):
        for item in ScenarioItem.objects.filter(scenario=scenario):  # one by one, so each is in the history
            item.delete()
        scenario.delete()


def lock(scenario: Scenario, user, need, lock: str, *, note: str = "") -> ScenarioItem:
    """Lock a candidate in ("in") or out ("out") of the scenario, or release it (""). A need that is not a
    candidate of the period, locking in an item without an estimate, or locked-in items beyond the budget or
    the capacity are refused."""
    if lock not in Lock.values:
        raise PortfolioError(_("Lock in, lock out or release: “%(value)s” is none of them.") % {"value": lock})
    need_id = getattr(need, "pk", need)
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().select_related("period").get(pk=scenario.pk)
        _refuse_planning(user, scenario.period.collaboration_id)
        by_need = {c.need.pk: c for c in candidates(scenario.period)}
        candidate = by_need.get(need_id)
        if candidate is None:
            raise PortfolioError(_("That need is not a candidate for %(period)s.") % {"period": scenario.period.label})
        if lock == Lock.IN:
            if not candidate.has_estimate:
                raise PortfolioError(
                    _(
                        "%(need)s has no cost or effort estimate: the sector group must estimate it before it can be "
                        "locked in."
                    )
                    % {"need": candidate.need.reference}
                )
            budget, capacity = limits_of(scenario)
            cost, effort = _locked_in_totals([scenario.pk], by_need)[scenario.pk]
            item = ScenarioItem.objects.filter(scenario=scenario, need_id=need_id, lock=Lock.IN).first()
            if item is None:
                cost, effort = cost + candidate.cost, effort + candidate.effort
            if budget is not None and cost > budget:
                raise PortfolioError(
                    _(
                        "Locking in %(need)s would take the locked-in items to %(locked)s, above the budget of "
                        "%(budget)s."
                    )
                    % {"need": candidate.need.reference, "locked": format_nok(cost), "budget": format_nok(budget)}
                )
            if capacity is not None and effort > capacity:
                raise PortfolioError(
                    _(
                        "Locking in %(need)s would take the locked-in items to %(locked)s person-months, above the "
                        "capacity of %(capacity)s."
                    )
                    % {
                        "need": candidate.need.reference,
                        "locked": format_effort(effort),
                        "capacity": format_effort(capacity),
                    }
                )
        item = ScenarioItem.objects.filter(scenario=scenario, need_id=need_id).first() or ScenarioItem(
            scenario=scenario, need_id=need_id, rank=candidate.rank
        )
        if item.pk and item.lock == lock and item.lock_note == (note or "").strip():
            return item
        item.lock, item.lock_note = lock, (note or "").strip()[:300]
        item.locked_by, item.locked_at = (person_of(user), timezone.now()) if lock else (None, None)
        with acting_as(planning_capacity(user, scenario.period.collaboration_id)):
            item.save()
            if scenario.is_solved and not scenario.stale:
                scenario.stale = True
                scenario.save(update_fields=["stale"])
    return item


ITEM_RESULT_FIELDS = ["chosen", "reason", "reason_values", "rank", "score", "cost", "effort"]


def solve(scenario: Scenario, user) -> Scenario:
    """Solve the scenario: the best set of its period's candidates under its budget and capacity, with its
    locks (see `solver`), and a reason for every item. Writes the result on the scenario and its items."""
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().select_related("period").get(pk=scenario.pk)
        collaboration_id = scenario.period.collaboration_id
        _refuse_planning(user, collaboration_id)
        budget, capacity = limits_of(scenario)
        if budget is None or capacity is None:
            raise PortfolioError(
                _("%(period)s has no budget frame yet: set one, or give the scenario its own budget and capacity.")
                % {"period": scenario.period.label}
            )
        found = candidates(scenario.period)
        existing = {item.need_id: item for item in ScenarioItem.objects.filter(scenario=scenario)}
        items = [
            solver.Item(
                key=c.need.pk,
                score=to_hundredths(c.score),
                cost=to_ore(c.cost) if c.cost is not None else None,
                effort=to_tenths(c.effort) if c.effort is not None else None,
                lock=existing[c.need.pk].lock if c.need.pk in existing else "",
                age=c.age,
            )
            for c in found
        ]
        try:
            solution = solver.solve(items, to_ore(budget), to_tenths(capacity))
        except solver.LockedInWithoutEstimate as error:
            references = ", ".join(c.need.reference for c in found if c.need.pk in error.keys)
            raise PortfolioError(
                _("Locked-in items have no estimate any more (%(needs)s): release them or estimate them first.")
                % {"needs": references}
            ) from error
        except solver.LockedInTooMuch as error:
            if error.limit == solver.BUDGET:
                message = _(
                    "The locked-in items cost %(locked)s together, more than the budget of %(budget)s: unlock items or "
                    "raise the budget."
                ) % {
                    "locked": format_nok(from_ore(error.locked)),
                    "budget": format_nok(budget),
                }
            else:
                message = _(
                    "The locked-in items need %(locked)s person-months together, more than the capacity of "
                    "%(capacity)s: unlock items or raise the capacity."
                ) % {
                    "locked": format_effort(from_tenths(error.locked)),
                    "capacity": format_effort(capacity),
                }
            raise PortfolioError(message) from error

        person = person_of(user)
        capacity_key = planning_capacity(user, collaboration_id)
        creates, updates = [], []
        for candidate in found:
            reason = solution.reasons[candidate.need.pk]
            item = existing.pop(candidate.need.pk, None) or ScenarioItem(scenario=scenario, need_id=candidate.need.pk)
            item.chosen = candidate.need.pk in solution.chosen
            item.reason, item.reason_values = reason.code, reason.values
            item.rank, item.score, item.cost, item.effort = (
                candidate.rank,
                candidate.score,
                candidate.cost,
                candidate.effort,
            )
            (updates if item.pk else creates).append(item)
        with acting_as(capacity_key):
            for gone in existing.values():  # no longer a candidate (decided, withdrawn …): one by one, audited
                gone.delete()
            _write_items(scenario, creates, updates, user, capacity_key)
            scenario.status = Scenario.Status.OPTIMAL if solution.status == solver.OPTIMAL else Scenario.Status.FEASIBLE
            scenario.stale = False
            scenario.budget_used, scenario.capacity_used = budget, capacity
            scenario.objective = from_hundredths(solution.score)
            scenario.total_cost, scenario.total_effort = from_ore(solution.cost), from_tenths(solution.effort)
            scenario.solved_at, scenario.solved_by = timezone.now(), person
            scenario.solve_ms = round(solution.seconds * 1000)
            scenario.save()
    return scenario


def _write_items(scenario, creates, updates, user, capacity_key) -> None:
    """The result rows in bulk (a scenario may have hundreds), each with its history row in `capacity_key`."""
    history = {
        "default_user": user if getattr(user, "is_authenticated", False) else None,
        "custom_historical_attrs": {"history_capacity": capacity_key},
    }
    if updates:
        ScenarioItem.objects.bulk_update(updates, ITEM_RESULT_FIELDS, batch_size=500)
        ScenarioItem.history.bulk_history_create(updates, batch_size=500, update=True, **history)
    if creates:
        ScenarioItem.objects.bulk_create(creates, batch_size=500)
        if any(item.pk is None for item in creates):  # a database that does not return the new ids
            ids = dict(ScenarioItem.objects.filter(scenario=scenario).values_list("need_id", "pk"))
            for item in creates:
                item.pk = ids[item.need_id]
        ScenarioItem.history.bulk_history_create(creates, batch_size=500, **history)


# ----------------------------------------------------------------------------------------- reasons


def reason_text(item: ScenarioItem) -> str:
    """Why the item is in or out, with its numbers, in the reader's language."""
    values = item.reason_values or {}
    code = item.reason
    if code == Reason.CHOSEN:
        return _("Chosen: part of the best set under the budget and the capacity.")
    if code == Reason.LOCKED_IN:
        return _("Locked in by the council.")
    if code == Reason.LOCKED_OUT:
        return _("Locked out by the council.")
    if code == Reason.NO_ESTIMATE:
        return _(
            "It has no cost or effort estimate, so it cannot be chosen automatically: the sector group must estimate it"
            " first."
        )
    if code == Reason.BUDGET:
        text = _(
            "Does not fit the budget: its cost (%(cost)s) alone is more than the %(left)s left after the locked-in "
            "items."
        ) % {
            "cost": format_nok(from_ore(values.get("cost", 0))),
            "left": format_nok(from_ore(values.get("left", 0))),
        }
        if values.get("capacity_too"):
            text += " " + _("Its effort is more than the capacity left, too.")
        return text
    if code == Reason.CAPACITY:
        return _(
            "Does not fit the capacity: its effort (%(effort)s person-months) alone is more than the %(left)s "
            "person-months left after the locked-in items."
        ) % {
            "effort": format_effort(from_tenths(values.get("effort", 0))),
            "left": format_effort(from_tenths(values.get("left", 0))),
        }
    if code == Reason.SCORE:
        numbers = {
            "cost": format_nok(from_ore(values.get("cost", 0))),
            "effort": format_effort(from_tenths(values.get("effort", 0))),
            "budget_left": format_nok(from_ore(values.get("budget_left", 0))),
            "capacity_left": format_effort(from_tenths(values.get("capacity_left", 0))),
        }
        binds = values.get("binds") or []
        if len(binds) == 2:
            return (
                _(
                    "A better-scoring set uses the room: beside the chosen items %(budget_left)s and %(capacity_left)s "
                    "person-months are left, and it needs %(cost)s and %(effort)s person-months."
                )
                % numbers
            )
        if binds == [Reason.BUDGET]:
            return (
                _(
                    "A better-scoring set uses the budget: beside the chosen items %(budget_left)s is left, and it "
                    "costs %(cost)s."
                )
                % numbers
            )
        if binds == [Reason.CAPACITY]:
            return (
                _(
                    "A better-scoring set uses the capacity: beside the chosen items %(capacity_left)s person-months "
                    "are left, and it needs %(effort)s."
                )
                % numbers
            )
        if values.get("zero_score"):
            return _("It would fit, but it has no score: choosing it would only add cost.")
        return _("It would still fit: the solver stopped before it could prove the best set. Solve again.")
    return _("Not solved yet.")


# ------------------------------------------------------------------------------------------- compare


@dataclass
class Side:
    scenario: Scenario
    chosen: int
    score: Decimal
    cost: Decimal
    effort: Decimal
    budget: Decimal | None
    capacity: Decimal | None


def compare(a: Scenario, b: Scenario) -> dict:
    """Two solved scenarios side by side: the items chosen in both, only in a, only in b, and the totals."""
    if a.period.collaboration_id != b.period.collaboration_id:
        raise PortfolioError(_("Only scenarios of the same collaboration can be compared."))
    chosen = (
        ScenarioItem.objects.filter(scenario_id__in=[a.pk, b.pk], chosen=True)
        .select_related("need__service_area", "need__municipality")
        .order_by("rank", "pk")
    )
    in_a, in_b = {}, {}
    for item in chosen:
        (in_a if item.scenario_id == a.pk else in_b)[item.need_id] = item
    both = [(in_a[pk], in_b[pk]) for pk in in_a if pk in in_b]
    only_a = [item for pk, item in in_a.items() if pk not in in_b]
    only_b = [item for pk, item in in_b.items() if pk not in in_a]

    def side(scenario, items) -> Side:
        return Side(
            scenario=scenario,
            chosen=len(items),
            score=sum((i.score or Decimal(0) for i in items.values()), Decimal(0)),
            cost=sum((i.cost or Decimal(0) for i in items.values()), Decimal(0)),
            effort=sum((i.effort or Decimal(0) for i in items.values()), Decimal(0)),
            budget=scenario.budget_used,
            capacity=scenario.capacity_used,
        )

    return {"a": side(a, in_a), "b": side(b, in_b), "both": both, "only_a": only_a, "only_b": only_b}
