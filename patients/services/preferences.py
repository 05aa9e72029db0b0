"""The patient's own reminder preferences: pause, resume, stop, turn back on, move a time.

A patient may move a reminder by at most ``MAX_SHIFT`` from the time their clinician set.
Every change recomputes the next due time of the patient's reminders, so the dispatcher
(patients/reminders.py) scans up-to-date rows; paused and stopped patients' deliveries are
skipped there.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Assignment, Patient, ReminderSchedule
from ..reminders import schedule_refresh

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


@transaction.atomic
def patient_reminders_pause(*, patient: Patient, now: datetime.datetime | None = None) -> Patient:
    return _set(patient, now, reminders_paused=True)


@transaction.atomic
def patient_reminders_resume(*, patient: Patient, now: datetime.datetime | None = None) -> Patient:
    return _set(patient, now, reminders_paused=False)


@transaction.atomic
def patient_reminders_stop(*, patient: Patient, now: datetime.datetime | None = None) -> Patient:
    stopped_at = patient.reminders_stopped_at or now or timezone.now()
    return _set(patient, now, reminders_stopped_at=stopped_at)


@transaction.atomic
def patient_reminders_restart(*, patient: Patient, now: datetime.datetime | None = None) -> Patient:
    """Turn stopped reminders back on (and un-pause them: the patient asked for them)."""
    return _set(patient, now, reminders_stopped_at=None, reminders_paused=False)


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
