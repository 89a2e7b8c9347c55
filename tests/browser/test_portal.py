"""The portal in a real browser: a submitter in a small member reports and submits a need, another member
co-signs it, the sector lead finds and takes it up. Every page is checked with axe (WCAG 2.1 AA: no serious
or critical violations), and the form is used on a 375 px wide phone."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from ikt_portfolio.members.models import Person
from ikt_portfolio.needs.models import CoSign, Need
from ikt_portfolio.workflow import services as workflow
from tests.workflow.conftest import fixture_data

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


@pytest.fixture
def routed_world(world):
    workflow.import_workflow(fixture_data("need_routing_recommended.json", "ikt_needs.need"), world.a, activate=True)
    return world


def assert_accessible(page):
    violations = AXE.run(page, options=WCAG_AA).response["violations"]
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:5]}" for v in serious
    )


def sign_in(page, live_server, username, path="/portal/"):
    page.goto(f"{live_server.url}{path}")
    expect(page).to_have_url(re.compile(r"/portal/login/\?next="))
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_label("Passord").fill("pw-for-tests-123")
    page.get_by_role("button", name=re.compile("Logg inn", re.I)).click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def fill_need(page, title):
    page.get_by_label("Short title").fill(title)
    page.get_by_label("What is the problem?").fill("Nattevakten kjører langt for å se til brukere som sover.")
    page.get_by_label("What would be better?").fill("Sensorer og kamera med samtykke.")
    page.get_by_label("No, it can be solved with what we have").check()
    page.get_by_label("Service area").select_option(label="Helse og omsorg")
    page.get_by_label("How many are affected, roughly?").fill("35")
    page.get_by_label("Efficiency and productivity").check()
    page.get_by_label("High").check()


def test_report_co_sign_and_triage(page, browser, browser_context_args, live_server, routed_world):
    w = routed_world
    Person.objects.exclude(pk=w.member_small.pk).update(language="en")

    # The submitter signs in through the portal login and lands in the portal, in bokmål.
    sign_in(page, live_server, "smola")
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_role("banner")).to_contain_text("Samarbeid A")
    # The language switcher is a plain form: switch to English.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Needs")
    assert_accessible(page)

    # Report a need: an empty submission first shows the error summary and writes nothing.
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Report a need").click()
    assert_accessible(page)
    page.get_by_role("button", name="Submit the need").click()
    summary = page.locator(".ds-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("Short title"))).to_be_visible()
    expect(page.get_by_label("Short title")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    assert Need.objects.count() == 0

    fill_need(page, "Digitalt tilsyn om natten")
    page.get_by_role("button", name="Submit the need").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Digitalt tilsyn om natten")
    expect(page.locator(".portal-status")).to_contain_text("Submitted")
    expect(page.locator(".portal-timeline")).to_contain_text("Smøla")
    assert_accessible(page)
    need = Need.objects.get()
    assert need.state == "submitted" and need.municipality == w.small

    # It is in "My needs", with its status.
    page.get_by_role("link", name="My needs").click()
    card = page.locator(".portal-need-card", has_text="Digitalt tilsyn om natten")
    expect(card).to_contain_text("Submitted")
    expect(card).to_contain_text(need.reference)

    # Someone in another member (Sunndal) co-signs it with their own benefit and number affected.
    other = browser.new_context(**browser_context_args)
    co_signer = other.new_page()
    sign_in(co_signer, live_server, "rad", path=f"/portal/needs/{need.pk}/")
    co_signer.get_by_label("What would it mean for your municipality?").fill("Mindre kjøring om natten")
    co_signer.get_by_label("How many are affected in your municipality, roughly?").fill("20")
    co_signer.get_by_role("button", name="We have this need too").click()
    expect(co_signer.get_by_role("status").first).to_contain_text("Thank you")
    expect(co_signer.locator(".portal-cosigns")).to_contain_text("Sunndal")
    assert CoSign.objects.get().affected_count == 20
    other.close()

    # The sector lead finds it in the list and takes it up in the sector group.
    lead_context = browser.new_context(**browser_context_args)
    lead = lead_context.new_page()
    sign_in(lead, live_server, "lead")
    lead.get_by_role("link", name="Digitalt tilsyn om natten").click()
    expect(lead.locator(".portal-cosigns")).to_contain_text("Sunndal")
    lead.get_by_role("button", name="Take up in the sector group").click()
    expect(lead.locator(".portal-status")).to_contain_text("In the sector group")
    assert_accessible(lead)
    lead_context.close()

    # The submitter sees the step and who took it.
    page.reload()
    page.get_by_role("link", name="Digitalt tilsyn om natten").click()
    expect(page.locator(".portal-timeline")).to_contain_text("Lead Testesen")


def test_report_form_on_a_phone(browser, browser_context_args, live_server, routed_world):
    Person.objects.update(language="en")
    context = browser.new_context(**{**browser_context_args, "viewport": {"width": 375, "height": 740}})
    page = context.new_page()
    sign_in(page, live_server, "smola", path="/portal/needs/new/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the form scrolls sideways ({width}px)"
    fill_need(page, "Behov fra telefonen")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".portal-status")).to_contain_text("Draft")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page)
    context.close()
