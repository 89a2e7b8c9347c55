"""Demo: the default assessment criteria, and an assessment of every demo need past the sector group."""

from decimal import Decimal

from django.utils.translation import gettext_lazy, ngettext

from ikt_portfolio.core.demo import demo_step
from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.workflow.models import TransitionLog

from . import assessment
from .models import Need

# The states a need reaches only after its sector group recommended it.
PAST_SECTOR_GROUP = ("recommended", "portfolio_council", "board", "deferred", "approved", "converted")
# Levels given to the demo needs in turn (breadth is computed from the co-signatures).
DEMO_LEVELS = [
    {"strategic_fit": 5, "economic_benefit": 3, "quality_inhabitants": 4, "urgency": 4, "risk": 2},
    {"strategic_fit": 4, "economic_benefit": 4, "quality_inhabitants": 5, "urgency": 3, "risk": 4},
    {"strategic_fit": 3, "economic_benefit": 4, "quality_inhabitants": 3, "urgency": 2, "risk": 2},
]


@demo_step(order=35, label=gettext_lazy("Needs: default assessment criteria, and assessments of recommended needs."))
def load_assessments(context: dict, out) -> None:
    collaboration = context["collaboration"]
    assessment.ensure_default_criteria(collaboration)
    keys = {criterion.key for criterion in assessment.active_criteria(collaboration.pk)}
    needs = Need.objects.filter(collaboration=collaboration, state__in=PAST_SECTOR_GROUP).order_by("number")
    count = 0
    for index, need in enumerate(needs.select_related("workflow_version")):
        recommended = (
            TransitionLog.objects.of(need)
            .filter(to_state="recommended", actor__person__isnull=False)
            .select_related("actor__person")
            .order_by("at")
            .first()
        )
        if recommended is None:
            continue
        levels = {key: level for key, level in DEMO_LEVELS[index % len(DEMO_LEVELS)].items() if key in keys}
        assessment.record_assessment(
            need,
            person=recommended.actor.person,
            capacity=Capacity.SECTOR_LEAD,
            scores=levels,
            estimated_cost=need.estimated_cost if need.estimated_cost is not None else Decimal("300000.00"),
            estimated_effort=need.estimated_effort if need.estimated_effort is not None else Decimal("4.0"),
            recommendation=str(
                gettext_lazy("Recommended to the portfolio council: broad support and a clear benefit for the members.")
            ),
        )
        count += 1
    out.write("  " + ngettext("%(count)d need assessed", "%(count)d needs assessed", count) % {"count": count} + "\n")
