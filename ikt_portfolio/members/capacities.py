"""Capacities (roles) in which people act. Every decision records the capacity it was taken in.

A capacity comes either from sitting in a body (the body's kind and the seat's role decide which) or from a
dated role assignment in the collaboration. Submitting needs is open to every person employed by a member
municipality. Each capacity has an `auth.Group` of the same name that holds its model permissions; the
`CapacityPermissionBackend` grants a user the permissions of the capacities they hold today.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Capacity(models.TextChoices):
    SUBMITTER = "submitter", _("submitter")
    SECTOR_REPRESENTATIVE = "sector_representative", _("sector representative")
    SECTOR_LEAD = "sector_lead", _("sector lead")
    COUNCIL_MEMBER = "council_member", _("portfolio council member")
    BOARD_MEMBER = "board_member", _("board member")
    OWNER_REPRESENTATIVE = "owner_representative", _("owner representative")
    PROJECT_OWNER = "project_owner", _("project owner")
    BENEFIT_OWNER = "benefit_owner", _("benefit owner")
    COLLABORATION_ADMIN = "collaboration_admin", _("collaboration administrator")

    @classmethod
    def assignable_choices(cls):
        """Capacities held through a role assignment rather than a seat in a body."""
        assignable = {cls.OWNER_REPRESENTATIVE, cls.PROJECT_OWNER, cls.BENEFIT_OWNER, cls.COLLABORATION_ADMIN}
        return [(c.value, c.label) for c in cls if c in assignable]

    @classmethod
    def for_body_membership(cls, body_kind: str, role: str) -> "Capacity":
        if body_kind == "sector_group":
            return cls.SECTOR_LEAD if role == "lead" else cls.SECTOR_REPRESENTATIVE
        return {
            "portfolio_council": cls.COUNCIL_MEMBER,
            "board": cls.BOARD_MEMBER,
            "owners_meeting": cls.OWNER_REPRESENTATIVE,
        }[body_kind]
