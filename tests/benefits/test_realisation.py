"""The realisation formula's edge cases (see `benefits.services`), and its properties."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ikt_portfolio.benefits.services import realisation

D = Decimal


def test_halfway_higher_is_better():
    progress = realisation(10, 50, 30, "higher")
    assert progress.raw == D("0.5") and progress.shown == D("0.5") and progress.percent == 50


def test_at_baseline_and_at_target():
    assert realisation(10, 50, 10, "higher").raw == 0
    assert realisation(10, 50, 50, "higher").raw == 1


def test_overshoot_keeps_the_raw_value_and_shows_one():
    progress = realisation(10, 50, 70, "higher")
    assert progress.raw == D("1.5") and progress.shown == 1 and progress.percent == 100 and progress.overshoot


def test_going_backwards_keeps_the_raw_value_and_shows_zero():
    progress = realisation(10, 50, 2, "higher")
    assert progress.raw == D("-0.2") and progress.shown == 0 and progress.backwards


def test_lower_is_better_by_the_same_formula():
    assert realisation(10, 4, 7, "lower").raw == D("0.5")
    assert realisation(10, 4, 4, "lower").raw == 1
    assert realisation(10, 4, 12, "lower").raw < 0
    assert realisation(10, 4, 1, "lower").raw == D("1.5")


def test_target_equal_to_baseline():
    assert realisation(5, 5, 5, "higher").raw == 1
    assert realisation(5, 5, 6, "higher").raw == 1
    assert realisation(5, 5, 4, "higher").raw == 0
    assert realisation(5, 5, 4, "lower").raw == 1
    assert realisation(5, 5, 6, "lower").raw == 0


def test_no_measurement_is_not_measurable_yet():
    assert realisation(10, 50, None, "higher") is None


values = st.decimals(min_value=-10_000, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)


DIRECTION = st.sampled_from(["higher", "lower"])
STEP = st.decimals(min_value="0.01", max_value=5000, places=2)


@given(baseline=values, step=STEP, direction=DIRECTION, a=values, b=values)
def test_zero_at_baseline_one_at_target_monotone(baseline, step, direction, a, b):
    target = baseline + step if direction == "higher" else baseline - step
    assert realisation(baseline, target, baseline, direction).raw == 0
    assert realisation(baseline, target, target, direction).raw == 1
    worse, better = sorted((a, b)) if direction == "higher" else sorted((a, b), reverse=True)
    assert realisation(baseline, target, worse, direction).raw <= realisation(baseline, target, better, direction).raw
    shown = realisation(baseline, target, a, direction).shown
    assert 0 <= shown <= 1
