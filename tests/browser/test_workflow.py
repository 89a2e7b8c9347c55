"""Both default need routings, end to end in a real browser: each person signs in to the Desk, opens the
item and presses the button (or casts the vote) the workflow offers them."""

import re

import pytest
from playwright.sync_api import expect

from ikt_portfolio.workflow import services
from tests.workflow.conftest import fixture_data
from tests.workflow_app.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-123"


def as_person(page, live_server, person):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/desk/login/")
    page.get_by_label("Brukernavn").fill(person.user.username)
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Logg inn", re.I)).click()
    expect(page).to_have_url(re.compile(r"/desk/$"))


def press(page, live_server, ticket, label, comment=""):
    page.goto(f"{live_server.url}/desk/workflow_app/ticket/{ticket.pk}/change/")
    form = page.locator("form", has=page.get_by_role("button", name=label, exact=True))
    if comment:
        form.get_by_label(re.compile("Kommentar|Comment")).fill(comment)
    form.get_by_role("button", name=label, exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Status"))).to_be_visible()


def vote(page, live_server, ticket, action_label, choice_label):
    page.goto(f"{live_server.url}/desk/workflow_app/ticket/{ticket.pk}/change/")
    fieldset = page.locator("fieldset", has_text=action_label)
    fieldset.get_by_role("button", name=choice_label).click()
    expect(page.get_by_role("heading", name=re.compile("Status"))).to_be_visible()


def state_of(ticket):
    return Ticket.objects.get(pk=ticket.pk).state


def test_recommended_model_end_to_end(page, live_server, route, new_ticket):
    world = route.world
    ticket = new_ticket(title="Digital tilsynsordning")
    as_person(page, live_server, route.submitter)
    press(page, live_server, ticket, "Meld inn")
    assert state_of(ticket) == "submitted"

    as_person(page, live_server, world.lead)
    press(page, live_server, ticket, "Ta opp i faggruppen")
    press(page, live_server, ticket, "Vurder og anbefal")
    press(page, live_server, ticket, "Send til porteføljerådet")
    assert state_of(ticket) == "portfolio_council"

    for member, choice in zip(route.council, ("Ja", "Ja", "Avstår"), strict=True):
        as_person(page, live_server, member)
        vote(page, live_server, ticket, "Ta med i porteføljen", choice)
    assert state_of(ticket) == "approved"

    as_person(page, live_server, world.admin_a)
    press(page, live_server, ticket, "Gjør om til prosjekt")
    assert state_of(ticket) == "converted"
    page.goto(f"{live_server.url}/desk/workflow_app/ticket/{ticket.pk}/change/")
    expect(page.locator("#workflow-panel-title")).to_contain_text("Omgjort til prosjekt")


def test_ks_model_end_to_end(page, live_server, route, new_ticket):
    world = route.world
    version = services.import_workflow(fixture_data("need_routing_ks.json"), world.a, activate=True)
    ticket = new_ticket(title="Felles innkjøpsportal")
    assert ticket.workflow_version_id == version.pk

    as_person(page, live_server, route.submitter)
    press(page, live_server, ticket, "Send bestilling")
    as_person(page, live_server, world.admin_a)
    press(page, live_server, ticket, "Start vurdering")
    press(page, live_server, ticket, "Legg fram for styret")
    assert state_of(ticket) == "board"
    for member in route.board:
        as_person(page, live_server, member)
        vote(page, live_server, ticket, "Godkjenn", "Ja")
    assert state_of(ticket) == "approved"
    as_person(page, live_server, world.admin_a)
    press(page, live_server, ticket, "Gjør om til prosjekt")
    assert state_of(ticket) == "converted"


def test_a_refused_action_shows_its_reason(page, live_server, route, new_ticket):
    ticket = new_ticket()
    services.perform(ticket, "submit", route.submitter.user)
    as_person(page, live_server, route.submitter)
    page.goto(f"{live_server.url}/desk/workflow_app/ticket/{ticket.pk}/change/")
    panel = page.locator("#workflow-panel-title").locator("..")
    expect(panel).to_contain_text("Ta opp i faggruppen")
    expect(panel.get_by_role("button", name="Ta opp i faggruppen")).to_have_count(0)
