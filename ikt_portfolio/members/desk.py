"""The members domain's cards on the Desk start page."""

from django.urls import reverse
from django.utils.translation import gettext as _

from ikt_portfolio.core.desk import dashboard_card

from .models import SizeSegment
from .selectors import primary_collaboration, size_segments


@dashboard_card
def members_card(request):
    collaboration = primary_collaboration(request.user)
    if collaboration is None:
        return None
    segments = list(size_segments(collaboration).values())
    counts = {segment: segments.count(segment) for segment in SizeSegment.values}
    return {
        "title": _("Member municipalities"),
        "value": len(segments),
        "description": _("%(small)s small, %(medium)s medium and %(large)s large") % counts,
        "link": reverse("admin:ikt_members_membership_changelist") + f"?collaboration__id__exact={collaboration.pk}",
    }
