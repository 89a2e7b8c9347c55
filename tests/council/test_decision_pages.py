"""Decisions and minutes on the collaboration platform: the meeting's page puts decisions to the vote and
takes the members' votes, the minutes page is read, edited, approved, published and downloaded; who may do
what (and what is refused: 403, 404 or a message, nothing written); bounded queries as items grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ikt_portfolio.council import decisions, minutes, services
from ikt_portfolio.council.models import Decision, Minutes
from ikt_portfolio.workflow.models import Vote

pytestmark = pytest.mark.django_db


def page(meeting):
    return reverse("ikt_portal:meeting", args=[meeting.pk])


def minutes_page(meeting, suffix=""):
    name = f"ikt_portal:meeting_minutes{'_' + suffix if suffix else ''}"
    return reverse(name, args=[meeting.pk])


def login(client, person_or_user):
    client.force_login(getattr(person_or_user, "user", person_or_user))
    return client


def test_the_secretary_puts_a_decision_to_the_vote_and_members_vote(client, council, session, to_council):
    need = to_council()
    meeting, item = session(need)
    login(client, council.secretary)
    html = client.get(page(meeting)).content.decode()
    assert f'id="decide-form-{item.pk}"' in html and 'value="include"' in html and 'value="send_to_board"' in html
    url = reverse("ikt_portal:meeting_decide", args=[meeting.pk, item.pk])
    prefix = f"decide-{item.pk}"
    refused = client.post(url, {f"{prefix}-action": "reject", f"{prefix}-reason": ""})
    assert refused.status_code == 400 and 'id="error-summary"' in refused.content.decode()
    assert not Decision.objects.exists()
    response = client.post(url, {f"{prefix}-action": "include", f"{prefix}-priority": "1", f"{prefix}-reason": "Bra."})
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.action, decision.priority, decision.reason) == ("include", 1, "Bra.")
    # The secretary has no vote; the members do.
    assert f'id="vote-form-{item.pk}"' not in client.get(page(meeting)).content.decode()
    vote_url = reverse("ikt_portal:meeting_vote", args=[meeting.pk, decision.pk])
    for person, choice in ((council.deputy, "abstain"), (council.chair, "yes"), (council.member, "yes")):
        login(client, person)
        assert f'id="vote-form-{item.pk}"' in client.get(page(meeting)).content.decode()
        assert client.post(vote_url, {f"vote-{decision.pk}-choice": choice}).status_code == 302
    login(client, council.member)
    assert f'id="vote-form-{item.pk}"' not in client.get(page(meeting)).content.decode()  # voted already
    client.post(vote_url, {f"vote-{decision.pk}-choice": "no"})  # a second vote: refused with a message
    assert Vote.objects.filter(voter=council.member).count() == 1
    login(client, council.member2)
    client.post(vote_url, {f"vote-{decision.pk}-choice": "yes"})
    need.refresh_from_db()
    assert need.state == "approved"
    html = client.get(page(meeting)).content.decode()
    assert 'data-decision="include"' in html and 'data-status="passed"' in html
    # The submitter sees the decision and its reason on the need's page.
    login(client, council.world.member_small)
    need_page = client.get(reverse("ikt_portal:need", args=[need.pk])).content.decode()
    assert "Bra." in need_page and meeting.title in need_page


def test_who_may_put_decisions_and_vote_on_the_page(client, council, session, to_council, world):
    need = to_council()
    meeting, item = session(need)
    url = reverse("ikt_portal:meeting_decide", args=[meeting.pk, item.pk])
    data = {f"decide-{item.pk}-action": "include", f"decide-{item.pk}-priority": "1"}
    for user, status in ((council.member.user, 404), (world.member_small.user, 404), (world.admin_b.user, 404)):
        login(client, user)
        assert client.post(url, data).status_code == status
    assert not Decision.objects.exists()
    login(client, world.admin_a)
    assert client.post(url, data).status_code == 302
    decision = Decision.objects.get()
    vote_url = reverse("ikt_portal:meeting_vote", args=[meeting.pk, decision.pk])
    for user in (world.member_small.user, council.secretary.user, council.observer.user):
        login(client, user)
        client.post(vote_url, {f"vote-{decision.pk}-choice": "yes"})
    login(client, world.admin_b)
    assert client.post(vote_url, {f"vote-{decision.pk}-choice": "yes"}).status_code == 404
    assert not Vote.objects.exists()


def test_no_quorum_is_said_and_refused_on_the_page(client, council, session, to_council):
    need = to_council()
    meeting, item = session(need, present=[council.chair])
    login(client, council.chair)
    html = client.get(page(meeting)).content.decode()
    assert 'id="no-quorum-note"' in html
    url = reverse("ikt_portal:meeting_decide", args=[meeting.pk, item.pk])
    response = client.post(url, {f"decide-{item.pk}-action": "include", f"decide-{item.pk}-priority": "1"}, follow=True)
    assert "quorum" in response.content.decode() and not Decision.objects.exists()


@pytest.fixture
def held(council, session, to_council):
    need = to_council()
    meeting, item = session(need)
    decision = decisions.open_decision(item, council.chair.user, action="reject", reason="Dekket nasjonalt.")
    for person in (council.chair, council.member, council.member2):
        decisions.cast_vote(decision, person.user, "yes")
    services.mark_held(meeting, council.chair.user)
    return meeting


def test_the_minutes_page_from_draft_to_published(client, council, held, world, make_person):
    reader = make_person("leser", municipality=world.small)
    login(client, reader)
    assert client.get(minutes_page(held)).status_code == 404  # no minutes yet
    login(client, council.secretary)
    html = client.get(minutes_page(held)).content.decode()
    assert 'id="minutes-generate"' in html
    assert client.post(minutes_page(held, "generate")).status_code == 302
    html = client.get(minutes_page(held)).content.decode()
    assert "Dekket nasjonalt." in html and 'id="minutes-form"' in html and 'id="minutes-approve"' not in html
    response = client.post(
        minutes_page(held, "save"),
        {"minutes-introduction": "Leder åpnet.", "minutes-closing": "Hevet.", "minutes-notes_1": "Kort sak."},
    )
    assert response.status_code == 302
    draft = Minutes.objects.get()
    assert (draft.introduction, draft.entries.get().notes) == ("Leder åpnet.", "Kort sak.")
    login(client, reader)
    assert client.get(minutes_page(held)).status_code == 404  # drafts are the body's
    assert client.get(reverse("ikt_portal:meeting_minutes_download", args=[held.pk, "nb", "pdf"])).status_code == 404
    login(client, council.member)
    assert client.get(minutes_page(held)).status_code == 200
    assert client.post(minutes_page(held, "approve")).status_code == 302
    assert not Minutes.objects.get().is_approved  # a member does not approve
    login(client, council.chair)
    client.post(minutes_page(held, "approve"))
    approved = Minutes.objects.get()
    assert approved.is_approved
    html = client.get(minutes_page(held)).content.decode()
    assert 'id="minutes-form"' not in html and approved.content_hash in html
    # Editing approved minutes through the page is refused and changes nothing.
    login(client, council.secretary)
    client.post(minutes_page(held, "save"), {"minutes-introduction": "Endret.", "minutes-closing": ""})
    client.post(minutes_page(held, "generate"))
    assert Minutes.objects.get().introduction == "Leder åpnet." and minutes.verify(Minutes.objects.get())
    client.post(minutes_page(held, "publish"))
    login(client, reader)
    assert client.get(minutes_page(held)).status_code == 200
    pdf = client.get(reverse("ikt_portal:meeting_minutes_download", args=[held.pk, "nn", "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf["Content-Type"] == "application/pdf"
    html = client.get(reverse("ikt_portal:meeting_minutes_download", args=[held.pk, "nn", "html"]))
    assert html.status_code == 200 and '<html lang="nn">' in html.content.decode()
    assert client.get(reverse("ikt_portal:meeting_minutes_download", args=[held.pk, "de", "html"])).status_code == 404
    login(client, world.admin_b)
    assert client.get(minutes_page(held)).status_code == 404


def test_meeting_page_queries_do_not_grow_with_items(client, council, session, to_council):
    need = to_council(title="Første")
    meeting, item = session(need)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page(meeting)).status_code == 200
        return len(queries)

    decisions.open_decision(item, council.chair.user, action="include", priority=1)
    login(client, council.chair)
    few = count()
    for n in range(4):
        other = to_council(title=f"Sak {n}")
        added = services.add_document_item(meeting, council.chair.user, other)
        if n % 2:
            decisions.open_decision(added, council.chair.user, action="reject", reason="Nei.")
    many = count()
    assert many <= few + 2, f"{few} queries for one item, {many} for five"


def test_minutes_page_queries_do_not_grow_with_items(client, council, session, to_council):
    def held_with(count):
        meeting, _item = session(to_council(title=f"Sak {count}-0"), title=f"Møte med {count}")
        for n in range(1, count):
            services.add_document_item(meeting, council.chair.user, to_council(title=f"Sak {count}-{n}"))
        for item in meeting.agenda_items.all():
            decision = decisions.open_decision(item, council.chair.user, action="reject", reason="Nei.")
            for person in (council.chair, council.member, council.member2):
                decisions.cast_vote(decision, person.user, "yes")
        services.mark_held(meeting, council.chair.user)
        minutes.generate(meeting, council.secretary.user)
        return meeting

    def count(meeting):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(minutes_page(meeting)).status_code == 200
        return len(queries)

    one, four = held_with(1), held_with(4)
    login(client, council.secretary)
    assert count(four) == count(one)


# ------------------------------------------------------------------------------------ Desk and API


def test_approved_minutes_are_refused_in_the_desk_and_the_api(client, council, held, world):
    from rest_framework.test import APIClient

    found = minutes.generate(held, council.secretary.user)
    login(client, council.secretary)
    change = reverse("admin:ikt_council_minutes_change", args=[found.pk])
    page_ = client.get(change)
    assert page_.status_code == 200 and 'name="introduction"' in page_.content.decode()
    api = APIClient()
    api.force_authenticate(council.secretary.user)
    url = f"/api/v1/meetings/{held.pk}/minutes/"
    assert api.patch(url, {"introduction": "Via API.", "notes": {"1": "Notat."}}, format="json").status_code == 200
    assert Minutes.objects.get().introduction == "Via API."
    assert api.post(f"{url}approve/").status_code == 403  # the secretary does not approve
    api.force_authenticate(council.chair.user)
    approved = api.post(f"{url}approve/").json()
    assert approved["status"] == "approved" and approved["verified"] is True
    # Desk: read-only, and a POST is refused.
    login(client, council.secretary)
    assert 'name="introduction"' not in client.get(change).content.decode()
    refused = client.post(change, {"introduction": "Endret i desken.", "closing": ""})
    assert refused.status_code == 403
    # API: 409 with the reason.
    api.force_authenticate(council.secretary.user)
    response = api.patch(url, {"introduction": "Endret i API."}, format="json")
    assert response.status_code == 409 and "godkjent" in response.json()["detail"]  # nb, the site language
    assert api.post(url).status_code == 409  # generating again
    assert Minutes.objects.get().introduction == "Via API." and minutes.verify(Minutes.objects.get())
    assert api.post(f"{url}publish/").status_code == 200
    pdf = api.get(f"/api/v1/meetings/{held.pk}/minutes/export/?language=nn&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    api.force_authenticate(world.admin_b.user)
    assert api.get(url).status_code == 404


def test_decisions_through_the_api(council, session, to_council, world, later_period):
    from rest_framework.test import APIClient

    need = to_council()
    meeting, item = session(need)
    api = APIClient()
    api.force_authenticate(council.member.user)
    url = f"/api/v1/meetings/{meeting.pk}/decisions/"
    assert api.post(url, {"item": item.pk, "action": "include", "priority": 1}).status_code == 403
    api.force_authenticate(council.chair.user)
    refused = api.post(url, {"item": item.pk, "action": "defer", "reason": "Senere."})
    assert refused.status_code == 400 and "period" in refused.json()
    created = api.post(url, {"item": item.pk, "action": "defer", "period": later_period.pk, "reason": "Senere."})
    assert created.status_code == 201, created.content
    decision = created.json()
    assert decision["status"] == "open" and decision["period"]["id"] == later_period.pk
    vote = f"{url}{decision['id']}/vote/"
    api.force_authenticate(world.member_small.user)
    assert api.post(vote, {"choice": "yes"}).status_code in (403, 404)
    results = []
    for person in (council.chair, council.member, council.member2):
        api.force_authenticate(person.user)
        results.append(api.post(vote, {"choice": "yes"}).json()["decided"])
    assert results == [False, False, True]
    api.force_authenticate(council.member.user)
    assert api.post(vote, {"choice": "no"}).status_code == 400  # not open any more
    listed = api.get(url).json()
    assert [(d["action"], d["status"]) for d in listed] == [("defer", "passed")]
