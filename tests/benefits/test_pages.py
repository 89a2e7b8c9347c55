"""The portal's benefits pages: the member report (own member only; administrators choose), the benefit owner's
measurements page and form (refusals shown on the form, nothing written; another member's or collaboration's
target 404), recording a value updates the report, and bounded queries."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from ikt_portfolio.benefits.models import Benefit, Indicator, Measurement, MemberTarget

REPORT = "/portal/benefits/"
MEASURE = "/portal/benefits/measurements/"


def _record(target):
    return f"/portal/benefits/targets/{target.pk}/measure/"


def _post(client, target, **data):
    prefix = f"t{target.pk}-"
    return client.post(_record(target), {prefix + key: value for key, value in data.items()})


def test_benefit_owner_records_and_the_report_updates(client, plan, world):
    client.force_login(plan.benefit_owner.user)
    before = client.get(REPORT, {"year": 2026}).content.decode()
    assert 'id="benefits-net" data-negative="true">kr -30' in before  # planned 100 000 + 20 000 − 150 000
    page = client.get(MEASURE)
    assert page.status_code == 200 and f'data-target="{plan.small_target.pk}"' in page.content.decode()
    assert f'data-target="{plan.medium_target.pk}"' not in page.content.decode()
    assert 'data-due="late"' in page.content.decode()
    response = _post(client, plan.small_target, period="2026-06-15", value="30")
    assert response.status_code == 302
    assert Measurement.objects.get().period == datetime.date(2026, 6, 1)
    after = client.get(REPORT, {"year": 2026}).content.decode()
    assert 'data-percent="50"' in after and 'id="benefits-net" data-negative="true">kr -80' in after
    assert 'data-basis="not_measurable"' in after


def test_refusals_are_shown_on_the_form_and_write_nothing(client, plan):
    client.force_login(plan.benefit_owner.user)
    for data in (
        {"period": "2024-06-01", "value": "30"},  # before the baseline
        {"period": "2026-06-01", "value": "30000"},  # implausible, not confirmed
        {"period": "2026-06-01", "value": "tretti"},
        {"period": "", "value": "30"},
    ):
        response = _post(client, plan.small_target, **data)
        assert response.status_code == 400, data
        assert 'id="error-summary"' in response.content.decode()
    assert not Measurement.objects.exists()
    ok = _post(client, plan.small_target, period="2026-06-01", value="30000", confirm_implausible="on")
    assert ok.status_code == 302 and Measurement.objects.get().confirmed_implausible
    duplicate = _post(client, plan.small_target, period="2026-06-20", value="31")
    assert duplicate.status_code == 400 and 'id="error-summary"' in duplicate.content.decode()
    assert Measurement.objects.count() == 1


def test_other_members_and_collaborations_are_refused(client, plan, world, make_person):
    client.force_login(plan.medium_owner.user)  # Sunndal's owner: not Smøla's target
    assert _post(client, plan.small_target, period="2026-06-01", value="30").status_code == 404
    assert client.get(REPORT, {"municipality": world.small.pk}).status_code == 404
    client.force_login(world.admin_b.user)  # another collaboration
    assert _post(client, plan.small_target, period="2026-06-01", value="30").status_code == 404
    assert not Measurement.objects.exists()
    client.force_login(world.admin_a.user)  # the administrator chooses the member
    html = client.get(REPORT, {"municipality": world.medium.pk, "year": 2026}).content.decode()
    assert 'id="benefits-cost">kr 150' in html
    assert client.get(REPORT, {"municipality": world.other.pk}).status_code == 404


def test_pages_run_a_bounded_number_of_queries(client, plan, world):
    client.force_login(world.admin_a.user)

    def count(url, query):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, query).status_code == 200
        return len(captured)

    few = (count(REPORT, {"municipality": world.small.pk}), count(MEASURE, {}))
    for n in range(4):
        benefit = Benefit.objects.create(project=plan.project, name=f"B{n}", type="quality")
        indicator = Indicator.objects.create(benefit=benefit, name=f"I{n}", unit="stk", schedule="yearly")
        for municipality in (world.small, world.medium):
            target = MemberTarget.objects.create(
                indicator=indicator,
                municipality=municipality,
                baseline_date=datetime.date(2025, 1, 1),
                baseline_value=0,
                target_value=10,
                target_date=datetime.date(2027, 1, 1),
            )
            Measurement.objects.create(target=target, period=datetime.date(2026, 1, 1), value=n)
    assert (count(REPORT, {"municipality": world.small.pk}), count(MEASURE, {})) == few


def test_the_report_shows_its_projects_a_page_at_a_time_with_totals_over_all(client, plan, world):
    """A large member takes part in hundreds of projects at national scale: the projects' tables come a page
    at a time (25), the totals at the top are over every project."""
    from ikt_portfolio.portal.views.common import PAGE_SIZE
    from ikt_portfolio.projects.models import Participation, Project

    for number in range(2, PAGE_SIZE + 3):  # 26 more: 27 in all
        project = Project.objects.create(collaboration=world.a, number=number, title=f"P{number}", description="x")
        Participation.objects.create(project=project, municipality=world.small)
        Benefit.objects.create(project=project, name=f"Gevinst {number}", type="economic", monetary=True,
                               yearly_value=1000)  # fmt: skip
    client.force_login(plan.benefit_owner.user)
    first = client.get(REPORT, {"year": 2026}).content.decode()
    second = client.get(REPORT, {"year": 2026, "page": 2}).content.decode()
    assert first.count("data-project=") == PAGE_SIZE and second.count("data-project=") == 2
    assert 'rel="next"' in first and 'rel="prev"' in second
    summary = first[first.index('id="benefits-summary"') : first.index("</dl>")]
    assert summary == second[second.index('id="benefits-summary"') : second.index("</dl>")], "totals over all"
