"""Demo: goals and needs reported by the demo people, each taken through the real workflow engine."""

from decimal import Decimal

import yaml
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ikt_portfolio.core.demo import DemoDataError, demo_reset, demo_step
from ikt_portfolio.workflow import services as workflow

from . import services
from .models import Goal, Need

FIXTURE_FILE = "needs.yaml"
MONEY_FIELDS = {"estimated_cost", "expected_benefit_nok"}


@demo_step(order=30, label=gettext_lazy("Needs: goals, and needs at every step of the workflow."))
def load_needs(context: dict, out) -> None:
    path = context["fixtures_dir"] / FIXTURE_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        message = _("The demo fixture %(path)s cannot be read: %(error)s") % {"path": path, "error": error}
        raise DemoDataError(message) from error
    collaboration = context["collaboration"]
    goals = {}
    for spec in data.get("goals", []):
        goal = Goal(collaboration=collaboration, **spec)
        goal.full_clean()
        goal.save()
        goals[goal.code] = goal
    users = {user.username: user for user in get_user_model().objects.filter(is_active=True)}
    areas = context["service_areas"]
    moves = 0
    for index, spec in enumerate(data.get("needs", [])):
        spec = dict(spec)
        route = spec.pop("route", [])
        author = users[spec.pop("by")]
        fields = {key: Decimal(value) if key in MONEY_FIELDS else value for key, value in spec.items()}
        fields["service_area"] = areas[fields["service_area"]]
        need = services.create_need(
            user=author, collaboration=collaboration, goals=[goals[code] for code in fields.pop("goals", [])], **fields
        )
        for step in route:
            try:
                if len(step) == 4 and step[1] == "vote":
                    workflow.vote(need, step[0], users[step[2]], step[3])
                else:
                    workflow.perform(need, step[0], users[step[1]], comment=step[2] if len(step) > 2 else "")
            except workflow.WorkflowError as error:
                raise DemoDataError(f"needs[{index}] {step}: {error.message}") from error
            moves += 1
    count = Need.objects.filter(collaboration=collaboration).count()
    out.write(
        "  "
        + ngettext("%(count)d need", "%(count)d needs", count) % {"count": count}
        + ", "
        + ngettext("%(moves)d workflow step", "%(moves)d workflow steps", moves) % {"moves": moves}
        + ", "
        + ngettext("%(goals)d goal", "%(goals)d goals", len(goals)) % {"goals": len(goals)}
        + "\n"
    )


@demo_reset(order=30, label=gettext_lazy("Needs: the demo collaboration's needs and goals."))
def reset_needs(context: dict, out) -> None:
    from ikt_portfolio.members.demo import read_fixture

    short_name = read_fixture(context)["collaboration"]["short_name"]
    _total, counts = Need.objects.filter(collaboration__short_name=short_name).delete()
    needs = counts.get(Need._meta.label, 0)
    _total, counts = Goal.objects.filter(collaboration__short_name=short_name).delete()
    goals = counts.get(Goal._meta.label, 0)
    out.write("  " + _("%(needs)s needs and %(goals)s goals deleted") % {"needs": needs, "goals": goals} + "\n")


from . import demo_assessment  # noqa: E402,F401  (registers the assessment demo step)
