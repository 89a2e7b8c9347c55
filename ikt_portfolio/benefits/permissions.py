"""Who sees and records benefits, and the default model permissions of the app per capacity.

- **Benefits plans** (benefits, indicators, each member's targets and measurements) are read by everyone in the
  project's collaboration: what a project should gain is not secret between members.
- **A member's report** (its cost share set against its benefits) is for that municipality's people, and the
  collaboration's administrators (who choose the member); see `costs.permissions.visible_municipality_ids`.
- **Recording a measurement** is for the member's benefit owner (the target's owner, or whoever holds the
  benefit owner capacity for that municipality in the collaboration), the project's owner and manager, and the
  collaboration's administrators. IT operators may do everything.
- **Changing the plan** (benefits, indicators, targets) is for the project's owner and manager and the
  collaboration's administrators (the Desk and the API).
"""

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.permissions import admin_collaboration_ids, has_capacity, is_operator, person_of

MODELS = ("benefit", "indicator", "membertarget", "measurement")


def may_record(user, target) -> bool:
    """May the user record a measurement against this member's target?"""
    if is_operator(user):
        return True
    person = person_of(user)
    if person is None:
        return False
    project = target.indicator.benefit.project
    if person.pk in (target.owner_id, project.owner_id, project.manager_id):
        return True
    if project.collaboration_id in admin_collaboration_ids(user):
        return True
    return (
        has_capacity(user, Capacity.BENEFIT_OWNER, project.collaboration_id, municipality_id=target.municipality_id)
        and person.municipality_id == target.municipality_id
    )


def recording_capacity(user, target) -> str:
    """The capacity recorded with a measurement."""
    if is_operator(user):
        return "operator"
    project = target.indicator.benefit.project
    if project.collaboration_id in admin_collaboration_ids(user):
        return Capacity.COLLABORATION_ADMIN
    person = person_of(user)
    if person is not None and person.pk in (project.owner_id, project.manager_id) and person.pk != target.owner_id:
        return Capacity.PROJECT_OWNER
    return Capacity.BENEFIT_OWNER


def default_capacity_permissions() -> dict[str, list[str]]:
    view = [f"view_{model}" for model in MODELS]
    plan = [f"{verb}_{model}" for model in ("benefit", "indicator", "membertarget") for verb in ("add", "change")]
    defaults = {}
    for capacity in Capacity.values:
        if capacity == Capacity.COLLABORATION_ADMIN:
            defaults[capacity] = view + [f"{verb}_{m}" for m in MODELS for verb in ("add", "change", "delete")]
        elif capacity == Capacity.PROJECT_OWNER:
            defaults[capacity] = view + plan + ["add_measurement"]
        elif capacity == Capacity.BENEFIT_OWNER:
            defaults[capacity] = view + ["add_measurement"]
        else:
            defaults[capacity] = view
    return defaults


def create_capacity_permissions(sender, **kwargs):
    from ikt_portfolio.members.services import ensure_capacity_groups

    ensure_capacity_groups("ikt_benefits", default_capacity_permissions())
