"""Reminders and escalation of late measurements (issue 7: "reminders and escalation through the workflow deadlines").

The `plan` fixture's indicator is monthly with the baseline in January 2025; here Smøla's and Sunndal's targets are
measured up to January 2026, so February 2026 is the late period: due on 28 February, reminded from 8 March (7
days' grace), escalated from 29 March (21 days more)."""

import datetime
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from ikt_portfolio.benefits import reminders
from ikt_portfolio.benefits.models import Benefit, Indicator, Measurement, MemberTarget
from ikt_portfolio.members.models import Person
from ikt_portfolio.workflow import services as workflow
from ikt_portfolio.workflow.models import Notification

FEB = datetime.date(2026, 2, 1)
MARCH = datetime.date(2026, 3, 1)
REMIND = datetime.date(2026, 3, 8)
ESCALATE = datetime.date(2026, 3, 29)
REMINDER, ESCALATION = "measurement_reminder", "measurement_escalation"


def measure(target, until, since=datetime.date(2025, 1, 1)):
    """Monthly values for the target from `since` up to and including the month `until`."""
    rows, month = [], since
    while month <= until:
        rows.append(Measurement(target=target, period=month, value=Decimal(20)))
        month = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    Measurement.objects.bulk_create(rows)


def rows(kind=None):
    found = Notification.objects.all()
    return found.filter(kind=kind) if kind else found


def recipients(kind):
    return set(rows(kind).values_list("recipient_id", flat=True))


@pytest.fixture(autouse=True)
def _english(plan):
    """Recipients read English (the msgids), so the assertions do not depend on the nb/nn catalogs."""
    Person.objects.update(language="en")


@pytest.fixture
def late(plan):
    """Both targets measured up to January 2026: February is missing."""
    measure(plan.small_target, datetime.date(2026, 1, 1))
    measure(plan.medium_target, datetime.date(2026, 1, 1))
    return plan


@pytest.fixture
def manager(plan, make_person):
    person = make_person("prosjektleder", staff_of=plan.project.collaboration, language="en")
    plan.project.manager = person
    plan.project.save()
    return person


def test_a_late_target_reminds_its_owner_once_by_email(late, smtp_server):
    assert reminders.run_measurement_reminders(REMIND) == {"reminded": 2, "escalated": 0}
    assert recipients(REMINDER) == {late.benefit_owner.user_id, late.medium_owner.user_id}
    assert not rows(ESCALATION).exists()
    row = rows(REMINDER).get(recipient=late.benefit_owner.user)
    assert (row.content_type.model, row.object_id) == ("benefit", late.benefit.pk)
    assert row.subject == "Measurement due: Timer spart, Smøla"
    for fact in (
        "P-1: Digitalt tilsyn",
        "Færre nattlige turer",
        "Timer spart",
        "Smøla",
        "Feb. 1, 2026",
        "Feb. 28, 2026",
    ):
        assert fact in row.body
    link = reverse("ikt_portal:benefits_measurements") + f"#target-{late.small_target.pk}"
    assert row.link == link and link in row.body
    late.small_target.refresh_from_db()
    assert (late.small_target.reminded_for, late.small_target.escalated_for) == (FEB, None)

    assert workflow.deliver_pending() == {"sent": 2, "failed": 0}
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        [late.benefit_owner.user.email, late.medium_owner.user.email]
    )

    assert reminders.run_measurement_reminders(REMIND + datetime.timedelta(days=3)) == {"reminded": 0, "escalated": 0}
    assert rows().count() == 2, "a second sweep tells nobody"


def test_nobody_is_reminded_before_the_due_date_and_the_grace_days(late, settings):
    assert reminders.run_measurement_reminders(REMIND - datetime.timedelta(days=1)) == {"reminded": 0, "escalated": 0}
    assert reminders.run_measurement_reminders(FEB + datetime.timedelta(days=20)) == {"reminded": 0, "escalated": 0}
    assert not rows().exists()
    settings.IKT_MEASUREMENT_REMINDER_DAYS = 2
    assert reminders.run_measurement_reminders(datetime.date(2026, 3, 3))["reminded"] == 2


def test_a_target_with_a_value_for_the_period_is_not_reminded(late):
    Measurement.objects.create(target=late.small_target, period=FEB, value=Decimal(30))
    assert reminders.run_measurement_reminders(REMIND)["reminded"] == 1
    assert recipients(REMINDER) == {late.medium_owner.user_id}


def test_a_target_without_owner_reminds_the_projects_owner_and_manager(late, manager):
    MemberTarget.objects.filter(pk=late.small_target.pk).update(owner=None)
    assert reminders.run_measurement_reminders(REMIND)["reminded"] == 2
    assert recipients(REMINDER) == {late.owner.user_id, manager.user_id, late.medium_owner.user_id}
    assert rows(REMINDER).filter(recipient=late.owner.user).count() == 1


def test_escalation_after_the_extra_days_goes_to_the_project_and_the_administrators_once(late, manager, world):
    Measurement.objects.create(target=late.medium_target, period=FEB, value=Decimal(30))  # only Smøla is late
    assert reminders.run_measurement_reminders(REMIND) == {"reminded": 1, "escalated": 0}
    assert reminders.run_measurement_reminders(ESCALATE - datetime.timedelta(days=1)) == {"reminded": 0, "escalated": 0}
    assert reminders.run_measurement_reminders(ESCALATE) == {"reminded": 0, "escalated": 1}
    assert recipients(ESCALATION) == {late.owner.user_id, manager.user_id, world.admin_a.user_id}
    assert not rows(ESCALATION).filter(recipient=world.admin_b.user).exists(), "not another collaboration's"
    row = rows(ESCALATION).get(recipient=world.admin_a.user)
    assert row.subject == "Measurements late: Timer spart, Smøla"
    assert "Gevinst Testesen" in row.body and "Feb. 1, 2026" in row.body
    late.small_target.refresh_from_db()
    assert late.small_target.escalated_for == FEB
    assert reminders.run_measurement_reminders(ESCALATE + datetime.timedelta(days=2)) == {"reminded": 0, "escalated": 0}
    assert rows(ESCALATION).count() == 3, "escalated once"


def test_a_long_late_target_is_reminded_and_escalated_in_one_sweep(late, manager):
    assert reminders.run_measurement_reminders(ESCALATE) == {"reminded": 2, "escalated": 2}
    assert rows(REMINDER).count() == 2 and rows(ESCALATION).filter(recipient=manager.user).count() == 2


def test_a_new_late_period_reminds_again(late):
    assert reminders.run_measurement_reminders(REMIND)["reminded"] == 2
    Measurement.objects.create(target=late.small_target, period=FEB, value=Decimal(30))
    next_month = datetime.date(2026, 4, 8)
    assert reminders.run_measurement_reminders(next_month)["reminded"] == 2, "Smøla for March, Sunndal for March"
    late.small_target.refresh_from_db()
    assert late.small_target.reminded_for == MARCH
    assert rows(REMINDER).filter(recipient=late.benefit_owner.user).count() == 2
    newest = rows(REMINDER).filter(recipient=late.benefit_owner.user).first()
    assert "March 1, 2026" in newest.body
    sunndal = rows(REMINDER).filter(recipient=late.medium_owner.user).first()
    assert "Values are missing since the period starting Feb. 1, 2026." in sunndal.body


@pytest.mark.parametrize("state", ["identified", "planned", "realised", "not_realised", "verified", "dropped"])
def test_benefits_not_being_realised_are_skipped(late, state):
    Benefit.objects.filter(pk=late.benefit.pk).update(state=state)
    assert reminders.run_measurement_reminders(ESCALATE) == {"reminded": 0, "escalated": 0}
    assert not rows().exists()


def test_a_benefit_being_realised_is_reminded(late):
    Benefit.objects.filter(pk=late.benefit.pk).update(state="being_realised")
    assert reminders.run_measurement_reminders(REMIND)["reminded"] == 2


def test_a_member_that_opted_out_since_is_not_reminded(late):
    from ikt_portfolio.projects.models import Participation

    Participation.objects.filter(project=late.project, municipality=late.small_target.municipality).update(
        status=Participation.Status.OPTS_OUT, reason="Eget system"
    )
    assert reminders.run_measurement_reminders(REMIND)["reminded"] == 1
    assert recipients(REMINDER) == {late.medium_owner.user_id}


def test_an_owner_without_email_still_gets_the_notification_in_the_app(late):
    user = late.benefit_owner.user
    user.email = ""
    user.save()
    reminders.run_measurement_reminders(REMIND)
    row = rows(REMINDER).get(recipient=user)
    assert row.email_status == Notification.EmailStatus.SKIPPED
    assert rows(REMINDER).get(recipient=late.medium_owner.user).email_status == Notification.EmailStatus.PENDING


def test_each_recipient_gets_it_in_their_own_language(late, monkeypatch):
    Person.objects.filter(pk=late.benefit_owner.pk).update(language="nn")
    Person.objects.filter(pk=late.medium_owner.pk).update(language="en")
    languages = []
    original = reminders._dates

    def spy(plan):
        languages.append((plan.target.pk, translation.get_language()))
        return original(plan)

    monkeypatch.setattr(reminders, "_dates", spy)
    with translation.override("nb"):
        reminders.run_measurement_reminders(REMIND)
    assert sorted(languages) == sorted([(late.small_target.pk, "nn"), (late.medium_target.pk, "en")])
    assert rows(REMINDER).count() == 2
    nynorsk = rows(REMINDER).get(recipient=late.benefit_owner.user)
    assert "1. februar 2026" in nynorsk.body, "the dates in nynorsk (Django's own month names)"
    english = rows(REMINDER).get(recipient=late.medium_owner.user)
    assert "Feb. 1, 2026" in english.body and "Feb. 28, 2026" in english.body


def test_workflow_tick_runs_the_sweep_and_prints_its_counts(plan, settings):
    # No measurements since the January 2025 baseline: late for long, today as much as any day.
    settings.IKT_MEASUREMENT_REMINDER_DAYS = 0
    out = StringIO()
    with translation.override("en"):
        call_command("workflow_tick", stdout=out)
    text = out.getvalue()
    assert "Measurement reminders: 2, escalations: 2." in text
    assert "Reminders: 2, escalations: 2," in text, "added to the engine's counts"
    assert rows(REMINDER).count() == 2
    sweeps = {}
    assert workflow.run_deadlines(now=timezone.now(), sweeps=sweeps) == {"reminded": 0, "escalated": 0}
    assert sweeps == {"benefits.measurements": {"reminded": 0, "escalated": 0}}


def _more_targets(plan, indicators: int, start: int = 0):
    """`indicators` more indicators, each with Smøla's and Sunndal's target (Sunndal's without owner), measured
    up to January 2026."""
    for n in range(start, start + indicators):
        indicator = Indicator.objects.create(
            benefit=plan.benefit, name=f"Indikator {n}", unit="timer", schedule=Indicator.Schedule.MONTHLY
        )
        for municipality, owner in (
            (plan.small_target.municipality, plan.benefit_owner),
            (plan.medium_target.municipality, None),
        ):
            target = MemberTarget.objects.create(
                indicator=indicator,
                municipality=municipality,
                baseline_date=datetime.date(2025, 1, 1),
                baseline_value=Decimal(10),
                target_value=Decimal(50),
                target_date=datetime.date(2027, 12, 31),
                owner=owner,
            )
            measure(target, datetime.date(2026, 1, 1))


def _statements(context):
    """The statements run, apart from inserting the notifications, and how many insert statements there were."""
    inserts = [q for q in context.captured_queries if q["sql"].startswith('INSERT INTO "ikt_workflow_notification"')]
    inserts += [q for q in context.captured_queries if q["sql"].startswith("INSERT INTO `ikt_workflow_notification`")]
    return len(context.captured_queries) - len(inserts), len(inserts)


def test_the_sweeps_queries_do_not_grow_with_the_number_of_targets(late, manager):
    _more_targets(late, 1)  # 4 targets
    with CaptureQueriesContext(connection) as few:
        assert reminders.run_measurement_reminders(ESCALATE) == {"reminded": 4, "escalated": 4}
    Notification.objects.all().delete()
    MemberTarget.objects.update(reminded_for=None, escalated_for=None)
    _more_targets(late, 23, start=1)  # 50 targets
    with CaptureQueriesContext(connection) as many:
        assert reminders.run_measurement_reminders(ESCALATE) == {"reminded": 50, "escalated": 50}
    assert rows(ESCALATION).count() == 50 * 3, "the project's owner and manager and the administrator"
    (few_statements, few_inserts), (statements, inserts) = _statements(few), _statements(many)
    assert statements == few_statements <= 10, "the same statements for 4 targets and for 50"
    assert few_inserts == 1
    # The notifications are one bulk insert; SQLite takes at most 999 parameters a statement, so it gets batches.
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    per_statement = connection.ops.bulk_batch_size(fields, list(rows())) or rows().count()
    assert inserts == -(-rows().count() // per_statement)


def test_targets_are_read_in_batches(late, monkeypatch):
    monkeypatch.setattr(reminders, "BATCH", 1)
    assert reminders.run_measurement_reminders(REMIND) == {"reminded": 2, "escalated": 0}
    assert reminders.run_measurement_reminders(REMIND) == {"reminded": 0, "escalated": 0}


# ------------------------------------------------------------------------------------------- concurrency


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_tell_once(late):
    if connection.vendor != "mysql":
        pytest.skip("real concurrent writers need MariaDB; SQLite serialises them (make test runs this on MariaDB)")
    for _round in range(3):
        Notification.objects.all().delete()
        MemberTarget.objects.update(reminded_for=None, escalated_for=None)
        barrier = threading.Barrier(2)
        results = [None, None]

        def run(index, barrier=barrier, results=results):
            from django.db import connection as thread_connection

            try:
                with translation.override("en"):
                    barrier.wait(timeout=10)
                    results[index] = reminders.run_measurement_reminders(ESCALATE)
            except Exception as error:  # the outcome under test
                results[index] = error
            finally:
                thread_connection.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a thread hung (a deadlock?)"
        assert all(isinstance(result, dict) for result in results), results
        assert sum(r["reminded"] for r in results) == 2 and sum(r["escalated"] for r in results) == 2
        assert rows(REMINDER).count() == 2, "each owner reminded once"
        assert rows(ESCALATION).count() == 4, "the project's owner and the administrator, once per target"
