"""A benefit's lifecycle with the real engine and the default routing (fixtures/benefit_lifecycle.json):
identified → planned → being realised → realised / partly / not realised → verified, and dropped. What is refused
(planning without an indicator and targets, someone else's project, a member's staff, another collaboration,
"not realised" without a comment, verifying one's own conclusion) writes nothing. The Desk (panel, actions, the
add form through `create_benefit`, a bounded changelist), the API (create starts the workflow; the generic workflow
API acts on benefits) and the portal's member report (each benefit's status, bounded queries)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from ikt_portfolio.benefits import lifecycle, services
from ikt_portfolio.benefits.models import Benefit, Indicator, MemberTarget
from ikt_portfolio.projects.models import Project
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import TransitionLog, Workflow

BASELINE = datetime.date(2025, 1, 1)


def _logs(benefit):
    return list(TransitionLog.objects.of(benefit).order_by("at", "pk").values_list("action", flat=True))


def _reload(benefit):
    return Benefit.objects.select_related("project", "workflow_version").get(pk=benefit.pk)


def _indicator(benefit, name="Timer spart"):
    return Indicator.objects.create(
        benefit=benefit, name=name, unit="timer", schedule=Indicator.Schedule.MONTHLY, plausible_max=Decimal(1000)
    )


def _target(indicator, municipality, owner=None):
    return MemberTarget.objects.create(
        indicator=indicator,
        municipality=municipality,
        baseline_date=BASELINE,
        baseline_value=Decimal(10),
        target_value=Decimal(50),
        target_date=datetime.date(2027, 12, 31),
        owner=owner,
    )


@pytest.fixture
def new_benefit(plan, world):
    def make(name="Kortere ventetid", **fields):
        fields.setdefault("type", Benefit.Type.QUALITY)
        return lifecycle.create_benefit(plan.project, world.admin_a.user, name=name, **fields)

    return make


@pytest.fixture
def planned_benefit(new_benefit, plan, world):
    """A benefit with an indicator and both participants' targets, being realised."""
    benefit = new_benefit()
    indicator = _indicator(benefit)
    benefit.small_target = _target(indicator, world.small, plan.benefit_owner)
    benefit.medium_target = _target(indicator, world.medium)
    workflow.perform(benefit, "plan", plan.owner.user)
    workflow.perform(benefit, "start_realisation", plan.owner.user)
    return benefit


def test_create_benefit_installs_the_default_routing_and_starts(new_benefit, world):
    assert not Workflow.objects.filter(collaboration=world.a, document_type=lifecycle.DOCUMENT_TYPE).exists()
    benefit = new_benefit()
    routing = Workflow.objects.get(collaboration=world.a, document_type=lifecycle.DOCUMENT_TYPE)
    assert routing.is_active and routing.key == "gevinst-livslop"
    assert benefit.state == "identified" and _reload(benefit).state == "identified"
    assert _logs(benefit) == ["start"]
    assert benefit.history.count() == 1 and benefit.history.get().history_user == world.admin_a.user
    new_benefit("Nummer to")
    assert routing.versions.count() == 1  # installed once


def test_create_benefit_validates_and_refuses_and_writes_nothing(plan, world):
    with pytest.raises(ValidationError):
        lifecycle.create_benefit(plan.project, world.admin_a.user, name="Penger", type="economic", monetary=True)
    with pytest.raises(PermissionDenied):
        lifecycle.create_benefit(plan.project, world.member_small.user, name="Noe", type="quality")
    with pytest.raises(PermissionDenied):
        lifecycle.create_benefit(plan.project, world.admin_b.user, name="Noe", type="quality")
    assert not Benefit.objects.filter(state__gt="").exists() and Benefit.objects.count() == 2
    assert not Workflow.objects.filter(document_type=lifecycle.DOCUMENT_TYPE).exists()


def test_the_whole_path_to_verified(new_benefit, plan, world):
    benefit = new_benefit()
    owner = plan.owner.user
    with pytest.raises(workflow.ActionRefused, match="has_indicator and has_targets"):
        workflow.perform(benefit, "plan", owner)
    indicator = _indicator(benefit)
    with pytest.raises(workflow.ActionRefused, match="has_indicator and has_targets"):
        workflow.perform(benefit, "plan", owner)  # an indicator without any member's target
    assert _reload(benefit).state == "identified" and _logs(benefit) == ["start"]
    small = _target(indicator, world.small, plan.benefit_owner)
    _target(indicator, world.medium)
    workflow.perform(benefit, "plan", owner)
    workflow.perform(benefit, "start_realisation", owner)
    assert _reload(benefit).state == "being_realised" and _reload(benefit).deadline_at is None
    with pytest.raises(workflow.ActionRefused, match="realisation >= 90"):
        workflow.perform(benefit, "conclude_realised", owner)  # nothing measured yet
    services.record_measurement(small, plan.benefit_owner.user, datetime.date(2025, 6, 1), "46")  # 90 %
    assert lifecycle.condition_values([benefit])[benefit.pk] == {
        "has_indicator": True,
        "has_targets": True,
        "realisation": 90,
        "measured_members": 1,
    }
    workflow.perform(benefit, "conclude_realised", owner, comment="Målet er nådd i Smøla.")
    assert _reload(benefit).state == "realised"
    with pytest.raises(workflow.ActionRefused, match="collaboration administrator"):
        workflow.perform(benefit, "verify", owner)
    log = workflow.perform(benefit, "verify", world.admin_a.user, comment="Kontrollert mot fagsystemet.")
    assert log.capacity == "collaboration_admin" and log.actor == world.admin_a.user
    assert _reload(benefit).state == "verified"
    assert _logs(benefit) == ["start", "plan", "start_realisation", "conclude_realised", "verify"]
    assert [o.action for o in workflow.available_actions(_reload(benefit), world.admin_a.user)] == []


def test_partly_realised_needs_some_realisation(planned_benefit, plan):
    with pytest.raises(workflow.ActionRefused, match="realisation > 0"):
        workflow.perform(planned_benefit, "conclude_partly", plan.owner.user)
    services.record_measurement(planned_benefit.small_target, plan.owner.user, datetime.date(2025, 6, 1), "30")
    services.record_measurement(planned_benefit.medium_target, plan.owner.user, datetime.date(2025, 6, 1), "10")
    assert lifecycle.condition_values([planned_benefit])[planned_benefit.pk]["realisation"] == 25  # (50 + 0) / 2
    with pytest.raises(workflow.ActionRefused):
        workflow.perform(planned_benefit, "conclude_realised", plan.owner.user)
    workflow.perform(planned_benefit, "conclude_partly", plan.owner.user)
    assert _reload(planned_benefit).state == "partly_realised"


def test_not_realised_needs_a_comment(planned_benefit, plan):
    with pytest.raises(workflow.ActionRefused, match="reason in the comment"):
        workflow.perform(planned_benefit, "conclude_not_realised", plan.owner.user, comment="  ")
    assert _reload(planned_benefit).state == "being_realised"
    assert _logs(planned_benefit) == ["start", "plan", "start_realisation"]
    workflow.perform(planned_benefit, "conclude_not_realised", plan.owner.user, comment="Leverandøren gikk konkurs.")
    assert _reload(planned_benefit).state == "not_realised"


def test_the_one_who_concluded_does_not_verify(planned_benefit, plan, world, make_person, assign):
    workflow.perform(planned_benefit, "conclude_not_realised", world.admin_a.user, comment="Tiltaket ble ikke innført.")
    benefit = _reload(planned_benefit)
    verify = next(o for o in workflow.available_actions(benefit, world.admin_a.user) if o.action == "verify")
    assert not verify.allowed and verify.reason
    with pytest.raises(workflow.ActionRefused):
        workflow.perform(benefit, "verify", world.admin_a.user)
    assert _reload(benefit).state == "not_realised"
    second = make_person("admin_a2", staff_of=world.a)
    assign(second, world.a, "collaboration_admin")
    workflow.perform(benefit, "verify", second.user)
    assert _reload(benefit).state == "verified"


def test_who_may_move_a_benefit(planned_benefit, new_benefit, plan, world, make_person, assign):
    benefit = new_benefit()
    _target(_indicator(benefit), world.small)
    other_owner = make_person("annen_eier", staff_of=world.a)
    assign(other_owner, world.a, "project_owner")
    Project.objects.create(collaboration=world.a, number=2, title="Annet prosjekt", owner=other_owner)
    refused = {
        other_owner.user: "project owner",  # a project owner, but of another project
        world.member_small.user: "project owner",  # a member's staff
        plan.benefit_owner.user: "project owner",  # the member's benefit owner
        world.admin_b.user: "project owner",  # another collaboration's administrator
        world.operator: "IT operators",
    }
    for user, reason in refused.items():
        with pytest.raises(workflow.ActionRefused, match=reason):
            workflow.perform(benefit, "plan", user)
        with pytest.raises(workflow.ActionRefused):
            workflow.perform(planned_benefit, "conclude_not_realised", user, comment="Nei")
    assert _reload(benefit).state == "identified" and _logs(benefit) == ["start"]
    assert _reload(planned_benefit).state == "being_realised"
    workflow.perform(benefit, "plan", world.admin_a.user)  # the administrator may as well
    assert _reload(benefit).state == "planned"


def test_drop_with_a_reason(new_benefit, plan):
    benefit = new_benefit()
    with pytest.raises(workflow.ActionRefused):
        workflow.perform(benefit, "drop", plan.owner.user)
    workflow.perform(benefit, "drop", plan.owner.user, comment="Dekkes av et annet prosjekt.")
    benefit = _reload(benefit)
    assert benefit.state == "dropped" and workflow.current_state(benefit).is_final


def test_a_collaborations_own_active_routing_is_kept(plan, world):
    version = lifecycle.install_lifecycle_workflow(world.a, world.admin_a.user, activate=True)
    benefit = lifecycle.create_benefit(plan.project, plan.owner.user, name="Eierens gevinst", type="quality")
    assert benefit.workflow_version == version
    assert Workflow.objects.filter(document_type=lifecycle.DOCUMENT_TYPE).count() == 1
    assert version.workflow.versions.count() == 1


def test_the_routing_validates():
    data = lifecycle.lifecycle_workflow_data()
    assert {s["key"] for s in data["states"]} == {
        "identified", "planned", "being_realised", "realised", "partly_realised", "not_realised", "verified",
        "dropped",
    }  # fmt: skip
    being_realised = next(s for s in data["states"] if s["key"] == "being_realised")
    assert being_realised["deadline_days"] is None  # measurement reminders are a separate sweep
    for entry in data["states"] + data["transitions"]:
        for field in ("name", "name_nn", "name_en") if "key" in entry else ("label", "label_nn", "label_en"):
            assert entry[field].strip(), entry


# ----------------------------------------------------------------------------------------------- the Desk


def test_desk_change_page_shows_the_panel_and_acts(client, new_benefit, plan, world):
    benefit = new_benefit()
    _target(_indicator(benefit), world.small)
    client.force_login(plan.owner.user)
    url = reverse("admin:ikt_benefits_benefit_change", args=[benefit.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Godkjenn realiseringsplanen" in html and 'name="revision"' in html and 'value="plan"' in html
    assert 'value="start_realisation"' not in html
    response = client.post(
        reverse("admin:ikt_benefits_benefit_workflow", args=[benefit.pk]),
        {"action": "plan", "revision": benefit.workflow_revision, "next": url},
    )
    assert response.status_code == 302 and response.url == url
    assert _reload(benefit).state == "planned"
    client.force_login(world.member_small.user)  # a member's staff: no Desk page, nothing moves
    client.post(reverse("admin:ikt_benefits_benefit_workflow", args=[benefit.pk]), {"action": "start_realisation"})
    assert _reload(benefit).state == "planned"


def test_desk_pages_of_a_benefit_without_a_workflow(client, plan, world):
    client.force_login(world.admin_a.user)
    url = reverse("admin:ikt_benefits_benefit_change", args=[plan.benefit.pk])
    assert client.get(url).status_code == 200
    html = client.get(reverse("admin:ikt_benefits_benefit_changelist")).content.decode()
    assert plan.benefit.name in html


def test_desk_add_goes_through_create_benefit(client, plan, world):
    client.force_login(world.admin_a.user)
    data = {
        "project": plan.project.pk,
        "name": "Raskere saksbehandling",
        "type": "efficiency",
        "description": "",
        "gain": "productivity",
        "yearly_value": "",
        "indicators-TOTAL_FORMS": "1",
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
        "indicators-0-name": "Dager per sak",
        "indicators-0-unit": "dager",
        "indicators-0-direction": "lower",
        "indicators-0-schedule": "quarterly",
    }
    response = client.post(reverse("admin:ikt_benefits_benefit_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    benefit = Benefit.objects.get(name="Raskere saksbehandling")
    assert benefit.state == "identified" and _logs(benefit) == ["start"]
    assert benefit.indicators.get().name == "Dager per sak"


def test_desk_changelist_status_and_bounded_queries(client, new_benefit, planned_benefit, world):
    client.force_login(world.admin_a.user)
    url = reverse("admin:ikt_benefits_benefit_changelist")

    def count(query=None):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, query or {})
            assert response.status_code == 200
        return len(captured), response.content.decode()

    few, html = count()
    assert "Under realisering" in html and "–" in html  # the plan's benefits have no workflow state
    for n in range(5):
        new_benefit(f"Gevinst {n}")
    many, html = count()
    assert many == few and "Identifisert" in html
    _n, html = count({"status": "being_realised"})
    assert planned_benefit.name in html and "Gevinst 0" not in html
    _n, html = count({"status": "-"})
    assert "Gevinst 0" not in html and "Færre nattlige turer" in html


# ----------------------------------------------------------------------------------------------- the API


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def test_api_create_starts_the_workflow(api, plan, world):
    api.force_authenticate(world.admin_a.user)
    payload = {"project": plan.project.pk, "name": "Færre telefoner", "type": "efficiency", "state": "verified"}
    response = api.post("/api/v1/benefits/benefits/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.data["state"] == "identified" and response.data["state_name"] == "Identified"
    benefit = Benefit.objects.get(pk=response.data["id"])
    assert benefit.state == "identified" and _logs(benefit) == ["start"]
    listed = api.get("/api/v1/benefits/benefits/", {"state": "identified"}).data
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [benefit.pk]
    bad = api.post("/api/v1/benefits/benefits/", {**payload, "monetary": True}, format="json")
    assert bad.status_code == 400 and Benefit.objects.count() == 3
    api.force_authenticate(world.admin_b.user)
    assert api.post("/api/v1/benefits/benefits/", payload, format="json").status_code in (400, 403)
    assert Benefit.objects.count() == 3


def test_generic_workflow_api_serves_benefits(api, new_benefit, plan, world):
    benefit = new_benefit()
    _target(_indicator(benefit), world.small)
    url = f"/api/v1/workflow/documents/ikt_benefits.benefit/{benefit.pk}/"
    api.force_authenticate(world.member_small.user)
    refused = api.post(url + "perform/", {"action": "plan"}, format="json")
    assert refused.status_code == 403 and refused.data["detail"]
    api.force_authenticate(world.admin_b.user)
    assert api.get(url).status_code == 404
    api.force_authenticate(plan.owner.user)
    detail = api.get(url)
    assert detail.status_code == 200
    assert {a["action"]: a["allowed"] for a in detail.data["actions"]}["plan"] is True
    done = api.post(url + "perform/", {"action": "plan", "revision": benefit.workflow_revision}, format="json")
    assert done.status_code == 200, done.content
    assert done.data["state"]["key"] == "planned" and _reload(benefit).state == "planned"
    stale = api.post(url + "perform/", {"action": "start_realisation", "revision": 1}, format="json")
    assert stale.status_code == 409 and _reload(benefit).state == "planned"


# ----------------------------------------------------------------------------------------------- the portal


def test_member_report_shows_each_benefits_status_in_bounded_queries(client, planned_benefit, new_benefit, plan, world):
    client.force_login(plan.benefit_owner.user)
    report = "/portal/benefits/"

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(report, {"year": 2026})
            assert response.status_code == 200
        return len(captured), response.content.decode()

    few, html = count()
    assert 'data-state="being_realised"' in html and "Under realisering" in html
    row = html.split(f'data-benefit="{plan.benefit.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-state=""' in row and "–" in row  # no workflow: shown as a dash, never an error
    for n in range(4):
        benefit = new_benefit(f"Gevinst {n}")
        _target(_indicator(benefit, f"I{n}"), world.small)
        workflow.perform(benefit, "plan", plan.owner.user)
    many, html = count()
    assert many == few and html.count('data-state="planned"') == 4


# ----------------------------------------------------------------------------------------------- the inbox


def _inbox(user):
    with CaptureQueriesContext(connection) as captured:
        items = workflow.inbox(user)
    benefits = {i.document.pk: [a.action for a in i.actions] for i in items if i.label == lifecycle.DOCUMENT_TYPE}
    return len(captured), benefits


def test_inbox_weighs_many_benefits_in_bounded_queries(new_benefit, planned_benefit, plan, world):
    def add(n):
        for index in range(n):
            benefit = new_benefit(f"Gevinst {index}")
            _target(_indicator(benefit), world.small)

    add(1)
    workflow.inbox(plan.owner.user)  # warm the caches (workflow graphs, content types)
    first, benefits = _inbox(plan.owner.user)
    assert list(benefits.values()) == [["plan"]]  # nothing to conclude yet: the realisation is 0
    add(4)
    again, benefits = _inbox(plan.owner.user)
    assert again == first and len(benefits) == 5
    services.record_measurement(planned_benefit.small_target, plan.owner.user, datetime.date(2025, 6, 1), "50")
    workflow.perform(planned_benefit, "conclude_realised", world.admin_a.user)
    workflow.inbox(world.admin_a.user)
    count, benefits = _inbox(world.admin_a.user)
    assert planned_benefit.pk not in benefits  # the administrator who concluded it does not verify it
    add(3)
    assert _inbox(world.admin_a.user)[0] == count
