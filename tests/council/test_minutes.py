"""Minutes (protokoll) through the services: generated from the meeting's attendance, quorum and decisions
(votes per member with capacity, abstentions, reasons), edited until approved, then locked (services and the
model itself), with a content hash; published to the collaboration; exported as HTML (bokmål, nynorsk) and
PDF."""

import pytest
from django.utils import translation

from ikt_portfolio.council import decisions, minutes, services
from ikt_portfolio.council.models import ImmutableMinutes, Minutes, MinutesEntry
from ikt_portfolio.workflow.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _refusals_in_english():
    translation.activate("en")


@pytest.fixture
def decided(council, session, to_council, later_period):
    """A held council meeting: one need included (3 yes, 1 abstaining), one deferred, one manual item."""
    first = to_council(title="Digitalt tilsyn")
    second = to_council(title="Ny sak om skole")
    meeting, item = session(first)
    second_item = services.add_document_item(meeting, council.chair.user, second)
    services.add_manual_item(meeting, council.chair.user, title="Eventuelt")
    include = decisions.open_decision(item, council.secretary.user, action="include", priority=1, reason="Haster.")
    decisions.cast_vote(include, council.deputy.user, "abstain", comment="Inhabil.")
    for person in (council.chair, council.member, council.member2):
        decisions.cast_vote(include, person.user, "yes")
    defer = decisions.open_decision(
        second_item, council.secretary.user, action="defer", period=later_period, reason="Ikke budsjett."
    )
    for person in (council.chair, council.member, council.member2):
        decisions.cast_vote(defer, person.user, "yes")
    services.mark_held(meeting, council.chair.user)
    return meeting


def test_generated_minutes_hold_attendance_quorum_decisions_votes_and_reasons(council, decided):
    found = minutes.generate(decided, council.secretary.user)
    record = found.record
    assert record["quorum"] == {"present": 4, "required": 3, "seats": 4, "met": True, "rule": "majority"}
    people = {p["name"]: p for p in record["participants"]}
    assert people["Chair Testesen"]["role"] == "chair" and people["Chair Testesen"]["attendance"] == "present"
    assert people["Secretary Testesen"]["voting"] is False
    first, second, manual = record["items"]
    assert [first["position"], second["position"], manual["position"]] == [1, 2, 3]
    (include,) = first["decisions"]
    assert (include["action"], include["status"], include["priority"], include["reason"]) == (
        "include",
        "passed",
        1,
        "Haster.",
    )
    assert include["counts"] == {"yes": 3, "no": 0, "abstain": 1, "veto": 0} and include["eligible"] == 4
    votes = {v["name"]: v for v in include["votes"]}
    assert votes["Deputy Testesen"] == {
        "name": "Deputy Testesen",
        "capacity": "council_member",
        "choice": "abstain",
        "comment": "Inhabil.",
        "cast_by": "",
    }
    assert all(v["comment"] == "" for name, v in votes.items() if name != "Deputy Testesen")
    (defer,) = second["decisions"]
    assert defer["period"]["kind"] == "year" and defer["reason"] == "Ikke budsjett."
    assert manual["kind"] == "manual" and manual["decisions"] == []
    assert list(found.entries.values_list("position", "title")) == [
        (1, first["title"]),
        (2, second["title"]),
        (3, "Eventuelt"),
    ]


def test_the_record_is_built_in_a_fixed_number_of_queries(council, decided, to_council, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        minutes.build_record(decided)


def test_drafts_are_edited_and_regenerating_keeps_the_notes(council, decided):
    draft = minutes.generate(decided, council.secretary.user)
    minutes.update(draft, council.secretary.user, introduction="Leder åpnet møtet.", notes={1: "God diskusjon."})
    again = minutes.generate(decided, council.chair.user)
    assert again.pk == draft.pk and again.introduction == "Leder åpnet møtet."
    assert again.entries.get(position=1).notes == "God diskusjon."
    with pytest.raises(services.MeetingError, match="no item 9"):
        minutes.update(draft, council.secretary.user, notes={9: "?"})
    for user in (council.member.user, council.observer.user, council.world.member_small.user):
        with pytest.raises(services.MeetingRefused):
            minutes.update(draft, user, introduction="Nei.")


def test_approval_locks_the_minutes_for_good(council, decided):
    draft = minutes.generate(decided, council.secretary.user)
    minutes.update(draft, council.secretary.user, closing="Møtet hevet.")
    with pytest.raises(services.MeetingRefused):
        minutes.approve(draft, council.secretary.user)  # the secretary writes, the chair approves
    approved = minutes.approve(draft, council.chair.user)
    assert approved.is_approved and len(approved.content_hash) == 64 and minutes.verify(approved)
    assert approved.history.first().history_capacity == "council_member"
    hash_before = approved.content_hash
    with pytest.raises(minutes.MinutesLocked):
        minutes.update(approved, council.secretary.user, closing="Endret.")
    with pytest.raises(minutes.MinutesLocked):
        minutes.generate(decided, council.secretary.user)
    with pytest.raises(minutes.MinutesLocked):
        minutes.approve(approved, council.chair.user)
    # The model refuses too, whoever calls it.
    approved.closing = "Endret i smug."
    with pytest.raises(ImmutableMinutes):
        approved.save()
    entry = MinutesEntry.objects.filter(minutes=approved).first()
    entry.notes = "Endret."
    with pytest.raises(ImmutableMinutes):
        entry.save()
    with pytest.raises(ImmutableMinutes):
        approved.delete()
    fresh = Minutes.objects.get(pk=approved.pk)
    assert fresh.closing == "Møtet hevet." and fresh.content_hash == hash_before and minutes.verify(fresh)
    # No more decisions once the minutes are approved.
    item = decided.agenda_items.get(order=3)
    with pytest.raises(services.MeetingError, match="approved"):
        decisions.record_decided(decided, council.chair.user)
    assert item.decisions.count() == 0


def test_approval_needs_a_held_meeting_and_the_record_as_it_is(council, session, to_council):
    need = to_council()
    meeting, item = session(need)
    draft = minutes.generate(meeting, council.secretary.user)
    with pytest.raises(services.MeetingError, match="held"):
        minutes.approve(draft, council.chair.user)
    services.mark_held(meeting, council.chair.user)
    decision = decisions.open_decision(item, council.chair.user, action="include", priority=1)
    with pytest.raises(services.MeetingError, match="still open"):
        minutes.approve(draft, council.chair.user)
    for person in (council.chair, council.member, council.member2):
        decisions.cast_vote(decision, person.user, "yes")
    with pytest.raises(services.MeetingError, match="generate them again"):
        minutes.approve(draft, council.chair.user)
    assert not Minutes.objects.get(pk=draft.pk).is_approved
    minutes.generate(meeting, council.secretary.user)
    assert minutes.approve(draft, council.world.admin_a.user).is_approved


def test_publishing_tells_the_participants(council, decided):
    draft = minutes.generate(decided, council.secretary.user)
    with pytest.raises(services.MeetingError, match="once approved"):
        minutes.publish(draft, council.secretary.user)
    minutes.approve(draft, council.chair.user)
    Notification.objects.all().delete()
    published = minutes.publish(draft, council.secretary.user)
    assert published.published_at is not None
    told = set(Notification.objects.filter(kind="minutes").values_list("recipient_id", flat=True))
    assert council.chair.user_id in told and council.observer.user_id in told
    assert council.secretary.user_id not in told  # who published it knows
    assert minutes.verify(Minutes.objects.get(pk=draft.pk))


def test_who_reads_drafts_and_published_minutes(council, decided, world, make_person):
    draft = minutes.generate(decided, council.secretary.user)
    reader = make_person("leser", municipality=world.small)
    for user, expected in (
        (council.member.user, True),
        (council.observer.user, True),
        (world.admin_a.user, True),
        (world.member_small.user, False),
        (reader.user, False),
        (world.admin_b.user, False),
        (world.outsider, False),
    ):
        assert minutes.may_read(user, draft, decided) is expected, user
    minutes.approve(draft, council.chair.user)
    minutes.publish(draft, council.chair.user)
    draft.refresh_from_db()
    assert minutes.may_read(world.member_small.user, draft, decided)
    assert minutes.may_read(reader.user, draft, decided)
    assert not minutes.may_read(world.admin_b.user, draft, decided)
    assert not minutes.may_read(world.outsider, draft, decided)


def test_html_in_bokmal_and_nynorsk_and_pdf(council, decided):
    found = minutes.generate(decided, council.secretary.user)
    minutes.update(found, council.secretary.user, introduction="<script>alert(1)</script>")
    found.refresh_from_db()
    nynorsk = minutes.render_html(found, "nn")
    assert '<html lang="nn">' in nynorsk
    assert "Grunngiving" in nynorsk and "røyster" in nynorsk.lower() and "Til stades" in nynorsk
    bokmal = minutes.render_html(found, "nb")
    assert '<html lang="nb">' in bokmal and "Begrunnelse" in bokmal and "Til stede" in bokmal
    assert "Haster." in bokmal and "Ikke budsjett." in bokmal and "Inhabil." in bokmal
    assert "<script>alert" not in bokmal  # what people wrote is escaped
    pdf = minutes.render_pdf(found, "nn")
    assert pdf.startswith(b"%PDF")
    with pytest.raises(services.MeetingError):
        minutes.render_html(found, "de")
