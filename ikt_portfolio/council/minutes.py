"""The meeting's minutes (protokoll): generated from what the meeting recorded (attendance, quorum, every
item with its decisions, the votes per member with their capacity, abstentions, reasons, and who decided an
item in two capacities), with the secretary's own text around it; editable by the body's chair or secretary
and the administrators until approved, then locked for good with a SHA-256 hash of the content; published to
everyone who sees the meeting; exported as HTML and PDF (WeasyPrint) in bokmål or nynorsk.

The generated part is a snapshot (`Minutes.record`, JSON): approved minutes never change, whatever happens to
the data behind them later. Labels (capacities, votes, attendance) are stored as keys and rendered in the
language asked for; what people wrote (reasons, notes) stays as written.

Who: drafts are read by those who see the meeting's details (the body's members, the invited, the chair,
secretary and administrators); published minutes by everyone who sees the meeting. The chair (a sector
group's lead) and the collaboration's administrators approve; the chair, secretary and administrators
generate, edit and publish.
"""

import hashlib
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.models import BodyMembership
from ikt_portfolio.members.permissions import admin_collaboration_ids, grants_of
from ikt_portfolio.workflow.models import Notification, TransitionLog, Vote

from .decisions import settle
from .models import AgendaItem, Decision, Meeting, Minutes, MinutesEntry, Participant
from .selectors import with_rows
from .services import OSLO, MeetingError, MeetingRefused, _require_manage, may_see, quorum, sees_details

LANGUAGES = ("nb", "nn", "en")
RECORD_VERSION = 1
APPROVING_ROLES = (BodyMembership.Role.CHAIR, BodyMembership.Role.LEAD)


class MinutesLocked(MeetingError):
    status_code = 409


# ------------------------------------------------------------------------------------------------ who


def may_approve(user, body) -> bool:
    """The body's chair (a sector group's lead) holding the seat today, and the collaboration's administrators."""
    if not getattr(user, "is_authenticated", False):
        return False
    if body.collaboration_id in admin_collaboration_ids(user):
        return True
    return any(grant.body_id == body.pk and grant.role in APPROVING_ROLES for grant in grants_of(user))


def may_read(user, minutes: Minutes | None, meeting: Meeting, participants=None) -> bool:
    if minutes is None:
        return False
    if minutes.published_at is not None:
        return may_see(user, meeting)
    return sees_details(user, meeting, participants)


def readable(user):
    """Minutes `user` may read: published ones of meetings they see, drafts of meetings whose details they
    see (see `may_read`)."""
    from django.db.models import Q

    from ikt_portfolio.members.permissions import is_operator, person_of

    from .models import seat_body_ids

    if is_operator(user):
        return Minutes.objects.all()
    visible = Meeting.objects.visible_to(user)
    details = Q(meeting__in=Meeting.objects.editable_by(user).values("pk")) | Q(
        meeting__body_id__in=seat_body_ids(user)
    )
    person = person_of(user)
    if person is not None:
        details |= Q(meeting__in=Participant.objects.filter(person_id=person.pk).values("meeting_id"))
    return Minutes.objects.filter(meeting__in=visible.values("pk")).filter(Q(published_at__isnull=False) | details)


def minutes_of(meeting: Meeting) -> Minutes | None:
    return Minutes.objects.filter(meeting_id=meeting.pk).select_related("approved_by").first()


# -------------------------------------------------------------------------------------------- the record


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _iso(value) -> str | None:
    return timezone.localtime(value, OSLO).isoformat() if value else None


def capacities_acted_in(items) -> dict[tuple[int, int, int], set[str]]:
    """Capacities each person acted in on each document of the agenda: {(content type, object, person)}."""
    content_types = {item.content_type_id for item in items if item.kind == AgendaItem.Kind.DOCUMENT}
    objects = {item.object_id for item in items if item.kind == AgendaItem.Kind.DOCUMENT}
    wanted = {(item.content_type_id, item.object_id) for item in items if item.kind == AgendaItem.Kind.DOCUMENT}
    acted: dict[tuple[int, int, int], set[str]] = {}
    if not wanted:
        return acted
    logs = TransitionLog.objects.filter(content_type_id__in=content_types, object_id__in=objects).values_list(
        "content_type_id", "object_id", "actor__person", "on_behalf_of_id", "capacity"
    )
    for content_type_id, object_id, actor, on_behalf_of, capacity in logs:
        person = on_behalf_of or actor
        if (content_type_id, object_id) in wanted and person and not capacity.startswith("committee:"):
            acted.setdefault((content_type_id, object_id, person), set()).add(capacity)
    votes = Vote.objects.filter(ballot__content_type_id__in=content_types, ballot__object_id__in=objects).values_list(
        "ballot__content_type_id", "ballot__object_id", "voter_id", "capacity"
    )
    for content_type_id, object_id, voter, capacity in votes:
        if (content_type_id, object_id) in wanted:
            acted.setdefault((content_type_id, object_id, voter), set()).add(capacity)
    return acted


def build_record(meeting: Meeting) -> dict:
    """What the meeting recorded, as a snapshot for the minutes. A fixed number of queries, whatever the
    number of participants, items, decisions and votes."""
    meeting = with_rows(Meeting.objects.filter(pk=meeting.pk)).get()
    participants = list(meeting.participants.all())
    items = list(meeting.agenda_items.all())
    decisions = list(
        Decision.objects.filter(agenda_item__meeting_id=meeting.pk)
        .select_related("transition", "period", "log", "ballot")
        .order_by("opened_at", "pk")
    )
    by_item: dict[int, list[Decision]] = {}
    for decision in decisions:
        by_item.setdefault(decision.agenda_item_id, []).append(decision)
    votes: dict[int, list[Vote]] = {}
    for vote in (
        Vote.objects.filter(ballot_id__in={d.ballot_id for d in decisions if d.ballot_id})
        .select_related("voter__user", "cast_by")
        .order_by("at", "pk")
    ):
        votes.setdefault(vote.ballot_id, []).append(vote)
    acted = capacities_acted_in(items)
    found = quorum(meeting, participants)
    body = meeting.body
    record = {
        "version": RECORD_VERSION,
        "meeting": {
            "id": meeting.pk,
            "title": meeting.title,
            "body": {"nb": body.name, "nn": body.name_nn or body.name, "en": body.name_en or body.name},
            "body_kind": body.kind,
            "collaboration": body.collaboration.name,
            "starts_at": _iso(meeting.starts_at),
            "ends_at": _iso(meeting.ends_at),
            "place": meeting.place,
            "status": meeting.status,
        },
        "quorum": {
            "present": found.present,
            "required": found.required,
            "seats": found.seats,
            "met": found.met,
            "rule": found.rule,
        },
        "participants": [
            {
                "person": participant.person_id,
                "name": _name(participant.person.user),
                "role": participant.role,
                "represents": participant.represents.name if participant.represents_id else "",
                "voting": participant.voting,
                "attendance": participant.attendance,
            }
            for participant in participants
        ],
        "items": [],
    }
    for position, item in enumerate(items, start=1):
        entry = {
            "position": position,
            "item": item.pk,
            "kind": item.kind,
            "title": item.title,
            "description": item.description,
            "outcome": item.outcome,
            "decisions": [],
        }
        for decision in by_item.get(item.pk, []):
            transition = decision.transition
            cast = votes.get(decision.ballot_id, []) if decision.ballot_id else []
            deciding_comment = decision.log.comment if decision.log_id else None
            counts = {choice: 0 for choice in Vote.Choice.values}
            rows, doubles = [], []
            for vote in cast:
                counts[vote.choice] += 1
                rows.append(
                    {
                        "name": _name(vote.voter.user),
                        "capacity": vote.capacity,
                        "choice": vote.choice,
                        "comment": "" if vote.comment == deciding_comment else vote.comment,
                        "cast_by": _name(vote.cast_by) if vote.cast_by_id != vote.voter.user_id else "",
                    }
                )
                earlier = acted.get((item.content_type_id, item.object_id, vote.voter_id), set())
                others = sorted(earlier - {vote.capacity, Capacity.SUBMITTER, ""})
                if others:
                    doubles.append({"name": _name(vote.voter.user), "capacity": vote.capacity, "others": others})
            period = decision.period
            entry["decisions"].append(
                {
                    "id": decision.pk,
                    "action": decision.action,
                    "label": {
                        "nb": transition.label,
                        "nn": transition.label_nn or transition.label,
                        "en": transition.label_en or transition.label,
                    },
                    "status": decision.status,
                    "priority": decision.priority,
                    "period": {"kind": period.kind, "year": period.year, "number": period.number} if period else None,
                    "reason": decision.reason,
                    "closed_at": _iso(decision.closed_at),
                    "eligible": len(decision.ballot.eligible) if decision.ballot_id else None,
                    "counts": counts,
                    "votes": rows,
                    "two_capacities": doubles,
                }
            )
        record["items"].append(entry)
    return record


def content_hash(minutes: Minutes, entries=None) -> str:
    """SHA-256 over the minutes' content: the record, the texts and every item's notes (canonical JSON)."""
    entries = list(entries if entries is not None else minutes.entries.order_by("position"))
    content = {
        "meeting": minutes.meeting_id,
        "record": minutes.record,
        "introduction": minutes.introduction,
        "closing": minutes.closing,
        "entries": [[entry.position, entry.title, entry.notes] for entry in entries],
        "approved_at": _iso(minutes.approved_at),
        "approved_by": minutes.approved_by_id,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verify(minutes: Minutes) -> bool:
    """Do approved minutes still hash to what was stored at approval?"""
    return bool(minutes.content_hash) and content_hash(minutes) == minutes.content_hash


# ------------------------------------------------------------------------------------------- changes


def _locked_minutes(minutes: Minutes) -> Minutes:
    fresh = Minutes.objects.select_for_update().select_related("meeting__body").get(pk=minutes.pk)
    if fresh.is_approved:
        raise MinutesLocked(_("The minutes are approved: they can no longer be changed."))
    return fresh


def generate(meeting: Meeting, user) -> Minutes:
    """Generate the minutes from the meeting (or bring a draft up to date: the notes on each item stay)."""
    capacity = _require_manage(user, meeting.body)
    with transaction.atomic():
        fresh_meeting = Meeting.objects.select_for_update().select_related("body").get(pk=meeting.pk)
        if fresh_meeting.status == Meeting.Status.CANCELLED:
            raise MeetingError(_("The meeting is cancelled: it has no minutes."))
        if fresh_meeting.starts_at > timezone.now():
            raise MeetingError(_("The meeting has not started yet: there is nothing to write minutes of."))
        minutes = Minutes.objects.select_for_update().filter(meeting=fresh_meeting).first()
        if minutes is not None and minutes.is_approved:
            raise MinutesLocked(_("The minutes are approved: they can no longer be changed."))
        settle(fresh_meeting)
        record = build_record(fresh_meeting)
        with acting_as(capacity):
            if minutes is None:
                minutes = Minutes(meeting=fresh_meeting)
            minutes.record, minutes.generated_at = record, timezone.now()
            minutes.save()
            notes = {entry.agenda_item_id: entry.notes for entry in minutes.entries.all() if entry.agenda_item_id}
            minutes.entries.all().delete()
            for item in record["items"]:
                MinutesEntry.objects.create(
                    minutes=minutes,
                    position=item["position"],
                    agenda_item_id=item["item"],
                    title=item["title"][:250],
                    notes=notes.get(item["item"], ""),
                )
    return minutes


def update(minutes: Minutes, user, *, introduction=None, closing=None, notes: dict | None = None) -> Minutes:
    """Change the secretary's texts: the introduction, the closing remarks, the notes per item
    ({item number: text}). Refused once approved."""
    capacity = _require_manage(user, minutes.meeting.body)
    with transaction.atomic():
        fresh = _locked_minutes(minutes)
        entries = {entry.position: entry for entry in fresh.entries.select_for_update()}
        notes = {int(position): text for position, text in (notes or {}).items()}
        unknown = set(notes) - set(entries)
        if unknown:
            raise MeetingError(
                _("The minutes have no item %(numbers)s.") % {"numbers": ", ".join(str(n) for n in sorted(unknown))}
            )
        with acting_as(capacity):
            changed = False
            for name, value in (("introduction", introduction), ("closing", closing)):
                if value is not None and getattr(fresh, name) != value:
                    setattr(fresh, name, value)
                    changed = True
            if changed:
                fresh.save()
            for position, text in notes.items():
                entry = entries[position]
                if entry.notes != (text or ""):
                    entry.notes = text or ""
                    entry.save()
    return fresh


def approve(minutes: Minutes, user) -> Minutes:
    """Approve the minutes as they read now: they must match the meeting (generate again after any later
    decision), the meeting must be held and no decision open. Locks them and stores the content hash."""
    body = minutes.meeting.body
    if not may_approve(user, body):
        raise MeetingRefused(
            _("Only the chair of %(body)s and the collaboration's administrators approve minutes.") % {"body": body}
        )
    with transaction.atomic():
        fresh = _locked_minutes(minutes)
        meeting = Meeting.objects.select_for_update().select_related("body").get(pk=fresh.meeting_id)
        if meeting.status != Meeting.Status.HELD:
            raise MeetingError(_("Mark the meeting as held before its minutes are approved."))
        if Decision.objects.filter(agenda_item__meeting=meeting, status=Decision.Status.OPEN).exists():
            raise MeetingError(_("A decision is still open for votes: close or withdraw it first."))
        if build_record(meeting) != fresh.record:
            raise MeetingError(
                _("The meeting's record has changed since the minutes were generated: generate them again and read.")
            )
        fresh.status, fresh.approved_at, fresh.approved_by = Minutes.Status.APPROVED, timezone.now(), user
        fresh.content_hash = content_hash(fresh)
        with acting_as(_approver_capacity(user, body)):
            fresh.save()
    return fresh


def _approver_capacity(user, body) -> str:
    for grant in grants_of(user):
        if grant.body_id == body.pk and grant.role in APPROVING_ROLES:
            return grant.capacity
    return Capacity.COLLABORATION_ADMIN


def publish(minutes: Minutes, user) -> Minutes:
    """Publish approved minutes to everyone who sees the meeting; the participants are told."""
    meeting = minutes.meeting
    capacity = _require_manage(user, meeting.body)
    with transaction.atomic():
        fresh = Minutes.objects.select_for_update().select_related("meeting__body").get(pk=minutes.pk)
        if not fresh.is_approved:
            raise MeetingError(_("Minutes are published once approved."))
        if fresh.published_at is not None:
            return fresh
        fresh.published_at = timezone.now()
        with acting_as(capacity):
            fresh.save(update_fields=["published_at"])
        _notify_published(fresh, user)
    return fresh


def _notify_published(minutes: Minutes, user) -> None:
    from django.urls import reverse

    from ikt_portfolio.workflow.services.notifications import queue_delivery

    meeting = minutes.meeting
    link = reverse("ikt_portal:meeting_minutes", args=[meeting.pk])
    people = Participant.objects.filter(meeting=meeting).values("person__user_id")
    rows = []
    for recipient in (
        get_user_model().objects.filter(pk__in=people, is_active=True).exclude(pk=user.pk).select_related("person")
    ):
        person = getattr(recipient, "person", None)
        with translation.override(person.language if person is not None else settings.LANGUAGE_CODE):
            rows.append(
                Notification(
                    recipient=recipient,
                    kind="minutes",
                    subject=(_("Minutes published: %(meeting)s") % {"meeting": meeting.title})[:250],
                    body=_("The minutes of “%(meeting)s” (%(body)s) are approved and published.")
                    % {"meeting": meeting.title, "body": meeting.body}
                    + f"\n\n{link}",
                    link=link,
                    email_status=Notification.EmailStatus.PENDING
                    if recipient.email
                    else Notification.EmailStatus.SKIPPED,
                )
            )
    Notification.objects.bulk_create(rows)
    transaction.on_commit(queue_delivery, robust=True)


# -------------------------------------------------------------------------------------------- export


def _when(value: str | None, fmt: str) -> str:
    if not value:
        return ""
    from datetime import datetime

    return formats.date_format(datetime.fromisoformat(value).astimezone(OSLO), fmt)


def document_context(minutes: Minutes, language: str) -> dict:
    """What the minutes template shows, in `language` (call inside translation.override)."""
    from ikt_portfolio.core.audit import capacity_label
    from ikt_portfolio.portfolio.models import period_label

    record = minutes.record or {}
    meeting = record.get("meeting", {})
    entries = {entry.position: entry for entry in minutes.entries.all()}
    roles = dict(BodyMembership.Role.choices)
    attendance = dict(Participant.Attendance.choices)
    choices = dict(Vote.Choice.choices)
    statuses = dict(Decision.Status.choices)
    items = []
    for item in record.get("items", []):
        decisions = []
        for decision in item["decisions"]:
            period = decision["period"]
            decisions.append(
                {
                    **decision,
                    "label": decision["label"].get(language) or decision["label"]["nb"],
                    "status_label": statuses.get(decision["status"], decision["status"]),
                    "period_label": period_label(period["kind"], period["year"], period["number"]) if period else "",
                    "closed": _when(decision["closed_at"], "SHORT_DATETIME_FORMAT"),
                    "votes": [
                        {
                            **vote,
                            "capacity_label": capacity_label(vote["capacity"]),
                            "choice_label": choices.get(vote["choice"], vote["choice"]),
                        }
                        for vote in decision["votes"]
                    ],
                    "two_capacities": [
                        {
                            **double,
                            "capacity_label": capacity_label(double["capacity"]),
                            "others_label": ", ".join(capacity_label(c) for c in double["others"]),
                        }
                        for double in decision["two_capacities"]
                    ],
                }
            )
        entry = entries.get(item["position"])
        items.append({**item, "decisions": decisions, "notes": entry.notes if entry else ""})
    participants = [
        {
            **participant,
            "role_label": roles.get(participant["role"], participant["role"]),
            "attendance_label": attendance.get(participant["attendance"], participant["attendance"]),
        }
        for participant in record.get("participants", [])
    ]
    return {
        "minutes": minutes,
        "language": language,
        "meeting": meeting,
        "body_name": meeting.get("body", {}).get(language) or meeting.get("body", {}).get("nb", ""),
        "starts": _when(meeting.get("starts_at"), "DATETIME_FORMAT"),
        "ends": _when(meeting.get("ends_at"), "TIME_FORMAT"),
        "quorum": record.get("quorum", {}),
        "present": [p for p in participants if p["attendance"] == Participant.Attendance.PRESENT],
        "absent": [p for p in participants if p["attendance"] != Participant.Attendance.PRESENT],
        "items": items,
        "approved": _when(_iso(minutes.approved_at), "DATETIME_FORMAT"),
        "approved_by": _name(minutes.approved_by) if minutes.approved_by_id else "",
    }


def render_html(minutes: Minutes, language: str = "nb") -> str:
    """The minutes as one standalone HTML document in `language` (nb, nn or en)."""
    if language not in LANGUAGES:
        raise MeetingError(_("Minutes are written in bokmål (nb) or nynorsk (nn)."))
    with translation.override(language):
        return render_to_string("ikt_council/minutes_document.html", document_context(minutes, language))


def render_pdf(minutes: Minutes, language: str = "nb") -> bytes:
    """The minutes as PDF (WeasyPrint, A4), from the same HTML."""
    from weasyprint import HTML

    return HTML(string=render_html(minutes, language), url_fetcher=_fetch_nothing).write_pdf()


def _fetch_nothing(url, *args, **kwargs):
    """The minutes are self-contained: WeasyPrint fetches no URL (nothing in them can make it call out)."""
    raise ValueError(f"The minutes load no resources ({url[:60]}).")


def filename(minutes: Minutes, language: str, extension: str) -> str:
    day = timezone.localtime(minutes.meeting.starts_at, OSLO).date().isoformat()
    return f"protokoll-{day}-{minutes.meeting_id}-{language}.{extension}"
