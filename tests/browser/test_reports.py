"""The report pages in a real browser: axe (WCAG 2.1 AA, no serious or critical violations) on both pages,
on a desktop and on a 375 px wide phone, and the filter form used without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from ikt_portfolio.members.models import Person
from tests.browser.test_portal import assert_accessible, sign_in
from tests.needs.conftest import need_routing, report  # noqa: F401  (shared need fixtures)
from tests.needs.test_reports import build_scenario

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scenario(world, report, make_person):  # noqa: F811
    built = build_scenario(world, report, make_person)
    Person.objects.filter(pk=world.member_small.pk).update(language="en")  # the pages in English (the msgids)
    return built


def test_report_pages_are_accessible(page, browser, browser_context_args, live_server, scenario):
    sign_in(page, live_server, "smola", "/portal/reports/equity/")
    expect(page.locator("#equity-segments-table")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("per member municipality")).first).to_contain_text("Smøla")
    assert_accessible(page)
    page.get_by_role("link", name="Time to first response").click()
    expect(page.get_by_role("row", name=re.compile(scenario.k1.reference))).to_contain_text("20.0 days so far")
    assert_accessible(page)
    page.get_by_label("Submitted from").fill("2025-01-01")
    page.locator(".portal-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"submitted_from=2025-01-01"))
    expect(page.get_by_role("row", name=re.compile(scenario.s2.reference))).to_have_count(0)

    phone = browser.new_context(**{**browser_context_args, "viewport": {"width": 375, "height": 740}})
    mobile = phone.new_page()
    sign_in(mobile, live_server, "smola", "/portal/reports/equity/")
    assert_accessible(mobile)
    phone.close()
