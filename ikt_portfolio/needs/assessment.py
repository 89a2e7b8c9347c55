"""Assessment of needs by the sector group: an absolute, explainable score, the sector group's ranking and
queue, and the time to first response.

The score
---------
Every active criterion of the collaboration is scored 1–5; each level has a descriptor saying what it
means. An inverse criterion (risk) counts as 6 − level, so a high risk lowers the score. A level is
normalised to 0–1 as (effective level − 1) / 4, and

    total = 100 × Σ weight × normalised level / Σ weight          (0–100; 0 when every weight is 0)

Each criterion's contribution is 100 × weight × normalised level / Σ weight, so the contributions add up to
the total (shown rounded to two decimals).

Breadth (criterion key "breadth") is computed, never scored by hand: the reporting municipality and every
co-signing municipality that is a member today, as a share of today's members:

    level 1: only one member       level 2: several, but under 25 %     level 3: 25 % to under 50 %
    level 4: 50 % to under 75 %    level 5: at least 75 %

It is taken when the need is assessed; assessing again takes it anew.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from json import loads
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.core.money import to_money
from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import Body, Membership, ServiceArea
from ikt_portfolio.members.permissions import person_of
from ikt_portfolio.workflow import services as workflow

from .models import Assessment, CoSign, Criterion, CriterionScore, Need

BREADTH_KEY = "breadth"
DEFAULT_CRITERIA_FILE = Path(__file__).parent / "fixtures" / "default_criteria.json"
ASSESSING_CAPACITIES = (Capacity.SECTOR_LEAD, Capacity.SECTOR_REPRESENTATIVE)
# The states in which a need waits for its sector group (returned needs wait for the submitter).
QUEUE_STATES = ("submitted", "in_sector_group")
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


# ------------------------------------------------------------------------------------------- criteria


def ensure_default_criteria(collaboration) -> list[Criterion]:
    """Create the default criteria the collaboration lacks (by key); existing ones are left as they are."""
    data = loads(DEFAULT_CRITERIA_FILE.read_text(encoding="utf-8"))
    existing = set(Criterion.objects.filter(collaboration=collaboration).values_list("key", flat=True))
    created = []
    for spec in data:
        if spec["key"] in existing:
            continue
        criterion = Criterion(collaboration=collaboration, **(spec | {"weight": Decimal(spec["weight"])}))
        criterion.full_clean()
        criterion.save()
        created.append(criterion)
    return created


def active_criteria(collaboration_id: int) -> list[Criterion]:
    return list(Criterion.objects.filter(collaboration_id=collaboration_id, is_active=True).order_by("order", "key"))


# -------------------------------------------------------------------------------------------- breadth


@dataclass(frozen=True)
class Breadth:
    level: int
    signers: int
    members: int

    @property
    def note(self) -> str:
        return _("%(signers)s of %(members)s members reported or co-signed the need.") % {
            "signers": self.signers,
            "members": self.members,
        }


def breadth_level(signers: int, members: int) -> int:
    """The documented bands (see the module docstring)."""
    if signers <= 1 or members <= 0:
        return 1
    share = Decimal(signers) / Decimal(members)
    if share >= Decimal("0.75"):
        return 5
    if share >= Decimal("0.5"):
        return 4
    if share >= Decimal("0.25"):
        return 3
    return 2


def breadth_of(need: Need, day=None) -> Breadth:
    members = set(
        Membership.objects.active_on(day or timezone.localdate())
        .filter(collaboration_id=need.collaboration_id)
        .values_list("municipality_id", flat=True)
    )
    signers = {need.municipality_id} | set(CoSign.objects.filter(need=need).values_list("municipality_id", flat=True))
    signers &= members
    return Breadth(breadth_level(len(signers), len(members)), len(signers), len(members))


# ---------------------------------------------------------------------------------------------- score


def _normalised(criterion: Criterion, level: int) -> Decimal:
    effective = 6 - level if criterion.inverse else level
    return Decimal(effective - 1) / Decimal(4)


def compute_total(pairs) -> tuple[Decimal, list[Decimal]]:
    """(total, contributions) for [(criterion, level), ...], on the 0–100 scale, unrounded contributions."""
    weights = sum((criterion.weight for criterion, _level in pairs), Decimal(0))
    if not weights:
        return Decimal(0), [Decimal(0) for _pair in pairs]
    contributions = [HUNDRED * criterion.weight * _normalised(criterion, level) / weights for criterion, level in pairs]
    total = sum(contributions, Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)
    return total, contributions


def breakdown(assessment: Assessment) -> dict:
    """What the score is made of: per criterion the level, its descriptor, the weight and the contribution."""
    return _breakdown_of(
        list(assessment.scores.select_related("criterion").order_by("criterion__order", "criterion__key"))
    )


def breakdowns(assessments) -> dict[int, dict]:
    """`breakdown` of many assessments at once, by assessment id: one query however many (for lists)."""
    ids = [assessment.pk for assessment in assessments]
    by_assessment: dict[int, list[CriterionScore]] = {pk: [] for pk in ids}
    scores = CriterionScore.objects.filter(assessment_id__in=ids).select_related("criterion")
    for score in scores.order_by("criterion__order", "criterion__key"):
        by_assessment[score.assessment_id].append(score)
    return {pk: _breakdown_of(rows) for pk, rows in by_assessment.items()}


def _breakdown_of(scores: list[CriterionScore]) -> dict:
    pairs = [(score.criterion, score.score) for score in scores]
    total, contributions = compute_total(pairs)
    rows = [
        {
            "criterion": score.criterion,
            "key": score.criterion.key,
            "name": score.criterion.localized_name,
            "level": score.score,
            "descriptor": score.criterion.descriptor(score.score),
            "weight": score.criterion.weight,
            "inverse": score.criterion.inverse,
            "computed": score.criterion.key == BREADTH_KEY,
            "note": score.note,
            "contribution": contribution.quantize(CENT, rounding=ROUND_HALF_UP),
        }
        for score, contribution in zip(scores, contributions, strict=True)
    ]
    return {"rows": rows, "total": total}


# --------------------------------------------------------------------------------------------- assess


def assessable_state_keys(need: Need) -> set[str]:
    """The states in which the sector group works on the need: those where its sector lead may edit it."""
    graph = workflow.graph_of(need.workflow_version)
    return {key for key, state in graph.states.items() if Capacity.SECTOR_LEAD in (state.edit_capacities or [])}


def _check_scores(criteria: list[Criterion], scores: dict) -> dict[str, int]:
    known = {criterion.key for criterion in criteria}
    errors = []
    if BREADTH_KEY in scores:
        errors.append(_("Breadth is computed from the co-signatures; do not score it."))
    unknown = sorted(set(scores) - known - {BREADTH_KEY})
    if unknown:
        errors.append(_("Unknown criteria: %(keys)s.") % {"keys": ", ".join(unknown)})
    checked = {}
    for criterion in criteria:
        if criterion.key == BREADTH_KEY:
            continue
        value = scores.get(criterion.key)
        if value is None or value == "":
            errors.append(_("Give “%(criterion)s” a score from 1 to 5.") % {"criterion": criterion.localized_name})
            continue
        try:
            level = int(value)
        except (TypeError, ValueError):
            level = 0
        if str(level) != str(value).strip() or not 1 <= level <= 5:
            errors.append(
                _("The score of “%(criterion)s” must be a whole number from 1 to 5, not %(value)s.")
                % {"criterion": criterion.localized_name, "value": value}
            )
            continue
        checked[criterion.key] = level
    if errors:
        raise ValidationError(errors)
    return checked


def assess_refusal(need: Need, user) -> str:
    """Why `user` may not assess `need` now ("" when they may): pages ask it to offer the form, `assess` asks
    it again under lock."""
    if person_of(user) is None or not workflow.standings(user, need, list(ASSESSING_CAPACITIES)):
        return _("Only the sector lead or a sector representative of “%(area)s” can assess this need.") % {
            "area": need.service_area
        }
    if need.state not in assessable_state_keys(need):
        return _("The need cannot be assessed while it is “%(state)s”: only while its sector group works on it.") % {
            "state": workflow.current_state(need).localized_name
        }
    return ""


def assess(
    need: Need,
    *,
    user,
    scores: dict,
    notes: dict | None = None,
    estimated_cost=None,
    estimated_effort=None,
    recommendation: str = "",
) -> Assessment:
    """Assess (or assess again) `need` as its sector lead or a sector representative of its service area.

    Raises workflow.ActionRefused (not in the sector group, or the need is not with the sector group now) or
    ValidationError (a missing or out-of-range score, a bad estimate); nothing is written unless all is valid.
    """
    with transaction.atomic():
        need = Need.objects.select_for_update().select_related("workflow_version").get(pk=need.pk)
        refusal = assess_refusal(need, user)
        if refusal:
            raise workflow.ActionRefused(refusal)
        found = workflow.standings(user, need, list(ASSESSING_CAPACITIES))
        return record_assessment(
            need,
            person=person_of(user),
            capacity=found[0].capacity,
            scores=scores,
            notes=notes,
            estimated_cost=estimated_cost,
            estimated_effort=estimated_effort,
            recommendation=recommendation,
        )


def record_assessment(
    need: Need,
    *,
    person,
    capacity: str,
    scores: dict,
    notes: dict | None = None,
    estimated_cost=None,
    estimated_effort=None,
    recommendation: str = "",
) -> Assessment:
    """Write the assessment without asking who may (callers check that: `assess`, the demo)."""
    criteria = active_criteria(need.collaboration_id)
    if not criteria:
        raise ValidationError(_("The collaboration has no assessment criteria yet; load the default criteria."))
    levels = _check_scores(criteria, scores)
    notes = notes or {}
    breadth = breadth_of(need)
    levels[BREADTH_KEY] = breadth.level
    if estimated_cost is not None:
        estimated_cost = to_money(estimated_cost)
    if estimated_effort is not None:
        estimated_effort = Decimal(str(estimated_effort))
    pairs = [(criterion, levels[criterion.key]) for criterion in criteria]
    total, _contributions = compute_total(pairs)
    assessment = Assessment.objects.filter(need=need).first() or Assessment(need=need)
    assessment.assessed_by = person
    assessment.capacity = capacity
    assessment.assessed_at = timezone.now()
    assessment.estimated_cost = estimated_cost
    assessment.estimated_effort = estimated_effort
    assessment.recommendation = (recommendation or "").strip()
    assessment.total = total
    assessment.full_clean(exclude=["need"])
    with transaction.atomic(), acting_as(capacity):
        assessment.save()
        existing = {score.criterion_id: score for score in assessment.scores.all()}
        keep = set()
        for criterion, level in pairs:
            note = breadth.note if criterion.key == BREADTH_KEY else (notes.get(criterion.key) or "").strip()
            row = existing.get(criterion.pk) or CriterionScore(assessment=assessment, criterion=criterion)
            keep.add(criterion.pk)
            if row.pk and row.score == level and row.note == note:
                continue
            row.score, row.note = level, note
            row.full_clean(exclude=["assessment", "criterion"])
            row.save()
        for criterion_id, row in existing.items():
            if criterion_id not in keep:  # a criterion deactivated since the last assessment
                row.delete()  # one by one, so each deletion is in the history
        # The estimate feeds the routing's conditions (estimated_cost > 500000 …). A save (not a queryset
        # update) so the need's own history shows who set the estimate and in which capacity; only these
        # fields are written, never the engine's.
        if (need.estimated_cost, need.estimated_effort) != (estimated_cost, estimated_effort):
            need.estimated_cost, need.estimated_effort = estimated_cost, estimated_effort
            need.save(update_fields=["estimated_cost", "estimated_effort", "updated_at"])
    return assessment


# ---------------------------------------------------------------------------------- ranking and queue


def _service_area_id(sector_group_or_service_area) -> int:
    if isinstance(sector_group_or_service_area, Body):
        return sector_group_or_service_area.service_area_id
    if isinstance(sector_group_or_service_area, ServiceArea):
        return sector_group_or_service_area.pk
    return int(sector_group_or_service_area)


def ranking(sector_group_or_service_area):
    """Assessed needs of the service area that are still open, highest score first (ties: oldest first)."""
    area_id = _service_area_id(sector_group_or_service_area)
    return (
        Need.objects.filter(service_area_id=area_id, assessment__isnull=False)
        .exclude(state__in=("draft", "withdrawn", "rejected", "merged", "resolved", "converted"))
        .select_related("assessment", "municipality", "service_area")
        .order_by("-assessment__total", "created_at", "pk")
    )


def with_response_times(needs):
    """Annotate when each need was submitted and first answered, by the definitions of the response-time
    report (`reports`), so the queue and the report agree; one query however many needs."""
    from .reports import with_first_response, with_submission

    return with_first_response(with_submission(needs))


@dataclass
class QueueItem:
    need: Need
    submitted_at: object
    first_response_at: object
    deadline_at: object
    now: object

    @property
    def days_waiting(self) -> int | None:
        return (self.now - self.submitted_at).days if self.submitted_at else None

    @property
    def response_time(self):
        if self.submitted_at and self.first_response_at:
            return self.first_response_at - self.submitted_at
        return None

    @property
    def response_days(self) -> int | None:
        return self.response_time.days if self.response_time is not None else None

    @property
    def state_name(self) -> str:
        return workflow.current_state(self.need).localized_name

    @property
    def overdue(self) -> bool:
        return bool(self.deadline_at and self.deadline_at < self.now)


def _first_response(need) -> object:
    from .reports import first_response

    return first_response(need.first_step_at, need.first_group_comment_at)


def sector_queue(sector_group_or_service_area, now=None) -> list[QueueItem]:
    """Needs waiting for the sector group of the service area, oldest submission first."""
    now = now or timezone.now()
    area_id = _service_area_id(sector_group_or_service_area)
    needs = with_response_times(
        Need.objects.filter(service_area_id=area_id, state__in=QUEUE_STATES).select_related(
            "municipality", "service_area", "workflow_version"
        )
    )
    items = [QueueItem(need, need.submitted_at, _first_response(need), need.deadline_at, now) for need in needs]
    far_future = timezone.now() + timezone.timedelta(days=365 * 100)
    items.sort(key=lambda item: (item.submitted_at or far_future, item.need.pk))
    return items


def sector_queues_for(user, now=None) -> list[tuple[ServiceArea, list[QueueItem]]]:
    """The queue of every sector group the user leads or sits in, today."""
    from ikt_portfolio.members.permissions import grants_of

    area_ids = {grant.service_area_id for grant in grants_of(user) if grant.capacity in ASSESSING_CAPACITIES}
    area_ids.discard(None)
    areas = ServiceArea.objects.filter(pk__in=area_ids).order_by("collaboration", "order", "name")
    return [(area, sector_queue(area, now)) for area in areas]
