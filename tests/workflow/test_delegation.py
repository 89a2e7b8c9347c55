"""Delegation: a person lets a substitute act in their capacities for a date range; actions are recorded on
behalf of them, the window and the capacities limit it, only the person or an administrator delegates and
revokes, and the delegation's history is audited."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.workflow import services
from ikt_portfolio.workflow.models import Delegation, TransitionLog, Vote
from tests.workflow_app.models import Ticket

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def today():
    return timezone.localdate()


def user_of(person):
    """A fresh user object, as each request gets: grants and delegations are cached per user object."""
    return get_user_model().objects.get(pk=person.user_id)


def allowed(ticket, person) -> set[str]:
    return {o.action for o in services.available_actions(ticket, user_of(person)) if o.allowed}


def submitted(route, new_ticket, **kwargs):
    ticket = new_ticket(**kwargs)
    services.perform(ticket, "submit", (kwargs.get("by") or route.submitter).user)
    return ticket


def at_council(route, new_ticket):
    ticket = submitted(route, new_ticket)
    for action in ("take_up", "recommend", "send_to_council"):
        services.perform(ticket, action, route.world.lead.user)
    return ticket


@pytest.fixture
def substitute(route, make_person):
    """A colleague at a member municipality, holding no seat of their own."""
    return make_person("vara", municipality=route.world.medium)


@pytest.fixture
def stand_in(route, make_person):
    """A colleague on the collaboration's staff, to stand in for the sector lead."""
    return make_person("vikar", staff_of=route.world.a)


def delegation(delegator, delegate, collaboration, *, start=-1, end=7, capacities=(), by=None):
    return services.delegate(
        delegator=delegator,
        delegate=delegate,
        collaboration=collaboration,
        valid_from=today() + start * DAY,
        valid_to=None if end is None else today() + end * DAY,
        capacities=capacities,
        reason="Ferie",
        by=user_of(by or delegator),
    )


# ------------------------------------------------------------------------------------- votes and actions


def test_a_substitute_votes_for_the_council_member(route, new_ticket, substitute):
    member = route.council[0]
    ticket = at_council(route, new_ticket)
    assert "include" not in allowed(ticket, substitute)
    delegation(member, substitute, route.world.a, capacities=[Capacity.COUNCIL_MEMBER])
    assert "include" in allowed(ticket, substitute)
    result = services.vote(ticket, "include", user_of(substitute), "yes", comment="Stemmer for rådsmedlemmet")
    cast = Vote.objects.get(pk=result.vote.pk)
    assert (cast.voter, cast.cast_by, cast.capacity, cast.choice, cast.comment) == (
        member,
        substitute.user,
        Capacity.COUNCIL_MEMBER,
        "yes",
        "Stemmer for rådsmedlemmet",
    )
    assert cast.at is not None
    # The seat has voted: neither the member nor the substitute can vote on it again.
    with translation.override("en"), pytest.raises(services.ActionRefused) as refused:
        services.vote(ticket, "include", user_of(member), "no")
    assert "already voted" in refused.value.message
    with pytest.raises(services.ActionRefused):
        services.vote(ticket, "include", user_of(substitute), "no")
    assert Vote.objects.filter(ballot=result.ballot).count() == 1


def test_a_substitutes_vote_counts_towards_the_decision(route, new_ticket, substitute):
    delegation(route.council[2], substitute, route.world.a)
    ticket = at_council(route, new_ticket)
    services.vote(ticket, "include", user_of(route.council[0]), "yes")
    services.vote(ticket, "include", user_of(route.council[1]), "yes")
    result = services.vote(ticket, "include", user_of(substitute), "abstain")
    assert result.log is not None and Ticket.objects.get(pk=ticket.pk).state == "approved"
    assert sorted(result.ballot.votes.values_list("voter_id", flat=True)) == sorted(p.pk for p in route.council)


def test_a_transition_by_a_stand_in_is_logged_on_behalf_of_the_lead(route, new_ticket, stand_in):
    lead = route.world.lead
    ticket = submitted(route, new_ticket)
    assert "take_up" not in allowed(ticket, stand_in)
    delegation(lead, stand_in, route.world.a, capacities=[Capacity.SECTOR_LEAD])
    assert {"take_up", "return"} <= allowed(ticket, stand_in)
    log = services.perform(ticket, "take_up", user_of(stand_in))
    log = TransitionLog.objects.get(pk=log.pk)
    assert (log.actor, log.on_behalf_of, log.capacity) == (stand_in.user, lead, Capacity.SECTOR_LEAD)
    assert services.history(ticket).first().on_behalf_of == lead


def test_the_stand_in_finds_the_item_in_their_inbox(route, new_ticket, stand_in):
    ticket = submitted(route, new_ticket)
    assert not services.inbox(user_of(stand_in))
    delegation(route.world.lead, stand_in, route.world.a)
    items = services.inbox(user_of(stand_in))
    assert [item.document.pk for item in items] == [ticket.pk]
    assert {option.action for option in items[0].actions} >= {"take_up"}


@pytest.mark.parametrize(
    ("start", "end"),
    [(1, 10), (-10, -1), (-30, -2)],
    ids=["not yet begun", "ended yesterday", "long over"],
)
def test_nothing_is_allowed_outside_the_window(route, new_ticket, substitute, stand_in, start, end):
    delegation(route.world.lead, stand_in, route.world.a, start=start, end=end)
    delegation(route.council[0], substitute, route.world.a, start=start, end=end)
    ticket = submitted(route, new_ticket)
    assert allowed(ticket, stand_in) == set()
    with pytest.raises(services.ActionRefused):
        services.perform(ticket, "take_up", user_of(stand_in))
    assert services.inbox(user_of(stand_in)) == []
    council_ticket = at_council(route, new_ticket)
    with pytest.raises(services.ActionRefused):
        services.vote(council_ticket, "include", user_of(substitute), "yes")
    assert not Vote.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).state == "submitted"


@pytest.mark.parametrize(("start", "end"), [(0, 0), (0, None), (-5, 0)], ids=["today only", "open-ended", "ends today"])
def test_the_window_includes_its_first_and_last_day(route, new_ticket, stand_in, start, end):
    delegation(route.world.lead, stand_in, route.world.a, start=start, end=end)
    ticket = submitted(route, new_ticket)
    assert "take_up" in allowed(ticket, stand_in)


def test_the_window_is_judged_on_the_day_asked_about(route, new_ticket, stand_in):
    lead = route.world.lead
    delegation(lead, stand_in, route.world.a, start=3, end=5)
    ticket = submitted(route, new_ticket)
    behalf = services.Standing(Capacity.SECTOR_LEAD, lead.pk, lead.pk)
    for offset, expected in ((2, False), (3, True), (4, True), (5, True), (6, False)):
        found = services.standings(user_of(stand_in), ticket, [Capacity.SECTOR_LEAD], day=today() + offset * DAY)
        assert (behalf in found) is expected, offset


def test_a_revoked_delegation_no_longer_works(route, new_ticket, stand_in):
    lead = route.world.lead
    given = delegation(lead, stand_in, route.world.a)
    ticket = submitted(route, new_ticket)
    assert "take_up" in allowed(ticket, stand_in)
    services.revoke(given, by=user_of(lead))
    given.refresh_from_db()
    assert given.revoked_at is not None and given.revoked_by == lead.user
    assert allowed(ticket, stand_in) == set()
    with pytest.raises(services.ActionRefused):
        services.perform(ticket, "take_up", user_of(stand_in))
    assert not Delegation.objects.in_force().exists()


def test_a_delegation_of_other_capacities_does_not_allow_this_one(route, new_ticket, stand_in, substitute):
    delegation(route.world.lead, stand_in, route.world.a, capacities=[Capacity.SECTOR_REPRESENTATIVE])
    ticket = submitted(route, new_ticket)
    assert "take_up" not in allowed(ticket, stand_in)
    with pytest.raises(services.ActionRefused):
        services.perform(ticket, "take_up", user_of(stand_in))
    delegation(route.council[0], substitute, route.world.a, capacities=[Capacity.BOARD_MEMBER])
    council_ticket = at_council(route, new_ticket)
    with pytest.raises(services.ActionRefused):
        services.vote(council_ticket, "include", user_of(substitute), "yes")


def test_an_empty_capacity_list_delegates_every_capacity(route, new_ticket, stand_in):
    delegation(route.world.lead, stand_in, route.world.a, capacities=[])
    ticket = submitted(route, new_ticket)
    assert {"take_up", "return"} <= allowed(ticket, stand_in)


def test_a_delegation_in_another_collaboration_does_not_count(route, new_ticket, make_person, assign):
    """The lead's delegation is given in collaboration B: it does not make the stand-in act in A."""
    world = route.world
    stand_in = make_person("vikar_b", staff_of=world.b)
    assign(world.lead, world.b, Capacity.PROJECT_OWNER)
    delegation(world.lead, stand_in, world.b, by=world.admin_b)
    ticket = submitted(route, new_ticket)
    assert allowed(ticket, stand_in) == set()


def test_a_substitute_cannot_approve_their_own_item_on_someone_elses_behalf(route, new_ticket, make_person, seat):
    """Self-approval is about the person acting: the submitter who stands in for the sector lead may not
    take up their own item (take_up does not allow self-approval)."""
    world = route.world
    submitter = route.submitter
    delegation(world.lead, submitter, world.a, capacities=[Capacity.SECTOR_LEAD], by=world.admin_a)
    own = submitted(route, new_ticket)
    other = submitted(route, new_ticket, by=make_person("kollega", municipality=world.large))
    assert "take_up" in allowed(other, submitter), "the stand-in may take up other people's items"
    assert "take_up" not in allowed(own, submitter), "but not their own"
    with pytest.raises(services.ActionRefused):
        services.perform(own, "take_up", user_of(submitter))
    assert Ticket.objects.get(pk=own.pk).state == "submitted"


def test_standing_in_for_someone_on_their_own_item_is_self_approval_too(route, new_ticket, stand_in):
    lead = route.world.lead
    delegation(lead, stand_in, route.world.a)
    ticket = submitted(route, new_ticket, by=lead)
    assert "take_up" not in allowed(ticket, stand_in)


# ------------------------------------------------------------------------------------- who may delegate


def test_only_the_person_or_an_administrator_can_delegate(route, substitute, make_person):
    world = route.world
    member = route.council[0]
    for intruder in (route.council[1], world.admin_b, substitute):
        with pytest.raises(ValidationError):
            delegation(member, substitute, world.a, by=intruder)
    with pytest.raises(ValidationError):
        services.delegate(
            delegator=member,
            delegate=substitute,
            collaboration=world.a,
            valid_from=today(),
            valid_to=None,
            by=world.outsider,
        )
    assert not Delegation.objects.exists()
    assert delegation(member, substitute, world.a, by=world.admin_a).pk
    assert services.delegate(
        delegator=member,
        delegate=substitute,
        collaboration=world.a,
        valid_from=today(),
        valid_to=None,
        by=world.operator,
    ).pk
    assert delegation(member, substitute, world.a).pk
    assert Delegation.objects.count() == 3


def test_only_the_person_or_an_administrator_can_revoke(route, substitute):
    world = route.world
    member = route.council[0]
    given = delegation(member, substitute, world.a)
    for intruder in (route.council[1], world.admin_b, substitute):
        with pytest.raises(ValidationError):
            services.revoke(given, by=user_of(intruder))
    given.refresh_from_db()
    assert given.revoked_at is None
    services.revoke(given, by=user_of(world.admin_a))
    given.refresh_from_db()
    assert given.revoked_by == world.admin_a.user
    with pytest.raises(ValidationError):
        services.revoke(given, by=user_of(member))


def test_delegating_to_oneself_is_refused(route):
    member = route.council[0]
    with pytest.raises(ValidationError) as refused:
        delegation(member, member, route.world.a)
    assert "delegate" in refused.value.message_dict
    assert not Delegation.objects.exists()


def test_the_substitute_must_belong_to_the_collaboration(route):
    with pytest.raises(ValidationError) as refused:
        delegation(route.council[0], route.world.member_other, route.world.a)
    assert "delegate" in refused.value.message_dict


def test_the_window_must_not_end_before_it_begins(route, substitute):
    with pytest.raises(ValidationError) as refused:
        delegation(route.council[0], substitute, route.world.a, start=5, end=2)
    assert "valid_to" in refused.value.message_dict


# ------------------------------------------------------------------------------------------------ audit


def test_the_history_records_creation_and_revocation(route, substitute):
    member = route.council[0]
    given = delegation(member, substitute, route.world.a, capacities=[Capacity.COUNCIL_MEMBER])
    services.revoke(given, by=user_of(member))
    rows = list(given.history.order_by("history_date", "history_id"))
    assert [row.history_type for row in rows] == ["+", "~"]
    created, revoked = rows
    assert (created.delegator_id, created.delegate_id, created.capacities, created.revoked_at) == (
        member.pk,
        substitute.pk,
        [Capacity.COUNCIL_MEMBER],
        None,
    )
    assert created.history_capacity == "delegator"
    assert revoked.revoked_at is not None and revoked.revoked_by_id == member.user_id


def test_the_history_records_the_administrators_capacity(route, substitute):
    """Made and revoked by the administrator: the history says so (not "delegator")."""
    admin = route.world.admin_a
    given = delegation(route.council[0], substitute, route.world.a, by=admin)
    services.revoke(given, by=user_of(admin))
    created, revoked = given.history.order_by("history_date", "history_id")
    assert created.history_capacity == Capacity.COLLABORATION_ADMIN
    assert revoked.history_capacity == Capacity.COLLABORATION_ADMIN, (
        f"revocation by the administrator is recorded as {revoked.history_capacity!r}"
    )
