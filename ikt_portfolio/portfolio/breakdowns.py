"""The score breakdown of many assessments at once (one query however many), for ranked lists.

The same rows as `needs.assessment.breakdown(assessment)` gives for one: per criterion the level, what the
level means, the weight and the points it contributes (they add up to the total).
"""

from decimal import ROUND_HALF_UP, Decimal

from ikt_portfolio.needs.assessment import BREADTH_KEY, compute_total
from ikt_portfolio.needs.models import CriterionScore

CENT = Decimal("0.01")


def breakdowns(assessments) -> dict[int, dict]:
    """{assessment id: {"rows": [...], "total": Decimal}} for `assessments`."""
    ids = [assessment.pk for assessment in assessments]
    if not ids:
        return {}
    scores: dict[int, list[CriterionScore]] = {pk: [] for pk in ids}
    for score in (
        CriterionScore.objects.filter(assessment_id__in=ids)
        .select_related("criterion")
        .order_by("criterion__order", "criterion__key")
    ):
        scores[score.assessment_id].append(score)
    return {pk: _rows(found) for pk, found in scores.items()}


def _rows(scores: list[CriterionScore]) -> dict:
    total, contributions = compute_total([(score.criterion, score.score) for score in scores])
    return {
        "total": total,
        "rows": [
            {
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
        ],
    }
