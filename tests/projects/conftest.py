"""A project world: world A with the need routing and the KS phase routing active, a project owner, a board of
three, and needs brought to "approved" (by the real routing up to the sector group; the council's and
board's decisions are other tests' business, so the state is set directly)."""

import pytest
from django.contrib.contenttypes.models import ContentType

from ikt_portfolio.members.models import Body
from ikt_portfolio.needs.models import CoSign, Need
from ikt_portfolio.projects import services
from ikt_portfolio.workflow import services as workflow
from tests.needs.conftest import need_routing, report  # noqa: F401  (shared need fixtures)


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def phases(world):
    return services.install_phase_workflow(world.a, "ks", activate=True)


class People:
    pass


@pytest.fixture
def people(world, make_person, assign, seat):
    p = People()
    p.owner = make_person("prosjekteier", staff_of=world.a)
    assign(p.owner, world.a, "project_owner")
    p.manager = make_person("leder", municipality=world.medium)
    p.board = Body.objects.create(collaboration=world.a, kind=Body.Kind.BOARD, name="Styret")
    p.board_members = [
        make_person(f"styre{i}", municipality=m) for i, m in enumerate((world.small, world.medium, world.large))
    ]
    for person, municipality in zip(p.board_members, (world.small, world.medium, world.large), strict=True):
        seat(person, p.board, represents=municipality)
    p.cosigner = make_person("sunndal", municipality=world.medium)
    p.large_staff = make_person("kristiansund", municipality=world.large)
    return p


@pytest.fixture
def approved(world, report, people):  # noqa: F811
    """A need reported in Smøla, co-signed by Sunndal, estimated, and approved."""

    def make(title="Digitalt tilsyn", cost="400000", **fields):
        need = report(title=title, expected_benefit="Færre nattlige turer", **fields)
        workflow.perform(need, "submit", world.member_small.user)
        CoSign.objects.create(
            need=need, municipality=world.medium, person=people.cosigner, expected_benefit="Det samme"
        )
        Need.objects.filter(pk=need.pk).update(state="approved", estimated_cost=cost, estimated_effort="3.5")
        return Need.objects.get(pk=need.pk)

    return make


@pytest.fixture
def project(world, phases, approved, people):
    return services.create_project_from_needs([approved()], people.owner.user, manager=people.manager)


def transitions_of(document):
    from ikt_portfolio.workflow.models import TransitionLog

    return TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(document), object_id=document.pk
    ).order_by("pk")
