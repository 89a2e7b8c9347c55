"""Benefits over time (`benefits.timeline`, `portal.charts`, the portal pages and the API): the planned path, actual
values with gaps carried forward, the quarterly NOK arithmetic to the øre, the SVG scaling, and the pages' and
API's scoping (refused for another collaboration and anonymous users) and bounded queries."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from ikt_portfolio.benefits import timeline
from ikt_portfolio.benefits.models import Benefit, Indicator, Measurement, MemberTarget
from ikt_portfolio.members.models import Membership
from ikt_portfolio.portal import charts
from ikt_portfolio.projects.models import Participation

D = Decimal


def _target(baseline_value, target_value, baseline=datetime.date(2026, 1, 1), target=datetime.date(2026, 1, 11)):
    return MemberTarget(
        baseline_date=baseline, baseline_value=D(baseline_value), target_date=target, target_value=D(target_value)
    )


def _measure(target, year, month, value):
    return Measurement.objects.create(target=target, period=datetime.date(year, month, 1), value=D(value))


# ------------------------------------------------------------------------------------------- the planned path


def test_the_planned_path_is_linear_from_baseline_to_target():
    target = _target(10, 30)
    assert timeline.planned_value(target, datetime.date(2026, 1, 1)) == D(10)
    assert timeline.planned_value(target, datetime.date(2026, 1, 6)) == D(20)
    assert timeline.planned_value(target, datetime.date(2026, 1, 3)) == D("14.0000")
    assert timeline.planned_progress(target, datetime.date(2026, 1, 6)) == D("0.5000")
    assert timeline.planned_progress(target, datetime.date(2026, 1, 4)) == D("0.3000")


def test_no_plan_before_the_baseline_and_flat_at_the_target_after_its_date():
    target = _target(10, 30)
    assert timeline.planned_value(target, datetime.date(2025, 12, 31)) is None
    assert timeline.planned_progress(target, datetime.date(2025, 12, 31)) is None
    assert timeline.planned_value(target, datetime.date(2026, 1, 11)) == D(30)
    assert timeline.planned_value(target, datetime.date(2030, 6, 1)) == D(30)
    assert timeline.planned_progress(target, datetime.date(2030, 6, 1)) == D(1)


def test_lower_is_better_and_keeping_a_level():
    lower = _target(10, 4)
    assert timeline.planned_value(lower, datetime.date(2026, 1, 6)) == D(7)
    assert timeline.planned_progress(lower, datetime.date(2026, 1, 6)) == D("0.5000")
    level = _target(5, 5)
    assert timeline.planned_value(level, datetime.date(2026, 1, 6)) == D(5)
    assert timeline.planned_progress(level, datetime.date(2026, 1, 2)) == D(1)


def test_periods_and_their_ends():
    assert timeline.period_end(datetime.date(2026, 2, 1), "quarterly") == datetime.date(2026, 3, 31)
    assert timeline.period_end(datetime.date(2024, 2, 1), "monthly") == datetime.date(2024, 2, 29)
    assert timeline.periods_between(datetime.date(2025, 11, 5), datetime.date(2026, 2, 1), "monthly") == [
        datetime.date(2025, 11, 1),
        datetime.date(2025, 12, 1),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
    ]


# ------------------------------------------------------------------------------------------- actual values


def test_actual_values_with_gaps_are_carried_forward(plan, world):
    _measure(plan.small_target, 2026, 1, 20)
    _measure(plan.small_target, 2026, 3, 30)
    opted_out = MemberTarget.objects.create(  # a target left behind by a member that opted out: no series
        indicator=plan.indicator,
        municipality=world.large,
        baseline_date=datetime.date(2025, 1, 1),
        baseline_value=D(10),
        target_value=D(50),
        target_date=datetime.date(2027, 12, 31),
    )
    periods = timeline.periods_between(datetime.date(2026, 1, 1), datetime.date(2026, 4, 1), "monthly")
    found = timeline.indicator_timeline(plan.indicator, periods)
    by_member = {series.target.pk: series for series in found.members}
    assert set(by_member) == {plan.small_target.pk, plan.medium_target.pk} and opted_out.pk not in by_member
    small = by_member[plan.small_target.pk].points
    assert [p.actual for p in small] == [D(20), None, D(30), None]
    assert [p.latest for p in small] == [D(20), D(20), D(30), D(30)]
    assert [p.progress.raw if p.progress else None for p in small] == [D("0.25"), None, D("0.5"), None]
    assert [p.carried.shown for p in small] == [D("0.25"), D("0.25"), D("0.5"), D("0.5")]
    # the plan at the end of January 2026: 395 of 1 094 days from 10 towards 50
    assert small[0].planned == (D(10) + D(40) * D(395) / D(1094)).quantize(D("0.0001"))
    medium = by_member[plan.medium_target.pk].points
    assert all(p.actual is None and p.latest is None and p.progress is None for p in medium)


# ------------------------------------------------------------------------------------------- per quarter


def test_quarterly_nok_is_exact_to_the_ore(plan, world):
    Benefit.objects.filter(pk=plan.benefit.pk).update(yearly_value=D("33333.33"))
    _measure(plan.small_target, 2026, 1, 20)  # 25 %
    _measure(plan.small_target, 2026, 5, 30)  # 50 % from May on
    found = timeline.project_timeline(plan.project, datetime.date(2026, 1, 1), datetime.date(2026, 9, 30))
    q1, q2, q3 = found.quarters
    assert [q.label for q in found.quarters] == ["Q1 2026", "Q2 2026", "Q3 2026"]
    # Q1 ends 2026-03-31: 454 of 1 094 days → planned progress 0.4150 for both members
    assert q1.planned_percent == D("41.50") and q1.actual_percent == D("25.00")
    # each member: 33 333.33 × 0.4150 / 4 = 3 458.3329875 → 3 458.33; two members
    assert q1.planned_nok == D("6916.66")
    assert q1.realised_nok == D("2083.33")  # 33 333.33 × 0.25 / 4 = 2 083.333125; Sunndal measured nothing
    # Q2 ends 2026-06-30: 545 days → 0.4982 → 4 151.6665… → 4 151.67 each; realised 50 % → 4 166.67 (4 166.66625)
    assert q2.planned_nok == D("8303.34") and q2.realised_nok == D("4166.67")
    assert q3.realised_nok == D("4166.67")  # the May value carried forward, nothing new measured
    assert found.planned_total == q1.planned_nok + q2.planned_nok + q3.planned_nok
    assert found.realised_total == D("10416.67")
    assert [b.pk for b in found.not_on_timeline] == [plan.unmeasured.pk]
    assert all(isinstance(q.planned_nok, Decimal) for q in found.quarters)


def test_a_members_benefit_is_the_mean_of_its_measured_indicators(plan, world):
    second = Indicator.objects.create(benefit=plan.benefit, name="Andre", unit="stk", schedule="quarterly")
    other = MemberTarget.objects.create(
        indicator=second,
        municipality=world.small,
        baseline_date=datetime.date(2025, 1, 1),
        baseline_value=D(0),
        target_value=D(10),
        target_date=datetime.date(2027, 12, 31),
    )
    _measure(plan.small_target, 2026, 1, 20)  # 25 %
    _measure(other, 2026, 1, 12)  # overshoot: shown as 100 %
    q1 = timeline.project_timeline(plan.project, datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)).quarters[0]
    assert q1.realised_nok == D("15625.00")  # 100 000 × (0.25 + 1) / 2 / 4
    assert q1.actual_percent == D("62.50")


def test_before_the_baseline_nothing_is_planned(plan):
    found = timeline.project_timeline(plan.project, datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
    assert all(q.planned_nok == 0 and q.planned_percent is None and q.actual_percent is None for q in found.quarters)
    assert all(p.planned is None for line in found.indicators for s in line.members for p in s.points)


def test_the_default_range_runs_from_the_first_baseline_to_the_last_target_date(plan):
    found = timeline.project_timeline(plan.project)
    assert found.start == datetime.date(2025, 1, 1)
    assert found.end >= datetime.date(2027, 12, 31)
    assert found.quarters[-1].planned_nok == D("50000.00")  # both members at their target: 2 × 100 000 / 4


def test_portfolio_sums_the_projects(plan, world):
    _measure(plan.small_target, 2026, 1, 20)
    found = timeline.portfolio_timeline(world.a, 2026, 2026)
    assert len(found.quarters) == 4 and found.projects == 1 and found.targets == 2
    assert found.quarters[0].planned_nok == D("20750.00")  # 2 × 100 000 × 0.4150 / 4
    assert found.quarters[0].realised_nok == D("6250.00")
    assert timeline.portfolio_timeline(world.b, 2026, 2026).quarters[0].planned_nok == 0
    for start, end in ((2027, 2026), (1800, 2026), (2000, 2030)):
        with pytest.raises(Exception) as refused:
            timeline.check_years(start, end)
        assert refused.type.__name__ == "ValidationError"


# ------------------------------------------------------------------------------------------- the SVG helper


def test_scaling_and_ranges():
    assert charts.scale(5, 0, 10, 200, 0) == 100
    assert charts.scale(0, 0, 10, 200, 0) == 200 and charts.scale(10, 0, 10, 200, 0) == 0
    assert charts.scale(3, 3, 3, 200, 0) == 100  # zero-width range: the middle
    assert charts.x_positions(1, 0, 100) == [50]
    assert charts.x_positions(3, 0, 100) == [0, 50, 100]
    assert charts.value_range([]) == (0, 1, D("0.25"))
    low, high, step = charts.value_range([D(5)], include_zero=False)  # one value: room around it
    assert low < 5 < high
    low, high, step = charts.value_range([D(7), D(7), D(7)], include_zero=False)  # all equal
    assert low < 7 < high
    assert charts.value_range([0, 0]) == (D(-1), D(1), D("0.5"))
    low, high, step = charts.value_range([D(-30), D(10)])  # negative values
    assert low <= -30 and high >= 10 and low % step == 0 and high % step == 0


def test_line_chart_geometry_and_edge_cases():
    chart = charts.line_chart(
        "c", ["a"], [charts.Series("actual", "Actual", [D(4)])], title="T", description="D", x_heading="X"
    )
    assert len(chart.lines[0].markers) == 1 and chart.lines[0].segments == []  # a lone point: a marker
    assert float(chart.lines[0].markers[0].x) == (chart.left + chart.right) / 2
    chart = charts.line_chart(
        "c",
        ["a", "b", "c", "d", "e"],
        [
            charts.Series("planned", "Planned", [D(-10), D(0), D(10), D(20), D(30)], "planned"),
            charts.Series("actual", "Actual", [D(-5), None, D(5), D(6), None], "actual"),
        ],
        title="T",
        description="D",
        x_heading="X",
    )
    planned, actual = chart.lines
    assert planned.dash and not actual.dash and planned.marker != actual.marker
    assert len(planned.segments) == 1 and len(actual.segments) == 1 and len(actual.markers) == 3
    ys = [float(m.y) for m in planned.markers]
    assert ys == sorted(ys, reverse=True)  # higher values are further up
    assert chart.top <= min(ys) and max(ys) <= chart.bottom
    assert all(re.fullmatch(r"-?\d+\.\d", m.x) for m in planned.markers)  # never localised
    assert [row.cells for row in chart.rows][1] == ["0.00", ""]
    flat = charts.line_chart(
        "f", ["a", "b"], [charts.Series("a", "A", [D(3), D(3)])], title="T", description="D", x_heading="X",
        include_zero=False,
    )  # fmt: skip
    assert flat.lines[0].markers[0].y == flat.lines[0].markers[1].y
    shared = charts.line_chart(
        "s", ["a", "b"], [charts.Series("a", "A", [D(3), D(3)])], title="T", description="D", x_heading="X",
        range_values=[D(0), D(100)],
    )  # fmt: skip
    assert shared.y_ticks[0].label == "0" and shared.y_ticks[-1].label == "100"
    assert flat.top < float(flat.lines[0].markers[0].y) < flat.bottom


def test_axis_labels_use_the_norwegian_number_format():
    with translation.override("nb"):
        assert charts.fmt_number(D("1234567.5"), 2).replace("\xa0", " ") == "1 234 567,50"
        chart = charts.line_chart(
            "n", ["a", "b"], [charts.Series("a", "A", [D(0), D(25000)])], title="T", description="D", x_heading="X"
        )
        assert "20 000" in [t.label.replace("\xa0", " ") for t in chart.y_ticks]


# ------------------------------------------------------------------------------------------- pages


def _project_page(plan):
    return f"/portal/projects/{plan.project.pk}/benefits/"


PORTFOLIO = "/portal/benefits/over-time/"


def test_the_project_page_draws_each_member_and_has_the_numbers(client, plan, world):
    _measure(plan.small_target, 2026, 1, 20)
    client.force_login(world.admin_a.user)
    response = client.get(_project_page(plan), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    for member in (world.small, world.medium):
        assert f'id="chart-i{plan.indicator.pk}-m{member.pk}"' in html
    assert f'id="chart-i{plan.indicator.pk}-m{world.large.pk}"' not in html  # opted out
    assert html.count('role="img"') == 4  # two members, the realisation and the NOK chart
    assert f'<title id="chart-i{plan.indicator.pk}-m{world.small.pk}-title">' in html
    assert "<desc id=" in html and "<caption>" in html and "data-chart-table" in html
    assert 'stroke-dasharray="6 4"' in html and "<circle" in html and "<rect" in html
    numbers = html.replace("\xa0", " ")
    assert re.search(r"20[ ,.]?750[.,]00", numbers)  # Q1 2026 planned NOK in the project's table
    assert re.search(r"6[ ,.]?250[.,]00", numbers)  # Q1 2026 realised NOK
    assert 'id="timeline-not-on-timeline"' in html


def test_a_project_without_benefits_says_so(client, world):
    from ikt_portfolio.projects.models import Project

    bare = Project.objects.create(collaboration=world.a, number=7, title="Tomt", description="Ingen gevinster")
    client.force_login(world.admin_a.user)
    html = client.get(f"/portal/projects/{bare.pk}/benefits/").content.decode()
    assert 'id="timeline-empty"' in html and 'id="timeline-no-benefits"' in html and 'role="img"' not in html
    assert timeline.project_timeline(bare).quarters == []


def test_the_project_page_is_linked_and_for_those_who_see_the_project(client, plan, world):
    from ikt_portfolio.projects.services import install_phase_workflow
    from ikt_portfolio.workflow import services as workflow

    install_phase_workflow(world.a, "ks", activate=True)
    workflow.start(plan.project, plan.owner.user)
    client.force_login(world.member_small.user)  # a member taking part
    detail = client.get(f"/portal/projects/{plan.project.pk}/").content.decode()
    assert f'href="/portal/projects/{plan.project.pk}/benefits/"' in detail
    assert client.get(_project_page(plan)).status_code == 200
    client.force_login(world.admin_b.user)  # another collaboration
    assert client.get(_project_page(plan)).status_code == 404
    client.force_login(world.member_other.user)
    assert client.get(_project_page(plan)).status_code == 404
    client.logout()
    anonymous = client.get(_project_page(plan))
    assert anonymous.status_code == 302 and "/portal/login/" in anonymous["Location"]


def test_the_portfolio_page(client, plan, world):
    _measure(plan.small_target, 2026, 1, 20)
    client.force_login(world.member_small.user)
    response = client.get(PORTFOLIO, {"start": 2026, "end": 2026}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('role="img"') == 2 and 'id="chart-portfolio-nok"' in html
    assert re.search(r"20[ ,.]?750[.,]00", html.replace("\xa0", " "))
    assert 'href="/portal/benefits/over-time/" aria-current="page"' in html  # in the benefits menu
    assert client.get(PORTFOLIO).status_code == 200  # default years
    refused = client.get(PORTFOLIO, {"start": 2027, "end": 2026})
    assert refused.status_code == 400 and 'id="error-summary"' in refused.content.decode()
    assert client.get(PORTFOLIO, {"start": "x", "end": 2026}).status_code == 400
    client.force_login(world.admin_b.user)  # sees B's portfolio, none of A's
    html = client.get(PORTFOLIO, {"start": 2026, "end": 2026}).content.decode()
    assert 'id="timeline-projects">0<' in html
    client.force_login(world.outsider)
    assert client.get(PORTFOLIO).status_code == 403
    client.logout()
    assert client.get(PORTFOLIO).status_code == 302


def _grow(plan, world, make_municipality, members: int, indicators: int):
    """More members taking part (each with a target and measurements) and more indicators."""
    municipalities = [world.small, world.medium]
    for i in range(members - 2):
        m = make_municipality(f"9{i:03d}", f"Kommune {i}", 1000)
        Membership.objects.create(collaboration=world.a, municipality=m, valid_from=datetime.date(2020, 1, 1))
        Participation.objects.create(project=plan.project, municipality=m)
        municipalities.append(m)
    all_indicators = [plan.indicator]
    for i in range(indicators - 1):
        all_indicators.append(
            Indicator.objects.create(benefit=plan.benefit, name=f"Indikator {i}", unit="stk", schedule="quarterly")
        )
    for indicator in all_indicators:
        for m in municipalities:
            target, created = MemberTarget.objects.get_or_create(
                indicator=indicator,
                municipality=m,
                defaults={
                    "baseline_date": datetime.date(2025, 1, 1),
                    "baseline_value": D(10),
                    "target_value": D(50),
                    "target_date": datetime.date(2027, 12, 31),
                },
            )
            if created:
                _measure(target, 2026, 1, 20)


def _count(client, url, query=None):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, query or {}).status_code == 200
    return len(captured)


@pytest.mark.parametrize("kind", ["project", "portfolio", "api-project", "api-portfolio"])
def test_bounded_queries(client, plan, world, make_municipality, kind):
    url = {
        "project": _project_page(plan),
        "portfolio": PORTFOLIO,
        "api-project": f"/api/v1/benefits/timeline/{plan.project.pk}/",
        "api-portfolio": "/api/v1/benefits/portfolio-timeline/",
    }[kind]
    client.force_login(world.admin_a.user)
    _grow(plan, world, make_municipality, 2, 1)
    client.get(url)  # warm the caches (content types, workflow versions)
    few = _count(client, url)
    _grow(plan, world, make_municipality, 10, 5)
    many = _count(client, url)
    assert few == many, (few, many)


# ------------------------------------------------------------------------------------------- the API


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def test_api_project_timeline_shape_and_scope(api, plan, world):
    _measure(plan.small_target, 2026, 1, 20)
    api.force_authenticate(world.member_small.user)
    data = api.get(f"/api/v1/benefits/timeline/{plan.project.pk}/").json()
    assert data == api.get("/api/v1/benefits/timeline/", {"project": plan.project.pk}).json()
    assert data["project"] == plan.project.pk and data["start"] == "2025-01-01"
    quarter = next(q for q in data["quarters"] if q["quarter"] == "2026-01-01")
    assert quarter == {
        "quarter": "2026-01-01",
        "end": "2026-03-31",
        "year": 2026,
        "number": 1,
        "planned_percent": "41.50",
        "actual_percent": "25.00",
        "planned_nok": "20750.00",
        "realised_nok": "6250.00",
    }
    assert data["not_on_timeline"] == [plan.unmeasured.pk]
    (indicator,) = data["indicators"]
    assert {m["municipality"] for m in indicator["members"]} == {world.small.pk, world.medium.pk}
    small = next(m for m in indicator["members"] if m["municipality"] == world.small.pk)
    point = next(p for p in small["points"] if p["period"] == "2026-01-01")
    assert point["actual"] == "20.0000" and point["realisation"]["percent"] == 25
    later = next(p for p in small["points"] if p["period"] == "2026-02-01")
    assert later["actual"] is None and later["latest"] == "20.0000" and later["carried_realisation"]["shown"]
    api.force_authenticate(world.admin_b.user)
    assert api.get(f"/api/v1/benefits/timeline/{plan.project.pk}/").status_code == 404
    assert api.get("/api/v1/benefits/timeline/", {"project": plan.project.pk}).status_code == 404
    assert api.get("/api/v1/benefits/timeline/").status_code == 404
    api.force_authenticate(None)
    assert api.get(f"/api/v1/benefits/timeline/{plan.project.pk}/").status_code in (401, 403)


def test_api_portfolio_timeline_shape_and_scope(api, plan, world):
    api.force_authenticate(world.admin_a.user)
    data = api.get("/api/v1/benefits/portfolio-timeline/", {"from": 2026, "to": 2026}).json()
    assert data["collaboration"] == world.a.pk and data["projects"] == 1 and len(data["quarters"]) == 4
    assert data["quarters"][0]["planned_nok"] == "20750.00" and data["quarters"][0]["realised_nok"] == "0.00"
    assert data["planned_nok"] == str(sum(D(q["planned_nok"]) for q in data["quarters"]))
    other = api.get("/api/v1/benefits/portfolio-timeline/", {"collaboration": world.b.pk})
    assert other.status_code == 404
    assert api.get("/api/v1/benefits/portfolio-timeline/", {"from": 2027, "to": 2026}).status_code == 400
    assert api.get("/api/v1/benefits/portfolio-timeline/", {"from": "x"}).status_code == 400
    api.force_authenticate(None)
    assert api.get("/api/v1/benefits/portfolio-timeline/").status_code in (401, 403)
