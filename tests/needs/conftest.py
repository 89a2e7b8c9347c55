import pytest

from ikt_portfolio.members.models import Body, BodyMembership, ServiceArea
from ikt_portfolio.needs import assessment, services
from ikt_portfolio.workflow import services as workflow
from tests.workflow.conftest import fixture_data


@pytest.fixture
def need_routing(world):
    return workflow.import_workflow(
        fixture_data("need_routing_recommended.json", "ikt_needs.need"), world.a, activate=True
    )


@pytest.fixture
def report(world, need_routing):
    def make(user=None, **fields):
        values = {
            "title": "Digitalt tilsyn om natten",
            "problem": "Nattevakten kjører langt for å se til brukere som sover.",
            "service_area": world.health_a,
        } | fields
        return services.create_need(user=user or world.member_small.user, collaboration=world.a, **values)

    return make


# The sector group's work, shared by the assessment API and the portal's sector pages.

SCORES = {"strategic_fit": 5, "economic_benefit": 3, "quality_inhabitants": 4, "urgency": 2, "risk": 2}


@pytest.fixture
def criteria(world):
    return assessment.ensure_default_criteria(world.a)


@pytest.fixture
def submitted(world, report, criteria):
    def make(**fields):
        need = report(**fields)
        workflow.perform(need, "submit", world.member_small.user)
        return need

    return make


@pytest.fixture
def in_group(world, submitted):
    def make(**fields):
        need = submitted(**fields)
        workflow.perform(need, "take_up", world.lead.user)
        return need

    return make


@pytest.fixture
def economy(world):
    """A second service area of collaboration A, with its own sector group and representative."""
    area = ServiceArea.objects.create(collaboration=world.a, code="okonomi", name="Økonomi")
    return Body.objects.create(
        collaboration=world.a, kind=Body.Kind.SECTOR_GROUP, name="Faggruppe økonomi", service_area=area
    )


@pytest.fixture
def economy_rep(world, make_person, seat, economy):
    person = make_person("rep_okonomi", municipality=world.large, language="en")
    seat(person, economy, BodyMembership.Role.MEMBER, represents=world.large)
    return person
