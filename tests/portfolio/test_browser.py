"""The portfolio pages in a real browser (they use no JavaScript of their own): the council's secretary opens
the proposal, creates a scenario (solved at once), locks an item in and compares with another scenario; a
member reads the roadmap and the dashboard. Every page is checked with axe (WCAG 2.1 AA: no serious or
critical violations)."""

import re

import pytest
from playwright.sync_api import expect

from ikt_portfolio.members.models import Person
from ikt_portfolio.portfolio import services
from ikt_portfolio.portfolio.models import Scenario, ScenarioItem
from tests.browser.conftest import browser_context_args, browser_type_launch_args  # noqa: F401
from tests.browser.test_portal import assert_accessible

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def sign_in(page, live_server, username, path):
    page.goto(f"{live_server.url}{path}")
    page.get_by_label(re.compile("Brukernavn|Username")).fill(username)
    page.get_by_label(re.compile("Passord|Password")).fill("pw-for-tests-123")
    page.get_by_role("button", name=re.compile("Logg inn|Log in", re.I)).click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def test_the_secretary_plans_and_a_member_reads(browser, live_server, world, planners, candidate, decide):
    Person.objects.update(language="en")
    from django.utils import timezone

    year = services.ensure_year(world.a, timezone.localdate().year, user=world.admin_a.user)[0]
    services.set_budget_frame(year, world.admin_a.user, budget="1000000", capacity="12")
    best = candidate("Felles journalsystem", score=90, cost="600000")
    second = candidate("Digitalt tilsyn", score=80, cost="500000")
    candidate("Uten anslag", cost=None, effort=None)
    decide(candidate("Vedtatt tidligere", to_council=True))

    context = browser.new_context(locale="en-GB")  # the pages have no scripts; axe needs its own
    page = context.new_page()
    sign_in(page, live_server, planners.secretary.user.username, "/portal/portfolio/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Portfolio proposal")
    expect(page.locator(f'tr[data-need="{best.pk}"]')).to_contain_text("kr 600,000.00")
    page.locator(f'tr[data-need="{best.pk}"] summary').click()  # a <details>: opens without scripts
    expect(page.locator(f'tr[data-need="{best.pk}"] table caption')).to_contain_text("How the score of")
    assert_accessible(page)

    page.get_by_label("Name of the scenario").fill("Sekretariatets forslag")
    page.get_by_role("button", name="Create and solve").click()
    expect(page.locator("#status")).to_contain_text("best set found")
    row = page.locator(f'tr[data-need="{second.pk}"]')
    expect(row).to_have_attribute("data-reason", "score")
    expect(row).to_contain_text("A better-scoring set uses the budget")
    assert_accessible(page)
    row.get_by_label("Why").fill("Lovkrav fra 2027")
    row.get_by_role("button", name=re.compile("Lock in")).click()
    row = page.locator(f'tr[data-need="{second.pk}"]')
    expect(row).to_have_attribute("data-lock", "in")
    expect(row).to_have_attribute("data-chosen", "yes")
    expect(row).to_contain_text("Lovkrav fra 2027")
    scenario = Scenario.objects.get(name="Sekretariatets forslag")
    assert ScenarioItem.objects.get(scenario=scenario, need=second).locked_by == planners.secretary

    other = services.solve(services.create_scenario(year, planners.chair.user, name="Uten låsing"), planners.chair.user)
    page.reload()
    page.get_by_label("Scenario", exact=True).select_option(str(other.pk))
    page.get_by_role("button", name="Compare side by side").click()
    expect(page.locator("#only-a")).to_contain_text(second.title)
    expect(page.locator("#only-b")).to_contain_text(best.title)
    assert_accessible(page)
    context.close()

    context = browser.new_context(locale="en-GB")  # the pages have no scripts; axe needs its own
    page = context.new_page()
    sign_in(page, live_server, planners.member.user.username, "/portal/portfolio/roadmap/")
    expect(page.locator("#roadmap")).to_contain_text("Vedtatt tidligere")
    assert_accessible(page)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("[data-total]")).to_have_text("4")
    expect(page.locator("#funnel")).to_contain_text("Approved")
    assert_accessible(page)
    expect(page.locator(".portfolio-lock")).to_have_count(0)
    context.close()
