import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ikt_portfolio.members.models import Person
from ikt_portfolio.projects import services
from ikt_portfolio.projects.models import BudgetLine, Project


@pytest.fixture(autouse=True)
def english_people(world, people):
    Person.objects.all().update(language="en")


def page(client, user, project):
    client.force_login(user)
    return client.get(reverse("ikt_portal:project", args=[project.pk]))


def test_need_page_offers_conversion_to_those_allowed_and_links_the_project(client, world, phases, approved, people):
    need = approved()
    url = reverse("ikt_portal:need", args=[need.pk])
    client.force_login(world.member_small.user)
    assert b"project_from_need" not in client.get(url).content
    assert "Make it a project" not in client.get(url).content.decode()
    refused = client.post(reverse("ikt_portal:project_from_need", args=[need.pk]))
    assert refused.status_code == 302 and not Project.objects.exists()

    client.force_login(people.owner.user)
    assert "Make it a project" in client.get(url).content.decode()
    response = client.post(reverse("ikt_portal:project_from_need", args=[need.pk]), {"comment": "Godkjent"})
    project = Project.objects.get()
    assert response.url == reverse("ikt_portal:project", args=[project.pk])
    body = client.get(url).content.decode()
    assert reverse("ikt_portal:project", args=[project.pk]) in body and "Make it a project" not in body


@pytest.mark.parametrize(
    "who, status",
    [
        ("owner", 200),
        ("manager", 200),
        ("admin_a", 200),
        ("member_small", 200),  # Smøla takes part
        ("lead", 200),  # the collaboration's staff
        ("large_staff", 404),  # Kristiansund: a member, but not in this project
        ("member_other", 404),  # another collaboration
        ("admin_b", 404),
        ("outsider", 404),
    ],
)
def test_who_sees_the_project_page(client, world, project, people, who, status):
    user = getattr(people, who, None) or getattr(world, who)
    user = getattr(user, "user", user)
    assert page(client, user, project).status_code == status


def test_everyone_in_the_collaboration_sees_the_list(client, world, project, people):
    client.force_login(people.large_staff.user)
    response = client.get(reverse("ikt_portal:projects"))
    assert response.status_code == 200 and project.title in response.content.decode()
    client.force_login(world.member_other.user)
    assert project.title not in client.get(reverse("ikt_portal:projects")).content.decode()


def test_list_filters(client, world, project, people):
    client.force_login(people.owner.user)
    url = reverse("ikt_portal:projects")
    assert project.title in client.get(url, {"state": "forfase"}).content.decode()
    assert project.title not in client.get(url, {"state": "drift"}).content.decode()
    assert project.title in client.get(url, {"municipality": world.small.pk}).content.decode()
    assert project.title not in client.get(url, {"municipality": world.large.pk}).content.decode()


def test_gate_through_the_portal(client, world, project, people):
    client.force_login(people.owner.user)
    items = [item for item, _answer in services.checklist(project)]
    response = client.post(
        reverse("ikt_portal:project_action", args=[project.pk]),
        {"action": "start_preproject", "act-start_preproject-comment": "Videre"},
    )
    assert response.status_code == 400  # refused, naming the missing items
    assert "checklist is not complete" in response.content.decode() and items[1].name_en in response.content.decode()
    project.refresh_from_db()
    assert project.state == "forfase"
    body = page(client, people.owner.user, project).content.decode()
    assert items[0].name_en in body and "checklist is not complete" in body
    client.post(reverse("ikt_portal:project_checklist", args=[project.pk]), {"done": [i.pk for i in items]})
    response = client.post(
        reverse("ikt_portal:project_action", args=[project.pk]),
        {"action": "start_preproject", "act-start_preproject-comment": "Videre", "act-start_preproject-revision": "1"},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.state == "forprosjekt"


def test_record_forms_refuse_bad_input_and_others(client, world, project, people):
    client.force_login(people.owner.user)
    url = reverse("ikt_portal:project_budget", args=[project.pk])
    response = client.post(url, {"budget-year": "2026", "budget-kind": "investment", "budget-amount": "-5"})
    assert response.status_code == 400 and not BudgetLine.objects.exists()
    response = client.post(
        reverse("ikt_portal:project_participation", args=[project.pk]),
        {"municipality_id": world.medium.pk, f"part-{world.medium.pk}-status": "opts_out"},
    )
    assert response.status_code == 400
    assert project.participations.get(municipality=world.medium).status == "participates"
    client.post(url, {"budget-year": "2026", "budget-kind": "investment", "budget-amount": "125000,50"})
    assert BudgetLine.objects.get().amount == 125000.50

    client.force_login(world.member_small.user)  # sees the page, may not change it
    client.post(url, {"budget-year": "2027", "budget-kind": "investment", "budget-amount": "1"})
    client.post(reverse("ikt_portal:project_checklist", args=[project.pk]), {"done": []})
    assert BudgetLine.objects.count() == 1
    body = page(client, world.member_small.user, project).content.decode()
    assert 'id="checklist-form"' not in body and "Save the budget line" not in body


def test_pages_run_a_bounded_number_of_queries(client, world, phases, approved, people):
    def count(url):
        client.force_login(people.owner.user)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    first = services.create_project_from_needs([approved("En")], people.owner.user)
    list_url, page_url = reverse("ikt_portal:projects"), reverse("ikt_portal:project", args=[first.pk])
    small_list, small_page = count(list_url), count(page_url)
    for i in range(4):
        services.create_project_from_needs([approved(f"Flere {i}")], people.owner.user)
    for year in (2026, 2027, 2028):
        services.set_budget_line(first, people.owner.user, year=year, kind="investment", amount="1000")
    for i in range(5):
        services.add_risk(first, people.owner.user, description=f"R{i}", probability=2, consequence=3)
        services.add_status_report(
            first, people.owner.user, scope="green", time="green", cost="amber", benefits="red", comment=f"S{i}"
        )
    services.set_participation(first, world.large, people.owner.user, status="participates")
    assert count(list_url) == small_list
    assert count(page_url) == small_page
