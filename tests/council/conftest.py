"""A council with every kind of seat, a board, and needs taken along the real routing to the council."""

import datetime

import pytest
from django.utils import timezone

from ikt_portfolio.council import services
from ikt_portfolio.members.models import Body, BodyMembership, Person
from ikt_portfolio.workflow import services as workflow
from tests.needs.conftest import need_routing, report  # noqa: F401  (shared need fixtures)

OSLO = services.OSLO


class Council:
    """World A's portfolio council: chair, secretary, two members (one is world.council_member), a deputy
    and an observer; a board of three; and world B's council with a member of its own."""


@pytest.fixture(autouse=True)
def _english(world):
    """Pages and messages in English (the msgids), so assertions do not depend on the nb/nn catalogs."""
    Person.objects.all().update(language="en")


@pytest.fixture
def council(world, make_person, seat):
    c = Council()
    c.world = world
    c.body = world.council_a
    c.member = world.council_member
    c.chair = make_person("chair", municipality=world.large)
    seat(c.chair, c.body, BodyMembership.Role.CHAIR, represents=world.large)
    c.member2 = make_person("member2", municipality=world.small)
    seat(c.member2, c.body, represents=world.small)
    c.secretary = make_person("secretary", staff_of=world.a)
    seat(c.secretary, c.body, BodyMembership.Role.SECRETARY)
    c.deputy = make_person("deputy", municipality=world.small)
    seat(c.deputy, c.body, BodyMembership.Role.DEPUTY, represents=world.small)
    c.observer = make_person("observer", staff_of=world.a)
    seat(c.observer, c.body, BodyMembership.Role.OBSERVER)
    c.board = Body.objects.create(collaboration=world.a, kind=Body.Kind.BOARD, name="Styret")
    c.board_members = []
    for name, municipality in (("styre1", world.small), ("styre2", world.medium), ("styre3", world.large)):
        person = make_person(name, municipality=municipality)
        seat(person, c.board, BodyMembership.Role.CHAIR if name == "styre1" else BodyMembership.Role.MEMBER)
        c.board_members.append(person)
    c.member_b = make_person("rad_b", municipality=world.other)
    seat(c.member_b, world.council_b, represents=world.other)
    return c


def at(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, 0), tzinfo=OSLO)


@pytest.fixture
def schedule(council):
    def make(body=None, user=None, days=7, hours=2, **fields):
        start = at(days)
        end = start + datetime.timedelta(hours=hours)
        values = {"title": "Møte i porteføljerådet", "starts_at": start, "ends_at": end, "place": "Rådhuset",
                  "video_link": "https://video.example/rad"} | fields  # fmt: skip
        return services.schedule_meeting(body or council.body, user or council.chair.user, **values)

    return make


@pytest.fixture
def to_council(world, need_routing, report):  # noqa: F811  (the imported fixtures)
    """A need taken to the portfolio council (waiting for its votes)."""

    def make(title="Digitalt tilsyn om natten", **fields):
        need = report(title=title, **fields)
        workflow.perform(need, "submit", world.member_small.user)
        for action in ("take_up", "recommend", "send_to_council"):
            workflow.perform(need, action, world.lead.user)
        return need

    return make


@pytest.fixture(autouse=True)
def _forget_board_thresholds():
    """A threshold set in one test must not be remembered by the next (ids repeat after a rollback)."""
    from ikt_portfolio.council.decisions import forget_thresholds

    forget_thresholds()
    yield
    forget_thresholds()


def _in_session(body, chair, need, present=None, title="Møte i gang"):
    """A meeting of `body` that started an hour ago, with `need` on its agenda and attendance recorded (every
    voting participant present unless `present` names who is)."""
    now = timezone.now()
    meeting = services.schedule_meeting(
        body,
        chair.user,
        title=title,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=2),
        place="Rådhuset",
    )
    item = services.add_document_item(meeting, chair.user, need)
    voting = list(meeting.participants.filter(voting=True).values_list("person_id", flat=True))
    wanted = {p.pk for p in present} if present is not None else set(voting)
    services.record_attendance(meeting, chair.user, {pk: "present" if pk in wanted else "absent" for pk in voting})
    return meeting, item


@pytest.fixture
def session(council):
    def make(need, present=None, title="Porteføljerådet i møte"):
        return _in_session(council.body, council.chair, need, present, title)

    return make


@pytest.fixture
def board_session(council):
    def make(need, present=None, title="Styremøte"):
        return _in_session(council.board, council.board_members[0], need, present, title)

    return make


@pytest.fixture
def later_period(world):
    from ikt_portfolio.portfolio.models import Period

    return Period.objects.create(collaboration=world.a, kind=Period.Kind.YEAR, year=timezone.localdate().year + 1)
