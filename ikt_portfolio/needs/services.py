"""Business rules of needs: reporting, co-signing, commenting and following."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.permissions import collaboration_ids, has_capacity, person_of
from ikt_portfolio.workflow import services as workflow

from .models import Comment, CoSign, Follow, Need


def _check_goals(collaboration_id: int, goals) -> None:
    if any(goal.collaboration_id != collaboration_id for goal in goals):
        raise ValidationError({"goals": _("A goal belongs to another collaboration.")})


def create_need(*, user, collaboration, goals=(), **fields) -> Need:
    """A draft need by `user` for their municipality, in the collaboration's active workflow."""
    person = person_of(user)
    if person is None or not person.municipality_id or not has_capacity(user, Capacity.SUBMITTER, collaboration.pk):
        raise ValidationError(_("Only people employed by a member municipality can report needs."))
    _check_goals(collaboration.pk, goals)
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


def update_need(need: Need, *, user, **changes) -> Need:
    """Change a need's fields as the workflow allows in its current state (who, and which fields).

    Decided on the need as stored now (locked), so a workflow step taken meanwhile is respected. Raises
    workflow.ActionRefused (naming the state and the refused fields) or ValidationError; nothing is written
    unless everything is allowed and valid.
    """
    with transaction.atomic():
        need = Need.objects.select_for_update().select_related("workflow_version").get(pk=need.pk)
        changes = {name: value for name, value in changes.items() if _differs(need, name, value)}
        if not changes:
            return need
        capacity = _editing_capacity(need, user, changes)
        goals = changes.pop("goals", None)
        if goals is not None:
            _check_goals(need.collaboration_id, goals)
        for name, value in changes.items():
            setattr(need, name, value)
        need.full_clean(exclude=["number"])
        with acting_as(capacity):
            need.save()
            if goals is not None:
                need.goals.set(goals)
    return need


def _differs(need: Need, name: str, value) -> bool:
    if name == "goals":
        return {goal.pk for goal in value} != set(need.goals.values_list("pk", flat=True))
    return getattr(need, name) != value


def _editing_capacity(need: Need, user, changes: dict) -> str:
    state = workflow.current_state(need)
    if not workflow.may_edit(need, user):
        raise workflow.ActionRefused(
            _("You may not change this need while it is “%(state)s”.") % {"state": state.localized_name}
        )
    refused = [name for name in changes if not workflow.may_edit(need, user, name)]
    if refused:
        names = ", ".join(str(Need._meta.get_field(name).verbose_name) for name in refused)
        raise workflow.ActionRefused(
            _("While the need is “%(state)s” you may not change: %(fields)s.")
            % {"state": state.localized_name, "fields": names}
        )
    standing = workflow.standings(user, need, state.edit_capacities)
    return standing[0].capacity if standing else ""


def _open_for_participation(need: Need) -> None:
    state = workflow.current_state(need)
    if state.is_final or need.state == "draft" or state.key == "draft":
        raise ValidationError(_("The need is not open for this now (it is “%(state)s”).") % {"state": state})


def co_sign(need: Need, *, user, expected_benefit: str = "", affected_count: int | None = None) -> CoSign:
    """“We have this need too”: one co-signature per member municipality, not the submitter's own."""
    person = person_of(user)
    if person is None or not person.municipality_id:
        raise ValidationError(_("Only people employed by a member municipality can co-sign."))
    if not has_capacity(user, Capacity.SUBMITTER, need.collaboration_id):
        raise ValidationError(_("Your municipality is not a member of this collaboration."))
    if person.municipality_id == need.municipality_id:
        raise ValidationError(_("Your municipality reported this need; it cannot co-sign it as well."))
    _open_for_participation(need)
    if CoSign.objects.filter(need=need, municipality_id=person.municipality_id).exists():
        raise ValidationError(_("Your municipality has already co-signed this need."))
    signature = CoSign(
        need=need,
        municipality_id=person.municipality_id,
        person=person,
        expected_benefit=expected_benefit,
        affected_count=affected_count,
    )
    signature.full_clean()
    try:
        with transaction.atomic(), acting_as(Capacity.SUBMITTER):
            signature.save()
            Follow.objects.get_or_create(need=need, user=user)
    except IntegrityError as error:  # a colleague co-signed at the same moment
        raise ValidationError(_("Your municipality has already co-signed this need.")) from error
    return signature


def add_comment(need: Need, *, user, body: str, is_question: bool = False) -> Comment:
    """Anyone in the collaboration may comment; questions to the submitter come from its sector group."""
    person = person_of(user)
    if person is None or need.collaboration_id not in collaboration_ids(user):
        raise ValidationError(_("Only people in the collaboration can comment."))
    capacity = ""
    for candidate in (Capacity.SECTOR_LEAD, Capacity.SECTOR_REPRESENTATIVE):
        if workflow.standings(user, need, [candidate]):
            capacity = candidate
            break
    if is_question and not capacity:
        raise ValidationError(_("Only the sector group asks the submitter questions."))
    if person.pk == need.submitted_by_id:
        capacity = Capacity.SUBMITTER
    comment = Comment(need=need, author=person, capacity=capacity, body=body.strip(), is_question=is_question)
    comment.full_clean()
    with transaction.atomic(), acting_as(capacity or "participant"):
        comment.save()
    return comment


def follow(need: Need, *, user) -> Follow:
    if need.collaboration_id not in collaboration_ids(user):
        raise ValidationError(_("Only people in the collaboration can follow a need."))
    return Follow.objects.get_or_create(need=need, user=user)[0]


def unfollow(need: Need, *, user) -> None:
    Follow.objects.filter(need=need, user=user).delete()
