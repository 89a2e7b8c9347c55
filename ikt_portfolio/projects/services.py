"""The projects app's business rules. Every write is one transaction, checks who may do it (`permissions`),
validates its input and raises a translated error, writing nothing when it refuses.

- `create_project_from_needs`: approved needs become one project (their text, service areas, members,
  benefits and estimates carried over), each need taking the workflow's "convert" step; both link.
- `install_phase_workflow`: a phase routing (KS guide or Digdir) from `fixtures/`, with its gate checklists.
- `pass_gate`: a gate decided by one person, refused while its checklist is incomplete (naming what is
  missing); committee gates are refused by the engine through the condition `checklist_complete`.
- the record: participation, receiving projects, budget lines, actual costs, status reports, risks.
"""

import datetime
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.core.errors import DomainError
from ikt_portfolio.core.money import to_money
from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import Membership, Person
from ikt_portfolio.members.permissions import admin_collaboration_ids, has_capacity, is_operator, person_of
from ikt_portfolio.workflow import services as workflow

from . import permissions
from .models import (
    ActualCost,
    BudgetLine,
    ChecklistAnswer,
    GateChecklistItem,
    Participation,
    Project,
    Rag,
    ReceivingProject,
    Risk,
    StatusReport,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PHASE_WORKFLOWS = {"ks": "project_phases_ks.json", "digdir": "project_phases_digdir.json"}
DOCUMENT_TYPE = "ikt_projects.project"


class ProjectError(DomainError):
    """A refusal with a message for the user (already translated)."""


class ProjectRefused(ProjectError):
    status_code = 403


# ------------------------------------------------------------------------------------- phase workflows


def phase_workflow_data(name: str) -> dict:
    return json.loads((FIXTURES / PHASE_WORKFLOWS[name]).read_text(encoding="utf-8"))


def install_phase_workflow(collaboration, name: str = "ks", *, user=None, activate: bool = False):
    """Import a phase routing (a new published version) and its gate checklists; returns the version."""
    data = phase_workflow_data(name)
    with transaction.atomic():
        version = workflow.import_workflow(data, collaboration, user, activate=activate)
        load_checklists(version.workflow, data)
    return version


def load_checklists(phase_workflow, data: dict) -> int:
    """The "checklist" of each transition in fixture data as checklist items of `phase_workflow`."""
    count = 0
    for transition in data["transitions"]:
        for order, entry in enumerate(transition.get("checklist", ())):
            GateChecklistItem.objects.update_or_create(
                workflow=phase_workflow,
                from_state=transition["from"],
                action=transition["action"],
                key=entry["key"],
                defaults={
                    "name": entry["name"],
                    "name_nn": entry.get("name_nn", ""),
                    "name_en": entry.get("name_en", ""),
                    "order": order,
                },
            )
            count += 1
    return count


# ------------------------------------------------------------------------------------------ checklists


def checklist(project, action: str | None = None) -> list[tuple[GateChecklistItem, ChecklistAnswer | None]]:
    """The checklist items of the gates out of the project's current phase (of one gate with `action`), each
    with the project's answer or None. Two queries."""
    if not project.workflow_version_id:
        return []
    items = GateChecklistItem.objects.filter(
        workflow_id=project.workflow_version.workflow_id, from_state=project.state
    ).order_by("action", "order", "key")
    if action is not None:
        items = items.filter(action=action)
    items = list(items)
    answers = {
        answer.item_id: answer
        for answer in ChecklistAnswer.objects.filter(project=project, item__in=items).select_related("answered_by")
    }
    return [(item, answers.get(item.pk)) for item in items]


def missing_checklist_items(project, action: str | None = None) -> list[GateChecklistItem]:
    return [item for item, answer in checklist(project, action) if answer is None or not answer.done]


def condition_counts(projects) -> dict:
    """For many projects at once (three queries): whether the checklist of the gates out of each one's phase is
    complete, and how many members take part (not opted out). What the phase routing's conditions read."""
    projects = [project for project in projects if project.workflow_version_id]
    if not projects:
        return {}
    items = GateChecklistItem.objects.filter(
        workflow_id__in={project.workflow_version.workflow_id for project in projects},
        from_state__in={project.state for project in projects},
    ).values_list("pk", "workflow_id", "from_state")
    items_of: dict[tuple, set[int]] = {}
    for pk, workflow_id, state in items:
        items_of.setdefault((workflow_id, state), set()).add(pk)
    done: dict[int, set[int]] = {}
    for project_id, item_id in ChecklistAnswer.objects.filter(
        project__in=projects, done=True, item_id__in={pk for pks in items_of.values() for pk in pks}
    ).values_list("project_id", "item_id"):
        done.setdefault(project_id, set()).add(item_id)
    participants = dict(
        Participation.objects.filter(project__in=projects)
        .exclude(status="opts_out")
        .values("project_id")
        .annotate(n=Count("pk"))
        .values_list("project_id", "n")
    )
    return {
        project: {
            "checklist_complete": items_of.get((project.workflow_version.workflow_id, project.state), set())
            <= done.get(project.pk, set()),
            "participants": participants.get(project.pk, 0),
        }
        for project in projects
    }


def missing_message(missing) -> str:
    return _("The gate's checklist is not complete. Missing: %(items)s.") % {
        "items": "; ".join(item.localized_name for item in missing)
    }


def answer_checklist(project, item: GateChecklistItem, user, *, done: bool, note: str = "") -> ChecklistAnswer:
    _check_edit(project, user)
    if item.workflow_id != project.workflow_version.workflow_id or item.from_state != project.state:
        raise ValidationError(_("The checklist item belongs to another phase."))
    with transaction.atomic(), acting_as(permissions.editing_capacity(user, project)):
        answer, _created = ChecklistAnswer.objects.update_or_create(
            project=project, item=item, defaults={"done": bool(done), "note": note[:500], "answered_by": user}
        )
    return answer


def pass_gate(project, action: str, user, *, comment: str = "", revision: int | None = None):
    """Take a gate (or any step) decided by one person: refused while the gate's checklist is incomplete."""
    with transaction.atomic():
        fresh = Project.objects.select_related("workflow_version__workflow").get(pk=project.pk)
        missing = missing_checklist_items(fresh, action)
        if missing:
            raise workflow.ActionRefused(missing_message(missing))
        return workflow.perform(project, action, user, comment=comment, revision=revision)


# ------------------------------------------------------------------------------------- from needs


def may_convert(need, user) -> bool:
    if need.state != "approved":
        return False
    return any(option.action == "convert" and option.allowed for option in workflow.available_actions(need, user))


def _sum(values):
    values = [v for v in values if v is not None]
    return sum(values, Decimal(0)) if values else None


def _carried_description(needs) -> str:
    parts = []
    for need in needs:
        text = need.problem
        if need.desired_outcome:
            text += "\n\n" + need.desired_outcome
        parts.append(text if len(needs) == 1 else f"{need.reference}: {need.title}\n\n{text}")
    return "\n\n".join(parts)


def _carried_benefits(needs) -> str:
    lines = []
    for need in needs:
        if need.expected_benefit:
            lines.append(f"{need.reference} ({need.municipality}): {need.expected_benefit}")
        for co_sign in need.co_signs.all():
            if co_sign.expected_benefit:
                lines.append(f"{need.reference} ({co_sign.municipality}): {co_sign.expected_benefit}")
    return "\n".join(lines)


def _next_number(collaboration_id: int) -> int:
    return (Project.objects.filter(collaboration_id=collaboration_id).aggregate(n=Max("number"))["n"] or 0) + 1


def create_project_from_needs(needs, user, *, title: str = "", owner=None, manager=None, comment: str = "") -> Project:
    """One project from approved needs: each need takes the workflow's "convert" step (refused unless the user
    may convert it now), the project carries over their description, service areas, members (the submitters'
    and co-signers' municipalities, proposed), expected benefits and estimates, and starts in its phase
    routing. All in one transaction: a refusal writes nothing."""
    from ikt_portfolio.needs.models import Need

    needs = list(
        Need.objects.filter(pk__in=[getattr(n, "pk", n) for n in needs])
        .select_related("collaboration", "municipality", "service_area", "workflow_version")
        .prefetch_related("co_signs__municipality")
        .order_by("number")
    )
    if not needs:
        raise ValidationError(_("Choose at least one approved need."))
    collaboration = needs[0].collaboration
    if any(need.collaboration_id != collaboration.pk for need in needs):
        raise ValidationError(_("The needs belong to different collaborations."))
    for need in needs:
        if need.state != "approved":
            raise ValidationError(
                _("%(need)s is not approved (it is “%(state)s”); only approved needs become projects.")
                % {"need": need.reference, "state": workflow.current_state(need)}
            )
        option = next(
            (o for o in workflow.available_actions(need, user, with_warnings=False) if o.action == "convert"), None
        )
        if option is None or not option.allowed:
            raise ProjectRefused(
                (option.reason if option is not None else "")
                or _("You may not make %(need)s into a project.") % {"need": need.reference}
            )
    person = person_of(user)
    if owner is None and person is not None and has_capacity(user, Capacity.PROJECT_OWNER, collaboration.pk):
        owner = person
    for chosen, field in ((owner, "owner"), (manager, "manager")):
        if chosen is not None and not Person.objects.filter(pk=chosen.pk).visible_to(user).exists():
            raise ValidationError({field: _("Choose a person of the collaboration.")})
    members = set(
        Membership.objects.active_on().filter(collaboration=collaboration).values_list("municipality_id", flat=True)
    )
    municipalities = []
    for need in needs:
        for municipality_id in [need.municipality_id, *(c.municipality_id for c in need.co_signs.all())]:
            if municipality_id in members and municipality_id not in municipalities:
                municipalities.append(municipality_id)
    project = Project(
        collaboration=collaboration,
        title=(title or needs[0].title)[:200],
        description=_carried_description(needs),
        expected_benefits=_carried_benefits(needs),
        expected_benefit_nok=_sum(n.expected_benefit_nok for n in needs),
        estimated_cost=_sum(n.estimated_cost for n in needs),
        estimated_effort=_sum(n.estimated_effort for n in needs),
        owner=owner,
        manager=manager,
        created_by=user,
    )
    capacity = (
        Capacity.COLLABORATION_ADMIN if collaboration.pk in admin_collaboration_ids(user) else Capacity.PROJECT_OWNER
    )
    with transaction.atomic(), acting_as("operator" if is_operator(user) else capacity):
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    project.number = _next_number(collaboration.pk)
                    project.save()
                break
            except IntegrityError:  # numbered at the same time as another: take the next number
                project.pk = None
        else:
            raise ValidationError(_("The project could not be numbered; please try again."))
        project.service_areas.set({need.service_area_id for need in needs})
        project.needs.set(needs)
        Participation.objects.bulk_create(Participation(project=project, municipality_id=m) for m in municipalities)
        workflow.start(project, user)
        note = comment or _("Made into the project %(project)s.") % {"project": project.reference}
        for need in needs:
            workflow.act(need, "convert", user, comment=note)
    return project


# ---------------------------------------------------------------------------------------- the record


def _check_edit(project, user) -> None:
    if not permissions.may_edit(user, project):
        raise ProjectRefused(
            _("Only the project's owner and manager and the collaboration's administrators can change it.")
        )


def _write(project, user):
    return acting_as(permissions.editing_capacity(user, project))


def _clean(instance, exclude=()) -> None:
    instance.full_clean(exclude=list(exclude), validate_unique=False)


def update_project(project, user, **changes) -> Project:
    allowed = {"title", "description", "owner", "manager", "expected_benefits", "expected_benefit_nok",
               "estimated_cost", "estimated_effort"}  # fmt: skip
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    _check_edit(project, user)
    for name, value in changes.items():
        setattr(project, name, value)
    _clean(project, exclude=["number"])
    with transaction.atomic(), _write(project, user):
        project.save()
    return project


def set_participation(
    project, municipality, user, *, status: str, postponed_until: datetime.date | None = None, reason: str = ""
) -> Participation:
    """A member's decision: take part, postpone (to a future date) or opt out (with a reason)."""
    _check_edit(project, user)
    errors = {}
    reason = (reason or "").strip()
    if status not in Participation.Status.values:
        errors["status"] = _("Choose whether the member takes part, postpones or opts out.")
    elif status == Participation.Status.POSTPONES:
        if postponed_until is None:
            errors["postponed_until"] = _("Say until when the member postpones.")
        elif postponed_until <= timezone.localdate():
            errors["postponed_until"] = _("The date the member postpones to must be in the future.")
    elif status == Participation.Status.OPTS_OUT and not reason:
        errors["reason"] = _("Give the reason the member opts out.")
    if (
        not Membership.objects.active_on()
        .filter(collaboration_id=project.collaboration_id, municipality=municipality)
        .exists()
    ):
        errors["municipality"] = _("%(municipality)s is not a member of the collaboration.") % {
            "municipality": municipality
        }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), _write(project, user):
        participation, _created = Participation.objects.update_or_create(
            project=project,
            municipality=municipality,
            defaults={
                "status": status,
                "postponed_until": postponed_until if status == Participation.Status.POSTPONES else None,
                "reason": reason,
                "decided_at": timezone.now(),
                "decided_by": user,
            },
        )
    return participation


def save_receiving_project(
    project, municipality, user, *, owner=None, status: str = ReceivingProject.Status.NOT_STARTED, notes: str = ""
) -> ReceivingProject:
    _check_edit(project, user)
    if (
        not project.participations.filter(municipality=municipality)
        .exclude(status=Participation.Status.OPTS_OUT)
        .exists()
    ):
        raise ValidationError(
            {"municipality": _("A receiving project belongs to a member that takes part in the project.")}
        )
    receiving = ReceivingProject.objects.filter(project=project, municipality=municipality).first() or ReceivingProject(
        project=project, municipality=municipality
    )
    receiving.owner, receiving.status, receiving.notes = owner, status, notes
    _clean(receiving)
    with transaction.atomic(), _write(project, user):
        receiving.save()
    return receiving


def _money(value, field: str = "amount") -> Decimal:
    try:
        amount = to_money(value if not isinstance(value, str) else value.strip().replace(" ", "").replace(",", "."))
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ValidationError({field: _("Give an amount in kroner, e.g. 125000 or 125000,50.")}) from error
    if amount < 0:
        raise ValidationError({field: _("The amount cannot be negative.")})
    return amount


def set_budget_line(project, user, *, year: int, kind: str, amount, note: str = "", key=None) -> BudgetLine:
    """The budget of one year and kind (a second entry for the same year and kind replaces the first), split
    between the participating members by `key` (a cost-sharing key of the project's collaboration)."""
    _check_edit(project, user)
    amount = _money(amount)
    if key is not None and key.collaboration_id != project.collaboration_id:
        raise ValidationError({"key": _("The cost-sharing key belongs to another collaboration.")})
    line = BudgetLine.objects.filter(project=project, year=year, kind=kind).first() or BudgetLine(
        project=project, year=year, kind=kind
    )
    line.amount, line.note, line.key = amount, note, key
    _clean(line)
    with transaction.atomic(), _write(project, user):
        line.save()
    return line


def add_actual_cost(
    project, user, *, date, amount, description: str, kind: str = BudgetLine.Kind.INVESTMENT
) -> ActualCost:
    _check_edit(project, user)
    cost = ActualCost(project=project, date=date, amount=_money(amount), description=description, kind=kind)
    _clean(cost)
    with transaction.atomic(), _write(project, user):
        cost.save()
    return cost


def add_status_report(project, user, *, scope: str, time: str, cost: str, benefits: str, comment: str,
                      period_end: datetime.date | None = None) -> StatusReport:  # fmt: skip
    _check_edit(project, user)
    report = StatusReport(
        project=project,
        period_end=period_end or timezone.localdate(),
        scope=scope,
        time=time,
        cost=cost,
        benefits=benefits,
        comment=(comment or "").strip(),
        reported_by=user,
    )
    _clean(report)
    with transaction.atomic(), _write(project, user):
        report.save()
    return report


def add_risk(project, user, *, description: str, probability: int, consequence: int, owner=None,
             mitigation: str = "", status: str = Risk.Status.OPEN) -> Risk:  # fmt: skip
    _check_edit(project, user)
    risk = Risk(
        project=project,
        description=(description or "").strip(),
        probability=probability,
        consequence=consequence,
        owner=owner,
        mitigation=mitigation,
        status=status,
    )
    _clean(risk)
    with transaction.atomic(), _write(project, user):
        risk.save()
    return risk


RAG_ORDER = {Rag.GREEN: 0, Rag.AMBER: 1, Rag.RED: 2}
