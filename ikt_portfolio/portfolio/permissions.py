"""Who may plan the portfolio, and the default model permissions of the app per capacity (editable in the Desk).

Everyone in a collaboration reads its periods, budget frames and scenarios (transparency: the council's
working papers are the members' business). Planning (creating scenarios, locking items in or out, solving)
is for the portfolio council's chair and secretary holding the seat today and the collaboration's
administrators; setting and deciding the budget frame, and creating periods, for the administrators. IT
operators may do everything. Which rows a user may change is decided per row (`editable_by`) and by
`services`; the model permissions below only open the Desk pages.
"""

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import BodyMembership
from ikt_portfolio.members.permissions import admin_collaboration_ids, grants_of, is_operator

PLANNING_ROLES = (BodyMembership.Role.CHAIR, BodyMembership.Role.SECRETARY)
MODELS = ("period", "budgetframe", "scenario", "scenarioitem")


def council_planner_collaboration_ids(user) -> set[int]:
    """Collaborations whose portfolio council the user chairs or is secretary of, today."""
    return {
        grant.collaboration_id
        for grant in grants_of(user)
        if grant.capacity == Capacity.COUNCIL_MEMBER and grant.role in PLANNING_ROLES
    }


def planner_collaboration_ids(user) -> set[int]:
    """Collaborations where the user may plan the portfolio (scenarios, locks, solving)."""
    return council_planner_collaboration_ids(user) | admin_collaboration_ids(user)


def may_plan(user, collaboration_id: int) -> bool:
    return is_operator(user) or collaboration_id in planner_collaboration_ids(user)


def may_set_frames(user, collaboration_id: int) -> bool:
    return is_operator(user) or collaboration_id in admin_collaboration_ids(user)


def planning_capacity(user, collaboration_id: int) -> str:
    """The capacity recorded on what a planner writes."""
    if is_operator(user):
        return "operator"
    if collaboration_id in admin_collaboration_ids(user):
        return Capacity.COLLABORATION_ADMIN
    return Capacity.COUNCIL_MEMBER


def default_capacity_permissions() -> dict[str, list[str]]:
    view = [f"view_{model}" for model in MODELS]
    council = view + ["add_scenario", "change_scenario", "delete_scenario", "change_scenarioitem"]
    admin = council + ["add_period", "change_period", "delete_period", "add_budgetframe", "change_budgetframe"]
    defaults = {}
    for capacity in Capacity.values:
        if capacity == Capacity.COLLABORATION_ADMIN:
            defaults[capacity] = admin
        elif capacity == Capacity.COUNCIL_MEMBER:
            defaults[capacity] = council
        else:
            defaults[capacity] = view
    return defaults


def create_capacity_permissions(sender, **kwargs):
    from ikt_portfolio.members.services import ensure_capacity_groups

    ensure_capacity_groups("ikt_plan", default_capacity_permissions())
