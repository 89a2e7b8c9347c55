"""Issue 5's "done when" in a real browser: a portfolio council meeting from its agenda to approved minutes.
The secretary puts a decision on each item to the vote (one included with a priority, one above the board
threshold sent to the board), three members vote for and one abstains, the minutes are generated, written,
approved by the chair and published; the board approves the item sent to it in its own meeting; and the
submitter then sees the decision and its reason on the need. Every page is checked with axe.

The meetings are scheduled, their agendas built from what waits for the body and the attendance recorded
through the services (the Desk's pages for that have their own tests)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ikt_portfolio.council import services
from ikt_portfolio.council.models import Decision, Minutes
from ikt_portfolio.members.models import Person
from ikt_portfolio.needs.models import Need
from tests.browser.test_portal import assert_accessible, sign_in
from tests.council.conftest import council, need_routing, report, to_council  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def in_session(body, chair, title):
    now = timezone.now()
    meeting = services.schedule_meeting(
        body,
        chair.user,
        title=title,
        starts_at=now - datetime.timedelta(minutes=30),
        ends_at=now + datetime.timedelta(hours=2),
        place="Rådhuset",
    )
    services.build_agenda(meeting, chair.user)
    voting = meeting.participants.filter(voting=True).values_list("person_id", flat=True)
    services.record_attendance(meeting, chair.user, dict.fromkeys(voting, "present"))
    return meeting


def switch_to(page, live_server, username, path):
    page.context.clear_cookies()
    sign_in(page, live_server, username, path=path)


def vote(page, item_pk, choice):
    form = page.locator(f"#vote-form-{item_pk}")
    form.get_by_label(choice, exact=True).check()
    form.get_by_role("button", name=re.compile("Cast your vote")).click()
    page.wait_for_load_state()
    expect(page.locator(f"#item-{item_pk}")).to_be_visible()


def test_council_meeting_from_agenda_to_approved_minutes(page, live_server, council, to_council, world):  # noqa: F811
    small = to_council(title="Digitalt tilsyn om natten")
    large = to_council(title="Felles journalsystem", estimated_cost=Decimal("2000000"))
    Person.objects.update(language="en")
    meeting = in_session(council.body, council.chair, "Porteføljerådet, møte 3")
    items = {item.object_id: item for item in meeting.agenda_items.all()}
    small_item, large_item = items[small.pk], items[large.pk]
    path = f"/portal/meetings/{meeting.pk}/"

    # The secretary puts a decision on each item to the vote.
    switch_to(page, live_server, "secretary", path)
    expect(page.locator("#quorum")).to_have_attribute("data-met", "true")
    form = page.locator(f"#decide-form-{small_item.pk}")
    expect(form.locator("[data-not-allowed]")).to_have_count(0)
    form.get_by_label("Include in the portfolio").check()
    form.get_by_label("Priority").fill("1")
    form.get_by_label("Reason").fill("Viktig for de små kommunene.")
    form.get_by_role("button", name=re.compile("Put to the vote")).click()
    expect(page.locator(f"#item-{small_item.pk} li[data-status=open]")).to_be_visible()
    form = page.locator(f"#decide-form-{large_item.pk}")
    expect(form.locator("[data-not-allowed=include]")).to_contain_text("board")  # above the board threshold
    form.get_by_label("Send to the board").check()
    form.get_by_label("Reason").fill("Over styregrensen.")
    form.get_by_role("button", name=re.compile("Put to the vote")).click()
    expect(page.locator(f"#item-{large_item.pk} li[data-status=open]")).to_be_visible()
    assert_accessible(page)

    # One member abstains, three vote for.
    switch_to(page, live_server, "deputy", path)
    vote(page, small_item.pk, "Abstain")
    expect(page.locator(f"#item-{small_item.pk} .portal-tally")).to_have_attribute("data-abstain", "1")
    assert_accessible(page)
    for username in ("chair", "rad", "member2"):
        switch_to(page, live_server, username, path)
        vote(page, small_item.pk, "For")
        vote(page, large_item.pk, "For")
    expect(page.locator(f"#item-{small_item.pk} li[data-status=passed]")).to_be_visible()
    expect(page.locator(f"#item-{large_item.pk} li[data-status=passed]")).to_be_visible()
    assert Need.objects.get(pk=small.pk).state == "approved"
    assert Need.objects.get(pk=large.pk).state == "board"

    # The minutes: generated and written by the secretary, approved and published by the chair.
    services.mark_held(meeting, council.chair.user)
    switch_to(page, live_server, "secretary", path)
    page.locator("#meeting-minutes").click()
    page.locator("#minutes-generate").click()
    expect(page.locator("#minutes-status")).to_have_attribute("data-status", "draft")
    page.get_by_label("Introduction").fill("Leder åpnet møtet.")
    page.get_by_role("button", name="Save the minutes").click()
    document = page.locator("#minutes-document")
    expect(document).to_contain_text("Leder åpnet møtet.")
    expect(document).to_contain_text("Viktig for de små kommunene.")
    expect(document.locator("[data-choice=abstain]")).to_have_count(1)
    expect(document.locator("[data-choice=yes]")).to_have_count(6)
    assert_accessible(page)
    switch_to(page, live_server, "chair", f"/portal/meetings/{meeting.pk}/minutes/")
    page.locator("#minutes-approve").click()
    expect(page.locator("#minutes-status")).to_have_attribute("data-status", "approved")
    page.locator("#minutes-publish").click()
    expect(page.locator("#minutes-status")).to_have_attribute("data-published", "true")
    expect(page.locator("#minutes-form")).to_have_count(0)
    assert_accessible(page)
    href = page.locator("[data-language=nn][data-format=pdf]").get_attribute("href")
    pdf = page.request.get(f"{live_server.url}{href}")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    found = Minutes.objects.get(meeting=meeting)
    assert found.is_approved and found.published_at is not None

    # The board approves the item sent to it, in its own meeting.
    board_meeting = in_session(council.board, council.board_members[0], "Styremøte")
    board_item = board_meeting.agenda_items.get(object_id=large.pk)
    board_path = f"/portal/meetings/{board_meeting.pk}/"
    switch_to(page, live_server, "styre1", board_path)
    form = page.locator(f"#decide-form-{board_item.pk}")
    form.get_by_label("Approve").check()
    form.get_by_role("button", name=re.compile("Put to the vote")).click()
    for username in ("styre1", "styre2", "styre3"):
        switch_to(page, live_server, username, board_path)
        vote(page, board_item.pk, "For")
    expect(page.locator(f"#item-{board_item.pk} li[data-status=passed]")).to_be_visible()
    assert Need.objects.get(pk=large.pk).state == "approved"
    assert Decision.objects.filter(status=Decision.Status.PASSED).count() == 3

    # The submitter sees the decisions on the needs.
    switch_to(page, live_server, "smola", f"/portal/needs/{small.pk}/")
    timeline = page.locator(".portal-timeline")
    expect(timeline).to_contain_text("Include in the portfolio")
    expect(timeline).to_contain_text("Viktig for de små kommunene.")
    expect(timeline).to_contain_text("Porteføljerådet, møte 3")
    assert_accessible(page)
    page.goto(f"{live_server.url}/portal/needs/{large.pk}/")
    expect(page.locator(".portal-timeline")).to_contain_text("Send to the board")
    expect(page.locator(".portal-timeline")).to_contain_text("Over styregrensen.")
    expect(page.locator(".portal-timeline")).to_contain_text("Approve")
