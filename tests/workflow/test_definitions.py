"""Workflow definitions as data: validation on publish (with the reason, naming the state or action),
frozen published versions, new drafts, documents staying on their version, migration between versions,
export/import, and the two default routings (recommended model and KS model)."""

import copy

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from ikt_portfolio.members.models import Body
from ikt_portfolio.workflow import services
from ikt_portfolio.workflow.models import State, StateCategory, Transition, TransitionLog, Workflow, WorkflowVersion
from tests.workflow.conftest import fixture_data
from tests.workflow_app.models import Ticket

pytestmark = pytest.mark.django_db

TICKET = "workflow_app.ticket"


@pytest.fixture(autouse=True)
def _english():
    # The workflow app has no nb/nn catalog yet; assert on the English source strings.
    with translation.override("en"):
        yield


# ------------------------------------------------------------------------------------------ helpers


def sound_definition(key="sak") -> dict:
    """A small, valid definition in the fixture-file format."""
    return {
        "key": key,
        "document_type": TICKET,
        "name": "Sak",
        "states": [
            {"key": "draft", "name": "Utkast", "category": "open", "is_initial": True, "order": 0},
            {"key": "review", "name": "Til vurdering", "category": "waiting", "order": 1},
            {"key": "done", "name": "Ferdig", "category": "done", "order": 2},
            {"key": "rejected", "name": "Avvist", "category": "rejected", "order": 3},
        ],
        "transitions": [
            {
                "action": "submit",
                "label": "Send",
                "from": "draft",
                "to": "review",
                "allowed_capacities": ["submitter"],
                "allow_self_approval": True,
            },
            {
                "action": "approve",
                "label": "Godkjenn",
                "from": "review",
                "to": "done",
                "allowed_capacities": ["sector_lead"],
            },
            {
                "action": "reject",
                "label": "Avvis",
                "from": "review",
                "to": "rejected",
                "allowed_capacities": ["sector_lead"],
                "comment_required": True,
            },
        ],
    }


def transition_entry(data, action):
    return next(t for t in data["transitions"] if t["action"] == action)


def state_entry(data, key):
    return next(s for s in data["states"] if s["key"] == key)


def draft_from(data: dict, collaboration, key="utkast") -> WorkflowVersion:
    """Write a definition as a draft straight through the ORM, bypassing the model's clean(), the way a
    bulk edit, an API client or a data migration could: validate_version/publish is the last line."""
    workflow = Workflow.objects.create(
        collaboration=collaboration, document_type=data["document_type"], key=key, name="W"
    )
    version = WorkflowVersion.objects.create(workflow=workflow, number=1)
    states = {}
    for entry in data["states"]:
        states[entry["key"]] = State.objects.create(
            version=version, **{k: v for k, v in entry.items() if k != "key"}, key=entry["key"]
        )
    for entry in data["transitions"]:
        fields = {k: v for k, v in entry.items() if k not in ("from", "to")}
        Transition.objects.create(
            version=version, from_state=states[entry["from"]], to_state=states[entry["to"]], **fields
        )
    return version


def errors_of(data, collaboration) -> list[str]:
    return services.validate_version(draft_from(data, collaboration))


def refused_on_publish(data, collaboration) -> list[str]:
    version = draft_from(data, collaboration)
    with pytest.raises(services.DefinitionError) as refused:
        services.publish(version, None)
    version.refresh_from_db()
    assert version.status == WorkflowVersion.Status.DRAFT, "a refused version stays a draft"
    return refused.value.errors


def refused_on_import(data, collaboration) -> list[str]:
    before = (Workflow.objects.count(), WorkflowVersion.objects.count(), State.objects.count())
    with pytest.raises(services.DefinitionError) as refused:
        services.import_workflow(data, collaboration, activate=True)
    assert (Workflow.objects.count(), WorkflowVersion.objects.count(), State.objects.count()) == before, (
        "a refused import writes nothing"
    )
    return refused.value.errors


def named(errors: list[str], *names: str) -> bool:
    return any(all(name in error for name in names) for error in errors)


# ----------------------------------------------------------------------------- refused definitions


def test_a_sound_definition_has_no_errors_and_publishes(world):
    data = sound_definition()
    assert errors_of(data, world.a) == []
    version = services.import_workflow(sound_definition("annen"), world.a)
    assert version.status == WorkflowVersion.Status.PUBLISHED and version.published_at is not None


def test_two_initial_states_are_refused_naming_them(world):
    data = sound_definition()
    state_entry(data, "review")["is_initial"] = True
    errors = refused_on_publish(data, world.a)
    assert named(errors, "initial")
    assert named(errors, "draft", "review"), f"the error should name the two initial states: {errors}"


def test_no_initial_state_is_refused(world):
    data = sound_definition()
    state_entry(data, "draft")["is_initial"] = False
    errors = refused_on_publish(data, world.a)
    assert named(errors, "initial", "0")
    assert named(refused_on_import(data, world.a), "initial")


def test_an_unreachable_state_is_refused_naming_it(world):
    data = sound_definition()
    data["states"].append({"key": "limbo", "name": "Limbo", "category": "open", "order": 9})
    data["transitions"].append(
        {"action": "finish", "label": "F", "from": "limbo", "to": "done", "allowed_capacities": ["sector_lead"]}
    )
    errors = refused_on_publish(data, world.a)
    assert named(errors, "limbo", "cannot be reached")
    assert not named(errors, "draft"), "only the faulty state is named"
    assert named(refused_on_import(data, world.a), "limbo")


def test_a_state_with_no_way_to_a_final_state_is_refused_naming_it(world):
    data = sound_definition()
    data["states"].append({"key": "trap", "name": "Felle", "category": "waiting", "order": 9})
    data["transitions"].append(
        {"action": "park", "label": "Parker", "from": "review", "to": "trap", "allowed_capacities": ["sector_lead"]}
    )
    errors = refused_on_publish(data, world.a)
    assert errors == [next(e for e in errors if "trap" in e)], errors
    assert named(errors, "trap", "no final state")


def test_a_cycle_without_an_exit_names_every_state_in_it(world):
    data = sound_definition()
    data["states"] += [
        {"key": "ping", "name": "Ping", "category": "open", "order": 8},
        {"key": "pong", "name": "Pong", "category": "open", "order": 9},
    ]
    data["transitions"] += [
        {"action": "to_ping", "label": "P", "from": "review", "to": "ping", "allowed_capacities": ["sector_lead"]},
        {"action": "to_pong", "label": "P", "from": "ping", "to": "pong", "allowed_capacities": ["sector_lead"]},
        {"action": "back", "label": "P", "from": "pong", "to": "ping", "allowed_capacities": ["sector_lead"]},
    ]
    errors = refused_on_publish(data, world.a)
    assert named(errors, "ping", "no final state") and named(errors, "pong", "no final state")


def test_a_workflow_without_any_final_state_is_refused(world):
    data = sound_definition()
    state_entry(data, "done")["category"] = StateCategory.WAITING
    state_entry(data, "rejected")["category"] = StateCategory.OPEN
    assert named(refused_on_publish(data, world.a), "no final state")


def test_a_transition_to_nowhere_is_refused_on_import_naming_action_and_state(world):
    data = sound_definition()
    transition_entry(data, "approve")["to"] = "nowhere"
    errors = refused_on_import(data, world.a)
    assert named(errors, "approve", "nowhere")


def test_a_transition_to_a_state_of_another_version_is_refused_not_a_crash(world):
    """A transition whose target lies in another version leads nowhere in this one: validate_version must
    say so (a sentence naming the action), not raise."""
    other = draft_from(sound_definition(), world.a, key="annen")
    data = sound_definition()
    version = draft_from(data, world.a)
    elsewhere = State.objects.create(version=other, key="elsewhere", name="Et annet sted", category="done")
    Transition.objects.create(
        version=version,
        action="escape",
        label="Rømme",
        from_state=version.states.get(key="review"),
        to_state=elsewhere,
        allowed_capacities=["sector_lead"],
    )
    errors = services.validate_version(version)
    assert named(errors, "escape"), errors


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ("estimated_cost >", ["does not parse"]),
        ("estimated_cost > 500000 and", ["does not parse"]),
        ("cost > 500000", ["unknown name", "cost"]),
        ("__import__('os').system('true')", ["unknown name", "__import__"]),
        ("title.__class__", ["hidden attributes"]),
        ("[x for x in title]", ["only compare and combine"]),
    ],
)
def test_bad_conditions_are_refused_naming_the_action(world, condition, words):
    data = sound_definition()
    transition_entry(data, "approve")["condition"] = condition
    errors = refused_on_publish(data, world.a)
    assert named(errors, "approve", *words), errors
    assert named(refused_on_import(data, world.a), "approve", *words)


def test_conditions_on_the_subjects_names_are_accepted(world):
    data = sound_definition()
    transition_entry(data, "approve")["condition"] = "estimated_cost <= 500000 and not strategic and len(title) > 3"
    assert errors_of(data, world.a) == []


def test_a_transition_nobody_may_take_is_refused_naming_it(world):
    data = sound_definition()
    transition_entry(data, "approve")["allowed_capacities"] = []
    assert named(refused_on_publish(data, world.a), "approve", "nobody")


def test_unknown_capacities_are_refused_naming_the_action(world):
    data = sound_definition()
    transition_entry(data, "approve")["allowed_capacities"] = ["king"]
    assert named(refused_on_publish(data, world.a), "approve", "king")


def test_a_committee_decision_without_a_vote_rule_is_refused_on_publish(world):
    data = sound_definition()
    transition_entry(data, "approve").update(allowed_capacities=[], committee=Body.Kind.BOARD, vote_rule="")
    errors = refused_on_publish(data, world.a)
    assert named(errors, "approve", "vote rule"), errors


def test_an_n_of_m_decision_without_n_is_refused_on_publish(world):
    data = sound_definition()
    transition_entry(data, "approve").update(
        allowed_capacities=[], committee=Body.Kind.BOARD, vote_rule="n_of_m", votes_required=None
    )
    errors = refused_on_publish(data, world.a)
    assert named(errors, "approve", "(N)") or named(errors, "approve", "how many"), errors


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"allowed_capacities": []}, ["who may take the action"]),
        ({"allowed_capacities": ["king"]}, ["capacities"]),
        ({"allowed_capacities": [], "committee": "board", "vote_rule": ""}, ["vote rule"]),
        ({"allowed_capacities": [], "committee": "board", "vote_rule": "n_of_m"}, ["how many"]),
    ],
)
def test_import_refusals_from_the_model_rules_name_the_action(world, change, words):
    """On import, the model's own clean() catches these first; its message must still say which action."""
    data = sound_definition()
    transition_entry(data, "approve").update(change)
    errors = refused_on_import(data, world.a)
    assert named(errors, *words), errors
    assert named(errors, "approve"), f"the error does not say which action is wrong: {errors}"


def test_a_state_with_an_unknown_category_is_refused_on_import_naming_it(world):
    data = sound_definition()
    state_entry(data, "review")["category"] = "limbo"
    errors = refused_on_import(data, world.a)
    assert named(errors, "review"), f"the error does not say which state is wrong: {errors}"


def test_an_unknown_document_type_is_refused(world):
    data = sound_definition() | {"document_type": "nowhere.nothing"}
    assert named(refused_on_publish(data, world.a), "nowhere.nothing")


# ---------------------------------------------------------------------------- frozen published versions


def test_published_versions_cannot_change(world):
    version = services.import_workflow(sound_definition(), world.a)
    state = version.states.get(key="review")
    state.name = "Endret"
    with pytest.raises(ValidationError):
        state.full_clean()
    transition = version.transitions.get(action="approve")
    transition.allowed_capacities = ["collaboration_admin"]
    with pytest.raises(ValidationError):
        transition.full_clean()
    with pytest.raises(ValidationError):
        State(version=version, key="extra", name="Ekstra", category="open").full_clean()
    with pytest.raises(ValidationError):
        Transition(
            version=version,
            action="skip",
            label="Hopp over",
            from_state=version.states.get(key="draft"),
            to_state=version.states.get(key="done"),
            allowed_capacities=["submitter"],
        ).full_clean()


def test_only_a_draft_can_be_published(world):
    version = services.import_workflow(sound_definition(), world.a)
    with pytest.raises(services.DefinitionError) as refused:
        services.publish(version, world.admin_a.user)
    assert named(refused.value.errors, "draft")


def test_a_draft_can_change(world):
    version = draft_from(sound_definition(), world.a)
    state = version.states.get(key="review")
    state.name = "Endret"
    state.full_clean()


# ------------------------------------------------------------------------------ versions and documents


def structure(version) -> tuple[list, list]:
    data = services.export_version(version)
    return data["states"], data["transitions"]


def test_new_draft_copies_states_and_transitions(route):
    draft = services.new_draft(route.version.workflow, route.world.admin_a.user, note="Skjermingssteg")
    assert (draft.number, draft.status, draft.note) == (2, WorkflowVersion.Status.DRAFT, "Skjermingssteg")
    assert structure(draft) == structure(route.version)
    assert draft.states.count() == route.version.states.count() > 0
    assert draft.transitions.count() == route.version.transitions.count() > 0
    assert not set(draft.states.values_list("pk", flat=True)) & set(route.version.states.values_list("pk", flat=True))
    assert all(
        t.from_state.version_id == draft.pk and t.to_state.version_id == draft.pk for t in draft.transitions.all()
    )
    assert services.validate_version(draft) == []


def second_version(route) -> WorkflowVersion:
    """v2 of the recommended routing: a screening step between draft and submitted, no 'returned' state."""
    draft = services.new_draft(route.version.workflow, route.world.admin_a.user)
    draft.transitions.filter(to_state__key="returned").delete()
    draft.transitions.filter(from_state__key="returned").delete()
    draft.states.filter(key="returned").delete()
    screening = State.objects.create(version=draft, key="screening", name="Siling", category="waiting", order=1)
    submit = draft.transitions.get(action="submit")
    submit.to_state = screening
    submit.full_clean()
    submit.save()
    Transition(
        version=draft,
        action="screen",
        label="Silt",
        from_state=screening,
        to_state=draft.states.get(key="submitted"),
        allowed_capacities=["sector_lead"],
    ).save()
    assert services.validate_version(draft) == []
    return services.publish(draft, route.world.admin_a.user)


def test_publishing_a_new_version_retires_the_old_one(route):
    v2 = second_version(route)
    route.version.refresh_from_db()
    assert route.version.status == WorkflowVersion.Status.RETIRED
    assert v2.status == WorkflowVersion.Status.PUBLISHED and v2.published_by == route.world.admin_a.user
    assert services.active_version(route.world.a.pk, TICKET) == v2
    assert WorkflowVersion.objects.filter(workflow=v2.workflow, status="published").count() == 1


def test_documents_stay_on_their_version_and_new_ones_start_on_the_new_one(route, new_ticket):
    old = new_ticket("Startet på v1")
    v2 = second_version(route)
    new = new_ticket("Startet på v2")
    assert old.workflow_version_id == route.version.pk and new.workflow_version_id == v2.pk

    services.perform(old, "submit", route.submitter.user)
    services.perform(new, "submit", route.submitter.user)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.state, old.workflow_version_id) == ("submitted", route.version.pk), "v1's route for the v1 ticket"
    assert (new.state, new.workflow_version_id) == ("screening", v2.pk), "v2's route for the v2 ticket"
    # The old ticket can still go everywhere v1 allows, including the state v2 no longer has.
    services.perform(old, "return", route.world.lead.user, comment="Mer info")
    assert Ticket.objects.get(pk=old.pk).state == "returned"


def test_migrate_documents_moves_with_a_mapping_and_logs_it(route, new_ticket):
    admin = route.world.admin_a.user
    returned = new_ticket("Returnert")
    services.perform(returned, "submit", route.submitter.user)
    services.perform(returned, "return", route.world.lead.user, comment="Mer info")
    submitted = new_ticket("Innmeldt")
    services.perform(submitted, "submit", route.submitter.user)
    v2 = second_version(route)
    revision = Ticket.objects.get(pk=returned.pk).workflow_revision

    moved = services.migrate_documents(
        Ticket.objects.filter(pk__in=[returned.pk, submitted.pk]), v2, {"returned": "draft"}, admin
    )
    assert moved == 2
    returned.refresh_from_db()
    submitted.refresh_from_db()
    assert (returned.workflow_version_id, returned.state) == (v2.pk, "draft")
    assert (submitted.workflow_version_id, submitted.state) == (v2.pk, "submitted"), "unmapped states keep their key"
    assert returned.workflow_revision == revision + 1
    log = services.history(returned).first()
    assert (log.action, log.from_state, log.to_state, log.version_id, log.actor) == (
        "migrate",
        "returned",
        "draft",
        v2.pk,
        admin,
    )
    assert "2" in log.comment
    # From now on the document follows v2.
    services.perform(returned, "submit", route.submitter.user)
    assert Ticket.objects.get(pk=returned.pk).state == "screening"


@pytest.mark.parametrize("mapping", [{"returned": "nowhere"}, {}])
def test_migrate_documents_refuses_a_state_without_counterpart_and_moves_nothing(route, new_ticket, mapping):
    first = new_ticket("Først")  # draft: fine in v2
    second = new_ticket("Returnert")
    services.perform(second, "submit", route.submitter.user)
    services.perform(second, "return", route.world.lead.user, comment="Mer info")
    v2 = second_version(route)
    logs = TransitionLog.objects.count()
    with pytest.raises(services.DefinitionError) as refused:
        services.migrate_documents(
            Ticket.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk"), v2, mapping, None
        )
    assert named(refused.value.errors, "returned")
    assert set(Ticket.objects.values_list("workflow_version_id", flat=True)) == {route.version.pk}, "all or nothing"
    assert TransitionLog.objects.count() == logs


def test_migrate_documents_refuses_a_draft_target(route, new_ticket):
    ticket = new_ticket()
    draft = services.new_draft(route.version.workflow)
    with pytest.raises(services.DefinitionError):
        services.migrate_documents(Ticket.objects.filter(pk=ticket.pk), draft, {}, None)
    assert Ticket.objects.get(pk=ticket.pk).workflow_version_id == route.version.pk


# ------------------------------------------------------------------------------------ export and import


@pytest.mark.parametrize("name", ["need_routing_recommended.json", "need_routing_ks.json"])
def test_export_and_import_round_trip(world, name):
    original = services.import_workflow(fixture_data(name), world.a)
    exported = services.export_version(original)
    copied = services.import_workflow(copy.deepcopy(exported), world.b)
    assert copied.workflow.collaboration == world.b and copied.workflow_id != original.workflow_id
    again = services.export_version(copied)
    assert again == exported
    assert again["states"] and again["transitions"]
    # Importing the same data again into the same collaboration adds a version.
    third = services.import_workflow(copy.deepcopy(exported), world.a)
    assert third.workflow_id == original.workflow_id and third.number == 2
    original.refresh_from_db()
    assert original.status == WorkflowVersion.Status.RETIRED


@pytest.mark.parametrize("name", ["need_routing_recommended.json", "need_routing_ks.json"])
def test_the_default_fixtures_validate(world, name):
    version = services.import_workflow(fixture_data(name), world.a)
    assert services.validate_version(version) == []
    data = fixture_data(name)
    assert version.states.count() == len(data["states"])
    assert version.transitions.count() == len(data["transitions"])


def test_the_ks_model_runs_end_to_end(world, make_person, seat):
    services.import_workflow(fixture_data("need_routing_ks.json"), world.a, activate=True)
    board_body = Body.objects.create(collaboration=world.a, kind=Body.Kind.BOARD, name="Styret")
    board = []
    for name, municipality in (("styre1", world.small), ("styre2", world.medium), ("styre3", world.large)):
        person = make_person(name, municipality=municipality)
        seat(person, board_body, represents=municipality)
        board.append(person)
    ticket = Ticket.objects.create(
        collaboration=world.a, service_area=world.health_a, submitted_by=world.member_small, title="Bestilling"
    )
    services.start(ticket, world.member_small.user)
    assert ticket.state == "draft"
    services.perform(ticket, "submit", world.member_small.user)
    assert ticket.state == "ordered" and ticket.deadline_at is not None, "orders have an SLA deadline"
    services.perform(ticket, "assess", world.admin_a.user)
    services.perform(ticket, "to_board", world.admin_a.user)
    assert ticket.state == "board"
    results = [services.vote(ticket, "approve", member.user, "yes") for member in board]
    assert [r.log is None for r in results] == [True, True, False], "fires with the third vote (quorum 3)"
    ticket.refresh_from_db()
    assert ticket.state == "approved"
    services.perform(ticket, "convert", world.admin_a.user)
    ticket.refresh_from_db()
    assert ticket.state == "converted" and services.current_state(ticket).category == StateCategory.DONE
    assert list(services.history(ticket).order_by("at", "pk").values_list("action", flat=True)) == [
        "start",
        "submit",
        "assess",
        "to_board",
        "approve",
        "convert",
    ]


def test_publication_and_retirement_are_in_the_versions_audit_history(route):
    """The audit log covers definitions too: publishing v2 retires v1, and v1's history must show it."""
    v2 = second_version(route)
    assert v2.history.filter(status=WorkflowVersion.Status.PUBLISHED).exists()
    assert route.version.history.filter(status=WorkflowVersion.Status.RETIRED).exists(), (
        "v1 was retired without a history row"
    )


def test_migrate_documents_refuses_another_collaborations_version(route, new_ticket):
    """A ticket of collaboration A cannot be moved onto B's workflow (its log would land in B)."""
    ticket = new_ticket()
    foreign = services.import_workflow(fixture_data("need_routing_recommended.json"), route.world.b, activate=True)
    with pytest.raises(services.DefinitionError):
        services.migrate_documents(Ticket.objects.filter(pk=ticket.pk), foreign, {}, route.world.admin_a.user)
    assert Ticket.objects.get(pk=ticket.pk).workflow_version_id == route.version.pk
