import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from ikt_portfolio.needs import services
from ikt_portfolio.needs.models import CoSign, Follow, Need
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import Notification

pytestmark = pytest.mark.django_db


def test_reporting_numbers_the_need_and_starts_its_workflow(world, report):
    first, second = report(), report(title="Nummer to")
    assert (first.number, second.number) == (1, 2)
    assert first.reference == "B-1" and first.state == "draft"
    assert first.municipality == world.small and first.submitted_by == world.member_small


def test_only_staff_of_members_report_needs(world, report):
    with pytest.raises(ValidationError):
        report(user=world.member_other.user)  # Oslo is not a member of A
    with pytest.raises(ValidationError):
        report(user=world.lead.user)  # the collaboration's own staff
    assert not Need.objects.exists()


def test_empty_and_oversized_fields_are_refused_and_nothing_is_written(world, report):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        report(title="", problem="x" * 5001)
    assert {"title", "problem"} <= set(error.value.message_dict)
    assert not Need.objects.exists()


def test_service_area_of_another_collaboration_is_refused(world, report):
    with pytest.raises(ValidationError):
        report(service_area=world.health_b)


def submitted(world, report):
    need = report()
    workflow.perform(need, "submit", world.member_small.user)
    return need


def test_co_signing(world, report, make_person):
    need = submitted(world, report)
    colleague = make_person("sunndal", municipality=world.medium)
    signature = services.co_sign(need, user=colleague.user, expected_benefit="Samme problem hos oss", affected_count=30)
    assert signature.municipality == world.medium
    assert Follow.objects.filter(need=need, user=colleague.user).exists()


def test_co_sign_refusals(world, report, make_person):
    need = report()
    colleague = make_person("sunndal", municipality=world.medium)
    with pytest.raises(ValidationError):
        services.co_sign(need, user=colleague.user)  # still a draft
    workflow.perform(need, "submit", world.member_small.user)
    with pytest.raises(ValidationError):
        services.co_sign(need, user=world.member_other.user)  # not a member
    with pytest.raises(ValidationError):
        services.co_sign(need, user=make_person("smola2", municipality=world.small).user)  # the submitter's own
    services.co_sign(need, user=colleague.user)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.co_sign(need, user=make_person("sunndal2", municipality=world.medium).user)
    assert "already co-signed" in str(error.value)
    assert CoSign.objects.count() == 1


def test_co_signers_and_followers_hear_of_every_step(world, report, make_person):
    need = submitted(world, report)
    colleague = make_person("sunndal", municipality=world.medium)
    services.co_sign(need, user=colleague.user)
    follower = make_person("folger", municipality=world.large)
    services.follow(need, user=follower.user)
    workflow.perform(need, "take_up", world.lead.user)
    told = set(Notification.objects.filter(kind="transition").values_list("recipient__username", flat=True))
    assert {"smola", "sunndal", "folger"} <= told
    services.unfollow(need, user=follower.user)
    workflow.perform(need, "recommend", world.lead.user)
    latest = set(
        Notification.objects.filter(subject__contains="anbefalt").values_list("recipient__username", flat=True)
    )
    assert "folger" not in latest


def test_comments_and_questions(world, report):
    need = submitted(world, report)
    question = services.add_comment(need, user=world.lead.user, body="Hvor mange brukere?", is_question=True)
    assert question.capacity == "sector_lead"
    answer = services.add_comment(need, user=world.member_small.user, body="Rundt 60.")
    assert answer.capacity == "submitter" and not answer.is_question
    with pytest.raises(ValidationError):
        services.add_comment(need, user=world.member_small.user, body="Spørsmål?", is_question=True)
    with pytest.raises(ValidationError):
        services.add_comment(need, user=world.member_other.user, body="Utenfra")
    with pytest.raises(ValidationError):
        services.add_comment(need, user=world.lead.user, body="   ")
