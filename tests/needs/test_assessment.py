"""Assessment of needs: criteria, the explainable score, ranking, the sector queue and response times."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from ikt_portfolio.members.models import BodyMembership, ServiceArea
from ikt_portfolio.needs import assessment, services
from ikt_portfolio.needs.models import Assessment, Criterion, CriterionScore, Need
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import TransitionLog
from tests.needs.conftest import SCORES

# The default weights: strategic fit 3, economic benefit 2, quality 2, urgency 2, risk 1 (inverse), breadth 2: Σ 12


@pytest.fixture
def representative(world, make_person, seat):
    person = make_person("rep_sunndal", municipality=world.medium)
    seat(person, world.sector_a, BodyMembership.Role.MEMBER, represents=world.medium)
    return person


@pytest.fixture(autouse=True)
def _english_messages():
    """The refusal texts below are asserted in English (nb and nn are checked where it says so)."""
    with translation.override("en"):
        yield


def assess(need, user, **overrides):
    values = {
        "scores": dict(SCORES),
        "estimated_cost": Decimal("650000"),
        "estimated_effort": Decimal("8.5"),
        "recommendation": "Anbefales: felles løsning for alle.",
    } | overrides
    return assessment.assess(need, user=user, **values)


def test_default_criteria_load_once_with_a_descriptor_per_level(world):
    created = assessment.ensure_default_criteria(world.a)
    keys = [criterion.key for criterion in created]
    assert keys == ["strategic_fit", "economic_benefit", "quality_inhabitants", "urgency", "risk", "breadth"]
    assert assessment.ensure_default_criteria(world.a) == []  # idempotent
    strategic = Criterion.objects.get(collaboration=world.a, key="strategic_fit")
    assert strategic.descriptors["1"] == "Ingen kobling til samarbeidets mål"
    assert strategic.descriptors["5"] == "Direkte nødvendig for et av hovedmålene"
    assert Criterion.objects.get(collaboration=world.a, key="risk").inverse
    assert all(set(c.descriptors) == {"1", "2", "3", "4", "5"} for c in Criterion.objects.filter(collaboration=world.a))
    assert not Criterion.objects.filter(collaboration=world.b).exists()


def test_the_lead_assesses_and_the_total_is_the_documented_one(world, in_group):
    need = in_group()
    result = assess(need, world.lead.user)
    # Σ w × (level' − 1)/4: 3×1 + 2×0.5 + 2×0.75 + 2×0.25 + 1×(6−2−1)/4 + 2×0 (only one member) = 6.75
    # 100 × 6.75 / 12 = 56.25
    assert result.total == Decimal("56.25")
    assert result.capacity == "sector_lead"
    assert result.assessed_by == world.lead
    rows = {row["criterion"].key: row for row in assessment.breakdown(result)["rows"]}
    assert rows["strategic_fit"]["contribution"] == Decimal("25.00")
    with translation.override("nb"):
        assert rows["strategic_fit"]["criterion"].descriptor(5) == "Direkte nødvendig for et av hovedmålene"
    with translation.override("en"):
        assert rows["strategic_fit"]["criterion"].descriptor(5) == "Directly necessary for one of the main goals"
    assert rows["strategic_fit"]["descriptor"]
    assert rows["risk"]["contribution"] == Decimal("6.25")  # inverse: level 2 counts as 4
    assert rows["breadth"]["level"] == 1 and rows["breadth"]["computed"]
    assert "1" in rows["breadth"]["note"] and "3" in rows["breadth"]["note"]
    assert assessment.breakdown(result)["total"] == Decimal("56.25")
    need.refresh_from_db()
    assert need.estimated_cost == Decimal("650000.00") and need.estimated_effort == Decimal("8.5")
    assert need.history.first().history_capacity == "sector_lead"
    assert result.history.first().history_capacity == "sector_lead"


def test_inverse_criterion_high_risk_lowers_the_score(world, in_group):
    low_risk = assess(in_group(), world.lead.user, scores=SCORES | {"risk": 1})
    high_risk = assess(in_group(), world.lead.user, scores=SCORES | {"risk": 5})
    assert low_risk.total - high_risk.total == Decimal("8.33")  # 100 × 1 × 1 / 12


def test_breadth_is_computed_from_co_signatures(world, in_group, make_person):
    need = in_group()
    for number, municipality in (("1", world.medium), ("2", world.large)):
        signer = make_person(f"signer{number}", municipality=municipality)
        services.co_sign(need, user=signer.user)
    result = assess(need, world.lead.user)
    breadth = result.scores.get(criterion__key="breadth")
    assert breadth.score == 5  # 3 of 3 members
    assert result.total == Decimal("72.92")  # 100 × (6.75 + 2×1) / 12
    with pytest.raises(ValidationError, match="computed"):
        assess(need, world.lead.user, scores=SCORES | {"breadth": 3})


@pytest.mark.parametrize(
    ("signers", "members", "level"), [(1, 3, 1), (1, 10, 1), (2, 10, 2), (3, 10, 3), (5, 10, 4), (2, 3, 4), (8, 10, 5)]
)
def test_breadth_bands(signers, members, level):
    assert assessment.breadth_level(signers, members) == level


def test_a_sector_representative_may_assess(world, in_group, representative):
    result = assess(in_group(), representative.user)
    assert result.capacity == "sector_representative"


def test_assessing_again_replaces_scores(world, in_group):
    need = in_group()
    assess(need, world.lead.user)
    again = assess(need, world.lead.user, scores=SCORES | {"strategic_fit": 1})
    assert Assessment.objects.filter(need=need).count() == 1
    assert CriterionScore.objects.filter(assessment=again).count() == 6
    assert again.total == Decimal("31.25")


def test_refused_for_a_member_outside_the_sector_group(world, in_group):
    need = in_group()
    with pytest.raises(workflow.ActionRefused, match="Only the sector lead or a sector representative"):
        assess(need, world.council_member.user)
    assert not Assessment.objects.exists()
    need.refresh_from_db()
    assert need.estimated_cost is None


def test_refused_in_the_wrong_state(world, report, criteria):
    need = report()
    workflow.perform(need, "submit", world.member_small.user)  # submitted: not yet taken up
    with pytest.raises(workflow.ActionRefused, match="cannot be assessed while it is"):
        assess(need, world.lead.user)
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({k: v for k, v in SCORES.items() if k != "urgency"}, "a score from 1 to 5"),
        (SCORES | {"urgency": 6}, "whole number from 1 to 5"),
        (SCORES | {"urgency": 0}, "whole number from 1 to 5"),
        (SCORES | {"urgency": "2.5"}, "whole number from 1 to 5"),
        (SCORES | {"beauty": 3}, "Unknown criteria: beauty"),
    ],
)
def test_refused_for_a_missing_or_out_of_range_score(world, in_group, scores, message):
    need = in_group()
    with pytest.raises(ValidationError, match=message):
        assess(need, world.lead.user, scores=scores)
    assert not Assessment.objects.exists() and not CriterionScore.objects.exists()
    need.refresh_from_db()
    assert need.estimated_cost is None


def test_inactive_criteria_are_not_required(world, in_group):
    Criterion.objects.filter(collaboration=world.a, key="economic_benefit").update(is_active=False)
    result = assess(in_group(), world.lead.user, scores={k: v for k, v in SCORES.items() if k != "economic_benefit"})
    assert result.total == Decimal("57.50")  # (6.75 − 1) / 10


def test_ranking_orders_by_total_and_stays_in_the_service_area(world, in_group):
    low = in_group(title="Lav")
    high = in_group(title="Høy")
    unassessed = in_group(title="Uten vurdering")
    assess(low, world.lead.user, scores=SCORES | {"strategic_fit": 1})
    assess(high, world.lead.user)
    ranked = list(assessment.ranking(world.sector_a))
    assert ranked == [high, low]
    assert unassessed not in ranked
    assert list(assessment.ranking(world.health_b)) == []


def _submitted_days_ago(need, days):
    moment = timezone.now() - datetime.timedelta(days=days)
    TransitionLog.objects.of(need).filter(to_state="submitted").update(at=moment)
    return moment


def test_queue_lists_the_service_areas_waiting_needs_oldest_first(world, report, criteria):
    economy = ServiceArea.objects.create(collaboration=world.a, code="okonomi", name="Økonomi")
    newer = report(title="Nyere")
    workflow.perform(newer, "submit", world.member_small.user)
    older = report(title="Eldre")
    workflow.perform(older, "submit", world.member_small.user)
    workflow.perform(older, "take_up", world.lead.user)
    _submitted_days_ago(newer, 2)
    _submitted_days_ago(older, 9)
    report(title="Utkast")  # a draft does not wait for the sector group
    elsewhere = report(title="Annen sektor", service_area=economy)
    workflow.perform(elsewhere, "submit", world.member_small.user)

    queue = assessment.sector_queue(world.sector_a)
    assert [item.need for item in queue] == [older, newer]
    assert [item.days_waiting for item in queue] == [9, 2]
    assert queue[1].deadline_at == Need.objects.get(pk=newer.pk).deadline_at
    assert queue[0].first_response_at is not None  # taken up by the lead
    assert queue[1].first_response_at is None
    assert [item.need for item in assessment.sector_queue(economy)] == [elsewhere]


def test_first_response_is_the_first_step_or_comment_by_someone_else(world, report, criteria):
    need = report()
    workflow.perform(need, "submit", world.member_small.user)
    services.add_comment(need, user=world.member_small.user, body="Jeg la til et vedlegg.")  # the submitter
    assert assessment.sector_queue(world.health_a)[0].first_response_at is None
    comment = services.add_comment(need, user=world.lead.user, body="Hvor mange brukere gjelder det?")
    workflow.perform(need, "take_up", world.lead.user)
    item = assessment.sector_queue(world.health_a)[0]
    assert item.first_response_at == comment.created_at
    assert item.response_time == comment.created_at - item.submitted_at

    # the report of response times gives the same moment (one definition for both)
    from ikt_portfolio.needs import reports

    (row,) = reports.response_report(world.a).rows
    assert row.first_response_at == comment.created_at


def test_first_response_by_a_workflow_step(world, report, criteria):
    need = report()
    workflow.perform(need, "submit", world.member_small.user)
    log = workflow.perform(need, "take_up", world.lead.user)
    assert assessment.sector_queue(world.health_a)[0].first_response_at == log.at


def _count(func):
    with CaptureQueriesContext(connection) as captured:
        result = func()
        list(result)
    return len(captured)


def test_queue_and_ranking_queries_do_not_grow_with_rows(world, in_group, report):
    def add(n):
        for _i in range(n):
            need = in_group()
            assess(need, world.lead.user)
            services.add_comment(need, user=world.lead.user, body="Ok")
            waiting = report()
            workflow.perform(waiting, "submit", world.member_small.user)

    add(1)
    queue_one, ranking_one = (
        _count(lambda: assessment.sector_queue(world.health_a)),
        _count(lambda: assessment.ranking(world.health_a)),
    )
    add(3)
    assert len(assessment.sector_queue(world.health_a)) == 8  # submitted, and taken up (still in the group)
    assert _count(lambda: assessment.sector_queue(world.health_a)) == queue_one
    assert _count(lambda: assessment.ranking(world.health_a)) == ranking_one


def test_desk_pages_for_criteria_and_the_sector_queue(client, world, report):
    from django.urls import reverse

    client.force_login(world.admin_a.user)
    assert client.get(reverse("admin:ikt_needs_criterion_changelist")).status_code == 200
    client.force_login(world.lead.user)
    assert client.get("/desk/ikt_needs/assessment/sector-queue/").status_code == 200
