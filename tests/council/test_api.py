"""The meetings API through HTTP with real users and capacities: scoping, scheduling, changes, the agenda,
attendance, the calendar invitation, refusals that write nothing, and bounded queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from ikt_portfolio.council import services
from ikt_portfolio.council.models import AgendaItem, Meeting
from tests.needs.test_api import as_

from .conftest import at

pytestmark = pytest.mark.django_db

MEETINGS = "/api/v1/meetings/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def payload(council, **fields):
    return {"body": council.body.pk, "title": "Rådsmøte", "starts_at": at(6).isoformat(),
            "ends_at": at(6, 12).isoformat(), "place": "Rådhuset"} | fields  # fmt: skip


def test_list_is_scoped(council, schedule):
    council_meeting = schedule()
    sector_meeting = schedule(body=council.world.sector_a, user=council.world.lead.user)
    assert ids(as_(council.member).get(MEETINGS)) == {council_meeting.pk}
    assert ids(as_(council.world.lead).get(MEETINGS)) == {council_meeting.pk, sector_meeting.pk}
    assert ids(as_(council.world.admin_a).get(MEETINGS)) == {council_meeting.pk, sector_meeting.pk}
    assert ids(as_(council.world.member_small).get(MEETINGS)) == {council_meeting.pk}
    assert ids(as_(council.member_b).get(MEETINGS)) == set()
    assert as_(council.member_b).get(f"{MEETINGS}{council_meeting.pk}/").status_code == 404
    assert as_(None).get(MEETINGS).status_code in (401, 403)
    assert ids(as_(council.member).get(MEETINGS, {"when": "past"})) == set()
    assert ids(as_(council.member).get(MEETINGS, {"when": "upcoming", "body": council.body.pk})) == {council_meeting.pk}


def test_schedule_change_and_read(council):
    created = as_(council.chair).post(MEETINGS, payload(council, video_link="https://video.example/x"))
    assert created.status_code == 201, created.content
    body = created.json()
    assert len(body["participants"]) == 6 and body["may_manage"] is True
    assert body["quorum"] == {"present": 0, "required": 3, "seats": 4, "met": False, "rule": "majority"}
    url = f"{MEETINGS}{body['id']}/"
    changed = as_(council.secretary).patch(url, {"place": "Sunndal rådhus"})
    assert changed.status_code == 200 and changed.json()["place"] == "Sunndal rådhus"
    assert changed.json()["sequence"] == 1
    seen = as_(council.world.member_small).get(url).json()
    assert seen["video_link"] == "" and seen["may_manage"] is False
    assert as_(council.member).get(url).json()["video_link"] == "https://video.example/x"


@pytest.mark.parametrize(
    ("who", "fields", "status"),
    [
        ("member", {}, 403),
        ("admin_b", {}, 400),  # the body is not theirs to choose
        ("chair", {"ends_at": at(6, 9).isoformat()}, 400),
        ("chair", {"title": ""}, 400),
        ("chair", {"video_link": "ikke en lenke"}, 400),
        ("chair_b", {"body": "council_b"}, 403),  # Kristiansund is in B too: it sees the body, does not run it
    ],
)
def test_bad_scheduling_is_refused_and_nothing_written(council, who, fields, status):
    user = {"member": council.member, "admin_b": council.world.admin_b, "chair": council.chair,
            "chair_b": council.chair}[who]  # fmt: skip
    if fields.get("body") == "council_b":
        fields = {"body": council.world.council_b.pk}
    response = as_(user).post(MEETINGS, payload(council, **fields))
    assert response.status_code == status, response.content
    assert not Meeting.objects.exists()


def test_agenda_build_manual_items_and_reorder(council, schedule, to_council):
    need = to_council()
    meeting = schedule()
    url = f"{MEETINGS}{meeting.pk}/"
    assert as_(council.member).post(f"{url}build-agenda/").status_code == 403
    built = as_(council.chair).post(f"{url}build-agenda/")
    assert built.status_code == 200
    agenda = built.json()["agenda"]
    assert [(row["kind"], row["document"]["id"], row["document"]["type"]) for row in agenda] == [
        ("document", need.pk, "ikt_needs.need")
    ]
    assert as_(council.chair).post(f"{url}build-agenda/").json()["agenda"] == agenda  # idempotent
    item = as_(council.chair).post(f"{url}agenda/", {"title": "Eventuelt", "presenter": council.member.pk})
    assert item.status_code == 201 and item.json()["presenter"]["id"] == council.member.pk
    refused = as_(council.chair).post(f"{url}agenda/", {"title": "Fra B", "presenter": council.member_b.pk})
    assert refused.status_code == 400
    order = [item.json()["id"], agenda[0]["id"]]
    reordered = as_(council.chair).post(f"{url}reorder/", {"items": order})
    assert [row["id"] for row in reordered.json()["agenda"]] == order
    assert as_(council.chair).post(f"{url}reorder/", {"items": order[:1]}).status_code == 400
    assert AgendaItem.objects.count() == 2


def test_attendance(council, schedule):
    meeting = schedule(days=-1)
    url = f"{MEETINGS}{meeting.pk}/attendance/"
    rows = [{"person": p.pk, "attendance": "present"} for p in (council.chair, council.member, council.deputy)]
    assert as_(council.member).post(url, {"attendance": rows}).status_code == 403
    stranger = rows + [{"person": council.member_b.pk, "attendance": "present"}]
    assert as_(council.chair).post(url, {"attendance": stranger}).status_code == 400
    assert not meeting.participants.filter(attendance="present").exists()
    recorded = as_(council.chair).post(url, {"attendance": rows})
    assert recorded.status_code == 200
    assert recorded.json()["quorum"]["met"] is True
    bad = {"attendance": [{"person": council.chair.pk, "attendance": "x"}]}
    assert as_(council.chair).post(url, bad).status_code == 400


def test_cancel_and_held(council, schedule):
    future, past = schedule(days=4), schedule(days=-2)
    assert as_(council.chair).post(f"{MEETINGS}{future.pk}/held/").status_code == 400
    assert as_(council.chair).post(f"{MEETINGS}{past.pk}/held/").json()["status"] == "held"
    assert as_(council.member).post(f"{MEETINGS}{future.pk}/cancel/").status_code == 403
    assert as_(council.chair).post(f"{MEETINGS}{future.pk}/cancel/").json()["status"] == "cancelled"
    assert as_(council.chair).patch(f"{MEETINGS}{future.pk}/", {"title": "Likevel"}).status_code == 400


def test_ics_download(council, schedule):
    meeting = schedule()
    response = as_(council.member).get(f"{MEETINGS}{meeting.pk}/ics/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(response.content).events[0]
    assert str(event["uid"]) == services.ics_uid(meeting) and len(event["attendee"]) == 6
    onlooker = as_(council.world.member_small).get(f"{MEETINGS}{meeting.pk}/ics/")
    assert b"ATTENDEE" not in onlooker.content
    assert as_(council.member_b).get(f"{MEETINGS}{meeting.pk}/ics/").status_code == 404


def test_api_queries_stay_bounded(council, schedule, to_council, make_person, seat):
    meeting = schedule(days=2)
    to_council()
    services.build_agenda(meeting, council.chair.user)

    def count(path):
        with CaptureQueriesContext(connection) as queries:
            assert as_(council.member).get(path).status_code == 200
        return len(queries)

    detail = f"{MEETINGS}{meeting.pk}/"
    few_detail, few_list = count(detail), count(MEETINGS)
    for index in range(6):
        person = make_person(f"extra{index}", municipality=council.world.small)
        seat(person, council.body)
        to_council(f"Behov {index}")
        schedule(days=3 + index)
    services._invite_seats(meeting)
    services.build_agenda(meeting, council.chair.user)
    assert count(detail) == few_detail
    assert count(MEETINGS) == few_list


def test_meetings_are_not_deleted_through_the_api(council, schedule):
    meeting = schedule()
    assert as_(council.world.admin_a).delete(f"{MEETINGS}{meeting.pk}/").status_code == 405
    assert Meeting.objects.filter(pk=meeting.pk).exists()
