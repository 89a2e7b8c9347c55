"""The demo's cost sharing: two keys, the annual budget lines of last year and this, each member's share of each
line summing exactly to the line; a reset removes them."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from ikt_portfolio.core.demo import reset_demo
from ikt_portfolio.costs import services
from ikt_portfolio.costs.models import AnnualBudgetLine, CostKey
from ikt_portfolio.members.models import Collaboration

pytestmark = pytest.mark.django_db


def test_two_keys_and_lines_that_split_exactly(demo):
    collaboration = Collaboration.objects.get(short_name="ORKidé")
    assert set(CostKey.objects.filter(collaboration=collaboration).values_list("kind", flat=True)) == {
        "equal_population",
        "fixed_percentage",
    }
    year = timezone.localdate().year
    assert AnnualBudgetLine.objects.filter(collaboration=collaboration, year=year).count() == 3
    allocated_items = services.collaboration_costs(collaboration, [year - 1, year])
    assert {a.item.source for a in allocated_items if a.item.year == year} == {"annual_budget", "project"}
    for allocated in allocated_items:
        assert not allocated.error
        assert len(allocated.shares) == 13 or allocated.item.source == "project"
        assert sum(s.amount for s in allocated.shares) == allocated.item.total
    # the annual budget and this year's project lines (see fixtures/demo/costs.yaml and projects.yaml)
    expected = Decimal("18775000.50") + Decimal("120000.00") + Decimal("300000.00") + Decimal("1500000.00")
    assert sum(services.member_totals_by_year(collaboration, [year])[year].values()) == expected


def test_reset_removes_the_keys_and_lines(demo):
    reset_demo(io.StringIO(), Path(__file__).resolve().parents[2] / "fixtures" / "demo")
    assert not CostKey.objects.filter(collaboration__short_name="ORKidé").exists()
    assert not AnnualBudgetLine.objects.exists()
