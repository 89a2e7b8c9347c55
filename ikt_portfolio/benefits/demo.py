"""Demo: benefits plans on the demo's projects (`<fixtures_dir>/benefits.yaml`): benefits with and without
indicators, every participating member's baseline two years ago, target a year ahead and benefit owner, and a
measurement for every period since the baseline, recorded through `services.record_measurement`. Halsa, a small
member whose benefit owner is the demo user `gevinst.halsa`, gains little.

The benefits follow the default lifecycle routing (installed and active) and are made by `lifecycle.create_benefit`;
the engine then moves them as far as `LIFECYCLE` (or a benefit's own `lifecycle` key in the fixture) says: the
project owner plans, starts and concludes, the administrator (`admin`) verifies. Benefits without an indicator stay
identified (they cannot be planned); a benefit to be realised and verified reaches its target in every member. The
steps are dated as if taken around the baseline and in the last month, the way the needs' demo dates its steps."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ikt_portfolio.core.demo import DemoDataError, demo_reset, demo_step, read_yaml_fixture
from ikt_portfolio.core.errors import DomainError
from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import Person, RoleAssignment, ServiceArea
from ikt_portfolio.projects.models import Participation, Project
from ikt_portfolio.workflow import services as workflow

from . import lifecycle, services
from .models import Benefit, Indicator, Measurement, MemberTarget

FIXTURE_FILE = "benefits.yaml"
VERIFIER = "admin"

# How far each benefit of the fixture goes, by (project, benefit) position; a benefit's `lifecycle` key wins.
LIFECYCLE = {
    (0, 0): "planned",  # the first project is still in its pre-phase
    (1, 0): "being_realised",
    (1, 1): "verified",  # realised, and verified by the administrator
    (2, 1): "being_realised",
}
# The steps to each state from "identified": (action, who, comment, when), when being ("baseline", days after the
# baseline) or ("ago", days before today).
PLAN = [("plan", "owner", "", ("baseline", -30)), ("start_realisation", "owner", "", ("baseline", 0))]
PATHS = {
    "identified": [],
    "planned": PLAN[:1],
    "being_realised": PLAN,
    "partly_realised": [*PLAN, ("conclude_partly", "owner", "Målet er bare delvis nådd.", ("ago", 30))],
    "verified": [
        *PLAN,
        ("conclude_realised", "owner", "Alle deltakende kommuner har nådd målet.", ("ago", 30)),
        ("verify", VERIFIER, "Kontrollert mot avvikssystemet i hver kommune.", ("ago", 7)),
    ],
}


def _owners(collaboration) -> dict[int, Person]:
    """Each member's benefit owner: whoever holds the capacity for it, else the first person working there."""
    owners: dict[int, Person] = {}
    for assignment in RoleAssignment.objects.filter(
        collaboration=collaboration, capacity=Capacity.BENEFIT_OWNER, municipality__isnull=False
    ).select_related("person__user"):
        if assignment.person.municipality_id == assignment.municipality_id:
            owners.setdefault(assignment.municipality_id, assignment.person)
    for person in Person.objects.filter(municipality__isnull=False).select_related("user").order_by("pk"):
        owners.setdefault(person.municipality_id, person)
    return owners


def _periods(first: datetime.date, today: datetime.date, schedule: str) -> list[datetime.date]:
    periods, period = [], first
    last = services.period_start(services.period_start(today, schedule) - datetime.timedelta(days=1), schedule)
    while period <= last:
        periods.append(period)
        period = services.next_period(period, schedule)
    return periods


def _measure(target: MemberTarget, user, reached: Decimal, today: datetime.date) -> int:
    periods = _periods(services.period_start(target.baseline_date, target.indicator.schedule), today,
                       target.indicator.schedule)  # fmt: skip
    step = target.target_value - target.baseline_value
    for index, period in enumerate(periods):
        share = reached * Decimal(index) / Decimal(max(len(periods) - 1, 1))
        wobble = Decimal((index * 7) % 5 - 2) / Decimal(100)  # a little noise, the same on every run
        value = (target.baseline_value + step * (share + wobble)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        services.record_measurement(target, user, period, max(value, Decimal(0)))
    return len(periods)


@demo_step(
    order=45,
    label=gettext_lazy("Benefits: benefits plans, each member's targets and two years of measurements."),
)
def load_benefits(context: dict, out) -> None:
    data = read_yaml_fixture(context, FIXTURE_FILE, {"projects": list})
    collaboration = context["collaboration"]
    today = timezone.localdate()
    baseline = datetime.date(today.year - 2, today.month, 1)
    progress = data.get("progress", {})
    areas = {area.code: area for area in ServiceArea.objects.filter(collaboration=collaboration)}
    owners = _owners(collaboration)
    if not lifecycle.has_active_routing(collaboration.pk):
        lifecycle.install_lifecycle_workflow(collaboration, context["users"].get(VERIFIER), activate=True)
    projects = list(
        Project.objects.filter(collaboration=collaboration).select_related("owner__user").order_by("number")
    )
    counts = {"benefits": 0, "targets": 0, "measurements": 0}
    try:
        for project_index, (project, spec) in enumerate(zip(projects, data["projects"], strict=False)):
            members = [
                p.municipality
                for p in project.participations.exclude(status=Participation.Status.OPTS_OUT).select_related(
                    "municipality"
                )
            ]
            for benefit_index, item in enumerate(spec.get("benefits", [])):
                benefit = lifecycle.create_benefit(
                    project,
                    project.owner.user,
                    name=item["name"],
                    type=item["type"],
                    gain=item.get("gain", Benefit.Gain.NONE),
                    monetary=bool(item.get("monetary")),
                    yearly_value=Decimal(str(item["yearly_value"])) if item.get("yearly_value") else None,
                    service_area=areas.get(item.get("service_area")),
                    description=item.get("description", ""),
                )
                counts["benefits"] += 1
                goal = item.get("lifecycle") or LIFECYCLE.get((project_index, benefit_index), "identified")
                if goal not in PATHS:
                    raise KeyError(goal)
                for row in item.get("indicators", []):
                    indicator = Indicator(
                        benefit=benefit,
                        name=row["name"],
                        unit=row["unit"],
                        direction=row["direction"],
                        schedule=row["schedule"],
                        method=row.get("method", ""),
                        plausible_min=Decimal(str(row["plausible_min"])) if "plausible_min" in row else None,
                        plausible_max=Decimal(str(row["plausible_max"])) if "plausible_max" in row else None,
                    )
                    indicator.full_clean()
                    indicator.save()
                    for municipality in members:
                        owner = owners.get(municipality.pk)
                        target = MemberTarget(
                            indicator=indicator,
                            municipality=municipality,
                            baseline_date=baseline,
                            baseline_value=Decimal(str(row["baseline"])),
                            target_value=Decimal(str(row["target"])),
                            target_date=datetime.date(today.year + 1, 12, 31),
                            owner=owner,
                        )
                        target.full_clean()
                        target.save()
                        counts["targets"] += 1
                        reached = Decimal(str(progress.get(municipality.number, progress.get("default", "0.5"))))
                        if goal == "verified":
                            reached = max(reached, Decimal(1))  # realised: every member reached its target
                        user = owner.user if owner is not None else project.owner.user
                        counts["measurements"] += _measure(target, user, reached, today)
                _move(context, benefit, project.owner.user, PATHS[goal], baseline)
                counts[goal] = counts.get(goal, 0) + 1
    except (ValidationError, DomainError, KeyError, TypeError, AttributeError) as error:
        raise DemoDataError(
            _("The demo fixture %(path)s cannot be read: %(error)s")
            % {"path": context["fixtures_dir"] / FIXTURE_FILE, "error": error}
        ) from error
    out.write(
        "  "
        + ngettext("%(count)d benefit", "%(count)d benefits", counts["benefits"]) % {"count": counts["benefits"]}
        + ", "
        + ngettext("%(count)d member target", "%(count)d member targets", counts["targets"])
        % {"count": counts["targets"]}
        + ", "
        + ngettext("%(count)d measurement", "%(count)d measurements", counts["measurements"])
        % {"count": counts["measurements"]}
        + "\n"
    )
    moved = {goal: counts.get(goal, 0) for goal in PATHS if counts.get(goal)}
    out.write("  " + _("Benefit lifecycle: %(states)s") % {"states": ", ".join(f"{k} {v}" for k, v in moved.items())}
              + "\n")  # fmt: skip


def _move(context, benefit, owner_user, steps, baseline: datetime.date) -> None:
    """Take the benefit's steps with the engine, then date them: the plan a month before the baseline, the start
    of realisation at the baseline, the conclusion and verification in the last month (an explicit UPDATE, the way
    the needs' and projects' demos date their steps)."""
    from ikt_portfolio.workflow.models import TransitionLog

    now = timezone.now()
    at_baseline = timezone.make_aware(datetime.datetime.combine(baseline, datetime.time(10)))
    moments = {}
    for action, who, comment, (anchor, days) in steps:
        user = owner_user if who == "owner" else context["users"].get(who)
        if user is None:
            raise DemoDataError(_("The demo user %(username)s does not exist.") % {"username": who})
        log = workflow.perform(benefit, action, user, comment=comment)
        offset = datetime.timedelta(days=days)
        moments[log.pk] = at_baseline + offset if anchor == "baseline" else now - offset
    logs = TransitionLog.objects.of(benefit)
    logs.filter(action="start").update(at=at_baseline - datetime.timedelta(days=45))
    for pk, moment in moments.items():
        logs.filter(pk=pk).update(at=moment)
    if moments:
        Benefit.objects.filter(pk=benefit.pk).update(state_entered_at=moments[max(moments)])
    else:
        Benefit.objects.filter(pk=benefit.pk).update(state_entered_at=at_baseline - datetime.timedelta(days=45))


@demo_reset(order=45, label=gettext_lazy("Benefits: the demo projects' benefits plans and measurements."))
def reset_benefits(context: dict, out) -> None:
    from django.contrib.contenttypes.models import ContentType

    from ikt_portfolio.members.demo import read_fixture
    from ikt_portfolio.workflow.models import TransitionLog

    short_name = read_fixture(context)["collaboration"]["short_name"]
    benefits = Benefit.objects.filter(project__collaboration__short_name=short_name)
    TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Benefit),
        object_id__in=list(benefits.values_list("pk", flat=True)),
    ).delete()
    Measurement.objects.filter(target__indicator__benefit__in=benefits).delete()
    MemberTarget.objects.filter(indicator__benefit__in=benefits).delete()
    _total, counts = benefits.delete()
    count = counts.get(Benefit._meta.label, 0)
    out.write(
        "  " + ngettext("%(count)d benefit deleted", "%(count)d benefits deleted", count) % {"count": count} + "\n"
    )
