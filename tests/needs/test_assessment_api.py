"""The assessment API: GET/PUT /needs/{id}/assessment/, the ranking and the sector queue, through HTTP with
real users, capacities and workflow; what is refused writes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ikt_portfolio.needs import assessment
from ikt_portfolio.needs.models import Assessment, CriterionScore
from ikt_portfolio.workflow.models import TransitionLog
from tests.needs.conftest import SCORES
from tests.needs.test_api import Api

pytestmark = pytest.mark.django_db

RANKING = "/api/v1/needs/ranking/"
QUEUE = "/api/v1/needs/sector-queue/"


class AssessmentApi(Api):
    def put(self, path, data):
        return self._client().put(path, data, format="json", HTTP_ACCEPT_LANGUAGE=self.language)


def as_(person, language="en") -> AssessmentApi:
    return AssessmentApi(person.user, language)


def url(need) -> str:
    return f"/api/v1/needs/{need.pk}/assessment/"


def body(**overrides) -> dict:
    return {
        "scores": dict(SCORES),
        "notes": {"strategic_fit": "Del av målet om tjenester hele døgnet."},
        "estimated_cost": "650000",
        "estimated_effort": "8.5",
        "recommendation": "Anbefales: felles løsning for alle.",
    } | overrides


def assert_nothing_written(need):
    assert not Assessment.objects.filter(need=need).exists() and not CriterionScore.objects.exists()
    need.refresh_from_db()
    assert need.estimated_cost is None and need.estimated_effort is None


# ------------------------------------------------------------------------------------------ assessment


def test_get_before_assessment_gives_the_criteria_and_whether_one_may_assess(world, in_group):
    need = in_group()
    answer = as_(world.lead).get(url(need))
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["assessed"] is False and data["total"] is None and data["breakdown"] == []
    assert data["may_assess"] is True and data["refusal"] == ""
    keys = [criterion["key"] for criterion in data["criteria"]]
    assert keys == ["strategic_fit", "economic_benefit", "quality_inhabitants", "urgency", "risk", "breadth"]
    strategic = data["criteria"][0]
    assert strategic["descriptors"]["5"] == "Directly necessary for one of the main goals"
    assert data["criteria"][-1]["computed"] is True
    submitter = as_(world.member_small).get(url(need)).json()
    assert submitter["may_assess"] is False and "Only the sector lead" in submitter["refusal"]


def test_the_lead_assesses_and_gets_the_breakdown(world, in_group):
    need = in_group()
    answer = as_(world.lead).put(url(need), body())
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["assessed"] is True and data["total"] == "56.25"
    assert data["scores"] == SCORES | {"breadth": 1}
    assert data["notes"]["strategic_fit"] == "Del av målet om tjenester hele døgnet."
    assert data["estimated_cost"] == "650000.00" and data["estimated_effort"] == "8.5"
    assert data["capacity"] == "sector_lead" and data["assessed_by"]["id"] == world.lead.pk
    rows = {row["criterion"]: row for row in data["breakdown"]}
    assert rows["strategic_fit"] == {
        "criterion": "strategic_fit",
        "name": "Strategic fit",
        "level": 5,
        "descriptor": "Directly necessary for one of the main goals",
        "weight": "3.00",
        "inverse": False,
        "computed": False,
        "note": "Del av målet om tjenester hele døgnet.",
        "contribution": "25.00",
    }
    assert rows["risk"]["contribution"] == "6.25" and rows["breadth"]["computed"] is True
    stored = Assessment.objects.get(need=need)
    assert stored.total == Decimal("56.25") and stored.history.first().history_capacity == "sector_lead"
    # everyone in the collaboration reads it; norsk descriptors for a Norwegian reader
    read = as_(world.member_small, "nb").get(url(need)).json()
    assert read["total"] == "56.25"
    assert {row["criterion"]: row for row in read["breakdown"]}["strategic_fit"]["descriptor"] == (
        "Direkte nødvendig for et av hovedmålene"
    )


@pytest.mark.parametrize("who", ["economy_rep", "submitter", "council_member", "admin"])
def test_refused_outside_the_sector_group_with_the_reason(world, in_group, economy_rep, who):
    need = in_group()
    person = {
        "economy_rep": economy_rep,
        "submitter": world.member_small,
        "council_member": world.council_member,
        "admin": world.admin_a,
    }[who]
    answer = as_(person).put(url(need), body())
    assert answer.status_code == 403
    assert answer.json() == {"detail": "Only the sector lead or a sector representative of “Helse og omsorg” can "
                                       "assess this need."}  # fmt: skip
    assert_nothing_written(need)


def test_another_collaboration_does_not_find_the_need(world, in_group):
    need = in_group()
    assert as_(world.member_other).get(url(need)).status_code == 404
    assert as_(world.member_other).put(url(need), body()).status_code == 404
    assert_nothing_written(need)


def test_refused_before_the_need_is_taken_up(world, submitted):
    need = submitted()
    answer = as_(world.lead).put(url(need), body())
    assert answer.status_code == 403 and "cannot be assessed while it is" in answer.json()["detail"]
    assert_nothing_written(need)


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        (SCORES | {"urgency": 6}, "urgency"),
        (SCORES | {"urgency": 0}, "urgency"),
        (SCORES | {"urgency": "2.5"}, "urgency"),
        (SCORES | {"urgency": "high"}, "urgency"),
    ],
)
def test_bad_levels_are_refused(world, in_group, scores, field):
    need = in_group()
    answer = as_(world.lead).put(url(need), body(scores=scores))
    assert answer.status_code == 400
    assert field in answer.json()["scores"]
    assert_nothing_written(need)


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({key: level for key, level in SCORES.items() if key != "risk"}, "a score from 1 to 5"),
        (SCORES | {"breadth": 5}, "computed"),
        (SCORES | {"beauty": 3}, "Unknown criteria: beauty"),
    ],
)
def test_missing_unknown_or_computed_criteria_are_refused(world, in_group, scores, message):
    need = in_group()
    answer = as_(world.lead).put(url(need), body(scores=scores))
    assert answer.status_code == 400
    assert any(message in text for text in answer.json()["scores"]), answer.json()
    assert_nothing_written(need)


def test_bad_estimates_are_refused(world, in_group):
    need = in_group()
    answer = as_(world.lead).put(url(need), body(estimated_cost="-1", estimated_effort="mye"))
    assert answer.status_code == 400
    assert set(answer.json()) == {"estimated_cost", "estimated_effort"}
    assert_nothing_written(need)


def test_patch_and_post_are_not_offered(world, in_group):
    need = in_group()
    assert as_(world.lead).patch(url(need), body()).status_code == 405
    assert as_(world.lead).post(url(need), body()).status_code == 405
    assert_nothing_written(need)


# --------------------------------------------------------------------------------------------- ranking


def test_the_ranking_orders_by_score_with_breakdown_and_estimate(world, in_group):
    low, high, _unassessed = in_group(title="Lav"), in_group(title="Høy"), in_group(title="Uten")
    lead = as_(world.lead)
    assert lead.put(url(low), body(scores=SCORES | {"strategic_fit": 1}, estimated_cost=None)).status_code == 200
    assert lead.put(url(high), body()).status_code == 200

    answer = as_(world.member_small).get(RANKING, {"service_area": world.health_a.pk})
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert [(row["rank"], row["reference"], row["total"]) for row in results] == [
        (1, high.reference, "56.25"),
        (2, low.reference, "31.25"),
    ]
    assert results[0]["estimated_cost"] == "650000.00" and results[1]["estimated_cost"] is None
    assert results[0]["state"] == "in_sector_group" and results[0]["state_label"] == "In the sector group"
    assert len(results[0]["breakdown"]) == 6 and results[0]["recommendation"].startswith("Anbefales")
    assert results[0]["municipality"]["number"] == world.small.number


def test_the_ranking_is_scoped_and_needs_a_service_area(world):
    assert as_(world.member_other).get(RANKING, {"service_area": world.health_a.pk}).status_code == 404
    assert as_(world.member_small).get(RANKING, {"service_area": world.health_b.pk}).status_code == 404
    answer = as_(world.member_small).get(RANKING)
    assert answer.status_code == 400 and "service_area" in answer.json()
    assert as_(world.member_small).get(RANKING, {"service_area": "x"}).status_code == 400


# ------------------------------------------------------------------------------------------------ queue


def test_the_sector_queue_is_oldest_first_with_the_deadline(world, submitted, in_group, economy_rep):
    newer, older = submitted(title="Nyere"), in_group(title="Eldre")
    for need, days in ((newer, 2), (older, 9)):
        moment = timezone.now() - datetime.timedelta(days=days)
        TransitionLog.objects.of(need).filter(to_state="submitted").update(at=moment)
    answer = as_(world.lead).get(QUEUE)
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert [row["reference"] for row in results] == [older.reference, newer.reference]
    assert [row["days_waiting"] for row in results] == [9, 2]
    assert results[1]["deadline_at"] is not None and results[1]["overdue"] is False
    assert results[0]["state"] == "in_sector_group" and results[0]["service_area"]["id"] == world.health_a.pk
    # others' queues are not theirs
    assert as_(economy_rep).get(QUEUE).json()["results"] == []
    assert as_(world.member_small).get(QUEUE).json()["results"] == []
    assert as_(world.member_other).get(QUEUE).json()["results"] == []


# ---------------------------------------------------------------------------------------------- queries


def _count(api, path, data=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path, data).status_code == 200
    return len(captured)


def test_ranking_and_queue_queries_do_not_grow_with_rows(world, in_group, submitted):
    def add(n):
        for _index in range(n):
            need = in_group()
            assessment.assess(need, user=world.lead.user, scores=SCORES, estimated_cost=Decimal("1000"))
            submitted()

    add(1)
    api = as_(world.lead)
    params = {"service_area": world.health_a.pk}
    _count(api, RANKING, params), _count(api, QUEUE)  # warm the caches
    ranking_one, queue_one = _count(api, RANKING, params), _count(api, QUEUE)
    add(4)
    assert _count(api, RANKING, params) == ranking_one
    assert _count(api, QUEUE) == queue_one
