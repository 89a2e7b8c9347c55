"""The benefits API: measurements created through the service (refusals 400, nothing written; others 403), the
plans scoped to the collaboration (another collaboration's rows 404), and a member's report."""

import datetime

import pytest
from rest_framework.test import APIClient

from ikt_portfolio.benefits.models import Measurement

URL = "/api/v1/benefits/"


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def test_benefit_owner_records_and_refusals_write_nothing(api, plan):
    api.force_authenticate(plan.benefit_owner.user)
    body = {"target": plan.small_target.pk, "period": "2026-06-01", "value": "30"}
    created = api.post(URL + "measurements/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["period"] == "2026-06-01"
    assert api.post(URL + "measurements/", body, format="json").status_code == 400  # duplicate
    implausible = api.post(URL + "measurements/", {**body, "period": "2026-07-01", "value": "5000"}, format="json")
    assert implausible.status_code == 400 and "plausible" in str(implausible.json())
    early = api.post(URL + "measurements/", {**body, "period": "2024-01-01"}, format="json")
    assert early.status_code == 400
    assert Measurement.objects.count() == 1
    confirmed = {**body, "period": "2026-07-01", "value": "5000", "confirm_implausible": True}
    assert api.post(URL + "measurements/", confirmed, format="json").status_code == 201
    target = api.get(URL + f"targets/{plan.small_target.pk}/").json()
    assert target["realisation"]["raw"] == "124.7500" and target["realisation"]["percent"] == 100


def test_benefit_owner_of_another_member_is_refused(api, plan, assign, world):
    assign(plan.medium_owner, world.a, "benefit_owner", municipality=world.medium)
    api.force_authenticate(plan.medium_owner.user)
    body = {"target": plan.small_target.pk, "period": "2026-06-01", "value": "30"}
    assert api.post(URL + "measurements/", body, format="json").status_code == 403
    assert not Measurement.objects.exists()


def test_another_collaboration_sees_nothing(api, plan, world):
    Measurement.objects.create(target=plan.small_target, period=datetime.date(2026, 1, 1), value=20)
    api.force_authenticate(world.admin_b.user)
    assert api.get(URL + f"targets/{plan.small_target.pk}/").status_code == 404
    assert api.get(URL + "measurements/").json()["count"] == 0
    body = {"target": plan.small_target.pk, "period": "2026-06-01", "value": "30"}
    assert api.post(URL + "measurements/", body, format="json").status_code == 400
    assert api.get(URL + "benefits/member-report/", {"collaboration": world.a.pk}).status_code == 404


def test_member_report(api, plan, world):
    Measurement.objects.create(target=plan.small_target, period=datetime.date(2026, 1, 1), value=30)
    api.force_authenticate(plan.benefit_owner.user)
    report = api.get(URL + "benefits/member-report/", {"year": 2026}).json()
    assert report["municipality"] == world.small.pk
    assert (report["cost"], report["benefits"], report["net"]) == ("150000.00", "70000.00", "-80000.00")
    bases = sorted(b["basis"] for b in report["projects"][0]["benefit_lines"])
    assert bases == ["measured", "not_measurable"]
    other = api.get(URL + "benefits/member-report/", {"year": 2026, "municipality": world.medium.pk})
    assert other.status_code == 404
