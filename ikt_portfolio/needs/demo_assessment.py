"""Demo: the default assessment criteria, and the sector group's assessments of the demo needs.

The criteria are loaded before the needs (order 25), because the needs are assessed on their way through the
sector group: `needs/demo.py` calls `assess_need` just before a need is recommended, through the real service
(`assessment.assess`, which checks that the assessor is in the need's sector group and that the need is with
it). A need's fixture may give its own `assessment` (scores, notes, estimate, recommendation); otherwise it
gets demo levels in turn (`DEMO_LEVELS`). Breadth is computed by the service from the co-signatures.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy, ngettext

from ikt_portfolio.core.demo import demo_step

from . import assessment
from .models import Assessment, Need

# Levels given in turn to the demo needs recommended without an assessment of their own.
DEMO_LEVELS = [
    {"strategic_fit": 5, "economic_benefit": 3, "quality_inhabitants": 4, "urgency": 4, "risk": 2},
    {"strategic_fit": 4, "economic_benefit": 4, "quality_inhabitants": 5, "urgency": 3, "risk": 4},
    {"strategic_fit": 3, "economic_benefit": 4, "quality_inhabitants": 3, "urgency": 2, "risk": 2},
]
DEFAULT_COST = Decimal("300000.00")
DEFAULT_EFFORT = Decimal("4.0")
DEFAULT_RECOMMENDATION = gettext_lazy(
    "Recommended to the portfolio council: broad support and a clear benefit for the members."
)


@demo_step(order=25, label=gettext_lazy("Needs: the default assessment criteria the sector groups score by."))
def load_criteria(context: dict, out) -> None:
    collaboration = context["collaboration"]
    assessment.ensure_default_criteria(collaboration)
    count = len(assessment.active_criteria(collaboration.pk))
    line = ngettext("%(count)d assessment criterion", "%(count)d assessment criteria", count) % {"count": count}
    out.write(f"  {line}\n")


def assess_need(need: Need, spec: dict, user, index: int) -> Assessment:
    """Assess `need` as `user` (in its sector group) with the fixture's `spec`, or demo levels in turn.

    The estimate defaults to the need's own (else a demo estimate): the service writes the assessment's
    estimate onto the need, and the routing's conditions read it (over 500 000 kroner goes to the board).
    """
    scores = spec.get("scores")
    if not scores:  # demo levels of the criteria the collaboration uses (a wrong fixture score is refused)
        keys = {criterion.key for criterion in assessment.active_criteria(need.collaboration_id)}
        scores = {key: level for key, level in DEMO_LEVELS[index % len(DEMO_LEVELS)].items() if key in keys}
    cost = spec.get("estimated_cost", need.estimated_cost if need.estimated_cost is not None else DEFAULT_COST)
    effort = spec.get(
        "estimated_effort", need.estimated_effort if need.estimated_effort is not None else DEFAULT_EFFORT
    )
    return assessment.assess(
        need,
        user=user,
        scores=scores,
        notes=spec.get("notes") or {},
        estimated_cost=Decimal(str(cost)) if cost is not None else None,
        estimated_effort=Decimal(str(effort)) if effort is not None else None,
        recommendation=str(spec.get("recommendation") or DEFAULT_RECOMMENDATION),
    )
