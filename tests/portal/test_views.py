"""The portal with Django's test client: scoping, drafts, the report form, co-signing and bounded queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ikt_portfolio.needs import services
from ikt_portfolio.needs.models import Comment, CoSign, Follow, Goal, Need
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import TransitionLog, Vote

pytestmark = pytest.mark.django_db


def submitted(report, **fields):
    need = report(**fields)
    workflow.perform(need, "submit", need.submitted_by.user)
    return need


def need_url(need):
    return reverse("ikt_portal:need", args=[need.pk])


VALID = {
    "title": "Felles system for vikarbestilling",
    "problem": "Vikarer bestilles på telefon, og ingen ser hvem som er ledige.",
    "desired_outcome": "Ett sted å bestille vikar.",
    "purchase_needed": "unsure",
    "affected_group": "employees",
    "affected_count": "40",
    "benefit_type": "efficiency",
    "expected_benefit": "Mindre tid i telefonen.",
    "urgency": "medium",
}


# --------------------------------------------------------------------------------------------- access


def test_anonymous_users_are_sent_to_the_desk_login(client, world, report):
    need = submitted(report)
    for url in (reverse("ikt_portal:needs"), reverse("ikt_portal:report"), need_url(need)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("ikt_portal:login") + "?next=")


def test_a_municipal_user_without_desk_access_logs_in_to_the_portal(client, world, report):
    need = submitted(report)
    user = world.member_small.user
    user.is_staff = False
    user.set_password("rett-passord-1")
    user.save()
    url = reverse("ikt_portal:login")
    refused = client.post(url, {"username": user.username, "password": "feil"})
    assert refused.status_code == 200 and "ds-alert" in refused.content.decode()
    response = client.post(url, {"username": user.username, "password": "rett-passord-1", "next": need_url(need)})
    assert response.status_code == 302 and response["Location"] == need_url(need)
    assert client.get(need_url(need)).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302  # the Desk stays closed to them
    assert client.post(reverse("ikt_portal:logout")).status_code == 302
    assert client.get(need_url(need)).status_code == 302


def test_root_goes_to_the_portal(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("ikt_portal:needs")


def test_another_collaborations_need_is_not_found(login, world, report):
    need = submitted(report)
    client = login(world.member_other)  # Oslo: a member of collaboration B only
    assert client.get(need_url(need)).status_code == 404
    for name in ("comment", "co_sign", "follow", "action"):
        assert client.post(reverse(f"ikt_portal:{name}", args=[need.pk]), {"action": "take_up"}).status_code == 404
    assert need.title not in client.get(reverse("ikt_portal:needs")).content.decode()


def test_drafts_are_seen_only_by_their_submitter(login, world, report, make_person):
    draft = report(title="Mitt utkast")
    colleague = make_person("kollega", municipality=world.small, language="en")
    for person in (colleague, world.lead, world.council_member):
        client = login(person)
        assert client.get(need_url(draft)).status_code == 404
        for scope in ("all", "mine", "municipality"):
            page = client.get(reverse("ikt_portal:needs"), {"scope": scope}).content.decode()
            assert "Mitt utkast" not in page
    client = login(world.member_small)
    assert client.get(need_url(draft)).status_code == 200
    assert "Mitt utkast" in client.get(reverse("ikt_portal:needs"), {"scope": "mine"}).content.decode()
    assert "Mitt utkast" not in client.get(reverse("ikt_portal:needs")).content.decode()


def test_user_without_collaboration_gets_a_friendly_refusal(client, world):
    client.force_login(world.outsider)  # no Person, so the default language: bokmål
    response = client.get(reverse("ikt_portal:needs"))
    assert response.status_code == 403
    assert "ikke med i et samarbeid" in response.content.decode()


# ------------------------------------------------------------------------------------------ the form


def test_report_form_shows_only_the_collaborations_service_areas(login, world, need_routing):
    page = login(world.member_small).get(reverse("ikt_portal:report")).content.decode()
    assert f'value="{world.health_a.pk}"' in page
    assert f'value="{world.health_b.pk}"' not in page
    assert '<html lang="en"' in page


def test_invalid_form_shows_errors_per_field_and_writes_nothing(login, world, need_routing):
    client = login(world.member_small)
    response = client.post(
        reverse("ikt_portal:report"),
        {**VALID, "title": "", "problem": "", "service_area": world.health_b.pk, "intent": "submit"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="ds-error-summary"' in page
    assert 'href="#id_title"' in page and 'href="#id_problem"' in page and 'href="#id_service_area"' in page
    assert 'id="id_title_error"' in page
    assert 'aria-describedby="id_title_helptext id_title_error"' in page
    assert 'aria-invalid="true"' in page
    assert Need.objects.count() == 0 and TransitionLog.objects.count() == 0


def test_radio_group_errors_are_described_on_the_fieldset(login, world, need_routing):
    response = login(world.member_small).post(
        reverse("ikt_portal:report"), {**VALID, "urgency": "", "service_area": world.health_a.pk}
    )
    page = response.content.decode()
    assert 'href="#id_urgency_0"' in page
    assert 'aria-describedby="id_urgency_error"' in page
    assert Need.objects.count() == 0


def test_save_draft_then_it_stays_a_draft(login, world, need_routing):
    client = login(world.member_small)
    response = client.post(
        reverse("ikt_portal:report"), {**VALID, "service_area": world.health_a.pk, "intent": "draft"}
    )
    need = Need.objects.get()
    assert response.status_code == 302 and response["Location"] == need_url(need)
    assert need.state == "draft" and need.municipality == world.small and need.affected_count == 40


def test_submit_at_once(login, world, need_routing):
    client = login(world.member_small)
    response = client.post(
        reverse("ikt_portal:report"), {**VALID, "service_area": world.health_a.pk, "intent": "submit"}, follow=True
    )
    need = Need.objects.get()
    assert need.state == "submitted"
    page = response.content.decode()
    assert "has been submitted" in page and "Submitted" in page


def test_staff_without_municipality_cannot_report(login, world, need_routing):
    client = login(world.lead)
    response = client.post(reverse("ikt_portal:report"), {**VALID, "service_area": world.health_a.pk})
    assert "Only people employed by a member municipality" in response.content.decode()
    assert Need.objects.count() == 0


# ------------------------------------------------------------------------------------- the need page


def test_need_page_shows_status_reason_and_timeline(login, world, report):
    need = submitted(report)
    workflow.perform(need, "return", world.lead.user, comment="Hvor mange brukere gjelder det?")
    page = login(world.member_small).get(need_url(need)).content.decode()
    assert "Returned for more information" in page
    assert "Hvor mange brukere gjelder det?" in page
    assert "Lead Testesen" in page and "Smøla" in page
    assert "Submit again" in page  # the submitter's step now


def test_co_sign_from_another_member(login, world, report):
    need = submitted(report)
    client = login(world.council_member)  # Sunndal
    page = client.get(need_url(need)).content.decode()
    assert "We have this need too" in page
    response = client.post(
        reverse("ikt_portal:co_sign", args=[need.pk]),
        {"cosign-expected_benefit": "Spart kjøring", "cosign-affected_count": "12"},
        follow=True,
    )
    signature = CoSign.objects.get()
    assert signature.municipality == world.medium and signature.affected_count == 12
    assert "Spart kjøring" in response.content.decode()
    assert Follow.objects.filter(need=need, user=world.council_member.user).exists()


def test_co_sign_refusals_are_shown_and_nothing_written(login, world, report, make_person):
    need = submitted(report)
    client = login(world.member_small)  # the submitting municipality itself
    assert "We have this need too" not in client.get(need_url(need)).content.decode()
    response = client.post(reverse("ikt_portal:co_sign", args=[need.pk]), {"cosign-expected_benefit": "x"}, follow=True)
    assert "Your municipality reported this need" in response.content.decode()
    services.co_sign(need, user=world.council_member.user)
    colleague = make_person("sunndal2", municipality=world.medium, language="en")
    response = login(colleague).post(reverse("ikt_portal:co_sign", args=[need.pk]), {}, follow=True)
    assert "already co-signed" in response.content.decode()
    assert CoSign.objects.count() == 1


def test_co_sign_of_a_draft_is_refused(login, world, report):
    draft = report()
    # The draft is invisible to others, so the form answers 404 without writing anything.
    assert login(world.council_member).post(reverse("ikt_portal:co_sign", args=[draft.pk]), {}).status_code == 404
    assert CoSign.objects.count() == 0


def test_comment_follow_and_unfollow(login, world, report):
    need = submitted(report)
    client = login(world.council_member)
    client.post(reverse("ikt_portal:comment", args=[need.pk]), {"comment-body": "Vi har samme problem."})
    assert Comment.objects.get().body == "Vi har samme problem."
    response = client.post(reverse("ikt_portal:comment", args=[need.pk]), {"comment-body": "  "})
    assert response.status_code == 400 and Comment.objects.count() == 1
    client.post(reverse("ikt_portal:follow", args=[need.pk]), {"follow": "1"})
    assert Follow.objects.filter(need=need, user=world.council_member.user).exists()
    client.post(reverse("ikt_portal:follow", args=[need.pk]), {"follow": "0"})
    assert not Follow.objects.filter(need=need, user=world.council_member.user).exists()


def test_question_needs_the_sector_group(login, world, report):
    need = submitted(report)
    client = login(world.council_member)
    response = client.post(
        reverse("ikt_portal:comment", args=[need.pk]), {"comment-body": "Hvorfor?", "comment-is_question": "on"}
    )
    # Not in the sector group: the question box is not offered, so it is posted as a plain comment.
    assert response.status_code == 302 and not Comment.objects.get().is_question
    lead = login(world.lead)
    assert "This is a question to the submitter" in lead.get(need_url(need)).content.decode()


def test_actions_as_buttons_and_reasons_for_others(login, world, report):
    need = submitted(report)
    page = login(world.member_small).get(need_url(need)).content.decode()
    assert "Withdraw" in page
    assert "Only sector lead can do this." in page
    lead = login(world.lead)
    page = lead.get(need_url(need)).content.decode()
    assert 'value="take_up"' in page and 'value="return"' in page
    # A required comment missing: refused with a message, nothing written.
    response = lead.post(reverse("ikt_portal:action", args=[need.pk]), {"action": "return", "act-return-comment": ""})
    assert response.status_code == 400 and "Give a reason" in response.content.decode()
    need.refresh_from_db()
    assert need.state == "submitted"
    response = lead.post(
        reverse("ikt_portal:action", args=[need.pk]),
        {"action": "take_up", "act-take_up-revision": need.workflow_revision},
        follow=True,
    )
    need.refresh_from_db()
    assert need.state == "in_sector_group"
    assert "In the sector group" in response.content.decode()


def test_action_not_allowed_is_refused_with_a_message(login, world, report):
    need = submitted(report)
    response = login(world.member_small).post(
        reverse("ikt_portal:action", args=[need.pk]), {"action": "take_up"}, follow=True
    )
    assert "Only sector lead can do this." in response.content.decode()
    need.refresh_from_db()
    assert need.state == "submitted"


def test_stale_revision_is_a_conflict(login, world, report):
    need = submitted(report)
    stale = need.workflow_revision
    workflow.perform(need, "take_up", world.lead.user)
    response = login(world.lead).post(
        reverse("ikt_portal:action", args=[need.pk]),
        {"action": "return", "act-return-comment": "Mer", "act-return-revision": stale},
        follow=True,
    )
    assert "Someone else acted on this item first" in response.content.decode()
    need.refresh_from_db()
    assert need.state == "in_sector_group"


# ------------------------------------------------------------------------------------------- the list


def test_list_tabs_and_filters(login, world, report, make_person):
    submitted(report, title="Fra Smøla")
    other = make_person("sunndal_innmelder", municipality=world.medium, language="en")
    theirs = submitted(report, user=other.user, title="Fra Sunndal")
    client = login(world.member_small)
    url = reverse("ikt_portal:needs")
    page = client.get(url).content.decode()
    assert "Fra Smøla" in page and "Fra Sunndal" in page
    page = client.get(url, {"scope": "mine"}).content.decode()
    assert "Fra Smøla" in page and "Fra Sunndal" not in page
    page = client.get(url, {"scope": "municipality"}).content.decode()
    assert "Fra Smøla" in page and "Fra Sunndal" not in page
    page = client.get(url, {"municipality": world.medium.pk}).content.decode()
    assert "Fra Smøla" not in page and "Fra Sunndal" in page
    page = client.get(url, {"q": theirs.reference}).content.decode()
    assert "Fra Smøla" not in page and "Fra Sunndal" in page
    page = client.get(url, {"q": "smøla"}).content.decode()
    assert "Fra Smøla" in page and "Fra Sunndal" not in page
    page = client.get(url, {"state": "in_sector_group"}).content.decode()
    assert "No needs match the filters." in page
    page = client.get(url, {"segment": "small"}).content.decode()  # Smøla is small, Sunndal is not
    assert "Fra Smøla" in page and "Fra Sunndal" not in page
    goal = Goal.objects.create(
        collaboration=world.a, code="M1", title="Enklere tjenester", first_year=2020, last_year=2040
    )
    theirs.goals.add(goal)
    page = client.get(url, {"goal": goal.pk}).content.decode()
    assert "Fra Smøla" not in page and "Fra Sunndal" in page
    other_goal = Goal.objects.create(collaboration=world.b, code="M1", title="B", first_year=2020, last_year=2040)
    page = client.get(url, {"goal": other_goal.pk}).content.decode()  # another collaboration's goal: not a choice
    assert "Fra Smøla" in page and "Fra Sunndal" in page


def test_list_paginates_by_25(login, world, report):
    for n in range(27):
        submitted(report, title=f"Behov nummer {n:02d}")
    client = login(world.member_small)
    first = client.get(reverse("ikt_portal:needs")).content.decode()
    assert first.count('class="ds-card portal-need-card"') == 25 and "27 needs" in first
    second = client.get(reverse("ikt_portal:needs"), {"page": 2}).content.decode()
    assert second.count('class="ds-card portal-need-card"') == 2


def test_list_query_count_does_not_grow_with_rows(login, world, report, make_person):
    client = login(world.member_small)
    submitted(report)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("ikt_portal:needs")).status_code == 200
        return len(queries)

    few = count()
    for n in range(6):
        need = submitted(report, title=f"Behov {n}")
        services.co_sign(need, user=world.council_member.user)
    assert count() == few


# ---------------------------------------------------------------------------------------------- voting


@pytest.fixture
def at_council(world, report, seat, make_person):
    """A need before the portfolio council: `rad` (Sunndal), `stor` (Kristiansund), `liten` (Smøla); quorum 3."""
    world.council_large = make_person("stor", municipality=world.large)
    seat(world.council_large, world.council_a, represents=world.large)
    world.council_small = make_person("liten", municipality=world.small)
    seat(world.council_small, world.council_a, represents=world.small)
    need = submitted(report, estimated_cost="100000.00")
    for action in ("take_up", "recommend", "send_to_council"):
        workflow.perform(need, action, world.lead.user)
    return need


def test_council_members_vote_on_the_need_page(login, world, at_council):
    need = at_council
    client = login(world.council_member)
    page = client.get(need_url(need)).content.decode()
    assert reverse("ikt_portal:vote", args=[need.pk]) in page and 'value="abstain"' in page
    response = client.post(reverse("ikt_portal:vote", args=[need.pk]), {"action": "include", "choice": "yes"})
    assert response.status_code == 302
    again = client.post(reverse("ikt_portal:vote", args=[need.pk]), {"action": "include", "choice": "no"})
    assert again.status_code == 302  # refused with a message: one vote per seat
    need.refresh_from_db()
    assert need.state == "portfolio_council"
    vote_url = reverse("ikt_portal:vote", args=[need.pk])
    login(world.council_large).post(vote_url, {"action": "include", "choice": "yes", "comment": "Viktig."})
    need.refresh_from_db()
    assert need.state == "portfolio_council"  # two of three have voted: no quorum yet
    login(world.council_small).post(vote_url, {"action": "include", "choice": "abstain"})
    need.refresh_from_db()
    assert need.state == "approved"
    votes = {v.voter.user.username: v.choice for v in Vote.objects.select_related("voter__user")}
    assert votes == {"rad": "yes", "stor": "yes", "liten": "abstain"}


def test_who_may_not_vote_is_refused_and_nothing_is_written(login, world, at_council):
    need = at_council
    submitter = login(world.member_small)
    assert reverse("ikt_portal:vote", args=[need.pk]) not in submitter.get(need_url(need)).content.decode()
    response = submitter.post(reverse("ikt_portal:vote", args=[need.pk]), {"action": "include", "choice": "yes"})
    assert response.status_code == 302
    bad = login(world.council_member).post(reverse("ikt_portal:vote", args=[need.pk]), {"action": "include"})
    assert bad.status_code == 302  # no choice: refused
    assert not Vote.objects.exists()
    other = login(world.member_other)  # another collaboration: not found
    assert (
        other.post(reverse("ikt_portal:vote", args=[need.pk]), {"action": "include", "choice": "yes"}).status_code
        == 404
    )


def test_the_filtered_list_downloads_as_csv_and_xlsx(login, world, report, make_person, client):
    import io

    from openpyxl import load_workbook

    submitted(report, title="Fra Smøla")
    other = make_person("sunndal_innmelder", municipality=world.medium, language="en")
    submitted(report, user=other.user, title="Fra Sunndal")
    submitted(report, title="Utkast fra Smøla")  # submitted too, but filtered away below
    client = login(world.member_small)
    page = client.get(reverse("ikt_portal:needs"), {"municipality": world.medium.pk}).content.decode()
    assert reverse("ikt_portal:needs_download", args=["csv"]) + f"?municipality={world.medium.pk}" in page
    response = client.get(reverse("ikt_portal:needs_download", args=["csv"]), {"municipality": world.medium.pk})
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "Fra Sunndal" in text and "Fra Smøla" not in text
    response = client.get(reverse("ikt_portal:needs_download", args=["xlsx"]), {"q": "Smøla"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    titles = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert titles == {"Fra Smøla", "Utkast fra Smøla"}
    assert client.get("/portal/needs.exe").status_code == 404
    client.logout()
    assert client.get(reverse("ikt_portal:needs_download", args=["csv"])).status_code == 302
    # another collaboration's user downloads only their own collaboration's needs
    other_client = login(world.member_other)
    text = b"".join(other_client.get(reverse("ikt_portal:needs_download", args=["csv"])).streaming_content).decode()
    assert "Fra Sunndal" not in text and "Fra Smøla" not in text
