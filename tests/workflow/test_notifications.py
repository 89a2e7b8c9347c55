"""Notifications: written to the outbox in the transition's own database transaction, in each recipient's
language, e-mailed by the worker through a real SMTP server, retried when SMTP is down; a Redis outage
neither blocks nor loses anything; deadline reminders and escalation."""

import socket
from email.header import decode_header, make_header

import django_rq
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from rq import SimpleWorker

from ikt_portfolio.members.models import BodyMembership
from ikt_portfolio.workflow import services
from ikt_portfolio.workflow.models import Notification
from tests.workflow_app.models import Ticket

pytestmark = pytest.mark.django_db

PENDING, SENT, FAILED, SKIPPED = (
    Notification.EmailStatus.PENDING,
    Notification.EmailStatus.SENT,
    Notification.EmailStatus.FAILED,
    Notification.EmailStatus.SKIPPED,
)
DEAD_REDIS = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 600}}


@pytest.fixture
def rep(route, make_person, seat):
    """A sector representative in the health sector group, who reads the product in nynorsk."""
    person = make_person("rep", municipality=route.world.medium, language="nn")
    seat(person, route.world.sector_a, BodyMembership.Role.MEMBER, represents=route.world.medium)
    return person


def rows_for(ticket, kind=None):
    rows = Notification.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket), object_id=ticket.pk
    ).select_related("recipient")
    return rows.filter(kind=kind) if kind else rows


def recipients(rows) -> set[int]:
    return {row.recipient_id for row in rows}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


@pytest.fixture
def live_redis(settings):
    """The test Redis, on a database of its own so the queue is ours alone."""
    url = settings.RQ_QUEUES["default"]["URL"].rsplit("/", 1)[0] + "/13"
    settings.RQ_QUEUES = {"default": {"URL": url, "DEFAULT_TIMEOUT": 600}}
    queue = django_rq.get_queue("default")
    try:
        queue.connection.ping()
    except Exception as error:  # pragma: no cover - the suite is run with Redis (make test starts it)
        pytest.fail(f"No Redis at {url}: start it with scripts/test-services.sh start ({error})")
    queue.empty()
    yield queue
    queue.empty()


# ------------------------------------------------------------------------------------------ the rows


def test_a_transition_notifies_the_next_actors_not_the_actor(route, new_ticket, rep):
    ticket = new_ticket("Felles pasientjournal")
    services.perform(ticket, "submit", route.submitter.user)
    rows = rows_for(ticket, "transition")
    assert recipients(rows) == {route.world.lead.user_id, rep.user_id}, "the sector lead and representatives"
    assert route.submitter.user_id not in recipients(rows), "not the one who acted"
    for row in rows:
        assert "Felles pasientjournal" in row.subject and "Felles pasientjournal" in row.body
        assert (row.link, row.email_status, row.read_at, row.attempts) == (f"/tickets/{ticket.pk}/", PENDING, None, 0)


def test_the_submitter_is_told_of_every_step(route, new_ticket, rep):
    ticket = new_ticket("Felles pasientjournal")
    services.perform(ticket, "submit", route.submitter.user)
    seen = max(rows_for(ticket).values_list("pk", flat=True))
    services.perform(ticket, "take_up", route.world.lead.user)
    rows = rows_for(ticket).filter(pk__gt=seen)
    assert recipients(rows) == {route.submitter.user_id, rep.user_id}
    assert route.world.lead.user_id not in recipients(rows)


def test_each_recipient_reads_it_in_their_language(route, new_ticket, rep):
    route.submitter.language = "en"
    route.submitter.save()
    ticket = new_ticket("Felles pasientjournal")
    services.perform(ticket, "submit", route.submitter.user)
    lead_row = rows_for(ticket).get(recipient=route.world.lead.user)
    assert "Meldt inn" in lead_row.subject, "bokmål for the lead"
    seen = max(rows_for(ticket).values_list("pk", flat=True))
    services.perform(ticket, "take_up", route.world.lead.user)
    latest = rows_for(ticket).filter(pk__gt=seen)
    by_user = {row.recipient_id: row for row in latest.filter(recipient__in=[route.submitter.user, rep.user])}
    assert "Til handsaming i faggruppa" in by_user[rep.user_id].subject, "nynorsk for the representative"
    assert "In the sector group" in by_user[route.submitter.user_id].subject, "English for the submitter"
    assert by_user[rep.user_id].subject != by_user[route.submitter.user_id].subject


def test_the_fixed_sentences_are_translated(route, new_ticket, rep):
    route.submitter.language = "en"
    route.submitter.save()
    ticket = new_ticket("Felles pasientjournal")
    services.perform(ticket, "submit", route.submitter.user)
    services.perform(ticket, "take_up", route.world.lead.user)
    english = rows_for(ticket).filter(recipient=route.submitter.user).first().body
    nynorsk = rows_for(ticket).filter(recipient=rep.user).order_by("-pk").first().body
    assert english.split("“")[0] != nynorsk.split("“")[0]


def test_the_reason_is_in_the_message(route, new_ticket):
    ticket = new_ticket()
    services.perform(ticket, "submit", route.submitter.user)
    services.perform(ticket, "return", route.world.lead.user, comment="Hvor mange brukere gjelder det?")
    row = rows_for(ticket).get(recipient=route.submitter.user)
    assert "Hvor mange brukere gjelder det?" in row.body


def test_a_refused_action_writes_no_notification(route, new_ticket):
    ticket = new_ticket()
    with pytest.raises(services.ActionRefused):
        services.perform(ticket, "take_up", route.world.lead.user)
    assert not rows_for(ticket).exists()


def test_people_without_e_mail_get_the_in_app_notification_only(route, new_ticket, rep):
    rep.user.email = ""
    rep.user.save()
    ticket = new_ticket()
    services.perform(ticket, "submit", route.submitter.user)
    assert rows_for(ticket).get(recipient=rep.user).email_status == SKIPPED
    assert rows_for(ticket).get(recipient=route.world.lead.user).email_status == PENDING


def test_a_failed_vote_tells_the_voters_and_the_submitter(route, new_ticket):
    ticket = new_ticket()
    for action, person in (
        ("submit", route.submitter),
        ("take_up", route.world.lead),
        ("recommend", route.world.lead),
        ("send_to_council", route.world.lead),
    ):
        services.perform(ticket, action, person.user)
    services.vote(ticket, "include", route.council[0].user, "no")
    services.vote(ticket, "include", route.council[1].user, "no")
    rows = rows_for(ticket, "ballot_failed")
    assert recipients(rows) == {p.user_id for p in route.council} | {route.submitter.user_id}


# -------------------------------------------------------------------------------------------- e-mail


def test_deliver_pending_sends_through_smtp_and_marks_them_sent(route, new_ticket, rep, smtp_server):
    ticket = new_ticket("Felles pasientjournal")
    services.perform(ticket, "submit", route.submitter.user)
    assert services.deliver_pending() == {"sent": 2, "failed": 0}
    assert sorted(m["To"] for m in smtp_server.messages) == sorted([rep.user.email, route.world.lead.user.email])
    for message in smtp_server.messages:
        row = rows_for(ticket).get(recipient__email=message["To"])
        assert subject_of(message) == row.subject
    assert set(rows_for(ticket).values_list("email_status", "attempts")) == {(SENT, 1)}
    assert services.deliver_pending() == {"sent": 0, "failed": 0}
    assert len(smtp_server.messages) == 2, "nothing is sent twice"


def test_an_smtp_outage_neither_blocks_nor_loses_a_transition(route, new_ticket, rep, smtp_server, settings):
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = closed_port()
    ticket = new_ticket()
    services.perform(ticket, "submit", route.submitter.user)
    assert Ticket.objects.get(pk=ticket.pk).state == "submitted"

    before = timezone.now()
    assert services.deliver_pending() == {"sent": 0, "failed": 2}
    for row in rows_for(ticket):
        assert (row.email_status, row.attempts) == (PENDING, 1)
        assert row.next_attempt_at > before and row.last_error
    assert services.deliver_pending() == {"sent": 0, "failed": 0}, "not retried before its time"
    assert set(rows_for(ticket).values_list("attempts", flat=True)) == {1}

    settings.EMAIL_PORT = working_port  # SMTP is back, and time passes
    rows_for(ticket).update(next_attempt_at=timezone.now() - timezone.timedelta(seconds=1))
    assert services.deliver_pending() == {"sent": 2, "failed": 0}
    assert set(rows_for(ticket).values_list("email_status", "attempts")) == {(SENT, 2)}
    assert len(smtp_server.messages) == 2


def test_retries_back_off_and_give_up_after_the_last_attempt(route, new_ticket, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    ticket = new_ticket()
    services.perform(ticket, "submit", route.submitter.user)
    row = rows_for(ticket).get()
    waits = []
    from ikt_portfolio.workflow.services.notifications import MAX_ATTEMPTS

    for attempt in range(1, MAX_ATTEMPTS + 1):
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=None)
        now = timezone.now()
        services.deliver_pending()
        row.refresh_from_db()
        assert row.attempts == attempt
        waits.append(row.next_attempt_at - now)
    assert row.email_status == FAILED
    assert waits == sorted(waits) and waits[0] < waits[-1], "the wait grows"
    assert services.deliver_pending() == {"sent": 0, "failed": 0}


# ---------------------------------------------------------------------------------------------- Redis


def test_a_redis_outage_neither_blocks_nor_loses_a_transition(
    route, new_ticket, rep, settings, smtp_server, django_capture_on_commit_callbacks
):
    settings.RQ_QUEUES = DEAD_REDIS
    ticket = new_ticket()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.perform(ticket, "submit", route.submitter.user)
    assert callbacks, "delivery is queued after the commit"
    assert Ticket.objects.get(pk=ticket.pk).state == "submitted"
    assert set(rows_for(ticket).values_list("email_status", flat=True)) == {PENDING}
    assert recipients(rows_for(ticket)) == {route.world.lead.user_id, rep.user_id}
    # The sweep (workflow_tick) delivers what the queue could not.
    assert services.deliver_pending() == {"sent": 2, "failed": 0}
    assert len(smtp_server.messages) == 2


@pytest.mark.django_db(transaction=True)
def test_a_redis_outage_after_a_real_commit(route, new_ticket, rep, settings, smtp_server):
    """The same with a real commit: the on-commit hook meets the dead Redis and must swallow it."""
    settings.RQ_QUEUES = DEAD_REDIS
    ticket = new_ticket()
    services.perform(ticket, "submit", route.submitter.user)
    assert not connection.in_atomic_block
    assert Ticket.objects.get(pk=ticket.pk).state == "submitted"
    assert rows_for(ticket).filter(email_status=PENDING).count() == 2
    assert services.deliver_pending()["sent"] == 2


def test_with_redis_up_the_worker_delivers(
    route, new_ticket, rep, smtp_server, live_redis, django_capture_on_commit_callbacks
):
    ticket = new_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        services.perform(ticket, "submit", route.submitter.user)
    assert live_redis.count == 1, "one delivery job for the transition"
    job = live_redis.jobs[0]
    assert job.func_name.endswith("deliver_pending")
    assert not smtp_server.messages, "nothing is sent before the worker runs"
    SimpleWorker([live_redis], connection=live_redis.connection).work(burst=True)
    job.refresh()
    assert job.is_finished and job.return_value() == {"sent": 2, "failed": 0}
    assert len(smtp_server.messages) == 2
    assert set(rows_for(ticket).values_list("email_status", flat=True)) == {SENT}


def test_nothing_is_queued_for_a_rolled_back_transition(
    route, new_ticket, live_redis, django_capture_on_commit_callbacks
):
    ticket = new_ticket()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(services.ActionRefused):
            services.perform(ticket, "take_up", route.world.lead.user)
    assert not callbacks and live_redis.count == 0


# ------------------------------------------------------------------------------------------- deadlines


def test_reminders_go_out_once_and_escalation_after_its_days(route, new_ticket, rep):
    ticket = new_ticket("Forsinket sak")
    waiting = new_ticket("Utkast uten frist")  # a draft has no deadline
    services.perform(ticket, "submit", route.submitter.user)
    ticket.refresh_from_db()
    state = services.current_state(ticket)
    assert (state.deadline_days, state.escalate_after_days, state.escalate_to) == (14, 7, "collaboration_admin")
    deadline = ticket.deadline_at
    assert deadline is not None and waiting.deadline_at is None

    assert services.run_deadlines(now=deadline - timezone.timedelta(hours=1)) == {"reminded": 0, "escalated": 0}
    assert services.run_deadlines(now=deadline + timezone.timedelta(days=1)) == {"reminded": 1, "escalated": 0}
    reminders = rows_for(ticket, "reminder")
    assert recipients(reminders) == {route.world.lead.user_id, rep.user_id, route.submitter.user_id}
    assert all("Forsinket sak" in row.subject for row in reminders)
    assert services.run_deadlines(now=deadline + timezone.timedelta(days=2)) == {"reminded": 0, "escalated": 0}
    assert rows_for(ticket, "reminder").count() == 3, "reminded once, not twice"
    assert not rows_for(waiting).exists()

    assert services.run_deadlines(now=deadline + timezone.timedelta(days=6)) == {"reminded": 0, "escalated": 0}
    assert services.run_deadlines(now=deadline + timezone.timedelta(days=7, hours=1)) == {"reminded": 0, "escalated": 1}
    escalations = rows_for(ticket, "escalation")
    assert recipients(escalations) == {route.world.admin_a.user_id}, "the escalate_to capacity holders only"
    assert not escalations.filter(recipient__person__staff_of=route.world.b).exists()
    assert services.run_deadlines(now=deadline + timezone.timedelta(days=30)) == {"reminded": 0, "escalated": 0}
    assert rows_for(ticket, "escalation").count() == 1


def test_acting_on_an_item_resets_its_reminder(route, new_ticket):
    ticket = new_ticket()
    services.perform(ticket, "submit", route.submitter.user)
    ticket.refresh_from_db()
    services.run_deadlines(now=ticket.deadline_at + timezone.timedelta(days=1))
    services.perform(ticket, "take_up", route.world.lead.user)
    ticket.refresh_from_db()
    assert ticket.reminder_sent_at is None and ticket.escalated_at is None
    assert ticket.deadline_at > timezone.now() + timezone.timedelta(days=29), "the sector group's 30 days"
    later = ticket.deadline_at + timezone.timedelta(days=1)
    assert services.run_deadlines(now=later)["reminded"] == 1


def test_a_long_overdue_item_is_reminded_and_escalated_in_one_sweep(route, new_ticket):
    ticket = new_ticket()
    services.perform(ticket, "submit", route.submitter.user)
    ticket.refresh_from_db()
    assert services.run_deadlines(now=ticket.deadline_at + timezone.timedelta(days=60)) == {
        "reminded": 1,
        "escalated": 1,
    }
