"""What every portal page shares: the login gate, the collaboration the user works in, the page frame."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import Collaboration
from ikt_portfolio.members.permissions import collaboration_ids, grants_of, has_capacity, is_operator, person_of

PAGE_SIZE = 25


def year_param(request) -> int:
    """The year a per-year page shows (?year=, default this year); 404 for anything but a year 1900–2100."""
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError as error:
        raise Http404 from error
    if not 1900 <= year <= 2100:
        raise Http404
    return year


def paginate(request, rows, size: int = PAGE_SIZE) -> tuple[Page, object]:
    """The page of `rows` the request asks for (?page=, the last one when past the end), and the page numbers
    `_pagination.html` shows (elided: first, last and the neighbours)."""
    page = Paginator(rows, size).get_page(request.GET.get("page"))
    return page, page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)


SESSION_KEY = "ikt_portal_collaboration"
NEED_DOCUMENT = "ikt_needs.need"

portal_login_required = login_required(login_url=reverse_lazy("ikt_portal:login"))


def collaborations_for(user) -> list[Collaboration]:
    queryset = Collaboration.objects.order_by("name")
    if not is_operator(user):
        queryset = queryset.filter(pk__in=collaboration_ids(user))
    return list(queryset)


def current_collaboration(request) -> Collaboration | None:
    """The collaboration the user works in now: their choice (kept in the session), else their first."""
    if not hasattr(request, "_ikt_portal_collaborations"):
        request._ikt_portal_collaborations = collaborations_for(request.user)
    choices = request._ikt_portal_collaborations
    chosen = request.session.get(SESSION_KEY)
    return next((c for c in choices if c.pk == chosen), choices[0] if choices else None)


def render_portal(request, template: str, context: dict | None = None, *, status: int = 200, nav: str = ""):
    collaboration = current_collaboration(request)
    return render(
        request,
        template,
        {
            "collaboration": collaboration,
            "collaborations": request._ikt_portal_collaborations,
            "nav": nav,
            "in_sector_group": _in_sector_group(request.user, collaboration),
            **(context or {}),
        },
        status=status,
    )


def _in_sector_group(user, collaboration) -> bool:
    """For the menu: does the user lead or sit in a sector group of this collaboration (grants are cached)?"""
    sector = (Capacity.SECTOR_LEAD, Capacity.SECTOR_REPRESENTATIVE)
    return bool(
        collaboration and any(g.capacity in sector and g.collaboration_id == collaboration.pk for g in grants_of(user))
    )


def no_collaboration(request):
    return render_portal(request, "ikt_portal/no_collaboration.html", status=403)


def may_report(user, collaboration) -> bool:
    person = person_of(user)
    return bool(person and person.municipality_id and has_capacity(user, Capacity.SUBMITTER, collaboration.pk))


def chosen_member(request, collaboration, day):
    """(the member municipality a per-member page reports on, the members the user may choose from): those
    who see every member's figures (`costs.permissions.sees_all_members`) choose with ?municipality= (the first
    by default); others see their own municipality only, and 404 for any other. None when the user has no
    municipality in the collaboration."""
    from ikt_portfolio.costs.permissions import own_municipality_id, sees_all_members
    from ikt_portfolio.members.models import Membership

    memberships = Membership.objects.filter(collaboration=collaboration).active_on(day).select_related("municipality")
    members = [m.municipality for m in memberships.order_by("municipality__number")]
    wanted = request.GET.get("municipality")
    if sees_all_members(request.user, collaboration.pk):
        if wanted:
            found = next((m for m in members if str(m.pk) == wanted), None)
            if found is None:
                raise Http404
            return found, members
        return (members[0] if members else None), members
    own = own_municipality_id(request.user)
    if wanted and wanted != str(own):
        raise Http404
    return next((m for m in members if m.pk == own), None), []
