"""The workflow's card on the Desk start page: how much waits for the user."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ikt_portfolio.core.desk import dashboard_card


@dashboard_card
def inbox_card(request):
    from .services import inbox

    items = inbox(request.user)
    overdue = sum(1 for item in items if item.overdue)
    return {
        "title": _("Waiting for you"),
        "value": len(items),
        "description": ngettext("%(count)s overdue", "%(count)s overdue", overdue) % {"count": overdue},
        "link": reverse("admin:ikt_workflow_inbox"),
    }
