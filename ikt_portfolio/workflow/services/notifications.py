"""Telling people: in-app notifications and e-mail through an outbox, and the deadline sweep.

Notifications are rows written in the same transaction as the change they tell of. After the commit the
delivery job is queued on Redis; if Redis is down the rows wait, and `workflow_tick` (run by cron or the
scheduler) delivers them and retries failed e-mail with back-off. Nothing a user did is ever blocked or
lost because of Redis or SMTP.
"""

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ikt_portfolio.members.selectors import capacity_holders

from ..models import Ballot, Notification, Transition, TransitionLog
from ..registry import deadline_sweeps, document_types, registration_for

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def _language_of(user) -> str:
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return person.language if person is not None else settings.LANGUAGE_CODE


def notify(user_ids: Iterable[int], document, kind: str, compose) -> list[Notification]:
    """Write one notification per user; `compose()` is called in each recipient's language and returns
    (subject, body)."""
    return notify_many([Message(user_ids, document, kind, compose)])


@dataclass(frozen=True)
class Message:
    """What `notify_many` writes: one notification per user about `document`, `compose()` called in each
    recipient's language and returning (subject, body); `link` defaults to the document type's link."""

    user_ids: Iterable[int]
    document: object
    kind: str
    compose: Callable[[], tuple[str, str]]
    link: str | None = None


def notify_many(messages: Iterable[Message]) -> list[Notification]:
    """Write the notifications of many messages in two queries (the recipients, one insert), however many."""
    messages = [(message, set(message.user_ids)) for message in messages]
    wanted = set().union(*(user_ids for _message, user_ids in messages))
    if not wanted:
        return []
    users = get_user_model().objects.filter(pk__in=wanted, is_active=True).select_related("person")
    users = {user.pk: user for user in users}
    rows = []
    for message, user_ids in messages:
        document = message.document
        link = message.link if message.link is not None else registration_for(document).subject.link(document)
        content_type = ContentType.objects.get_for_model(document)
        for user in (users[pk] for pk in sorted(user_ids) if pk in users):
            with translation.override(_language_of(user)):
                title, body = message.compose()
            rows.append(
                Notification(
                    recipient=user,
                    content_type=content_type,
                    object_id=document.pk,
                    kind=message.kind,
                    subject=title[:250],
                    body=body,
                    link=link[:300],
                    email_status=Notification.EmailStatus.PENDING if user.email else Notification.EmailStatus.SKIPPED,
                )
            )
    created = Notification.objects.bulk_create(rows)
    _queue_delivery_after_commit()
    return created


def _queue_delivery_after_commit() -> None:
    """One delivery job per transaction, however many notifications it wrote."""
    connection = transaction.get_connection()
    if not any(callback is queue_delivery for _savepoints, callback, _robust in connection.run_on_commit):
        transaction.on_commit(queue_delivery, robust=True)


def next_actors(document, transition_from_state) -> set[int]:
    """Users who can act on the document in its new state (holders of the capacities of its transitions)."""
    subject = registration_for(document).subject
    collaboration_id = subject.collaboration_id(document)
    scope = subject.scope(document)
    users: set[int] = set()
    capacities: set[str] = set()
    from .engine import CommitteeLookups, WorkflowError, graph_of

    lookups = CommitteeLookups()
    voters: set[int] = set()
    for transition in graph_of(document.workflow_version).outgoing.get(transition_from_state, []):
        if not transition.awaited:
            continue
        if transition.is_committee:
            try:  # the members who vote, not the secretary or observers
                voters.update(lookups.voting_members(lookups.body(document, transition)))
            except WorkflowError:
                pass
            continue
        for capacity in transition.allowed_capacities:
            relative = subject.people_in(document, capacity)
            if relative is not None:
                users.update(get_user_model().objects.filter(person__pk__in=relative).values_list("pk", flat=True))
            elif capacity != "submitter":
                capacities.add(capacity)
    if capacities:
        users |= capacity_holders(collaboration_id, capacities, scope)
    if voters:
        users.update(get_user_model().objects.filter(person__pk__in=voters).values_list("pk", flat=True))
    return users


def notify_transition(document, log: TransitionLog, transition: Transition) -> None:
    subject = registration_for(document).subject
    title = subject.title(document)
    recipients = subject.recipients(document) | next_actors(document, log.to_state)
    if transition.to_state.is_final:  # those who had it waiting hear that it is closed
        recipients |= next_actors(document, log.from_state)
    recipients -= {log.actor_id}

    def compose():
        state = transition.to_state
        heading = _("%(title)s: %(state)s") % {"title": title, "state": state}
        lines = [
            _("“%(title)s” is now “%(state)s” (%(action)s).")
            % {"title": title, "state": state, "action": transition.localized_label}
        ]
        if log.comment:
            lines.append(_("Reason: %(comment)s") % {"comment": log.comment})
        link = subject.link(document)
        if link:
            lines.append(link)
        return heading, "\n\n".join(str(line) for line in lines)

    notify(recipients, document, "transition", compose)


def notify_ballot_failed(document, ballot: Ballot) -> None:
    subject = registration_for(document).subject
    title = subject.title(document)
    recipients = set(
        get_user_model().objects.filter(person__pk__in=ballot.eligible).values_list("pk", flat=True)
    ) | subject.recipients(document)

    def compose():
        return (
            _("%(title)s: the vote did not pass") % {"title": title},
            _("The vote on “%(action)s” for “%(title)s” can no longer pass; the item stays where it is.")
            % {"action": ballot.transition.localized_label, "title": title},
        )

    notify(recipients, document, "ballot_failed", compose)


# ------------------------------------------------------------------------------------------- delivery


def queue_delivery() -> None:
    """Ask the worker to deliver; if Redis is unreachable the outbox keeps the rows for the next sweep."""
    from ikt_portfolio.core.jobs import enqueue

    try:
        enqueue(deliver_pending, now=True)  # already after the commit: any Redis error is ours to catch
    except Exception as error:  # any Redis failure: the sweep delivers later
        logger.warning("Could not queue notification delivery (%s); the next sweep will send them.", error)


def deliver_pending(limit: int = 200) -> dict:
    """Send pending e-mail notifications; failed sends are retried with back-off up to MAX_ATTEMPTS."""
    now = timezone.now()
    due = list(
        Notification.objects.filter(email_status=Notification.EmailStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .select_related("recipient")
        .order_by("created_at")[:limit]
    )
    sent = failed = 0
    if not due:
        return {"sent": 0, "failed": 0}
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
    except Exception as error:  # SMTP down: every row waits for the next attempt
        for notification in due:
            _failed(notification, error, now)
        return {"sent": 0, "failed": len(due)}
    try:
        for notification in due:
            # Claim the row, so two workers never send the same e-mail.
            claimed = Notification.objects.filter(
                pk=notification.pk, email_status=Notification.EmailStatus.PENDING, attempts=notification.attempts
            ).update(attempts=notification.attempts + 1)
            if not claimed:
                continue
            notification.attempts += 1
            try:
                EmailMessage(
                    notification.subject,
                    notification.body,
                    settings.DEFAULT_FROM_EMAIL,
                    [notification.recipient.email],
                    connection=connection,
                ).send()
            except Exception as error:  # one bad address or a dropped connection: retry this row later
                _failed(notification, error, now, claimed=True)
                failed += 1
                continue
            Notification.objects.filter(pk=notification.pk).update(
                email_status=Notification.EmailStatus.SENT, last_error=""
            )
            sent += 1
    finally:
        connection.close()
    return {"sent": sent, "failed": failed}


def _failed(notification: Notification, error: Exception, now, claimed: bool = False) -> None:
    attempts = notification.attempts if claimed else notification.attempts + 1
    status = Notification.EmailStatus.FAILED if attempts >= MAX_ATTEMPTS else Notification.EmailStatus.PENDING
    Notification.objects.filter(pk=notification.pk).update(
        attempts=attempts,
        email_status=status,
        next_attempt_at=now + timezone.timedelta(minutes=2**attempts),
        last_error=str(error)[:300],
    )


# ------------------------------------------------------------------------------------------ deadlines


def run_deadlines(now=None, *, sweeps: dict | None = None) -> dict:
    """Remind those who can act on items past their deadline; escalate those long past it. The deadline sweeps
    other apps registered (`registry.register_deadline_sweep`) run too and their counts are added; pass a dict as
    `sweeps` to get each one's own counts by name."""
    from .engine import graph_of

    now = now or timezone.now()
    reminded = escalated = 0
    for registration in document_types().values():
        model, subject = registration.model, registration.subject
        overdue = model._default_manager.filter(deadline_at__lte=now, reminder_sent_at__isnull=True)
        for document in overdue.select_related("workflow_version", *subject.select_related)[:500]:
            title = subject.title(document)
            state = graph_of(document.workflow_version).state(document.state)
            recipients = next_actors(document, document.state) | subject.recipients(document)
            compose = functools.partial(_reminder_text, title, state)
            reminded += _claim_and_notify(document, "reminder_sent_at", now, recipients, "reminder", compose)
        candidates = model._default_manager.filter(
            deadline_at__lte=now, reminder_sent_at__isnull=False, escalated_at__isnull=True
        ).select_related("workflow_version", *subject.select_related)
        for document in candidates[:500]:
            state = graph_of(document.workflow_version).state(document.state)
            if state is None or state.escalate_after_days is None or not state.escalate_to:
                continue
            if document.deadline_at + timezone.timedelta(days=state.escalate_after_days) > now:
                continue
            title = subject.title(document)
            holders = capacity_holders(subject.collaboration_id(document), [state.escalate_to], subject.scope(document))
            compose = functools.partial(_escalation_text, title, state)
            escalated += _claim_and_notify(document, "escalated_at", now, holders, "escalation", compose)
    for sweep in deadline_sweeps():
        try:
            counts = sweep.run(now)
        except Exception:  # one app's failing sweep must not stop the others nor the e-mail delivery
            logger.exception("The deadline sweep %s failed.", sweep.name)
            counts = {"reminded": 0, "escalated": 0}
        reminded += counts.get("reminded", 0)
        escalated += counts.get("escalated", 0)
        if sweeps is not None:
            sweeps[sweep.name] = counts
    return {"reminded": reminded, "escalated": escalated}


def _reminder_text(title, state) -> tuple[str, str]:
    return (
        _("Reminder: %(title)s") % {"title": title},
        _("“%(title)s” has been “%(state)s” past its deadline. Please act on it.") % {"title": title, "state": state},
    )


def _escalation_text(title, state) -> tuple[str, str]:
    return (
        _("Overdue: %(title)s") % {"title": title},
        _("“%(title)s” is long past its deadline in “%(state)s” and is passed to you.")
        % {"title": title, "state": state},
    )


def _claim_and_notify(document, marker: str, now, recipients, kind: str, compose) -> int:
    """Set `marker` if nobody has, and notify in the same transaction: two sweeps at once never tell twice,
    a crash never half. Returns 1 if this sweep did it."""
    with transaction.atomic():
        unclaimed = type(document)._default_manager.filter(pk=document.pk, **{f"{marker}__isnull": True})
        if not unclaimed.update(**{marker: now}):
            return 0
        notify(recipients, document, kind, compose)
    return 1
