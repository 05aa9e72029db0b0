"""Reminders: schedules as data, a dispatcher that claims due rows, idempotent sends.

The flow (docs/architecture.md, "The reminder pipeline"):

1. Each ReminderSchedule row carries ``next_due_at`` (UTC), computed in the patient's zone.
2. ``reminders_dispatch`` (beat, every minute) claims due rows a batch at a time (a
   locking read that skips rows another dispatcher holds, then one UPDATE that moves
   ``next_due_at`` on); only the claimer creates the Delivery rows, unique on (schedule,
   occurrence), and queues their sends after commit, several deliveries per task. Two
   dispatchers, or a retried one, cannot both claim a row.
3. ``deliveries_send`` (worker, acks_late) claims each delivery of its batch
   (pending -> sending), decides for each whether to send or skip, sends through the
   channel (one mail connection per batch) and records the outcomes in one UPDATE.
4. ``reminders_sweep`` queues again what the broker lost: deliveries still pending after a
   few minutes, and sends abandoned by a killed worker.
"""

from __future__ import annotations

import datetime
import logging
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Count, F, Model
from django.db.models.sql import UpdateQuery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from users.emails import EmailTemplates

from . import sms
from .models import (
    Assignment,
    AssignmentItem,
    Delivery,
    ExerciseLog,
    Patient,
    ReminderSchedule,
)

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

    A batch of due rows is claimed with one locking read (``FOR UPDATE SKIP LOCKED``, in
    ``next_due_at`` order) and moved on with one UPDATE: a concurrent dispatcher skips the
    rows this one holds and, once it commits, no longer finds them due, so exactly one
    dispatcher creates each delivery. (SQLite, the embedded default, has no row locks: its
    write transactions run one at a time, which gives the same guarantee.) The
    (schedule, occurrence) unique constraint is the backstop. The batch's deliveries are
    queued after commit, several per task (``send_batches``).

    No single row can stop the batch: a row whose delivery already exists (a clock set
    back, a manual edit, a restore), or whose next time cannot be computed, is moved
    forward and logged, and the others go on. A row that must not be dispatched (stopped,
    paused, held, program not running) loses its due time without a delivery.
    """
    from .tasks import send_reminders  # tasks import this module

    now = now or timezone.now()
    created_ids: list[int] = []
    for _batch in range(max_batches):
        # Claimed rows move past `now`, so each pass reads the next due ones through the
        # next_due_at index. Most minutes nothing is due: one index probe, no transaction.
        if not ReminderSchedule.objects.filter(next_due_at__lte=now).exists():
            break
        with transaction.atomic():
            due = list(
                ReminderSchedule.objects.filter(next_due_at__lte=now)
                .select_related("assignment__patient")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("next_due_at", "pk")[:batch_size]
            )
            if not due:
                break
            claimed = []
            for schedule in due:
                occurrence = schedule.next_due_at
                schedule.next_due_at, dispatch = _move_on(schedule, occurrence, now)
                if dispatch:
                    claimed.append((schedule, occurrence))
            update_each(ReminderSchedule, due, ["next_due_at"])
            deliveries = _deliveries_for(claimed)
            batches = send_batches((delivery.pk, delivery.channel) for delivery in deliveries)
            if batches:
                transaction.on_commit(lambda batches=batches: _enqueue(send_reminders, batches))
        created_ids += [delivery.pk for delivery in deliveries]
    return DispatchResult(claimed=len(created_ids), deliveries=created_ids)


def _move_on(
    schedule: ReminderSchedule, occurrence: datetime.datetime, now: datetime.datetime
) -> tuple[datetime.datetime | None, bool]:
    """A claimed row's next due time, and whether this occurrence gets a delivery."""
    if not schedule_is_live(schedule=schedule):
        # Stopped or paused before its due time was cleared: nothing to dispatch, ever,
        # until a resume recomputes it.
        logger.info(
            "reminder schedule %s of patient %s is stopped, paused or held: due time cleared",
            schedule.pk,
            schedule.assignment.patient_id,
        )
        return None, False
    try:
        # The next occurrence after now, not after the one due: a dispatcher that was down
        # for hours sends the latest due reminder once, not a backlog.
        return schedule.next_occurrence_after(max(occurrence, now)), True
    except Exception:
        retry_at = now + BAD_ROW_RETRY
        logger.exception(
            "reminder schedule %s of patient %s: next time not computable; retried at %s",
            schedule.pk,
            schedule.assignment.patient_id,
            retry_at.isoformat(),
        )
        return retry_at, False


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


def send_batches(deliveries: Iterable[tuple[int, str]]) -> list[list[int]]:
    """Delivery ids (with their channel) grouped into the batches one task sends.

    Email batches are large: one connection, and a second copy after a worker is killed
    mid-batch carries the same Message-ID. Text messages default to one per task, so a
    killed worker can repeat at most the one text it was sending (README.md, "Exactly
    once, per channel").
    """
    sizes = {
        ReminderSchedule.Channel.EMAIL: settings.REMINDER_EMAIL_BATCH_SIZE,
        ReminderSchedule.Channel.SMS: settings.REMINDER_SMS_BATCH_SIZE,
    }
    by_channel: dict[str, list[int]] = {}
    for pk, channel in deliveries:
        by_channel.setdefault(channel, []).append(pk)
    batches = []
    for channel, ids in by_channel.items():
        size = max(1, sizes.get(channel, 1))
        batches += [ids[start : start + size] for start in range(0, len(ids), size)]
    return batches


def _enqueue(task, batches: list[list[int]]) -> None:
    if not batches:
        return
    # One producer (one broker connection) for every message, not one each.
    with task.app.producer_or_acquire() as producer:
        for ids in batches:
            task.apply_async((ids,), producer=producer)


def reminders_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Queue again the deliveries the broker lost. Sends are idempotent, so a delivery
    queued twice is still sent once."""
    from .tasks import send_reminders

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
    given_back = list(
        Delivery.objects.filter(
            pk__in=abandoned, status=Delivery.Status.PENDING, updated_at=now
        ).values_list("pk", "channel")
    )
    lost = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, updated_at__lt=cutoff).values_list(
            "pk", "channel"
        )[:5000]
    )
    # Touch them so the next sweep waits another interval before queueing them again.
    Delivery.objects.filter(pk__in=[pk for pk, _ in lost]).update(updated_at=now)
    abandoned = [pk for pk, _ in given_back]
    lost_ids = [pk for pk, _ in lost]
    stale = abandoned + lost_ids
    if stale:
        logger.warning(
            "reminder sweep re-queued %s deliveries (%s abandoned by a worker, %s lost by the "
            "broker): abandoned=%s lost=%s",
            len(stale),
            len(abandoned),
            len(lost_ids),
            abandoned[:100],
            lost_ids[:100],
        )
        batches = send_batches(given_back + lost)
        transaction.on_commit(lambda: _enqueue(send_reminders, batches))
    return stale


def send_test_reminder(*, patient: Patient) -> Delivery:
    """One reminder now, through the whole pipeline (broker, worker, channel)."""
    from .tasks import send_reminders

    channel = ReminderSchedule.Channel.EMAIL if patient.user.email else ReminderSchedule.Channel.SMS
    delivery = Delivery.objects.create(
        patient=patient, kind=Delivery.Kind.TEST, channel=channel, occurrence=timezone.now()
    )
    send_reminders.delay_on_commit([delivery.pk])
    return delivery


# --- Sending ------------------------------------------------------------------------


class DeliveryImpossible(ValueError):
    """The reminder cannot be sent as set up (no address for its channel): failed."""


@dataclass(frozen=True)
class SendResult:
    # The deliveries this call finished (sent, skipped, failed) or gave back for a retry.
    deliveries: list[Delivery] = field(default_factory=list)
    # Delivery id -> the channel's error, for those given back (pending) to be retried.
    transient: dict[int, str] = field(default_factory=dict)


def deliveries_send(
    *, delivery_ids: Sequence[int], now: datetime.datetime | None = None
) -> SendResult:
    """Send a batch of deliveries, or record why each was skipped. Idempotent: a delivery
    already sent, skipped, failed or being sent by another worker is left alone.

    Each delivery is claimed on its own condition (pending -> sending) by one UPDATE for
    the batch. Then one transaction holds the row locks of the batch's patients (in id
    order, so two batches cannot deadlock) and of its deliveries, re-reads them, loads
    what the checks need for the whole batch in a few queries, sends through one email
    connection, and records every outcome with one UPDATE. An erasure, a stop or another
    worker's send for the same patient waits for the batch under way, and no send starts
    with data read before them. The locks also make the daily cap exact (two workers
    cannot both pass it).
    """
    now = now or timezone.now()
    claimed = _claim_deliveries(delivery_ids, now)
    if not claimed:
        return SendResult()
    transient: dict[int, str] = {}
    with transaction.atomic():
        patients = {
            patient.pk: patient
            for patient in Patient.objects.select_related("user", "clinician")
            .select_for_update(of=("self",))
            .filter(pk__in=set(claimed.values()))
            .order_by("pk")
        }
        # The delivery's row lock keeps the sweep from giving a live send back as
        # abandoned: its UPDATE waits, then finds the row no longer "sending".
        deliveries = list(
            Delivery.objects.select_related("schedule__assignment")
            .select_for_update(of=("self",))
            .filter(pk__in=list(claimed), status=Delivery.Status.SENDING)
            .order_by("pk")
        )
        deliveries = [d for d in deliveries if d.patient_id in patients]
        for delivery in deliveries:
            delivery.patient = patients[delivery.patient_id]
        _log_not_sent_here(claimed, deliveries, patients)
        checks = _BatchChecks.load(deliveries)
        outcomes: list[tuple[Delivery, str, str]] = []
        with _Channels() as channels:
            for delivery in deliveries:
                status, reason = _decide_and_send(delivery, now, checks, channels)
                if status == Delivery.Status.PENDING:
                    transient[delivery.pk] = reason
                outcomes.append((delivery, status, reason))
        _record_outcomes(outcomes)
    return SendResult(deliveries=deliveries, transient=transient)


def delivery_send(*, delivery_id: int, now: datetime.datetime | None = None) -> Delivery | None:
    """Send one delivery (a batch of one); None when it was not this call's to send.
    Raises ``TransientDeliveryError`` when the channel failed in a way worth retrying."""
    result = deliveries_send(delivery_ids=[delivery_id], now=now)
    if delivery_id in result.transient:
        raise TransientDeliveryError(result.transient[delivery_id])
    return result.deliveries[0] if result.deliveries else None


def _claim_deliveries(delivery_ids: Sequence[int], now: datetime.datetime) -> dict[int, int]:
    """pending -> sending for each of these deliveries still pending, in one statement;
    {delivery id: patient id} of those this call won."""
    if not delivery_ids:
        return {}
    query = Delivery.objects.filter(
        pk__in=list(delivery_ids), status=Delivery.Status.PENDING
    ).query.chain(UpdateQuery)
    query.add_update_values(
        {
            "status": Delivery.Status.SENDING,
            "claimed_at": now,
            "attempts": F("attempts") + 1,
            "updated_at": now,
        }
    )
    using = router.db_for_write(Delivery)
    sql, params = query.get_compiler(using=using).as_sql()
    # RETURNING (PostgreSQL; SQLite since 3.35) names the rows this UPDATE changed: those
    # a concurrent claimer took first no longer match its WHERE.
    with connections[using].cursor() as cursor:
        cursor.execute(f"{sql} RETURNING id, patient_id", params)
        return dict(cursor.fetchall())


def _log_not_sent_here(
    claimed: dict[int, int], deliveries: list[Delivery], patients: dict[int, Patient]
) -> None:
    missing = set(claimed) - {delivery.pk for delivery in deliveries}
    if not missing:
        return
    still_there = set(Delivery.objects.filter(pk__in=missing).values_list("pk", flat=True))
    for delivery_id in sorted(missing):
        patient_id = claimed[delivery_id]
        erased = patient_id not in patients or delivery_id not in still_there
        logger.log(
            logging.WARNING if erased else logging.INFO,
            "reminder delivery %s of patient %s not sent by this task: reason=%s",
            delivery_id,
            patient_id,
            "the patient or the delivery was erased after the claim"
            if erased
            else "given back by the sweep after the claim; its new task sends it",
        )


def _decide_and_send(
    delivery: Delivery, now: datetime.datetime, checks: _BatchChecks, channels: _Channels
) -> tuple[str, str]:
    """(status, reason) of one delivery of the batch: skipped, sent, failed, or pending
    again after a transient error."""
    reason = skip_reason(delivery=delivery, now=now, checks=checks)
    if reason:
        return Delivery.Status.SKIPPED, reason
    try:
        delivery.outgoing = channels.message_for(delivery)
        _send_through_channel(delivery)
    except (sms.TransientSmsError, OSError) as error:
        # Given back; the task retries it with a backoff.
        return Delivery.Status.PENDING, str(error)
    except (sms.SmsError, DeliveryImpossible) as error:
        return Delivery.Status.FAILED, str(error)
    except Exception as error:
        logger.exception(
            "reminder delivery %s (schedule %s, patient %s): unexpected error in the %s channel",
            delivery.pk,
            delivery.schedule_id,
            delivery.patient_id,
            delivery.channel,
        )
        return Delivery.Status.FAILED, _("Unexpected error: %(error)s") % {
            "error": type(error).__name__
        }
    delivery.sent_at = timezone.now()
    checks.record_sent(delivery)
    return Delivery.Status.SENT, ""


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


def _record_outcomes(outcomes: list[tuple[Delivery, str, str]]) -> None:
    """Every outcome of the batch in one UPDATE; a log line for each one not sent."""
    if not outcomes:
        return
    updated_at = timezone.now()
    for delivery, status, reason in outcomes:
        delivery.status = status
        delivery.reason = reason[:300]
        if status != Delivery.Status.SENT:
            delivery.sent_at = None
        delivery.updated_at = updated_at
    update_each(
        Delivery,
        [delivery for delivery, _, _ in outcomes],
        ["status", "reason", "sent_at", "updated_at"],
    )
    for delivery, status, reason in outcomes:
        if status == Delivery.Status.SENT:
            continue
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


def update_each(model: type[Model], objects: Sequence[Model], field_names: list[str]) -> int:
    """Write each object's own values of these fields in one UPDATE (``CASE id WHEN ...``).

    What ``QuerySet.bulk_update`` does, without building a ``When(pk=...)`` expression per
    row and field: that took most of a batch's time (bench/README.md). Values go through
    each field's ``get_db_prep_save``, so dates and times are stored as the ORM stores
    them on every backend.
    """
    using = router.db_for_write(model)
    connection = connections[using]
    quote = connection.ops.quote_name
    pk = model._meta.pk
    fields = [model._meta.get_field(name) for name in field_names]
    updated = 0
    # A statement's parameters are bounded (SQLite: 32,766): a thousand rows at a time.
    for start in range(0, len(objects), 1000):
        chunk = objects[start : start + 1000]
        keys = [pk.get_db_prep_value(obj.pk, connection) for obj in chunk]
        assignments, params = [], []
        for model_field in fields:
            column = quote(model_field.column)
            for key, obj in zip(keys, chunk, strict=True):
                value = getattr(obj, model_field.attname)
                params += [key, model_field.get_db_prep_save(value, connection)]
            whens = " ".join(["WHEN %s THEN %s"] * len(chunk))
            # ELSE keeps the column's own type for the CASE, whatever the parameters' types.
            assignments.append(f"{column} = CASE {quote(pk.column)} {whens} ELSE {column} END")
        sql = (
            f"UPDATE {quote(model._meta.db_table)} SET {', '.join(assignments)} "
            f"WHERE {quote(pk.column)} IN ({', '.join(['%s'] * len(chunk))})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params + keys)
            updated += cursor.rowcount
    return updated


# --- The checks before a send ---------------------------------------------------------


def _local_day(delivery: Delivery) -> datetime.date:
    return delivery.occurrence.astimezone(delivery.patient.zone).date()


def _start_of_local_day(delivery: Delivery) -> datetime.datetime:
    return datetime.datetime.combine(
        _local_day(delivery), datetime.time.min, tzinfo=delivery.patient.zone
    )


class _BatchChecks:
    """What ``skip_reason`` needs for a whole batch, read in a few queries under the
    patients' row locks: which exercise days are done, and what each patient was sent
    since the start of the batch's local days (kept up to date as the batch sends)."""

    def __init__(
        self,
        done: set[tuple[int, datetime.date]],
        sent: dict[int, list[tuple[int, datetime.datetime]]],
        answered: set[tuple[int, datetime.datetime]] | None = None,
    ) -> None:
        self.done = done
        self.sent = sent
        self.answered = answered or set()

    @classmethod
    def load(cls, deliveries: list[Delivery]) -> _BatchChecks:
        if not deliveries:
            return cls(set(), {})
        exercise_days = {
            (delivery.schedule.assignment_id, _local_day(delivery))
            for delivery in deliveries
            if delivery.kind == Delivery.Kind.EXERCISE and delivery.schedule is not None
        }
        sent: dict[int, list[tuple[int, datetime.datetime]]] = {}
        rows = Delivery.objects.filter(
            patient_id__in={delivery.patient_id for delivery in deliveries},
            status=Delivery.Status.SENT,
            sent_at__gte=min(_start_of_local_day(delivery) for delivery in deliveries),
        ).values_list("patient_id", "pk", "sent_at")
        for patient_id, pk, sent_at in rows:
            sent.setdefault(patient_id, []).append((pk, sent_at))
        from .services.outcomes import occasions_answered  # the services import this module

        questionnaire_occasions = {
            (delivery.schedule.assignment_id, delivery.occurrence)
            for delivery in deliveries
            if delivery.kind == Delivery.Kind.OUTCOME and delivery.schedule is not None
        }
        return cls(
            exercises_done_for(exercise_days), sent, occasions_answered(questionnaire_occasions)
        )

    def exercises_done(self, *, assignment: Assignment, day: datetime.date) -> bool:
        return (assignment.pk, day) in self.done

    def questionnaires_answered(self, delivery: Delivery) -> bool:
        return (delivery.schedule.assignment_id, delivery.occurrence) in self.answered

    def sent_since(self, delivery: Delivery, start: datetime.datetime) -> int:
        return sum(
            1
            for pk, sent_at in self.sent.get(delivery.patient_id, ())
            if pk != delivery.pk and sent_at >= start
        )

    def record_sent(self, delivery: Delivery) -> None:
        self.sent.setdefault(delivery.patient_id, []).append((delivery.pk, delivery.sent_at))


def skip_reason(
    *, delivery: Delivery, now: datetime.datetime, checks: _BatchChecks | None = None
) -> str:
    """Why this reminder must not go out now, or "" to send it. Called under the patient's
    row lock (deliveries_send), so the daily cap counts what other workers sent."""
    checks = checks or _BatchChecks.load([delivery])
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
    local_day = _local_day(delivery)
    if assignment.status != Assignment.Status.ACTIVE:
        return _("The program is %(status)s.") % {"status": assignment.get_status_display()}
    if not assignment.is_current_on(local_day):
        return _("Outside the program's dates.")
    lateness = now - delivery.occurrence
    if lateness > datetime.timedelta(minutes=settings.REMINDER_MAX_LATENESS_MINUTES):
        return _("Too late to be useful (due %(minutes)s minutes ago).") % {
            "minutes": int(lateness.total_seconds() // 60)
        }
    if delivery.kind == Delivery.Kind.OUTCOME and checks.questionnaires_answered(delivery):
        return _("The questionnaire is already answered.")
    if delivery.kind == Delivery.Kind.EXERCISE and checks.exercises_done(
        assignment=assignment, day=local_day
    ):
        return _("Today's exercises are already done.")
    if checks.sent_since(delivery, _start_of_local_day(delivery)) >= settings.REMINDER_DAILY_CAP:
        return _("Daily limit of %(cap)s reminders reached.") % {"cap": settings.REMINDER_DAILY_CAP}
    return ""


def exercises_done_on(*, assignment: Assignment, day: datetime.date) -> bool:
    """True when every exercise due that day has all its sessions logged (done or
    skipped). Advice is never logged, so it never keeps a reminder coming."""
    return (assignment.pk, day) in exercises_done_for({(assignment.pk, day)})


def exercises_done_for(
    assignment_days: set[tuple[int, datetime.date]],
) -> set[tuple[int, datetime.date]]:
    """The (assignment id, day) pairs whose exercises are all done that day (see
    ``exercises_done_on``), for any number of pairs in two queries."""
    if not assignment_days:
        return set()
    days_of: dict[int, set[datetime.date]] = {}
    for assignment_id, day in assignment_days:
        days_of.setdefault(assignment_id, set()).add(day)
    due: dict[tuple[int, datetime.date], dict[int, int]] = {pair: {} for pair in assignment_days}
    items = AssignmentItem.objects.filter(assignment_id__in=days_of, is_advice=False)
    for item in items.select_related("assignment"):
        for day in days_of[item.assignment_id]:
            if item.is_due_on(day):
                due[(item.assignment_id, day)][item.pk] = item.times_per_day
    item_ids = {pk for sessions in due.values() for pk in sessions}
    logged: dict[tuple[int, datetime.date], int] = {}
    if item_ids:
        logged = {
            (item_id, day): sessions
            for item_id, day, sessions in ExerciseLog.objects.filter(
                item_id__in=item_ids,
                performed_on__in={day for _, day in assignment_days},
            )
            .values("item_id", "performed_on")
            .annotate(sessions=Count("id"))
            .values_list("item_id", "performed_on", "sessions")
        }
    return {
        (assignment_id, day)
        for (assignment_id, day), sessions in due.items()
        if all(logged.get((pk, day), 0) >= times for pk, times in sessions.items())
    }


# --- Messages -------------------------------------------------------------------------


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
_TODAY = "patients:today"
_LINKS = {
    Delivery.Kind.PAIN_CHECK_IN: "patients:pain",
    Delivery.Kind.OUTCOME: "patients:questionnaires",
}


class _Channels:
    """What a batch sends with: the reminder's email templates compiled once, one
    connection to the mail server (opened at the first email, closed after the batch),
    the SMS backend and the absolute links."""

    def __init__(self) -> None:
        self.templates: EmailTemplates | None = None
        self.connection = None
        self.links = {
            name: settings.SITE_URL + reverse(name) for name in {*_LINKS.values(), _TODAY}
        }

    def __enter__(self) -> _Channels:
        return self

    def __exit__(self, *exc_info) -> None:
        close = getattr(self.connection, "close", None)
        if close is None:
            return
        try:
            close()
        except OSError:
            # Every message of the batch was handed over before: the outcomes stand.
            logger.warning("the mail connection of a reminder batch did not close cleanly")

    def email_connection(self):
        if self.connection is None:
            connection = get_connection()
            # Django's backends keep one connection open across send_messages() calls
            # once opened; a backend without one (a test double) needs no open.
            if hasattr(connection, "open"):
                connection.open()
            self.connection = connection
        return self.connection

    def message_for(self, delivery: Delivery) -> EmailMultiAlternatives | sms.SmsMessage:
        patient = delivery.patient
        stop_url = settings.SITE_URL + reverse(
            "patients:reminders_stop", kwargs={"token": stop_token(patient)}
        )
        context = _message_context(delivery, self.links, stop_url)
        if delivery.channel == ReminderSchedule.Channel.SMS:
            if not patient.phone:
                raise DeliveryImpossible(_("The patient has no mobile number."))
            return sms.SmsMessage(
                to=str(patient.phone),
                body=_sms_body(context),
                idempotency_key=delivery_idempotency_key(delivery),
            )
        if not patient.user.email:
            raise DeliveryImpossible(_("The patient has no email address."))
        if self.templates is None:
            self.templates = EmailTemplates.load("patients/email/reminder")
        return self.templates.message(
            context=context,
            to=[patient.user.email],
            headers={
                "List-Unsubscribe": f"<{stop_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                # The same Message-ID for every attempt of one delivery: a second copy
                # after a worker was killed between the accept and the status write is
                # recognisably the same message to the mail systems that de-duplicate
                # on it.
                "Message-ID": delivery_message_id(delivery),
            },
            connection=self.email_connection(),
        )


def _message_context(delivery: Delivery, links: dict[str, str], stop_url: str) -> dict:
    """What a reminder says, by its kind: the one place that chooses the message."""
    patient = delivery.patient
    clinician = patient.clinician
    assignment = delivery.schedule.assignment if delivery.schedule else None
    return {
        "patient_first_name": patient.user.first_name,
        "clinician_name": clinician.get_full_name() or clinician.username,
        "program_title": assignment.title if assignment else "",
        "kind": delivery.kind,
        "link": links[_LINKS.get(delivery.kind, _TODAY)],
        "stop_url": stop_url,
    }


def _send_through_channel(delivery: Delivery) -> None:
    """Hand the delivery's rendered message (``delivery.outgoing``) to its channel."""
    outgoing = delivery.outgoing
    if isinstance(outgoing, sms.SmsMessage):
        sms.get_sms_backend().send(outgoing)
    else:
        outgoing.connection.send_messages([outgoing])


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
