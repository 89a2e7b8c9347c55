import pytest
from django.utils import translation

from ikt_portfolio.workflow import services
from ikt_portfolio.workflow.models import Ballot, TransitionLog, Vote
from tests.workflow_app.models import Ticket

pytestmark = pytest.mark.django_db


def act(ticket, action, person, comment=""):
    return services.perform(ticket, action, person.user, comment=comment)


def allowed(ticket, person):
    return {o.action for o in services.available_actions(ticket, person.user) if o.allowed}


def test_a_ticket_starts_in_the_initial_state(new_ticket):
    ticket = new_ticket()
    assert ticket.state == "draft" and ticket.workflow_revision == 1
    assert Ticket.objects.get(pk=ticket.pk).state == "draft"


def test_the_full_route_with_capacities_on_the_log(route, new_ticket):
    world = route.world
    ticket = new_ticket()
    act(ticket, "submit", route.submitter)
    act(ticket, "take_up", world.lead)
    act(ticket, "recommend", world.lead)
    act(ticket, "send_to_council", world.admin_a)
    first, second = (services.vote(ticket, "include", member.user, "yes") for member in route.council[:2])
    assert first.log is None and second.log is None  # a majority, but the quorum is three votes
    third = services.vote(ticket, "include", route.council[2].user, "abstain")
    assert third.log is not None and third.ballot.outcome == Ballot.Outcome.PASSED
    ticket.refresh_from_db()
    assert ticket.state == "approved"
    act(ticket, "convert", world.admin_a)
    log = list(services.history(ticket).order_by("at", "pk").values_list("action", "capacity"))
    assert log == [
        ("start", "submitter"),
        ("submit", "submitter"),
        ("take_up", "sector_lead"),
        ("recommend", "sector_lead"),
        ("send_to_council", "collaboration_admin"),
        ("include", "committee:portfolio_council"),
        ("convert", "collaboration_admin"),
    ]


def test_who_may_do_what_and_why_not(route, new_ticket, make_person, seat):
    world = route.world
    ticket = new_ticket()
    assert allowed(ticket, route.submitter) == {"submit", "withdraw"}
    assert allowed(ticket, world.lead) == set()
    colleague = make_person("kollega", municipality=world.small)
    with translation.override("en"):
        with pytest.raises(services.ActionRefused) as refused:
            act(ticket, "submit", colleague)
    assert "submitter" in refused.value.message
    act(ticket, "submit", route.submitter)
    assert allowed(ticket, world.lead) >= {"take_up", "return"}
    assert "take_up" not in allowed(ticket, route.submitter)
    other_area_lead = make_person("lead_b", staff_of=world.a)
    from ikt_portfolio.members.models import Body, ServiceArea

    school = ServiceArea.objects.create(collaboration=world.a, code="skole", name="Oppvekst")
    seat(
        other_area_lead,
        Body.objects.create(collaboration=world.a, kind="sector_group", name="F skole", service_area=school),
        "lead",
    )
    assert allowed(ticket, other_area_lead) == set(), "a sector lead acts only for their own service area"


def test_a_refused_action_changes_nothing(route, new_ticket):
    ticket = new_ticket()
    with pytest.raises(services.ActionRefused):
        act(ticket, "take_up", route.world.lead)
    ticket.refresh_from_db()
    assert ticket.state == "draft" and not TransitionLog.objects.filter(action="take_up").exists()


def test_comment_required(route, new_ticket):
    ticket = new_ticket()
    act(ticket, "submit", route.submitter)
    with pytest.raises(services.ActionRefused):
        act(ticket, "return", route.world.lead)
    act(ticket, "return", route.world.lead, comment="Hvor mange brukere gjelder det?")
    assert services.history(ticket).first().comment == "Hvor mange brukere gjelder det?"


def test_self_approval_is_refused_unless_allowed(route, new_ticket):
    lead = route.world.lead
    ticket = new_ticket(by=lead)
    act(ticket, "submit", lead)  # submitting one's own is allowed
    with translation.override("en"), pytest.raises(services.ActionRefused) as refused:
        act(ticket, "take_up", lead)
    assert "own" in refused.value.message


def test_condition_routes_big_items_to_the_board(route, new_ticket):
    ticket = new_ticket(cost=2_000_000)
    for action, person in (("submit", route.submitter), ("take_up", route.world.lead), ("recommend", route.world.lead)):
        act(ticket, action, person)
    act(ticket, "send_to_council", route.world.lead)
    options = {o.action: o for o in services.available_actions(ticket, route.council[0].user)}
    assert not options["include"].allowed and (
        "condition" in options["include"].reason.lower() or "vilkår" in options["include"].reason.lower()
    )
    with pytest.raises(services.ActionRefused):
        services.vote(ticket, "include", route.council[0].user, "yes")
    for member in route.council:
        services.vote(ticket, "send_to_board", member.user, "yes")
    ticket.refresh_from_db()
    assert ticket.state == "board"
    for member in route.board:
        services.vote(ticket, "approve", member.user, "yes")
    ticket.refresh_from_db()
    assert ticket.state == "approved"


def test_committee_actions_cannot_be_performed_directly(route, new_ticket):
    ticket = at_council(route, new_ticket())
    with pytest.raises(services.ActionRefused):
        act(ticket, "include", route.world.admin_a)


def at_council(route, ticket):
    for action, person in (
        ("submit", route.submitter),
        ("take_up", route.world.lead),
        ("recommend", route.world.lead),
        ("send_to_council", route.world.lead),
    ):
        act(ticket, action, person)
    return ticket


def test_votes_by_non_members_and_second_votes_are_refused(route, new_ticket):
    ticket = at_council(route, new_ticket())
    with pytest.raises(services.ActionRefused):
        services.vote(ticket, "include", route.world.lead.user, "yes")
    services.vote(ticket, "include", route.council[0].user, "yes")
    with translation.override("en"), pytest.raises(services.ActionRefused) as refused:
        services.vote(ticket, "include", route.council[0].user, "no")
    assert "already voted" in refused.value.message
    assert Vote.objects.count() == 1


def test_a_decision_that_can_no_longer_pass_fails(route, new_ticket):
    ticket = at_council(route, new_ticket())
    services.vote(ticket, "include", route.council[0].user, "no")
    result = services.vote(ticket, "include", route.council[1].user, "no")
    assert result.ballot.outcome == Ballot.Outcome.FAILED
    ticket.refresh_from_db()
    assert ticket.state == "portfolio_council"
    # A failed ballot is closed; the next vote opens a fresh one.
    again = services.vote(ticket, "include", route.council[0].user, "yes")
    assert again.ballot.pk != result.ballot.pk


def test_votes_carry_person_capacity_and_comment(route, new_ticket):
    ticket = at_council(route, new_ticket())
    result = services.vote(ticket, "defer", route.council[0].user, "yes", comment="Venter på nasjonal løsning")
    assert (result.vote.voter, result.vote.capacity, result.vote.comment) == (
        route.council[0],
        "council_member",
        "Venter på nasjonal løsning",
    )


def test_state_fields_are_written_only_by_the_engine(route, new_ticket):
    ticket = new_ticket()
    ticket.state = "approved"
    ticket.title = "Nytt navn"
    ticket.save()
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.state, stored.title) == ("draft", "Nytt navn")


def test_stale_revision_is_a_conflict(route, new_ticket):
    ticket = new_ticket()
    seen = ticket.workflow_revision
    act(ticket, "submit", route.submitter)
    with translation.override("en"), pytest.raises(services.WorkflowConflict) as conflict:
        services.perform(ticket, "withdraw", route.submitter.user, revision=seen)
    assert "first" in conflict.value.message
    assert Ticket.objects.get(pk=ticket.pk).state == "submitted"


def test_acting_on_an_outdated_copy_is_refused_not_applied(route, new_ticket):
    ticket = new_ticket()
    stale = Ticket.objects.get(pk=ticket.pk)
    act(ticket, "withdraw", route.submitter)
    with translation.override("en"), pytest.raises(services.WorkflowConflict, match="Withdrawn"):
        services.perform(stale, "submit", route.submitter.user)
    assert Ticket.objects.get(pk=ticket.pk).state == "withdrawn"


def test_two_capacity_warning(route, new_ticket, seat):
    """The sector lead who recommended an item and then votes on it in the council is warned."""
    world = route.world
    seat(world.lead, world.council_a)
    ticket = at_council(route, new_ticket())
    option = next(o for o in services.available_actions(ticket, world.lead.user) if o.action == "include")
    assert option.allowed and option.warning


def test_per_state_edit_rights(route, new_ticket):
    ticket = new_ticket()
    assert services.may_edit(ticket, route.submitter.user)
    assert not services.may_edit(ticket, route.world.lead.user)
    act(ticket, "submit", route.submitter)
    assert not services.may_edit(ticket, route.submitter.user)


def test_inbox_queries_do_not_grow_with_items(route, new_ticket):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = route.council[0]

    def count():
        user = type(member.user).objects.get(pk=member.user.pk)
        with CaptureQueriesContext(connection) as queries:
            items = services.inbox(user)
        return len(queries), len(items)

    for _ in range(2):
        services.vote(at_council(route, new_ticket()), "include", route.council[1].user, "yes")
    few, few_items = count()
    for _ in range(6):
        at_council(route, new_ticket())
    many, many_items = count()
    assert (few_items, many_items) == (2, 8)
    assert many == few
