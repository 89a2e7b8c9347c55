import pytest

from ikt_portfolio.members.models import Person
from tests.needs.conftest import need_routing, report  # noqa: F401  (shared need fixtures)


@pytest.fixture(autouse=True)
def _english(world):
    """Pages in English (the msgids), so assertions do not depend on the nb/nn catalogs."""
    Person.objects.all().update(language="en")


@pytest.fixture
def login(client):
    def sign_in(person):
        client.force_login(person.user)
        return client

    return sign_in
