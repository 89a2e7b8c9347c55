"""Decisions in a meeting through the services: put to the vote by the chair or secretary, voted by the
members through the workflow engine, taken only with the meeting's quorum, with the reason and the period or
priority on the need's step and in the notifications; the board threshold; and every refusal writing
nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from ikt_portfolio.council import decisions, services
from ikt_portfolio.council.models import Decision, DecisionSettings, Participant
from ikt_portfolio.needs.models import Need
from ikt_portfolio.portfolio.models import Period
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import Ballot, Notification, TransitionLog, Vote

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _refusals_in_english():
    translation.activate("en")  # the msgids; the shared conftest resets the language after each test


def test_include_with_priority_three_votes_and_an_abstention(council, session, to_council, world):
    need = to_council()
    meeting, item = session(need)
    decision = decisions.open_decision(item, council.secretary.user, action="include", priority=2, reason="Viktig.")
    assert decision.status == Decision.Status.OPEN
    assert decision.history.first().history_capacity == "council_member"  # the secretary's seat
    decisions.cast_vote(decision, council.deputy.user, "abstain", comment="Inhabil.")
    for person in (council.chair, council.member):
        outcome = decisions.cast_vote(decision, person.user, "yes")
        assert outcome.result.log is None
    outcome = decisions.cast_vote(decision, council.member2.user, "yes", comment="Enig.")
    decision.refresh_from_db()
    need.refresh_from_db()
    assert need.state == "approved"
    assert decision.status == Decision.Status.PASSED and decision.log == outcome.result.log
    assert decision.log.ballot == decision.ballot
    comment = decision.log.comment
    assert "Viktig." in comment and "2" in comment and meeting.title in comment and "Enig." in comment
    votes = {v.voter_id: (v.choice, v.capacity) for v in Vote.objects.filter(ballot=decision.ballot)}
    assert votes[council.deputy.pk] == ("abstain", "council_member")
    assert [v for v in votes.values() if v[0] == "yes"] == [("yes", "council_member")] * 3
    # Only the deciding vote carries the decision's text.
    assert Vote.objects.get(voter=council.deputy).comment == "Inhabil."


def test_no_decision_without_quorum(council, session, to_council, schedule):
    need = to_council()
    meeting, item = session(need, present=[council.chair, council.member])  # 2 of 4: no quorum
    with pytest.raises(services.MeetingError, match="quorum"):
        decisions.open_decision(item, council.chair.user, action="include", priority=1)
    assert not Decision.objects.exists()
    # Quorum lost after the decision was opened: votes are refused too.
    services.record_attendance(meeting, council.chair.user, {council.member2.pk: "present"})
    decision = decisions.open_decision(item, council.chair.user, action="include", priority=1)
    services.record_attendance(meeting, council.chair.user, {council.member2.pk: "absent"})
    with pytest.raises(services.MeetingError, match="quorum"):
        decisions.cast_vote(decision, council.chair.user, "yes")
    assert not Vote.objects.exists() and not Ballot.objects.exists()


def test_a_meeting_that_has_not_started_decides_nothing(council, schedule, to_council):
    need = to_council()
    meeting = schedule(days=3)
    item = services.add_document_item(meeting, council.chair.user, need)
    with pytest.raises(services.MeetingError, match="not started"):
        decisions.open_decision(item, council.chair.user, action="include", priority=1)
    assert not Decision.objects.exists()


def test_a_non_member_and_a_second_vote_are_refused(council, session, to_council, world):
    need = to_council()
    meeting, item = session(need)
    decision = decisions.open_decision(item, council.chair.user, action="reject", reason="Dekket av nasjonal løsning.")
    with pytest.raises(workflow.WorkflowError, match="Only members"):
        decisions.cast_vote(decision, world.member_small.user, "yes")
    with pytest.raises(workflow.WorkflowError, match="Only members"):
        decisions.cast_vote(decision, council.secretary.user, "yes")  # the secretary's seat has no vote
    decisions.cast_vote(decision, council.member.user, "no")
    with pytest.raises(workflow.WorkflowError, match="already voted"):
        decisions.cast_vote(decision, council.member.user, "yes")
    assert list(Vote.objects.values_list("voter_id", "choice")) == [(council.member.pk, "no")]


def test_a_member_not_recorded_present_votes_on_the_need_page_not_in_the_meeting(council, session, to_council):
    need = to_council()
    meeting, item = session(need, present=[council.chair, council.member, council.member2])
    decision = decisions.open_decision(item, council.chair.user, action="include", priority=1)
    with pytest.raises(services.MeetingError, match="not recorded as present"):
        decisions.cast_vote(decision, council.deputy.user, "yes")
    assert not Vote.objects.exists()


@pytest.mark.parametrize("action", ["reject", "defer"])
def test_reject_and_defer_need_a_reason(council, session, to_council, later_period, action):
    need = to_council()
    meeting, item = session(need)
    fields = {"period": later_period} if action == "defer" else {}
    with pytest.raises(ValidationError) as refused:
        decisions.open_decision(item, council.chair.user, action=action, reason="  ", **fields)
    assert "reason" in refused.value.message_dict
    assert not Decision.objects.exists()


def test_deferral_to_a_past_or_current_period_is_refused(council, session, to_council, world, later_period):
    need = to_council()
    meeting, item = session(need)
    today = timezone.localdate()
    past = Period.objects.create(collaboration=world.a, kind=Period.Kind.YEAR, year=today.year - 1)
    current = Period.objects.create(collaboration=world.a, kind=Period.Kind.YEAR, year=today.year)
    for period, words in ((past, "is over"), (current, "already begun"), (None, "Name the later period")):
        with pytest.raises(ValidationError) as refused:
            decisions.open_decision(item, council.chair.user, action="defer", period=period, reason="Ikke i år.")
        assert words in " ".join(refused.value.message_dict["period"])
    other = Period.objects.create(collaboration=world.b, kind=Period.Kind.YEAR, year=today.year + 1)
    with pytest.raises(ValidationError, match="another collaboration"):
        decisions.open_decision(item, council.chair.user, action="defer", period=other, reason="Ikke i år.")
    assert not Decision.objects.exists()
    decision = decisions.open_decision(
        item, council.chair.user, action="defer", period=later_period, reason="Ikke i år."
    )
    for person in (council.chair, council.member, council.member2):
        decisions.cast_vote(decision, person.user, "yes")
    need.refresh_from_db()
    decision.refresh_from_db()
    assert need.state == "deferred" and decision.period == later_period
    assert str(later_period.year) in decision.log.comment and "Ikke i år." in decision.log.comment


def test_priority_and_period_only_where_they_belong(council, session, to_council, later_period):
    need = to_council()
    meeting, item = session(need)
    with pytest.raises(ValidationError) as refused:
        decisions.open_decision(item, council.chair.user, action="include")
    assert "priority" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        decisions.open_decision(item, council.chair.user, action="reject", reason="Nei.", priority=1)
    assert "priority" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        decisions.open_decision(item, council.chair.user, action="send_to_board", period=later_period)
    assert "period" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        decisions.open_decision(item, council.chair.user, action="approve")
    assert "action" in refused.value.message_dict
    assert not Decision.objects.exists()


def test_one_open_decision_per_item_and_withdrawing(council, session, to_council):
    need = to_council()
    meeting, item = session(need)
    first = decisions.open_decision(item, council.chair.user, action="include", priority=1)
    with pytest.raises(services.MeetingError, match="already open"):
        decisions.open_decision(item, council.chair.user, action="send_to_board")
    with pytest.raises(services.MeetingRefused):
        decisions.withdraw_decision(first, council.member.user)
    decisions.withdraw_decision(first, council.secretary.user)
    with pytest.raises(services.MeetingError, match="not open"):
        decisions.cast_vote(first, council.member.user, "yes")
    second = decisions.open_decision(item, council.chair.user, action="send_to_board")
    assert second.status == Decision.Status.OPEN


def test_a_motion_that_fails_is_kept_and_another_can_be_put(council, session, to_council):
    need = to_council()
    meeting, item = session(need)
    decision = decisions.open_decision(item, council.chair.user, action="reject", reason="For dyrt.")
    decisions.cast_vote(decision, council.member.user, "no")
    decisions.cast_vote(decision, council.member2.user, "no")
    decision.refresh_from_db()
    assert decision.status == Decision.Status.FAILED  # 2 of 4 against: a majority can no longer be reached
    need.refresh_from_db()
    assert need.state == "portfolio_council"
    again = decisions.open_decision(item, council.chair.user, action="include", priority=3)
    assert again.status == Decision.Status.OPEN


# ------------------------------------------------------------------------------------------- the board


def test_costly_and_strategic_items_must_go_to_the_board(council, session, to_council):
    for fields in ({"estimated_cost": Decimal("600000")}, {"strategic": True}):
        need = to_council(title=f"Stor sak {len(fields)}{fields.get('strategic', '')}", **fields)
        meeting, item = session(need)
        choices = {choice.action: choice for choice in decisions.action_choices(item)}
        assert not choices["include"].allowed and "board" in choices["include"].reason
        assert choices["send_to_board"].allowed
        with pytest.raises(ValidationError, match="board"):
            decisions.open_decision(item, council.chair.user, action="include", priority=1)
        assert not Decision.objects.filter(agenda_item=item).exists()


def test_the_board_threshold_is_the_collaboration_s_setting(council, session, to_council, world):
    need = to_council(estimated_cost=Decimal("600000"))
    meeting, item = session(need)
    with pytest.raises(services.MeetingRefused):
        decisions.set_board_threshold(world.a, council.chair.user, "1000000")
    with pytest.raises(ValidationError):
        decisions.set_board_threshold(world.a, world.admin_a.user, "-5")
    assert not DecisionSettings.objects.exists()
    decisions.set_board_threshold(world.a, world.admin_a.user, "1000000")
    assert decisions.board_threshold(world.a.pk) == Decimal("1000000.00")
    assert decisions.board_threshold(world.b.pk) == Decimal("500000.00")  # the default elsewhere
    decision = decisions.open_decision(item, council.chair.user, action="include", priority=1)
    for person in (council.chair, council.member, council.member2):
        decisions.cast_vote(decision, person.user, "yes")
    need.refresh_from_db()
    assert need.state == "approved"


def test_an_item_sent_to_the_board_is_approved_in_the_board_meeting(council, session, to_council, board_session):
    need = to_council(estimated_cost=Decimal("2000000"))
    meeting, item = session(need)
    decision = decisions.open_decision(item, council.chair.user, action="send_to_board", reason="Over terskelen.")
    for person in (council.chair, council.member, council.member2):
        decisions.cast_vote(decision, person.user, "yes")
    need.refresh_from_db()
    assert need.state == "board"
    board_meeting, board_item = board_session(need)
    choices = {choice.action for choice in decisions.action_choices(board_item)}
    assert choices == {"approve", "reject"}
    approval = decisions.open_decision(board_item, council.board_members[0].user, action="approve")
    for person in council.board_members:
        decisions.cast_vote(approval, person.user, "yes")
    need.refresh_from_db()
    approval.refresh_from_db()
    assert need.state == "approved" and approval.status == Decision.Status.PASSED
    assert approval.log.capacity == "committee:board"


def test_one_person_deciding_in_two_capacities_is_warned(council, session, to_council, board_session, seat):
    need = to_council(estimated_cost=Decimal("2000000"))
    seat(council.member, council.board)  # also on the board
    meeting, item = session(need)
    decision = decisions.open_decision(item, council.chair.user, action="send_to_board")
    for person in (council.chair, council.member, council.member2):
        decisions.cast_vote(decision, person.user, "yes")
    board_meeting, board_item = board_session(need)
    approval = decisions.open_decision(board_item, council.board_members[0].user, action="approve")
    outcome = decisions.cast_vote(approval, council.member.user, "yes")
    assert "portfolio council member" in outcome.warning and "board member" in outcome.warning
    assert decisions.cast_vote(approval, council.board_members[1].user, "yes").warning == ""


# -------------------------------------------------------------------------------- back to the people


def test_submitter_and_co_signers_are_told_the_decision_and_the_reason(
    council, session, to_council, world, make_person
):
    from ikt_portfolio.needs.services import co_sign

    need = to_council()
    co_signer = make_person("sunndal", municipality=world.medium)
    co_sign(need, user=co_signer.user, expected_benefit="Mindre kjøring.")
    Notification.objects.all().delete()
    meeting, item = session(need)
    decision = decisions.open_decision(item, council.chair.user, action="reject", reason="Dekket av nasjonal løsning.")
    for person in (council.chair, council.member2, council.deputy):
        decisions.cast_vote(decision, person.user, "yes")
    told = Notification.objects.filter(kind="transition", object_id=need.pk)
    submitter = told.get(recipient=world.member_small.user)
    assert "Dekket av nasjonal løsning." in submitter.body
    assert "Reject" in submitter.body or "Avvis" in submitter.body
    assert told.filter(recipient=co_signer.user).exists()
    step = TransitionLog.objects.of(need).get(action="reject")
    assert "Dekket av nasjonal løsning." in step.comment


def test_decisions_taken_on_the_need_page_are_recorded_in_the_meeting(council, session, to_council):
    need = to_council()
    meeting, item = session(need)
    for person in (council.chair, council.member, council.member2):
        workflow.vote(need, "include", person.user, "yes", comment="Bra.")
    recorded = decisions.record_decided(meeting, council.secretary.user)
    assert [(d.agenda_item, d.action, d.status) for d in recorded] == [(item, "include", Decision.Status.PASSED)]
    assert recorded[0].log == TransitionLog.objects.of(need).get(action="include")
    assert decisions.record_decided(meeting, council.secretary.user) == []  # once


def test_a_decision_closed_on_the_need_page_is_settled(council, session, to_council):
    need = to_council()
    meeting, item = session(need)
    decision = decisions.open_decision(item, council.chair.user, action="include", priority=1)
    decisions.cast_vote(decision, council.chair.user, "yes")
    for person in (council.member, council.member2):
        workflow.vote(Need.objects.get(pk=need.pk), "include", person.user, "yes")
    decisions.settle(meeting)
    decision.refresh_from_db()
    assert decision.status == Decision.Status.PASSED and decision.log.action == "include"


def test_only_the_body_s_managers_put_decisions_to_the_vote(council, session, to_council, world):
    need = to_council()
    meeting, item = session(need)
    for user in (council.member.user, council.observer.user, world.member_small.user, world.admin_b.user):
        with pytest.raises(services.MeetingRefused):
            decisions.open_decision(item, user, action="include", priority=1)
    assert decisions.open_decision(item, world.admin_a.user, action="include", priority=1).pk
    manual = services.add_manual_item(
        services.schedule_meeting(
            council.body,
            council.chair.user,
            title="Senere",
            starts_at=timezone.now() + datetime.timedelta(days=2),
            ends_at=timezone.now() + datetime.timedelta(days=2, hours=1),
        ),
        council.chair.user,
        title="Eventuelt",
    )
    with pytest.raises(services.MeetingError, match="Only items waiting"):
        decisions.open_decision(manual, council.chair.user, action="include", priority=1)


def test_attendance_rows_are_participants(council, session, to_council):
    need = to_council()
    meeting, _item = session(need)
    present = set(Participant.objects.filter(meeting=meeting, attendance="present").values_list("person_id", flat=True))
    assert present == {council.chair.pk, council.member.pk, council.member2.pk, council.deputy.pk}
