"""A planning world: world A's portfolio council with a chair, a secretary and two more members, and needs taken
along the real routing to the sector group's recommendation (assessed) or on to the council and its decision."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ikt_portfolio.members.models import BodyMembership, Person
from ikt_portfolio.needs import assessment
from ikt_portfolio.needs.models import Assessment, Need
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import TransitionLog
from tests.needs.conftest import need_routing, report  # noqa: F401  (shared need fixtures)

SCORES = {"strategic_fit": 4, "economic_benefit": 3, "quality_inhabitants": 4, "urgency": 3, "risk": 2}


@pytest.fixture(autouse=True)
def _english():
    """Messages in English (the msgids), so assertions do not depend on the nb/nn catalogs."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def english_people(world, planners):
    """Pages in English too (a request switches to the person's language)."""
    Person.objects.all().update(language="en")


class Planners:
    """World A's council: chair, secretary, world.council_member and one more member; world B's council has
    a chair of its own."""


@pytest.fixture
def planners(world, make_person, seat):
    p = Planners()
    p.chair = make_person("chair", municipality=world.large)
    seat(p.chair, world.council_a, BodyMembership.Role.CHAIR, represents=world.large)
    p.secretary = make_person("secretary", staff_of=world.a)
    seat(p.secretary, world.council_a, BodyMembership.Role.SECRETARY)
    p.member = world.council_member
    p.member2 = make_person("member2", municipality=world.small)
    seat(p.member2, world.council_a, represents=world.small)
    p.chair_b = make_person("chair_b", municipality=world.other)
    seat(p.chair_b, world.council_b, BodyMembership.Role.CHAIR, represents=world.other)
    return p


@pytest.fixture
def criteria(world):
    return assessment.ensure_default_criteria(world.a)


@pytest.fixture
def candidate(world, report, criteria):  # noqa: F811  (the shared fixture)
    """A need recommended by the sector group, assessed with `cost` and `effort`; `score` overrides the
    computed total (so tests can choose it); `to_council` sends it on to the portfolio council."""

    def make(title="Felles fagsystem", *, cost="300000", effort="4", score=None, to_council=False, **fields):
        need = report(title=title, **fields)
        workflow.perform(need, "submit", world.member_small.user)
        workflow.perform(need, "take_up", world.lead.user)
        assessment.assess(
            need,
            user=world.lead.user,
            scores=dict(SCORES),
            estimated_cost=Decimal(cost) if cost is not None else None,
            estimated_effort=Decimal(effort) if effort is not None else None,
        )
        workflow.perform(need, "recommend", world.lead.user)
        if to_council:
            workflow.perform(need, "send_to_council", world.lead.user)
        if score is not None:
            Assessment.objects.filter(need=need).update(total=Decimal(str(score)))
        return Need.objects.get(pk=need.pk)

    return make


@pytest.fixture
def decide(world, planners):
    """The council's decision on a need waiting for it (all four members vote yes), dated `days_ago`."""

    def make(need, action="include", days_ago=0):
        for person in (planners.chair, planners.member, planners.member2, planners.secretary):
            need.refresh_from_db()
            if need.state != "portfolio_council":
                break
            try:
                workflow.vote(need, action, person.user, "yes")
            except workflow.WorkflowError:
                continue
        need.refresh_from_db()
        if days_ago:
            moment = timezone.now() - datetime.timedelta(days=days_ago)
            TransitionLog.objects.filter(
                content_type=ContentType.objects.get_for_model(Need),
                object_id=need.pk,
                capacity__startswith="committee:",
            ).update(at=moment)
            Need.objects.filter(pk=need.pk).update(state_entered_at=moment)
            need.refresh_from_db()
        return need

    return make
