"""The equity view and the time to first response (needs.reports), on a hand-built scenario with known times."""

import datetime
import types
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from ikt_portfolio.members.models import Membership, ServiceArea
from ikt_portfolio.needs import reports, services
from ikt_portfolio.needs.models import Comment
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import TransitionLog
from tests.workflow.conftest import fixture_data

pytestmark = pytest.mark.django_db

OLD_SUBMISSION = timezone.make_aware(datetime.datetime(2024, 1, 15, 10, 0))


def ago(days: float, now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(days=days)


def dated(record, when):
    """Move a transition log entry or a comment to `when` (the tests need known times)."""
    field = "at" if isinstance(record, TransitionLog) else "created_at"
    type(record).objects.filter(pk=record.pk).update(**{field: when})
    return record


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def build_scenario(world, report, make_person):
    """Collaboration A: Smøla (small) reports two needs, Kristiansund (large) three, Sunndal (medium) none.

    s1 Smøla      submitted 10 days ago, the sector lead comments 8 days ago (2.0 days), taken up: in progress
    s2 Smøla      submitted 15 Jan 2024, taken up 1.5 days later, recommended: recommended or later
    k1 Kristiansund submitted 20 days ago, only its submitter and a co-signer commented: still waiting, overdue
    k2 Kristiansund submitted 6 days ago, taken up 2 days ago (4.0 days), rejected
    k3 Kristiansund submitted 3 days ago, withdrawn by its submitter: closed without a response
    a draft of Smøla's never counts. Co-signs: Sunndal and Kristiansund on s1, Smøla on k1.
    """
    s = types.SimpleNamespace(world=world, now=timezone.now())
    s.kristiansund = make_person("ksund", municipality=world.large, language="en")
    small, lead, large = world.member_small.user, world.lead.user, s.kristiansund.user

    s.s1 = report(title="Smøla 1")
    dated(workflow.perform(s.s1, "submit", small), ago(10, s.now))
    dated(services.add_comment(s.s1, user=lead, body="Hvor mange brukere?"), ago(8, s.now))
    dated(workflow.perform(s.s1, "take_up", lead), ago(7, s.now))

    s.s2 = report(title="Smøla 2")
    dated(workflow.perform(s.s2, "submit", small), OLD_SUBMISSION)
    dated(workflow.perform(s.s2, "take_up", lead), OLD_SUBMISSION + datetime.timedelta(days=1, hours=12))
    dated(workflow.perform(s.s2, "recommend", lead), OLD_SUBMISSION + datetime.timedelta(days=30))

    s.draft = report(title="Utkast")

    s.k1 = report(user=large, title="Kristiansund 1")
    dated(workflow.perform(s.k1, "submit", large), ago(20, s.now))
    dated(services.add_comment(s.k1, user=large, body="Vedlegg kommer."), ago(19, s.now))
    dated(services.add_comment(s.k1, user=world.council_member.user, body="Vi har det også."), ago(18, s.now))

    s.k2 = report(user=large, title="Kristiansund 2")
    dated(workflow.perform(s.k2, "submit", large), ago(6, s.now))
    dated(workflow.perform(s.k2, "take_up", lead), ago(2, s.now))
    dated(workflow.perform(s.k2, "reject", lead, comment="Dekkes av eksisterende system."), ago(1, s.now))

    s.k3 = report(user=large, title="Kristiansund 3")
    dated(workflow.perform(s.k3, "submit", large), ago(3, s.now))
    dated(workflow.perform(s.k3, "withdraw", large), ago(2, s.now))

    services.co_sign(s.s1, user=world.council_member.user)  # Sunndal
    services.co_sign(s.s1, user=large)
    services.co_sign(s.k1, user=small)
    return s


@pytest.fixture
def scenario(world, report, make_person):
    return build_scenario(world, report, make_person)


def by_key(rows):
    return {row.key: row for row in rows}


# ----------------------------------------------------------------------------------------------- equity


def test_equity_per_member_municipality(world, scenario):
    report = reports.equity(world.a)
    rows = by_key(report.municipalities)
    assert list(rows) == ["1573", "1563", "1505"]  # small, medium, large
    smola, sunndal, kristiansund = rows["1573"], rows["1563"], rows["1505"]

    assert (smola.segment, smola.population, smola.needs) == ("small", 2150, 2)
    assert (smola.co_signs_given, smola.co_signs_received) == (1, 2)
    assert smola.outcomes == {
        "in_progress": 1, "recommended": 1, "approved": 0, "resolved": 0, "rejected": 0, "merged": 0, "withdrawn": 0,
    }  # fmt: skip
    assert smola.waiting == 0 and smola.answered == 2
    assert smola.median_days == Decimal("1.8")  # 2.0 and 1.5 days

    # a member with no needs is there, with what it did: one co-signature
    assert (sunndal.segment, sunndal.population, sunndal.needs) == ("medium", 7200, 0)
    assert (sunndal.co_signs_given, sunndal.co_signs_received, sunndal.median_days) == (1, 0, None)
    assert set(sunndal.outcomes.values()) == {0}

    assert (kristiansund.segment, kristiansund.needs) == ("large", 3)
    assert (kristiansund.co_signs_given, kristiansund.co_signs_received) == (1, 1)
    assert kristiansund.outcomes["in_progress"] == 1
    assert kristiansund.outcomes["rejected"] == 1 and kristiansund.outcomes["withdrawn"] == 1
    assert kristiansund.waiting == 1  # k1; k3 was withdrawn unanswered and waits for nobody
    assert kristiansund.median_days == Decimal("4.0")

    # shares: 5 needs; 33 750 inhabitants
    assert [smola.need_share, sunndal.need_share, kristiansund.need_share] == [Decimal("40.0"), 0, Decimal("60.0")]
    assert [smola.population_share, sunndal.population_share, kristiansund.population_share] == [
        Decimal("6.4"), Decimal("21.3"), Decimal("72.3"),
    ]  # fmt: skip
    assert smola.representation == Decimal("6.25")


def test_equity_per_size_segment_and_in_total(world, scenario):
    report = reports.equity(world.a)
    segments = by_key(report.segments)
    assert list(segments) == ["small", "medium", "large"]  # no unknown or former members: not shown
    assert [(row.members, row.population, row.needs) for row in segments.values()] == [
        (1, 2150, 2), (1, 7200, 0), (1, 24400, 3),
    ]  # fmt: skip
    assert segments["small"].median_days == Decimal("1.8") and segments["medium"].median_days is None
    assert "5,000" in segments["small"].description or "5 000" in segments["small"].description
    total = report.total
    assert (total.members, total.population, total.needs, total.waiting) == (3, 33750, 5, 1)
    assert (total.co_signs_given, total.co_signs_received) == (3, 3)
    assert sum(total.outcomes.values()) == 5
    assert total.need_share == Decimal("100.0") and total.population_share == 100
    assert total.median_days == Decimal("2.0")  # 1.5, 2.0, 4.0


def test_period_filter_is_on_the_submission(world, scenario):
    recent = reports.equity(world.a, reports.make_filters(world.a, submitted_from=datetime.date(2025, 1, 1)))
    smola = by_key(recent.municipalities)["1573"]
    assert smola.needs == 1 and smola.outcomes["recommended"] == 0 and smola.median_days == Decimal("2.0")
    assert recent.total.needs == 4

    old = reports.equity(
        world.a,
        reports.make_filters(
            world.a, submitted_from=datetime.date(2024, 1, 15), submitted_to=datetime.date(2024, 1, 15)
        ),
    )
    rows = by_key(old.municipalities)
    assert (rows["1573"].needs, rows["1505"].needs, old.total.needs) == (1, 0, 1)
    assert rows["1573"].co_signs_received == 0  # the co-signs are on needs outside the period
    assert len(old.municipalities) == 3  # every member, also with nothing in the period


def test_service_area_filter(world, scenario):
    economy = ServiceArea.objects.create(collaboration=world.a, code="okonomi", name="Økonomi")
    other = services.create_need(
        user=world.council_member.user, collaboration=world.a, title="Fakturaflyt", problem="Manuelt.",
        service_area=economy,
    )  # fmt: skip
    workflow.perform(other, "submit", world.council_member.user)
    everything = reports.equity(world.a)
    assert by_key(everything.municipalities)["1563"].needs == 1 and everything.total.needs == 6
    health = reports.equity(world.a, reports.make_filters(world.a, service_area=world.health_a))
    assert by_key(health.municipalities)["1563"].needs == 0 and health.total.needs == 5
    only_economy = reports.response_report(world.a, reports.make_filters(world.a, service_area=economy.pk))
    assert [row.need for row in only_economy.rows] == [other]
    assert [area.service_area for area in only_economy.service_areas] == [economy]


def test_filters_are_checked(world, scenario):
    with pytest.raises(ValidationError) as refused:
        reports.make_filters(world.a, service_area=world.health_b)
    assert "service_area" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        reports.make_filters(world.a, service_area=world.health_b.pk)
    assert "service_area" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        reports.make_filters(world.a, submitted_from=datetime.date(2025, 2, 1), submitted_to=datetime.date(2025, 1, 1))
    assert "submitted_to" in refused.value.message_dict


def test_former_members_and_members_without_population_get_their_own_lane(world, scenario, make_municipality):
    Membership.objects.filter(collaboration=world.a, municipality=world.large).update(
        valid_to=timezone.localdate() - datetime.timedelta(days=1)
    )
    aure = make_municipality("1576", "Aure")  # no population figure
    Membership.objects.create(collaboration=world.a, municipality=aure, valid_from=datetime.date(2020, 1, 1))
    report = reports.equity(world.a)
    rows = by_key(report.municipalities)
    assert rows["1505"].segment == "former" and not rows["1505"].is_member and rows["1505"].needs == 3
    assert rows["1505"].population_share is None
    assert rows["1576"].segment == "unknown" and rows["1576"].needs == 0 and rows["1576"].population is None
    assert [row.key for row in report.segments] == ["small", "medium", "large", "unknown", "former"]
    assert report.total.population == 2150 + 7200 and report.total.needs == 5
    assert rows["1573"].population_share == Decimal("23.0")  # 2150 of 9350


@pytest.mark.parametrize(
    ("key", "category", "outcome"),
    [
        ("submitted", "waiting", "in_progress"),
        ("returned", "waiting", "in_progress"),
        ("in_sector_group", "open", "in_progress"),
        ("ordered", "waiting", "in_progress"),
        ("under_assessment", "open", "in_progress"),
        ("recommended", "waiting", "recommended"),
        ("portfolio_council", "waiting", "recommended"),
        ("board", "waiting", "recommended"),
        ("deferred", "waiting", "recommended"),
        ("approved", "waiting", "approved"),
        ("converted", "done", "approved"),
        ("resolved", "done", "resolved"),
        ("closed_in_operations", "done", "resolved"),
        ("merged", "done", "merged"),
        ("rejected", "rejected", "rejected"),
        ("withdrawn", "cancelled", "withdrawn"),
    ],
)
def test_outcome_mapping(key, category, outcome):
    assert reports.outcome_of(key, category) == outcome


# -------------------------------------------------------------------------------------- response times


def test_response_report_per_need(world, scenario):
    report = reports.response_report(world.a, now=scenario.now)
    rows = {row.need.pk: row for row in report.rows}
    assert scenario.draft.pk not in rows
    assert [row.need for row in report.rows] == [scenario.k3, scenario.k2, scenario.s1, scenario.k1, scenario.s2]

    s1 = rows[scenario.s1.pk]  # the sector lead's comment came before the step
    assert s1.first_response_at == Comment.objects.get(need=scenario.s1).created_at
    assert s1.response_days == Decimal("2.0") and not s1.waiting and not s1.overdue

    assert rows[scenario.s2.pk].response_days == Decimal("1.5")
    assert rows[scenario.s2.pk].submitted_at == OLD_SUBMISSION
    assert rows[scenario.k2.pk].response_days == Decimal("4.0")

    k1 = rows[scenario.k1.pk]  # its submitter's and a co-signer's comments are no response
    assert k1.first_response_at is None and k1.waiting and k1.waiting_days == Decimal("20.0")
    assert k1.deadline_days == 14 and k1.overdue
    assert k1.status == "still waiting, 20.0 days so far"

    k3 = rows[scenario.k3.pk]
    assert k3.closed_without_response and not k3.waiting and k3.waiting_days is None and not k3.overdue
    assert k3.response_days is None


def test_response_summary_per_service_area(world, scenario):
    report = reports.response_report(world.a, now=scenario.now)
    (health,) = report.service_areas
    assert health.service_area == world.health_a
    assert (health.needs, health.answered, health.waiting, health.waiting_overdue) == (5, 3, 1, 1)
    assert health.closed_without_response == 1
    assert health.median_days == Decimal("2.0")  # 1.5, 2.0, 4.0
    assert health.p90_days == Decimal("3.6")  # interpolated: 2.0 + 0.8 × (4.0 − 2.0)
    assert report.total.needs == 5 and report.total.median_days == Decimal("2.0")


def test_a_service_area_without_needs_is_listed_with_nothing(world, scenario):
    ServiceArea.objects.create(collaboration=world.a, code="oppvekst", name="Oppvekst", order=9)
    areas = reports.response_report(world.a).service_areas
    assert [area.label for area in areas] == ["Helse og omsorg", "Oppvekst"]
    assert (areas[1].needs, areas[1].median_days, areas[1].p90_days) == (0, None, None)


def test_response_times_stay_within_the_collaboration(world, scenario):
    assert reports.response_report(world.b).rows == []
    assert reports.equity(world.b).total.needs == 0


def test_the_ks_routing_is_measured_from_its_own_submission(world, make_person):
    """KS model: a need is "ordered" on submission (not "submitted"); the coordinator's assessment answers."""
    now = timezone.now()
    workflow.import_workflow(fixture_data("need_routing_ks.json", "ikt_needs.need"), world.b, activate=True)
    need = services.create_need(
        user=world.member_other.user, collaboration=world.b, title="Skole-PC", problem="Gamle maskiner.",
        service_area=world.health_b,
    )  # fmt: skip
    dated(workflow.perform(need, "submit", world.member_other.user), ago(5, now))
    (row,) = reports.response_report(world.b, now=now).rows
    assert row.waiting and row.deadline_days == 10 and row.waiting_days == Decimal("5.0") and not row.overdue
    dated(workflow.perform(need, "assess", world.admin_b.user), ago(1, now))
    (row,) = reports.response_report(world.b, now=now).rows
    assert row.response_days == Decimal("4.0")
    assert by_key(reports.equity(world.b).municipalities)["0301"].outcomes["in_progress"] == 1


def test_exports_of_the_reports(world, scenario):
    import csv
    import io

    import openpyxl

    equity = reports.equity(world.a)
    text = "".join(reports.csv_lines(equity, "municipalities", "nb"))
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert [row[0] for row in rows] == ["1573", "1563", "1505"]
    assert len(header) == len(reports.EQUITY_MUNICIPALITY_COLUMNS)
    assert rows[0][7] == "40,0" and rows[0][4] == "2150"  # share of needs, with the Norwegian decimal comma
    text = "".join(reports.csv_lines(equity, "segments", "en"))
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert [row[0] for row in rows] == ["small", "medium", "large", "All"]

    workbook = openpyxl.load_workbook(io.BytesIO(reports.xlsx_bytes(reports.response_report(world.a), "en")))
    assert workbook.sheetnames == ["Needs", "Service areas"]
    needs = list(workbook["Needs"].iter_rows(values_only=True))
    assert needs[0][:2] == ("Number", "Title") and len(needs) == 6
    assert workbook["Needs"].cell(row=2, column=6).is_date
    areas = list(workbook["Service areas"].iter_rows(values_only=True))
    assert areas[1][0] == "Helse og omsorg" and areas[1][3] == 2.0 and areas[-1][0] == "All service areas"
    assert reports.filename(equity, "csv", "segments").startswith("equity-a-segments-")


# ------------------------------------------------------------------------------------------- query cost


def _count(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


def test_queries_do_not_grow_with_needs(world, report, make_person):
    few = build_scenario(world, report, make_person)
    equity_few = _count(lambda: reports.equity(world.a))
    response_few = _count(lambda: reports.response_report(world.a))
    for index in range(6):
        need = report(title=f"Flere {index}", user=few.kristiansund.user if index % 2 else None)
        workflow.perform(need, "submit", need.submitted_by.user)
        workflow.perform(need, "take_up", world.lead.user)
        services.add_comment(need, user=world.lead.user, body="Ok")
        services.co_sign(need, user=world.council_member.user)
    assert reports.equity(world.a).total.needs == 11
    assert _count(lambda: reports.equity(world.a)) == equity_few
    assert _count(lambda: reports.response_report(world.a)) == response_few
    assert equity_few <= 6 and response_few <= 3
