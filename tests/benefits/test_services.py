"""Recording measurements (every refusal writes nothing), who may record, and the member report's numbers."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ikt_portfolio.benefits import services
from ikt_portfolio.benefits.models import Benefit, Indicator, Measurement, MemberTarget
from ikt_portfolio.projects.models import Participation

from .conftest import YEAR

JUNE = datetime.date(YEAR, 6, 15)


def _refused(call, code):
    before = Measurement.objects.count()
    history = Measurement.history.count()
    with pytest.raises(ValidationError) as raised:
        call()
    codes = (
        [e.code for errors in raised.value.error_dict.values() for e in errors]
        if hasattr(raised.value, "error_dict")
        else [raised.value.code]
    )
    assert code in codes, codes
    assert Measurement.objects.count() == before and Measurement.history.count() == history
    return raised.value


def test_benefit_owner_records_for_the_period(plan):
    measurement = services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "30")
    assert measurement.period == datetime.date(YEAR, 6, 1) and measurement.value == Decimal(30)
    assert measurement.entered_by == plan.benefit_owner.user and not measurement.confirmed_implausible
    assert measurement.history.latest().history_capacity == "benefit_owner"


def test_duplicate_period_is_refused(plan):
    services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "30")
    _refused(
        lambda: services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE.replace(day=2), "31"),
        "duplicate",
    )


def test_before_the_baseline_is_refused(plan):
    _refused(
        lambda: services.record_measurement(
            plan.small_target, plan.benefit_owner.user, datetime.date(2024, 12, 1), "30"
        ),
        "before_baseline",
    )


def test_future_period_is_refused(plan):
    _refused(
        lambda: services.record_measurement(
            plan.small_target, plan.benefit_owner.user, datetime.date(2099, 1, 1), "30"
        ),
        "future",
    )


def test_not_a_number_is_refused(plan):
    _refused(lambda: services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "tretti"), "invalid")


def test_implausible_value_needs_an_explicit_confirmation(plan):
    error = _refused(
        lambda: services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "30000"), "implausible"
    )
    assert "plausible range" in " ".join(error.messages)
    measurement = services.record_measurement(
        plan.small_target, plan.benefit_owner.user, JUNE, "30000", confirm_implausible=True
    )
    assert measurement.confirmed_implausible
    audit = measurement.history.latest()
    assert audit.confirmed_implausible and audit.history_user == plan.benefit_owner.user


def test_member_that_opted_out_is_refused(plan, world):
    Participation.objects.filter(project=plan.project, municipality=world.small).update(
        status=Participation.Status.OPTS_OUT, reason="Nei"
    )
    _refused(
        lambda: services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "30"), "not_participating"
    )


def test_member_not_in_the_project_is_refused(plan, world):
    Participation.objects.filter(project=plan.project, municipality=world.small).delete()
    _refused(
        lambda: services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "30"), "not_participating"
    )


def test_target_for_a_member_that_opted_out_cannot_be_made(plan, world):
    target = MemberTarget(
        indicator=plan.indicator,
        municipality=world.large,
        baseline_date=datetime.date(2025, 1, 1),
        baseline_value=1,
        target_value=2,
        target_date=datetime.date(2026, 1, 1),
    )
    with pytest.raises(ValidationError) as raised:
        target.full_clean()
    assert "municipality" in raised.value.error_dict


def test_target_worse_than_baseline_and_owner_of_another_member_are_refused(plan, world):
    target = MemberTarget(
        indicator=plan.indicator,
        municipality=world.small,
        baseline_date=datetime.date(2025, 1, 1),
        baseline_value=10,
        target_value=5,
        target_date=datetime.date(2026, 1, 1),
        owner=plan.medium_owner,
    )
    with pytest.raises(ValidationError) as raised:
        target.clean()
    assert {"target_value", "owner"} <= set(raised.value.error_dict)


def test_who_may_record(plan, world, make_person):
    record = services.record_measurement
    record(plan.small_target, plan.owner.user, datetime.date(2025, 1, 1), "10")  # the project owner
    record(plan.small_target, world.admin_a.user, datetime.date(2025, 2, 1), "11")  # an administrator
    refused = [plan.medium_owner.user, world.member_small.user, world.admin_b.user, world.council_member.user]
    for user in refused:
        with pytest.raises(PermissionDenied):
            record(plan.small_target, user, datetime.date(2025, 3, 1), "12")
    assert Measurement.objects.count() == 2


def test_member_report_numbers(plan, world):
    services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "30")  # halfway
    report = services.member_report(world.small, world.a, YEAR)
    (line,) = report.projects
    assert line.cost == Decimal("150000.00")
    measured, unmeasured = sorted(line.benefits, key=lambda b: b.benefit.pk)
    assert measured.basis == "measured" and measured.realisation == Decimal("0.5")
    assert measured.value == Decimal("50000.00")
    assert unmeasured.basis == "not_measurable" and unmeasured.value == Decimal("20000.00")
    assert line.benefit_total == Decimal("70000.00") and line.net == Decimal("-80000.00")
    assert report.net == Decimal("-80000.00")

    medium = services.member_report(world.medium, world.a, YEAR)
    measured, unmeasured = sorted(medium.projects[0].benefits, key=lambda b: b.benefit.pk)
    assert measured.basis == "planned" and measured.value == Decimal("100000.00")
    assert medium.net == Decimal("-30000.00")

    assert services.member_report(world.large, world.a, YEAR).projects == []  # opted out


def test_member_report_uses_the_latest_value_up_to_the_year(plan, world):
    services.record_measurement(plan.small_target, plan.benefit_owner.user, datetime.date(2025, 6, 1), "50")
    services.record_measurement(plan.small_target, plan.benefit_owner.user, datetime.date(YEAR, 3, 1), "70")
    assert services.member_report(world.small, world.a, 2025).projects[0].benefits[0].realisation == 1
    (line,) = services.member_report(world.small, world.a, YEAR).projects
    benefit = next(b for b in line.benefits if b.benefit == plan.benefit)
    assert benefit.indicators[0].progress.raw == Decimal("1.5") and benefit.value == Decimal("100000.00")


def test_member_report_queries_are_bounded(plan, world):
    def count():
        with CaptureQueriesContext(connection) as captured:
            services.member_report(world.small, world.a, YEAR)
        return len(captured)

    services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "30")
    few = count()
    for n in range(5):
        benefit = Benefit.objects.create(project=plan.project, name=f"B{n}", type="quality", monetary=False)
        indicator = Indicator.objects.create(benefit=benefit, name="I", unit="stk", schedule="yearly")
        target = MemberTarget.objects.create(
            indicator=indicator,
            municipality=world.small,
            baseline_date=datetime.date(2025, 1, 1),
            baseline_value=0,
            target_value=10,
            target_date=datetime.date(2027, 1, 1),
        )
        Measurement.objects.create(target=target, period=datetime.date(2026, 1, 1), value=n)
    assert count() == few


def test_due_and_late():
    target = MemberTarget(baseline_date=datetime.date(2026, 1, 10))
    target.indicator = Indicator(schedule="monthly")
    today = datetime.date(2026, 4, 20)
    assert services.due(target, None, today).late
    assert services.due(target, datetime.date(2026, 3, 1), today).late is False
    assert services.due(target, datetime.date(2026, 3, 1), today).next_period == datetime.date(2026, 4, 1)
    assert not services.due(target, None, datetime.date(2026, 1, 20)).late
    target.indicator = Indicator(schedule="quarterly")
    assert services.period_start(datetime.date(2026, 8, 31), "quarterly") == datetime.date(2026, 7, 1)
    assert services.due(target, None, today).late  # Q1 is over
