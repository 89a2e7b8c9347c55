import pytest

from ikt_portfolio.needs import services
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
