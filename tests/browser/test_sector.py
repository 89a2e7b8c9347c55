"""The sector group's pages in a real browser, checked with axe: the lead finds a need in the sector queue,
assesses it on the need's page (a wrong submission first shows the error summary), and the ranking shows the
score with its breakdown to a submitter."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ikt_portfolio.members.models import Person
from ikt_portfolio.needs import assessment, services
from ikt_portfolio.needs.models import Assessment
from ikt_portfolio.workflow import services as workflow
from tests.browser.test_portal import assert_accessible, routed_world, sign_in  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_queue_assessment_and_ranking(page, browser, browser_context_args, live_server, routed_world):  # noqa: F811
    w = routed_world
    Person.objects.update(language="en")
    assessment.ensure_default_criteria(w.a)
    need = services.create_need(
        user=w.member_small.user,
        collaboration=w.a,
        title="Digitalt tilsyn om natten",
        problem="Nattevakten kjører langt for å se til brukere som sover.",
        service_area=w.health_a,
    )
    workflow.perform(need, "submit", w.member_small.user)

    sign_in(page, live_server, "lead")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Sector queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sector queue")
    expect(page.locator("#sector-queue")).to_contain_text(need.reference)
    assert_accessible(page)

    page.locator("#sector-queue").get_by_role("link", name=re.compile("Digitalt tilsyn")).click()
    expect(page.locator("#assessment-reason")).to_contain_text("cannot be assessed")
    page.get_by_role("button", name="Take up in the sector group").click()
    form = page.locator("#assessment-form")
    expect(form).to_be_visible()
    # Only one criterion scored: the error summary names the others, nothing is saved.
    form.get_by_role("group", name="Strategic fit").get_by_label(re.compile("^5 –")).check()
    form.get_by_role("button", name="Save the assessment").click()
    expect(page.locator(".ds-error-summary")).to_contain_text("Economic benefit")
    assert_accessible(page)
    assert not Assessment.objects.exists()

    form = page.locator("#assessment-form")
    for name, level in (("Economic benefit", 3), ("Quality for inhabitants", 4), ("Operational need and urgency", 2),
                        ("Risk", 2)):  # fmt: skip
        form.get_by_role("group", name=name).get_by_label(re.compile(f"^{level} –")).check()
    form.get_by_label("Estimated cost (NOK)").fill("650 000")
    form.get_by_label("Estimated effort (person-months)").fill("8,5")
    form.get_by_label("Recommendation to the portfolio council").fill("Anbefales: felles løsning.")
    form.get_by_role("button", name="Save the assessment").click()
    expect(page.locator("#assessment-result")).to_contain_text("56.25")
    assert_accessible(page)
    assert Assessment.objects.get().total == Decimal("56.25")

    submitter_context = browser.new_context(**browser_context_args)
    submitter = submitter_context.new_page()
    sign_in(submitter, live_server, "smola", path=f"/portal/sector/{w.health_a.pk}/ranking/")
    ranked = submitter.locator("#ranking li").first
    expect(ranked).to_contain_text(need.reference)
    expect(ranked.locator("table")).to_contain_text("Directly necessary for one of the main goals")
    expect(ranked).to_contain_text("650,000.00")
    assert_accessible(submitter)
    submitter_context.close()
