"""The demo's portfolio plan: this year and its tertials, a decided frame and a solved scenario; a reset
removes it."""

import io
from pathlib import Path

import pytest
from django.utils import timezone

from ikt_portfolio.core.demo import reset_demo
from ikt_portfolio.portfolio.models import BudgetFrame, Period, Scenario, ScenarioItem

pytestmark = pytest.mark.django_db


def test_this_year_its_frame_and_a_solved_scenario(demo):
    periods = Period.objects.filter(collaboration__short_name="ORKidé", year=timezone.localdate().year)
    assert sorted(periods.values_list("kind", "number")) == [
        ("tertial", 1),
        ("tertial", 2),
        ("tertial", 3),
        ("year", 0),
    ]
    frame = BudgetFrame.objects.get(period__in=periods)
    assert frame.decided and frame.decided_by.user.username == "admin"
    scenario = Scenario.objects.get(period__in=periods)
    assert scenario.status == "optimal" and scenario.total_cost <= frame.budget
    chosen = ScenarioItem.objects.filter(scenario=scenario, chosen=True).count()
    assert 0 < chosen < ScenarioItem.objects.filter(scenario=scenario).count()  # the frame makes it choose
    assert ScenarioItem.objects.filter(scenario=scenario, reason="score").exists()
    assert "[35]" in demo


def test_reset_removes_the_plan(demo):
    reset_demo(io.StringIO(), Path(__file__).resolve().parents[2] / "fixtures" / "demo")
    assert not Period.objects.filter(collaboration__short_name="ORKidé").exists()
    assert not Scenario.objects.exists()
