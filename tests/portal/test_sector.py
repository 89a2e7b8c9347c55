"""The sector group's pages in the portal: its queue, the assessment form on the need's page, the ranking,
who is refused (nothing written), and bounded queries."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from ikt_portfolio.core.money import format_nok
from ikt_portfolio.members.models import BodyMembership
from ikt_portfolio.needs import assessment
from ikt_portfolio.needs.models import Assessment, CriterionScore, Need
from ikt_portfolio.workflow.models import TransitionLog
from tests.needs.conftest import SCORES

pytestmark = pytest.mark.django_db

QUEUE = "/portal/sector/"


@pytest.fixture
def health_rep(world, make_person, seat):
    person = make_person("rep_helse", municipality=world.medium, language="en")
    seat(person, world.sector_a, BodyMembership.Role.MEMBER, represents=world.medium)
    return person


def form_data(scores=None, **fields) -> dict:
    data = {f"assessment-score_{key}": str(level) for key, level in (SCORES if scores is None else scores).items()}
    data |= {
        "assessment-note_strategic_fit": "Del av målet om tjenester hele døgnet.",
        "assessment-estimated_cost": "650 000",
        "assessment-estimated_effort": "8,5",
        "assessment-recommendation": "Anbefales: felles løsning for alle.",
    }
    return data | {f"assessment-{name}": value for name, value in fields.items()}


def need_url(need):
    return reverse("ikt_portal:need", args=[need.pk])


def assess_url(need):
    return reverse("ikt_portal:assess", args=[need.pk])


def ranking_url(area):
    return reverse("ikt_portal:ranking", args=[area.pk])


def submitted_days_ago(need, days):
    TransitionLog.objects.of(need).filter(to_state="submitted").update(
        at=timezone.now() - datetime.timedelta(days=days)
    )


def order_of(page: str, needs) -> list:
    """The needs in the order the page shows them (by their data-need rows)."""
    found = [int(pk) for pk in re.findall(r'data-need="(\d+)"', page)]
    return [next(n for n in needs if n.pk == pk) for pk in found if pk in {n.pk for n in needs}]


def assert_nothing_written(need):
    assert not Assessment.objects.filter(need=need).exists()
    assert not CriterionScore.objects.exists()
    need.refresh_from_db()
    assert need.estimated_cost is None and need.estimated_effort is None


# --------------------------------------------------------------------------------------------- queue


def test_the_queue_lists_waiting_needs_oldest_first_with_the_deadline(login, world, submitted, in_group, report):
    newer = submitted(title="Nyere behov")
    older = in_group(title="Eldre behov")
    submitted_days_ago(newer, 2)
    submitted_days_ago(older, 9)
    Need.objects.filter(pk=older.pk).update(deadline_at=timezone.now() - datetime.timedelta(days=1))
    report(title="Et utkast")  # a draft does not wait for the sector group

    client = login(world.lead)
    response = client.get(QUEUE)
    assert response.status_code == 200
    page = response.content.decode()
    assert order_of(page, [newer, older]) == [older, newer]
    assert "Et utkast" not in page
    rows = dict(re.findall(r'data-need="(\d+)">(.*?)</tr>', page, re.S))
    assert "9 days" in rows[str(older.pk)] and "overdue" in rows[str(older.pk)]
    assert "2 days" in rows[str(newer.pk)] and "overdue" not in rows[str(newer.pk)]
    deadline = Need.objects.get(pk=newer.pk).deadline_at
    assert (
        deadline is not None and timezone.localtime(deadline).date().isoformat() in rows[str(newer.pk)]
    )  # <time datetime="…">
    assert need_url(older) in rows[str(older.pk)]
    assert f'href="{QUEUE}"' in page  # in the menu for people in a sector group


def test_people_outside_sector_groups_get_a_friendly_refusal(login, world, submitted):
    submitted()
    for person in (world.member_small, world.council_member, world.admin_a):
        client = login(person)
        response = client.get(QUEUE)
        assert response.status_code == 403
        assert 'id="not-in-sector-group"' in response.content.decode()
        assert f'href="{QUEUE}"' not in client.get(reverse("ikt_portal:needs")).content.decode()


def test_a_representative_sees_only_the_queue_of_their_own_sector_group(login, world, submitted, economy, economy_rep):
    health = submitted(title="Helsebehov")
    money = submitted(title="Økonomibehov", service_area=economy.service_area)
    page = login(economy_rep).get(QUEUE).content.decode()
    assert order_of(page, [health, money]) == [money]
    # several groups: one at a time, chosen by tabs
    BodyMembership.objects.create(person=economy_rep, body=world.sector_a, represents=world.large,
                                  valid_from=datetime.date(2020, 1, 1))  # fmt: skip
    client = login(economy_rep)
    page = client.get(QUEUE, {"area": world.health_a.pk}).content.decode()
    assert order_of(page, [health, money]) == [health]
    assert f"?area={economy.service_area.pk}" in page


# ---------------------------------------------------------------------------------------- assessment


def test_the_lead_assesses_on_the_need_page_and_everyone_sees_the_breakdown(login, world, in_group):
    need = in_group()
    client = login(world.lead)
    page = client.get(need_url(need)).content.decode()
    assert 'id="assessment-form"' in page
    assert 'name="assessment-score_strategic_fit"' in page and 'name="assessment-score_breadth"' not in page
    with translation.override("en"):
        strategic = assessment.active_criteria(world.a.pk)[0]
        assert strategic.descriptor(5) in page  # each level shows its descriptor in the reader's language
    assert 'id="assessment-breadth"' in page

    response = client.post(assess_url(need), form_data())
    assert response.status_code == 302 and response["Location"].endswith("#assessment")
    result = Assessment.objects.get(need=need)
    assert result.total == Decimal("56.25") and result.capacity == "sector_lead"
    assert result.scores.get(criterion__key="strategic_fit").note == "Del av målet om tjenester hele døgnet."
    need.refresh_from_db()
    assert need.estimated_cost == Decimal("650000.00") and need.estimated_effort == Decimal("8.5")
    assert result.history.first().history_capacity == "sector_lead"

    # prefilled from the assessment when assessing again
    page = client.get(need_url(need)).content.decode()
    assert re.search(r'name="assessment-score_strategic_fit" value="5"[^>]*checked', page)
    assert 'value="650000.00"' in page

    # the submitter: the score and its breakdown, read only
    page = login(world.member_small).get(need_url(need)).content.decode()
    assert 'id="assessment-result"' in page and 'id="assessment-form"' not in page
    assert "56.25" in page
    for key in ("strategic_fit", "risk", "breadth"):
        assert f'data-criterion="{key}"' in page
    with translation.override("en"):
        assert format_nok(Decimal("650000")) in page
    assert "Anbefales: felles løsning for alle." in page


def test_a_sector_representative_may_assess_too(login, world, in_group, health_rep):
    need = in_group()
    assert login(health_rep).post(assess_url(need), form_data()).status_code == 302
    assert Assessment.objects.get(need=need).capacity == "sector_representative"


@pytest.mark.parametrize("who", ["economy_rep", "submitter", "council_member", "other_collaboration"])
def test_refused_outside_the_sector_group_and_nothing_is_written(login, world, in_group, economy_rep, who):
    need = in_group()
    person = {
        "economy_rep": economy_rep,
        "submitter": world.member_small,
        "council_member": world.council_member,
        "other_collaboration": world.member_other,
    }[who]
    client = login(person)
    response = client.post(assess_url(need), form_data())
    if who == "other_collaboration":
        assert response.status_code == 404  # they cannot see the need at all
    else:
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert "Only the sector lead or a sector representative" in page
        assert 'id="assessment-form"' not in page
    assert_nothing_written(need)


def test_refused_before_the_sector_group_has_taken_the_need_up(login, world, submitted):
    need = submitted()
    client = login(world.lead)
    page = client.get(need_url(need)).content.decode()
    assert 'id="assessment-form"' not in page and 'id="assessment-reason"' in page
    response = client.post(assess_url(need), form_data())
    assert response.status_code == 302
    assert "cannot be assessed while it is" in client.get(need_url(need)).content.decode()
    assert_nothing_written(need)


@pytest.mark.parametrize(
    "scores",
    [
        SCORES | {"urgency": 6},
        SCORES | {"urgency": 0},
        SCORES | {"urgency": "2.5"},
        {key: level for key, level in SCORES.items() if key != "risk"},
    ],
)
def test_bad_levels_are_refused_on_the_form(login, world, in_group, scores):
    need = in_group()
    response = login(world.lead).post(assess_url(need), form_data(scores))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-summary"' in page and 'id="assessment-form"' in page
    assert 'value="Anbefales: felles løsning for alle."' in page or "Anbefales: felles løsning for alle." in page
    assert_nothing_written(need)


def test_a_bad_estimate_is_refused_on_the_form(login, world, in_group):
    need = in_group()
    response = login(world.lead).post(assess_url(need), form_data(estimated_cost="-5", estimated_effort="mye"))
    assert response.status_code == 400
    assert 'id="id_assessment-estimated_cost_error"' in response.content.decode()
    assert_nothing_written(need)


def test_scoring_breadth_by_hand_is_ignored(login, world, in_group):
    need = in_group()
    response = login(world.lead).post(assess_url(need), form_data(score_breadth="5"))
    assert response.status_code == 302
    assert Assessment.objects.get(need=need).scores.get(criterion__key="breadth").score == 1  # computed


# ------------------------------------------------------------------------------------------- ranking


def test_the_ranking_orders_by_score_with_breakdown_estimate_and_state(login, world, in_group):
    low = in_group(title="Lavt behov")
    high = in_group(title="Høyt behov")
    unassessed = in_group(title="Uten vurdering")
    lead = login(world.lead)
    lead.post(assess_url(low), form_data(SCORES | {"strategic_fit": 1}, estimated_cost="1 250 000,50"))
    lead.post(assess_url(high), form_data())
    assert Assessment.objects.count() == 2

    client = login(world.member_small)  # anyone in the collaboration may read it
    response = client.get(ranking_url(world.health_a))
    assert response.status_code == 200
    page = response.content.decode()
    assert order_of(page, [low, high, unassessed]) == [high, low]
    assert page.count('data-criterion="strategic_fit"') == 2
    assert "56.25" in page and "31.25" in page
    with translation.override("en"):
        assert format_nok(Decimal("1250000.50")) in page
    assert "In the sector group" in page  # the state
    assert "Anbefales: felles løsning for alle." in page
    assert 'data-rank="1"' in page


def test_the_ranking_of_another_collaboration_is_not_found(login, world):
    assert login(world.member_other).get(ranking_url(world.health_a)).status_code == 404
    assert login(world.member_small).get(ranking_url(world.health_b)).status_code == 404


# --------------------------------------------------------------------------------------------- queries


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_queue_and_ranking_pages_run_a_bounded_number_of_queries(login, world, in_group, submitted):
    def add(n):
        for _index in range(n):
            need = in_group()
            assessment.assess(need, user=world.lead.user, scores=SCORES, estimated_cost=Decimal("1000"))
            submitted()

    add(1)
    client = login(world.lead)
    _queries(client, QUEUE), _queries(client, ranking_url(world.health_a))  # warm the caches
    queue_one, ranking_one = _queries(client, QUEUE), _queries(client, ranking_url(world.health_a))
    add(4)
    assert _queries(client, QUEUE) == queue_one
    assert _queries(client, ranking_url(world.health_a)) == ranking_one
