"""Shared fixtures: a small world of two collaborations and people in every position of the permission
matrix, built through the real models (no mocks)."""

import datetime
import io
import os

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from ikt_portfolio.members.models import (
    Body,
    BodyMembership,
    Collaboration,
    Membership,
    Municipality,
    Person,
    PopulationFigure,
    RoleAssignment,
    ServiceArea,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + Playwright in one thread

LONG_AGO = datetime.date(2020, 1, 1)


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"ikt_portfolio database backend: {engine}; redis: {settings.REDIS_URL}"


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    # Requests activate the user's language in this thread; the next test starts from the default again.
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a user; the hasher is Django's, not ours, so tests use the fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo (`load_demo`) loaded once for a test module and rolled back after it; what the command printed."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast), transaction.atomic():
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def make_municipality(db):
    def make(number: str, name: str, population: int | None = None, year: int = 2026, **fields) -> Municipality:
        municipality = Municipality.objects.create(number=number, name=name, **fields)
        if population is not None:
            PopulationFigure.objects.create(municipality=municipality, year=year, population=population, source="test")
        return municipality

    return make


@pytest.fixture
def make_person(db):
    counter = {"n": 0}

    def make(username: str | None = None, *, municipality=None, staff_of=None, superuser=False, **fields) -> Person:
        counter["n"] += 1
        username = username or f"person{counter['n']}"
        user = get_user_model().objects.create_user(
            username=username,
            password="pw-for-tests-123",
            first_name=username.title(),
            last_name="Testesen",
            email=f"{username}@example.test",
            is_staff=True,
            is_superuser=superuser,
        )
        if municipality is None and staff_of is None:
            return user
        return Person.objects.create(user=user, municipality=municipality, staff_of=staff_of, **fields)

    return make


@pytest.fixture
def seat(db):
    def make(person: Person, body: Body, role=BodyMembership.Role.MEMBER, **fields) -> BodyMembership:
        fields.setdefault("valid_from", LONG_AGO)
        return BodyMembership.objects.create(person=person, body=body, role=role, **fields)

    return make


@pytest.fixture
def assign(db):
    def make(person: Person, collaboration: Collaboration, capacity: str, **fields) -> RoleAssignment:
        fields.setdefault("valid_from", LONG_AGO)
        return RoleAssignment.objects.create(person=person, collaboration=collaboration, capacity=capacity, **fields)

    return make


class World:
    """Two collaborations, A (three members: small, medium, large) and B (two members; one shared with A)."""


@pytest.fixture
def world(db, make_municipality, make_person, seat, assign):
    w = World()
    w.small = make_municipality("1573", "Smøla", 2150)
    w.medium = make_municipality("1563", "Sunndal", 7200)
    w.large = make_municipality("1505", "Kristiansund", 24400)
    w.other = make_municipality("0301", "Oslo", 709000)
    w.a = Collaboration.objects.create(name="Samarbeid A", short_name="A")
    w.b = Collaboration.objects.create(name="Samarbeid B", short_name="B")
    for municipality in (w.small, w.medium, w.large):
        Membership.objects.create(collaboration=w.a, municipality=municipality, valid_from=LONG_AGO)
    for municipality in (w.other, w.large):
        Membership.objects.create(collaboration=w.b, municipality=municipality, valid_from=LONG_AGO)
    w.health_a = ServiceArea.objects.create(collaboration=w.a, code="helse", name="Helse og omsorg")
    w.health_b = ServiceArea.objects.create(collaboration=w.b, code="helse", name="Helse og omsorg")
    w.sector_a = Body.objects.create(
        collaboration=w.a, kind=Body.Kind.SECTOR_GROUP, name="Faggruppe helse", service_area=w.health_a
    )
    w.council_a = Body.objects.create(collaboration=w.a, kind=Body.Kind.PORTFOLIO_COUNCIL, name="Porteføljerådet")
    w.council_b = Body.objects.create(collaboration=w.b, kind=Body.Kind.PORTFOLIO_COUNCIL, name="Porteføljerådet")

    w.operator = make_person("drift", superuser=True)
    w.admin_a = make_person("admin_a", staff_of=w.a)
    assign(w.admin_a, w.a, "collaboration_admin")
    w.admin_b = make_person("admin_b", staff_of=w.b)
    assign(w.admin_b, w.b, "collaboration_admin")
    w.member_small = make_person("smola", municipality=w.small)
    w.member_other = make_person("oslo", municipality=w.other)
    w.council_member = make_person("rad", municipality=w.medium)
    seat(w.council_member, w.council_a, represents=w.medium)
    w.lead = make_person("lead", staff_of=w.a)
    seat(w.lead, w.sector_a, BodyMembership.Role.LEAD)
    w.outsider = make_person("outsider")  # a user with no Person at all
    return w


class SmtpInbox:
    """A real SMTP server (aiosmtpd) on loopback; `messages` holds what it received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email

        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()
