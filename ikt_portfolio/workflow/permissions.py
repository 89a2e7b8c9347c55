"""Default model permissions of the workflow app's models per capacity (editable in the Desk)."""

from ikt_portfolio.members.capacities import Capacity

READABLE = ["workflow", "workflowversion", "state", "transition", "transitionlog", "ballot", "vote"]


def default_capacity_permissions() -> dict[str, list[str]]:
    everyone = [f"view_{model}" for model in READABLE] + ["view_delegation", "add_delegation", "change_delegation"]
    admin = everyone + [
        f"{action}_{model}"
        for model in ("workflow", "workflowversion", "state", "transition")
        for action in ("add", "change", "delete")
    ]
    return {capacity: admin if capacity == Capacity.COLLABORATION_ADMIN else everyone for capacity in Capacity.values}


def create_capacity_permissions(sender, **kwargs):
    from ikt_portfolio.members.services import ensure_capacity_groups

    ensure_capacity_groups("ikt_workflow", default_capacity_permissions())
