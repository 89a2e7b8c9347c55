"""Two people acting on the same document at once: exactly one transition happens, the other gets a clear
conflict message, and nothing is written twice. Real threads, each with its own connection, on MariaDB
(SQLite serialises writers and cannot show the race; `make test` runs the suite on MariaDB too)."""

import threading
from functools import partial

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import translation

from ikt_portfolio.members.models import BodyMembership
from ikt_portfolio.workflow import services
from ikt_portfolio.workflow.models import Ballot, Notification, TransitionLog, Vote
from tests.workflow_app.models import Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.mariadb]

ROUNDS = 3  # each race is run several times: one lucky interleaving proves little


@pytest.fixture(autouse=True)
def _only_on_mariadb():
    if connection.vendor != "mysql":
        pytest.skip("real concurrent writers need MariaDB; SQLite serialises them (make test runs this on MariaDB)")


def race(*attempts):
    """Run each attempt (a callable, prepared beforehand with its own copy of the document and its own user
    object) in its own thread, all released together; return what each returned or raised."""
    barrier = threading.Barrier(len(attempts))
    results: list = [None] * len(attempts)

    def run(index, attempt):
        from django.db import connection as thread_connection

        try:
            with translation.override("en"):
                barrier.wait(timeout=10)
                results[index] = attempt()
        except Exception as error:  # the outcome under test
            results[index] = error
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (a deadlock?)"
    return results


def fresh(person):
    return get_user_model().objects.get(pk=person.user_id)


def loaded(ticket):
    return Ticket.objects.get(pk=ticket.pk)


def logs(ticket, action=None):
    rows = services.history(ticket)
    return rows.filter(action=action) if action else rows


def submitted(route, new_ticket):
    ticket = new_ticket()
    services.perform(ticket, "submit", route.submitter.user)
    return loaded(ticket)


@pytest.fixture
def rep(route, make_person, seat):
    person = make_person("rep", municipality=route.world.medium)
    seat(person, route.world.sector_a, BodyMembership.Role.MEMBER, represents=route.world.medium)
    return person


def last_notification() -> int:
    return max(Notification.objects.values_list("pk", flat=True), default=0)


def assert_told_once(ticket, seen: int) -> None:
    """The losing attempts wrote nothing: the new notifications are one batch, one per recipient."""
    new = list(Notification.objects.filter(pk__gt=seen).values_list("object_id", "recipient_id"))
    assert {object_id for object_id, _ in new} <= {ticket.pk}
    assert len(new) == len(set(new)), f"someone was told twice: {new}"


def one_won(results, exceptions=(services.WorkflowConflict, services.ActionRefused)):
    winners = [r for r in results if isinstance(r, TransitionLog)]
    losers = [r for r in results if isinstance(r, exceptions)]
    unexpected = [r for r in results if r not in winners and r not in losers]
    assert not unexpected, f"unexpected outcomes: {unexpected!r}"
    assert len(winners) == 1 and len(losers) == len(results) - 1, results
    return winners[0], losers


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_take_up_and_return_at_once(route, new_ticket, rep, round_):
    """The sector lead takes the item up while a representative returns it: one of them wins."""
    ticket = submitted(route, new_ticket)
    revision = ticket.workflow_revision
    lead_copy, rep_copy = loaded(ticket), loaded(ticket)
    lead_user, rep_user = fresh(route.world.lead), fresh(rep)
    seen = last_notification()
    results = race(
        partial(services.perform, lead_copy, "take_up", lead_user),
        partial(services.perform, rep_copy, "return", rep_user, comment="Mer informasjon, takk"),
    )
    winner, (loser,) = one_won(results)
    stored = loaded(ticket)
    assert stored.state == winner.to_state and stored.state in {"in_sector_group", "returned"}
    assert stored.workflow_revision == revision + 1, "exactly one move"
    assert logs(ticket).exclude(action__in=["start", "submit"]).count() == 1
    assert loser.message and ("first" in loser.message or "cannot be done" in loser.message), loser.message
    with translation.override("en"):
        now_in = str(services.current_state(stored))
    assert now_in in loser.message, "the message says where the item is now"
    assert_told_once(ticket, seen)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_the_same_action_twice_at_once(route, new_ticket, round_):
    """The lead double-clicks (two requests): the item is taken up once."""
    ticket = submitted(route, new_ticket)
    revision = ticket.workflow_revision
    seen = last_notification()
    results = race(*(partial(services.perform, loaded(ticket), "take_up", fresh(route.world.lead)) for _ in range(2)))
    winner, (loser,) = one_won(results)
    stored = loaded(ticket)
    assert (stored.state, stored.workflow_revision) == ("in_sector_group", revision + 1)
    assert logs(ticket, "take_up").count() == 1
    assert isinstance(loser, services.WorkflowConflict | services.ActionRefused)
    assert_told_once(ticket, seen)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_submitter_withdraws_while_the_lead_takes_up(route, new_ticket, round_):
    ticket = submitted(route, new_ticket)
    revision = ticket.workflow_revision
    results = race(
        partial(services.perform, loaded(ticket), "withdraw", fresh(route.submitter)),
        partial(services.perform, loaded(ticket), "take_up", fresh(route.world.lead)),
    )
    winner, _ = one_won(results)
    stored = loaded(ticket)
    assert stored.state == winner.to_state and stored.workflow_revision == revision + 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_stale_revision_from_the_page_is_a_conflict_even_when_racing(route, new_ticket, rep, round_):
    """Both had the page at the same revision and send it along (as the Desk and API do)."""
    ticket = submitted(route, new_ticket)
    seen = ticket.workflow_revision
    results = race(
        partial(services.perform, loaded(ticket), "take_up", fresh(route.world.lead), revision=seen),
        partial(services.perform, loaded(ticket), "return", fresh(rep), comment="Mer informasjon", revision=seen),
    )
    one_won(results, exceptions=(services.WorkflowConflict,))
    assert loaded(ticket).workflow_revision == seen + 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_four_people_at_once(route, new_ticket, rep, round_):
    ticket = submitted(route, new_ticket)
    revision = ticket.workflow_revision
    seen = last_notification()
    results = race(
        partial(services.perform, loaded(ticket), "take_up", fresh(route.world.lead)),
        partial(services.perform, loaded(ticket), "return", fresh(route.world.lead), comment="Mer"),
        partial(services.perform, loaded(ticket), "return", fresh(rep), comment="Mer"),
        partial(services.perform, loaded(ticket), "withdraw", fresh(route.submitter)),
    )
    winner, losers = one_won(results)
    assert len(losers) == 3
    stored = loaded(ticket)
    assert (stored.state, stored.workflow_revision) == (winner.to_state, revision + 1)
    assert logs(ticket).exclude(action__in=["start", "submit"]).count() == 1
    assert_told_once(ticket, seen)


def at_council(route, new_ticket):
    ticket = new_ticket()
    for action, person in (
        ("submit", route.submitter),
        ("take_up", route.world.lead),
        ("recommend", route.world.lead),
        ("send_to_council", route.world.lead),
    ):
        services.perform(ticket, action, person.user)
    return loaded(ticket)


@pytest.fixture
def fourth_member(route, make_person, seat):
    person = make_person("rad4", municipality=route.world.small)
    seat(person, route.world.council_a, represents=route.world.small)
    route.council.append(person)
    return person


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_last_votes_move_the_item_once(route, new_ticket, round_):
    """Three members, quorum three: with one vote in, the other two vote at once. Both votes count, and the
    item moves exactly once."""
    ticket = at_council(route, new_ticket)
    revision = ticket.workflow_revision
    services.vote(ticket, "include", route.council[0].user, "yes")
    results = race(
        *(partial(services.vote, loaded(ticket), "include", fresh(member), "yes") for member in route.council[1:])
    )
    assert all(isinstance(r, services.VoteResult) for r in results), results
    assert sum(r.log is not None for r in results) == 1, "exactly one of them decided it"
    stored = loaded(ticket)
    assert (stored.state, stored.workflow_revision) == ("approved", revision + 1)
    assert logs(ticket, "include").count() == 1
    ballot = Ballot.objects.get()
    assert ballot.outcome == Ballot.Outcome.PASSED and ballot.votes.count() == 3


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_vote_after_the_decision_is_refused(route, new_ticket, fourth_member, round_):
    """Four members, quorum three: two votes in, two more at once. The first decides it; the second finds
    the vote closed (or the item moved on) and is not recorded."""
    ticket = at_council(route, new_ticket)
    revision = ticket.workflow_revision
    for member in route.council[:2]:
        services.vote(ticket, "include", member.user, "yes")
    results = race(
        *(partial(services.vote, loaded(ticket), "include", fresh(member), "yes") for member in route.council[2:])
    )
    stored = loaded(ticket)
    assert (stored.state, stored.workflow_revision) == ("approved", revision + 1)
    assert logs(ticket, "include").count() == 1, "moved once"
    late = list(Ballot.objects.filter(outcome=Ballot.Outcome.OPEN).values_list("pk", "votes__voter__user__username"))
    assert not late, f"the late vote opened a new ballot on a decision already taken: {late}"
    decided = [r for r in results if isinstance(r, services.VoteResult)]
    refused = [r for r in results if isinstance(r, services.WorkflowError)]
    assert len(decided) == 1 and len(refused) == 1, results
    assert decided[0].log is not None
    assert "closed" in refused[0].message or "no vote" in refused[0].message, refused[0].message
    assert Vote.objects.count() == 3 and Ballot.objects.count() == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_first_votes_share_one_ballot(route, new_ticket, round_):
    """The first two votes at once: one ballot is opened, both votes are on it."""
    ticket = at_council(route, new_ticket)
    results = race(
        *(partial(services.vote, loaded(ticket), "include", fresh(member), "yes") for member in route.council[:2])
    )
    assert all(isinstance(r, services.VoteResult) for r in results), results
    assert Ballot.objects.count() == 1 and Vote.objects.count() == 2
    assert loaded(ticket).state == "portfolio_council", "quorum three: not decided yet"


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_the_same_member_voting_twice_at_once_counts_once(route, new_ticket, round_):
    ticket = at_council(route, new_ticket)
    member = route.council[0]
    results = race(
        partial(services.vote, loaded(ticket), "include", fresh(member), "yes"),
        partial(services.vote, loaded(ticket), "include", fresh(member), "no"),
    )
    assert sum(isinstance(r, services.VoteResult) for r in results) == 1, results
    assert sum(isinstance(r, services.WorkflowError) for r in results) == 1, results
    assert Vote.objects.filter(voter=member).count() == 1
