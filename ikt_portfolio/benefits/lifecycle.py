"""A benefit's lifecycle as a workflow: identified → planned → being realised → realised / partly realised / not
realised → verified, or dropped (given up before it was realised, with the reason). The default routing is
`fixtures/benefit_lifecycle.json`; a collaboration may change it like any routing (new version in the Desk).

- `install_lifecycle_workflow`: the default routing as a new published version in a collaboration.
- `create_benefit`: every new benefit (the Desk, the API, the demo) is validated, saved, audited and put in the
  collaboration's active benefit routing in one transaction.
- `condition_values`: what the routing's conditions read, for many benefits in two queries:

  - ``has_indicator``: the benefit has at least one indicator;
  - ``has_targets``: every indicator has at least one member's target (a target always has its baseline, date
    and value), so the plan can be measured;
  - ``realisation``: the mean shown progress (0–100, `services.realisation` clamped) over all member targets
    of the benefit that have a measurement, each at its latest value; 0 when nothing is measured yet;
  - ``measured_members``: how many members have at least one measured target.

Who concludes and who verifies: the default routing lets the project's owner (document-relative: the owner of the
benefit's project, no other project owner) or the collaboration's administrator move a benefit up to a conclusion;
only an administrator verifies, and never the person who concluded it. The engine's self-approval rule is used for
that: the benefit's "own person" (`BenefitSubject.owner_person_id`) is whoever took the step into the concluded
state (`concluded_by`), and the verify transitions do not allow self-approval.
"""

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.projects import permissions as project_permissions
from ikt_portfolio.workflow import services as workflow

from . import services
from .models import Benefit, Indicator, Measurement, MemberTarget

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LIFECYCLE_FIXTURE = "benefit_lifecycle.json"
DOCUMENT_TYPE = "ikt_benefits.benefit"
CONCLUDED_STATES = ("realised", "partly_realised", "not_realised")
CONDITION_NAMES = frozenset({"has_indicator", "has_targets", "realisation", "measured_members"})


# ------------------------------------------------------------------------------------------ the routing


def lifecycle_workflow_data() -> dict:
    return json.loads((FIXTURES / LIFECYCLE_FIXTURE).read_text(encoding="utf-8"))


def install_lifecycle_workflow(collaboration, user=None, activate: bool = True):
    """Import the default lifecycle routing into `collaboration` (a new published version of it) and, unless
    `activate` is False, make it the routing new benefits follow. Returns the version."""
    return workflow.import_workflow(lifecycle_workflow_data(), collaboration, user, activate=activate)


def has_active_routing(collaboration_id: int) -> bool:
    from ikt_portfolio.workflow.models import Workflow

    return Workflow.objects.filter(
        collaboration_id=collaboration_id,
        document_type=DOCUMENT_TYPE,
        is_active=True,
        versions__status="published",
    ).exists()


# ------------------------------------------------------------------------------------------ creating


def create_benefit(project, user, **fields) -> Benefit:
    """A new benefit of `project`: validated (`full_clean`; a ValidationError writes nothing), saved with its
    audit record (who, in which capacity) and started in the collaboration's active benefit routing, in the
    initial state. If the collaboration has no active benefit routing yet, the default one
    (`fixtures/benefit_lifecycle.json`) is installed and made active first. Refused (PermissionDenied) unless
    the user is the project's owner or manager, an administrator of its collaboration or an IT operator."""
    if not project_permissions.may_edit(user, project):  # the benefits plan is part of the project record
        raise PermissionDenied(
            _("Only the project's owner and manager and the collaboration's administrators plan its benefits.")
        )
    benefit = Benefit(project=project, **fields)
    benefit.full_clean()
    with transaction.atomic(), acting_as(project_permissions.editing_capacity(user, project)):
        if not has_active_routing(project.collaboration_id):
            from ikt_portfolio.members.models import Collaboration

            # One installation at a time per collaboration: two first benefits made at once both see none.
            collaboration = Collaboration.objects.select_for_update().get(pk=project.collaboration_id)
            if not has_active_routing(collaboration.pk):
                install_lifecycle_workflow(collaboration, user, activate=True)
        benefit._history_user = user if getattr(user, "pk", None) else None
        benefit.save()
        workflow.start(benefit, user if getattr(user, "pk", None) else None)
    return benefit


# ------------------------------------------------------------------------------------------ conditions


def condition_values(benefits) -> dict[int, dict]:
    """{benefit id: the routing's condition variables} for many benefits, in two queries (see the module's
    docstring for what each means)."""
    ids = {getattr(b, "pk", b) for b in benefits}
    if not ids:
        return {}
    indicators: dict[int, set[int]] = {pk: set() for pk in ids}
    for benefit_id, indicator_id in Indicator.objects.filter(benefit_id__in=ids).values_list("benefit_id", "pk"):
        indicators[benefit_id].add(indicator_id)
    latest = Measurement.objects.filter(target=OuterRef("pk")).order_by("-period").values("value")[:1]
    targets = (
        MemberTarget.objects.filter(indicator__benefit_id__in=ids)
        .annotate(latest_value=Subquery(latest))
        .values_list(
            "indicator__benefit_id",
            "indicator_id",
            "indicator__direction",
            "municipality_id",
            "baseline_value",
            "target_value",
            "latest_value",
        )
    )
    with_targets: dict[int, set[int]] = {pk: set() for pk in ids}
    shown: dict[int, list[Decimal]] = {pk: [] for pk in ids}
    measured: dict[int, set[int]] = {pk: set() for pk in ids}
    for benefit_id, indicator_id, direction, municipality_id, baseline, target, value in targets:
        with_targets[benefit_id].add(indicator_id)
        progress = services.realisation(baseline, target, value, direction)
        if progress is not None:
            shown[benefit_id].append(progress.shown)
            measured[benefit_id].add(municipality_id)
    values = {}
    for pk in ids:
        levels = shown[pk]
        mean = sum(levels, Decimal(0)) / len(levels) if levels else Decimal(0)
        values[pk] = {
            "has_indicator": bool(indicators[pk]),
            "has_targets": bool(indicators[pk]) and indicators[pk] <= with_targets[pk],
            "realisation": int((mean * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
            "measured_members": len(measured[pk]),
        }
    return values


def concluded_by(benefits) -> dict[int, int | None]:
    """{benefit id: the person who took each concluded benefit into its conclusion} in one query (only benefits
    in a concluded state are looked up; None when the step was not taken by a person)."""
    from django.contrib.contenttypes.models import ContentType

    from ikt_portfolio.workflow.models import TransitionLog

    concluded = {b.pk: b.state for b in benefits if b.state in CONCLUDED_STATES}
    if not concluded:
        return {}
    found: dict[int, int | None] = dict.fromkeys(concluded)
    logs = (
        TransitionLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Benefit),
            object_id__in=concluded,
            to_state__in=CONCLUDED_STATES,
        )
        .order_by("object_id", "-at", "-pk")
        .values_list("object_id", "to_state", "actor__person__pk")
    )
    seen = set()
    for object_id, to_state, person_id in logs:
        if object_id in seen or to_state != concluded[object_id]:
            continue
        seen.add(object_id)
        found[object_id] = person_id
    return found


def lifecycle_state_names(benefits) -> None:
    """Give each benefit a `state_label` (its state's name in the reader's language, "" without a workflow) and
    `state_category`, in one query for all of them (none when no benefit is in a workflow)."""
    from django.utils.translation import get_language

    from ikt_portfolio.workflow.models import State

    benefits = [b for b in benefits if b is not None]
    versions = {b.workflow_version_id for b in benefits if b.workflow_version_id}
    names = {}
    if versions:
        language = (get_language() or "nb")[:2]
        for version_id, key, name, name_nn, name_en, category in State.objects.filter(
            version_id__in=versions
        ).values_list("version_id", "key", "name", "name_nn", "name_en", "category"):
            localized = {"nn": name_nn, "en": name_en}.get(language) or name
            names[(version_id, key)] = (localized, category)
    for benefit in benefits:
        label, category = names.get((benefit.workflow_version_id, benefit.state), (benefit.state or "", ""))
        benefit.state_label, benefit.state_category = label, category
