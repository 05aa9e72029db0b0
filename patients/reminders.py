"""Reminders: schedules as data, a dispatcher that claims due rows, idempotent sends.

The flow (DESIGN.md, "The flow of data" 4):

1. Each ReminderSchedule row carries ``next_due_at`` (UTC), computed in the patient's zone.
2. ``reminders_dispatch`` (beat, every minute) selects due rows through that index and
   claims each with a conditional UPDATE that moves ``next_due_at`` on; only the claimer
   creates the Delivery row, unique on (schedule, occurrence), and queues its send after
   commit. Two dispatchers, or a retried one, cannot both claim a row.
3. ``delivery_send`` (worker, acks_late) claims the delivery (pending -> sending), decides
   whether to send or skip, sends through the channel and records the outcome.
4. ``reminders_sweep`` queues again what the broker lost: deliveries still pending after a
   few minutes, and sends abandoned by a killed worker.
"""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from programs import weekdays
from users.emails import send_templated_email

from . import sms
from .models import Assignment, Delivery, ExerciseLog, Patient, ReminderSchedule

logger = logging.getLogger(__name__)

STOP_SALT = "patients.reminders.stop"


class TransientDeliveryError(Exception):
    """The channel failed in a way worth retrying; the delivery is pending again."""


@dataclass(frozen=True)
class DispatchResult:
    claimed: int
    deliveries: list[int]


# --- Schedules ----------------------------------------------------------------------


def schedule_refresh(*, schedule: ReminderSchedule, now: datetime.datetime | None = None) -> None:
    """Recompute a schedule's next due time from now (after a change of times, dates,
    status or the patient's zone)."""
    now = now or timezone.now()
    ended = schedule.assignment.status == Assignment.Status.ENDED
    schedule.next_due_at = None if ended else schedule.next_occurrence_after(now)
    schedule.save(update_fields=["next_due_at"])


def assignment_schedules_refresh(
    *, assignment: Assignment, now: datetime.datetime | None = None
) -> None:
    now = now or timezone.now()
    for schedule in assignment.reminder_schedules.select_related("assignment__patient"):
        schedule_refresh(schedule=schedule, now=now)


# --- Dispatch -----------------------------------------------------------------------


def reminders_dispatch(
    *, now: datetime.datetime | None = None, batch_size: int = 500, max_batches: int = 400
) -> DispatchResult:
    """Claim every due schedule and create its delivery, a batch per transaction.

    Each row is claimed with a conditional UPDATE (``next_due_at`` still the value read):
    a concurrent dispatcher that claimed it first leaves it unmatched, so exactly one
    dispatcher creates its delivery. The (schedule, occurrence) unique constraint is the
    backstop. Sends are queued after the batch commits.
    """
    from .tasks import send_reminder  # tasks import this module

    now = now or timezone.now()
    created_ids: list[int] = []
    claimed_total = 0
    for _batch in range(max_batches):
        # Claimed rows move past `now`, so each pass reads the next due ones through the
        # next_due_at index; nothing due is one index probe.
        due = list(
            ReminderSchedule.objects.filter(next_due_at__lte=now)
            .select_related("assignment__patient")
            .order_by("next_due_at", "pk")[:batch_size]
        )
        if not due:
            break
        with transaction.atomic():
            deliveries = []
            for schedule in due:
                occurrence = schedule.next_due_at
                # The next occurrence after now, not after the one due: a dispatcher that
                # was down for hours sends the latest due reminder once, not a backlog.
                following = schedule.next_occurrence_after(max(occurrence, now))
                won = ReminderSchedule.objects.filter(
                    pk=schedule.pk, next_due_at=occurrence
                ).update(next_due_at=following)
                if won:
                    deliveries.append(
                        Delivery(
                            schedule=schedule,
                            occurrence=occurrence,
                            patient_id=schedule.assignment.patient_id,
                            kind=schedule.kind,
                            channel=schedule.channel,
                        )
                    )
            Delivery.objects.bulk_create(deliveries)
            ids = [delivery.pk for delivery in deliveries]
            transaction.on_commit(lambda ids=ids: _enqueue(send_reminder, ids))
        claimed_total += len(deliveries)
        created_ids += ids
    return DispatchResult(claimed=claimed_total, deliveries=created_ids)


def _enqueue(task, ids: list[int]) -> None:
    # One producer (one broker connection) for the whole batch, not one per message.
    with task.app.producer_or_acquire() as producer:
        for pk in ids:
            task.apply_async((pk,), producer=producer)


def reminders_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Queue again the deliveries the broker lost. Sends are idempotent, so a delivery
    queued twice is still sent once."""
    from .tasks import send_reminder

    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.REMINDER_SWEEP_AFTER_SECONDS)
    # A send claimed longer ago than any task may run was abandoned by a killed worker.
    abandoned = list(
        Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:5000]
    )
    Delivery.objects.filter(pk__in=abandoned, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.PENDING, updated_at=now
    )
    lost = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, updated_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:5000]
    )
    # Touch them so the next sweep waits another interval before queueing them again.
    Delivery.objects.filter(pk__in=lost).update(updated_at=now)
    stale = abandoned + lost
    transaction.on_commit(lambda: _enqueue(send_reminder, stale))
    return stale


def send_test_reminder(*, patient: Patient) -> Delivery:
    """One reminder now, through the whole pipeline (broker, worker, channel)."""
    from .tasks import send_reminder

    channel = ReminderSchedule.Channel.EMAIL if patient.user.email else ReminderSchedule.Channel.SMS
    delivery = Delivery.objects.create(
        patient=patient, kind=Delivery.Kind.TEST, channel=channel, occurrence=timezone.now()
    )
    send_reminder.delay_on_commit(delivery.pk)
    return delivery


# --- Sending ------------------------------------------------------------------------


def delivery_send(*, delivery_id: int, now: datetime.datetime | None = None) -> Delivery | None:
    """Send one delivery, or record why it was skipped. Idempotent: a delivery already
    sent, skipped, failed or being sent by another worker is left alone."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not claimed:
        return None
    delivery = Delivery.objects.select_related(
        "patient__user", "patient__clinician", "schedule__assignment"
    ).get(pk=delivery_id)

    reason = skip_reason(delivery=delivery, now=now)
    if reason:
        return _finish(delivery, Delivery.Status.SKIPPED, reason)
    try:
        _send_through_channel(delivery)
    except (sms.TransientSmsError, OSError) as error:
        # Give the delivery back; the task retries it with a backoff.
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.PENDING, reason=str(error)[:300], updated_at=timezone.now()
        )
        raise TransientDeliveryError(str(error)) from error
    except (sms.SmsError, ValueError) as error:
        return _finish(delivery, Delivery.Status.FAILED, str(error))
    return _finish(delivery, Delivery.Status.SENT, "", sent_at=timezone.now())


def delivery_fail(*, delivery_id: int, reason: str) -> None:
    """Record a delivery as failed after its last retry."""
    Delivery.objects.filter(pk=delivery_id).exclude(status=Delivery.Status.SENT).update(
        status=Delivery.Status.FAILED, reason=reason[:300], updated_at=timezone.now()
    )


def _finish(delivery: Delivery, status: str, reason: str, sent_at=None) -> Delivery:
    delivery.status = status
    delivery.reason = reason[:300]
    delivery.sent_at = sent_at
    delivery.save(update_fields=["status", "reason", "sent_at", "updated_at"])
    return delivery


def skip_reason(*, delivery: Delivery, now: datetime.datetime) -> str:
    """Why this reminder must not go out now, or "" to send it."""
    patient = delivery.patient
    if patient.reminders_stopped_at:
        return _("The patient stopped reminders.")
    if delivery.kind == Delivery.Kind.TEST:
        return ""
    if patient.reminders_paused:
        return _("The patient paused reminders.")
    schedule = delivery.schedule
    if schedule is None:
        return _("The reminder time was removed.")
    if schedule.paused:
        return _("This reminder is paused.")
    assignment = schedule.assignment
    zone = zoneinfo.ZoneInfo(str(patient.time_zone))
    local_day = delivery.occurrence.astimezone(zone).date()
    if assignment.status != Assignment.Status.ACTIVE:
        return _("The program is %(status)s.") % {"status": assignment.get_status_display()}
    if not assignment.is_current_on(local_day):
        return _("Outside the program's dates.")
    lateness = now - delivery.occurrence
    if lateness > datetime.timedelta(minutes=settings.REMINDER_MAX_LATENESS_MINUTES):
        return _("Too late to be useful (due %(minutes)s minutes ago).") % {
            "minutes": int(lateness.total_seconds() // 60)
        }
    if delivery.kind == Delivery.Kind.EXERCISE and exercises_done_on(
        assignment=assignment, day=local_day
    ):
        return _("Today's exercises are already done.")
    start_of_day = datetime.datetime.combine(local_day, datetime.time.min, tzinfo=zone)
    sent_today = Delivery.objects.filter(
        patient=patient, status=Delivery.Status.SENT, sent_at__gte=start_of_day
    ).count()
    if sent_today >= settings.REMINDER_DAILY_CAP:
        return _("Daily limit of %(cap)s reminders reached.") % {"cap": settings.REMINDER_DAILY_CAP}
    return ""


def exercises_done_on(*, assignment: Assignment, day: datetime.date) -> bool:
    """True when every exercise due that day has all its sessions logged (done or
    skipped). Advice is never logged, so it never keeps a reminder coming."""
    due = {
        item.pk: item.times_per_day
        for item in assignment.items.all()
        if not item.is_advice and weekdays.includes(item.weekdays, day.weekday())
    }
    if not due:
        return True
    logged = dict(
        ExerciseLog.objects.filter(item_id__in=due, performed_on=day)
        .values("item_id")
        .annotate(sessions=Count("id"))
        .values_list("item_id", "sessions")
    )
    return all(logged.get(pk, 0) >= sessions for pk, sessions in due.items())


def stop_token(patient: Patient) -> str:
    return signing.dumps({"p": patient.pk}, salt=STOP_SALT, compress=True)


def patient_from_stop_token(token: str, *, max_age_days: int = 60) -> Patient | None:
    try:
        data = signing.loads(token, salt=STOP_SALT, max_age=max_age_days * 86400)
    except signing.BadSignature:
        return None
    return Patient.objects.filter(pk=data.get("p")).first()


def reminders_stop(*, patient: Patient) -> None:
    if patient.reminders_stopped_at is None:
        patient.reminders_stopped_at = timezone.now()
        patient.save(update_fields=["reminders_stopped_at", "updated_at"])


def _send_through_channel(delivery: Delivery) -> None:
    patient = delivery.patient
    clinician = patient.clinician
    today_url = settings.SITE_URL + reverse("patients:today")
    pain_url = settings.SITE_URL + reverse("patients:pain")
    stop_url = settings.SITE_URL + reverse(
        "patients:reminders_stop", kwargs={"token": stop_token(patient)}
    )
    assignment = delivery.schedule.assignment if delivery.schedule else None
    context = {
        "patient_first_name": patient.user.first_name,
        "clinician_name": clinician.get_full_name() or clinician.username,
        "program_title": assignment.title if assignment else "",
        "kind": delivery.kind,
        "link": pain_url if delivery.kind == Delivery.Kind.PAIN_CHECK_IN else today_url,
        "stop_url": stop_url,
    }
    if delivery.channel == ReminderSchedule.Channel.SMS:
        if not patient.phone:
            raise ValueError(_("The patient has no mobile number."))
        sms.send_sms(to=str(patient.phone), body=_sms_body(context))
        return
    if not patient.user.email:
        raise ValueError(_("The patient has no email address."))
    send_templated_email(
        template="patients/email/reminder",
        context=context,
        to=[patient.user.email],
        headers={
            "List-Unsubscribe": f"<{stop_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _sms_body(context: dict) -> str:
    if context["kind"] == Delivery.Kind.PAIN_CHECK_IN:
        text = _("%(clinician)s asks: how is your pain today? %(link)s")
    else:
        text = _("Reminder from %(clinician)s: time for your exercises. %(link)s")
    return (
        text % {"clinician": context["clinician_name"], "link": context["link"]}
        + " "
        + _("Stop: %(url)s") % {"url": context["stop_url"]}
    )
