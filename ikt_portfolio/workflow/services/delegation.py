"""Delegation: a person lets a substitute act in their capacities for a period; revocable, audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.members.permissions import admin_collaboration_ids, collaboration_ids, is_operator, person_of

from ..models import Delegation


def delegate(*, delegator, delegate, collaboration, valid_from, valid_to, capacities=(), reason="", by) -> Delegation:
    """Record a delegation. Made by the delegator themselves or by the collaboration's administrator."""
    acting = person_of(by)
    if not (
        is_operator(by)
        or (acting is not None and acting.pk == delegator.pk)
        or collaboration.pk in admin_collaboration_ids(by)
    ):
        raise ValidationError(_("Only the person themselves or an administrator can delegate their capacities."))
    if collaboration.pk not in collaboration_ids(delegate.user):
        raise ValidationError({"delegate": _("The substitute does not belong to this collaboration.")})
    delegation = Delegation(
        collaboration=collaboration,
        delegator=delegator,
        delegate=delegate,
        valid_from=valid_from,
        valid_to=valid_to,
        capacities=list(capacities),
        reason=reason,
    )
    delegation.full_clean()
    with (
        transaction.atomic(),
        acting_as("delegator" if acting and acting.pk == delegator.pk else "collaboration_admin"),
    ):
        delegation.save()
    return delegation


def revoke(delegation: Delegation, *, by) -> Delegation:
    acting = person_of(by)
    allowed = is_operator(by) or (acting is not None and acting.pk == delegation.delegator_id)
    allowed = allowed or delegation.collaboration_id in admin_collaboration_ids(by)
    if not allowed:
        raise ValidationError(_("Only the person themselves or an administrator can revoke a delegation."))
    if delegation.revoked_at is not None:
        raise ValidationError(_("The delegation is already revoked."))
    capacity = "delegator" if acting is not None and acting.pk == delegation.delegator_id else "collaboration_admin"
    with transaction.atomic(), acting_as("operator" if is_operator(by) else capacity):
        delegation.revoked_at = timezone.now()
        delegation.revoked_by = by
        delegation.save(update_fields=["revoked_at", "revoked_by"])
    return delegation
