"""Defects of the reminder pipeline that happy paths cannot see (issue 12): one bad row,
stopped and paused schedules, the daily cap under two workers, the sweep's touch, a send
under way when the patient is erased, and the log lines an operator reads."""

import datetime
import logging
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection

from patients import reminders, sms
from patients.models import Delivery, Patient, ReminderSchedule
from patients.services import assignment_create
from patients.services.preferences import (
    patient_reminders_hold,
    patient_reminders_lift_hold,
    patient_reminders_pause,
    patient_reminders_restart,
    patient_reminders_resume,
    patient_reminders_stop,
)
from patients.services.rights import patient_erase
from tests import factories

UTC = datetime.UTC
MONDAY = datetime.datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
EIGHT = datetime.datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def make_assignment(clinician, name: str, time=datetime.time(8, 0)):
    patient = factories.PatientFactory(
        clinician=clinician, user__email=f"{name}@example.org", time_zone="Europe/London"
    )
    program = factories.ProgramFactory(owner=clinician, title="Calf program")
    factories.ProgramItemFactory(program=program, times_per_day=1)
    with time_machine.travel(MONDAY, tick=False):
        return assignment_create(
            program=program,
            patient=patient,
            assigned_by=clinician,
            starts_on=datetime.date(2026, 11, 2),
            reminder_times=[time],
        )


def dispatch_at(moment, capture):
    with time_machine.travel(moment, tick=False):
        with capture() as callbacks:
            result = reminders.reminders_dispatch()
    return result, callbacks


def delivery_for(assignment, occurrence, **kwargs) -> Delivery:
    schedule = assignment.reminder_schedules.get()
    return Delivery.objects.create(
        patient=assignment.patient,
        schedule=schedule,
        kind=schedule.kind,
        channel=schedule.channel,
        occurrence=occurrence,
        **kwargs,
    )


# --- One bad row ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_schedule_set_back_onto_a_sent_occurrence_does_not_stop_anyone_elses_reminders(
    clinician, django_capture_on_commit_callbacks, caplog
):
    poisoned = make_assignment(clinician, "ann")
    others = [make_assignment(clinician, name) for name in ("bob", "cat", "dan")]
    # Monday's reminder went out; a clock set back puts the schedule on it again.
    delivery_for(poisoned, EIGHT, status=Delivery.Status.SENT)
    bad = poisoned.reminder_schedules.get()
    ReminderSchedule.objects.filter(pk=bad.pk).update(next_due_at=EIGHT)

    with caplog.at_level(logging.WARNING, logger="patients.reminders"):
        result, callbacks = dispatch_at(
            EIGHT + datetime.timedelta(seconds=30), django_capture_on_commit_callbacks
        )

    assert result.claimed == 3
    for assignment in others:
        assert Delivery.objects.filter(patient=assignment.patient, occurrence=EIGHT).exists()
    assert Delivery.objects.filter(schedule=bad).count() == 1  # no second one
    bad.refresh_from_db()
    assert bad.next_due_at == EIGHT + datetime.timedelta(days=1)
    assert f"reminder schedule {bad.pk} of patient {poisoned.patient_id}" in caplog.text
    assert "already has a delivery" in caplog.text
    # Their reminders go out.
    for delivery in Delivery.objects.filter(occurrence=EIGHT, status=Delivery.Status.PENDING):
        reminders.delivery_send(delivery_id=delivery.pk, now=EIGHT + datetime.timedelta(minutes=1))
    assert sorted(m.to[0] for m in mail.outbox) == [
        f"{name}@example.org" for name in ("bob", "cat", "dan")
    ]
    # And the next day every patient, the poisoned one too, is dispatched again.
    result, _ = dispatch_at(EIGHT + datetime.timedelta(days=1), django_capture_on_commit_callbacks)
    assert result.claimed == 4


@pytest.mark.django_db
def test_a_schedule_whose_next_time_raises_is_moved_on_and_the_batch_goes_on(
    clinician, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    broken = make_assignment(clinician, "ann")
    fine = make_assignment(clinician, "bob")
    broken_schedule = broken.reminder_schedules.get()
    original = ReminderSchedule.next_occurrence_after

    def next_occurrence_after(self, moment):
        if self.pk == broken_schedule.pk:
            raise ValueError("no valid local time")
        return original(self, moment)

    monkeypatch.setattr(ReminderSchedule, "next_occurrence_after", next_occurrence_after)
    with caplog.at_level(logging.ERROR, logger="patients.reminders"):
        result, _ = dispatch_at(
            EIGHT + datetime.timedelta(seconds=30), django_capture_on_commit_callbacks
        )

    assert result.claimed == 1
    assert Delivery.objects.get().patient == fine.patient
    broken_schedule.refresh_from_db()
    assert broken_schedule.next_due_at > EIGHT + datetime.timedelta(seconds=30)
    assert f"reminder schedule {broken_schedule.pk}" in caplog.text
    assert "not computable" in caplog.text


# --- Stopped, paused and held schedules are not dispatched ---------------------------------


STATE_CHANGES = {
    "stop": patient_reminders_stop,
    "pause": patient_reminders_pause,
    "hold": patient_reminders_hold,
}


def dispatch_hourly_for_a_week(capture) -> int:
    queued = 0
    for hour in range(7 * 24):
        _, callbacks = dispatch_at(MONDAY + datetime.timedelta(hours=hour), capture)
        queued += len(callbacks)
    return queued


@pytest.mark.django_db
@pytest.mark.parametrize("change", STATE_CHANGES)
def test_a_stopped_paused_or_held_patient_gets_no_delivery_row_and_no_task_for_a_week(
    clinician, django_capture_on_commit_callbacks, change
):
    assignment = make_assignment(clinician, "ann")
    with time_machine.travel(MONDAY, tick=False):
        STATE_CHANGES[change](patient=assignment.patient)
    assert assignment.reminder_schedules.get().next_due_at is None

    queued = dispatch_hourly_for_a_week(django_capture_on_commit_callbacks)

    assert Delivery.objects.count() == 0
    assert queued == 0


@pytest.mark.django_db
def test_a_stop_by_the_one_click_link_clears_the_due_time_too(clinician, client):
    assignment = make_assignment(clinician, "ann")
    token = reminders.stop_token(assignment.patient)
    client.post(f"/reminders/stop/{token}/")
    assert assignment.reminder_schedules.get().next_due_at is None


@pytest.mark.django_db
def test_a_schedule_stopped_before_this_fix_is_cleared_by_the_dispatcher_without_a_delivery(
    clinician, django_capture_on_commit_callbacks
):
    assignment = make_assignment(clinician, "ann")
    # A row left due by the old code while the patient had stopped reminders.
    Patient.objects.filter(pk=assignment.patient_id).update(reminders_stopped_at=MONDAY)
    assert assignment.reminder_schedules.get().next_due_at == EIGHT

    queued = dispatch_hourly_for_a_week(django_capture_on_commit_callbacks)

    assert (Delivery.objects.count(), queued) == (0, 0)
    assert assignment.reminder_schedules.get().next_due_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "undo"),
    [
        (patient_reminders_stop, patient_reminders_restart),
        (patient_reminders_pause, patient_reminders_resume),
        (patient_reminders_hold, patient_reminders_lift_hold),
    ],
)
def test_resuming_recomputes_the_next_occurrence_from_now(clinician, change, undo):
    assignment = make_assignment(clinician, "ann")
    with time_machine.travel(MONDAY, tick=False):
        change(patient=assignment.patient)
    wednesday_noon = datetime.datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
    with time_machine.travel(wednesday_noon, tick=False):
        undo(patient=Patient.objects.get(pk=assignment.patient_id))
    schedule = assignment.reminder_schedules.get()
    assert schedule.next_due_at == datetime.datetime(2026, 11, 5, 8, 0, tzinfo=UTC)
    assert schedule.paused is False


@pytest.mark.django_db
def test_the_hold_pauses_exercise_reminders_but_not_pain_check_ins(clinician):
    assignment = make_assignment(clinician, "ann")
    pain = ReminderSchedule.objects.create(
        assignment=assignment,
        kind=ReminderSchedule.Kind.PAIN_CHECK_IN,
        local_time=datetime.time(20, 0),
    )
    reminders.schedule_refresh(schedule=pain, now=MONDAY)
    patient_reminders_hold(patient=assignment.patient)
    exercise = assignment.reminder_schedules.get(kind=ReminderSchedule.Kind.EXERCISE)
    pain.refresh_from_db()
    assert (exercise.paused, exercise.next_due_at) == (True, None)
    assert (pain.paused, pain.next_due_at) == (
        False,
        datetime.datetime(2026, 11, 2, 20, tzinfo=UTC),
    )


# --- The sweep's touch ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_lost_delivery_is_requeued_once_per_interval_not_at_every_sweep(
    clinician, django_capture_on_commit_callbacks, settings
):
    settings.REMINDER_SWEEP_AFTER_SECONDS = 180
    assignment = make_assignment(clinician, "ann")
    lost = delivery_for(assignment, EIGHT)
    Delivery.objects.filter(pk=lost.pk).update(updated_at=EIGHT)
    first = EIGHT + datetime.timedelta(minutes=10)
    sweeps = [first, first + datetime.timedelta(minutes=2), first + datetime.timedelta(minutes=4)]
    requeued = []
    for moment in sweeps:
        with time_machine.travel(moment, tick=False):
            with django_capture_on_commit_callbacks(execute=False):
                requeued.append(reminders.reminders_sweep())
    # Queued at 08:10, left alone at 08:12 (touched: within the interval), again at 08:14.
    assert requeued == [[lost.pk], [], [lost.pk]]


@pytest.mark.django_db
def test_a_sweep_that_requeues_logs_the_counts_and_ids(
    clinician, django_capture_on_commit_callbacks, caplog
):
    assignment = make_assignment(clinician, "ann")
    lost = delivery_for(assignment, EIGHT)
    Delivery.objects.filter(pk=lost.pk).update(updated_at=EIGHT)
    with caplog.at_level(logging.WARNING, logger="patients.reminders"):
        with time_machine.travel(EIGHT + datetime.timedelta(minutes=10), tick=False):
            with django_capture_on_commit_callbacks(execute=False):
                reminders.reminders_sweep()
    [record] = [r for r in caplog.records if "sweep" in r.getMessage()]
    assert "re-queued 1 deliveries" in record.getMessage()
    assert f"lost=[{lost.pk}]" in record.getMessage()


# --- Delivery outcomes in the log ----------------------------------------------------------


@pytest.mark.django_db
def test_every_outcome_other_than_sent_writes_a_line_with_the_ids_and_reason(clinician, caplog):
    assignment = make_assignment(clinician, "ann")
    assignment.patient.user.__class__.objects.update(email="")
    delivery = delivery_for(assignment, EIGHT)
    with caplog.at_level(logging.INFO, logger="patients.reminders"):
        with time_machine.travel(EIGHT, tick=False):
            reminders.delivery_send(delivery_id=delivery.pk)
    [line] = [r.getMessage() for r in caplog.records if f"delivery {delivery.pk}" in r.getMessage()]
    assert f"schedule {delivery.schedule_id}" in line
    assert f"patient {assignment.patient_id}" in line
    assert "failed" in line and "no email address" in line


@pytest.mark.django_db
def test_an_unexpected_error_in_the_channel_is_a_failed_delivery_with_a_traceback_in_the_log(
    clinician, caplog, settings
):
    settings.EMAIL_BACKEND = "tests.patients.test_reminder_reliability.BrokenBackend"
    assignment = make_assignment(clinician, "ann")
    delivery = delivery_for(assignment, EIGHT)
    with caplog.at_level(logging.INFO, logger="patients.reminders"):
        with time_machine.travel(EIGHT, tick=False):
            reminders.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert "KeyError" in delivery.reason
    assert any(record.exc_info for record in caplog.records)


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise KeyError("template variable")


# --- Two workers and the daily cap; an erasure during a send -------------------------------


class SlowOutbox:
    """An email backend whose first send waits for something else to happen meanwhile."""

    during_first_send = None
    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        first = not type(self).sent
        type(self).sent.extend(messages)
        if first and type(self).during_first_send:
            type(self).during_first_send()
        return len(messages)


@pytest.fixture
def slow_outbox(settings):
    settings.EMAIL_BACKEND = "tests.patients.test_reminder_reliability.SlowOutbox"
    SlowOutbox.sent = []
    SlowOutbox.during_first_send = None
    yield SlowOutbox
    SlowOutbox.during_first_send = None


def in_thread(work, *, wait: float = 2.0) -> threading.Thread:
    """Run ``work`` on its own connection; give it ``wait`` seconds to finish (it may be
    blocked on a lock the caller holds) and return the thread to join later."""

    def run():
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=wait)
    return thread


@pytest.mark.django_db(transaction=True)
def test_two_workers_cannot_both_pass_the_daily_cap(clinician, slow_outbox, settings):
    settings.REMINDER_DAILY_CAP = 1
    assignment = make_assignment(clinician, "ann")
    first = delivery_for(assignment, EIGHT)
    second = delivery_for(assignment, EIGHT + datetime.timedelta(minutes=1))
    moment = EIGHT + datetime.timedelta(minutes=1)
    threads = []
    # While the first worker is inside its send, a second worker sends the other one.
    slow_outbox.during_first_send = lambda: threads.append(
        in_thread(lambda: reminders.delivery_send(delivery_id=second.pk, now=moment))
    )

    reminders.delivery_send(delivery_id=first.pk, now=moment)
    threads[0].join(timeout=30)

    assert len(slow_outbox.sent) == 1
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses == {first.pk: Delivery.Status.SENT, second.pk: Delivery.Status.SKIPPED}
    assert "Daily limit" in Delivery.objects.get(pk=second.pk).reason


@pytest.mark.django_db(transaction=True)
def test_an_erasure_during_a_send_waits_for_it_and_no_send_starts_after_it(
    clinician, slow_outbox, monkeypatch
):
    assignment = make_assignment(clinician, "ann")
    patient = assignment.patient
    staff = factories.ClinicianFactory()
    claimed = delivery_for(assignment, EIGHT)
    queued = delivery_for(assignment, EIGHT + datetime.timedelta(minutes=1))
    erased = threading.Event()

    def erase():
        patient_erase(patient=Patient.objects.get(pk=patient.pk), erased_by=staff)
        erased.set()

    original = reminders._send_through_channel
    erased_before_channel = []

    def erase_then_send(delivery):
        # The erasure lands while this send is claimed and about to call the channel.
        threads.append(in_thread(erase))
        erased_before_channel.append(erased.is_set())
        return original(delivery)

    threads: list[threading.Thread] = []
    monkeypatch.setattr(reminders, "_send_through_channel", erase_then_send)
    reminders.delivery_send(delivery_id=claimed.pk, now=EIGHT)
    threads[0].join(timeout=30)

    # The erasure waited for the send already under way ...
    assert erased_before_channel == [False]
    assert erased.is_set()
    assert not Patient.objects.filter(pk=patient.pk).exists()
    # ... and a send queued before it finds nothing to send.
    assert reminders.delivery_send(delivery_id=queued.pk, now=EIGHT) is None
    assert len(slow_outbox.sent) == 1
    assert not mail.outbox


@pytest.mark.django_db(transaction=True)
def test_a_sweep_during_a_live_send_does_not_give_it_back_as_abandoned(clinician, slow_outbox):
    assignment = make_assignment(clinician, "ann")
    delivery = delivery_for(assignment, EIGHT)
    requeued = []

    def sweep_much_later():
        # A sweep whose clock says the send was claimed long ago.
        requeued.append(reminders.reminders_sweep(now=EIGHT + datetime.timedelta(hours=1)))

    threads = []
    slow_outbox.during_first_send = lambda: threads.append(in_thread(sweep_much_later))
    reminders.delivery_send(delivery_id=delivery.pk, now=EIGHT)
    threads[0].join(timeout=30)

    assert requeued == [[]]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


# --- The same key for every attempt of one delivery ----------------------------------------


@pytest.mark.django_db
def test_every_attempt_of_one_delivery_carries_the_same_message_id_and_sms_key(clinician, settings):
    settings.SITE_URL = "https://clinic.example.org:8443"
    settings.SMS_BACKEND = "patients.sms.LocmemSmsBackend"
    sms.outbox.clear()
    assignment = make_assignment(clinician, "ann")
    Patient.objects.filter(pk=assignment.patient_id).update(phone="+447700900123")
    email = delivery_for(assignment, EIGHT)
    reminders.delivery_send(delivery_id=email.pk, now=EIGHT)
    # A second attempt, as after a worker killed between the accept and the status write.
    Delivery.objects.filter(pk=email.pk).update(status=Delivery.Status.PENDING)
    reminders.delivery_send(delivery_id=email.pk, now=EIGHT)
    ids = [message.extra_headers["Message-ID"] for message in mail.outbox]
    assert ids == [f"<reminder-{email.pk}-20261102T0800@clinic.example.org>"] * 2

    ReminderSchedule.objects.update(channel=ReminderSchedule.Channel.SMS)
    text = delivery_for(assignment, EIGHT + datetime.timedelta(minutes=5))
    reminders.delivery_send(delivery_id=text.pk, now=EIGHT)
    Delivery.objects.filter(pk=text.pk).update(status=Delivery.Status.PENDING)
    reminders.delivery_send(delivery_id=text.pk, now=EIGHT)
    keys = {message.idempotency_key for message in sms.outbox}
    assert keys == {f"reminder-{text.pk}-20261102T0805@clinic.example.org"}
