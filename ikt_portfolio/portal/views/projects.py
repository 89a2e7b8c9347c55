"""Projects on the collaboration platform: the list (everyone in the collaboration), the project's page (its
phase and gate with the checklist, participants, receiving projects, budget by year with each member's share,
actual costs, status reports, risks) and the forms of those who run it. Rules live in `projects.services` and
the workflow engine; their refusals come back as messages or form errors, and nothing is written."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ikt_portfolio.core.money import format_nok
from ikt_portfolio.members.models import Membership, Municipality, ServiceArea
from ikt_portfolio.needs.models import Need
from ikt_portfolio.projects import permissions, services
from ikt_portfolio.projects.costs import project_shares
from ikt_portfolio.projects.models import BudgetLine, GateChecklistItem, Participation, Project, Rag, Risk
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.selectors import state_name, with_state_names

from ..forms import ActionForm, PortalForm, add_errors
from .common import current_collaboration, no_collaboration, paginate, portal_login_required, render_portal

PROJECT_DOCUMENT = "ikt_projects.project"


# ------------------------------------------------------------------------------------------------ forms


class ProjectFilterForm(PortalForm):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    state = forms.ChoiceField(label=gettext_lazy("Phase"), required=False)
    service_area = forms.ModelChoiceField(
        label=gettext_lazy("Service area"), required=False, queryset=ServiceArea.objects.none()
    )
    municipality = forms.ModelChoiceField(
        label=gettext_lazy("Participating member"), required=False, queryset=Municipality.objects.none()
    )

    def __init__(self, *args, collaboration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_area"].queryset = ServiceArea.objects.filter(collaboration=collaboration)
        self.fields["municipality"].queryset = Municipality.objects.filter(
            pk__in=Membership.objects.filter(collaboration=collaboration).values("municipality_id")
        ).order_by("name")
        self.fields["state"].choices = [("", _("All phases")), *_phase_options(collaboration)]


class ParticipationForm(PortalForm):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Participation.Status.choices)
    postponed_until = forms.DateField(
        label=gettext_lazy("Postponed until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("When postponing: the date the member will adopt the result."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required when the member opts out."),
    )


class BudgetLineForm(PortalForm):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=BudgetLine.Kind.choices)
    amount = forms.CharField(label=gettext_lazy("Amount (NOK)"), max_length=30)
    key = forms.ModelChoiceField(label=gettext_lazy("Cost-sharing key"), required=False, queryset=None)

    def __init__(self, *args, collaboration, **kwargs):
        super().__init__(*args, **kwargs)
        from ikt_portfolio.costs.models import CostKey

        self.fields["key"].queryset = CostKey.objects.filter(collaboration=collaboration)


class StatusReportForm(PortalForm):
    scope = forms.ChoiceField(label=gettext_lazy("Scope"), choices=Rag.choices)
    time = forms.ChoiceField(label=gettext_lazy("Time"), choices=Rag.choices)
    cost = forms.ChoiceField(label=gettext_lazy("Cost"), choices=Rag.choices)
    benefits = forms.ChoiceField(label=gettext_lazy("Benefits"), choices=Rag.choices)
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class RiskForm(PortalForm):
    description = forms.CharField(label=gettext_lazy("Risk"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    probability = forms.IntegerField(label=gettext_lazy("Probability (1–5)"), min_value=1, max_value=5)
    consequence = forms.IntegerField(label=gettext_lazy("Consequence (1–5)"), min_value=1, max_value=5)
    mitigation = forms.CharField(
        label=gettext_lazy("Mitigation"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Risk.Status.choices, initial=Risk.Status.OPEN)


# ------------------------------------------------------------------------------------------------ helpers


def _phase_options(collaboration) -> list[tuple[str, str]]:
    try:
        version = workflow.active_version(collaboration.pk, PROJECT_DOCUMENT)
    except workflow.WorkflowError:
        return []
    states = workflow.graph_of(version).states.values()
    return [(s.key, s.localized_name) for s in sorted(states, key=lambda s: s.order)]


def _project_or_404(request, pk) -> Project:
    project = get_object_or_404(
        Project.objects.readable_by(request.user).select_related(
            "collaboration", "owner__user", "manager__user", "workflow_version__workflow"
        ),
        pk=pk,
    )
    return project


def _back(project, anchor: str = ""):
    return redirect(reverse("ikt_portal:project", args=[project.pk]) + (f"#{anchor}" if anchor else ""))


def _person_name(person) -> str:
    if person is None:
        return "–"
    return person.user.get_full_name() or person.user.get_username()


# -------------------------------------------------------------------------------------------- the need page


def need_project_context(request, need) -> dict:
    """For the need's page: the projects made from it (links) and whether the reader may make it a project."""
    return {
        "need_projects": list(need.projects.only("pk", "number", "title", "collaboration_id")),
        "may_create_project": services.may_convert(need, request.user),
    }


@require_POST
@portal_login_required
def create_from_need(request, pk):
    need = get_object_or_404(Need.objects.visible_to(request.user), pk=pk)
    try:
        project = services.create_project_from_needs(
            [need], request.user, comment=request.POST.get("comment", "")[:5000]
        )
    except (ValidationError, services.ProjectError, workflow.WorkflowError) as error:
        messages.error(request, " ".join(getattr(error, "messages", None) or [error.message]))
        return redirect(reverse("ikt_portal:need", args=[need.pk]))
    messages.success(request, _("The project %(project)s is made from this need.") % {"project": project.reference})
    return _back(project)


# -------------------------------------------------------------------------------------------------- pages


@portal_login_required
def project_list(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    form = ProjectFilterForm(request.GET or None, collaboration=collaboration)
    projects = with_state_names(
        Project.objects.visible_to(request.user)
        .filter(collaboration=collaboration)
        .select_related("owner__user", "manager__user")
        .prefetch_related("service_areas")
    ).order_by("-created_at", "-pk")
    if form.is_valid():
        data = form.cleaned_data
        if data.get("q"):
            projects = projects.filter(Q(title__icontains=data["q"]) | Q(description__icontains=data["q"]))
        if data.get("state"):
            projects = projects.filter(state=data["state"])
        if data.get("service_area"):
            projects = projects.filter(service_areas=data["service_area"])
        if data.get("municipality"):
            projects = projects.filter(participations__municipality=data["municipality"])
    page, page_range = paginate(request, projects.distinct())
    query = request.GET.copy()
    query.pop("page", None)
    rows = [
        {
            "project": project,
            "phase": state_name(project),
            "owner": _person_name(project.owner),
            "areas": ", ".join(str(area) for area in project.service_areas.all()),
        }
        for project in page.object_list
    ]
    return render_portal(
        request,
        "ikt_portal/project_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "rows": rows,
            "filtered": bool(query),
        },
        nav="projects",
    )


@portal_login_required
def project_detail(request, pk):
    return _render_project(request, _project_or_404(request, pk))


def _render_project(request, project, *, forms_in_error: dict | None = None, status: int = 200):
    user = request.user
    forms_in_error = forms_in_error or {}
    may_edit = permissions.may_edit(user, project)
    state = workflow.current_state(project)
    steps, votes, others = [], [], []
    missing_by_action: dict[str, list] = {}
    checklist = services.checklist(project)
    for item, answer in checklist:
        if answer is None or not answer.done:
            missing_by_action.setdefault(item.action, []).append(item)
    for option in workflow.available_actions(project, user):
        transition = option.transition
        missing = missing_by_action.get(transition.action)
        if option.allowed and transition.is_committee:
            votes.append(option)
        elif option.allowed:
            prefix = f"act-{transition.action}"
            form = forms_in_error.get(prefix) or ActionForm(
                prefix=prefix,
                comment_required=transition.comment_required,
                action_label=transition.localized_label,
                initial={"revision": project.workflow_revision},
            )
            steps.append({"option": option, "form": form})
        else:
            reason = services.missing_message(missing) if missing else option.reason
            others.append({"label": transition.localized_label, "reason": reason})
    participations = list(project.participations.select_related("municipality", "decided_by"))
    shares = project_shares(project)
    budget_lines = list(project.budget_lines.select_related("key").order_by("year", "kind"))
    years = sorted({line.year for line in budget_lines})
    budget = [
        {
            "year": year,
            "investment": sum((x.amount for x in budget_lines if x.year == year and x.kind == "investment"), 0),
            "operation": sum((x.amount for x in budget_lines if x.year == year and x.kind == "operation"), 0),
            "lines": [x for x in budget_lines if x.year == year],
        }
        for year in years
    ]
    actual_costs = list(project.actual_costs.order_by("-date", "-pk")[:50])
    context = {
        "project": project,
        "state": state,
        "phases": sorted(workflow.graph_of(project.workflow_version).states.values(), key=lambda s: s.order),
        "steps": steps,
        "votes": votes,
        "others": others,
        "checklist": checklist,
        "may_edit": may_edit,
        "owner_name": _person_name(project.owner),
        "manager_name": _person_name(project.manager),
        "needs": list(project.needs.only("pk", "number", "title", "collaboration_id")),
        "service_areas": list(project.service_areas.all()),
        "participations": [
            {
                "participation": p,
                "form": forms_in_error.get(f"part-{p.municipality_id}")
                or ParticipationForm(
                    prefix=f"part-{p.municipality_id}",
                    initial={
                        "status": p.status,
                        "postponed_until": p.postponed_until,
                        "reason": p.reason,
                    },
                ),
            }
            for p in participations
        ],
        "receiving_projects": list(project.receiving_projects.select_related("municipality", "owner__user")),
        "budget": budget,
        "budget_total": sum((line.amount for line in budget_lines), 0),
        "shares": shares,
        "actual_costs": actual_costs,
        "actual_total": sum((c.amount for c in actual_costs), 0),
        "status_reports": list(project.status_reports.select_related("reported_by")[:20]),
        "risks": list(project.risks.select_related("owner__user")),
        "budget_form": forms_in_error.get("budget")
        or BudgetLineForm(prefix="budget", collaboration=project.collaboration),
        "report_form": forms_in_error.get("report") or StatusReportForm(prefix="report"),
        "risk_form": forms_in_error.get("risk") or RiskForm(prefix="risk"),
        "format_nok": format_nok,
    }
    return render_portal(request, "ikt_portal/project_detail.html", context, status=status, nav="projects")


# ---------------------------------------------------------------------------------------------- changes


@require_POST
@portal_login_required
def project_action(request, pk):
    project = _project_or_404(request, pk)
    action = request.POST.get("action", "")
    transition = next(
        (t for t in workflow.graph_of(project.workflow_version).outgoing.get(project.state, []) if t.action == action),
        None,
    )
    if transition is None:
        messages.error(request, _("That step cannot be taken now."))
        return _back(project)
    prefix = f"act-{action}"
    form = ActionForm(
        request.POST,
        prefix=prefix,
        comment_required=transition.comment_required,
        action_label=transition.localized_label,
    )
    if form.is_valid():
        try:
            workflow.act(
                project,
                action,
                request.user,
                comment=form.cleaned_data["comment"],
                revision=form.cleaned_data.get("revision"),
                inputs=request.POST,
            )
        except workflow.WorkflowError as error:
            messages.error(request, error.message)
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Done: the project is now in “%(state)s”.") % {"state": workflow.current_state(project)}
            )
            return _back(project, "phase")
    return _render_project(request, project, forms_in_error={prefix: form}, status=400)


@require_POST
@portal_login_required
def project_vote(request, pk):
    project = _project_or_404(request, pk)
    try:
        result = workflow.vote(
            project,
            request.POST.get("action", ""),
            request.user,
            request.POST.get("choice", ""),
            comment=request.POST.get("comment", "")[:5000],
        )
    except workflow.WorkflowError as error:
        messages.error(request, error.message)
        return _back(project, "phase")
    if result.log is not None:
        messages.success(
            request,
            _("Your vote decided the matter: the project is now in “%(state)s”.")
            % {"state": workflow.current_state(project)},
        )
    else:
        messages.success(request, _("Your vote is recorded."))
    return _back(project, "phase")


@require_POST
@portal_login_required
def answer_checklist(request, pk):
    project = _project_or_404(request, pk)
    done = set(request.POST.getlist("done"))
    items = GateChecklistItem.objects.filter(workflow_id=project.workflow_version.workflow_id, from_state=project.state)
    try:
        for item in items:
            services.answer_checklist(project, item, request.user, done=str(item.pk) in done)
    except (ValidationError, services.ProjectError) as error:
        messages.error(request, " ".join(getattr(error, "messages", None) or [error.message]))
    else:
        messages.success(request, _("The checklist is saved."))
    return _back(project, "phase")


def _record_change(request, project, form, anchor: str, save):
    """Validate `form`, run `save(data)` (a service), and come back; errors beside the fields, nothing written."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except services.ProjectRefused as error:
            messages.error(request, error.message)
            return _back(project, anchor)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return _back(project, anchor)
    messages.error(request, _("Nothing was saved: see the errors in the form."))
    return _render_project(request, project, forms_in_error={form.prefix: form}, status=400)


@require_POST
@portal_login_required
def set_participation(request, pk):
    project = _project_or_404(request, pk)
    municipality_id = request.POST.get("municipality_id", "")
    participation = project.participations.filter(municipality_id=municipality_id if municipality_id.isdigit() else 0)
    participation = participation.select_related("municipality").first()
    if participation is None:
        raise Http404
    form = ParticipationForm(request.POST, prefix=f"part-{participation.municipality_id}")
    return _record_change(
        request,
        project,
        form,
        "participants",
        lambda data: services.set_participation(
            project,
            participation.municipality,
            request.user,
            status=data["status"],
            postponed_until=data.get("postponed_until"),
            reason=data.get("reason", ""),
        ),
    )


@require_POST
@portal_login_required
def add_budget_line(request, pk):
    project = _project_or_404(request, pk)
    form = BudgetLineForm(request.POST, prefix="budget", collaboration=project.collaboration)
    return _record_change(
        request,
        project,
        form,
        "budget",
        lambda data: services.set_budget_line(
            project, request.user, year=data["year"], kind=data["kind"], amount=data["amount"], key=data.get("key")
        ),
    )


@require_POST
@portal_login_required
def add_status_report(request, pk):
    project = _project_or_404(request, pk)
    form = StatusReportForm(request.POST, prefix="report")
    return _record_change(
        request, project, form, "status-reports", lambda data: services.add_status_report(project, request.user, **data)
    )


@require_POST
@portal_login_required
def add_risk(request, pk):
    project = _project_or_404(request, pk)
    form = RiskForm(request.POST, prefix="risk")
    return _record_change(
        request, project, form, "risks", lambda data: services.add_risk(project, request.user, **data)
    )
