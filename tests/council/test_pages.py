"""Meetings on the Desk and on the collaboration platform: who sees and changes what, the buttons, the
calendar download, and a bounded number of queries as participants, items and meetings grow."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from ikt_portfolio.council import services
from ikt_portfolio.council.models import AgendaItem, Meeting
from ikt_portfolio.members.models import BodyMembership

from .conftest import at

pytestmark = pytest.mark.django_db


def desk(meeting, suffix="change"):
    return reverse(f"admin:ikt_council_meeting_{suffix}", args=[meeting.pk])


def login(client, person_or_user):
    client.force_login(getattr(person_or_user, "user", person_or_user))
    return client


# ------------------------------------------------------------------------------------------------ Desk


def test_chair_builds_the_agenda_and_downloads_the_invitation(client, council, schedule, to_council):
    need = to_council()
    meeting = schedule()
    login(client, council.chair)
    page = client.get(desk(meeting)).content.decode()
    assert 'data-quorum="not-met"' in page and "build-agenda" in page
    response = client.get(reverse("admin:ikt_council_meeting_build_agenda_action", args=[meeting.pk]))
    assert response.status_code == 302
    assert list(meeting.agenda_items.values_list("object_id", flat=True)) == [need.pk]
    page = client.get(desk(meeting)).content.decode()
    assert need.title in page and reverse("admin:ikt_needs_need_change", args=[need.pk]) in page
    ics = client.get(reverse("admin:ikt_council_meeting_download_ics", args=[meeting.pk]))
    assert ics["Content-Type"].startswith("text/calendar")
    assert Calendar.from_ical(ics.content).events[0]["uid"] == services.ics_uid(meeting)


def test_chair_schedules_in_the_desk_and_seats_are_invited(client, council):
    login(client, council.chair)
    add = reverse("admin:ikt_council_meeting_add")
    page = client.get(add).content.decode()
    assert f'value="{council.body.pk}"' in page and f'value="{council.board.pk}"' not in page
    day = at(9).date()
    data = {
        "body": council.body.pk,
        "title": "Rådsmøte i desken",
        "starts_at_0": day.isoformat(),
        "starts_at_1": "10:00",
        "ends_at_0": day.isoformat(),
        "ends_at_1": "12:00",
        "place": "Rådhuset",
        "video_link": "",
        "notes": "",
        **inline_management("participants", 0),
        **inline_management("agenda_items", 0),
        **inline_management("papers", 0),
    }
    response = client.post(add, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    meeting = Meeting.objects.get(title="Rådsmøte i desken")
    assert meeting.participants.count() == 6 and meeting.created_by == council.chair.user
    assert meeting.history.first().history_capacity == "council_member"


def inline_management(prefix, total):
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(total),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}  # fmt: skip


def test_attendance_and_manual_items_through_the_desk_form(client, council, schedule):
    meeting = schedule(days=-1)
    login(client, council.secretary)
    order = ("role", "person__user__last_name", "person__user__first_name", "pk")
    participants = list(meeting.participants.order_by(*order))
    start = meeting.starts_at.astimezone(services.OSLO)
    end = meeting.ends_at.astimezone(services.OSLO)
    data = {
        "title": meeting.title,
        "starts_at_0": start.date().isoformat(),
        "starts_at_1": start.strftime("%H:%M"),
        "ends_at_0": end.date().isoformat(),
        "ends_at_1": end.strftime("%H:%M"),
        "place": meeting.place,
        "video_link": meeting.video_link,
        "notes": "",
        **inline_management("participants", len(participants)),
        **inline_management("papers", 0),
        "agenda_items-TOTAL_FORMS": "1",
        "agenda_items-INITIAL_FORMS": "0",
        "agenda_items-MIN_NUM_FORMS": "0",
        "agenda_items-MAX_NUM_FORMS": "1000",
        "agenda_items-0-order": "0",
        "agenda_items-0-title": "Orientering om budsjettet",
        "agenda_items-0-description": "",
        "agenda_items-0-presenter": "",
        "agenda_items-0-outcome": "",
    }
    for index, participant in enumerate(participants):
        data[f"participants-{index}-id"] = participant.pk
        data[f"participants-{index}-meeting"] = meeting.pk
        data[f"participants-{index}-attendance"] = "present" if participant.voting else "invited"
    response = client.post(desk(meeting), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert meeting.participants.filter(attendance="present").count() == 4
    assert services.quorum(Meeting.objects.get(pk=meeting.pk)).met
    assert list(meeting.agenda_items.values_list("title", "kind")) == [("Orientering om budsjettet", "manual")]
    assert meeting.participants.get(person=council.chair).recorded_by == council.secretary.user


def test_a_plain_member_sees_but_cannot_change(client, council, schedule):
    meeting = schedule()
    login(client, council.member)
    page = client.get(desk(meeting))
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()
    client.get(reverse("admin:ikt_council_meeting_build_agenda_action", args=[meeting.pk]))
    assert not AgendaItem.objects.exists()
    response = client.post(desk(meeting), {"title": "Endret"})
    assert response.status_code == 403
    assert Meeting.objects.get(pk=meeting.pk).title == meeting.title


def test_another_collaboration_sees_nothing_in_the_desk(client, council, schedule):
    meeting = schedule()
    login(client, council.world.admin_b)
    assert client.get(desk(meeting)).status_code == 302  # Django admin: "does not exist" redirects
    assert meeting.title not in client.get(reverse("admin:ikt_council_meeting_changelist")).content.decode()


def test_desk_list_queries_stay_bounded(client, council, schedule):
    def count():
        login(client, type(council.world.admin_a.user).objects.get(pk=council.world.admin_a.user.pk))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("admin:ikt_council_meeting_changelist"))
        assert response.status_code == 200
        return len(queries)

    schedule(days=1)
    count()
    few = count()
    for days in range(2, 12):
        schedule(days=days)
    assert count() == few


def test_desk_meeting_page_queries_stay_bounded(client, council, schedule, to_council, make_person, seat):
    meeting = schedule(days=-1)

    def count():
        login(client, type(council.chair.user).objects.get(pk=council.chair.user.pk))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(desk(meeting))
        assert response.status_code == 200
        return len(queries)

    to_council()
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=at(3), ends_at=at(3, 12))
    services.build_agenda(meeting, council.chair.user)
    count()
    few = count()
    for index in range(8):
        person = make_person(f"extra{index}", municipality=council.world.small)
        seat(person, council.body)
        to_council(f"Behov {index}")
        services.add_manual_item(meeting, council.chair.user, title=f"Sak {index}")
    services._invite_seats(meeting)
    services.build_agenda(meeting, council.chair.user)
    assert meeting.participants.count() == 14 and meeting.agenda_items.count() == 17
    assert count() == few


# ---------------------------------------------------------------------------------------------- portal


def test_portal_list_and_meeting_page_for_a_member(client, council, schedule, to_council):
    need = to_council()
    upcoming = schedule(days=3)
    services.build_agenda(upcoming, council.chair.user)
    past = schedule(days=-3, title="Forrige møte")
    services.record_attendance(past, council.chair.user, {council.member.pk: "present"})
    login(client, council.member)
    listing = client.get(reverse("ikt_portal:meetings")).content.decode()
    assert f'data-meeting="{upcoming.pk}"' in listing and f'data-meeting="{past.pk}"' not in listing
    listing = client.get(reverse("ikt_portal:meetings") + "?when=past").content.decode()
    assert f'data-meeting="{past.pk}"' in listing and f'data-meeting="{upcoming.pk}"' not in listing
    page = client.get(reverse("ikt_portal:meeting", args=[upcoming.pk])).content.decode()
    assert reverse("ikt_portal:need", args=[need.pk]) in page
    assert 'id="video-link"' in page and "https://video.example/rad" in page
    assert 'data-met="false"' in page and 'id="meeting-manage"' not in page
    assert f'data-person="{council.chair.pk}"' in page
    page = client.get(reverse("ikt_portal:meeting", args=[past.pk])).content.decode()
    assert f'data-person="{council.member.pk}" data-attendance="present"' in page


def test_portal_transparency_for_others_in_the_collaboration(client, council, schedule):
    council_meeting = schedule()
    sector_meeting = schedule(body=council.world.sector_a, user=council.world.lead.user, title="Faggruppemøte")
    cancelled = services.cancel_meeting(schedule(title="Avlyst"), council.chair.user)
    login(client, council.world.member_small)
    listing = client.get(reverse("ikt_portal:meetings")).content.decode()
    assert f'data-meeting="{council_meeting.pk}"' in listing
    assert f'data-meeting="{sector_meeting.pk}"' not in listing and f'data-meeting="{cancelled.pk}"' not in listing
    page = client.get(reverse("ikt_portal:meeting", args=[council_meeting.pk])).content.decode()
    assert 'id="video-link"' not in page and "video.example" not in page
    ics = client.get(reverse("ikt_portal:meeting_ics", args=[council_meeting.pk]))
    assert ics.status_code == 200 and b"video.example" not in ics.content and b"ATTENDEE" not in ics.content
    assert client.get(reverse("ikt_portal:meeting", args=[sector_meeting.pk])).status_code == 404
    login(client, council.world.lead)
    assert client.get(reverse("ikt_portal:meeting", args=[sector_meeting.pk])).status_code == 200


def test_portal_manager_gets_the_desk_link_and_full_ics(client, council, schedule):
    meeting = schedule()
    login(client, council.secretary)
    page = client.get(reverse("ikt_portal:meeting", args=[meeting.pk])).content.decode()
    assert desk(meeting) in page
    ics = client.get(reverse("ikt_portal:meeting_ics", args=[meeting.pk]))
    assert b"ATTENDEE" in ics.content and b"video.example" in ics.content
    assert ics["Content-Disposition"].startswith("attachment;")


def test_portal_refuses_outsiders_and_anonymous(client, council, schedule):
    meeting = schedule()
    for url in (reverse("ikt_portal:meeting", args=[meeting.pk]), reverse("ikt_portal:meeting_ics", args=[meeting.pk])):
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and reverse("ikt_portal:login") in anonymous["Location"]
    login(client, council.member_b)  # in collaboration B only
    assert client.get(reverse("ikt_portal:meeting", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("ikt_portal:meeting_ics", args=[meeting.pk])).status_code == 404
    listing = client.get(reverse("ikt_portal:meetings")).content.decode()
    assert f'data-meeting="{meeting.pk}"' not in listing
    login(client, council.world.outsider)  # no Person, no collaboration
    assert client.get(reverse("ikt_portal:meetings")).status_code == 403
    assert client.get(reverse("ikt_portal:meeting", args=[meeting.pk])).status_code == 404


def test_portal_pages_queries_stay_bounded(client, council, schedule, to_council, make_person, seat):
    meeting = schedule(days=2)

    def count(url):
        login(client, type(council.member.user).objects.get(pk=council.member.user.pk))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries)

    page_url = reverse("ikt_portal:meeting", args=[meeting.pk])
    list_url = reverse("ikt_portal:meetings")
    to_council()
    services.build_agenda(meeting, council.chair.user)
    count(page_url)
    few_page, few_list = count(page_url), count(list_url)
    for index in range(8):
        person = make_person(f"extra{index}", municipality=council.world.small)
        seat(person, council.body, BodyMembership.Role.MEMBER)
        to_council(f"Behov {index}")
        services.add_manual_item(meeting, council.chair.user, title=f"Sak {index}", presenter=council.member)
        schedule(days=3 + index, title=f"Møte {index}")
    services._invite_seats(meeting)
    services.build_agenda(meeting, council.chair.user)
    assert meeting.participants.count() == 14 and meeting.agenda_items.count() == 17
    assert count(page_url) == few_page
    assert count(list_url) == few_list


def test_meetings_link_in_the_menu(client, council):
    login(client, council.world.member_small)
    page = client.get(reverse("ikt_portal:needs")).content.decode()
    assert reverse("ikt_portal:meetings") in page


def test_times_are_shown_in_norwegian_time(client, council):
    meeting = services.schedule_meeting(
        council.body,
        council.chair.user,
        title="Sommermøte",
        starts_at=datetime.datetime(2030, 6, 3, 8, 0, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2030, 6, 3, 10, 0, tzinfo=datetime.UTC),
    )
    login(client, council.member)
    page = client.get(reverse("ikt_portal:meeting", args=[meeting.pk])).content.decode()
    assert 'datetime="2030-06-03T10:00:00+02:00"' in page
