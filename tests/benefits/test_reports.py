"""The portfolio-wide benefits report: roll-up arithmetic on the `plan` and on a hand-made second project, benefits
not measurable yet counted and listed, opted-out members excluded, every member's row equal to its own
member_report, bounded queries (2 vs 10 members and projects), the portal page (status codes, who is refused,
CSV/XLSX) and the API (shape, money as strings, scoping)."""

import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ikt_portfolio.benefits import reports, services
from ikt_portfolio.benefits.models import Benefit, Indicator, Measurement, MemberTarget
from ikt_portfolio.members.models import Membership
from ikt_portfolio.projects.models import BudgetLine, Participation, Project

YEAR = 2026
JUNE = datetime.date(YEAR, 6, 1)
PAGE = "/portal/benefits/portfolio/"
API = "/api/v1/benefits/portfolio-report/"


def _row(rows, municipality):
    return next(row for row in rows if row.municipality.pk == municipality.pk)


def _target(indicator, municipality, baseline=0, target=10):
    return MemberTarget.objects.create(
        indicator=indicator,
        municipality=municipality,
        baseline_date=datetime.date(2025, 1, 1),
        baseline_value=Decimal(baseline),
        target_value=Decimal(target),
        target_date=datetime.date(2027, 12, 31),
    )


@pytest.fixture
def second(plan, world):
    """Project 2: Kristiansund takes part, Smøla postpones, Sunndal opts out; 90 000.01 by the equal key (so the
    øre left over goes to one member); an economic cost cut worth 10 000 measured by both (a quarter / all the
    way), a non-monetary quality benefit measured by Smøla only (no target for Kristiansund: not measurable
    yet for it)."""
    project = Project.objects.create(collaboration=world.a, number=2, title="Felles arkiv", owner=plan.owner)
    Participation.objects.create(project=project, municipality=world.large)
    Participation.objects.create(
        project=project,
        municipality=world.small,
        status=Participation.Status.POSTPONES,
        postponed_until=datetime.date(2027, 1, 1),
    )
    Participation.objects.create(
        project=project, municipality=world.medium, status=Participation.Status.OPTS_OUT, reason="Har eget"
    )
    BudgetLine.objects.create(
        project=project, year=YEAR, kind=BudgetLine.Kind.OPERATION, amount=Decimal("90000.01"), key=plan.key
    )
    cut = Benefit.objects.create(
        project=project,
        name="Lavere lisenser",
        type=Benefit.Type.ECONOMIC,
        gain=Benefit.Gain.COST_CUT,
        monetary=True,
        yearly_value=Decimal("10000.00"),
        service_area=world.health_a,
    )
    licences = Indicator.objects.create(benefit=cut, name="Lisenskost", unit="kr", direction="lower", schedule="yearly")
    for municipality, value in ((world.large, 75), (world.small, 0)):
        target = _target(licences, municipality, baseline=100, target=0)
        Measurement.objects.create(target=target, period=datetime.date(YEAR, 1, 1), value=Decimal(value))
    quality = Benefit.objects.create(project=project, name="Bedre arkiv", type=Benefit.Type.QUALITY)
    checks = Indicator.objects.create(benefit=quality, name="Avvik", unit="stk", schedule="yearly")
    target = _target(checks, world.small, baseline=0, target=10)
    Measurement.objects.create(target=target, period=datetime.date(2025, 1, 1), value=Decimal(4))
    Measurement.objects.create(target=target, period=datetime.date(2027, 1, 1), value=Decimal(10))  # after the year
    return project


def test_roll_ups_of_the_plan(plan, world):
    services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "30")  # halfway
    report = reports.portfolio_report(world.a, YEAR)

    small, medium, large = (_row(report.members, m) for m in (world.small, world.medium, world.large))
    assert (small.cost, small.benefits, small.net) == (Decimal("150000.00"), Decimal("70000.00"), Decimal("-80000.00"))
    assert (small.tally.measured, small.tally.planned, small.tally.not_measurable) == (1, 0, 1)
    assert small.tally.mean_realisation == Decimal("0.5") and small.tally.realised == Decimal("50000.00")
    assert (medium.cost, medium.benefits, medium.net) == (
        Decimal("150000.00"),
        Decimal("120000.00"),
        Decimal("-30000.00"),
    )
    assert (medium.tally.measured, medium.tally.planned, medium.tally.not_measurable) == (0, 1, 1)
    assert medium.tally.mean_realisation is None
    # opted out: listed as a member, with nothing paid or gained
    assert (large.projects, large.cost, large.benefits, large.tally.lines) == (0, Decimal("0.00"), Decimal("0.00"), 0)

    (project,) = report.projects
    assert [m.pk for m in project.members] == [world.medium.pk, world.small.pk]  # by kommunenummer; not Kristiansund
    assert project.cost == Decimal("300000.00")
    assert project.tally.planned_value == Decimal("240000.00")  # 2 members × (100 000 + 20 000)
    assert project.tally.benefits == Decimal("190000.00") and project.tally.realised == Decimal("50000.00")
    assert project.tally.mean_realisation == Decimal("0.5") and project.tally.not_measurable == 2
    assert project.net == Decimal("-110000.00")

    assert (report.cost, report.benefits, report.net) == (
        Decimal("300000.00"),
        Decimal("190000.00"),
        Decimal("-110000.00"),
    )
    areas = {row.key: row for row in report.service_areas}
    assert areas[str(world.health_a.pk)].tally.benefits == Decimal("150000.00")
    assert areas[""].tally.benefits == Decimal("40000.00") and areas[""].tally.not_measurable == 2
    types = {row.key: row for row in report.types}
    assert set(types) == {"efficiency", "quality"} and types["efficiency"].benefit_count == 1
    assert types["quality"].tally.lines == 2
    gains = {row.key: row for row in report.gains}
    assert gains["productivity"].tally.realised == Decimal("50000.00")

    segments = {row.key: row for row in report.segments}
    assert segments["small"].mean_net == Decimal("-80000.00") and segments["small"].member_count == 1
    assert segments["large"].mean_cost == Decimal("0.00")

    (missing,) = report.unmeasurable
    assert missing.benefit == plan.unmeasured and missing.reason == "no_indicator"
    assert {m.pk for m in missing.members} == {world.small.pk, world.medium.pk}
    assert missing.value == Decimal("40000.00")


def test_roll_ups_with_a_hand_made_second_project(plan, world, second):
    report = reports.portfolio_report(world.a, YEAR)
    small, medium, large = (_row(report.members, m) for m in (world.small, world.medium, world.large))
    # 90 000.01 split equally between the two paying members: 45 000.01 and 45 000.00 (øre exact)
    project = next(row for row in report.projects if row.project == second)
    assert project.cost == Decimal("90000.01")
    assert {m.pk for m in project.postponed} == {world.small.pk}
    assert sorted([small.cost - Decimal(150000), large.cost]) == [Decimal("45000.00"), Decimal("45000.01")]
    assert medium.cost == Decimal("150000.00")  # opted out of project 2: pays nothing for it
    # Kristiansund: licences 100 → 75 (lower is better): 25 % → 2 500; quality not measurable for it
    assert large.benefits == Decimal("2500.00") and large.tally.realised == Decimal("2500.00")
    assert (large.tally.measured, large.tally.not_measurable) == (1, 1)
    # Smøla: plan 100 000 planned + 20 000 + licences 100 % 10 000; quality 40 % (the 2027 value is after the year)
    assert small.benefits == Decimal("130000.00")
    assert small.tally.mean_realisation == Decimal("0.7")  # (1 + 0.4) / 2
    assert small.tally.benefits - small.tally.realised == Decimal("120000.00")
    quality = next(row for row in report.unmeasurable if row.benefit.name == "Bedre arkiv")
    assert quality.reason == "no_target" and [m.pk for m in quality.members] == [world.large.pk]
    assert quality.value is None  # not monetary: listed, no NOK
    economic = next(row for row in report.types if row.key == "economic")
    assert economic.tally.benefits == Decimal("12500.00") and economic.tally.planned_value == Decimal("20000.00")
    assert next(row for row in report.gains if row.key == "cost_cut").tally.realised == Decimal("12500.00")
    # the totals are the sums of the rows, øre exact
    assert report.cost == sum((row.cost for row in report.projects), Decimal(0))
    assert report.benefits == sum((row.benefits for row in report.members), Decimal(0))
    assert report.benefits == sum((row.tally.benefits for row in report.types), Decimal(0))
    assert report.benefits == sum((row.benefits for row in report.segments), Decimal(0))


def test_every_member_row_equals_its_member_report(plan, world, second):
    services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "42")
    for year in (2025, YEAR, 2027):
        report = reports.portfolio_report(world.a, year)
        for row in report.members:
            own = services.member_report(row.municipality, world.a, year)
            assert (row.cost, row.benefits, row.net) == (own.cost, own.benefit_total, own.net), (year, row)
            lines = [b for p in own.projects for b in p.benefits]
            assert row.tally.lines == len(lines)
            assert row.tally.not_measurable == sum(b.basis == "not_measurable" for b in lines)
            assert row.projects == len(own.projects)


def test_members_of_other_collaborations_are_not_in_it(plan, world):
    report = reports.portfolio_report(world.a, YEAR)
    assert {row.municipality.pk for row in report.members} == {world.small.pk, world.medium.pk, world.large.pk}
    assert reports.portfolio_report(world.b, YEAR).projects == []


def _grow(world, plan, make_municipality, first: int, last: int) -> None:
    """Members `first`..`last - 1` more of A, each in the plan's project and in a project of its own (with Smøla)
    with the plan's key, a benefit measured twice and a benefit without indicator."""
    for n in range(first, last):
        member = make_municipality(f"9{n:03d}", f"Kommune {n}", 1000 + n)
        Membership.objects.create(collaboration=world.a, municipality=member, valid_from=datetime.date(2020, 1, 1))
        Participation.objects.create(project=plan.project, municipality=member)
        project = Project.objects.create(collaboration=world.a, number=100 + n, title=f"P{n}", owner=plan.owner)
        Participation.objects.create(project=project, municipality=member)
        Participation.objects.create(project=project, municipality=world.small)
        BudgetLine.objects.create(project=project, year=YEAR, kind="operation", amount=Decimal(1000 + n), key=plan.key)
        benefit = Benefit.objects.create(
            project=project, name="B", type="efficiency", monetary=True, yearly_value=Decimal(500)
        )
        Benefit.objects.create(project=project, name="U", type="quality", service_area=world.health_a)
        indicator = Indicator.objects.create(benefit=benefit, name="I", unit="t", schedule="monthly")
        target = _target(indicator, member)
        Measurement.objects.create(target=target, period=datetime.date(YEAR, 2, 1), value=Decimal(3))
        Measurement.objects.create(target=target, period=datetime.date(YEAR, 3, 1), value=Decimal(5))


def test_queries_are_bounded(plan, world, make_municipality):
    def count():
        with CaptureQueriesContext(connection) as captured:
            report = reports.portfolio_report(world.a, YEAR)
        return len(captured), report

    _grow(world, plan, make_municipality, 0, 2)
    few, report = count()
    assert len(report.projects) == 3 and len(report.members) == 5
    _grow(world, plan, make_municipality, 2, 10)
    many, report = count()
    assert len(report.projects) == 11 and len(report.members) == 13
    assert many == few
    assert _row(report.members, world.small).projects == 11


def test_csv_and_xlsx_of_the_roll_ups(plan, world):
    services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "30")
    report = reports.portfolio_report(world.a, YEAR)
    text = "".join(reports.csv_lines(report, "members", "nb"))
    assert "Smøla" in text and "-80000,00" in text and "150000,00" in text
    text = "".join(reports.csv_lines(report, "unmeasurable", "en"))
    assert "Tryggere brukere" in text and "40000.00" in text
    book = openpyxl.load_workbook(io.BytesIO(reports.xlsx_bytes(report, "en")))
    assert len(book.sheetnames) == len(reports.TABLES)
    members = book[book.sheetnames[0]]
    rows = {row[1]: row for row in members.iter_rows(min_row=2, values_only=True)}
    assert Decimal(str(rows["Smøla"][-1])) == Decimal("-80000.00")
    assert Decimal(str(rows["Sunndal"][4])) == Decimal("150000.00")


# ------------------------------------------------------------------------------------------------ portal


def test_everyone_in_the_collaboration_sees_the_page(client, plan, world):
    services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "30")
    for person in (world.member_small, world.admin_a, world.council_member, plan.benefit_owner):
        client.force_login(person.user)
        response = client.get(PAGE, {"year": YEAR})
        assert response.status_code == 200, person
        page = response.content.decode()
        assert 'id="portfolio-members"' in page and 'data-member="1505"' in page and 'data-member="1563"' in page
        assert 'id="portfolio-net" data-negative="true">kr -110' in page
        assert f'data-unmeasurable="{plan.unmeasured.pk}"' in page
        assert "<caption" in page and 'scope="col"' in page and 'scope="row"' in page
        assert "/portal/benefits/portfolio/annual-report/nn.pdf?year=2026" in page
    chart = page[page.index('id="portfolio-members-chart"') : page.index('id="portfolio-members"')]
    pays = re.search(rf'data-member="{world.small.number}" data-measure="cost">.*?kr ([^<]+)<', chart, re.S)
    cost = _row(reports.portfolio_report(world.a, YEAR).members, world.small).cost
    assert pays and re.sub(r"\D", "", pays.group(1)) == re.sub(r"\D", "", f"{cost:.2f}"), "the bar says the amount"
    assert 'id="portfolio-segments-chart"' in page and 'data-segment="' in page
    assert 'href="/portal/benefits/portfolio/"' in client.get("/portal/benefits/").content.decode()


def test_refusals_on_the_page(client, plan, world):
    assert client.get(PAGE).status_code == 302  # signed out: to the login page
    assert "/portal/login/" in client.get(PAGE)["Location"]
    assert client.get(PAGE + "xlsx/").status_code == 302
    client.force_login(world.outsider)
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE + "csv/").status_code == 403
    client.force_login(world.member_other.user)  # collaboration B: sees B's, never A's numbers
    page = client.get(PAGE, {"year": YEAR}).content.decode()
    assert "Smøla" not in page and "Digitalt tilsyn" not in page and "Tryggere brukere" not in page
    download = b"".join(client.get(PAGE + "csv/", {"year": YEAR, "table": "projects"}).streaming_content)
    assert b"Digitalt tilsyn" not in download
    client.force_login(world.member_small.user)
    assert client.get(PAGE, {"year": "tjue"}).status_code == 404
    assert client.get(PAGE + "pdf/").status_code == 404
    assert client.get(PAGE + "csv/", {"table": "nope"}).status_code == 404


def test_downloads(client, plan, world):
    client.force_login(world.member_small.user)
    response = client.get(PAGE + "csv/", {"year": YEAR, "table": "projects"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "Digitalt tilsyn" in b"".join(response.streaming_content).decode()
    response = client.get(PAGE + "xlsx/", {"year": YEAR})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    values = [cell for row in book[book.sheetnames[1]].iter_rows(values_only=True) for cell in row]
    assert "Digitalt tilsyn" in values


def test_page_queries_are_bounded(client, plan, world, make_municipality):
    client.force_login(world.member_small.user)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE, {"year": YEAR}).status_code == 200
        return len(captured)

    _grow(world, plan, make_municipality, 0, 2)
    client.get(PAGE, {"year": YEAR})
    few = count()
    _grow(world, plan, make_municipality, 2, 10)
    assert count() == few


# ------------------------------------------------------------------------------------------------ API


def test_api_shape(client, plan, world):
    services.record_measurement(plan.small_target, plan.benefit_owner.user, JUNE, "30")
    client.force_login(world.member_small.user)
    data = client.get(API, {"year": YEAR}).json()
    assert data["collaboration"]["id"] == world.a.pk and data["year"] == YEAR
    assert data["total"] == {
        "cost": "300000.00",
        "net": "-110000.00",
        "lines": 4,
        "measured": 1,
        "planned": 1,
        "not_measurable": 2,
        "planned_value": "240000.00",
        "benefits": "190000.00",
        "realised": "50000.00",
        "mean_realisation": "0.5000",
    }
    small = next(row for row in data["members"] if row["municipality"]["number"] == "1573")
    assert (small["cost"], small["benefits"], small["net"]) == ("150000.00", "70000.00", "-80000.00")
    (project,) = data["projects"]
    assert project["reference"] == "P-1" and len(project["members"]) == 2
    assert {row["key"] for row in data["segments"]} == {"small", "medium", "large"}
    assert data["unmeasurable"][0]["reason"] == "no_indicator" and data["unmeasurable"][0]["value"] == "40000.00"
    assert {"service_areas", "types", "gains"} <= set(data)


def test_api_scoping(client, plan, world):
    assert client.get(API).status_code in (401, 403)
    client.force_login(world.outsider)
    assert client.get(API).status_code == 403
    client.force_login(world.member_other.user)
    data = client.get(API, {"year": YEAR}).json()
    assert data["collaboration"]["id"] == world.b.pk and data["projects"] == []
    assert client.get(API, {"collaboration": world.a.pk}).status_code == 404
    client.force_login(world.member_small.user)
    assert client.get(API, {"year": "x"}).status_code == 400
    client.force_login(world.operator)
    assert client.get(API, {"collaboration": world.a.pk, "year": YEAR}).json()["total"]["cost"] == "300000.00"
