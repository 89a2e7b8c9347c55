"""Default model permissions of the council app per capacity (editable in the Desk).

Everyone reads meetings (rows are then scoped by `MeetingQuerySet`). Seat holders of bodies get the change
permissions too, because a body's chair or secretary runs its meetings; which meetings they may change is
decided per row (`Meeting.objects.editable_by`) and by `services`.
"""

from ikt_portfolio.members.capacities import Capacity

MODELS = ("meeting", "participant", "agendaitem", "meetingsettings", "decision", "minutes", "minutesentry",
          "decisionsettings")  # fmt: skip
SEAT_CAPACITIES = {
    Capacity.SECTOR_REPRESENTATIVE,
    Capacity.SECTOR_LEAD,
    Capacity.COUNCIL_MEMBER,
    Capacity.BOARD_MEMBER,
    Capacity.OWNER_REPRESENTATIVE,
}


def default_capacity_permissions() -> dict[str, list[str]]:
    view = [f"view_{model}" for model in MODELS]
    run = view + [
        f"{action}_{model}" for model in ("meeting", "participant", "agendaitem") for action in ("add", "change")
    ]
    run += ["delete_agendaitem", "change_minutes", "change_minutesentry"]
    admin = run + ["add_meetingsettings", "change_meetingsettings", "delete_meetingsettings", "delete_meeting",
                   "add_decisionsettings", "change_decisionsettings"]  # fmt: skip
    defaults = {}
    for capacity in Capacity.values:
        if capacity == Capacity.COLLABORATION_ADMIN:
            defaults[capacity] = admin
        elif capacity in SEAT_CAPACITIES:
            defaults[capacity] = run
        else:
            defaults[capacity] = view
    return defaults


def create_capacity_permissions(sender, **kwargs):
    from ikt_portfolio.members.services import ensure_capacity_groups

    ensure_capacity_groups("ikt_council", default_capacity_permissions())
