"""Keys of world A (members Smøla 2150, Sunndal 7200 and Kristiansund 24400 inhabitants in 2026) and B."""

import datetime
from decimal import Decimal

import pytest

from ikt_portfolio.costs.models import AnnualBudgetLine, CostKey, CostKeyShare

DECIDED = {"decided_by": "Styret, sak 1/2026", "decided_on": datetime.date(2025, 12, 1)}


@pytest.fixture(autouse=True)
def _english():
    """Messages in English (the msgids), so assertions do not depend on the nb/nn catalogs."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def english_people(world):
    from ikt_portfolio.members.models import Person

    Person.objects.all().update(language="en")


@pytest.fixture
def make_key(world):
    def make(collaboration=None, *, shares=None, **fields) -> CostKey:
        fields = {"name": "50/50", "valid_from": datetime.date(2020, 1, 1), **DECIDED, **fields}
        key = CostKey.objects.create(collaboration=collaboration or world.a, **fields)
        for municipality, values in (shares or {}).items():
            CostKeyShare.objects.create(key=key, municipality=municipality, **values)
        return key

    return make


@pytest.fixture
def keys(world, make_key):
    k = type("Keys", (), {})()
    k.half = make_key(population_year=2026)
    k.fixed = make_key(
        name="Fast prosent",
        kind=CostKey.Kind.FIXED_PERCENTAGE,
        shares={
            world.small: {"percent": Decimal("20")},
            world.medium: {"percent": Decimal("30")},
            world.large: {"percent": Decimal("50")},
        },
    )
    k.b = make_key(world.b, name="B-nøkkel", population_year=2026)
    return k


@pytest.fixture
def lines(world, keys):
    return [
        AnnualBudgetLine.objects.create(collaboration=world.a, year=2026, name="Drift", amount=Decimal("1000000.00"),
                                        key=keys.half),
        AnnualBudgetLine.objects.create(collaboration=world.a, year=2026, name="Lisenser", amount=Decimal("300000.00"),
                                        key=keys.fixed, kind=AnnualBudgetLine.Kind.INVESTMENT),
    ]  # fmt: skip
