import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ikt_portfolio.needs.models import Need
from ikt_portfolio.projects import services
from ikt_portfolio.projects.models import BudgetLine, ChecklistAnswer, GateChecklistItem, Participation, Project
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.services import ActionRefused

from .conftest import transitions_of


def tick_all(project, user, action=None):
    for item, _answer in services.checklist(project, action):
        services.answer_checklist(project, item, user, done=True)


# ------------------------------------------------------------------------------------------ conversion


def test_conversion_carries_over_and_links_both_ways(world, phases, approved, people):
    need = approved()
    project = services.create_project_from_needs([need], people.owner.user)
    need.refresh_from_db()
    assert need.state == "converted"
    assert list(project.needs.all()) == [need]
    assert list(need.projects.all()) == [project]
    assert project.title == need.title and need.problem in project.description
    assert list(project.service_areas.all()) == [world.health_a]
    assert project.estimated_cost == Decimal("400000.00") and project.estimated_effort == Decimal("3.5")
    assert "Færre nattlige turer" in project.expected_benefits and "Det samme" in project.expected_benefits
    members = {p.municipality_id: p for p in project.participations.all()}
    assert set(members) == {world.small.pk, world.medium.pk}
    assert all(p.decided_at is None for p in members.values())  # proposed
    assert project.owner == people.owner and project.state == "forfase" and project.reference == "P-1"
    assert transitions_of(need).last().action == "convert"


def test_several_needs_make_one_project(world, phases, approved, people):
    first, second = approved("Først", cost="100000"), approved("Andre", cost="250000")
    project = services.create_project_from_needs([first, second], people.owner.user, title="Felles")
    assert project.estimated_cost == Decimal("350000.00")
    assert set(project.needs.all()) == {first, second}
    assert set(Need.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)) == {"converted"}
    assert first.reference in project.description and second.reference in project.description


def test_conversion_refused_for_a_need_not_approved(world, phases, approved, report, people):
    ok = approved()
    draft = report(title="Utkast")
    with pytest.raises(ValidationError, match="not approved"):
        services.create_project_from_needs([ok, draft], people.owner.user)
    assert not Project.objects.exists()
    ok.refresh_from_db()
    assert ok.state == "approved"


@pytest.mark.parametrize("who", ["member_small", "council_member", "admin_b", "lead"])
def test_conversion_refused_for_those_not_allowed(world, phases, approved, people, who):
    need = approved()
    with pytest.raises((services.ProjectRefused, ValidationError)):
        services.create_project_from_needs([need], getattr(world, who).user)
    assert not Project.objects.exists() and not Participation.objects.exists()
    need.refresh_from_db()
    assert need.state == "approved"


def test_administrator_converts(world, phases, approved):
    project = services.create_project_from_needs([approved()], world.admin_a.user)
    assert project.owner is None and project.state == "forfase"


def test_conversion_without_a_phase_routing_writes_nothing(world, approved, people):
    need = approved()
    with pytest.raises(workflow.WorkflowError):
        services.create_project_from_needs([need], people.owner.user)
    assert not Project.objects.exists()
    need.refresh_from_db()
    assert need.state == "approved"


# --------------------------------------------------------------------------------------------- gates


def test_phase_routings_load_with_checklists(world):
    ks = services.install_phase_workflow(world.a, "ks")
    digdir = services.install_phase_workflow(world.a, "digdir", activate=True)
    assert {s.key for s in ks.states.all()} >= {"forfase", "forprosjekt", "gjennomforing", "drift"}
    assert {s.key for s in digdir.states.all()} >= {"konsept", "planlegge", "gjennomfore", "avslutte", "realisere"}
    execution = GateChecklistItem.objects.filter(workflow=digdir.workflow, action="start_execution")
    assert "benefits_plan" in set(execution.values_list("key", flat=True))
    board_gate = digdir.transitions.get(action="start_execution")
    assert board_gate.committee == "board" and board_gate.comment_required


def test_gate_refused_with_incomplete_checklist_then_passed(world, project, people):
    owner = people.owner.user
    items = services.checklist(project)
    assert len(items) == 2
    services.answer_checklist(project, items[0][0], owner, done=True)
    with pytest.raises(ActionRefused) as refusal:
        workflow.act(project, "start_preproject", owner, comment="Klar")
    assert items[1][0].name_en in refusal.value.message
    assert items[0][0].name_en not in refusal.value.message
    project.refresh_from_db()
    assert project.state == "forfase" and transitions_of(project).count() == 1

    tick_all(project, owner)
    with pytest.raises(ActionRefused, match="reason"):
        workflow.act(project, "start_preproject", owner, comment="")
    workflow.act(project, "start_preproject", owner, comment="Mandatet er klart")
    project.refresh_from_db()
    assert project.state == "forprosjekt"
    assert transitions_of(project).last().capacity == "project_owner"


def test_only_the_projects_own_owner_passes_its_gate(world, project, people, make_person, assign):
    other_owner = make_person("annen_eier", staff_of=world.a)
    assign(other_owner, world.a, "project_owner")
    tick_all(project, people.owner.user)
    with pytest.raises(ActionRefused):
        workflow.act(project, "start_preproject", other_owner.user, comment="Nei")
    with pytest.raises(ActionRefused):
        workflow.act(project, "start_preproject", people.manager.user, comment="Nei")


def test_board_gate_waits_for_its_checklist(world, project, people):
    owner = people.owner.user
    tick_all(project, owner)
    workflow.act(project, "start_preproject", owner, comment="Ok")
    voter = people.board_members[0].user
    with pytest.raises(ActionRefused, match="checklist_complete"):
        workflow.vote(project, "start_execution", voter, "yes")
    option = next(o for o in workflow.available_actions(project, voter) if o.action == "start_execution")
    assert not option.allowed
    tick_all(project, owner)
    for member in people.board_members:
        workflow.vote(project, "start_execution", member.user, "yes", comment="Ja")
    project.refresh_from_db()
    assert project.state == "gjennomforing"


def test_checklist_answers_only_by_editors(world, project, people):
    item = services.checklist(project)[0][0]
    for user in (world.member_small.user, people.board_members[0].user, world.admin_b.user):
        with pytest.raises(services.ProjectRefused):
            services.answer_checklist(project, item, user, done=True)
    assert not ChecklistAnswer.objects.exists()
    services.answer_checklist(project, item, people.manager.user, done=True)
    services.answer_checklist(project, item, world.admin_a.user, done=False)
    assert ChecklistAnswer.objects.get().done is False


# ------------------------------------------------------------------------------------ participation


def test_opting_out_needs_a_reason(world, project, people):
    with pytest.raises(ValidationError) as error:
        services.set_participation(project, world.medium, people.owner.user, status="opts_out", reason="  ")
    assert "reason" in error.value.message_dict
    assert project.participations.get(municipality=world.medium).status == "participates"
    done = services.set_participation(
        project, world.medium, people.owner.user, status="opts_out", reason="Har eget system"
    )
    assert done.status == "opts_out" and done.decided_at is not None


def test_postponing_needs_a_future_date(world, project, people):
    today = timezone.localdate()
    for until in (None, today, today - datetime.timedelta(days=3)):
        with pytest.raises(ValidationError) as error:
            services.set_participation(
                project, world.small, people.owner.user, status="postpones", postponed_until=until
            )
        assert "postponed_until" in error.value.message_dict
    later = today + datetime.timedelta(days=200)
    done = services.set_participation(
        project, world.small, people.owner.user, status="postpones", postponed_until=later
    )
    assert done.postponed_until == later


def test_a_non_member_cannot_take_part(world, project, people):
    with pytest.raises(ValidationError, match="not a member"):
        services.set_participation(project, world.other, people.owner.user, status="participates")
    assert not project.participations.filter(municipality=world.other).exists()


def test_receiving_project_owner_from_the_member(world, project, people):
    with pytest.raises(ValidationError):
        services.save_receiving_project(project, world.small, people.owner.user, owner=people.manager)  # Sunndal
    receiving = services.save_receiving_project(
        project, world.small, people.owner.user, owner=world.member_small, status="planning"
    )
    assert receiving.status == "planning"
    services.set_participation(project, world.medium, people.owner.user, status="opts_out", reason="Nei takk")
    with pytest.raises(ValidationError):
        services.save_receiving_project(project, world.medium, people.owner.user, owner=people.manager)


# --------------------------------------------------------------------------------------------- money


@pytest.mark.parametrize("amount", ["-1", Decimal("-0.01"), "tusen"])
def test_negative_or_bad_amounts_refused(world, project, people, amount):
    with pytest.raises(ValidationError) as error:
        services.set_budget_line(project, people.owner.user, year=2026, kind="investment", amount=amount)
    assert "amount" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.add_actual_cost(project, people.owner.user, date=timezone.localdate(), amount=amount, description="x")
    assert not BudgetLine.objects.exists() and not project.actual_costs.exists()


def test_budget_by_year_replaces_the_same_year_and_kind(world, project, people):
    services.set_budget_line(project, people.owner.user, year=2026, kind="investment", amount="1 200 000,50")
    services.set_budget_line(project, people.owner.user, year=2026, kind="investment", amount="900000")
    services.set_budget_line(project, people.owner.user, year=2027, kind="operation", amount="150000")
    assert sorted(project.budget_lines.values_list("year", "kind", "amount")) == [
        (2026, "investment", Decimal("900000.00")),
        (2027, "operation", Decimal("150000.00")),
    ]


def test_status_report_and_risk_validation(world, project, people):
    with pytest.raises(ValidationError):
        services.add_status_report(
            project, people.owner.user, scope="green", time="blue", cost="red", benefits="amber", comment="x"
        )
    with pytest.raises(ValidationError):
        services.add_risk(project, people.owner.user, description="Forsinkelse", probability=6, consequence=3)
    services.add_status_report(
        project, people.owner.user, scope="green", time="amber", cost="red", benefits="green", comment="Ok"
    )
    risk = services.add_risk(project, people.owner.user, description="Forsinkelse", probability=4, consequence=3)
    assert risk.score == 12 and project.status_reports.count() == 1


def test_record_changes_refused_to_others(world, project, people):
    for user in (world.member_small.user, people.cosigner.user, world.admin_b.user, world.outsider):
        with pytest.raises(services.ProjectRefused):
            services.set_budget_line(project, user, year=2026, kind="investment", amount="1")
        with pytest.raises(services.ProjectRefused):
            services.set_participation(project, world.small, user, status="opts_out", reason="x")
    assert not BudgetLine.objects.exists()


def test_history_records_the_capacity(world, project, people):
    line = services.set_budget_line(project, people.owner.user, year=2026, kind="investment", amount="10")
    assert line.history.first().history_capacity == "project_owner"
    line = services.set_budget_line(project, world.admin_a.user, year=2026, kind="investment", amount="12")
    assert line.history.first().history_capacity == "collaboration_admin"
