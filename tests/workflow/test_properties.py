"""Property-based tests of the engine's invariants:
(a) no state change without an allowed transition: an attempt succeeds exactly when `available_actions`
    said it was allowed, and the state only ever moves along a transition of the document's version;
(b) a committee decision never fires below its threshold, fails only when it can no longer pass, and is
    open only while it can still pass (checked against a brute-force enumeration of the remaining votes);
(c) delegation works only inside its window and until it is revoked.
Each example's database work is rolled back, so examples do not leak into each other."""

import datetime
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import BodyMembership
from ikt_portfolio.workflow import services
from ikt_portfolio.workflow.models import Ballot, TransitionLog, Vote, VoteRule
from tests.workflow_app.models import Ticket

pytestmark = pytest.mark.django_db

DB_EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def rolled_back(work):
    """Run `work()` in a transaction that is always rolled back."""
    with transaction.atomic():
        try:
            return work()
        finally:
            transaction.set_rollback(True)


def fresh_user(user_or_person):
    user_id = getattr(user_or_person, "user_id", None) or user_or_person.pk
    return get_user_model().objects.get(pk=user_id)


# ------------------------------------------------------------------ (a) no change without an allowed transition


@pytest.fixture
def cast(route, make_person, seat):
    """Everyone who might try something: the submitter, a colleague, the sector lead, a representative, the
    administrator, the council, the board, an IT operator and a user with no place in the domain."""
    world = route.world
    rep = make_person("rep", municipality=world.medium)
    seat(rep, world.sector_a, BodyMembership.Role.MEMBER, represents=world.medium)
    colleague = make_person("kollega", municipality=world.small)
    people = [route.submitter, colleague, world.lead, rep, world.admin_a, *route.council, *route.board]
    everyone = [p.user for p in people] + [world.operator, world.outsider]
    holders = {
        "submitter": [route.submitter],
        "sector_lead": [world.lead],
        "sector_representative": [rep],
        "collaboration_admin": [world.admin_a],
        "portfolio_council": route.council,
        "board": route.board,
    }
    likely = {}  # action → users who probably may take it: steers the sequences deeper into the route
    for transition in route.version.transitions.all():
        for key in [transition.committee] if transition.committee else transition.allowed_capacities:
            likely.setdefault(transition.action, []).extend(p.user for p in holders.get(key, []))
    return everyone, likely


ACTIONS = sorted(
    {
        "submit", "withdraw", "take_up", "return", "resubmit", "recommend", "merge", "resolve", "reject",
        "send_to_council", "reopen", "include", "send_to_board", "defer", "take_up_again", "approve",
        "convert", "unmerge", "bogus",
    }
)  # fmt: skip
CHOICES = [Vote.Choice.YES, Vote.Choice.NO, Vote.Choice.ABSTAIN]
ROUTE = [
    ("submit", lambda route: [route.submitter]),
    ("take_up", lambda route: [route.world.lead]),
    ("recommend", lambda route: [route.world.lead]),
    ("send_to_council", lambda route: [route.world.lead]),
    ("send_to_board", lambda route: route.council),
    ("approve", lambda route: route.board),
]


@given(data=st.data(), cost=st.sampled_from([0, 100_000, 500_000, 500_001, 3_000_000]), strategic=st.booleans())
@settings(DB_EXAMPLES, max_examples=60)
def test_no_state_change_without_an_allowed_transition(route, cast, data, cost, strategic):
    everyone, likely = cast
    version = route.version
    edges = {
        (t.action, t.from_state.key, t.to_state.key)
        for t in version.transitions.select_related("from_state", "to_state")
    }

    def example():
        ticket = Ticket.objects.create(
            collaboration=route.world.a,
            service_area=route.world.health_a,
            submitted_by=route.submitter,
            title="Egenskapstest",
            estimated_cost=cost,
            strategic=strategic,
        )
        services.start(ticket, route.submitter.user)
        # Start somewhere along the route (reached through the engine), so every state gets its turn.
        prefix = data.draw(st.integers(min_value=0, max_value=len(ROUTE)), label="start after")
        for action, who in ROUTE[:prefix]:
            for person in who(route):
                try:
                    if action in ("send_to_board", "approve"):
                        services.vote(Ticket.objects.get(pk=ticket.pk), action, person.user, "yes")
                    else:
                        services.perform(Ticket.objects.get(pk=ticket.pk), action, person.user)
                except services.WorkflowError:
                    break  # e.g. a small item cannot go to the board: start where it got to
        steps = data.draw(st.integers(min_value=3, max_value=25), label="steps")
        for _step in range(steps):
            before = Ticket.objects.get(pk=ticket.pk)
            state, revision = before.state, before.workflow_revision  # perform() updates the instance it is given
            leaving = services.graph_of(before.workflow_version).outgoing[before.state]
            outgoing = sorted({t.action for t in leaving})
            onwards = sorted({t.action for t in leaving if not t.to_state.is_final})
            # Mostly an action leading on from the current state, sometimes any way out, or anything at all.
            actions = st.sampled_from(ACTIONS)
            if outgoing:
                actions = st.one_of(st.sampled_from(outgoing), actions)
            if onwards:
                actions = st.one_of(st.sampled_from(onwards), st.sampled_from(onwards), actions)
            action = data.draw(actions, label="action")
            users = st.sampled_from(everyone)
            if likely.get(action):
                users = st.one_of(st.sampled_from(likely[action]), users)
            user = fresh_user(data.draw(users, label="user"))
            comment = data.draw(st.sampled_from(["", "Begrunnelse"]), label="comment")
            options = {o.action: o for o in services.available_actions(before, user)}
            option = options.get(action)
            logs_before = TransitionLog.objects.filter(object_id=ticket.pk).count()
            votes_before = Vote.objects.count()
            transition = next((t for t in leaving if t.action == action), None)
            if transition is not None and transition.is_committee:
                choice = data.draw(st.sampled_from(CHOICES), label="choice")
                expected = option is not None and option.allowed
                try:
                    result = services.vote(Ticket.objects.get(pk=ticket.pk), action, user, choice, comment=comment)
                    succeeded = True
                except services.WorkflowError:
                    result, succeeded = None, False
                assert succeeded == expected, (action, state, option and option.reason)
                assert Vote.objects.count() == votes_before + (1 if succeeded else 0)
                moved = result is not None and result.log is not None
            else:
                expected = (
                    option is not None
                    and option.allowed
                    and not (option.transition.comment_required and not comment.strip())
                )
                try:
                    services.perform(Ticket.objects.get(pk=ticket.pk), action, user, comment=comment)
                    succeeded = True
                except services.WorkflowError:
                    succeeded = False
                assert succeeded == expected, (action, state, option and option.reason)
                moved = succeeded
            after = Ticket.objects.get(pk=ticket.pk)
            event(f"reached {after.state}")
            if moved:
                assert (action, state, after.state) in edges, "only along a transition of the version"
                assert after.workflow_revision == revision + 1
                assert TransitionLog.objects.filter(object_id=ticket.pk).count() == logs_before + 1
                log = services.history(after).first()
                assert (log.action, log.from_state, log.to_state) == (action, state, after.state)
            else:
                assert (after.state, after.workflow_revision) == (state, revision)
                assert TransitionLog.objects.filter(object_id=ticket.pk).count() == logs_before

    rolled_back(example)


# ----------------------------------------------------------------------------- (b) the committee tally


def rule_met(rule, required, quorum, eligible, votes) -> bool:
    """The rule as the issue states it, written out plainly."""
    if Vote.Choice.VETO in votes or len(votes) < quorum:
        return False
    yes = votes.count(Vote.Choice.YES)
    if rule == VoteRule.UNANIMITY:
        return len(votes) == eligible and Vote.Choice.NO not in votes and yes >= 1
    if rule == VoteRule.MAJORITY:
        return 2 * yes > eligible
    return yes >= required


def completions(votes, eligible):
    """Every way the members who have not voted yet may still vote (or not vote at all)."""
    remaining = eligible - len(votes)
    for extra in range(remaining + 1):
        for more in itertools.product(CHOICES, repeat=extra):
            yield votes + list(more)


@st.composite
def ballots(draw):
    rule = draw(st.sampled_from([VoteRule.N_OF_M, VoteRule.MAJORITY, VoteRule.UNANIMITY]))
    eligible = draw(st.integers(min_value=0, max_value=6))
    required = draw(st.integers(min_value=1, max_value=7)) if rule == VoteRule.N_OF_M else None
    quorum = draw(st.integers(min_value=0, max_value=7))
    veto = draw(st.booleans())
    pool = CHOICES + ([Vote.Choice.VETO] if veto else [])
    votes = draw(st.lists(st.sampled_from(pool), max_size=eligible))
    return rule, required, quorum, eligible, votes


@given(ballots())
@settings(max_examples=3000, deadline=None)
def test_the_tally_agrees_with_the_rule(ballot):
    rule, required, quorum, eligible, votes = ballot
    outcome = services.tally(rule, required, quorum, eligible, list(votes))
    can_still_pass = any(rule_met(rule, required, quorum, eligible, v) for v in completions(list(votes), eligible))
    if outcome == Ballot.Outcome.PASSED:
        yes = votes.count(Vote.Choice.YES)
        threshold = {VoteRule.MAJORITY: eligible // 2 + 1, VoteRule.UNANIMITY: eligible, VoteRule.N_OF_M: required}[
            rule
        ]
        assert Vote.Choice.VETO not in votes and len(votes) >= quorum
        assert yes >= (1 if rule == VoteRule.UNANIMITY else threshold), "never below the threshold"
        assert rule_met(rule, required, quorum, eligible, votes)
    elif outcome == Ballot.Outcome.FAILED:
        assert not can_still_pass, "failed although the remaining votes could still carry it"
    else:
        assert outcome == Ballot.Outcome.OPEN
        assert not rule_met(rule, required, quorum, eligible, votes), "the rule is met: it should have fired"
        assert can_still_pass, "open although it can no longer pass: it should have failed"


@pytest.mark.parametrize(
    ("rule", "required", "quorum", "eligible", "votes", "outcome"),
    [
        (VoteRule.MAJORITY, None, 0, 3, ["yes", "yes"], "passed"),
        (VoteRule.MAJORITY, None, 3, 3, ["yes", "yes"], "open"),
        (VoteRule.MAJORITY, None, 3, 3, ["yes", "yes", "abstain"], "passed"),
        (VoteRule.MAJORITY, None, 0, 4, ["yes", "yes"], "open"),
        (VoteRule.MAJORITY, None, 0, 4, ["no", "no"], "failed"),
        (VoteRule.N_OF_M, 2, 0, 5, ["yes", "yes"], "passed"),
        (VoteRule.N_OF_M, 4, 0, 5, ["no", "no"], "failed"),
        (VoteRule.UNANIMITY, None, 0, 3, ["yes", "yes"], "open"),
        (VoteRule.UNANIMITY, None, 0, 3, ["yes", "abstain", "yes"], "passed"),
        (VoteRule.UNANIMITY, None, 0, 3, ["yes", "no"], "failed"),
        (VoteRule.UNANIMITY, None, 0, 2, ["abstain", "abstain"], "failed"),
        (VoteRule.MAJORITY, None, 0, 3, ["yes", "veto"], "failed"),
        (VoteRule.MAJORITY, None, 4, 3, ["yes"], "failed"),
    ],
)
def test_tally_examples(rule, required, quorum, eligible, votes, outcome):
    assert services.tally(rule, required, quorum, eligible, votes) == outcome


# ---------------------------------------------------------------------------------- (c) delegation window


@pytest.fixture
def waiting_ticket(route, new_ticket, make_person):
    """A submitted ticket, waiting for the sector lead, and a colleague to stand in for the lead."""
    stand_in = make_person("vikar", staff_of=route.world.a)
    ticket = new_ticket()
    services.perform(ticket, "submit", route.submitter.user)
    return ticket, stand_in


@given(
    start=st.integers(min_value=-6, max_value=6),
    length=st.one_of(st.none(), st.integers(min_value=0, max_value=6)),
    revoked=st.booleans(),
    capacities=st.sampled_from(
        [[], [Capacity.SECTOR_LEAD], [Capacity.COUNCIL_MEMBER], [Capacity.SECTOR_LEAD, Capacity.COUNCIL_MEMBER]]
    ),
    day_offset=st.integers(min_value=-8, max_value=8),
)
@DB_EXAMPLES
def test_delegation_works_only_inside_its_window(route, waiting_ticket, start, length, revoked, capacities, day_offset):
    lead = route.world.lead
    ticket, stand_in = waiting_ticket
    today = timezone.localdate()

    def example():
        valid_from = today + datetime.timedelta(days=start)
        valid_to = None if length is None else valid_from + datetime.timedelta(days=length)
        given = services.delegate(
            delegator=lead,
            delegate=stand_in,
            collaboration=route.world.a,
            valid_from=valid_from,
            valid_to=valid_to,
            capacities=capacities,
            by=fresh_user(lead),
        )
        if revoked:
            services.revoke(given, by=fresh_user(lead))
        behalf = services.Standing(Capacity.SECTOR_LEAD, lead.pk, lead.pk)
        covers = not capacities or Capacity.SECTOR_LEAD in capacities

        in_window = valid_from <= today and (valid_to is None or today <= valid_to)
        found = services.standings(fresh_user(stand_in), ticket, [Capacity.SECTOR_LEAD])
        assert (behalf in found) == (in_window and not revoked and covers), (valid_from, valid_to, revoked)
        allowed = {o.action for o in services.available_actions(ticket, fresh_user(stand_in)) if o.allowed}
        assert ("take_up" in allowed) == (in_window and not revoked and covers)

        day = today + datetime.timedelta(days=day_offset)
        on_day = valid_from <= day and (valid_to is None or day <= valid_to)
        found = services.standings(fresh_user(stand_in), ticket, [Capacity.SECTOR_LEAD], day=day)
        assert (behalf in found) == (on_day and not revoked and covers), (valid_from, valid_to, day)
        assert all(standing.on_behalf_of_id == lead.pk for standing in found), "the stand-in holds nothing of their own"

    rolled_back(example)
