"""Business rules of needs: reporting one (numbered per collaboration, straight into its workflow)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.permissions import has_capacity, person_of
from ikt_portfolio.workflow import services as workflow

from .models import Need


def create_need(*, user, collaboration, goals=(), **fields) -> Need:
    """A draft need by `user` for their municipality, in the collaboration's active workflow."""
    person = person_of(user)
    if person is None or not person.municipality_id or not has_capacity(user, Capacity.SUBMITTER, collaboration.pk):
        raise ValidationError(_("Only people employed by a member municipality can report needs."))
    need = Need(collaboration=collaboration, submitted_by=person, municipality_id=person.municipality_id, **fields)
    need.number = 0
    need.full_clean(exclude=["number"])
    for _attempt in range(5):
        try:
            with transaction.atomic(), acting_as(Capacity.SUBMITTER):
                need.number = (
                    Need.objects.filter(collaboration=collaboration).aggregate(n=Max("number"))["n"] or 0
                ) + 1
                need.save()
                if goals:
                    need.goals.set(goals)
                workflow.start(need, user)
            return need
        except IntegrityError:  # two needs numbered at once: take the next number
            need.pk = None
            continue
    raise ValidationError(_("The need could not be numbered; please try again."))
