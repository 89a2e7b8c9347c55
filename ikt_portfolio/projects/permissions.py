"""Who sees and changes projects, and the default model permissions of the app per capacity.

- **The project list** is open to everyone in the collaboration (transparency: every member sees what the
  collaboration runs).
- **A project's page** (participants, receiving projects, budget, actual costs, status reports, risks) is for
  the people of the participating member municipalities (whatever their status: a member that opted out still
  sees the project it opted out of), the project's owner and manager, the collaboration's staff and everyone
  holding a capacity in the collaboration beyond reporting needs (sector groups, council, board, project and
  benefit owners, owner representatives, administrators). IT operators see everything.
- **Changing the record** (participation, receiving projects, budget lines, actual costs, status reports,
  risks, checklist answers) is for the project's owner, its manager and the collaboration's administrators.
- **Gate decisions** are the workflow's: each gate names who decides (the project's own owner, or a
  committee such as the board); the routing fixtures are in `fixtures/`.
"""

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.permissions import admin_collaboration_ids, grants_of, is_operator, person_of

MODELS = (
    "project",
    "participation",
    "receivingproject",
    "budgetline",
    "actualcost",
    "statusreport",
    "risk",
    "gatechecklistitem",
    "checklistanswer",
)
RECORD_MODELS = ("participation", "receivingproject", "budgetline", "actualcost", "statusreport", "risk")


def insider_collaboration_ids(user) -> set[int]:
    """Collaborations where the user holds more than the right to report needs, or works for it."""
    ids = {grant.collaboration_id for grant in grants_of(user) if grant.capacity != Capacity.SUBMITTER}
    person = person_of(user)
    if person is not None and person.staff_of_id:
        ids.add(person.staff_of_id)
    return ids


def may_view(user, project, participant_ids: set[int] | None = None) -> bool:
    if is_operator(user):
        return True
    person = person_of(user)
    if person is None:
        return False
    if project.collaboration_id in insider_collaboration_ids(user):
        return True
    if person.pk in (project.owner_id, project.manager_id):
        return True
    if participant_ids is None:
        participant_ids = set(project.participations.values_list("municipality_id", flat=True))
    return bool(person.municipality_id and person.municipality_id in participant_ids)


def may_edit(user, project) -> bool:
    if is_operator(user):
        return True
    person = person_of(user)
    if person is not None and person.pk in (project.owner_id, project.manager_id):
        return True
    return project.collaboration_id in admin_collaboration_ids(user)


def editing_capacity(user, project) -> str:
    """The capacity recorded on a change of the project record."""
    if is_operator(user):
        return "operator"
    if project.collaboration_id in admin_collaboration_ids(user):
        return Capacity.COLLABORATION_ADMIN
    return Capacity.PROJECT_OWNER


def default_capacity_permissions() -> dict[str, list[str]]:
    view = [f"view_{model}" for model in MODELS]
    record = [f"{verb}_{model}" for model in RECORD_MODELS for verb in ("add", "change", "delete")]
    owner = view + ["change_project", "add_checklistanswer", "change_checklistanswer", *record]
    admin = owner + ["add_project", "add_gatechecklistitem", "change_gatechecklistitem", "delete_gatechecklistitem"]
    defaults = {}
    for capacity in Capacity.values:
        if capacity == Capacity.COLLABORATION_ADMIN:
            defaults[capacity] = admin
        elif capacity == Capacity.PROJECT_OWNER:
            defaults[capacity] = owner
        else:
            defaults[capacity] = view
    return defaults


def create_capacity_permissions(sender, **kwargs):
    from ikt_portfolio.members.services import ensure_capacity_groups

    ensure_capacity_groups("ikt_projects", default_capacity_permissions())
