"""The red-flag hold: from a "yes" on the safety screen, the patient's exercises are on hold.

The advice after a red flag is "stop the exercises and contact a doctor the same day", so
from that log on nothing invites exercise: Today shows the advice with the clinician's name
and contact instead of the Done buttons, ``exercise_log_record`` refuses a log, and the
exercise reminders stay paused. Pain logging and pain check-ins stay open throughout.

The hold ends when the clinician, having reviewed the red flag, chooses "resume exercises"
(when acknowledging the alert, or later from the patient's page), or assigns a new program.
Resuming tells the patient: a notice on Today, and a message by their reminder channel.

The reminder calls are kept in ``_pause_exercise_reminders`` and
``_resume_exercise_reminders``, the one place to change if reminders get their own
state-change functions.
"""

from __future__ import annotations

import datetime
import logging
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from users.emails import send_templated_email

from .. import sms
from ..models import Alert, Patient, ReminderSchedule
from ..tasks import notify_patient_of_resume
from .alerts import alert_acknowledge
from .preferences import patient_reminders_hold, patient_reminders_lift_hold

logger = logging.getLogger(__name__)

# How long Today keeps telling the patient that their exercises were resumed.
RESUMED_NOTICE_DAYS = 3


class Lift:
    """Why a hold ended (kept in the log line)."""

    RESUMED = "resumed"  # the clinician chose "resume exercises"
    NEW_PROGRAM = "new_program"  # a newer program was assigned


# --- The reminder calls (one place) -------------------------------------------------------


def _pause_exercise_reminders(patient: Patient) -> None:
    """Exercise reminders stop and lose their due time, so nothing is dispatched for them;
    pain check-ins go on (the clinician wants to hear)."""
    patient_reminders_hold(patient=patient)


def _resume_exercise_reminders(patient: Patient, now: datetime.datetime) -> None:
    patient_reminders_lift_hold(patient=patient, now=now)


# --- Starting and lifting ----------------------------------------------------------------


@transaction.atomic
def hold_start(*, patient: Patient, alert: Alert, now: datetime.datetime | None = None) -> Patient:
    """Put the patient's exercises on hold because of ``alert`` (a red flag). Already on
    hold: the hold keeps its start and points at the newer red flag."""
    now = now or timezone.now()
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    locked.exercises_on_hold_since = locked.exercises_on_hold_since or now
    locked.hold_alert = alert
    locked.save(update_fields=["exercises_on_hold_since", "hold_alert", "updated_at"])
    _pause_exercise_reminders(locked)
    patient.exercises_on_hold_since, patient.hold_alert = (
        locked.exercises_on_hold_since,
        alert,
    )
    logger.warning("Exercises on hold for patient %s after red-flag alert %s", patient.pk, alert.pk)
    return patient


def open_red_flags(patient: Patient):
    return patient.alerts.filter(kind=Alert.Kind.RED_FLAG, acknowledged_at__isnull=True)


@transaction.atomic
def hold_lift(
    *,
    patient: Patient,
    by,
    reason: str = Lift.RESUMED,
    now: datetime.datetime | None = None,
) -> bool:
    """End the hold: exercises are offered and accepted again, their reminders resume
    (recomputed from now) and the patient is told. False when there was no hold, or
    (for "resume") while a red flag is still open: each must be reviewed first."""
    now = now or timezone.now()
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.exercises_on_hold_since is None:
        logger.info("No hold to lift for patient %s (%s)", patient.pk, reason)
        return False
    if reason == Lift.RESUMED and open_red_flags(locked).exists():
        logger.info(
            "Hold kept for patient %s: a red flag is still open (clinician %s)",
            patient.pk,
            getattr(by, "pk", None),
        )
        return False
    alert_id = locked.hold_alert_id
    locked.exercises_on_hold_since, locked.hold_alert, locked.hold_lifted_at = None, None, now
    locked.save(
        update_fields=["exercises_on_hold_since", "hold_alert", "hold_lifted_at", "updated_at"]
    )
    _resume_exercise_reminders(locked, now)
    patient.exercises_on_hold_since, patient.hold_alert, patient.hold_lifted_at = None, None, now
    logger.info(
        "Exercises resumed for patient %s (%s, by user %s, red-flag alert %s)",
        patient.pk,
        reason,
        getattr(by, "pk", None),
        alert_id,
    )
    notify_patient_of_resume.delay_on_commit(patient.pk)
    return True


def resumed_recently(patient: Patient, *, now: datetime.datetime | None = None) -> bool:
    """Today's notice: the hold was lifted in the last few days and none started since."""
    now = now or timezone.now()
    lifted = patient.hold_lifted_at
    return (
        patient.exercises_on_hold_since is None
        and lifted is not None
        and now - lifted < datetime.timedelta(days=RESUMED_NOTICE_DAYS)
    )


def hold_contact(patient: Patient) -> dict:
    """The clinician the patient should contact, for the hold's box."""
    clinician = patient.clinician
    return {
        "clinician_name": clinician.get_full_name() or clinician.username,
        "clinician_email": clinician.email,
        "practice_name": clinician.practice.name if clinician.practice_id else "",
    }


# --- Telling the patient ------------------------------------------------------------------


def _channel(patient: Patient) -> str:
    """The channel of the patient's exercise reminders, else whatever they can receive."""

    assignment = patient.assignments.latest_current_on(patient.local_today())
    schedule = (
        assignment.reminder_schedules.filter(kind=ReminderSchedule.Kind.EXERCISE).first()
        if assignment
        else None
    )
    if schedule is not None:
        return schedule.channel
    if patient.user.email:
        return ReminderSchedule.Channel.EMAIL
    return ReminderSchedule.Channel.SMS


def hold_notify_patient(*, patient_id: int) -> bool:
    """Tell the patient their exercises are resumed, by their reminder channel. The message
    names no health details: only that the clinician says they may start again. False
    (with a log line) when it cannot or must not be sent."""
    patient = Patient.objects.select_related("user", "clinician").filter(pk=patient_id).first()
    if patient is None or patient.exercises_on_hold_since is not None:
        logger.info("Resume message not sent to patient %s: no longer due", patient_id)
        return False
    if patient.reminders_stopped_at:
        logger.info("Resume message not sent to patient %s: reminders stopped", patient_id)
        return False
    clinician = patient.clinician
    context = {
        "patient_first_name": patient.user.first_name,
        "clinician_name": clinician.get_full_name() or clinician.username,
        "link": settings.SITE_URL + reverse("patients:today"),
    }
    channel = _channel(patient)
    if channel == ReminderSchedule.Channel.SMS:
        if not patient.phone:
            logger.warning("Resume message not sent to patient %s: no mobile number", patient_id)
            return False
        try:
            sms.send_sms(
                to=str(patient.phone),
                body=_("%(clinician)s says you can start your exercises again: %(link)s")
                % {"clinician": context["clinician_name"], "link": context["link"]},
            )
        except sms.TransientSmsError:
            raise
        except sms.SmsError as error:
            logger.warning("Resume message to patient %s refused: %s", patient_id, error)
            return False
        return True
    if not patient.user.email:
        logger.warning("Resume message not sent to patient %s: no email address", patient_id)
        return False
    send_templated_email(
        template="patients/email/exercises_resumed", context=context, to=[patient.user.email]
    )
    return True


class Review(StrEnum):
    """What acknowledging an alert did (``alert_review``)."""

    ALREADY_ACKNOWLEDGED = "already_acknowledged"  # someone else was first: nothing changed
    ACKNOWLEDGED = "acknowledged"
    RESUMED = "resumed"  # acknowledged, and the hold lifted
    STILL_ON_HOLD = "still_on_hold"  # acknowledged; another red flag keeps the hold


@transaction.atomic
def alert_review(*, alert: Alert, by, note: str, resume_exercises: bool = False) -> Review:
    """The clinician acknowledges an alert with a note and, for a red flag, may resume the
    exercises in the same step. The resume waits until every red flag is reviewed."""
    if not alert_acknowledge(alert=alert, by=by, note=note):
        logger.info("Alert %s was already acknowledged (clinician %s)", alert.pk, by.pk)
        return Review.ALREADY_ACKNOWLEDGED
    if not resume_exercises:
        return Review.ACKNOWLEDGED
    if hold_lift(patient=alert.patient, by=by):
        return Review.RESUMED
    return Review.STILL_ON_HOLD
