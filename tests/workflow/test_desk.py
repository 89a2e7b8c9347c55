import pytest
from django.urls import reverse

from ikt_portfolio.workflow import services
from ikt_portfolio.workflow.models import State, WorkflowVersion

pytestmark = pytest.mark.django_db


def test_version_page_draws_the_diagram(client, route):
    client.force_login(route.world.admin_a.user)
    page = client.get(reverse("admin:ikt_workflow_workflowversion_change", args=[route.version.pk])).content.decode()
    assert "<svg" in page and "Til porteføljerådet" in page and "Ta med i porteføljen" in page


def test_inbox_lists_what_waits_for_the_user(client, route, new_ticket):
    ticket = new_ticket(title="Velferdsteknologi i hjemmetjenesten")
    services.perform(ticket, "submit", route.submitter.user)
    client.force_login(route.world.lead.user)
    page = client.get(reverse("admin:ikt_workflow_inbox")).content.decode()
    assert "Velferdsteknologi i hjemmetjenesten" in page
    client.force_login(route.world.member_other.user)
    page = client.get(reverse("admin:ikt_workflow_inbox")).content.decode()
    assert "Velferdsteknologi" not in page


def test_dashboard_counts_the_inbox(client, route, new_ticket):
    services.perform(new_ticket(), "submit", route.submitter.user)
    client.force_login(route.world.lead.user)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Venter på deg" in page or "Waiting for you" in page


def test_publishing_a_broken_draft_shows_every_reason(client, route):
    admin = route.world.admin_a.user
    draft = services.new_draft(route.version.workflow, admin)
    State.objects.create(version=draft, key="orphan", name="Foreldreløs", category="open")
    client.force_login(admin)
    response = client.get(reverse("admin:ikt_workflow_workflowversion_publish_version", args=[draft.pk]), follow=True)
    assert "orphan" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == WorkflowVersion.Status.DRAFT


def test_new_draft_and_publish_from_the_desk(client, route):
    client.force_login(route.world.admin_a.user)
    response = client.get(reverse("admin:ikt_workflow_workflow_make_draft", args=[route.version.workflow.pk]))
    draft = WorkflowVersion.objects.get(workflow=route.version.workflow, number=2)
    assert response.status_code == 302 and draft.states.count() == route.version.states.count()
    client.get(reverse("admin:ikt_workflow_workflowversion_publish_version", args=[draft.pk]))
    draft.refresh_from_db()
    route.version.refresh_from_db()
    assert draft.status == "published" and route.version.status == "retired"


def test_another_collaboration_cannot_see_the_workflow(client, route):
    client.force_login(route.world.admin_b.user)
    response = client.get(reverse("admin:ikt_workflow_workflowversion_change", args=[route.version.pk]))
    assert response.status_code == 302


def test_document_page_shows_actions_and_reasons_and_acts(client, route, new_ticket):
    ticket = new_ticket(title="Felles journalsystem")
    services.perform(ticket, "submit", route.submitter.user)
    client.force_login(route.world.lead.user)
    url = reverse("admin:workflow_app_ticket_change", args=[ticket.pk])
    page = client.get(url).content.decode()
    assert "Ta opp i faggruppen" in page and 'name="revision"' in page
    response = client.post(
        reverse("admin:workflow_app_ticket_workflow", args=[ticket.pk]),
        {"action": "take_up", "revision": ticket.workflow_revision, "next": url},
    )
    assert response.status_code == 302 and response.url == url
    ticket.refresh_from_db()
    assert ticket.state == "in_sector_group"


def test_document_page_refuses_with_the_reason(client, route, new_ticket):
    ticket = new_ticket()
    client.force_login(route.world.lead.user)
    response = client.post(
        reverse("admin:workflow_app_ticket_workflow", args=[ticket.pk]), {"action": "submit"}, follow=True
    )
    ticket.refresh_from_db()
    assert ticket.state == "draft"
    assert any("submitter" in str(m) or "innmelder" in str(m) for m in response.context["messages"])


def test_document_page_does_not_redirect_elsewhere(client, route, new_ticket):
    ticket = new_ticket()
    client.force_login(route.submitter.user)
    response = client.post(
        reverse("admin:workflow_app_ticket_workflow", args=[ticket.pk]),
        {"action": "submit", "next": "https://evil.example/"},
    )
    assert "evil" not in response.url


def test_votes_from_the_document_page(client, route, new_ticket):
    from tests.workflow.test_engine import at_council

    ticket = at_council(route, new_ticket())
    for member, choice in zip(route.council, ("yes", "yes", "abstain"), strict=True):
        client.force_login(member.user)
        client.post(
            reverse("admin:workflow_app_ticket_workflow", args=[ticket.pk]), {"action": "include", "choice": choice}
        )
    ticket.refresh_from_db()
    assert ticket.state == "approved"


def test_choosing_the_ks_model_in_the_desk(client, route):
    from tests.workflow.conftest import fixture_data

    ks = services.import_workflow(fixture_data("need_routing_ks.json"), route.world.a).workflow
    client.force_login(route.world.admin_a.user)
    client.get(reverse("admin:ikt_workflow_workflow_make_active", args=[ks.pk]))
    ks.refresh_from_db()
    route.version.workflow.refresh_from_db()
    assert ks.is_active and not route.version.workflow.is_active


def test_two_active_workflows_for_one_kind_are_refused(route):
    from django.core.exceptions import ValidationError

    from tests.workflow.conftest import fixture_data

    ks = services.import_workflow(fixture_data("need_routing_ks.json"), route.world.a).workflow
    ks.is_active = True
    with pytest.raises(ValidationError):
        ks.full_clean()
