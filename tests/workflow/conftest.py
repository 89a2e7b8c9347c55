import json
from pathlib import Path

import pytest

from ikt_portfolio.workflow import services
from tests.workflow_app.models import Ticket

FIXTURES = Path(__file__).resolve().parents[2] / "ikt_portfolio" / "workflow" / "fixtures"


def fixture_data(name: str, document_type: str = "workflow_app.ticket") -> dict:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    data["document_type"] = document_type
    return data


class Route:
    """World A with the recommended need routing for tickets, a full council and a board."""


@pytest.fixture
def route(world, make_person, seat):
    from ikt_portfolio.members.models import Body

    r = Route()
    r.world = world
    r.version = services.import_workflow(fixture_data("need_routing_recommended.json"), world.a, activate=True)
    r.council = [world.council_member]
    for name, municipality in (("rad2", world.small), ("rad3", world.large)):
        person = make_person(name, municipality=municipality)
        seat(person, world.council_a, represents=municipality)
        r.council.append(person)
    r.board_body = Body.objects.create(collaboration=world.a, kind=Body.Kind.BOARD, name="Styret")
    r.board = []
    for name, municipality in (("styre1", world.small), ("styre2", world.medium), ("styre3", world.large)):
        person = make_person(name, municipality=municipality)
        seat(person, r.board_body, represents=municipality)
        r.board.append(person)
    r.submitter = world.member_small
    return r


@pytest.fixture
def new_ticket(route):
    def make(title="Digital innbyggerdialog", cost=100000, strategic=False, by=None, service_area=None):
        ticket = Ticket.objects.create(
            collaboration=route.world.a,
            service_area=service_area or route.world.health_a,
            submitted_by=by or route.submitter,
            title=title,
            estimated_cost=cost,
            strategic=strategic,
        )
        services.start(ticket, (by or route.submitter).user)
        return ticket

    return make
