"""The collaboration platform (samhandlingsplattform): server-rendered pages for municipal staff.

Every page works without JavaScript: filters are GET forms, every change is a POST form with CSRF that
redirects back (post/redirect/get). Business rules live in `needs.services` and the workflow engine; their
refusals come back as messages or form errors, and nothing is written when they refuse.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.permissions import collaboration_ids, has_capacity, person_of
from ikt_portfolio.needs import duplicates, exports, services
from ikt_portfolio.needs.models import Follow
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.selectors import state_name

from .. import queries
from ..forms import ActionForm, CommentForm, CoSignForm, NeedFilterForm, NeedForm, VoteForm, add_errors
from .attachments import attachment_context
from .common import (
    NEED_DOCUMENT,
    SESSION_KEY,
    collaborations_for,
    current_collaboration,
    may_report,
    no_collaboration,
    paginate,
    portal_login_required,
    render_portal,
)
from .projects import need_project_context
from .sector import assessment_context


def _status_options(collaboration) -> list[tuple[str, str]]:
    try:
        version = workflow.active_version(collaboration.pk, NEED_DOCUMENT)
    except workflow.WorkflowError:
        return []
    states = workflow.graph_of(version).states.values()
    return [(s.key, s.localized_name) for s in sorted(states, key=lambda s: s.order) if not s.is_initial]


# --------------------------------------------------------------------------------------------- pages


def _list_filters(request, collaboration):
    """The list's tab and filters from the query string (shared by the page and its downloads)."""
    person = person_of(request.user)
    scope = request.GET.get("scope", "all")
    scopes = [("all", _("All needs")), ("mine", _("Mine"))]
    if person is not None and person.municipality_id:
        scopes.append(("municipality", _("My municipality")))
    if scope not in dict(scopes):
        scope = "all"
    form = NeedFilterForm(request.GET or None, collaboration=collaboration, states=_status_options(collaboration))
    data = form.cleaned_data if form.is_valid() else {}
    filters = queries.NeedFilters(
        scope=scope,
        service_area_id=data["service_area"].pk if data.get("service_area") else None,
        state=data.get("state") or "",
        municipality_id=data["municipality"].pk if data.get("municipality") else None,
        segment=data.get("segment") or "",
        goal_id=data["goal"].pk if data.get("goal") else None,
        search=(data.get("q") or "").strip(),
    )
    return form, scope, scopes, filters


@portal_login_required
def need_list(request):
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    form, scope, scopes, filters = _list_filters(request, collaboration)
    page, page_range = paginate(request, queries.need_list(request.user, collaboration, filters))
    for need in page.object_list:
        need.status_label = state_name(need)
    return render_portal(
        request,
        "ikt_portal/need_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "scope": scope,
            "scopes": scopes,
            "filtered": filters.narrowed,
            "download_query": request.GET.urlencode(),
            "may_report": may_report(request.user, collaboration),
        },
        nav="mine" if scope == "mine" else "needs",
    )


@portal_login_required
def need_list_download(request, extension):
    """The filtered list (all pages) as CSV or XLSX, with the columns of the API's export."""
    if extension not in ("csv", "xlsx"):
        raise Http404
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    _form, _scope, _scopes, filters = _list_filters(request, collaboration)
    needs = queries.need_list(request.user, collaboration, filters)
    language = get_language()
    if extension == "xlsx":
        response = HttpResponse(exports.xlsx_bytes(needs, language), content_type=exports.XLSX_CONTENT_TYPE)
    else:
        response = StreamingHttpResponse(exports.csv_stream(needs, language), content_type=exports.CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(extension)}"'
    return response


def _similar_needs(request, collaboration, title: str, problem: str) -> list[dict]:
    """Needs like the one being reported that the user may open, best first (see `needs.duplicates`)."""
    found = duplicates.find_similar(collaboration, title, problem)
    visible = set(
        queries.visible_needs(request.user).filter(pk__in=[n.pk for n, _s in found]).values_list("pk", flat=True)
    )
    person = person_of(request.user)
    rows = []
    for need, score in found:
        if need.pk not in visible:
            continue
        own = person is not None and person.municipality_id == need.municipality_id
        rows.append({"need": need, "score": score, "status": workflow.current_state(need), "own": own})
    return rows


def _seen(request) -> set[int]:
    return {int(pk) for pk in request.POST.get("similar_seen", "").split(",") if pk.strip().isdigit()}


@portal_login_required
def report_need(request):
    """“Meld inn behov”. Besides saving a draft and submitting, the user can check for similar needs first
    (intent "check": nothing is validated or saved), and submitting stops once to show similar needs the user
    has not seen yet, with the offer to co-sign one of them instead; a second press submits anyway."""
    collaboration = current_collaboration(request)
    if collaboration is None:
        return no_collaboration(request)
    allowed = may_report(request.user, collaboration)
    intent = request.POST.get("intent")
    similar = None
    if request.method == "POST" and allowed and intent == "check":
        similar = _similar_needs(request, collaboration, request.POST.get("title", ""), request.POST.get("problem", ""))
        initial = {
            name: request.POST.get(name) for name in request.POST if name not in ("goals", "csrfmiddlewaretoken")
        }
        initial["goals"] = request.POST.getlist("goals")
        form = NeedForm(initial=initial, collaboration=collaboration)
        return _render_report(request, form, allowed, similar, checked=True)
    form = NeedForm(request.POST or None, collaboration=collaboration)
    status = 200
    if request.method == "POST" and allowed:
        if form.is_valid():
            data = dict(form.cleaned_data)
            goals = data.pop("goals", None) or ()
            submit = intent == "submit"
            if submit:
                similar = _similar_needs(request, collaboration, data["title"], data["problem"])
                if any(row["need"].pk not in _seen(request) for row in similar):
                    return _render_report(request, form, allowed, similar, checked=True, stopped=True)
            try:
                with transaction.atomic():
                    need = services.create_need(user=request.user, collaboration=collaboration, goals=goals, **data)
                    if submit:
                        workflow.perform(need, "submit", request.user)
            except ValidationError as error:
                add_errors(form, error)
            except workflow.WorkflowError as error:
                form.add_error(None, error.message)
            else:
                if submit:
                    messages.success(request, _("Thank you! %(need)s has been submitted.") % {"need": need.reference})
                else:
                    messages.success(
                        request,
                        _("%(need)s is saved as a draft. Only you can see it until you submit it.")
                        % {"need": need.reference},
                    )
                return redirect("ikt_portal:need", pk=need.pk)
        status = 400
    return _render_report(request, form, allowed, similar, status=status)


def _render_report(request, form, allowed, similar, *, checked=False, stopped=False, status=200):
    return render_portal(
        request,
        "ikt_portal/need_form.html",
        {
            "form": form,
            "may_report": allowed,
            "similar": similar or [],
            "checked": checked,
            "stopped": stopped,
            "similar_seen": ",".join(str(row["need"].pk) for row in similar or []),
        },
        status=status,
        nav="report",
    )


@dataclass
class TimelineEntry:
    at: object
    action: str
    state: str
    who: str
    organisation: str
    capacity: str
    on_behalf_of: str
    comment: str


def _name(user) -> str:
    if user is None:
        return _("the system")
    return user.get_full_name() or user.get_username()


def _organisation(person) -> str:
    if person is None:
        return ""
    if person.municipality_id:
        return person.municipality.name
    return person.staff_of.name if person.staff_of_id else ""


def _capacity_label(capacity: str) -> str:
    if capacity in Capacity.values:
        return str(Capacity(capacity).label)
    if capacity.startswith("committee:"):
        return _("committee decision")
    return ""


def _timeline(need, graph) -> list[TimelineEntry]:
    logs = workflow.history(need).select_related(
        "actor__person__municipality", "actor__person__staff_of", "on_behalf_of__user"
    )
    entries = []
    for log in reversed(list(logs)):
        state = graph.state(log.to_state)
        if log.transition is not None:
            action = log.transition.localized_label
        elif log.action == "start":
            action = _("Created")
        else:
            action = log.action
        entries.append(
            TimelineEntry(
                at=log.at,
                action=action,
                state=state.localized_name if state else log.to_state,
                who=_name(log.actor),
                organisation=_organisation(person_of(log.actor)) if log.actor else "",
                capacity=_capacity_label(log.capacity),
                on_behalf_of=_name(log.on_behalf_of.user) if log.on_behalf_of_id else "",
                comment=log.comment,
            )
        )
    return entries


def _need_or_404(request, pk):
    related = ("service_area", "municipality", "submitted_by__user", "workflow_version", "collaboration", "merged_into")
    return get_object_or_404(queries.visible_needs(request.user).select_related(*related), pk=pk)


def _render_need(
    request, need, *, comment_form=None, co_sign_form=None, action_form=None, assessment_form=None, status=200
):
    user = request.user
    person = person_of(user)
    state = workflow.current_state(need)
    graph = workflow.graph_of(need.workflow_version)
    timeline = _timeline(need, graph)
    last = timeline[-1] if timeline else None

    steps, votes, others = [], [], []
    for option in workflow.available_actions(need, user):
        transition = option.transition
        if option.allowed and transition.is_committee:
            votes.append(option)
        elif option.allowed:
            prefix = f"act-{transition.action}"
            form = action_form if action_form is not None and action_form.prefix == prefix else None
            form = form or ActionForm(
                prefix=prefix,
                comment_required=transition.comment_required,
                action_label=transition.localized_label,
                initial={"revision": need.workflow_revision},
            )
            steps.append({"option": option, "form": form})
        else:
            reason = option.reason
            if transition.is_committee and not option.reason:
                reason = _("Decided by a vote of the %(body)s.") % {"body": _committee_label(transition.committee)}
            others.append({"label": transition.localized_label, "reason": reason})

    co_signs = list(need.co_signs.select_related("municipality", "person__user"))
    signed_here = person is not None and any(c.municipality_id == person.municipality_id for c in co_signs)
    open_for_participation = not state.is_final and not state.is_initial
    may_co_sign = bool(
        person is not None
        and person.municipality_id
        and person.municipality_id != need.municipality_id
        and has_capacity(user, Capacity.SUBMITTER, need.collaboration_id)
        and open_for_participation
        and not signed_here
    )
    may_ask = bool(workflow.standings(user, need, [Capacity.SECTOR_LEAD, Capacity.SECTOR_REPRESENTATIVE]))
    in_collaboration = person is not None and need.collaboration_id in collaboration_ids(user)
    # Comments written on duplicates merged into this need are shown here too, marked with where they were written.
    comments = sorted(
        [
            *need.comments.select_related("author__user", "author__municipality", "author__staff_of"),
            *duplicates.merged_comments(need).select_related("author__municipality", "author__staff_of"),
        ],
        key=lambda c: (c.created_at, c.pk),
    )
    context = {
        "need": need,
        "state": state,
        "is_draft": state.is_initial,
        "last": last,
        "timeline": timeline,
        "steps": steps,
        "votes": votes,
        "others": others,
        "merged_needs": need.merged_needs.only("pk", "number", "title", "collaboration_id"),
        "co_signs": co_signs,
        "signed_here": signed_here,
        "may_co_sign": may_co_sign,
        "co_sign_form": co_sign_form or (CoSignForm(prefix="cosign") if may_co_sign else None),
        "comments": [
            {
                "comment": c,
                "who": _name(c.author.user),
                "organisation": _organisation(c.author),
                "from_need": c.need if c.need_id != need.pk else None,
            }
            for c in comments
        ],
        "may_comment": in_collaboration and not state.is_initial,
        "comment_form": comment_form or CommentForm(prefix="comment", may_ask=may_ask),
        "following": Follow.objects.filter(need=need, user=user).exists(),
        "may_follow": in_collaboration and not state.is_initial,
        "capacity_labels": {c.value: c.label for c in Capacity},
        **attachment_context(request, need),
        **assessment_context(request, need, assessment_form),
        **need_project_context(request, need),
    }
    return render_portal(request, "ikt_portal/need_detail.html", context, status=status)


def _committee_label(kind: str) -> str:
    from ikt_portfolio.members.models import Body

    return str(Body.Kind(kind).label) if kind in Body.Kind.values else kind


@portal_login_required
def need_detail(request, pk):
    need = _need_or_404(request, pk)
    return _render_need(request, need)


def _back(need):
    return redirect(reverse("ikt_portal:need", args=[need.pk]))


@require_POST
@portal_login_required
def add_comment(request, pk):
    need = _need_or_404(request, pk)
    may_ask = bool(workflow.standings(request.user, need, [Capacity.SECTOR_LEAD, Capacity.SECTOR_REPRESENTATIVE]))
    form = CommentForm(request.POST, prefix="comment", may_ask=may_ask)
    if form.is_valid():
        try:
            services.add_comment(
                need,
                user=request.user,
                body=form.cleaned_data["body"],
                is_question=form.cleaned_data.get("is_question", False),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            add_errors(form, error)
        else:
            messages.success(request, _("Your comment is published."))
            return _back(need)
    return _render_need(request, need, comment_form=form, status=400)


@require_POST
@portal_login_required
def co_sign(request, pk):
    need = _need_or_404(request, pk)
    form = CoSignForm(request.POST, prefix="cosign")
    if form.is_valid():
        try:
            services.co_sign(
                need,
                user=request.user,
                expected_benefit=form.cleaned_data["expected_benefit"],
                affected_count=form.cleaned_data["affected_count"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return _back(need)
        messages.success(request, _("Thank you! Your municipality now stands behind this need."))
        return _back(need)
    return _render_need(request, need, co_sign_form=form, status=400)


@require_POST
@portal_login_required
def follow(request, pk):
    need = _need_or_404(request, pk)
    try:
        if request.POST.get("follow") == "0":
            services.unfollow(need, user=request.user)
            messages.success(request, _("You no longer follow this need."))
        else:
            services.follow(need, user=request.user)
            messages.success(request, _("You follow this need and will hear of every step."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _back(need)


@require_POST
@portal_login_required
def perform_action(request, pk):
    need = _need_or_404(request, pk)
    action = request.POST.get("action", "")
    option = next(
        (o for o in workflow.available_actions(need, request.user, with_warnings=False) if o.action == action), None
    )
    if option is None:
        messages.error(request, _("That step cannot be taken on this need now."))
        return _back(need)
    transition = option.transition
    form = ActionForm(
        request.POST,
        prefix=f"act-{action}",
        comment_required=transition.comment_required,
        action_label=transition.localized_label,
    )
    if not form.is_valid():
        messages.error(request, _("Give a reason in the comment."))
        return _render_need(request, need, action_form=form, status=400)
    comment = form.cleaned_data["comment"]
    try:
        workflow.act(
            need,
            action,
            request.user,
            comment=comment,
            revision=form.cleaned_data.get("revision"),
            inputs={spec.name: request.POST.get(spec.name, "") for spec in option.inputs},
        )
    except workflow.WorkflowError as error:
        messages.error(request, error.message)
        return _back(need)
    messages.success(
        request,
        _("Done: “%(action)s”. The need is now “%(state)s”.")
        % {"action": transition.localized_label, "state": workflow.current_state(need)},
    )
    return _back(need)


@require_POST
@portal_login_required
def vote(request, pk):
    """A committee member's vote (for their own seat, or the seat of someone who delegated to them)."""
    need = _need_or_404(request, pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("choice", [])) or _("Choose how you vote."))
        return _back(need)
    data = form.cleaned_data
    try:
        result = workflow.vote(need, data["action"], request.user, data["choice"], comment=data["comment"])
    except workflow.WorkflowError as error:
        messages.error(request, error.message)
        return _back(need)
    if result.log is not None:
        messages.success(
            request,
            _("Your vote decided the matter: the need is now “%(state)s”.") % {"state": workflow.current_state(need)},
        )
    else:
        messages.success(request, _("Your vote is recorded."))
    return _back(need)


@require_POST
@portal_login_required
def choose_collaboration(request):
    wanted = request.POST.get("collaboration", "")
    choices = collaborations_for(request.user)
    chosen = next((c for c in choices if str(c.pk) == wanted), None)
    if chosen is not None:
        request.session[SESSION_KEY] = chosen.pk
    return redirect("ikt_portal:needs")
