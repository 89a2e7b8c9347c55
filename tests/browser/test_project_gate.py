"""Issue 6's walk in a real browser, checked with axe: the project owner makes an approved need a project from
the need's page, is refused the first gate while its checklist is incomplete, completes it and passes the gate,
then sets a keyed budget line and sees each member's share."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from ikt_portfolio.costs.models import CostKey
from ikt_portfolio.members.models import Person
from ikt_portfolio.needs import services as need_services
from ikt_portfolio.needs.models import CoSign, Need
from ikt_portfolio.projects import services
from ikt_portfolio.projects.models import Project
from ikt_portfolio.workflow import services as workflow
from tests.browser.test_portal import assert_accessible, routed_world, sign_in  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_approved_need_to_project_through_a_gate(
    page,
    browser,
    browser_context_args,
    live_server,
    routed_world,  # noqa: F811
    make_person,
    assign,
):
    w = routed_world
    services.install_phase_workflow(w.a, "ks", activate=True)
    owner = make_person("prosjekteier", staff_of=w.a)
    assign(owner, w.a, "project_owner")
    cosigner = make_person("sunndal", municipality=w.medium)
    Person.objects.update(language="en")
    need = need_services.create_need(
        user=w.member_small.user,
        collaboration=w.a,
        title="Digitalt tilsyn om natten",
        problem="Nattevakten kjører langt for å se til brukere som sover.",
        service_area=w.health_a,
    )
    workflow.perform(need, "submit", w.member_small.user)
    CoSign.objects.create(need=need, municipality=w.medium, person=cosigner, expected_benefit="Færre turer")
    Need.objects.filter(pk=need.pk).update(state="approved", estimated_cost="400000")  # decided by the board
    CostKey.objects.create(
        collaboration=w.a,
        name="Halvt likt, halvt folketall",
        valid_from=datetime.date(2020, 1, 1),
        population_year=2026,
        decided_by="Styret, sak 1/2026",
        decided_on=datetime.date(2025, 12, 1),
    )

    sign_in(page, live_server, "prosjekteier", f"/portal/needs/{need.pk}/")
    page.get_by_label("Comment").last.fill("Styret har godkjent behovet.")
    page.get_by_role("button", name="Make it a project").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Digitalt tilsyn om natten")
    project = Project.objects.get()
    expect(page.locator("#project-state")).to_have_text("Pre-phase")
    expect(page.locator("#participants")).to_contain_text("Smøla")
    expect(page.locator("#participants")).to_contain_text("Sunndal")
    # The gate is refused while its checklist is incomplete, naming what is missing.
    expect(page.locator("#phase")).to_contain_text("checklist is not complete")
    expect(page.get_by_role("button", name="Start the pre-project")).to_have_count(0)
    assert_accessible(page)

    page.get_by_label("Mandate for the pre-project written").check()
    page.get_by_role("button", name="Save the checklist").click()
    expect(page.locator("#phase")).to_contain_text("The members have answered")
    page.get_by_label("The members have answered whether they take part, postpone or opt out").check()
    page.get_by_role("button", name="Save the checklist").click()
    page.get_by_label(re.compile("Reason for “Start the pre-project”")).fill("Mandatet er klart.")
    page.get_by_role("button", name="Start the pre-project").click()
    expect(page.locator("#project-state")).to_have_text("Pre-project")
    project.refresh_from_db()
    assert project.state == "forprosjekt"
    assert_accessible(page)

    # The budget of a year, split by the key: each member's share.
    budget = page.locator("#budget form")
    budget.get_by_label("Year").fill("2026")
    budget.get_by_label("Kind").select_option("investment")
    budget.get_by_label("Amount (NOK)").fill("100000")
    budget.get_by_label("Cost-sharing key").select_option(index=1)
    budget.get_by_role("button", name="Save the budget line").click()
    shares = page.locator("#member-shares")
    expect(shares).to_contain_text("Smøla")
    expect(shares).to_contain_text("Sunndal")
    assert_accessible(page)

    # The need links to its project.
    page.get_by_role("link", name=re.compile(need.reference)).first.click()
    expect(page.locator("#need-project")).to_contain_text(project.reference)
