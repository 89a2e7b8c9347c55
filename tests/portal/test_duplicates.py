"""The report form's duplicate check: similar needs are shown with the offer to co-sign instead, before saving."""

import pytest
from django.urls import reverse

from ikt_portfolio.needs.models import Need
from ikt_portfolio.workflow import services as workflow

pytestmark = pytest.mark.django_db

REPORT = reverse("ikt_portal:report")
FORM = {
    "title": "Kamera-tilsyn om natta i heimetenesta",
    "problem": "Nattevakta køyrer langt for å sjå til brukarar som søv.",
    "purchase_needed": "unsure",
    "affected_group": "employees",
    "benefit_type": "quality",
    "urgency": "medium",
}


@pytest.fixture
def existing(world, report, make_person):
    sunndal = make_person("sunndal", municipality=world.medium)
    need = report(
        user=sunndal.user,
        title="Digitalt tilsyn om natten i hjemmetjenesten",
        problem="Nattevakten kjører langt for å se til brukere som sover.",
    )
    workflow.perform(need, "submit", sunndal.user)
    return need


def co_sign_link(need):
    return f'href="{reverse("ikt_portal:need", args=[need.pk])}#cosign-heading"'


def test_check_button_shows_similar_needs_and_saves_nothing(login, world, existing):
    response = login(world.member_small).post(
        REPORT, {**FORM, "title": FORM["title"], "service_area": "", "intent": "check"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Similar needs" in page
    assert f"{existing.reference}: {existing.title}" in page
    assert co_sign_link(existing) in page
    assert 'class="ds-error-summary"' not in page  # only a check: unfinished fields are not errors yet
    assert f'value="{FORM["title"]}"' in page  # what was typed is kept
    assert Need.objects.count() == 1


def test_check_without_similar_needs_says_so(login, world, existing):
    page = (
        login(world.member_small)
        .post(
            REPORT,
            {**FORM, "title": "Felles system for vikarbestilling", "problem": "Vikarer på telefon.", "intent": "check"},
        )
        .content.decode()
    )
    assert "We found no similar needs" in page and existing.reference not in page


def test_submitting_a_similar_need_stops_once_then_submits_anyway(login, world, existing):
    client = login(world.member_small)
    data = {**FORM, "service_area": world.health_a.pk, "intent": "submit"}
    response = client.post(REPORT, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "has not been submitted yet" in page and co_sign_link(existing) in page
    assert f'name="similar_seen" value="{existing.pk}"' in page
    assert "Submit mine anyway" in page
    assert Need.objects.count() == 1

    response = client.post(REPORT, {**data, "similar_seen": str(existing.pk)})
    new = Need.objects.exclude(pk=existing.pk).get()
    assert response.status_code == 302 and new.state == "submitted"


def test_drafts_and_dissimilar_needs_are_saved_at_once(login, world, existing):
    client = login(world.member_small)
    response = client.post(REPORT, {**FORM, "service_area": world.health_a.pk, "intent": "draft"})
    assert response.status_code == 302
    response = client.post(
        REPORT,
        {
            **FORM,
            "title": "Felles system for vikarbestilling",
            "problem": "Vikarer bestilles på telefon.",
            "service_area": world.health_a.pk,
            "intent": "submit",
        },
    )
    assert response.status_code == 302 and Need.objects.count() == 3


def test_own_municipalitys_need_is_shown_without_the_co_sign_offer(login, world, report, need_routing):
    mine = report(title="Digitalt tilsyn om natten i hjemmetjenesten")
    workflow.perform(mine, "submit", world.member_small.user)
    page = login(world.member_small).post(REPORT, {**FORM, "intent": "check"}).content.decode()
    assert mine.reference in page and co_sign_link(mine) not in page
    assert "reported by your municipality" in page


def test_drafts_and_other_collaborations_are_not_shown(login, world, report, need_routing):
    report(title="Digitalt tilsyn om natten i hjemmetjenesten")  # Smøla's draft
    page = login(world.member_other).post(REPORT, {**FORM, "intent": "check"}).content.decode()
    assert "B-1" not in page


def test_the_sector_lead_merges_from_the_need_page_and_co_signers_follow(client, world, make_person):
    from ikt_portfolio.needs import services
    from ikt_portfolio.needs.models import CoSign
    from ikt_portfolio.workflow import services as workflow
    from ikt_portfolio.workflow.services import import_workflow
    from tests.workflow.conftest import fixture_data

    import_workflow(fixture_data("need_routing_recommended.json", "ikt_needs.need"), world.a, activate=True)
    reporter = make_person("sunndal_reporter", municipality=world.medium)
    original = services.create_need(
        user=world.member_small.user, collaboration=world.a, title="Digitalt tilsyn", problem="Natt.",
        service_area=world.health_a,
    )  # fmt: skip
    duplicate = services.create_need(
        user=reporter.user, collaboration=world.a, title="Kameratilsyn", problem="Natt.", service_area=world.health_a
    )
    for need in (original, duplicate):
        workflow.perform(need, "submit", need.submitted_by.user)
        workflow.perform(need, "take_up", world.lead.user)
    client.force_login(world.lead.user)
    response = client.post(
        f"/portal/needs/{duplicate.pk}/action/",
        {"action": "merge", "act-merge-comment": "Samme behov", "into": original.reference},
    )
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.state == "merged" and duplicate.merged_into == original
    assert CoSign.objects.filter(need=original, municipality=world.medium).exists()


@pytest.fixture
def merge_pair(world, make_person, need_routing):
    from ikt_portfolio.needs import services

    reporter = make_person("sunndal_reporter", municipality=world.medium)
    original = services.create_need(
        user=world.member_small.user, collaboration=world.a, title="Digitalt tilsyn", problem="Natt.",
        service_area=world.health_a,
    )  # fmt: skip
    duplicate = services.create_need(
        user=reporter.user, collaboration=world.a, title="Kameratilsyn", problem="Natt.", service_area=world.health_a
    )
    for need in (original, duplicate):
        workflow.perform(need, "submit", need.submitted_by.user)
        workflow.perform(need, "take_up", world.lead.user)
    return duplicate, original


def test_the_desk_merge_button_asks_for_the_target_and_carries_co_signers(client, world, merge_pair):
    from ikt_portfolio.needs.models import CoSign

    duplicate, original = merge_pair
    client.force_login(world.lead.user)
    change = reverse("admin:ikt_needs_need_change", args=[duplicate.pk])
    page = client.get(change).content.decode()
    assert 'name="into"' in page  # the merge action's extra input
    url = change.replace("/change/", "/workflow/")
    client.post(url, {"action": "merge", "comment": "Samme behov", "into": "B-999", "next": change})
    duplicate.refresh_from_db()
    assert duplicate.state == "in_sector_group"  # an unknown target: refused, nothing written
    client.post(url, {"action": "merge", "comment": "Samme behov", "into": original.reference, "next": change})
    duplicate.refresh_from_db()
    assert duplicate.state == "merged" and duplicate.merged_into == original
    assert CoSign.objects.filter(need=original, municipality=world.medium).exists()


def test_the_api_merges_with_the_target_as_an_input(client, world, merge_pair):
    from ikt_portfolio.needs.models import CoSign

    duplicate, original = merge_pair
    client.force_login(world.lead.user)
    url = f"/api/v1/workflow/documents/ikt_needs.need/{duplicate.pk}/"
    merge = next(a for a in client.get(url).json()["actions"] if a["action"] == "merge")
    assert [i["name"] for i in merge["inputs"]] == ["into"]
    refused = client.post(
        url + "perform/",
        {"action": "merge", "comment": "Samme", "inputs": {"into": "x"}},
        content_type="application/json",
    )
    assert refused.status_code == 400 and not CoSign.objects.filter(need=original).exists()
    response = client.post(
        url + "perform/",
        {"action": "merge", "comment": "Samme", "inputs": {"into": str(original.number)}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"]["key"] == "merged"
    assert CoSign.objects.filter(need=original, municipality=world.medium).exists()


def test_comments_of_a_merged_duplicate_show_on_the_target_page(client, world, merge_pair):
    from ikt_portfolio.needs import duplicates, services

    duplicate, original = merge_pair
    services.add_comment(duplicate, user=world.lead.user, body="Gjelder dette alle sykehjem?")
    duplicates.merge(duplicate, original, user=world.lead.user, comment="Samme behov")
    client.force_login(world.member_small.user)
    page = client.get(reverse("ikt_portal:need", args=[original.pk])).content.decode()
    assert "Gjelder dette alle sykehjem?" in page
    assert reverse("ikt_portal:need", args=[duplicate.pk]) in page  # "merged into this need" link and the mark
    duplicate_page = client.get(reverse("ikt_portal:need", args=[duplicate.pk])).content.decode()
    assert reverse("ikt_portal:need", args=[original.pk]) in duplicate_page
