import pytest

from ikt_portfolio.members.models import Person
from tests.needs.conftest import (  # noqa: F401  (shared need fixtures)
    criteria,
    economy,
    economy_rep,
    in_group,
    need_routing,
    report,
    submitted,
)


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
