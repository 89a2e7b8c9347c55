"""Hooks the Unfold Desk calls: the site title from the collaboration, and the dashboard.

Later apps add cards to the dashboard by registering a callable with `dashboard_card`.
"""

from collections.abc import Callable

from django.utils.translation import gettext as _

_cards: list[Callable] = []


def dashboard_card(func: Callable) -> Callable:
    """Register `func(request) -> dict | None` (title, value, description, link) as a dashboard card."""
    _cards.append(func)
    return func


def _collaboration_for(request):
    from ikt_portfolio.members.selectors import primary_collaboration

    if not hasattr(request, "_ikt_collaboration"):
        request._ikt_collaboration = primary_collaboration(request.user)
    return request._ikt_collaboration


def site_title(request) -> str:
    collaboration = _collaboration_for(request) if request is not None else None
    return collaboration.short_name if collaboration else _("ICT portfolio")


def site_header(request) -> str:
    collaboration = _collaboration_for(request) if request is not None else None
    return collaboration.name if collaboration else _("ICT portfolio")


def dashboard_callback(request, context):
    cards = [card for card in (func(request) for func in _cards) if card]
    context.update({"ikt_cards": cards, "ikt_collaboration": _collaboration_for(request)})
    return context
