import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ikt_portfolio.workflow import services as workflow

pytestmark = pytest.mark.django_db


def test_need_list_shows_status_names_and_queries_stay_bounded(client, world, report):
    def count():
        client.force_login(type(world.admin_a.user).objects.get(pk=world.admin_a.user.pk))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("admin:ikt_needs_need_changelist")).content.decode()
        return len(queries), page

    for index in range(2):
        workflow.perform(report(title=f"Behov {index}"), "submit", world.member_small.user)
    count()
    few, page = count()
    assert "Meldt inn" in page
    for index in range(2, 12):
        report(title=f"Behov {index}")
    many, page = count()
    assert many == few and "Utkast" in page


def test_need_page_shows_the_workflow_panel(client, world, report):
    need = report()
    client.force_login(world.member_small.user)
    page = client.get(reverse("admin:ikt_needs_need_change", args=[need.pk])).content.decode()
    assert "Meld inn" in page and need.title in page


def test_needs_of_another_collaboration_are_hidden(client, world, report):
    need = report()
    client.force_login(world.admin_b.user)
    response = client.get(reverse("admin:ikt_needs_need_change", args=[need.pk]))
    assert response.status_code == 302
    assert need.title not in client.get(reverse("admin:ikt_needs_need_changelist")).content.decode()


def test_edit_rights_follow_the_state(client, world, report):
    need = report()
    url = reverse("admin:ikt_needs_need_change", args=[need.pk])
    client.force_login(world.member_small.user)
    assert 'name="title"' in client.get(url).content.decode()  # a draft: the submitter edits
    workflow.perform(need, "submit", world.member_small.user)
    assert 'name="title"' not in client.get(url).content.decode()  # submitted: read-only for them
    client.force_login(world.lead.user)
    assert 'name="title"' not in client.get(url).content.decode()
    workflow.perform(need, "take_up", world.lead.user)
    assert 'name="title"' in client.get(url).content.decode()  # in the sector group: the lead edits


def test_posting_an_edit_outside_ones_rights_is_refused(client, world, report):
    need = report()
    workflow.perform(need, "submit", world.member_small.user)
    client.force_login(world.member_small.user)
    response = client.post(
        reverse("admin:ikt_needs_need_change", args=[need.pk]),
        {"title": "Endret etter innsending", "problem": need.problem, "service_area": world.health_a.pk},
    )
    assert response.status_code == 403
    need.refresh_from_db()
    assert need.title != "Endret etter innsending"


def test_the_start_page_shows_the_sector_queue_to_its_lead_only(client, world, report):
    workflow.perform(report(), "submit", world.member_small.user)
    client.force_login(world.lead.user)
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:ikt_needs_sector_queue") in page
    client.force_login(world.member_small.user)
    assert reverse("admin:ikt_needs_sector_queue") not in client.get(reverse("admin:index")).content.decode()


# ------------------------------------------------------------------------------------ assessing in the Desk

ASSESS_SCORES = {"strategic_fit": 5, "economic_benefit": 3, "quality_inhabitants": 4, "urgency": 2, "risk": 2}


def _assess_form(scores=ASSESS_SCORES, **fields):
    data = {f"score_{key}": str(level) for key, level in scores.items()}
    return data | {"estimated_cost": "650 000", "estimated_effort": "8,5", "recommendation": "Anbefales."} | fields


@pytest.fixture
def taken_up(world, report):
    from ikt_portfolio.needs import assessment

    assessment.ensure_default_criteria(world.a)
    need = report()
    workflow.perform(need, "submit", world.member_small.user)
    workflow.perform(need, "take_up", world.lead.user)
    return need


def test_the_lead_assesses_from_the_needs_desk_page(client, world, taken_up):
    from ikt_portfolio.needs.models import Assessment

    assess_url = reverse("admin:ikt_needs_need_assess_need", args=[taken_up.pk])
    client.force_login(world.lead.user)
    assert assess_url in client.get(reverse("admin:ikt_needs_need_change", args=[taken_up.pk])).content.decode()
    assert assess_url in client.get(reverse("admin:ikt_needs_sector_queue")).content.decode()
    page = client.get(assess_url)
    assert page.status_code == 200 and 'name="score_strategic_fit"' in page.content.decode()
    assert 'name="score_breadth"' not in page.content.decode()

    refused = client.post(assess_url, _assess_form(ASSESS_SCORES | {"urgency": "6"}))
    assert refused.status_code == 400 and 'id="error-summary"' in refused.content.decode()
    assert not Assessment.objects.exists()

    response = client.post(assess_url, _assess_form())
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:ikt_needs_need_change", args=[taken_up.pk])
    result = Assessment.objects.get(need=taken_up)
    assert str(result.total) == "56.25" and result.capacity == "sector_lead"
    assert str(result.estimated_cost) == "650000.00"
    page = client.get(assess_url).content.decode()  # prefilled, with the current breakdown
    assert 'value="5" id="id_score_strategic_fit_4" required checked' in page
    assert "56.25" in page or "56,25" in page  # the current breakdown's total


def test_others_are_sent_back_with_the_reason_and_nothing_is_written(client, world, report, taken_up, make_person,
                                                                      seat):  # fmt: skip
    from django.contrib.messages import get_messages
    from django.utils import translation

    from ikt_portfolio.members.models import Body, BodyMembership, ServiceArea
    from ikt_portfolio.needs.models import Assessment

    economy = ServiceArea.objects.create(collaboration=world.a, code="okonomi", name="Økonomi")
    body = Body.objects.create(collaboration=world.a, kind=Body.Kind.SECTOR_GROUP, name="Økonomi", service_area=economy)
    economy_rep = make_person("rep_okonomi", municipality=world.large, language="en")
    seat(economy_rep, body, BodyMembership.Role.MEMBER, represents=world.large)
    assess_url = reverse("admin:ikt_needs_need_assess_need", args=[taken_up.pk])
    change_url = reverse("admin:ikt_needs_need_change", args=[taken_up.pk])
    for person in (economy_rep, world.member_small, world.council_member):
        person.language = "en"
        person.save()
        client.force_login(person.user)
        assert assess_url not in client.get(change_url).content.decode()  # no button
        for response in (client.get(assess_url), client.post(assess_url, _assess_form())):
            assert response.status_code == 302 and response["Location"] == change_url
            texts = [str(m) for m in get_messages(response.wsgi_request)]
            assert any("Only the sector lead or a sector representative" in text for text in texts), texts
    client.force_login(world.admin_b.user)  # another collaboration: the need does not exist for them
    response = client.post(assess_url, _assess_form())
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert not Assessment.objects.exists()
    taken_up.refresh_from_db()
    assert taken_up.estimated_cost is None

    waiting = report(title="Ikke tatt opp")
    workflow.perform(waiting, "submit", world.member_small.user)
    client.force_login(world.lead.user)
    with translation.override("en"):
        response = client.post(reverse("admin:ikt_needs_need_assess_need", args=[waiting.pk]), _assess_form())
    assert response.status_code == 302
    assert not Assessment.objects.exists()


def test_the_need_page_computes_the_score_breakdown_once(client, world, taken_up):
    from ikt_portfolio.needs import assessment

    assessment.assess(taken_up, user=world.lead.user, scores={"strategic_fit": 4, "economic_benefit": 3,
                      "quality_inhabitants": 5, "urgency": 4, "risk": 2})  # fmt: skip
    client.force_login(world.lead.user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:ikt_needs_need_change", args=[taken_up.pk]))
    assert page.status_code == 200 and "Σ" in page.content.decode()  # the breakdown table is there
    score_reads = [q for q in queries.captured_queries if 'FROM "ikt_needs_criterionscore"' in q["sql"]]
    assert len(score_reads) <= 1, [q["sql"] for q in score_reads]
