"""Default model permissions of the needs app per capacity (editable in the Desk)."""

from ikt_portfolio.members.capacities import Capacity


def default_capacity_permissions() -> dict[str, list[str]]:
    everyone = ["view_need", "view_goal", "add_need", "change_need", "view_criterion", "view_assessment"]
    admin = everyone + ["add_goal", "change_goal", "delete_goal", "add_criterion", "change_criterion"]
    return {capacity: admin if capacity == Capacity.COLLABORATION_ADMIN else everyone for capacity in Capacity.values}


def create_capacity_permissions(sender, **kwargs):
    from ikt_portfolio.members.services import ensure_capacity_groups

    ensure_capacity_groups("ikt_needs", default_capacity_permissions())
