"""Demo: benefits plans on the demo's projects (`<fixtures_dir>/benefits.yaml`): benefits with and without
indicators, every participating member's baseline two years ago, target a year ahead and benefit owner, and a
measurement for every period since the baseline, recorded through `services.record_measurement`. Halsa, a small
member whose benefit owner is the demo user `gevinst.halsa`, gains little."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ikt_portfolio.core.demo import DemoDataError, demo_reset, demo_step, read_yaml_fixture
from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import Person, RoleAssignment, ServiceArea
from ikt_portfolio.projects.models import Participation, Project

from . import services
from .models import Benefit, Indicator, Measurement, MemberTarget

FIXTURE_FILE = "benefits.yaml"


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
    projects = list(
        Project.objects.filter(collaboration=collaboration).select_related("owner__user").order_by("number")
    )
    counts = {"benefits": 0, "targets": 0, "measurements": 0}
    try:
        for project, spec in zip(projects, data["projects"], strict=False):
            members = [
                p.municipality
                for p in project.participations.exclude(status=Participation.Status.OPTS_OUT).select_related(
                    "municipality"
                )
            ]
            for item in spec.get("benefits", []):
                benefit = Benefit(
                    project=project,
                    name=item["name"],
                    type=item["type"],
                    gain=item.get("gain", Benefit.Gain.NONE),
                    monetary=bool(item.get("monetary")),
                    yearly_value=Decimal(str(item["yearly_value"])) if item.get("yearly_value") else None,
                    service_area=areas.get(item.get("service_area")),
                    description=item.get("description", ""),
                )
                benefit.full_clean()
                benefit.save()
                counts["benefits"] += 1
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
                        user = owner.user if owner is not None else project.owner.user
                        counts["measurements"] += _measure(target, user, reached, today)
    except (ValidationError, KeyError, TypeError, AttributeError) as error:
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


@demo_reset(order=45, label=gettext_lazy("Benefits: the demo projects' benefits plans and measurements."))
def reset_benefits(context: dict, out) -> None:
    from ikt_portfolio.members.demo import read_fixture

    short_name = read_fixture(context)["collaboration"]["short_name"]
    benefits = Benefit.objects.filter(project__collaboration__short_name=short_name)
    Measurement.objects.filter(target__indicator__benefit__in=benefits).delete()
    MemberTarget.objects.filter(indicator__benefit__in=benefits).delete()
    _total, counts = benefits.delete()
    count = counts.get(Benefit._meta.label, 0)
    out.write(
        "  " + ngettext("%(count)d benefit deleted", "%(count)d benefits deleted", count) % {"count": count} + "\n"
    )
