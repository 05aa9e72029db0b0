"""Reminders in batches (issue 18): one task sends several deliveries, each claimed on its
own, in a fixed number of queries, over one mail connection; one bad delivery or an erased
patient never stops the others. The real worker, kill -9 and the Redis restart are in
test_worker.py and test_redis_restart.py."""

import datetime
import logging

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients import reminders, sms
from patients.models import Delivery, ExerciseLog, Patient, ReminderSchedule
from patients.services import assignment_create
from patients.services.rights import patient_erase
from patients.tasks import MAX_RETRIES, send_reminders
from tests import factories

UTC = datetime.UTC
MONDAY = datetime.datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
EIGHT = datetime.datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def make_assignment(clinician, name: str, *, channel=ReminderSchedule.Channel.EMAIL, **patient):
    record = factories.PatientFactory(
        clinician=clinician,
        user__email=f"{name}@example.org",
        user__first_name=name.title(),
        time_zone="Europe/London",
        phone="+447700900123",
        **patient,
    )
    program = factories.ProgramFactory(owner=clinician, title="Calf program")
    factories.ProgramItemFactory(program=program, times_per_day=1)
    with time_machine.travel(MONDAY, tick=False):
        assignment = assignment_create(
            program=program,
            patient=record,
            assigned_by=clinician,
            starts_on=datetime.date(2026, 11, 2),
            reminder_times=[datetime.time(8, 0)],
        )
    assignment.reminder_schedules.update(channel=channel)
    return assignment


def delivery_for(assignment, occurrence=EIGHT, kind=None) -> Delivery:
    schedule = assignment.reminder_schedules.get()
    return Delivery.objects.create(
        patient=assignment.patient,
        schedule=schedule,
        kind=kind or schedule.kind,
        channel=schedule.channel,
        occurrence=occurrence,
    )


def send_batch(deliveries, moment=EIGHT + datetime.timedelta(minutes=1)):
    return reminders.deliveries_send(delivery_ids=[d.pk for d in deliveries], now=moment)


def statuses(deliveries) -> list[str]:
    return [Delivery.objects.get(pk=d.pk).status for d in deliveries]


# --- One delivery never stops the others ---------------------------------------------------


def test_a_patient_without_an_address_fails_alone_and_the_rest_of_the_batch_is_sent(clinician):
    ann, bob, cat = (make_assignment(clinician, name) for name in ("ann", "bob", "cat"))
    bob.patient.user.__class__.objects.filter(pk=bob.patient.user_id).update(email="")
    batch = [delivery_for(a) for a in (ann, bob, cat)]

    send_batch(batch)

    assert statuses(batch) == ["sent", "failed", "sent"]
    assert "no email address" in Delivery.objects.get(pk=batch[1].pk).reason
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "cat@example.org"]


class RefusesOneAddress:
    """A mail backend whose server refuses one recipient for a while (a greylist)."""

    refused = "bob@example.org"
    attempts: list[str] = []
    opened = 0
    closed = 0

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        type(self).opened += 1
        return True

    def close(self):
        type(self).closed += 1

    def send_messages(self, messages):
        for message in messages:
            type(self).attempts.append(message.to[0])
            if message.to[0] == self.refused:
                raise OSError("421 try again later")
        return len(messages)


@pytest.fixture
def refusing_backend(settings):
    settings.EMAIL_BACKEND = "tests.patients.test_reminder_batches.RefusesOneAddress"
    RefusesOneAddress.attempts, RefusesOneAddress.opened, RefusesOneAddress.closed = [], 0, 0
    return RefusesOneAddress


def test_a_transient_error_gives_back_only_its_delivery_and_only_it_is_retried(
    clinician, refusing_backend, caplog
):
    ann, bob, cat = (make_assignment(clinician, name) for name in ("ann", "bob", "cat"))
    batch = [delivery_for(a) for a in (ann, bob, cat)]

    with caplog.at_level(logging.WARNING, logger="patients.reminders"):
        with time_machine.travel(EIGHT + datetime.timedelta(minutes=1), tick=False):
            # The task as the worker runs it; eagerly, each retry runs at once.
            send_reminders.apply(args=([d.pk for d in batch],))

    assert statuses(batch) == ["sent", "failed", "sent"]
    # Ann and Cat once each; Bob at the first attempt and at every retry, then given up.
    assert refusing_backend.attempts.count("ann@example.org") == 1
    assert refusing_backend.attempts.count("cat@example.org") == 1
    assert refusing_backend.attempts.count("bob@example.org") == MAX_RETRIES + 1
    failed = Delivery.objects.get(pk=batch[1].pk)
    assert (failed.attempts, failed.reason) == (MAX_RETRIES + 1, "421 try again later")
    assert f"reminder delivery {failed.pk} (schedule {failed.schedule_id}" in caplog.text
    assert "failed after its last retry" in caplog.text


def test_a_batch_sends_its_emails_over_one_connection(clinician, refusing_backend):
    batch = [delivery_for(make_assignment(clinician, name)) for name in ("ann", "cat", "dan")]
    send_batch(batch)
    assert refusing_backend.attempts == ["ann@example.org", "cat@example.org", "dan@example.org"]
    assert (refusing_backend.opened, refusing_backend.closed) == (1, 1)


class BrokenForOne:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        if messages[0].to == ["bob@example.org"]:
            raise KeyError("template variable")
        mail.outbox.extend(messages)
        return len(messages)


def test_an_unexpected_error_for_one_delivery_fails_it_with_a_traceback_and_sends_the_rest(
    clinician, settings, caplog
):
    settings.EMAIL_BACKEND = "tests.patients.test_reminder_batches.BrokenForOne"
    batch = [delivery_for(make_assignment(clinician, name)) for name in ("ann", "bob", "cat")]
    with caplog.at_level(logging.ERROR, logger="patients.reminders"):
        send_batch(batch)
    assert statuses(batch) == ["sent", "failed", "sent"]
    assert "KeyError" in Delivery.objects.get(pk=batch[1].pk).reason
    [record] = [r for r in caplog.records if r.exc_info]
    assert f"reminder delivery {batch[1].pk}" in record.getMessage()


def test_the_daily_cap_counts_what_the_same_batch_already_sent(clinician, settings):
    settings.REMINDER_DAILY_CAP = 1
    ann = make_assignment(clinician, "ann")
    first = delivery_for(ann, EIGHT)
    second = delivery_for(ann, EIGHT + datetime.timedelta(minutes=1))
    send_batch([first, second])
    assert statuses([first, second]) == ["sent", "skipped"]
    assert "Daily limit" in Delivery.objects.get(pk=second.pk).reason
    assert len(mail.outbox) == 1


def test_exercises_done_skips_only_that_patients_reminder_in_the_batch(clinician):
    ann, bob = make_assignment(clinician, "ann"), make_assignment(clinician, "bob")
    ExerciseLog.objects.create(
        patient=ann.patient,
        assignment=ann,
        item=ann.items.get(),
        performed_on=datetime.date(2026, 11, 2),
        status=ExerciseLog.Status.DONE,
    )
    batch = [delivery_for(ann), delivery_for(bob)]
    send_batch(batch)
    assert statuses(batch) == ["skipped", "sent"]
    assert [m.to[0] for m in mail.outbox] == ["bob@example.org"]


def test_a_batch_mixing_channels_sends_each_through_its_own(clinician, settings):
    settings.SMS_BACKEND = "patients.sms.LocmemSmsBackend"
    sms.outbox.clear()
    ann = make_assignment(clinician, "ann")
    bob = make_assignment(clinician, "bob", channel=ReminderSchedule.Channel.SMS)
    batch = [delivery_for(ann), delivery_for(bob)]
    send_batch(batch)
    assert statuses(batch) == ["sent", "sent"]
    assert [m.to[0] for m in mail.outbox] == ["ann@example.org"]
    assert [m.body.startswith("Reminder from") for m in sms.outbox] == [True]


# --- Claims: each delivery on its own ------------------------------------------------------


def test_overlapping_batches_send_each_delivery_once(clinician):
    a, b, c = (delivery_for(make_assignment(clinician, n)) for n in ("ann", "bob", "cat"))
    first = send_batch([a, b])
    second = send_batch([b, c])  # b was queued twice (a sweep, a retried dispatch)
    assert [d.pk for d in first.deliveries] == [a.pk, b.pk]
    assert [d.pk for d in second.deliveries] == [c.pk]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ann@example.org",
        "bob@example.org",
        "cat@example.org",
    ]
    assert {d.attempts for d in Delivery.objects.all()} == {1}


def test_a_batch_with_an_erased_patient_sends_to_the_others(clinician):
    ann, bob, cat = (make_assignment(clinician, name) for name in ("ann", "bob", "cat"))
    batch = [delivery_for(a) for a in (ann, bob, cat)]
    patient_erase(patient=Patient.objects.get(pk=bob.patient_id), erased_by=clinician)

    result = send_batch(batch)

    assert [d.patient_id for d in result.deliveries] == [ann.patient_id, cat.patient_id]
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "cat@example.org"]


def test_a_patient_erased_between_the_claim_and_the_send_is_left_out_with_a_log_line(
    clinician, monkeypatch, caplog
):
    ann, bob = make_assignment(clinician, "ann"), make_assignment(clinician, "bob")
    batch = [delivery_for(ann), delivery_for(bob)]
    original = reminders._claim_deliveries

    def claim_then_erase(ids, now):
        claimed = original(ids, now)
        patient_erase(patient=Patient.objects.get(pk=bob.patient_id), erased_by=clinician)
        return claimed

    monkeypatch.setattr(reminders, "_claim_deliveries", claim_then_erase)
    with caplog.at_level(logging.WARNING, logger="patients.reminders"):
        send_batch(batch)

    assert [m.to[0] for m in mail.outbox] == ["ann@example.org"]
    assert statuses(batch[:1]) == ["sent"]
    assert (
        f"reminder delivery {batch[1].pk} of patient {bob.patient_id} not sent by this task: "
        "reason=the patient or the delivery was erased after the claim"
    ) in caplog.text


# --- A fixed number of queries and template loads per batch --------------------------------


def queries_and_template_loads(deliveries, monkeypatch) -> tuple[int, int]:
    from users import emails

    loads = []
    original = emails.get_template
    monkeypatch.setattr(emails, "get_template", lambda name: loads.append(name) or original(name))
    with CaptureQueriesContext(connection) as queries:
        send_batch(deliveries)
    monkeypatch.setattr(emails, "get_template", original)
    return len(queries), len(loads)


def test_a_batch_takes_the_same_queries_and_template_loads_whatever_its_size(
    clinician, monkeypatch
):
    kinds = [ReminderSchedule.Kind.EXERCISE, ReminderSchedule.Kind.PAIN_CHECK_IN]
    small = [delivery_for(make_assignment(clinician, f"s{n}"), kind=kinds[n % 2]) for n in range(2)]
    large = [
        delivery_for(make_assignment(clinician, f"l{n}"), kind=kinds[n % 2]) for n in range(12)
    ]

    assert queries_and_template_loads(small, monkeypatch) == queries_and_template_loads(
        large, monkeypatch
    )
    queries, loads = queries_and_template_loads(
        [delivery_for(make_assignment(clinician, f"x{n}")) for n in range(5)], monkeypatch
    )
    # Claim; lock the patients; lock the deliveries; what was sent today; the exercises
    # due and their logs; the outcomes; and the savepoint around them (the test's own
    # transaction).
    assert queries == 9
    assert loads == 3  # subject, text and HTML, compiled once for the batch
    assert len(mail.outbox) == 2 + 12 + 5
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_dispatch_takes_the_same_queries_for_three_due_rows_as_for_thirty(
    clinician, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(reminders, "_enqueue", lambda task, batches: None)
    for n in range(3):
        make_assignment(clinician, f"a{n}")
    with time_machine.travel(EIGHT + datetime.timedelta(seconds=30), tick=False):
        with CaptureQueriesContext(connection) as few:
            with django_capture_on_commit_callbacks():
                assert reminders.reminders_dispatch().claimed == 3
    for n in range(30):
        make_assignment(clinician, f"b{n}")
    with time_machine.travel(EIGHT + datetime.timedelta(days=1, seconds=30), tick=False):
        with CaptureQueriesContext(connection) as many:
            with django_capture_on_commit_callbacks():
                assert reminders.reminders_dispatch().claimed == 33
    assert len(few) == len(many)


def test_dispatch_queues_one_task_per_batch_of_each_channel(
    clinician, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REMINDER_EMAIL_BATCH_SIZE = 3
    settings.REMINDER_SMS_BATCH_SIZE = 1
    queued = []
    monkeypatch.setattr(reminders, "_enqueue", lambda task, batches: queued.append(batches))
    emails = [make_assignment(clinician, f"e{n}") for n in range(7)]
    texts = [
        make_assignment(clinician, f"t{n}", channel=ReminderSchedule.Channel.SMS) for n in range(2)
    ]
    with time_machine.travel(EIGHT + datetime.timedelta(seconds=30), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            result = reminders.reminders_dispatch()

    assert result.claimed == 9
    [batches] = queued  # one enqueue, after the commit
    assert sorted(len(batch) for batch in batches) == [1, 1, 1, 3, 3]
    by_id = dict(Delivery.objects.values_list("pk", "channel"))
    for batch in batches:
        assert len({by_id[pk] for pk in batch}) == 1  # one channel per task
    assert sorted(pk for batch in batches for pk in batch) == sorted(by_id)
    assert {d.patient_id for d in Delivery.objects.all()} == {a.patient_id for a in emails + texts}
