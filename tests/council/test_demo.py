"""The demo's meetings: one held council meeting with attendance, the next council meeting with the need that
waits for the council's votes on its agenda, and a board meeting with the need at the board."""

import pytest
from django.utils import timezone

from ikt_portfolio.council import services
from ikt_portfolio.council.models import Meeting
from ikt_portfolio.needs.models import Need

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """No test world here (the demo has its own municipalities)."""


def test_three_meetings(demo):
    meetings = Meeting.objects.filter(body__collaboration__short_name="ORKidé").select_related("body")
    kinds = sorted((m.body.kind, m.status, m.starts_at > timezone.now()) for m in meetings)
    assert kinds == [
        ("board", "planned", True),
        ("portfolio_council", "held", False),
        ("portfolio_council", "planned", True),
    ]


def test_the_held_meeting_has_quorum_and_the_decided_needs(demo):
    held = Meeting.objects.get(status=Meeting.Status.HELD)
    assert services.quorum(held).met
    titles = list(held.agenda_items.values_list("title", flat=True))
    assert any("Digitalt tilsyn" in title for title in titles)


def test_the_upcoming_agendas_hold_what_waits(demo):
    council = Meeting.objects.get(status=Meeting.Status.PLANNED, body__kind="portfolio_council")
    waiting = Need.objects.filter(state="portfolio_council", collaboration__short_name="ORKidé")
    on_agenda = set(council.agenda_items.filter(kind="document").values_list("object_id", flat=True))
    assert waiting.exists() and on_agenda == set(waiting.values_list("pk", flat=True))
    assert council.agenda_items.filter(kind="manual").exists()
    board = Meeting.objects.get(body__kind="board")
    at_board = Need.objects.filter(state="board", collaboration__short_name="ORKidé")
    assert set(board.agenda_items.values_list("object_id", flat=True)) == set(at_board.values_list("pk", flat=True))
    assert at_board.exists()


def test_the_held_meeting_s_minutes_are_approved_and_published(demo):
    from ikt_portfolio.council import minutes
    from ikt_portfolio.council.models import Decision, Minutes

    held = Meeting.objects.get(status=Meeting.Status.HELD)
    found = Minutes.objects.get(meeting=held)
    assert found.is_approved and found.published_at is not None and minutes.verify(found)
    recorded = Decision.objects.filter(agenda_item__meeting=held, status=Decision.Status.PASSED)
    assert recorded.exists() and all(decision.log_id for decision in recorded)
    assert any(item["decisions"] for item in found.record["items"])
    assert minutes.render_pdf(found, "nn").startswith(b"%PDF")
