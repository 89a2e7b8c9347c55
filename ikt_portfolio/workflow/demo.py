"""Demo: the two default need routings for the demo collaboration (the recommended model active)."""

import json
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ikt_portfolio.core.demo import demo_reset, demo_step

from . import services
from .models import Ballot, TransitionLog, Workflow

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@demo_step(order=20, label=gettext_lazy("Workflows: the default need routings (recommended model active)."))
def load_workflows(context: dict, out) -> None:
    collaboration = context["collaboration"]
    for name, active in (("need_routing_recommended", True), ("need_routing_ks", False)):
        data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
        version = services.import_workflow(data, collaboration, activate=active)
        out.write(
            "  "
            + _("%(name)s, version %(number)s%(active)s")
            % {"name": version.workflow, "number": version.number, "active": _(" (active)") if active else ""}
            + "\n"
        )


@demo_reset(order=20, label=gettext_lazy("Workflows: the demo collaboration's workflows and their logs."))
def reset_workflows(context: dict, out) -> None:
    from ikt_portfolio.members.demo import read_fixture

    workflows = Workflow.objects.filter(collaboration__short_name=read_fixture(context)["collaboration"]["short_name"])
    collaboration_ids = list(workflows.values_list("collaboration_id", flat=True))
    # The log and ballots protect what they point at, so they go first (users' notifications go with them).
    TransitionLog.objects.filter(collaboration_id__in=collaboration_ids).delete()
    Ballot.objects.filter(collaboration_id__in=collaboration_ids).delete()
    _total, counts = workflows.delete()
    out.write("  " + _("%(count)s workflows deleted") % {"count": counts.get(Workflow._meta.label, 0)} + "\n")
