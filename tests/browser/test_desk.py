"""A collaboration administrator signs in to the Desk in a real browser, works in bokmål, switches to
nynorsk, and finds only their own collaboration's members."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, live_server, username, password="pw-for-tests-123"):
    page.goto(f"{live_server.url}/desk/")
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name=re.compile("Logg inn", re.I)).click()


def test_administrator_works_in_the_desk(page, live_server, world):
    sign_in(page, live_server, "admin_a")
    expect(page).to_have_url(re.compile(r"/desk/$"))
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_text("Samarbeid A").first).to_be_visible()

    page.goto(f"{live_server.url}/desk/ikt_members/membership/")
    table = page.locator("#result_list")
    expect(table).to_contain_text("Smøla")
    expect(table).not_to_contain_text("Oslo")

    page.goto(f"{live_server.url}/desk/ikt_members/populationfigure/import/")
    expect(page.get_by_label("CSV-fil")).to_be_visible()


def test_language_switch_to_nynorsk_sticks(page, live_server, world):
    sign_in(page, live_server, "admin_a")
    response = page.request.post(
        f"{live_server.url}/i18n/setlang/",
        form={"language": "nn", "next": "/desk/"},
        headers={"X-CSRFToken": next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")},
    )
    assert response.ok
    page.goto(f"{live_server.url}/desk/")
    expect(page.locator("html")).to_have_attribute("lang", "nn")


def test_wrong_password_gets_a_norwegian_message(page, live_server, world):
    sign_in(page, live_server, "admin_a", password="feil")
    expect(page.locator("body")).to_contain_text("brukernavn")
