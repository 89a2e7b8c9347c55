"""`manage.py load_demo`: the demo collaboration IKT ORKidé, its members and one demo user per capacity.

The demo is loaded once for the module (in a transaction rolled back at the end); each test runs in its own
savepoint on top of it.
"""

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import RequestFactory, override_settings
from django.utils import translation

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
from ikt_portfolio.members.permissions import grants_of
from ikt_portfolio.members.selectors import size_segments
from ikt_portfolio.needs.models import Assessment, Comment, CoSign, Follow, Goal, Need
from ikt_portfolio.workflow.models import Ballot, TransitionLog, Vote

pytestmark = pytest.mark.django_db

DEMO_SOURCE = "Demoverdi (omtrentlig, ikke offisiell statistikk)"

# username → a capacity that user must hold today
EXPECTED_CAPACITY = {
    "innmelder.smola": "submitter",
    "innmelder.kristiansund": "submitter",
    "faggruppe.sunndal": "sector_representative",
    "sektoransvarlig": "sector_lead",
    "rad.surnadal": "council_member",
    "styre.aure": "board_member",
    "prosjekteier": "project_owner",
    "gevinst.halsa": "benefit_owner",
    "admin": "collaboration_admin",
    "eier.tingvoll": "owner_representative",
    "innmelder.aure": "submitter",
    "sektoransvarlig.adm": "sector_lead",
    "faggruppe.fraena": "sector_representative",
}
MODELS = [
    Collaboration,
    Municipality,
    PopulationFigure,
    Membership,
    ServiceArea,
    Body,
    Person,
    BodyMembership,
    RoleAssignment,
    get_user_model(),
    # The needs demo (tests/needs/test_demo.py): loading twice and --reset must not double it either.
    Goal,
    Need,
    CoSign,
    Comment,
    Follow,
    Assessment,
    TransitionLog,
    Ballot,
    Vote,
]


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the same as tests/conftest.py uses
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast), transaction.atomic():
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def orkide(demo_output):
    return Collaboration.objects.get(short_name="ORKidé")


def test_thirteen_members_of_every_size(orkide):
    assert orkide.name == "IKT ORKidé"
    assert "2015" in orkide.note
    assert orkide.memberships.active_on().count() == 13
    numbers = set(orkide.memberships.values_list("municipality__number", flat=True))
    assert {"1505", "1563", "1567", "1571", "1573", "1576"} <= numbers
    segments = size_segments(orkide)
    assert len(segments) == 13
    assert set(segments.values()) == {"small", "medium", "large"}
    by_number = {Municipality.objects.get(pk=pk).number: segment for pk, segment in segments.items()}
    assert (by_number["1505"], by_number["1563"], by_number["1573"]) == ("large", "medium", "small")


def test_structure_service_areas_sector_groups_and_bodies(orkide):
    assert orkide.legal_forms.active_on().get().legal_form == "oppgavefellesskap"
    assert set(orkide.service_areas.values_list("code", flat=True)) == {
        "helse-og-omsorg", "oppvekst", "okonomi-lonn", "plan-bygg-geodata", "sak-arkiv", "infrastruktur",
    }  # fmt: skip
    assert orkide.bodies.filter(kind=Body.Kind.SECTOR_GROUP).count() == 6
    assert orkide.bodies.get(kind=Body.Kind.SECTOR_GROUP, service_area__code="okonomi-lonn").name_nn == (
        "Faggruppe økonomi og løn"
    )
    for kind in (Body.Kind.PORTFOLIO_COUNCIL, Body.Kind.BOARD, Body.Kind.OWNERS_MEETING):
        assert orkide.bodies.filter(kind=kind).count() == 1


def test_population_figures_are_labelled_as_demo_values(orkide):
    figures = PopulationFigure.objects.filter(municipality__memberships__collaboration=orkide)
    assert figures.count() >= 13
    assert set(figures.values_list("source", flat=True)) == {DEMO_SOURCE}


def test_every_demo_user_logs_in_with_password_demo(demo_output):
    users = get_user_model().objects.filter(email__endswith="@demo.ikt-orkide.example")
    assert set(EXPECTED_CAPACITY) | {"drift"} <= set(users.values_list("username", flat=True))
    request = RequestFactory().post("/")
    for user in users:
        assert authenticate(request, username=user.username, password="demo") == user, user.username
        assert user.is_staff
        assert user.is_superuser == (user.username == "drift")


def test_each_role_yields_its_capacity(orkide):
    User = get_user_model()
    for username, capacity in EXPECTED_CAPACITY.items():
        grants = grants_of(User.objects.get(username=username))
        assert capacity in {grant.capacity for grant in grants}, username
        assert {grant.collaboration_id for grant in grants} == {orkide.pk}, username
    health = orkide.service_areas.get(code="helse-og-omsorg")
    sector_rep = grants_of(User.objects.get(username="faggruppe.sunndal"))
    assert any(g.capacity == "sector_representative" and g.service_area_id == health.pk for g in sector_rep)
    benefit = [g for g in grants_of(User.objects.get(username="gevinst.halsa")) if g.capacity == "benefit_owner"]
    assert [g.municipality_id for g in benefit] == [Municipality.objects.get(number="1571").pk]


def test_output_lists_the_users_and_the_password(demo_output):
    for username in [*EXPECTED_CAPACITY, "drift"]:
        assert username in demo_output
    assert "«demo»" in demo_output
    assert "Smøla (liten)" in demo_output and "Kristiansund (stor)" in demo_output


def test_output_is_bokmal_under_manage_py(demo_output):
    """manage.py runs with LANGUAGE_CODE ("nb") active: the English msgids come out in bokmål, with the labels
    of the models (capacities, size segments, seat roles, legal forms, governance models)."""
    for text in [
        "Laster demodata:",
        "13 kommuner (13 nye i kommuneregisteret)",
        "Kommunalt oppgavefellesskap (kommuneloven kap. 19) fra 2020",
        "Demobrukere i IKT ORKidé:",
        "Brukernavn",
        "faggruppemedlem (helse og omsorg)",
        "sektoransvarlig (helse og omsorg, infrastruktur og drift, oppvekst og utdanning)",
        "medlem av porteføljerådet (leder)",
        "styremedlem (leder)",
        "gevinstansvarlig",
        "administrator for samarbeidet",
        "IT-drift (superbruker)",
        "Sunndal (mellomstor)",
        "liten ≤ 5000, mellomstor ≤ 20000",
    ]:
        assert text in demo_output, text
    assert "Loading" not in demo_output and "demo users" not in demo_output


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nn", ["Demodataa er allereie lasta", "Brukarnamn", "Smøla (liten)", "medlem av porteføljerådet (leiar)"]),
        ("en", ["The demo data is already loaded", "Username", "Smøla (small)", "portfolio council member (chair)"]),
    ],
)
def test_output_follows_the_active_language(demo_output, language, expected):
    out = io.StringIO()
    with translation.override(language):
        call_command("load_demo", stdout=out)
    for text in expected:
        assert text in out.getvalue(), text


def test_loading_twice_changes_nothing(demo_output):
    before = {model.__name__: model.objects.count() for model in MODELS}
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "allerede lastet" in out.getvalue()
    assert {model.__name__: model.objects.count() for model in MODELS} == before


def test_errors_are_translated(tmp_path):
    with translation.override("nb"), pytest.raises(CommandError, match="finnes ikke"):
        call_command("load_demo", "--fixtures-dir", str(tmp_path / "missing"), stdout=io.StringIO())
    with translation.override("nb"), pytest.raises(CommandError, match="mangler"):
        call_command("load_demo", "--fixtures-dir", str(tmp_path), stdout=io.StringIO())


def test_reset_reloads_without_duplicates(demo_output):
    before = {model.__name__: model.objects.count() for model in MODELS}
    call_command("load_demo", "--reset", stdout=io.StringIO())
    assert {model.__name__: model.objects.count() for model in MODELS} == before
    assert Collaboration.objects.filter(short_name="ORKidé").count() == 1
