"""Every change of a patient's reminder state, one function each: pause, resume, stop,
turn back on, hold the exercise reminders for a red flag, lift the hold; and moving a time.

A patient may move a reminder by at most ``MAX_SHIFT`` from the time their clinician set.
Every change recomputes the next due time of the patient's reminders: a stopped, paused or
held reminder has none, so the dispatcher (patients/reminders.py) never reads it, and
resuming computes the next occurrence from now. A send already queued is still checked
at send time.
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Assignment, Patient, ReminderSchedule
from ..reminders import schedule_refresh

logger = logging.getLogger(__name__)

MAX_SHIFT = datetime.timedelta(hours=2)


def patient_schedules(*, patient: Patient, day: datetime.date | None = None):
    """The reminder schedules of the patient's programs that are not over (ended, or past
    their end date), in time order."""
    day = day or patient.local_today()
    return (
        ReminderSchedule.objects.filter(assignment__patient=patient)
        .exclude(assignment__status=Assignment.Status.ENDED)
        .filter(Q(assignment__ends_on__isnull=True) | Q(assignment__ends_on__gte=day))
        .select_related("assignment__patient")
        .order_by("local_time", "kind", "id")
    )


def _refresh(patient: Patient, now: datetime.datetime | None) -> None:
    now = now or timezone.now()
    for schedule in patient_schedules(patient=patient):
        schedule_refresh(schedule=schedule, now=now)


def _set(patient: Patient, now: datetime.datetime | None, **fields) -> Patient:
    for name, value in fields.items():
        setattr(patient, name, value)
    patient.save(update_fields=[*fields, "updated_at"])
    _refresh(patient, now)
    return patient


def _log(action: str, patient: Patient) -> None:
    logger.info("reminders of patient %s: %s", patient.pk, action)


@transaction.atomic
def patient_reminders_pause(*, patient: Patient, now: datetime.datetime | None = None) -> Patient:
    _log("paused", patient)
    return _set(patient, now, reminders_paused=True)


@transaction.atomic
def patient_reminders_resume(*, patient: Patient, now: datetime.datetime | None = None) -> Patient:
    return _set(patient, now, reminders_paused=False)


@transaction.atomic
def patient_reminders_stop(*, patient: Patient, now: datetime.datetime | None = None) -> Patient:
    """Stop every reminder (the patient's settings, or the one-click link in a reminder).
    Stopping twice keeps the first time."""
    # The row lock waits for a send under way (it holds the same lock), so no reminder
    # starts after the stop.
    already = (
        Patient.objects.select_for_update()
        .filter(pk=patient.pk)
        .values_list("reminders_stopped_at", flat=True)
        .first()
    )
    stopped_at = already or now or timezone.now()
    _log("stopped", patient)
    return _set(patient, now, reminders_stopped_at=stopped_at)


@transaction.atomic
def patient_reminders_restart(*, patient: Patient, now: datetime.datetime | None = None) -> Patient:
    """Turn stopped reminders back on (and un-pause them: the patient asked for them)."""
    _log("turned back on", patient)
    return _set(patient, now, reminders_stopped_at=None, reminders_paused=False)


def _exercise_schedules(patient: Patient):
    return ReminderSchedule.objects.filter(
        assignment__patient=patient, kind=ReminderSchedule.Kind.EXERCISE
    ).exclude(assignment__status=Assignment.Status.ENDED)


@transaction.atomic
def patient_reminders_hold(*, patient: Patient, now: datetime.datetime | None = None) -> Patient:
    """The red-flag hold: exercise reminders are paused and lose their due time (pain
    check-ins go on). Lifted by ``patient_reminders_lift_hold``."""
    _exercise_schedules(patient).update(paused=True, next_due_at=None)
    _log("exercise reminders held (red flag)", patient)
    return patient


@transaction.atomic
def patient_reminders_lift_hold(
    *, patient: Patient, now: datetime.datetime | None = None
) -> Patient:
    """End the red-flag hold: exercise reminders run again from their next occurrence
    (unless the patient paused or stopped reminders themselves)."""
    _exercise_schedules(patient).update(paused=False)
    _log("hold on exercise reminders lifted", patient)
    _refresh(patient, now)
    return patient


def _minutes(value: datetime.time) -> int:
    return value.hour * 60 + value.minute


def allowed_window(schedule: ReminderSchedule) -> tuple[datetime.time, datetime.time]:
    """The earliest and latest time the patient may choose, within the same day.

    The window is centred on the clinician's time, so moves cannot drift; schedules made
    before it was kept fall back to their current time.
    """
    original = schedule.original_local_time or schedule.local_time
    shift = int(MAX_SHIFT.total_seconds() // 60)
    low = max(0, _minutes(original) - shift)
    high = min(23 * 60 + 59, _minutes(original) + shift)
    return datetime.time(low // 60, low % 60), datetime.time(high // 60, high % 60)


@transaction.atomic
def schedule_time_change(
    *,
    schedule: ReminderSchedule,
    local_time: datetime.time,
    now: datetime.datetime | None = None,
) -> ReminderSchedule:
    """Move one reminder to another local time within the allowed window."""
    local_time = local_time.replace(second=0, microsecond=0, tzinfo=None)
    earliest, latest = allowed_window(schedule)
    if not earliest <= local_time <= latest:
        raise ValidationError(
            _("Choose a time between %(earliest)s and %(latest)s.")
            % {"earliest": earliest.strftime("%H:%M"), "latest": latest.strftime("%H:%M")},
            code="out_of_window",
        )
    if local_time == schedule.local_time:
        return schedule
    clash = (
        ReminderSchedule.objects.filter(
            assignment_id=schedule.assignment_id, kind=schedule.kind, local_time=local_time
        )
        .exclude(pk=schedule.pk)
        .exists()
    )
    if clash:
        raise ValidationError(_("You already have this reminder at that time."), code="clash")
    schedule.local_time = local_time
    schedule.save(update_fields=["local_time"])
    schedule_refresh(schedule=schedule, now=now)
    return schedule
