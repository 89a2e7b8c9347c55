"""The sector group's work on the collaboration platform: its queue of waiting needs, the assessment of a
need (on the need's page) and the ranking of assessed needs.

The rules are `needs.assessment`'s: who may assess (the need's sector lead and sector representatives, while
the sector group works on the need), the score and its breakdown, the queue and the ranking. The triage
steps (return for more information, merge as duplicate, resolve without a project, reject) are the
workflow's and sit on the need's page with the other steps. Everyone in the collaboration sees the ranking
and the assessments (transparency); only the sector group acts.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ikt_portfolio.core.money import format_nok
from ikt_portfolio.members.models import ServiceArea
from ikt_portfolio.members.permissions import grants_of
from ikt_portfolio.needs import assessment as rules
from ikt_portfolio.needs.forms import AssessmentForm
from ikt_portfolio.needs.models import Assessment, Need
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.selectors import state_name, with_state_names

from ..forms import PortalBoundField, style
from .common import current_collaboration, no_collaboration, paginate, portal_login_required, render_portal

FORM_PREFIX = "assessment"


class PortalAssessmentForm(AssessmentForm):
    """The shared assessment form in the portal's Designsystemet markup."""

    bound_field_class = PortalBoundField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", FORM_PREFIX)
        super().__init__(*args, **kwargs)
        style(self)


def sector_area_ids(user, collaboration_id: int) -> set[int]:
    """The service areas whose sector group the user leads or sits in today, in one collaboration."""
    return {
        grant.service_area_id
        for grant in grants_of(user)
        if grant.capacity in rules.ASSESSING_CAPACITIES
        and grant.collaboration_id == collaboration_id
        and grant.service_area_id is not None
    }


# --------------------------------------------------------------------------------------------- queue


@portal_login_required
def sector_queue(request):
    """The needs waiting for the user's sector group, oldest submission first, with the time since
    submission and the workflow's deadline. One sector group at a time (tabs when the user has several)."""
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    area_ids = sector_area_ids(request.user, collaboration.pk)
    if not area_ids:
        return render_portal(request, "ikt_portal/sector_none.html", status=403, nav="sector")
    areas = list(ServiceArea.objects.filter(pk__in=area_ids).order_by("order", "name"))
    waiting = dict(
        Need.objects.filter(service_area_id__in=area_ids, state__in=rules.QUEUE_STATES)
        .order_by()
        .values_list("service_area_id")
        .annotate(n=Count("pk"))
    )
    wanted = request.GET.get("area", "")
    area = next((a for a in areas if str(a.pk) == wanted), areas[0])
    page, page_range = paginate(request, rules.sector_queue(area))
    return render_portal(
        request,
        "ikt_portal/sector_queue.html",
        {
            "areas": [(a, waiting.get(a.pk, 0)) for a in areas],
            "area": area,
            "page": page,
            "page_range": page_range,
        },
        nav="sector",
    )


# ------------------------------------------------------------------------------------------- ranking


@portal_login_required
def ranking(request, service_area_id):
    """The assessed needs of a service area, highest score first, each with its breakdown, estimate,
    recommendation and state. Everyone in the collaboration may read it."""
    area = get_object_or_404(ServiceArea.objects.visible_to(request.user), pk=service_area_id)
    needs = with_state_names(rules.ranking(area)).select_related("assessment__assessed_by__user")
    page, page_range = paginate(request, needs)
    assessments = [need.assessment for need in page.object_list]
    breakdowns = rules.breakdowns(assessments)
    rows = [
        {
            "rank": page.start_index() + index,
            "need": need,
            "state": state_name(need),
            "assessment": need.assessment,
            "breakdown": breakdowns[need.assessment.pk],
            "cost": format_nok(need.assessment.estimated_cost) if need.assessment.estimated_cost is not None else "",
        }
        for index, need in enumerate(page.object_list)
    ]
    return render_portal(
        request,
        "ikt_portal/sector_ranking.html",
        {
            "area": area,
            "rows": rows,
            "page": page,
            "page_range": page_range,
            "in_group": area.pk in sector_area_ids(request.user, area.collaboration_id),
        },
        nav="sector",
    )


# -------------------------------------------------------------------------------- the need's assessment


def assessment_context(request, need, form: AssessmentForm | None = None) -> dict:
    """What `_assessment.html` on the need's page shows: the assessment with its breakdown (to everyone who
    may see the need), and the form for the need's sector group while it may assess. `form` is a bound
    form with errors to show again."""
    assessment = Assessment.objects.filter(need=need).select_related("assessed_by__user").first()
    refusal = rules.assess_refusal(need, request.user)
    in_group = bool(workflow.standings(request.user, need, list(rules.ASSESSING_CAPACITIES)))
    criteria = rules.active_criteria(need.collaboration_id) if not refusal else []
    if not refusal and not criteria:
        refusal = _("The collaboration has no assessment criteria yet; load the default criteria.")
    if assessment is None and not in_group:
        return {"assessment_panel": None}
    panel = {
        "assessment": assessment,
        "breakdown": rules.breakdown(assessment) if assessment else None,
        "cost": format_nok(assessment.estimated_cost) if assessment and assessment.estimated_cost is not None else "",
        "reason": refusal if in_group else "",
        "form": None,
    }
    if not refusal:
        panel["form"] = form or PortalAssessmentForm(criteria=criteria, assessment=assessment)
        panel["breadth"] = rules.breadth_of(need)
    return {"assessment_panel": panel}


@require_POST
@portal_login_required
def assess_need(request, pk):
    """Save the assessment of the need's sector group; a refusal writes nothing and says why."""
    from .needs import _need_or_404, _render_need

    need = _need_or_404(request, pk)
    refusal = rules.assess_refusal(need, request.user)
    if refusal:
        messages.error(request, refusal)
        return redirect(reverse("ikt_portal:need", args=[need.pk]))
    assessment = Assessment.objects.filter(need=need).first()
    form = PortalAssessmentForm(
        request.POST, criteria=rules.active_criteria(need.collaboration_id), assessment=assessment
    )
    if form.is_valid():
        try:
            result = rules.assess(need, user=request.user, **form.service_arguments())
        except workflow.WorkflowError as error:
            messages.error(request, error.message)
            return redirect(reverse("ikt_portal:need", args=[need.pk]))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("The assessment is saved: %(total)s of 100 points.") % {"total": number_format(result.total, 2)},
            )
            return redirect(reverse("ikt_portal:need", args=[need.pk]) + "#assessment")
    return _render_need(request, need, assessment_form=form, status=400)
