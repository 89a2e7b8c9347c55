"""Council decisions feed the portfolio plan: an item deferred to a named period is a candidate from that period
on, and an included item is placed on the roadmap in the period its decision planned it for."""

import pytest
from django.utils import timezone

from ikt_portfolio.council import decisions
from ikt_portfolio.portfolio import selectors, services
from ikt_portfolio.portfolio.models import Period

pytestmark = pytest.mark.django_db


def decide(council, session, need, action, **fields):
    _meeting, item = session(need)
    decision = decisions.open_decision(item, council.secretary.user, action=action, **fields)
    for person in (council.chair, council.member, council.member2, council.deputy):
        decisions.cast_vote(decision, person.user, "yes")
        decision.refresh_from_db()
        if decision.status != decision.Status.OPEN:
            break
    need.refresh_from_db()
    return decision


def test_a_deferred_item_is_a_candidate_from_the_period_it_was_deferred_to(council, session, to_council, world):
    year = timezone.localdate().year
    this_year = Period.objects.create(collaboration=world.a, kind=Period.Kind.YEAR, year=year)
    next_year = Period.objects.create(collaboration=world.a, kind=Period.Kind.YEAR, year=year + 1)
    after = Period.objects.create(collaboration=world.a, kind=Period.Kind.YEAR, year=year + 2)
    need = to_council()
    decide(council, session, need, "defer", period=after, reason="Venter på ny avtale.")
    assert need.state == "deferred"
    assert need not in {c.need for c in services.candidates(this_year)}
    assert need not in {c.need for c in services.candidates(next_year)}  # not before the period it was put off to
    assert need in {c.need for c in services.candidates(after)}


def test_an_included_item_is_on_the_roadmap_in_its_planned_period(council, session, to_council, world):
    next_year = timezone.localdate().year + 1
    second_tertial = Period.objects.create(collaboration=world.a, kind=Period.Kind.TERTIAL, year=next_year, number=2)
    need = to_council()
    decide(council, session, need, "include", priority=1, period=second_tertial, reason="Viktig.")
    assert need.state == "approved"
    assert selectors.roadmap(world.a, next_year - 1).count == 0  # approved this year, but planned for the next
    roadmap = selectors.roadmap(world.a, next_year)
    (row,) = roadmap.rows
    assert [len(cell) for cell in row["cells"]] == [0, 1, 0]
