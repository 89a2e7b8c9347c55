"""Duplicate needs: finding similar Norwegian needs, and merging and unmerging duplicates in the sector group."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from ikt_portfolio.needs import duplicates, services
from ikt_portfolio.needs.models import CoSign, Follow, Need
from ikt_portfolio.needs.workflow import NeedSubject
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import TransitionLog
from tests.workflow.conftest import fixture_data

pytestmark = pytest.mark.django_db

NIGHT = {
    "title": "Digitalt tilsyn om natten i hjemmetjenesten",
    "problem": "Nattevakten kjører langt for å se til brukere som sover, og vekker dem.",
}
NIGHT_NN = {  # the same need in nynorsk, other words and order
    "title": "Kamera-tilsyn om natta i heimetenesta",
    "problem": "Nattevakta køyrer langt for å sjå til brukarar som søv, og vekkjer dei.",
}
SUBSTITUTES = {"title": "Felles system for vikarbestilling", "problem": "Vikarer bestilles på telefon."}
BUILDING = {"title": "Felles system for byggesak", "problem": "Byggesøknader kommer på papir og skannes manuelt."}
MEDICINE = {"title": "Elektronisk medisinrom i sykehjemmene", "problem": "Medisiner telles for hånd hver uke."}


@pytest.fixture(autouse=True)
def _english():
    """Messages in English (the msgids), so assertions do not depend on the nb/nn catalogs."""
    with translation.override("en"):
        yield


@pytest.fixture
def people(world, make_person):
    world.sunndal = make_person("sunndal", municipality=world.medium)
    world.kristiansund = make_person("kristiansund", municipality=world.large)
    return world


def submitted(report, user=None, **fields):
    need = report(user=user, **fields)
    workflow.perform(need, "submit", need.submitted_by.user)
    return need


def in_sector_group(report, world, user=None, **fields):
    need = submitted(report, user=user, **fields)
    workflow.perform(need, "take_up", world.lead.user)
    return need


def refs(found):
    return [need.reference for need, _score in found]


# -------------------------------------------------------------------------------------------- finding


def test_normalise_folds_norwegian_text():
    assert duplicates.normalise("Tilsyn om natta, i heimetenesta!") == "tilsyn natt heimetenest"
    assert duplicates.normalise("Tilsyn om natten på sykehjemmet") == duplicates.normalise(
        "tilsyn om NATTEN pa sykehjemmet"
    )
    assert duplicates.normalise("Søknad og økonomi, æ") == "soknad okonomi ae"


def test_norwegian_near_duplicates_are_found_and_unrelated_needs_are_not(world, report, people):
    night = submitted(report, **NIGHT)
    substitutes = submitted(report, user=people.sunndal.user, **SUBSTITUTES)
    submitted(report, **MEDICINE)

    found = duplicates.find_similar(world.a, NIGHT_NN["title"], NIGHT_NN["problem"])
    assert refs(found) == [night.reference]
    assert 60 <= found[0][1] <= 100

    # word order and inflection
    found = duplicates.find_similar(world.a, "Vikarbestilling i et felles system", "Vi bestiller vikarer på telefonen")
    assert refs(found) == [substitutes.reference]

    # sharing "felles system" is not enough
    assert duplicates.find_similar(world.a, BUILDING["title"], BUILDING["problem"]) == []
    assert duplicates.find_similar(world.a, "", "") == []


def test_title_alone_is_enough_while_typing(world, report):
    night = submitted(report, **NIGHT)
    assert refs(duplicates.find_similar(world.a, "tilsyn om natta i heimetenesta", "")) == [night.reference]


def test_drafts_closed_needs_and_other_collaborations_are_never_offered(world, report, people):
    report(**NIGHT)  # a draft: only its author sees it
    withdrawn = submitted(report, **NIGHT)
    workflow.perform(withdrawn, "withdraw", withdrawn.submitted_by.user)
    rejected = in_sector_group(report, world, **NIGHT)
    workflow.perform(rejected, "reject", world.lead.user, comment="Ikke vårt ansvar.")
    assert duplicates.find_similar(world.a, NIGHT_NN["title"], NIGHT_NN["problem"]) == []

    # the same need in collaboration B: never offered in A, and A's are never offered in B
    workflow.import_workflow(fixture_data("need_routing_recommended.json", "ikt_needs.need"), world.b, activate=True)
    in_b = services.create_need(
        user=world.member_other.user, collaboration=world.b, service_area=world.health_b, **NIGHT
    )
    workflow.perform(in_b, "submit", world.member_other.user)
    assert duplicates.find_similar(world.a, NIGHT["title"], NIGHT["problem"]) == []
    live = submitted(report, **NIGHT)
    assert refs(duplicates.find_similar(world.b, NIGHT["title"], NIGHT["problem"])) == [in_b.reference]
    assert refs(duplicates.find_similar(world.a, NIGHT["title"], NIGHT["problem"])) == [live.reference]
    assert duplicates.find_similar(world.a, NIGHT["title"], NIGHT["problem"], exclude_pk=live.pk) == []


def test_results_are_best_first_and_limited(world, report):
    needs = [submitted(report, **NIGHT) for _ in range(3)]
    submitted(report, **NIGHT_NN)
    found = duplicates.find_similar(world.a, NIGHT["title"], NIGHT["problem"], limit=2)
    assert refs(found) == [needs[0].reference, needs[1].reference]  # equal scores: lowest number first
    assert found[0][1] == 100


# -------------------------------------------------------------------------------------------- merging


@pytest.fixture
def pair(world, report, people):
    """Kristiansund's need (the one kept) and Smøla's duplicate, co-signed by Sunndal and followed by a colleague."""
    into = in_sector_group(report, world, user=people.kristiansund.user, **NIGHT)
    duplicate = in_sector_group(report, world, **NIGHT_NN)
    services.co_sign(duplicate, user=people.sunndal.user, expected_benefit="Færre kjøreturer.")
    services.follow(duplicate, user=world.council_member.user)
    return duplicate, into


def test_merge_carries_co_signers_and_followers_and_is_logged(world, pair):
    duplicate, into = pair
    log = duplicates.merge(duplicate, into, user=world.lead.user, comment="Samme behov som B-1.")

    assert log.action == "merge" and log.to_state == "merged" and log.capacity == "sector_lead"
    assert log.comment == "Samme behov som B-1."
    duplicate.refresh_from_db()
    assert duplicate.state == "merged" and duplicate.merged_into == into
    assert list(into.merged_needs.all()) == [duplicate]
    latest = duplicate.history.first()
    assert latest.merged_into_id == into.pk and latest.history_capacity == "sector_lead"

    signed = {c.municipality: c for c in into.co_signs.all()}
    assert set(signed) == {world.small, world.medium}
    assert signed[world.small].person == world.member_small
    assert signed[world.medium].expected_benefit == "Færre kjøreturer."
    assert duplicate.co_signs.count() == 1  # the duplicate's own co-signature stays on its page
    followers = set(Follow.objects.filter(need=into).values_list("user__username", flat=True))
    assert {"smola", "sunndal", "rad"} <= followers
    # the duplicate's people hear of the next steps of the need it lives on in
    assert {world.member_small.user_id, world.sunndal.user_id} <= NeedSubject().recipients(into)


def test_merge_skips_the_targets_own_municipality_and_existing_co_signatures(world, report, people):
    into = in_sector_group(report, world, **NIGHT)  # Smøla's
    services.co_sign(into, user=people.sunndal.user, expected_benefit="Vår egen tekst.")
    duplicate = in_sector_group(report, world, user=people.sunndal.user, **NIGHT_NN)
    services.co_sign(duplicate, user=world.member_small.user)

    duplicates.merge(duplicate, into, user=world.lead.user, comment="Duplikat.")
    assert [(c.municipality, c.expected_benefit) for c in into.co_signs.all()] == [(world.medium, "Vår egen tekst.")]

    duplicates.unmerge(duplicate, user=world.lead.user, comment="Feil.")
    assert [(c.municipality, c.expected_benefit) for c in into.co_signs.all()] == [(world.medium, "Vår egen tekst.")]


def test_unmerge_restores_what_was_there(world, pair):
    duplicate, into = pair
    follows_before = set(Follow.objects.filter(need=into).values_list("user_id", flat=True))
    duplicates.merge(duplicate, into, user=world.lead.user, comment="Duplikat.")
    log = duplicates.unmerge(duplicate, user=world.lead.user, comment="De er ulike likevel.")

    assert log.action == "unmerge" and log.to_state == "in_sector_group"
    duplicate.refresh_from_db()
    assert duplicate.state == "in_sector_group" and duplicate.merged_into is None
    assert not into.merged_needs.exists()
    assert into.co_signs.count() == 0
    assert set(Follow.objects.filter(need=into).values_list("user_id", flat=True)) == follows_before
    assert duplicate.co_signs.count() == 1
    assert [entry.action for entry in workflow.history(duplicate)][:2] == ["unmerge", "merge"]
    deleted = into.co_signs.model.history.filter(need_id=into.pk, history_type="-")
    assert deleted.count() == 2 and {h.history_capacity for h in deleted} == {"sector_lead"}

    # and it can be merged again
    duplicates.merge(duplicate, into, user=world.lead.user, comment="Likevel duplikat.")
    assert into.co_signs.count() == 2


def test_unmerge_keeps_what_another_merged_need_still_supports(world, report, pair):
    duplicate, into = pair
    second = in_sector_group(report, world, **NIGHT)  # Smøla again
    duplicates.merge(duplicate, into, user=world.lead.user, comment="Duplikat.")
    duplicates.merge(second, into, user=world.lead.user, comment="Også duplikat.")
    duplicates.unmerge(duplicate, user=world.lead.user, comment="Ulike.")
    assert set(into.co_signs.values_list("municipality", flat=True)) == {world.small.pk}
    assert Follow.objects.filter(need=into, user=world.member_small.user).exists()


def nothing_written(duplicate, into, counts):
    duplicate.refresh_from_db()
    assert duplicate.state == "in_sector_group" and duplicate.merged_into is None
    assert (CoSign.objects.count(), Follow.objects.count(), TransitionLog.objects.count()) == counts
    assert into.co_signs.count() == 0


def test_refusals_write_nothing(world, pair, report, people, make_person, seat):
    duplicate, into = pair
    counts = (CoSign.objects.count(), Follow.objects.count(), TransitionLog.objects.count())

    with pytest.raises(ValidationError, match="into itself"):
        duplicates.merge(duplicate, duplicate, user=world.lead.user, comment="x")
    with pytest.raises(workflow.ActionRefused):
        duplicates.merge(duplicate, into, user=people.sunndal.user, comment="Ikke min sak.")
    with pytest.raises(workflow.ActionRefused, match="reason"):
        duplicates.merge(duplicate, into, user=world.lead.user, comment="  ")
    draft = report(**NIGHT)
    with pytest.raises(ValidationError, match="cannot receive"):
        duplicates.merge(duplicate, draft, user=world.lead.user, comment="x")
    counts = (counts[0], counts[1], TransitionLog.objects.count())  # the draft's own start
    nothing_written(duplicate, into, counts)

    other = Need.objects.get(pk=into.pk)
    other.collaboration_id = world.b.pk  # an unsaved stand-in for a need of collaboration B
    with pytest.raises(ValidationError, match="same collaboration"):
        duplicates._refuse_target(duplicate, other)

    third = in_sector_group(report, world, **MEDICINE)
    counts = (CoSign.objects.count(), Follow.objects.count(), TransitionLog.objects.count())
    duplicates.merge(third, into, user=world.lead.user, comment="Duplikat.")
    counts = (CoSign.objects.count(), Follow.objects.count(), TransitionLog.objects.count())
    with pytest.raises(ValidationError, match="itself merged"):
        duplicates.merge(duplicate, third, user=world.lead.user, comment="x")
    duplicate.refresh_from_db()
    assert duplicate.state == "in_sector_group" and duplicate.merged_into is None
    assert (CoSign.objects.count(), Follow.objects.count(), TransitionLog.objects.count()) == counts


def test_merging_into_a_need_of_another_collaboration_is_refused(world, pair):
    duplicate, into = pair
    Need.objects.filter(pk=into.pk).update(collaboration=world.b)
    into.refresh_from_db()
    before = TransitionLog.objects.count()
    with pytest.raises(ValidationError, match="same collaboration"):
        duplicates.merge(duplicate, into, user=world.lead.user, comment="x")
    assert TransitionLog.objects.count() == before and duplicate.merged_into_id is None


def test_unmerge_needs_the_right_and_a_comment(world, pair, people):
    duplicate, into = pair
    duplicates.merge(duplicate, into, user=world.lead.user, comment="Duplikat.")
    with pytest.raises(workflow.ActionRefused):
        duplicates.unmerge(duplicate, user=people.sunndal.user, comment="Nei.")
    with pytest.raises(workflow.ActionRefused):
        duplicates.unmerge(duplicate, user=world.lead.user, comment="")
    duplicate.refresh_from_db()
    assert duplicate.state == "merged" and duplicate.merged_into == into and into.co_signs.count() == 2


def test_comments_stay_on_the_duplicate_and_show_on_the_target(world, pair):
    duplicate, into = pair
    comment = services.add_comment(duplicate, user=world.lead.user, body="Er dette det samme som B-1?")
    duplicates.merge(duplicate, into, user=world.lead.user, comment="Duplikat.")
    assert list(duplicates.merged_comments(into)) == [comment]
    assert into.comments.count() == 0
