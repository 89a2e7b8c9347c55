"""Demo: this year and its tertials, the year's budget frame (decided) and one scenario solved within it, all
through `services` as the administrator would do it. The numbers are in `<fixtures_dir>/portfolio.yaml`."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ikt_portfolio.core.demo import DemoDataError, demo_reset, demo_step, read_yaml_fixture

from . import services
from .models import Period, Scenario

FIXTURE_FILE = "portfolio.yaml"


@demo_step(
    order=35,
    label=gettext_lazy("Portfolio: this year and its tertials, the year's budget frame and a solved scenario."),
)
def load_portfolio(context: dict, out) -> None:
    data = read_yaml_fixture(context, FIXTURE_FILE, {"frame": dict})
    collaboration = context["collaboration"]
    planner = context["users"].get(data.get("planner", "admin"))
    if planner is None:
        raise DemoDataError(_("The demo user %(username)s does not exist.") % {"username": data.get("planner")})
    periods = services.ensure_year(collaboration, timezone.localdate().year, user=planner)
    year = periods[0]
    spec = data["frame"]
    try:
        frame = services.set_budget_frame(
            year, planner, budget=str(spec["budget"]), capacity=str(spec["capacity"]), note=spec.get("note", "")
        )
        if spec.get("decided"):
            services.decide_budget_frame(frame, planner)
        name = (data.get("scenario") or {}).get("name") or "Scenario 1"
        scenario = services.solve(services.create_scenario(year, planner, name=name), planner)
    except (services.PortfolioError, KeyError) as error:
        raise DemoDataError(
            _("The demo fixture %(path)s cannot be read: %(error)s")
            % {"path": context["fixtures_dir"] / FIXTURE_FILE, "error": getattr(error, "message", error)}
        ) from error
    chosen = scenario.items.filter(chosen=True).count()
    total = scenario.items.count()
    line = ngettext(
        "%(count)d period; the scenario chooses %(chosen)d of %(total)d candidates",
        "%(count)d periods; the scenario chooses %(chosen)d of %(total)d candidates",
        len(periods),
    ) % {"count": len(periods), "chosen": chosen, "total": total}
    out.write(f"  {line}\n")
    context["portfolio_scenario"] = scenario


@demo_reset(order=35, label=gettext_lazy("Portfolio: the demo collaboration's periods, frames and scenarios."))
def reset_portfolio(context: dict, out) -> None:
    from ikt_portfolio.members.demo import read_fixture

    short_name = read_fixture(context)["collaboration"]["short_name"]
    scenarios = Scenario.objects.filter(period__collaboration__short_name=short_name)
    for scenario in scenarios:
        scenario.items.all().delete()
    _total, counts = Period.objects.filter(collaboration__short_name=short_name).delete()
    periods = counts.get(Period._meta.label, 0)
    out.write(
        "  " + ngettext("%(count)d period deleted", "%(count)d periods deleted", periods) % {"count": periods} + "\n"
    )
