"""Meetings in a real browser: a council member finds the next meeting from the menu, reads its agenda with
the need waiting for the council, follows the link to the need, and the secretary adds a paper. Every page is
checked with axe (WCAG 2.1 AA: no serious or critical violations)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ikt_portfolio.council import services
from ikt_portfolio.council.models import Paper
from ikt_portfolio.members.models import BodyMembership, Person
from ikt_portfolio.needs import services as need_services
from ikt_portfolio.workflow import services as workflow
from tests.browser.test_portal import assert_accessible, sign_in
from tests.workflow.conftest import fixture_data

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_member_reads_the_agenda_and_the_secretary_adds_a_paper(
    page, live_server, world, make_person, seat, settings, tmp_path
):
    settings.IKT_ATTACHMENT_ROOT = tmp_path / "private"
    workflow.import_workflow(fixture_data("need_routing_recommended.json", "ikt_needs.need"), world.a, activate=True)
    secretary = make_person("sekretar", staff_of=world.a)
    seat(secretary, world.council_a, BodyMembership.Role.SECRETARY)
    Person.objects.update(language="en")
    need = need_services.create_need(
        user=world.member_small.user,
        collaboration=world.a,
        title="Digitalt tilsyn om natten",
        problem="Nattevakten kjører langt.",
        service_area=world.health_a,
    )
    workflow.perform(need, "submit", world.member_small.user)
    for action in ("take_up", "recommend", "send_to_council"):
        workflow.perform(need, action, world.lead.user)
    start = timezone.localtime() + datetime.timedelta(days=7)
    meeting = services.schedule_meeting(
        world.council_a,
        world.admin_a.user,
        title="Porteføljerådet, møte 2",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        place="Rådhuset",
        video_link="https://video.example/rad",
    )
    services.build_agenda(meeting, world.admin_a.user)

    sign_in(page, live_server, "rad")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Meetings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meetings")
    assert_accessible(page)
    page.get_by_role("link", name="Porteføljerådet, møte 2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Porteføljerådet, møte 2")
    expect(page.locator("#agenda")).to_contain_text("Digitalt tilsyn om natten")
    expect(page.locator("#quorum")).to_have_attribute("data-met", "false")
    assert_accessible(page)
    page.locator("#agenda").get_by_role("link", name=re.compile("Digitalt tilsyn")).click()
    expect(page).to_have_url(re.compile(rf"/portal/needs/{need.pk}/$"))

    page.context.clear_cookies()
    sign_in(page, live_server, "sekretar", path=f"/portal/meetings/{meeting.pk}/")
    upload = tmp_path / "innkalling.pdf"
    upload.write_bytes(PDF)
    page.get_by_label("Paper to add").set_input_files(str(upload))
    page.get_by_role("button", name="Add paper").click()
    expect(page.locator("#paper-list")).to_contain_text("innkalling.pdf")
    assert_accessible(page)
    assert Paper.objects.get().uploaded_by == secretary
