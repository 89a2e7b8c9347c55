"""The portfolio on the collaboration platform: the proposal of a period (the recommended needs across sector
groups, ranked by their explainable score, beside the budget frame), scenarios ("what fits", with the
council's locks and a reason for every item), two scenarios side by side, the roadmap of decided items and
the dashboard.

Everyone in the collaboration may read all of it; the portfolio council's chair and secretary and the
collaboration's administrators create scenarios, lock items in or out and solve (`ikt_portfolio.portfolio`
decides, and says why when it refuses; nothing is written then). Periods are named in the address: "2026"
for the year, "2026-t1" to "2026-t3" for its tertials.
"""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ikt_portfolio.core.money import format_nok
from ikt_portfolio.needs.assessment import breakdowns
from ikt_portfolio.portfolio import selectors, services
from ikt_portfolio.portfolio.models import Lock, Period, Reason, Scenario, ScenarioItem
from ikt_portfolio.portfolio.permissions import may_plan

from ..forms import PortalForm
from .common import current_collaboration, no_collaboration, paginate, portal_login_required, render_portal

NAV = "portfolio"


class ScenarioForm(PortalForm):
    name = forms.CharField(label=gettext_lazy("Name of the scenario"), max_length=120)
    budget = forms.DecimalField(
        label=gettext_lazy("Budget (NOK)"),
        required=False,
        min_value=0,
        max_digits=15,
        decimal_places=2,
        help_text=gettext_lazy("Empty: the period's budget frame."),
    )
    capacity = forms.DecimalField(
        label=gettext_lazy("Delivery capacity (person-months)"),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=1,
        help_text=gettext_lazy("Empty: the period's budget frame."),
    )


class LockForm(forms.Form):
    need = forms.IntegerField()
    lock = forms.ChoiceField(choices=Lock.choices, required=False)
    note = forms.CharField(max_length=300, required=False)


def _money(value) -> str:
    return format_nok(value) if value is not None else "–"


def _effort(value) -> str:
    return services.format_effort(value) if value is not None else "–"


def _period_links(collaboration, period: Period) -> list[dict]:
    """The year and its tertials, for the period switcher."""
    links = [{"slug": str(period.year), "label": str(period.year), "current": period.kind == Period.Kind.YEAR}]
    for number in (1, 2, 3):
        links.append(
            {
                "slug": f"{period.year}-t{number}",
                "label": _("Tertial %(number)s") % {"number": number},
                "current": period.kind == Period.Kind.TERTIAL and period.number == number,
            }
        )
    return links


# ------------------------------------------------------------------------------------------- proposal


@portal_login_required
def proposal(request, period: str | None = None):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    if period is None:
        chosen = services.current_period(collaboration)
    else:
        parsed = services.parse_period(period)
        if parsed is None:
            raise Http404
        chosen = services.period_of(collaboration, *parsed)
    found = selectors.proposal(chosen)
    page, page_range = paginate(request, found.candidates)
    rows = list(page.object_list)
    explained = breakdowns([row.assessment for row in rows if row.assessment is not None])
    for row in rows:
        row.breakdown = explained.get(row.assessment.pk) if row.assessment is not None else None
        row.cost_text, row.effort_text = _money(row.cost), _effort(row.effort)
    planner = may_plan(request.user, collaboration.pk)
    return render_portal(
        request,
        "ikt_portal/portfolio_proposal.html",
        {
            "period": chosen,
            "proposal": found,
            "rows": rows,
            "page": page,
            "page_range": page_range,
            "period_links": _period_links(collaboration, chosen),
            "previous_year": chosen.year - 1,
            "next_year": chosen.year + 1,
            "total_cost": _money(found.total_cost),
            "total_effort": _effort(found.total_effort),
            "budget": _money(found.budget),
            "capacity": _effort(found.capacity),
            "cost_beyond": _money(found.cost_beyond_budget) if found.cost_beyond_budget is not None else "",
            "effort_beyond": _effort(found.effort_beyond_capacity) if found.effort_beyond_capacity is not None else "",
            "planner": planner,
            "form": ScenarioForm(initial={"name": _("Scenario %(number)s") % {"number": len(found.scenarios) + 1}})
            if planner
            else None,
        },
        nav=NAV,
    )


@require_POST
@portal_login_required
def new_scenario(request, period: str):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    parsed = services.parse_period(period)
    if parsed is None:
        raise Http404
    chosen = services.period_of(collaboration, *parsed)
    back = reverse("ikt_portal:portfolio_period", args=[chosen.slug])
    form = ScenarioForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    try:
        scenario = services.create_scenario(chosen, request.user, **form.cleaned_data)
    except services.PortfolioError as error:
        messages.error(request, error.message)
        return redirect(back)
    if None not in services.limits_of(scenario):  # solve at once when there is something to solve within
        try:
            services.solve(scenario, request.user)
        except services.PortfolioError as error:
            messages.warning(request, error.message)
    messages.success(request, _("The scenario “%(name)s” is created.") % {"name": scenario.name})
    return redirect(reverse("ikt_portal:portfolio_scenario", args=[scenario.pk]))


# ------------------------------------------------------------------------------------------- scenario


def _scenario_or_404(request, pk) -> Scenario:
    return get_object_or_404(
        Scenario.objects.visible_to(request.user).select_related("period__collaboration", "created_by__user"), pk=pk
    )


SHOW = {
    "all": gettext_lazy("All candidates"),
    "chosen": gettext_lazy("Chosen"),
    "left_out": gettext_lazy("Left out"),
    "locked": gettext_lazy("Locked"),
}


@portal_login_required
def scenario(request, pk):
    scenario = _scenario_or_404(request, pk)
    show = request.GET.get("show", "all")
    if show not in SHOW:
        show = "all"
    items = ScenarioItem.objects.filter(scenario=scenario)
    if show == "chosen":
        items = items.filter(chosen=True)
    elif show == "left_out":
        items = items.filter(chosen=False)
    elif show == "locked":
        items = items.exclude(lock=Lock.NONE)
    items = items.select_related("need__service_area", "need__municipality", "locked_by__user").order_by(
        "-chosen", "rank", "pk"
    )
    page, page_range = paginate(request, items)
    rows = list(page.object_list)
    for item in rows:
        item.reason_text = services.reason_text(item) if item.reason else _("Not solved yet.")
        item.cost_text, item.effort_text = _money(item.cost), _effort(item.effort)
    budget, capacity = services.limits_of(scenario)
    others = list(
        Scenario.objects.filter(period__collaboration_id=scenario.period.collaboration_id)
        .exclude(pk=scenario.pk)
        .exclude(status=Scenario.Status.NOT_SOLVED)
        .select_related("period")
        .order_by("-period__starts_on", "name")[:50]
    )
    counts = {
        "chosen": ScenarioItem.objects.filter(scenario=scenario, chosen=True).count() if scenario.is_solved else 0,
    }
    return render_portal(
        request,
        "ikt_portal/portfolio_scenario.html",
        {
            "scenario": scenario,
            "period": scenario.period,
            "rows": rows,
            "page": page,
            "page_range": page_range,
            "show": show,
            "tabs": list(SHOW.items()),
            "planner": may_plan(request.user, scenario.period.collaboration_id),
            "budget": _money(budget),
            "capacity": _effort(capacity),
            "follows_frame": scenario.budget is None or scenario.capacity is None,
            "total_cost": _money(scenario.total_cost),
            "total_effort": _effort(scenario.total_effort),
            "budget_left": _money(scenario.budget_used - scenario.total_cost) if scenario.is_solved else "–",
            "capacity_left": _effort(scenario.capacity_used - scenario.total_effort) if scenario.is_solved else "–",
            "chosen_count": counts["chosen"],
            "others": others,
            "lock_choices": Lock.choices,
            "Reason": Reason,
        },
        nav=NAV,
    )


def _back_to(scenario, request) -> str:
    url = reverse("ikt_portal:portfolio_scenario", args=[scenario.pk])
    show = request.POST.get("show", "")
    return f"{url}?show={show}" if show in SHOW and show != "all" else url


@require_POST
@portal_login_required
def lock(request, pk):
    """Lock an item in or out (or release it), then solve again so the page shows what it changes."""
    scenario = _scenario_or_404(request, pk)
    form = LockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose lock in, lock out or release."))
        return redirect(_back_to(scenario, request))
    data = form.cleaned_data
    try:
        item = services.lock(scenario, request.user, data["need"], data["lock"] or "", note=data["note"])
    except services.PortfolioError as error:
        messages.error(request, error.message)
        return redirect(_back_to(scenario, request))
    done = {
        Lock.IN: _("%(need)s is locked in."),
        Lock.OUT: _("%(need)s is locked out."),
        Lock.NONE: _("%(need)s is no longer locked."),
    }[item.lock]
    messages.success(request, done % {"need": item.need.reference})
    try:
        services.solve(scenario, request.user)
    except services.PortfolioError as error:
        messages.warning(request, error.message)
    return redirect(_back_to(scenario, request))


@require_POST
@portal_login_required
def solve(request, pk):
    scenario = _scenario_or_404(request, pk)
    try:
        solved = services.solve(scenario, request.user)
    except services.PortfolioError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Solved: total score %(score)s, cost %(cost)s.")
            % {"score": solved.objective, "cost": _money(solved.total_cost)},
        )
    return redirect(_back_to(scenario, request))


# -------------------------------------------------------------------------------------------- compare


@portal_login_required
def compare(request):
    visible = Scenario.objects.visible_to(request.user).select_related("period")
    try:
        a = get_object_or_404(visible, pk=int(request.GET.get("a", "")))
        b = get_object_or_404(visible, pk=int(request.GET.get("b", "")))
    except ValueError as error:
        raise Http404 from error
    try:
        result = services.compare(a, b)
    except services.PortfolioError as error:
        messages.error(request, error.message)
        return redirect(reverse("ikt_portal:portfolio_scenario", args=[a.pk]))
    sides = []
    for side in (result["a"], result["b"]):
        sides.append(
            {
                "scenario": side.scenario,
                "chosen": side.chosen,
                "score": side.score,
                "cost": _money(side.cost),
                "effort": _effort(side.effort),
                "budget": _money(side.budget),
                "capacity": _effort(side.capacity),
            }
        )
    for item in result["only_a"] + result["only_b"] + [pair[0] for pair in result["both"]]:
        item.cost_text, item.effort_text = _money(item.cost), _effort(item.effort)
    return render_portal(
        request,
        "ikt_portal/portfolio_compare.html",
        {
            "a": a,
            "b": b,
            "sides": sides,
            "both": result["both"],
            "only_a": result["only_a"],
            "only_b": result["only_b"],
        },
        nav=NAV,
    )


# -------------------------------------------------------------------------------- roadmap and dashboard


@portal_login_required
def roadmap(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    year = min(max(year, 2000), 2100)
    found = selectors.roadmap(collaboration, year)
    for row in found.rows:
        for cell in row["cells"]:
            for need in cell:
                cost = need.assessment.estimated_cost if getattr(need, "assessment", None) else need.estimated_cost
                need.cost_text = _money(cost if cost is not None else need.estimated_cost)
    return render_portal(
        request,
        "ikt_portal/portfolio_roadmap.html",
        {"roadmap": found, "previous_year": year - 1, "next_year": year + 1},
        nav=NAV,
    )


@portal_login_required
def dashboard(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    found = selectors.dashboard(collaboration)
    return render_portal(
        request,
        "ikt_portal/portfolio_dashboard.html",
        {"dashboard": found, "stages": found.stages},
        nav=NAV,
    )
