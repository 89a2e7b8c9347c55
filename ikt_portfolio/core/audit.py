"""Audit trail: every model keeps a full history (django-simple-history) of who changed what, when, and
in what capacity.

The capacity is whatever the acting code declared with `acting_as(...)` (a service acting for a council
member, the Desk acting for a collaboration administrator); history rows made outside such a block record
an empty capacity. Use `audited()` instead of `HistoricalRecords()` on every model.
"""

import contextlib
import contextvars

from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

_capacity: contextvars.ContextVar[str] = contextvars.ContextVar("ikt_acting_capacity", default="")


@contextlib.contextmanager
def acting_as(capacity: str):
    """Record `capacity` on every history row written inside the block."""
    token = _capacity.set(str(capacity))
    try:
        yield
    finally:
        _capacity.reset(token)


def current_capacity() -> str:
    return _capacity.get()


SYSTEM_CAPACITIES = {
    "operator": _("IT operator"),
    "desk": _("Desk user"),
    "demo": _("demo data"),
}


def capacity_label(key: str) -> str:
    """The capacity recorded on a history row, in the reader's language."""
    from ikt_portfolio.members.capacities import Capacity
    from ikt_portfolio.members.models import Body

    if key in Capacity.values:
        return str(Capacity(key).label)
    if key.startswith("committee:") and key[10:] in Body.Kind.values:
        return str(Body.Kind(key[10:]).label)
    return str(SYSTEM_CAPACITIES.get(key, key))


class HistoricalCapacity(models.Model):
    history_capacity = models.CharField(_("in the capacity of"), max_length=100, blank=True)

    class Meta:
        abstract = True


def audited(**kwargs) -> HistoricalRecords:
    return HistoricalRecords(bases=[HistoricalCapacity], **kwargs)


@receiver(pre_create_historical_record)
def _record_capacity(sender, history_instance, **kwargs):
    if hasattr(history_instance, "history_capacity"):
        history_instance.history_capacity = current_capacity()
