"""The workflow REST API: a document's actions (and why not), acting, voting, history, the inbox,
delegations and the definitions, through the real engine and a test document type (Ticket)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIClient

from ikt_portfolio.workflow import services
from ikt_portfolio.workflow.models import Ballot, Delegation, Vote
from tests.workflow_app.models import Ticket

pytestmark = pytest.mark.django_db

LABEL = "workflow_app.ticket"


@pytest.fixture
def api():
    return APIClient()


def as_user(api, person_or_user):
    user = getattr(person_or_user, "user", person_or_user)
    api.force_authenticate(type(user).objects.get(pk=user.pk))  # fresh: no grants cached from earlier calls
    return api


def url(ticket, suffix=""):
    return f"/api/v1/workflow/documents/{LABEL}/{ticket.pk}/{suffix}"


def act(ticket, action, person, comment=""):
    return services.perform(ticket, action, person.user, comment=comment)


def at_council(route, ticket, submitter=None):
    for action, person in (
        ("submit", submitter or route.submitter),
        ("take_up", route.world.lead),
        ("recommend", route.world.lead),
        ("send_to_council", route.world.lead),
    ):
        act(ticket, action, person)
    return ticket


def actions_of(response):
    return {row["action"]: row for row in response.json()["actions"]}


# ---------------------------------------------------------------------------------------------- reading


def test_unauthenticated_requests_are_refused(api, route, new_ticket):
    ticket = new_ticket()
    assert api.get(url(ticket)).status_code in (401, 403)
    assert api.get("/api/v1/workflow/inbox/").status_code in (401, 403)


def test_available_actions_with_reasons(api, route, new_ticket):
    ticket = new_ticket()
    response = as_user(api, route.submitter).get(url(ticket), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["document_type"], body["id"], body["title"]) == (LABEL, ticket.pk, "Digital innbyggerdialog")
    assert body["state"] == {"key": "draft", "label": "Draft", "category": "open"}
    assert body["revision"] == 1 and body["may_edit"] is True
    options = actions_of(response)
    assert set(options) == {"submit", "withdraw"}
    assert options["submit"]["allowed"] and options["submit"]["reason"] == ""
    assert (options["submit"]["capacity"], options["submit"]["on_behalf_of"]) == ("submitter", None)
    assert options["submit"]["label"] == "Submit" and options["submit"]["committee"] is None

    lead = as_user(api, route.world.lead).get(url(ticket), HTTP_ACCEPT_LANGUAGE="en").json()
    assert lead["may_edit"] is False
    for option in lead["actions"]:
        assert not option["allowed"] and option["capacity"] is None
        assert option["reason"] == "Only submitter can do this."


def test_committee_actions_show_the_rule_and_the_votes_so_far(api, route, new_ticket):
    ticket = at_council(route, new_ticket())
    services.vote(ticket, "include", route.council[0].user, "yes")
    options = actions_of(as_user(api, route.council[1]).get(url(ticket)))
    include = options["include"]
    assert include["allowed"] and include["capacity"] == "council_member"
    committee = include["committee"]
    assert (committee["body_kind"], committee["rule"], committee["quorum"]) == ("portfolio_council", "majority", 3)
    assert committee["votes"] == {"yes": 1, "no": 0, "abstain": 0, "veto": 0, "eligible": 3}
    assert committee["ballot"] == Ballot.objects.get(outcome="open").pk
    assert options["defer"]["committee"]["votes"] == {}  # nobody has voted on deferring
    lead = actions_of(as_user(api, route.world.lead).get(url(ticket), HTTP_ACCEPT_LANGUAGE="en"))
    assert not lead["include"]["allowed"] and "vote of the members" in lead["include"]["reason"]


def test_other_collaborations_documents_and_unknown_types_are_not_found(api, route, new_ticket):
    ticket = new_ticket()
    outsider = as_user(api, route.world.member_other)  # Oslo: a member of B only
    assert outsider.get(url(ticket)).status_code == 404
    assert outsider.post(url(ticket, "perform/"), {"action": "submit"}).status_code == 404
    assert outsider.get(url(ticket, "history/")).status_code == 404
    submitter = as_user(api, route.submitter)
    assert submitter.get(f"/api/v1/workflow/documents/workflow_app.nothing/{ticket.pk}/").status_code == 404
    assert submitter.get(f"/api/v1/workflow/documents/ikt_members.person/{route.submitter.pk}/").status_code == 404
    assert submitter.get(f"/api/v1/workflow/documents/{LABEL}/{ticket.pk + 1000}/").status_code == 404
    assert as_user(api, route.world.operator).get(url(ticket)).status_code == 200


# ---------------------------------------------------------------------------------------------- acting


def test_perform_happy_path(api, route, new_ticket):
    ticket = new_ticket()
    response = as_user(api, route.submitter).post(
        url(ticket, "perform/"), {"action": "submit", "comment": "Gjelder alle", "revision": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"]["key"] == "submitted" and body["revision"] == 2
    log = body["log"]
    assert (log["action"], log["from_state"], log["to_state"], log["capacity"]) == (
        "submit",
        "draft",
        "submitted",
        "submitter",
    )
    assert log["comment"] == "Gjelder alle" and log["actor"] == route.submitter.user_id
    ticket.refresh_from_db()
    assert (ticket.state, ticket.workflow_revision) == ("submitted", 2)

    response = as_user(api, route.world.lead).post(url(ticket, "perform/"), {"action": "take_up"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["log"]["capacity"] == "sector_lead"


def test_refusal_is_403_with_the_reason_in_the_users_language(api, route, new_ticket):
    ticket = new_ticket()
    client = as_user(api, route.world.lead)
    english = client.post(url(ticket, "perform/"), {"action": "submit"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 403
    assert english.json() == {"detail": "Only submitter can do this."}
    bokmal = client.post(url(ticket, "perform/"), {"action": "submit"}, format="json", HTTP_ACCEPT_LANGUAGE="nb")
    assert bokmal.status_code == 403
    with translation.override("nb"):
        expected = next(o for o in services.available_actions(ticket, route.world.lead.user) if o.action == "submit")
    assert bokmal.json() == {"detail": expected.reason}
    assert "innmelder" in bokmal.json()["detail"]  # the capacity, in bokmål
    assert bokmal.json() != english.json()
    ticket.refresh_from_db()
    assert ticket.state == "draft" and ticket.workflow_revision == 1


def test_an_action_not_possible_in_this_state_and_a_missing_comment_are_refused(api, route, new_ticket):
    ticket = new_ticket()
    lead = as_user(api, route.world.lead)
    response = lead.post(url(ticket, "perform/"), {"action": "take_up"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403 and "cannot be done while" in response.json()["detail"]
    act(ticket, "submit", route.submitter)
    response = lead.post(url(ticket, "perform/"), {"action": "return"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403 and response.json()["detail"] == "Give a reason in the comment."
    assert lead.post(url(ticket, "perform/"), {"comment": "x"}, format="json").status_code == 400  # no action


def test_stale_revision_is_409(api, route, new_ticket):
    ticket = new_ticket()
    seen = ticket.workflow_revision
    act(ticket, "submit", route.submitter)
    response = as_user(api, route.submitter).post(
        url(ticket, "perform/"), {"action": "withdraw", "revision": seen}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert "first" in response.json()["detail"] and "Submitted" in response.json()["detail"]
    assert Ticket.objects.get(pk=ticket.pk).state == "submitted"


def test_vote_until_the_ballot_passes_and_the_state_moves(api, route, new_ticket):
    ticket = at_council(route, new_ticket())
    first = as_user(api, route.council[0]).post(url(ticket, "vote/"), {"action": "include", "choice": "yes"})
    assert first.status_code == 200, first.json()
    body = first.json()
    assert body["moved"] is False and body["log"] is None and body["state"]["key"] == "portfolio_council"
    assert body["ballot"]["outcome"] == "open" and body["ballot"]["eligible"] == 3
    assert body["ballot"]["counts"] == {"yes": 1, "no": 0, "abstain": 0, "veto": 0}
    assert body["vote"] == {"choice": "yes", "capacity": "council_member", "voter": route.council[0].pk}

    again = as_user(api, route.council[0]).post(
        url(ticket, "vote/"), {"action": "include", "choice": "no"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert again.status_code == 403 and again.json()["detail"] == "You have already voted."
    stranger = as_user(api, route.world.lead).post(url(ticket, "vote/"), {"action": "include", "choice": "yes"})
    assert stranger.status_code == 403
    direct = as_user(api, route.world.admin_a).post(url(ticket, "perform/"), {"action": "include"})
    assert direct.status_code == 403
    maybe = as_user(api, route.council[1]).post(url(ticket, "vote/"), {"action": "include", "choice": "maybe"})
    assert maybe.status_code == 400 and "choice" in maybe.json()

    second = as_user(api, route.council[1]).post(url(ticket, "vote/"), {"action": "include", "choice": "yes"})
    assert second.json()["moved"] is False  # a majority, but the quorum is three votes
    third = as_user(api, route.council[2]).post(
        url(ticket, "vote/"), {"action": "include", "choice": "abstain", "comment": "Inhabil"}
    )
    assert third.status_code == 200, third.json()
    body = third.json()
    assert body["moved"] is True and body["ballot"]["outcome"] == "passed"
    assert body["state"]["key"] == "approved" and body["revision"] == ticket.workflow_revision + 1
    assert body["log"]["capacity"] == "committee:portfolio_council" and body["log"]["ballot"] == body["ballot"]["id"]
    assert Ticket.objects.get(pk=ticket.pk).state == "approved"
    assert Vote.objects.filter(ballot_id=body["ballot"]["id"]).count() == 3


def test_history(api, route, new_ticket):
    ticket = new_ticket()
    act(ticket, "submit", route.submitter)
    act(ticket, "return", route.world.lead, comment="Hvor mange brukere?")
    response = as_user(api, route.submitter).get(url(ticket, "history/"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    newest = body["results"][0]
    assert (newest["action"], newest["from_state"], newest["to_state"]) == ("return", "submitted", "returned")
    assert (newest["from_label"], newest["to_label"]) == ("Submitted", "Returned for more information")
    assert newest["action_label"] == "Ask for more information"
    assert newest["actor_name"] == "Lead Testesen" and newest["capacity"] == "sector_lead"
    assert newest["capacity_label"] == "sector lead" and newest["comment"] == "Hvor mange brukere?"
    assert newest["on_behalf_of"] is None
    assert [row["action"] for row in body["results"]] == ["return", "submit", "start"]
    paged = as_user(api, route.submitter).get(url(ticket, "history/") + "?page_size=1&page=2").json()
    assert paged["count"] == 3 and [row["action"] for row in paged["results"]] == ["submit"]


# ----------------------------------------------------------------------------------------------- inbox


def test_inbox_for_the_sector_lead_and_an_outsider(api, route, new_ticket):
    waiting = [new_ticket(title=f"Behov {n}") for n in range(3)]
    for ticket in waiting[:2]:
        act(ticket, "submit", route.submitter)
    Ticket.objects.filter(pk=waiting[0].pk).update(deadline_at=timezone.now() - datetime.timedelta(days=1))

    body = as_user(api, route.world.lead).get("/api/v1/workflow/inbox/").json()
    assert (body["count"], body["overdue"]) == (2, 1)
    assert {row["id"] for row in body["results"]} == {waiting[0].pk, waiting[1].pk}
    row = next(row for row in body["results"] if row["id"] == waiting[0].pk)
    assert row["document_type"] == LABEL and row["overdue"] is True and row["state"]["key"] == "submitted"
    assert row["link"] == f"/tickets/{waiting[0].pk}/"
    assert {a["action"] for a in row["actions"]} == {"take_up", "return"}
    assert all(a["capacity"] == "sector_lead" and a["vote"] is False for a in row["actions"])

    for outsider in (route.world.member_other, route.world.outsider):
        body = as_user(api, outsider).get("/api/v1/workflow/inbox/").json()
        assert (body["count"], body["overdue"], body["results"]) == (0, 0, [])


def test_inbox_shows_votes(api, route, new_ticket):
    ticket = at_council(route, new_ticket())
    body = as_user(api, route.council[0]).get("/api/v1/workflow/inbox/").json()
    assert body["count"] == 1
    votes = {a["action"]: a for a in body["results"][0]["actions"]}
    assert set(votes) == {"include", "send_to_board", "defer", "reject"}
    assert all(a["vote"] and a["capacity"] == "council_member" for a in votes.values())
    services.vote(ticket, "include", route.council[0].user, "yes")
    body = as_user(api, route.council[0]).get("/api/v1/workflow/inbox/").json()
    assert {a["action"] for a in body["results"][0]["actions"]} == {"send_to_board", "defer", "reject"}


def inbox_queries(api, person):
    as_user(api, person)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/workflow/inbox/")
    assert response.status_code == 200
    return len(queries), response.json()["count"]


def test_inbox_queries_do_not_grow_with_tickets(api, route, new_ticket):
    def add(count):
        for n in range(count):
            act(new_ticket(title=f"Sak {n}"), "submit", route.submitter)

    add(2)
    few, few_rows = inbox_queries(api, route.world.lead)
    add(10)
    many, many_rows = inbox_queries(api, route.world.lead)
    assert (few_rows, many_rows) == (2, 12)
    assert many == few, f"{few} queries for {few_rows} items, {many} for {many_rows}"
    assert few <= 12


# --------------------------------------------------------------------------------------------- delegations


def test_delegate_own_capacity_act_on_behalf_and_revoke(api, route, new_ticket):
    world = route.world
    delegator, substitute = world.council_member, world.member_small
    response = as_user(api, delegator).post(
        "/api/v1/workflow/delegations/",
        {
            "collaboration": world.a.pk,
            "delegate": substitute.pk,
            "capacities": ["council_member"],
            "valid_to": str(timezone.localdate() + datetime.timedelta(days=14)),
            "reason": "Ferie",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["delegator"], created["delegate"], created["in_force"]) == (delegator.pk, substitute.pk, True)
    assert created["capacities"] == ["council_member"] and created["valid_from"] == str(timezone.localdate())

    # The substitute sees it, votes in the delegator's seat, and the vote is recorded as the delegator's.
    listed = as_user(api, substitute).get("/api/v1/workflow/delegations/").json()
    assert [row["id"] for row in listed["results"]] == [created["id"]]
    ticket = at_council(route, new_ticket(by=route.board[0]), submitter=route.board[0])
    include = actions_of(as_user(api, substitute).get(url(ticket)))["include"]
    assert include["allowed"] and include["on_behalf_of"] == {"id": delegator.pk, "name": "Rad Testesen"}
    voted = as_user(api, substitute).post(url(ticket, "vote/"), {"action": "include", "choice": "yes"})
    assert voted.status_code == 200 and voted.json()["vote"]["voter"] == delegator.pk

    # Only the delegator (or an administrator) revokes.
    revoke = f"/api/v1/workflow/delegations/{created['id']}/revoke/"
    refused = as_user(api, substitute).post(revoke, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "Only the person themselves" in str(refused.json())
    revoked = as_user(api, delegator).post(revoke)
    assert revoked.status_code == 200 and revoked.json()["in_force"] is False and revoked.json()["revoked_at"]
    assert as_user(api, delegator).post(revoke).status_code == 400  # already revoked
    after = actions_of(as_user(api, substitute).get(url(ticket)))
    assert not after["include"]["allowed"]


def test_delegating_on_someone_elses_behalf_is_refused_unless_administrator(api, route):
    world = route.world
    payload = {"collaboration": world.a.pk, "delegator": world.council_member.pk, "delegate": world.member_small.pk}
    refused = as_user(api, world.member_small).post(
        "/api/v1/workflow/delegations/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 400
    assert "Only the person themselves or an administrator" in str(refused.json())
    assert not Delegation.objects.exists()
    created = as_user(api, world.admin_a).post("/api/v1/workflow/delegations/", payload, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["delegator"] == world.council_member.pk


def test_delegation_list_is_what_concerns_the_user(api, route):
    world = route.world
    for delegator, delegate in ((world.council_member, world.member_small), (route.council[1], route.council[2])):
        services.delegate(
            delegator=delegator,
            delegate=delegate,
            collaboration=world.a,
            valid_from=timezone.localdate(),
            valid_to=None,
            by=delegator.user,
        )

    def listed(person):
        rows = as_user(api, person).get("/api/v1/workflow/delegations/").json()["results"]
        return {(row["delegator"], row["delegate"]) for row in rows}

    assert listed(world.council_member) == {(world.council_member.pk, world.member_small.pk)}
    assert listed(route.council[2]) == {(route.council[1].pk, route.council[2].pk)}
    assert len(listed(world.admin_a)) == 2
    assert listed(world.lead) == set()
    assert listed(world.admin_b) == set()
    first = Delegation.objects.get(delegator=world.council_member)
    assert as_user(api, world.lead).get(f"/api/v1/workflow/delegations/{first.pk}/").status_code == 404
    assert as_user(api, world.lead).post(f"/api/v1/workflow/delegations/{first.pk}/revoke/").status_code == 404


def test_delegations_cannot_be_edited_or_deleted(api, route):
    world = route.world
    delegation = services.delegate(
        delegator=world.council_member,
        delegate=world.member_small,
        collaboration=world.a,
        valid_from=timezone.localdate(),
        valid_to=None,
        by=world.admin_a.user,
    )
    client = as_user(api, world.admin_a)
    assert client.patch(f"/api/v1/workflow/delegations/{delegation.pk}/", {"reason": "x"}).status_code == 405
    # DRF checks model permissions before the method: capacities hold no delete_delegation, hence 403.
    assert client.delete(f"/api/v1/workflow/delegations/{delegation.pk}/").status_code in (403, 405)
    assert as_user(api, world.operator).delete(f"/api/v1/workflow/delegations/{delegation.pk}/").status_code == 405
    assert Delegation.objects.filter(pk=delegation.pk, revoked_at__isnull=True).exists()


# --------------------------------------------------------------------------------------------- definitions


def test_workflow_definitions_are_readable_in_scope(api, route):
    body = as_user(api, route.submitter).get("/api/v1/workflow/workflows/").json()
    assert body["count"] == 1
    workflow = body["results"][0]
    assert (workflow["document_type"], workflow["is_active"]) == (LABEL, True)
    assert [v["id"] for v in workflow["versions"]] == [route.version.pk]
    version = as_user(api, route.submitter).get(f"/api/v1/workflow/versions/{route.version.pk}/").json()
    assert version["status"] == "published"
    assert {s["key"] for s in version["states"]} >= {"draft", "submitted", "approved"}
    include = next(t for t in version["transitions"] if t["action"] == "include")
    assert (include["from_state"], include["to_state"], include["committee"]) == (
        "portfolio_council",
        "approved",
        "portfolio_council",
    )
    other = as_user(api, route.world.member_other)
    assert other.get("/api/v1/workflow/workflows/").json()["count"] == 0
    assert other.get(f"/api/v1/workflow/versions/{route.version.pk}/").status_code == 404
    assert as_user(api, route.world.admin_a).post("/api/v1/workflow/workflows/", {}).status_code == 405


def test_schema_lists_the_workflow_endpoints(api, route):
    paths = as_user(api, route.submitter).get("/api/schema/?format=json").json()["paths"]
    for path in (
        "/api/v1/workflow/inbox/",
        "/api/v1/workflow/documents/{document_type}/{id}/",
        "/api/v1/workflow/documents/{document_type}/{id}/perform/",
        "/api/v1/workflow/documents/{document_type}/{id}/vote/",
        "/api/v1/workflow/documents/{document_type}/{id}/history/",
        "/api/v1/workflow/delegations/{id}/revoke/",
        "/api/v1/workflow/versions/{id}/",
    ):
        assert path in paths
