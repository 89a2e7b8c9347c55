"""Projects in the workflow inbox: the gates the owner may pass are there, weighed in a bounded number of
queries however many projects wait (the phase conditions read the checklists and participants in bulk)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ikt_portfolio.projects import services
from ikt_portfolio.projects.models import ChecklistAnswer, GateChecklistItem
from ikt_portfolio.workflow import services as workflow

pytestmark = pytest.mark.django_db


def inbox_queries(user):
    with CaptureQueriesContext(connection) as captured:
        items = workflow.inbox(user)
    return len(captured), items


def test_the_inbox_weighs_many_projects_in_bounded_queries(world, phases, approved, people):
    def add(n):
        for index in range(n):
            services.create_project_from_needs([approved(title=f"Behov {index}")], people.owner.user)

    add(1)
    workflow.inbox(world.admin_a.user)  # warm the caches (workflow graphs, content types)
    first, items = inbox_queries(world.admin_a.user)
    add(4)
    again, items = inbox_queries(world.admin_a.user)
    assert again == first
    workflow.inbox(people.owner.user)
    owner_count, owner_items = inbox_queries(people.owner.user)
    add(2)
    assert inbox_queries(people.owner.user)[0] == owner_count


def test_bulk_condition_counts_match_the_single_ones(world, phases, approved, people):
    projects = [services.create_project_from_needs([approved(title=f"B {i}")], people.owner.user) for i in range(2)]
    done = projects[0]
    for item in GateChecklistItem.objects.filter(workflow_id=done.workflow_version.workflow_id, from_state=done.state):
        ChecklistAnswer.objects.create(project=done, item=item, done=True)
    counts = services.condition_counts(projects)
    for project in projects:
        assert counts[project]["checklist_complete"] == (not services.missing_checklist_items(project))
        assert counts[project]["participants"] == project.participations.exclude(status="opts_out").count()
    assert counts[done]["checklist_complete"] and not counts[projects[1]]["checklist_complete"]
