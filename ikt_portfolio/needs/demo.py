"""Demo: goals and needs reported by the demo people, each taken through the real services and workflow engine.

The data lives in `<fixtures_dir>/needs.yaml`. A need there has the fields a reporter gives (and an estimate),
plus:

- `by`: the demo user who reports it (`services.create_need`); `days_ago`: when it was reported;
- `route`: the workflow steps, in order: `[action, username]` or `[action, username, comment]` for one
  person's action (`workflow.perform`), `[action, vote, username, choice]` or `[..., choice, comment]` for a
  committee member's vote (`workflow.vote`); the action `merge` goes through `duplicates.merge` into the need
  named by `merge_into` (a `key` of an earlier need), so co-signers and followers are carried over;
- `co_signs`: `{by, expected_benefit, affected_count}` (`services.co_sign`); `comments`: `{by, body,
  question}` (`services.add_comment`); `follows`: usernames (`services.follow`). Each happens after the
  route step named by its `after` (an action; default `submit`), in the order written;
- `assessment`: `{by, scores, notes, recommendation, estimated_cost, estimated_effort}`
  (`assessment.assess`), done by the sector group just before `recommend` unless `after` says otherwise.
  A need recommended without one is assessed with demo levels by whoever recommends it (see
  `demo_assessment.py`), so every need past the sector group has an assessment.

Dates. The services stamp everything they write with the current time. So that the demo looks like 18 months
of work, each fixture step gets a demo date (the need's `days_ago`, then realistic gaps per kind of step,
fitted before today, in working hours), and right after the step the loader moves the timestamps that step
wrote to that date: BACKDATING, an explicit UPDATE of `created_at`/`at`/`assessed_at`/`opened_at`/
`closed_at`/`state_entered_at` (and the deadline with it) of the rows the step wrote, done here in the demo
loader only. The workflow engine and the services still make every change and write every log entry; the
audit history (simple_history) keeps the time the rows were really written, i.e. when the demo was loaded.

A wrong fixture step fails the whole load with a DemoDataError naming the need and the step.
"""

import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import DateTimeField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ikt_portfolio.core.demo import DemoDataError, demo_reset, demo_step, read_yaml_fixture
from ikt_portfolio.core.errors import DomainError
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import Ballot, Notification, TransitionLog, Vote

from . import demo_assessment, duplicates, services
from .models import Assessment, Comment, CoSign, Follow, Goal, Need

FIXTURE_FILE = "needs.yaml"
MONEY_FIELDS = {"estimated_cost", "expected_benefit_nok"}
DECIMAL_FIELDS = MONEY_FIELDS | {"estimated_effort"}
# Keys of a need in the fixture that are not fields of the need.
DEMO_KEYS = {"key", "by", "days_ago", "route", "co_signs", "comments", "follows", "assessment", "merge_into", "goals"}

# Days between one step and the one before it (before each need's jitter and before fitting the steps
# between its `days_ago` and today). A committee's first vote waits for its meeting; the rest follow within it.
GAPS = {
    "submit": 0.1,
    "resubmit": 6,
    "withdraw": 9,
    "take_up": 5,
    "return": 4,
    "recommend": 6,
    "reopen": 5,
    "send_to_council": 10,
    "take_up_again": 45,
    "merge": 9,
    "resolve": 12,
    "reject": 12,
    "convert": 20,
    "meeting": 14,
    "vote": 0.02,
    "co_sign": 4,
    "comment": 2,
    "follow": 1,
    "assess": 12,
}
WORKDAY_START, WORKDAY_END = 8, 16  # the hours demo steps are moved into
# The council and the board meet every six weeks (the board a week after the council), and decide there.
MEETING_ANCHOR = date(2024, 1, 1)  # a Monday
MEETING_PERIOD_DAYS = 42
MEETINGS = {"council": (2, 10, 0), "board": (3, 12, 7)}  # body: (weekday, hour, days after the anchor's week)
SAFETY = timedelta(minutes=10)  # the latest demo date is this long before the load started
BACKDATE_BATCH = 200  # steps per backdating UPDATE (two parameters each)


@dataclass
class Step:
    """One thing done to a need, at its demo date."""

    label: str  # where in the fixture, for errors: e.g. "route[2] [take_up, sektoransvarlig]"
    kind: str  # create, step, vote, merge, co_sign, comment, follow, assess
    gap: float  # days after the step before it
    spec: object
    meeting: str = ""  # the first vote of a ballot: "council" or "board", whose next meeting it waits for


class NeedLoader:
    """Loads the needs of the fixture into `collaboration`, one need at a time, step by step."""

    def __init__(self, context: dict, data: dict, goals: dict):
        self.collaboration = context["collaboration"]
        self.areas = context["service_areas"]
        self.goals = goals
        self.users = {user.username: user for user in get_user_model().objects.filter(is_active=True)}
        self.keys: dict[str, Need] = {}
        self.now = timezone.now()
        self.latest = self.now - SAFETY
        self.content_type = ContentType.objects.get_for_model(Need)
        self.need_ids: list[int] = []
        self.windows: list[tuple] = []  # per step: (the real time it started, its demo date), in order
        self.last_step: dict[int, object] = {}  # need id -> the demo date of its last step
        self.counts = dict.fromkeys(("steps", "votes", "co_signs", "comments", "follows", "assessments", "merged"), 0)
        self.data = data

    # ------------------------------------------------------------------------------------------ errors

    def error(self, index: int, spec: dict, where: str, problem) -> DemoDataError:
        # Translators: a wrong step in the demo fixture, e.g. "needs.yaml, needs[3] «Title», route[2] [...]: ...".
        return DemoDataError(
            _("%(file)s, needs[%(index)s] «%(title)s», %(where)s: %(problem)s")
            % {
                "file": FIXTURE_FILE,
                "index": index,
                "title": spec.get("title", "?"),
                "where": where,
                "problem": problem,
            }
        )

    def user(self, username, index, spec, where):
        try:
            return self.users[str(username)]
        except KeyError:
            problem = _("unknown demo user “%(username)s”.") % {"username": username}
            raise self.error(index, spec, where, problem) from None

    # ---------------------------------------------------------------------------------------- planning

    def plan(self, index: int, spec: dict) -> list[Step]:
        """The need's steps in order: reporting, the route, and what happens after each route step."""
        route = spec.get("route") or []
        after: dict[str, list[Step]] = {}
        positions = {}
        for position, step in enumerate(route):
            if not isinstance(step, list) or len(step) < 2:
                raise self.error(index, spec, f"route[{position}]", _("a step is [action, username, …]."))
            positions.setdefault(str(step[0]), position)

        def attach(kind: str, label: str, item, default_after: str) -> None:
            if kind != "follow" and not isinstance(item, dict):
                raise self.error(index, spec, label, _("not a mapping."))
            anchor = str(item.get("after", default_after)) if isinstance(item, dict) else default_after
            if anchor not in positions:
                raise self.error(
                    index, spec, label, _("no route step “%(action)s” to come after.") % {"action": anchor}
                )
            after.setdefault(anchor, []).append(Step(label, kind, GAPS[kind], item))

        for kind, key in (("co_sign", "co_signs"), ("comment", "comments"), ("follow", "follows")):
            for position, item in enumerate(spec.get(key) or []):
                attach(kind, f"{key}[{position}]", item, "submit")
        assessment = spec.get("assessment")
        recommend = positions.get("recommend")
        if assessment is not None or recommend is not None:
            assessment = dict(assessment or {})
            if "after" not in assessment:
                if recommend is None or recommend == 0:
                    raise self.error(index, spec, "assessment", _("give `after`: there is no recommend step."))
                assessment["after"] = str(route[recommend - 1][0])
                assessment.setdefault("by", route[recommend][1])
                assessment["_last"] = True  # after everything else attached to that step
            attach("assess", "assessment", assessment, "")

        steps = [Step("", "create", 0, None)]
        previous_action = None
        for position, step in enumerate(route):
            action = str(step[0])
            is_vote = len(step) >= 4 and step[1] == "vote"
            label = f"route[{position}] {step}"
            if is_vote and previous_action == ("vote", action):
                steps.append(Step(label, "vote", GAPS["vote"], step))
            elif is_vote:  # a new ballot: decided at the body's next meeting
                board = action == "approve" or previous_action == ("vote", "send_to_board")
                steps.append(Step(label, "vote", GAPS["meeting"], step, meeting="board" if board else "council"))
            if is_vote:
                previous_action = ("vote", action)
            else:
                steps.append(Step(label, "merge" if action == "merge" else "step", GAPS.get(action, 5), step))
                previous_action = action
            if positions.get(action) == position:
                attached = after.pop(action, [])
                attached.sort(key=lambda s: bool(isinstance(s.spec, dict) and s.spec.get("_last")))
                steps.extend(attached)
        return steps

    def dates(self, index: int, spec: dict, steps: list[Step]) -> list:
        """A demo date per step: from `days_ago`, realistic gaps (jittered per need), fitted before today and
        moved into working hours. Deterministic: the same fixture gives the same dates relative to today."""
        try:
            days_ago = float(spec.get("days_ago", 0))
        except (TypeError, ValueError):
            raise self.error(index, spec, "days_ago", _("a number of days.")) from None
        rng = random.Random(f"{index}:{spec.get('title')}")
        local_now = timezone.localtime(self.now)
        start = local_now.replace(hour=WORKDAY_START, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
        start += timedelta(minutes=rng.randint(0, 60 * (WORKDAY_END - WORKDAY_START) - 60))
        start = min(start, timezone.localtime(self.latest) - timedelta(hours=1))
        gaps = [step.gap * rng.uniform(0.6, 1.5) for step in steps]
        room = 0.85 * (self.latest - start).total_seconds() / 86400  # working hours push steps later
        total = sum(gaps)
        factor = min(1.0, room / total) if total else 1.0
        moments, at = [], start
        for step, gap in zip(steps, gaps, strict=True):
            at = at + timedelta(days=gap * factor)
            meeting = self._next_meeting(step.meeting, at) if step.meeting else None
            if meeting is not None and meeting < self.latest - timedelta(days=1):
                at = meeting + timedelta(minutes=rng.randint(5, 25))
            at = max(self._working_time(at, rng), moments[-1] + timedelta(minutes=1) if moments else at)
            moments.append(min(at, self.latest))
        return moments

    @staticmethod
    def _next_meeting(body: str, at):
        """The first meeting of the council or the board at or after `at` (every six weeks; see MEETINGS)."""
        weekday, hour, offset = MEETINGS[body]
        first = timezone.make_aware(datetime.combine(MEETING_ANCHOR + timedelta(days=offset + weekday), time(hour)))
        periods = max(0, math.ceil((at - first) / timedelta(days=MEETING_PERIOD_DAYS)))
        meeting = first + timedelta(days=MEETING_PERIOD_DAYS * periods)
        while _holiday(meeting.date()):  # no meetings in July or at Christmas: the next one
            meeting += timedelta(days=MEETING_PERIOD_DAYS)
        return meeting

    @staticmethod
    def _working_time(at, rng):
        """`at`, or the next working hour after it (Monday to Friday, 08–16 local time)."""
        local = timezone.localtime(at)
        if local.hour >= WORKDAY_END:
            local = (local + timedelta(days=1)).replace(hour=WORKDAY_START, minute=rng.randint(0, 59))
        elif local.hour < WORKDAY_START:
            local = local.replace(hour=WORKDAY_START, minute=rng.randint(0, 59))
        while local.weekday() >= 5:
            local = (local + timedelta(days=1)).replace(hour=WORKDAY_START, minute=rng.randint(0, 59))
        return local

    # ----------------------------------------------------------------------------------------- loading

    def load(self) -> None:
        for index, spec in enumerate(self.data.get("needs") or []):
            if not isinstance(spec, dict):
                raise DemoDataError(
                    _("%(file)s, needs[%(index)s]: not a mapping.") % {"file": FIXTURE_FILE, "index": index}
                )
            steps = self.plan(index, spec)
            need = None
            for step, moment in zip(steps, self.dates(index, spec, steps), strict=True):
                self.windows.append((timezone.now(), moment))
                try:
                    need = self.run(index, spec, step, need)
                except DemoDataError:
                    raise
                except ValidationError as error:
                    raise self.error(index, spec, step.label or "create", "; ".join(error.messages)) from error
                except DomainError as error:
                    raise self.error(index, spec, step.label or "create", error.message) from error
            self.last_step[need.pk] = moment
        self.backdate()

    def run(self, index: int, spec: dict, step: Step, need):
        if step.kind == "create":
            return self.create(index, spec)
        item = step.spec
        if step.kind == "vote":
            action, _vote, username, choice, *rest = item
            workflow.vote(need, action, self.user(username, index, spec, step.label), choice, comment=_text(rest))
            self.counts["votes"] += 1
        elif step.kind == "merge":
            target = self.keys.get(str(spec.get("merge_into")))
            if target is None:
                raise self.error(index, spec, step.label, _("`merge_into` must name the key of an earlier need."))
            comment = _text(item[2:]).replace("{into}", target.reference)
            duplicates.merge(need, target, user=self.user(item[1], index, spec, step.label), comment=comment)
            self.counts["merged"] += 1
            self.counts["steps"] += 1
        elif step.kind == "step":
            workflow.perform(need, str(item[0]), self.user(item[1], index, spec, step.label), comment=_text(item[2:]))
            self.counts["steps"] += 1
        elif step.kind == "co_sign":
            services.co_sign(
                need,
                user=self.user(item.get("by"), index, spec, step.label),
                expected_benefit=str(item.get("expected_benefit", "")).strip(),
                affected_count=item.get("affected_count"),
            )
            self.counts["co_signs"] += 1
        elif step.kind == "comment":
            services.add_comment(
                need,
                user=self.user(item.get("by"), index, spec, step.label),
                body=str(item.get("body", "")),
                is_question=bool(item.get("question", False)),
            )
            self.counts["comments"] += 1
        elif step.kind == "follow":
            services.follow(need, user=self.user(item, index, spec, step.label))
            self.counts["follows"] += 1
        elif step.kind == "assess":
            demo_assessment.assess_need(need, item, self.user(item.get("by"), index, spec, step.label), index)
            self.counts["assessments"] += 1
            need.refresh_from_db()  # the service wrote its estimate onto the need
        return need

    def create(self, index: int, spec: dict) -> Need:
        author = self.user(spec.get("by"), index, spec, "by")
        fields = {key: value for key, value in spec.items() if key not in DEMO_KEYS}
        unknown = sorted(set(fields) - {field.name for field in Need._meta.get_fields()})
        if unknown:
            raise self.error(index, spec, "fields", _("unknown fields: %(names)s.") % {"names": ", ".join(unknown)})
        for name in DECIMAL_FIELDS & set(fields):
            try:
                fields[name] = Decimal(str(fields[name]))
            except InvalidOperation:
                raise self.error(index, spec, name, _("not a number: %(value)s.") % {"value": fields[name]}) from None
        if fields.get("service_area") not in self.areas:
            raise self.error(index, spec, "service_area", _("unknown service area.")) from None
        fields["service_area"] = self.areas[fields["service_area"]]
        try:
            goals = [self.goals[code] for code in spec.get("goals") or []]
        except KeyError as error:
            raise self.error(index, spec, "goals", _("unknown goal %(code)s.") % {"code": error.args[0]}) from None
        need = services.create_need(user=author, collaboration=self.collaboration, goals=goals, **fields)
        if spec.get("key"):
            self.keys[str(spec["key"])] = need
        self.need_ids.append(need.pk)
        return need

    def backdate(self) -> None:
        """BACKDATING (demo only). Every step was logged in `windows` as (the real time it started, its demo
        date). A timestamp the services wrote during the load falls in exactly one step's window: from its
        start to the next step's start. Each is moved to that step's demo date, with one UPDATE per field and
        batch of steps (`CASE WHEN at >= <start of the latest step> THEN <its date> WHEN ...`)."""
        if not self.windows:
            return
        collaboration = self.collaboration
        needs = Need.objects.filter(collaboration=collaboration)
        fields = [
            (TransitionLog.objects.filter(collaboration=collaboration), "at"),
            (Ballot.objects.filter(collaboration=collaboration), "opened_at"),
            (Ballot.objects.filter(collaboration=collaboration), "closed_at"),
            (Vote.objects.filter(ballot__collaboration=collaboration), "at"),
            (CoSign.objects.filter(need__in=needs), "created_at"),
            (Comment.objects.filter(need__in=needs), "created_at"),
            (Follow.objects.filter(need__in=needs), "created_at"),
            (Assessment.objects.filter(need__in=needs), "assessed_at"),
            (Notification.objects.filter(content_type=self.content_type, object_id__in=self.need_ids), "created_at"),
            (needs, "created_at"),
        ]
        for first in range(0, len(self.windows), BACKDATE_BATCH):
            batch = self.windows[first : first + BACKDATE_BATCH]
            following = self.windows[first + BACKDATE_BATCH][0] if first + BACKDATE_BATCH < len(self.windows) else None
            for queryset, name in fields:
                rows = queryset.filter(**{f"{name}__gte": batch[0][0]})
                if following is not None:
                    rows = rows.filter(**{f"{name}__lt": following})
                rows.update(**{name: _case(queryset.model, name, batch)})
        # A need's state: entered at the demo date of the step that moved it there; the deadline keeps its
        # distance (the state's deadline days). Its last change: its last step.
        starts = [since for since, _moment in self.windows]
        for pk, entered, deadline in needs.filter(pk__in=self.need_ids).values_list(
            "pk", "state_entered_at", "deadline_at"
        ):
            changes = {"updated_at": self.last_step[pk]}
            if entered is not None and entered >= starts[0]:
                moment = self.windows[bisect_right(starts, entered) - 1][1]
                changes.update(state_entered_at=moment, deadline_at=moment + (deadline - entered) if deadline else None)
            needs.filter(pk=pk).update(**changes)


def _case(model, name: str, windows) -> RawSQL:
    """`CASE WHEN <column> >= <start> THEN <demo date> … ELSE <column> END`, latest start first. Written as SQL:
    the ORM's Case/When costs a tenth of a second to compile for 200 branches."""
    column = connection.ops.quote_name(model._meta.get_field(name).column)
    adapt = connection.ops.adapt_datetimefield_value
    params = []
    for since, moment in reversed(windows):
        params += [adapt(since), adapt(moment)]
    branches = f" WHEN {column} >= %s THEN %s" * len(windows)
    return RawSQL(f"CASE{branches} ELSE {column} END", params, output_field=DateTimeField())


def _holiday(day: date) -> bool:
    return day.month == 7 or (day.month, day.day) >= (12, 20) or (day.month, day.day) <= (1, 3)


def _text(rest) -> str:
    return str(rest[0]).strip() if rest else ""


@demo_step(order=30, label=gettext_lazy("Needs: goals, and needs at every step of the workflow."))
def load_needs(context: dict, out) -> None:
    data = read_yaml_fixture(context, FIXTURE_FILE)
    collaboration = context["collaboration"]
    goals = {}
    for spec in data.get("goals", []):
        goal = Goal(collaboration=collaboration, **spec)
        goal.full_clean()
        goal.save()
        goals[goal.code] = goal
    loader = NeedLoader(context, data, goals)
    loader.load()
    needs = Need.objects.filter(collaboration=collaboration)
    count = needs.count()
    counts = loader.counts
    out.write(
        "  "
        + ngettext("%(count)d need", "%(count)d needs", count) % {"count": count}
        + ", "
        + ngettext("%(moves)d workflow step", "%(moves)d workflow steps", counts["steps"]) % {"moves": counts["steps"]}
        + ", "
        + ngettext("%(goals)d goal", "%(goals)d goals", len(goals)) % {"goals": len(goals)}
        + "\n"
    )
    out.write(
        "  "
        + ", ".join(
            [
                ngettext("%(count)d committee vote", "%(count)d committee votes", counts["votes"])
                % {"count": counts["votes"]},
                ngettext("%(count)d co-signature", "%(count)d co-signatures", counts["co_signs"])
                % {"count": counts["co_signs"]},
                ngettext("%(count)d comment", "%(count)d comments", counts["comments"]) % {"count": counts["comments"]},
                ngettext("%(count)d follower", "%(count)d followers", counts["follows"]) % {"count": counts["follows"]},
                ngettext("%(count)d need assessed", "%(count)d needs assessed", counts["assessments"])
                % {"count": counts["assessments"]},
                ngettext("%(count)d duplicate merged", "%(count)d duplicates merged", counts["merged"])
                % {"count": counts["merged"]},
            ]
        )
        + "\n"
    )
    by_state = {}
    for state in needs.values_list("state", flat=True):
        by_state[state] = by_state.get(state, 0) + 1
    version = workflow.active_version(collaboration.pk, Need._meta.label_lower)
    states = sorted(workflow.graph_of(version).states.values(), key=lambda state: state.order)
    shown = ", ".join(f"{state.localized_name} {by_state[state.key]}" for state in states if state.key in by_state)
    out.write("  " + _("By status: %(states)s") % {"states": shown} + "\n")
    first = needs.order_by("created_at").values_list("created_at", flat=True).first()
    if first is not None:
        months = max(0, round((loader.now - first).days / 30.4))
        out.write(
            "  "
            + ngettext(
                "Reported over the last %(months)d month (dates backdated by the demo loader).",
                "Reported over the last %(months)d months (dates backdated by the demo loader).",
                months,
            )
            % {"months": months}
            + "\n"
        )


@demo_reset(order=30, label=gettext_lazy("Needs: the demo collaboration's needs and goals."))
def reset_needs(context: dict, out) -> None:
    from ikt_portfolio.members.demo import read_fixture

    short_name = read_fixture(context)["collaboration"]["short_name"]
    _total, counts = Need.objects.filter(collaboration__short_name=short_name).delete()
    needs = counts.get(Need._meta.label, 0)
    _total, counts = Goal.objects.filter(collaboration__short_name=short_name).delete()
    goals = counts.get(Goal._meta.label, 0)
    out.write("  " + _("%(needs)s needs and %(goals)s goals deleted") % {"needs": needs, "goals": goals} + "\n")
