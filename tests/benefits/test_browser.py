"""Issue 7's "done when" in a real browser: the benefit owner in a small member (Smøla) signs in, finds the
target late, records a value (an implausible one is refused on the form first), and the member's report shows
the updated realisation and net benefit. Every page is checked with axe (WCAG 2.1 AA)."""

import re

import pytest
from playwright.sync_api import expect

from ikt_portfolio.members.models import Person
from tests.browser.conftest import browser_context_args, browser_type_launch_args  # noqa: F401
from tests.browser.test_portal import assert_accessible

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_benefit_owner_records_a_measurement_and_the_report_updates(browser, live_server, plan, world):
    Person.objects.update(language="en")
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_server.url}/portal/benefits/?year=2026")
    page.get_by_label(re.compile("Brukernavn|Username")).fill(plan.benefit_owner.user.username)
    page.get_by_label(re.compile("Passord|Password")).fill("pw-for-tests-123")
    page.get_by_role("button", name=re.compile("Logg inn|Log in", re.I)).click()
    expect(page.locator("#benefits-net")).to_contain_text("-30")  # planned 120 000 − 150 000
    expect(page.locator(f'[data-benefit="{plan.unmeasured.pk}"]')).to_contain_text("not measurable yet")
    assert_accessible(page)

    page.get_by_role("link", name="Record measurements").click()
    target = page.locator(f'[data-target="{plan.small_target.pk}"]')
    expect(target.locator('[data-due="late"]')).to_be_visible()
    assert_accessible(page)
    target.get_by_label("Period", exact=True).fill("2026-06-15")
    target.get_by_label("Value", exact=True).fill("30000")
    target.get_by_role("button", name="Record the value").click()
    expect(page.locator("#error-summary")).to_contain_text("plausible range")
    assert_accessible(page)
    target = page.locator(f'[data-target="{plan.small_target.pk}"]')
    target.get_by_label("Value", exact=True).fill("30")
    target.get_by_role("button", name="Record the value").click()
    expect(page.locator(".portal-messages")).to_contain_text("is recorded")

    page.goto(f"{live_server.url}/portal/benefits/?year=2026")
    row = page.locator(f'[data-benefit="{plan.benefit.pk}"]')
    expect(row.locator("[data-realisation]")).to_contain_text("50 % realised")
    expect(page.locator("#benefits-net")).to_contain_text("-80")
    assert_accessible(page)

    # The same numbers in the whole portfolio's report, and the measurement on the project's chart over time.
    page.goto(f"{live_server.url}/portal/benefits/portfolio/?year=2026")
    ours = page.locator(f'#portfolio-members [data-member="{world.small.number}"]')
    expect(ours.locator("[data-benefits]")).to_contain_text("70")
    expect(ours.locator("[data-net]")).to_contain_text("-80")
    assert_accessible(page)
    page.goto(f"{live_server.url}/portal/benefits/over-time/")
    expect(page.locator('svg[role="img"]').first).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}/portal/projects/{plan.project.pk}/benefits/")
    expect(page.locator('svg[role="img"]').first).to_be_visible()
    expect(page.locator("table").filter(has_text="Smøla").first).to_contain_text("30")
    assert_accessible(page)
    context.close()
