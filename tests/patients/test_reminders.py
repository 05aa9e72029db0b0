"""The reminder pipeline's logic, called as services (the real worker is in test_worker.py)."""

import datetime

import pytest
import time_machine
from django.core import mail

from patients import reminders, sms
from patients.models import Assignment, Delivery, ExerciseLog, ReminderSchedule
from patients.services import assignment_create
from tests import factories

UTC = datetime.UTC
pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinician):
    return factories.PatientFactory(
        clinician=clinician,
        user__email="ann@example.org",
        user__first_name="Ann",
        time_zone="Europe/London",
        phone="+447700900123",
    )


@pytest.fixture
def program(clinician):
    program = factories.ProgramFactory(owner=clinician, title="Calf program")
    factories.ProgramItemFactory(program=program, times_per_day=1)
    return program


@pytest.fixture
def assignment(patient, program, clinician):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 7, 0, tzinfo=UTC), tick=False):
        return assignment_create(
            program=program,
            patient=patient,
            assigned_by=clinician,
            starts_on=datetime.date(2026, 11, 2),
            reminder_times=[datetime.time(8, 0)],
        )


def dispatch_at(moment, django_capture_on_commit_callbacks):
    with time_machine.travel(moment, tick=False):
        with django_capture_on_commit_callbacks() as callbacks:
            result = reminders.reminders_dispatch()
    return result, callbacks


def test_assigning_a_program_schedules_the_first_reminder_in_the_patients_zone(assignment):
    schedule = assignment.reminder_schedules.get()
    assert schedule.next_due_at == datetime.datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_a_due_reminder_is_claimed_once_and_queued_after_commit(
    assignment, django_capture_on_commit_callbacks
):
    result, callbacks = dispatch_at(
        datetime.datetime(2026, 11, 2, 8, 0, 30, tzinfo=UTC), django_capture_on_commit_callbacks
    )
    assert result.claimed == 1
    assert len(callbacks) == 1
    delivery = Delivery.objects.get()
    assert delivery.occurrence == datetime.datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert delivery.status == Delivery.Status.PENDING
    schedule = ReminderSchedule.objects.get()
    assert schedule.next_due_at == datetime.datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    # A second dispatch in the same minute finds nothing due.
    again, callbacks = dispatch_at(
        datetime.datetime(2026, 11, 2, 8, 0, 40, tzinfo=UTC), django_capture_on_commit_callbacks
    )
    assert again.claimed == 0 and callbacks == []
    assert Delivery.objects.count() == 1


def test_nothing_is_dispatched_before_it_is_due(assignment, django_capture_on_commit_callbacks):
    result, callbacks = dispatch_at(
        datetime.datetime(2026, 11, 2, 7, 59, tzinfo=UTC), django_capture_on_commit_callbacks
    )
    assert result.claimed == 0
    assert not Delivery.objects.exists()


def test_a_dispatcher_down_for_days_sends_one_reminder_not_a_backlog(
    assignment, django_capture_on_commit_callbacks
):
    result, _ = dispatch_at(
        datetime.datetime(2026, 11, 5, 9, 0, tzinfo=UTC), django_capture_on_commit_callbacks
    )
    assert result.claimed == 1
    assert ReminderSchedule.objects.get().next_due_at == datetime.datetime(
        2026, 11, 6, 8, 0, tzinfo=UTC
    )


def send(delivery_id, moment):
    with time_machine.travel(moment, tick=False):
        return reminders.delivery_send(delivery_id=delivery_id)


def make_delivery(assignment, occurrence, **kwargs):
    schedule = assignment.reminder_schedules.get()
    return Delivery.objects.create(
        patient=assignment.patient,
        schedule=schedule,
        kind=schedule.kind,
        channel=schedule.channel,
        occurrence=occurrence,
        **kwargs,
    )


EIGHT = datetime.datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_sending_emails_a_short_reminder_naming_the_clinician_with_a_stop_link(assignment):
    delivery = make_delivery(assignment, EIGHT)
    send(delivery.pk, EIGHT + datetime.timedelta(seconds=5))
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 1
    [message] = mail.outbox
    assert message.to == ["ann@example.org"]
    clinician_name = assignment.patient.clinician.get_full_name()
    assert clinician_name in message.body
    assert "Calf program" in message.subject
    assert "/me/" in message.body
    assert "/reminders/stop/" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # No health details beyond the program's name.
    for word in ("pain score", "thrombosis", "calf stretch"):
        assert word not in message.body.lower()


def test_a_send_is_idempotent(assignment):
    delivery = make_delivery(assignment, EIGHT)
    send(delivery.pk, EIGHT)
    assert send(delivery.pk, EIGHT) is None
    assert len(mail.outbox) == 1


def test_an_sms_reminder_goes_through_the_sms_backend(assignment, settings):
    settings.SMS_BACKEND = "patients.sms.LocmemSmsBackend"
    sms.outbox.clear()
    ReminderSchedule.objects.update(channel=ReminderSchedule.Channel.SMS)
    delivery = make_delivery(assignment, EIGHT)
    send(delivery.pk, EIGHT)
    [message] = sms.outbox
    assert message.to == "+447700900123"
    assert "time for your exercises" in message.body
    assert "/reminders/stop/" in message.body
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda a: a.patient.__class__.objects.update(reminders_paused=True), "paused"),
        (
            lambda a: a.patient.__class__.objects.update(reminders_stopped_at=EIGHT),
            "stopped",
        ),
        (lambda a: ReminderSchedule.objects.update(paused=True), "paused"),
        (lambda a: Assignment.objects.update(status=Assignment.Status.PAUSED), "Paused"),
        (lambda a: Assignment.objects.update(status=Assignment.Status.ENDED), "Ended"),
        (lambda a: Assignment.objects.update(ends_on=datetime.date(2026, 11, 2)), None),
    ],
)
def test_reminders_are_skipped_with_a_reason_when_they_must_not_go_out(assignment, change, reason):
    change(assignment)
    occurrence = EIGHT + datetime.timedelta(days=1)
    delivery = make_delivery(assignment, occurrence)
    send(delivery.pk, occurrence)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SKIPPED
    assert delivery.reason
    if reason:
        assert reason in delivery.reason
    assert mail.outbox == []


def test_no_exercise_reminder_once_todays_exercises_are_done(assignment):
    item = assignment.items.get()
    ExerciseLog.objects.create(
        patient=assignment.patient,
        assignment=assignment,
        item=item,
        performed_on=datetime.date(2026, 11, 2),
        status=ExerciseLog.Status.DONE,
    )
    delivery = make_delivery(assignment, EIGHT)
    send(delivery.pk, EIGHT)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SKIPPED
    assert "already done" in delivery.reason


def test_a_reminder_found_hours_late_is_skipped_not_sent_stale(assignment):
    delivery = make_delivery(assignment, EIGHT)
    send(delivery.pk, EIGHT + datetime.timedelta(hours=5))
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SKIPPED
    assert "Too late" in delivery.reason


def test_the_daily_cap_limits_reminders_per_patient(assignment, settings):
    settings.REMINDER_DAILY_CAP = 2
    sent = []
    for minute in range(3):
        occurrence = EIGHT + datetime.timedelta(minutes=minute)
        delivery = make_delivery(assignment, occurrence)
        sent.append(send(delivery.pk, occurrence).status)
    assert sent == [Delivery.Status.SENT, Delivery.Status.SENT, Delivery.Status.SKIPPED]
    assert len(mail.outbox) == 2


def test_a_patient_without_an_email_address_gets_a_failed_delivery_with_the_reason(assignment):
    assignment.patient.user.__class__.objects.update(email="")
    delivery = make_delivery(assignment, EIGHT)
    send(delivery.pk, EIGHT)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert "no email" in delivery.reason


def test_a_transient_channel_error_gives_the_delivery_back_for_a_retry(assignment, settings):
    settings.SMS_BACKEND = "patients.sms.TwilioSmsBackend"
    settings.TWILIO_API_BASE = "http://127.0.0.1:9"  # nothing listens: connection refused
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC123", "token"
    ReminderSchedule.objects.update(channel=ReminderSchedule.Channel.SMS)
    delivery = make_delivery(assignment, EIGHT)
    with pytest.raises(reminders.TransientDeliveryError):
        send(delivery.pk, EIGHT)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert "unreachable" in delivery.reason
    reminders.delivery_fail(delivery_id=delivery.pk, reason="gave up")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED


def test_the_sweep_requeues_lost_and_abandoned_deliveries_only(
    assignment, django_capture_on_commit_callbacks
):
    lost = make_delivery(assignment, EIGHT)
    abandoned = make_delivery(
        assignment,
        EIGHT + datetime.timedelta(minutes=1),
        status=Delivery.Status.SENDING,
        claimed_at=EIGHT,
    )
    fresh = make_delivery(assignment, EIGHT + datetime.timedelta(minutes=2))
    Delivery.objects.filter(pk__in=[lost.pk, abandoned.pk]).update(updated_at=EIGHT)
    later = EIGHT + datetime.timedelta(minutes=10)
    Delivery.objects.filter(pk=fresh.pk).update(updated_at=later)
    with time_machine.travel(later, tick=False):
        with django_capture_on_commit_callbacks() as callbacks:
            requeued = reminders.reminders_sweep()
    assert sorted(requeued) == sorted([lost.pk, abandoned.pk])
    assert len(callbacks) == 1  # one enqueue of both, after commit
    abandoned.refresh_from_db()
    assert abandoned.status == Delivery.Status.PENDING


def test_the_stop_token_identifies_the_patient_and_rejects_tampering(assignment):
    token = reminders.stop_token(assignment.patient)
    assert reminders.patient_from_stop_token(token) == assignment.patient
    assert reminders.patient_from_stop_token(token + "x") is None
