"""Who sees and changes cost keys and budget lines, and the default model permissions per capacity.

Everyone in a collaboration reads its keys and budget lines and the totals; a member municipality's people see
their own municipality's share and how it was computed; the collaboration's administrators (and IT operators)
see every member's share and change keys and lines. The model permissions below only open the Desk pages and
the API; which rows and shares a user sees is decided by the querysets' `visible_to` and by `sees_all_members`.
"""

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.permissions import admin_collaboration_ids, is_operator, person_of

MODELS = ("costkey", "costkeyshare", "annualbudgetline")


def sees_all_members(user, collaboration_id: int) -> bool:
    """May the user see every member's share (not only their own municipality's)?"""
    return is_operator(user) or collaboration_id in admin_collaboration_ids(user)


def own_municipality_id(user) -> int | None:
    person = person_of(user)
    return person.municipality_id if person is not None else None


def visible_municipality_ids(user, collaboration_id: int) -> set[int] | None:
    """The members whose shares the user sees: None means all of them."""
    if sees_all_members(user, collaboration_id):
        return None
    own = own_municipality_id(user)
    return {own} if own else set()


def default_capacity_permissions() -> dict[str, list[str]]:
    view = [f"view_{model}" for model in MODELS]
    admin = view + [f"{action}_{model}" for model in MODELS for action in ("add", "change", "delete")]
    return {capacity: (admin if capacity == Capacity.COLLABORATION_ADMIN else view) for capacity in Capacity.values}


def create_capacity_permissions(sender, **kwargs):
    from ikt_portfolio.members.services import ensure_capacity_groups

    ensure_capacity_groups("ikt_costs", default_capacity_permissions())
