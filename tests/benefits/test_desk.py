"""The Desk's benefits pages: scoped lists with a read-only realisation column, a bounded number of queries,
and a measurement added through the service (refused when implausible and not confirmed, nothing written)."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from ikt_portfolio.benefits import services
from ikt_portfolio.benefits.models import Indicator, Measurement, MemberTarget
from ikt_portfolio.members.models import Person


def test_lists_and_the_realisation_column(client, plan, world):
    Measurement.objects.create(target=plan.small_target, period=datetime.date(2026, 1, 1), value=30)
    client.force_login(world.admin_a.user)
    for model in ("benefit", "indicator", "membertarget", "measurement"):
        response = client.get(reverse(f"admin:ikt_benefits_{model}_changelist"))
        assert response.status_code == 200, model
    Person.objects.update(language="en")
    html = client.get(reverse("admin:ikt_benefits_membertarget_changelist")).content.decode()
    assert "50 % (0.5000)" in html
    # the next value due: "late" in words for the target whose last complete period has no value
    due = services.due(MemberTarget.objects.select_related("indicator").get(pk=plan.small_target.pk), None)
    with translation.override("en"):
        expected = date_format(due.due_on, "SHORT_DATE_FORMAT")
    assert due.late and f"late: {expected}" in html
    client.force_login(world.admin_b.user)
    html = client.get(reverse("admin:ikt_benefits_membertarget_changelist")).content.decode()
    assert "Timer spart" not in html
    url = reverse("admin:ikt_benefits_membertarget_change", args=[plan.small_target.pk])
    assert client.get(url).status_code in (302, 403, 404)


def test_target_list_queries_are_bounded(client, plan, world):
    client.force_login(world.admin_a.user)
    url = reverse("admin:ikt_benefits_membertarget_changelist")

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = count()
    for n in range(4):
        indicator = Indicator.objects.create(benefit=plan.benefit, name=f"I{n}", unit="stk", schedule="yearly")
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


def test_desk_measurement_goes_through_the_service(client, plan, world):
    client.force_login(world.admin_a.user)
    url = reverse("admin:ikt_benefits_measurement_add")
    data = {"target": plan.small_target.pk, "period": "2026-06-15", "value": "30000", "note": ""}
    response = client.post(url, data)
    assert response.status_code == 200 and not Measurement.objects.exists()
    response = client.post(url, {**data, "confirm_implausible": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    measurement = Measurement.objects.get()
    assert measurement.period == datetime.date(2026, 6, 1) and measurement.confirmed_implausible
    assert measurement.entered_by == world.admin_a.user
