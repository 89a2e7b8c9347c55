"""Meetings' business rules through the services: scheduling and its validation, invitations from the seats,
the agenda built from what waits for the body, attendance, the quorum and the calendar invitation."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from icalendar import Calendar

from ikt_portfolio.council import services
from ikt_portfolio.council.models import AgendaItem, Meeting, MeetingSettings, Participant, QuorumRule
from ikt_portfolio.members.models import Body, BodyMembership
from ikt_portfolio.needs.models import Need
from ikt_portfolio.workflow import services as workflow

from .conftest import at

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------------ scheduling


def test_scheduling_invites_every_seat_in_its_role(council, schedule):
    meeting = schedule()
    rows = {p.person_id: p for p in meeting.participants.all()}
    expected = {
        council.chair.pk: ("chair", True),
        council.member.pk: ("member", True),
        council.member2.pk: ("member", True),
        council.deputy.pk: ("deputy", True),
        council.secretary.pk: ("secretary", False),
        council.observer.pk: ("observer", False),
    }
    assert {pk: (p.role, p.voting) for pk, p in rows.items()} == expected
    assert all(p.attendance == Participant.Attendance.INVITED for p in rows.values())
    assert rows[council.member.pk].represents == council.world.medium
    assert meeting.created_by == council.chair.user
    assert meeting.history.first().history_capacity == "council_member"


def test_only_seats_held_on_the_meeting_date_are_invited(council, schedule, make_person, seat):
    later = make_person("later", municipality=council.world.small)
    seat(later, council.body, valid_from=at(30).date())
    gone = make_person("gone", municipality=council.world.small)
    seat(gone, council.body, valid_from=at(-400).date(), valid_to=at(3).date())
    soon = {p.person_id for p in schedule(days=7).participants.all()}
    assert later.pk not in soon and gone.pk not in soon
    late = {p.person_id for p in schedule(days=40).participants.all()}
    assert later.pk in late and gone.pk not in late
    early = {p.person_id for p in schedule(days=1).participants.all()}
    assert gone.pk in early


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_at": at(7, 9)}, "ends_at"),  # ends before it starts
        ({"ends_at": at(7, 10)}, "ends_at"),  # ends as it starts
        ({"title": "   "}, "title"),
        ({"video_link": "not a link"}, "video_link"),
    ],
)
def test_bad_meetings_are_refused_and_nothing_is_written(council, schedule, fields, field):
    with pytest.raises(ValidationError) as refused:
        schedule(**fields)
    assert field in refused.value.message_dict
    assert not Meeting.objects.exists() and not Participant.objects.exists()


def test_naive_times_are_norwegian_time(council):
    meeting = services.schedule_meeting(
        council.body,
        council.chair.user,
        title="Møte",
        starts_at=datetime.datetime(2027, 6, 1, 10, 0),
        ends_at=datetime.datetime(2027, 6, 1, 12, 0),
    )
    assert meeting.starts_at == datetime.datetime(2027, 6, 1, 8, 0, tzinfo=datetime.UTC)  # summer time, UTC+2


@pytest.mark.parametrize("who", ["chair", "secretary", "admin", "operator"])
def test_who_may_schedule(council, schedule, who):
    user = {
        "chair": council.chair.user,
        "secretary": council.secretary.user,
        "admin": council.world.admin_a.user,
        "operator": council.world.operator,
    }[who]
    meeting = schedule(user=user)
    assert meeting.participants.count() == 6


@pytest.mark.parametrize("who", ["member", "deputy", "observer", "submitter", "lead", "admin_b", "outsider", "chair_b"])
def test_who_may_not_schedule(council, schedule, make_person, seat, who):
    world = council.world
    if who == "chair_b":  # the chair of another body may not schedule this one's meetings
        user = council.board_members[0].user
    else:
        user = {
            "member": council.member.user,
            "deputy": council.deputy.user,
            "observer": council.observer.user,
            "submitter": world.member_small.user,
            "lead": world.lead.user,
            "admin_b": world.admin_b.user,
            "outsider": world.outsider,
        }[who]
    with pytest.raises(services.MeetingRefused):
        schedule(user=user)
    assert not Meeting.objects.exists()


def test_a_sector_lead_runs_the_sector_groups_meetings(council, schedule):
    meeting = schedule(body=council.world.sector_a, user=council.world.lead.user, title="Faggruppemøte")
    assert [(p.person_id, p.role, p.voting) for p in meeting.participants.all()] == [
        (council.world.lead.pk, "lead", False)
    ]


def test_changing_the_date_reinvites_and_raises_the_sequence(council, schedule, make_person, seat):
    meeting = schedule(days=7)
    newcomer = make_person("newcomer", municipality=council.world.small)
    seat(newcomer, council.body, valid_from=at(20).date())
    changed = services.update_meeting(meeting, council.chair.user, starts_at=at(25), ends_at=at(25, 12))
    assert changed.sequence == 1
    assert changed.participants.filter(person=newcomer).exists()
    services.update_meeting(changed, council.chair.user, notes="Husk saksliste")
    assert Meeting.objects.get(pk=meeting.pk).sequence == 1  # notes are not in the calendar
    with pytest.raises(ValidationError):
        services.update_meeting(changed, council.chair.user, ends_at=at(24))
    assert Meeting.objects.get(pk=meeting.pk).ends_at == at(25, 12)
    with pytest.raises(services.MeetingRefused):
        services.update_meeting(changed, council.member.user, title="Nytt navn")


def test_a_cancelled_meeting_no_longer_changes(council, schedule):
    meeting = services.cancel_meeting(schedule(), council.chair.user)
    assert meeting.status == Meeting.Status.CANCELLED and meeting.sequence == 1
    for change in (
        lambda: services.update_meeting(meeting, council.chair.user, title="Igjen"),
        lambda: services.build_agenda(meeting, council.chair.user),
        lambda: services.add_manual_item(meeting, council.chair.user, title="Eventuelt"),
        lambda: services.record_attendance(meeting, council.chair.user, {council.member.pk: "excused"}),
        lambda: services.mark_held(meeting, council.chair.user),
    ):
        with pytest.raises(services.MeetingError):
            change()
    assert not AgendaItem.objects.exists()


def test_held_only_once_started(council, schedule):
    with pytest.raises(services.MeetingError):
        services.mark_held(schedule(days=3), council.chair.user)
    held = services.mark_held(schedule(days=-1), council.chair.user)
    assert held.status == Meeting.Status.HELD
    with pytest.raises(services.MeetingError):
        services.cancel_meeting(held, council.chair.user)


# ---------------------------------------------------------------------------------------------- agenda


def test_the_agenda_holds_what_waits_for_the_council_once(council, schedule, to_council, report, world):
    first, second = to_council("Første behov"), to_council("Andre behov")
    report(title="Fortsatt et utkast")  # a draft waits for nobody
    meeting = schedule()
    manual = services.add_manual_item(meeting, council.chair.user, title="Orientering")
    added = services.build_agenda(meeting, council.chair.user)
    assert [item.object_id for item in added] == [first.pk, second.pk]
    assert list(meeting.agenda_items.values_list("title", "kind", "order")) == [
        ("Orientering", "manual", 1),
        (str(first), "document", 2),
        (str(second), "document", 3),
    ]
    assert services.build_agenda(meeting, council.chair.user) == []  # idempotent
    third = to_council("Tredje behov")
    services.reorder(meeting, council.chair.user, [i.pk for i in meeting.agenda_items.order_by("-order")])
    assert [i.object_id for i in services.build_agenda(meeting, council.chair.user)] == [third.pk]
    assert list(meeting.agenda_items.values_list("title", flat=True)) == [
        str(second),
        str(first),
        "Orientering",
        str(third),
    ]
    assert AgendaItem.objects.get(pk=manual.pk).order == 3


def test_items_go_to_the_body_that_decides_them(council, schedule, to_council, world):
    need = to_council()
    ballot_open = to_council("Med åpen avstemning")
    workflow.vote(ballot_open, "send_to_board", council.member.user, "yes")  # the ballot is open now
    board_meeting = schedule(body=council.board, user=council.board_members[0].user)
    assert services.build_agenda(board_meeting, council.board_members[0].user) == []
    council_meeting = schedule()
    assert {i.object_id for i in services.build_agenda(council_meeting, council.chair.user)} == {
        need.pk,
        ballot_open.pk,
    }
    for person in (council.chair, council.member, council.member2):
        workflow.vote(need, "send_to_board", person.user, "yes")
    need.refresh_from_db()
    assert need.state == "board"
    assert [i.object_id for i in services.build_agenda(board_meeting, council.board_members[0].user)] == [need.pk]


def test_items_of_another_collaboration_never_appear(council, schedule, to_council, world, make_person):
    from tests.workflow.conftest import fixture_data

    to_council()
    workflow.import_workflow(fixture_data("need_routing_recommended.json", "ikt_needs.need"), world.b, activate=True)
    meeting_b = services.schedule_meeting(
        world.council_b, world.admin_b.user, title="Rådsmøte B", starts_at=at(5), ends_at=at(5, 12)
    )
    assert services.build_agenda(meeting_b, world.admin_b.user) == []
    need = Need.objects.get()
    with pytest.raises(ValidationError):
        services.add_document_item(meeting_b, world.admin_b.user, need)
    assert not AgendaItem.objects.exists()


def test_a_second_body_of_the_same_kind_gets_nothing(council, schedule, to_council, world):
    to_council()
    second = Body.objects.create(collaboration=world.a, kind=Body.Kind.PORTFOLIO_COUNCIL, name="Et annet råd")
    meeting = services.schedule_meeting(second, world.admin_a.user, title="Møte", starts_at=at(3), ends_at=at(3, 12))
    assert services.build_agenda(meeting, world.admin_a.user) == []


def test_manual_items_reorder_and_removal(council, schedule, to_council):
    to_council()
    meeting = schedule()
    services.build_agenda(meeting, council.chair.user)
    manual = services.add_manual_item(
        meeting, council.chair.user, title=" Eventuelt ", description="Det som dukker opp", presenter=council.member
    )
    assert (manual.title, manual.order) == ("Eventuelt", 2)
    document = meeting.agenda_items.get(kind="document")
    with pytest.raises(ValidationError):
        services.reorder(meeting, council.chair.user, [manual.pk])  # not every item
    with pytest.raises(ValidationError):
        services.reorder(meeting, council.chair.user, [manual.pk, manual.pk])
    with pytest.raises(ValidationError):
        services.add_manual_item(meeting, council.chair.user, title="")
    with pytest.raises(ValidationError):
        services.add_manual_item(meeting, council.chair.user, title="Fra B", presenter=council.member_b)
    with pytest.raises(services.MeetingError):
        services.remove_item(document, council.chair.user)
    with pytest.raises(ValidationError):
        services.update_item(document, council.chair.user, title="Nytt navn")
    services.update_item(document, council.chair.user, outcome="Sendt til styret")
    services.remove_item(manual, council.chair.user)
    assert list(meeting.agenda_items.values_list("pk", "order")) == [(document.pk, 1)]
    with pytest.raises(services.MeetingRefused):
        services.add_manual_item(meeting, council.member.user, title="Fra et medlem")
    assert meeting.agenda_items.count() == 1


def test_agenda_documents_keep_their_link(council, schedule, to_council):
    need = to_council()
    meeting = schedule()
    services.build_agenda(meeting, council.chair.user)
    item = meeting.agenda_items.get()
    assert item.content_type == ContentType.objects.get_for_model(Need) and item.document == need


# ------------------------------------------------------------------------------------ attendance, quorum


def test_attendance_is_recorded_by_those_who_run_the_meeting(council, schedule):
    meeting = schedule(days=-1)
    changed = services.record_attendance(
        meeting, council.secretary.user, {council.chair.pk: "present", str(council.member.pk): "excused"}
    )
    assert len(changed) == 2
    row = meeting.participants.get(person=council.chair)
    assert (row.attendance, row.recorded_by) == ("present", council.secretary.user)
    assert row.history.first().history_capacity == "council_member"
    assert services.record_attendance(meeting, council.secretary.user, {council.chair.pk: "present"}) == []


@pytest.mark.parametrize(
    ("attendance", "error"),
    [
        ({"member_b": "present"}, ValidationError),  # not invited
        ({"chair": "sleeping"}, ValidationError),
        ({"chair": "present", "member_b": "present"}, ValidationError),  # all or nothing
    ],
)
def test_bad_attendance_is_refused_and_nothing_written(council, schedule, attendance, error):
    meeting = schedule(days=-1)
    people = {"chair": council.chair.pk, "member_b": council.member_b.pk}
    with pytest.raises(error):
        services.record_attendance(meeting, council.chair.user, {people[k]: v for k, v in attendance.items()})
    assert not meeting.participants.exclude(attendance="invited").exists()


def test_before_the_meeting_only_excused_absences(council, schedule):
    meeting = schedule(days=2)
    with pytest.raises(services.MeetingError):
        services.record_attendance(meeting, council.chair.user, {council.member.pk: "present"})
    services.record_attendance(meeting, council.chair.user, {council.member.pk: "excused"})
    assert meeting.participants.get(person=council.member).attendance == "excused"
    with pytest.raises(services.MeetingRefused):
        services.record_attendance(meeting, council.member.user, {council.member.pk: "excused"})


def _present(meeting, people, user):
    services.record_attendance(meeting, user, {person.pk: "present" for person in people})
    return services.quorum(Meeting.objects.get(pk=meeting.pk))


def test_quorum_is_more_than_half_of_the_voting_seats(council, schedule):
    meeting = schedule(days=-1)  # four voting seats: chair, two members, deputy
    nobody = services.quorum(meeting)
    assert (nobody.present, nobody.required, nobody.seats, nobody.met) == (0, 3, 4, False)
    # the secretary and the observer do not count
    half = _present(meeting, [council.chair, council.member, council.secretary, council.observer], council.chair.user)
    assert (half.present, half.met) == (2, False)
    enough = _present(meeting, [council.deputy], council.chair.user)
    assert (enough.present, enough.required, enough.met) == (3, 3, True)
    services.record_attendance(meeting, council.chair.user, {council.deputy.pk: "excused"})
    assert not services.quorum(Meeting.objects.get(pk=meeting.pk)).met


@pytest.mark.parametrize(
    ("rule", "count", "present", "required", "met"),
    [
        (QuorumRule.TWO_THIRDS, None, 2, 3, False),  # 2/3 of 4 seats, rounded up
        (QuorumRule.TWO_THIRDS, None, 3, 3, True),
        (QuorumRule.FIXED, 2, 2, 2, True),
        (QuorumRule.FIXED, 5, 4, 5, False),  # more than the seats: never met
    ],
)
def test_quorum_rule_per_body(council, schedule, rule, count, present, required, met):
    MeetingSettings.objects.create(body=council.body, quorum_rule=rule, quorum_count=count)
    meeting = schedule(days=-1)
    people = [council.chair, council.member, council.member2, council.deputy][:present]
    found = _present(meeting, people, council.chair.user)
    assert (found.present, found.required, found.met) == (present, required, met)


def test_a_body_without_voting_seats_has_no_quorum(council, schedule):
    meeting = schedule(body=council.world.sector_a, user=council.world.lead.user, days=-1)
    services.record_attendance(meeting, council.world.lead.user, {council.world.lead.pk: "present"})
    found = services.quorum(meeting)
    assert (found.seats, found.met) == (0, False)


def test_a_fixed_quorum_needs_its_number(council):
    settings = MeetingSettings(body=council.body, quorum_rule=QuorumRule.FIXED)
    with pytest.raises(ValidationError):
        settings.full_clean()


# -------------------------------------------------------------------------------------------- calendar


def test_ics_parses_back_with_everything_a_calendar_needs(council, schedule, to_council):
    to_council()
    meeting = schedule(days=10)
    services.build_agenda(meeting, council.chair.user)
    parsed = Calendar.from_ical(services.ics(meeting))
    assert str(parsed["method"]) == "REQUEST"
    assert [tz["tzid"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/Oslo"]
    event = parsed.events[0]
    assert str(event["uid"]) == f"meeting-{meeting.uid}@ikt-portfolio"
    assert event.start == meeting.starts_at and str(event.start.tzinfo) == "Europe/Oslo"
    assert event.end == meeting.ends_at
    assert str(event["location"]) == "Rådhuset"
    assert str(event["url"]) == "https://video.example/rad"
    assert str(event["organizer"]) == "mailto:chair@example.test"
    attendees = {str(a): a.params for a in event["attendee"]}
    assert set(attendees) == {
        f"mailto:{p.user.email}"
        for p in (council.chair, council.member, council.member2, council.secretary, council.deputy, council.observer)
    }
    assert attendees["mailto:chair@example.test"]["ROLE"] == "CHAIR"
    assert attendees["mailto:observer@example.test"]["ROLE"] == "OPT-PARTICIPANT"
    assert "Digitalt tilsyn om natten" in str(event["description"])
    assert int(event["sequence"]) == 0


def test_ics_uid_is_stable_and_sequence_follows_changes(council, schedule):
    meeting = schedule()
    first = Calendar.from_ical(services.ics(meeting)).events[0]
    moved = services.update_meeting(meeting, council.chair.user, place="Sunndal rådhus")
    second = Calendar.from_ical(services.ics(moved)).events[0]
    assert str(first["uid"]) == str(second["uid"])
    assert (int(second["sequence"]), str(second["location"])) == (1, "Sunndal rådhus")
    cancelled = Calendar.from_ical(services.ics(services.cancel_meeting(moved, council.chair.user)))
    assert str(cancelled["method"]) == "CANCEL" and str(cancelled.events[0]["status"]) == "CANCELLED"


def test_ics_for_onlookers_has_no_link_and_no_addresses(council, schedule):
    meeting = schedule(place="")
    event = Calendar.from_ical(services.ics(meeting, full=False)).events[0]
    assert "attendee" not in event and "url" not in event and "location" not in event
    assert "video.example" not in services.ics(meeting, full=False).decode()


def test_a_person_holding_no_seat_on_the_day_changes_nothing(council, schedule):
    BodyMembership.objects.filter(body=council.body).update(valid_to=at(1).date())
    meeting = schedule(days=5)
    assert not meeting.participants.exists()
