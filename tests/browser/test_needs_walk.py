"""The whole way of a need through the collaboration platform, in a real browser, with what each person sees and
is refused: a submitter in a small member reports it, a second member co-signs it, a third member's duplicate is
suggested while typing, reported anyway and merged by the sector lead, and the sector group assesses the need and
recommends it to the portfolio council. Every page is checked with axe (WCAG 2.1 AA)."""

import re

import pytest
from playwright.sync_api import expect

from ikt_portfolio.members.models import Body, BodyMembership, Person, ServiceArea
from ikt_portfolio.needs import assessment
from ikt_portfolio.needs.models import Assessment, CoSign, Need
from tests.browser.test_portal import assert_accessible, fill_need, routed_world, sign_in  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Digitalt tilsyn om natten i hjemmetjenesten"
DUPLICATE = "Kameratilsyn om natta i heimetenesta"
SCORES = {"strategic_fit": "4", "economic_benefit": "3", "quality_inhabitants": "5", "urgency": "4", "risk": "2"}


@pytest.fixture
def people(routed_world, make_person, seat):  # noqa: F811  (the imported fixture)
    w = routed_world
    w.kristiansund = make_person("ksund", municipality=w.large)
    school = ServiceArea.objects.create(collaboration=w.a, code="oppvekst", name="Oppvekst")
    school_group = Body.objects.create(
        collaboration=w.a, kind=Body.Kind.SECTOR_GROUP, name="Faggruppe oppvekst", service_area=school
    )
    w.school_rep = make_person("skole", municipality=w.medium)
    seat(w.school_rep, school_group, BodyMembership.Role.MEMBER)
    Person.objects.update(language="en")
    assessment.ensure_default_criteria(w.a)
    return w


def new_page(browser, browser_context_args, live_server, username, path="/portal/"):
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    sign_in(page, live_server, username, path)
    return page


def test_a_need_from_report_to_recommendation(page, browser, browser_context_args, live_server, people):
    # 1. The submitter in Smøla (the smallest member) reports the need.
    sign_in(page, live_server, "smola", "/portal/needs/new/")
    fill_need(page, TITLE)
    page.get_by_role("button", name="Submit the need").click()
    expect(page.locator(".portal-status")).to_contain_text("Submitted")
    need = Need.objects.get()
    need_path = f"/portal/needs/{need.pk}/"
    # She may not take it up, assess it or merge it: those are the sector group's.
    expect(page.get_by_role("button", name="Take up in the sector group")).to_have_count(0)
    expect(page.locator("#assessment-form")).to_have_count(0)

    # 2. Sunndal co-signs it with its own benefit and number affected.
    sunndal = new_page(browser, browser_context_args, live_server, "rad", need_path)
    sunndal.get_by_label("What would it mean for your municipality?").fill("Mindre kjøring om natten")
    sunndal.get_by_label("How many are affected in your municipality, roughly?").fill("20")
    sunndal.get_by_role("button", name="We have this need too").click()
    expect(sunndal.locator(".portal-cosigns")).to_contain_text("Sunndal")
    # A second co-signature from the same municipality is not offered.
    expect(sunndal.get_by_role("button", name="We have this need too")).to_have_count(0)

    # 3. Kristiansund writes the same need in other words: the check suggests Smøla's need and offers co-signing.
    ksund = new_page(browser, browser_context_args, live_server, "ksund", "/portal/needs/new/")
    fill_need(ksund, DUPLICATE)
    ksund.get_by_label("What is the problem?").fill("Nattevakta køyrer langt for å sjå til brukarar som søv.")
    ksund.get_by_role("button", name="Check whether the need already exists").click()
    similar = ksund.locator("#similar")
    expect(similar).to_contain_text(TITLE)
    assert Need.objects.count() == 1  # checking saves nothing
    assert_accessible(ksund)
    # They report theirs anyway (it happens): the form stops once more, then submits.
    ksund.get_by_role("button", name=re.compile("Submit")).first.click()
    submit_anyway = ksund.get_by_role("button", name="Submit mine anyway")
    if submit_anyway.count():
        submit_anyway.click()
    expect(ksund.locator(".portal-status")).to_contain_text("Submitted")
    duplicate = Need.objects.exclude(pk=need.pk).get()

    # 4. The sector lead takes both up and merges the duplicate into the first need.
    lead = new_page(browser, browser_context_args, live_server, "lead", need_path)
    lead.get_by_role("button", name="Take up in the sector group").click()
    expect(lead.locator(".portal-status")).to_contain_text("In the sector group")
    lead.goto(f"{live_server.url}/portal/needs/{duplicate.pk}/")
    lead.get_by_role("button", name="Take up in the sector group").click()
    merge = lead.locator("form", has=lead.get_by_role("button", name="Merge as a duplicate"))
    merge.get_by_label("Merge into need number").fill("B-999")
    merge.get_by_label(re.compile("Reason")).fill("Samme behov som Smøla meldte.")
    merge.get_by_role("button", name="Merge as a duplicate").click()
    expect(lead.get_by_role("alert").first).to_contain_text("B-12")  # an unknown need: refused, nothing written
    duplicate.refresh_from_db()
    assert duplicate.state == "in_sector_group" and duplicate.merged_into is None
    merge = lead.locator("form", has=lead.get_by_role("button", name="Merge as a duplicate"))
    merge.get_by_label("Merge into need number").fill(need.reference)
    merge.get_by_label(re.compile("Reason")).fill("Samme behov som Smøla meldte.")
    merge.get_by_role("button", name="Merge as a duplicate").click()
    expect(lead.locator(".portal-status")).to_contain_text("Merged as a duplicate")
    expect(lead.locator(".portal-status").get_by_role("link", name=re.compile(TITLE))).to_be_visible()
    # Kristiansund now stands behind the first need as a co-signer, with Sunndal.
    lead.goto(f"{live_server.url}{need_path}")
    expect(lead.locator(".portal-cosigns")).to_contain_text("Kristiansund")
    expect(lead.locator(".portal-cosigns")).to_contain_text("Sunndal")
    assert set(CoSign.objects.filter(need=need).values_list("municipality__name", flat=True)) == {
        "Sunndal",
        "Kristiansund",
    }

    # 5. A sector representative of another service area sees the need but may not assess it.
    school = new_page(browser, browser_context_args, live_server, "skole", need_path)
    expect(school.locator("#assessment-form")).to_have_count(0)
    expect(school.get_by_role("button", name="Assess and recommend")).to_have_count(0)
    # Posting the form anyway (as a crafted request) is refused and writes nothing.
    token = school.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    school.request.post(
        f"{live_server.url}/portal/needs/{need.pk}/assessment/",
        form={"csrfmiddlewaretoken": token, **{f"assessment-score_{key}": "5" for key in SCORES}},
        headers={"Referer": f"{live_server.url}{need_path}"},
    )
    assert not Assessment.objects.exists()

    # 6. The sector lead assesses: every level has its descriptor; a missing score is refused on the form.
    lead.reload()
    form = lead.locator("#assessment-form")
    expect(form).to_be_visible()
    form.get_by_role("button", name="Save the assessment").click()
    expect(lead.locator(".ds-error-summary")).to_be_visible()
    assert not Assessment.objects.exists()
    form = lead.locator("#assessment-form")
    for key, level in SCORES.items():
        form.locator(f"input[name$='score_{key}'][value='{level}']").check()
    form.get_by_label("Estimated cost (NOK)").fill("350000")
    form.get_by_label("Estimated effort (person-months)").fill("4.5")
    form.get_by_label("Recommendation to the portfolio council").fill("Anbefales: tre kommuner står bak behovet.")
    form.get_by_role("button", name="Save the assessment").click()
    result = lead.locator("#assessment-result")
    expect(result).to_be_visible()
    expect(result).to_contain_text("Strategic fit")  # the breakdown is shown with the score
    assessment = Assessment.objects.get()
    assert assessment.total > 0 and assessment.estimated_cost == 350000
    assert_accessible(lead)

    # 7. … and recommends it to the portfolio council; it tops the sector group's ranking.
    lead.get_by_role("button", name="Assess and recommend").click()
    expect(lead.locator(".portal-status")).to_contain_text("Assessed and recommended")
    lead.goto(f"{live_server.url}/portal/sector/{need.service_area_id}/ranking/")
    expect(lead.locator("main")).to_contain_text(TITLE)
    assert_accessible(lead)

    # 8. The submitter sees the step, the score with its breakdown, and the co-signers; she cannot vote.
    page.goto(f"{live_server.url}{need_path}")
    expect(page.locator(".portal-status")).to_contain_text("Assessed and recommended")
    expect(page.locator("#assessment-result")).to_contain_text("Strategic fit")
    expect(page.locator("#assessment-form")).to_have_count(0)
    expect(page.locator(".portal-timeline")).to_contain_text("Lead Testesen")
    expect(page.locator(".portal-cosigns")).to_contain_text("Kristiansund")
    assert_accessible(page)
