"""A benefits world: in collaboration A a project in which Smøla and Sunndal take part and Kristiansund opted out,
a budget line of 300 000 split equally (Smøla and Sunndal pay 150 000 each), a monetary benefit worth 100 000 a
year per member with one indicator (hours saved per month, higher is better, plausible 0–1000, monthly), each
participant's target (baseline 10 → target 50) and a benefit owner in Smøla; and a benefit without indicator."""

import datetime
from decimal import Decimal

import pytest

from ikt_portfolio.benefits.models import Benefit, Indicator, MemberTarget
from ikt_portfolio.costs.models import CostKey
from ikt_portfolio.projects.models import BudgetLine, Participation, Project

YEAR = 2026
BASELINE = datetime.date(2025, 1, 1)


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


class Plan:
    pass


@pytest.fixture
def plan(world, make_person, assign):
    p = Plan()
    p.owner = make_person("prosjekteier", staff_of=world.a)
    assign(p.owner, world.a, "project_owner")
    p.project = Project.objects.create(
        collaboration=world.a, number=1, title="Digitalt tilsyn", description="Sensorer", owner=p.owner
    )
    Participation.objects.create(project=p.project, municipality=world.small)
    Participation.objects.create(project=p.project, municipality=world.medium)
    Participation.objects.create(
        project=p.project, municipality=world.large, status=Participation.Status.OPTS_OUT, reason="Eget system"
    )
    p.key = CostKey.objects.create(
        collaboration=world.a,
        name="Likt",
        equal_percent=Decimal(100),
        population_percent=Decimal(0),
        population_year=2026,
        valid_from=datetime.date(2020, 1, 1),
        decided_by="Styret",
        decided_on=datetime.date(2025, 12, 1),
    )
    BudgetLine.objects.create(
        project=p.project, year=YEAR, kind=BudgetLine.Kind.OPERATION, amount=Decimal("300000.00"), key=p.key
    )
    p.benefit = Benefit.objects.create(
        project=p.project,
        name="Færre nattlige turer",
        type=Benefit.Type.EFFICIENCY,
        gain=Benefit.Gain.PRODUCTIVITY,
        monetary=True,
        yearly_value=Decimal("100000.00"),
        service_area=world.health_a,
    )
    p.indicator = Indicator.objects.create(
        benefit=p.benefit,
        name="Timer spart",
        unit="timer per måned",
        direction=Indicator.Direction.HIGHER,
        schedule=Indicator.Schedule.MONTHLY,
        plausible_min=Decimal(0),
        plausible_max=Decimal(1000),
    )
    p.unmeasured = Benefit.objects.create(
        project=p.project,
        name="Tryggere brukere",
        type=Benefit.Type.QUALITY,
        monetary=True,
        yearly_value=Decimal(20000),
    )
    p.benefit_owner = make_person("gevinst", municipality=world.small)
    assign(p.benefit_owner, world.a, "benefit_owner", municipality=world.small)
    p.medium_owner = make_person("gevinst_sunndal", municipality=world.medium)
    p.small_target = MemberTarget.objects.create(
        indicator=p.indicator,
        municipality=world.small,
        baseline_date=BASELINE,
        baseline_value=Decimal(10),
        target_value=Decimal(50),
        target_date=datetime.date(2027, 12, 31),
        owner=p.benefit_owner,
    )
    p.medium_target = MemberTarget.objects.create(
        indicator=p.indicator,
        municipality=world.medium,
        baseline_date=BASELINE,
        baseline_value=Decimal(10),
        target_value=Decimal(50),
        target_date=datetime.date(2027, 12, 31),
        owner=p.medium_owner,
    )
    return p
