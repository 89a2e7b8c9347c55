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
