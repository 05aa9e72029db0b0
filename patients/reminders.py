"""Reminders: schedules as data, a dispatcher that claims due rows, idempotent sends.

The flow (docs/architecture.md, "The reminder pipeline"):

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
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
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


def schedule_is_live(*, schedule: ReminderSchedule) -> bool:
    """False when nothing may be dispatched for this schedule: the patient stopped or
    paused reminders, the reminder itself is paused (the red-flag hold pauses exercise
    reminders), or the program is not running."""
    patient = schedule.assignment.patient
    return not (
        patient.reminders_stopped_at
        or patient.reminders_paused
        or schedule.paused
        or schedule.assignment.status != Assignment.Status.ACTIVE
    )


def schedule_refresh(*, schedule: ReminderSchedule, now: datetime.datetime | None = None) -> None:
    """Recompute a schedule's next due time from now (after a change of times, dates,
    status, the patient's zone, or a stop, pause, hold or resume). A schedule that must not
    be dispatched has none, so the dispatcher never reads it."""
    now = now or timezone.now()
    live = schedule_is_live(schedule=schedule)
    schedule.next_due_at = schedule.next_occurrence_after(now) if live else None
    schedule.save(update_fields=["next_due_at"])


def assignment_schedules_refresh(
    *, assignment: Assignment, now: datetime.datetime | None = None
) -> None:
    now = now or timezone.now()
    for schedule in assignment.reminder_schedules.select_related("assignment__patient"):
        schedule_refresh(schedule=schedule, now=now)


# --- Dispatch -----------------------------------------------------------------------

# A schedule whose next time cannot be computed is tried again this much later, so it
# never stays at the head of the due rows.
BAD_ROW_RETRY = datetime.timedelta(hours=1)


def reminders_dispatch(
    *, now: datetime.datetime | None = None, batch_size: int = 500, max_batches: int = 400
) -> DispatchResult:
    """Claim every due schedule and create its delivery, a batch per transaction.

    Each row is claimed with a conditional UPDATE (``next_due_at`` still the value read):
    a concurrent dispatcher that claimed it first leaves it unmatched, so exactly one
    dispatcher creates its delivery. The (schedule, occurrence) unique constraint is the
    backstop. Sends are queued after the batch commits.

    No single row can stop the batch: a row whose delivery already exists (a clock set
    back, a manual edit, a restore), or whose next time cannot be computed, is moved
    forward and logged, and the others go on. A row that must not be dispatched (stopped,
    paused, held, program not running) loses its due time without a delivery.
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
            claimed = [c for c in (_claim_schedule(s, now) for s in due) if c is not None]
            deliveries = _deliveries_for(claimed)
            ids = [delivery.pk for delivery in deliveries]
            if ids:
                transaction.on_commit(lambda ids=ids: _enqueue(send_reminder, ids))
        claimed_total += len(ids)
        created_ids += ids
    return DispatchResult(claimed=claimed_total, deliveries=created_ids)


def _claim_schedule(
    schedule: ReminderSchedule, now: datetime.datetime
) -> tuple[ReminderSchedule, datetime.datetime] | None:
    """Move one due row on; (schedule, occurrence) when this dispatcher won it and a
    delivery is to be created."""
    occurrence = schedule.next_due_at
    claim = ReminderSchedule.objects.filter(pk=schedule.pk, next_due_at=occurrence)
    if not schedule_is_live(schedule=schedule):
        # Stopped or paused before its due time was cleared: nothing to dispatch, ever,
        # until a resume recomputes it.
        claim.update(next_due_at=None)
        logger.info(
            "reminder schedule %s of patient %s is stopped, paused or held: due time cleared",
            schedule.pk,
            schedule.assignment.patient_id,
        )
        return None
    try:
        # The next occurrence after now, not after the one due: a dispatcher that was down
        # for hours sends the latest due reminder once, not a backlog.
        following = schedule.next_occurrence_after(max(occurrence, now))
    except Exception:
        retry_at = now + BAD_ROW_RETRY
        claim.update(next_due_at=retry_at)
        logger.exception(
            "reminder schedule %s of patient %s: next time not computable; retried at %s",
            schedule.pk,
            schedule.assignment.patient_id,
            retry_at.isoformat(),
        )
        return None
    if not claim.update(next_due_at=following):
        return None  # another dispatcher claimed it
    return schedule, occurrence


def _deliveries_for(claimed: list[tuple[ReminderSchedule, datetime.datetime]]) -> list[Delivery]:
    """Create the claimed rows' deliveries, leaving out (and logging) an occurrence that
    already has one, so the batch commits with every other row."""
    if not claimed:
        return []
    existing = set(
        Delivery.objects.filter(
            schedule_id__in=[schedule.pk for schedule, _ in claimed],
            occurrence__in=[occurrence for _, occurrence in claimed],
        ).values_list("schedule_id", "occurrence")
    )
    deliveries = []
    for schedule, occurrence in claimed:
        if (schedule.pk, occurrence) in existing:
            logger.warning(
                "reminder schedule %s of patient %s: occurrence %s already has a delivery; "
                "moved on without a second one",
                schedule.pk,
                schedule.assignment.patient_id,
                occurrence.isoformat(),
            )
            continue
        deliveries.append(
            Delivery(
                schedule=schedule,
                occurrence=occurrence,
                patient_id=schedule.assignment.patient_id,
                kind=schedule.kind,
                channel=schedule.channel,
            )
        )
    try:
        with transaction.atomic():
            Delivery.objects.bulk_create(deliveries)
        return deliveries
    except IntegrityError:
        # A delivery appeared between the read and the insert: one savepoint per row.
        logger.warning(
            "dispatch batch conflicted on insert; creating its %s rows one by one", len(deliveries)
        )
    created = []
    for delivery in deliveries:
        delivery.pk = None
        try:
            with transaction.atomic():
                delivery.save()
        except IntegrityError:
            logger.warning(
                "reminder schedule %s of patient %s: occurrence %s already has a delivery",
                delivery.schedule_id,
                delivery.patient_id,
                delivery.occurrence.isoformat(),
            )
            continue
        created.append(delivery)
    return created


def _enqueue(task, ids: list[int]) -> None:
    if not ids:
        return
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
    # Only those given back: a send that finished meanwhile (the UPDATE waited for its row
    # lock, then no longer matched) is not queued again.
    abandoned = list(
        Delivery.objects.filter(
            pk__in=abandoned, status=Delivery.Status.PENDING, updated_at=now
        ).values_list("pk", flat=True)
    )
    lost = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, updated_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:5000]
    )
    # Touch them so the next sweep waits another interval before queueing them again.
    Delivery.objects.filter(pk__in=lost).update(updated_at=now)
    stale = abandoned + lost
    if stale:
        logger.warning(
            "reminder sweep re-queued %s deliveries (%s abandoned by a worker, %s lost by the "
            "broker): abandoned=%s lost=%s",
            len(stale),
            len(abandoned),
            len(lost),
            abandoned[:100],
            lost[:100],
        )
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


class DeliveryImpossible(ValueError):
    """The reminder cannot be sent as set up (no address for its channel): failed."""


def delivery_send(*, delivery_id: int, now: datetime.datetime | None = None) -> Delivery | None:
    """Send one delivery, or record why it was skipped. Idempotent: a delivery already
    sent, skipped, failed or being sent by another worker is left alone.

    After the claim (pending -> sending), the decision and the send happen in one
    transaction holding the patient's row lock, re-reading the delivery, its schedule and
    the patient: an erasure, a stop or a second worker for the same patient waits for the
    send under way, and a send never starts with data read before them. The lock also
    makes the daily cap exact (two workers cannot both pass it).
    """
    now = now or timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not claimed:
        return None
    patient_id = (
        Delivery.objects.filter(pk=delivery_id).values_list("patient_id", flat=True).first()
    )
    transient: Exception | None = None
    with transaction.atomic():
        patient_locked = Patient.objects.select_for_update().filter(pk=patient_id).exists()
        # The delivery's row lock keeps the sweep from giving a live send back as
        # abandoned: its UPDATE waits, then finds the row no longer "sending".
        delivery = (
            Delivery.objects.select_related(
                "patient__user", "patient__clinician", "schedule__assignment"
            )
            .select_for_update(of=("self",))
            .filter(pk=delivery_id, status=Delivery.Status.SENDING)
            .first()
        )
        if not patient_locked or delivery is None:
            erased = not patient_locked or not Delivery.objects.filter(pk=delivery_id).exists()
            logger.log(
                logging.WARNING if erased else logging.INFO,
                "reminder delivery %s of patient %s not sent by this task: reason=%s",
                delivery_id,
                patient_id,
                "the patient or the delivery was erased after the claim"
                if erased
                else "given back by the sweep after the claim; its new task sends it",
            )
            return None
        reason = skip_reason(delivery=delivery, now=now)
        if reason:
            return _finish(delivery, Delivery.Status.SKIPPED, reason)
        try:
            _send_through_channel(delivery)
        except (sms.TransientSmsError, OSError) as error:
            # Give the delivery back; the task retries it with a backoff.
            transient = error
            _finish(delivery, Delivery.Status.PENDING, str(error))
        except (sms.SmsError, DeliveryImpossible) as error:
            return _finish(delivery, Delivery.Status.FAILED, str(error))
        except Exception as error:
            logger.exception(
                "reminder delivery %s (schedule %s, patient %s): unexpected error in the "
                "%s channel",
                delivery.pk,
                delivery.schedule_id,
                delivery.patient_id,
                delivery.channel,
            )
            return _finish(
                delivery,
                Delivery.Status.FAILED,
                _("Unexpected error: %(error)s") % {"error": type(error).__name__},
            )
        else:
            return _finish(delivery, Delivery.Status.SENT, "", sent_at=timezone.now())
    raise TransientDeliveryError(str(transient)) from transient


def delivery_fail(*, delivery_id: int, reason: str) -> None:
    """Record a delivery as failed after its last retry."""
    failed = (
        Delivery.objects.filter(pk=delivery_id)
        .exclude(status=Delivery.Status.SENT)
        .update(status=Delivery.Status.FAILED, reason=reason[:300], updated_at=timezone.now())
    )
    if failed:
        row = Delivery.objects.filter(pk=delivery_id).values("schedule_id", "patient_id").first()
        logger.error(
            "reminder delivery %s (schedule %s, patient %s) failed after its last retry: reason=%s",
            delivery_id,
            row and row["schedule_id"],
            row and row["patient_id"],
            reason,
        )


_OUTCOME_LEVEL = {
    Delivery.Status.SKIPPED: logging.INFO,
    Delivery.Status.PENDING: logging.WARNING,
    Delivery.Status.FAILED: logging.ERROR,
}


def _finish(delivery: Delivery, status: str, reason: str, sent_at=None) -> Delivery:
    delivery.status = status
    delivery.reason = reason[:300]
    delivery.sent_at = sent_at
    delivery.save(update_fields=["status", "reason", "sent_at", "updated_at"])
    if status != Delivery.Status.SENT:
        logger.log(
            _OUTCOME_LEVEL.get(status, logging.WARNING),
            "reminder delivery %s (schedule %s, patient %s, %s) %s: reason=%s",
            delivery.pk,
            delivery.schedule_id,
            delivery.patient_id,
            delivery.channel,
            "to be retried" if status == Delivery.Status.PENDING else status,
            reason,
        )
    return delivery


def skip_reason(*, delivery: Delivery, now: datetime.datetime) -> str:
    """Why this reminder must not go out now, or "" to send it. Called under the patient's
    row lock (delivery_send), so the daily cap counts what other workers sent."""
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
    zone = patient.zone
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
    if delivery.kind == Delivery.Kind.OUTCOME and _questionnaires_answered(delivery):
        return _("The questionnaire is already answered.")
    if delivery.kind == Delivery.Kind.EXERCISE and exercises_done_on(
        assignment=assignment, day=local_day
    ):
        return _("Today's exercises are already done.")
    start_of_day = datetime.datetime.combine(local_day, datetime.time.min, tzinfo=zone)
    sent_today = (
        Delivery.objects.filter(
            patient=patient, status=Delivery.Status.SENT, sent_at__gte=start_of_day
        )
        .exclude(pk=delivery.pk)
        .count()
    )
    if sent_today >= settings.REMINDER_DAILY_CAP:
        return _("Daily limit of %(cap)s reminders reached.") % {"cap": settings.REMINDER_DAILY_CAP}
    return ""


def _questionnaires_answered(delivery: Delivery) -> bool:
    from .services.outcomes import occasion_answered  # the services import this module

    return occasion_answered(
        assignment_id=delivery.schedule.assignment_id, occasion=delivery.occurrence
    )


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


def delivery_idempotency_key(delivery: Delivery) -> str:
    """Stable across attempts of one delivery, unique per delivery and per installation."""
    site = urllib.parse.urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"reminder-{delivery.pk}-{delivery.occurrence:%Y%m%dT%H%M}@{site}"


def delivery_message_id(delivery: Delivery) -> str:
    return f"<{delivery_idempotency_key(delivery)}>"


# Where each kind of reminder takes the patient (the rest: today's exercises).
_LINKS = {
    Delivery.Kind.PAIN_CHECK_IN: "patients:pain",
    Delivery.Kind.OUTCOME: "patients:questionnaires",
}


def _send_through_channel(delivery: Delivery) -> None:
    patient = delivery.patient
    clinician = patient.clinician
    stop_url = settings.SITE_URL + reverse(
        "patients:reminders_stop", kwargs={"token": stop_token(patient)}
    )
    assignment = delivery.schedule.assignment if delivery.schedule else None
    context = {
        "patient_first_name": patient.user.first_name,
        "clinician_name": clinician.get_full_name() or clinician.username,
        "program_title": assignment.title if assignment else "",
        "kind": delivery.kind,
        "link": settings.SITE_URL + reverse(_LINKS.get(delivery.kind, "patients:today")),
        "stop_url": stop_url,
    }
    if delivery.channel == ReminderSchedule.Channel.SMS:
        if not patient.phone:
            raise DeliveryImpossible(_("The patient has no mobile number."))
        sms.send_sms(
            to=str(patient.phone),
            body=_sms_body(context),
            idempotency_key=delivery_idempotency_key(delivery),
        )
        return
    if not patient.user.email:
        raise DeliveryImpossible(_("The patient has no email address."))
    send_templated_email(
        template="patients/email/reminder",
        context=context,
        to=[patient.user.email],
        headers={
            "List-Unsubscribe": f"<{stop_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # The same Message-ID for every attempt of one delivery: a second copy after a
            # worker was killed between the accept and the status write is recognisably
            # the same message to the mail systems that de-duplicate on it.
            "Message-ID": delivery_message_id(delivery),
        },
    )


def _sms_body(context: dict) -> str:
    if context["kind"] == Delivery.Kind.PAIN_CHECK_IN:
        text = _("%(clinician)s asks: how is your pain today? %(link)s")
    elif context["kind"] == Delivery.Kind.OUTCOME:
        text = _("%(clinician)s asks you to fill in a short questionnaire: %(link)s")
    else:
        text = _("Reminder from %(clinician)s: time for your exercises. %(link)s")
    return (
        text % {"clinician": context["clinician_name"], "link": context["link"]}
        + " "
        + _("Stop: %(url)s") % {"url": context["stop_url"]}
    )
