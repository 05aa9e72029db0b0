"""Exercise logs: the day's plan, recording and undoing a session, self-reported adherence,
and the history a patient sees.

Dates are the patient's local dates (``Patient.time_zone``); a log may be recorded for today
or, marked as late, for yesterday, and for nothing else.
"""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from programs import weekdays

from ..compiled import attach_children, instances_for_ids, rows_for_ids, rows_of_patient
from ..models import Assignment, AssignmentItem, ExerciseLog, PainLog, Patient
from .attention import attention_refresh

logger = logging.getLogger(__name__)


def _zone(patient: Patient) -> zoneinfo.ZoneInfo:
    return patient.zone


def patient_local_today(*, patient: Patient, now: datetime.datetime | None = None) -> datetime.date:
    """The patient's date at ``now`` (default: now) in their own time zone."""
    return (now or timezone.now()).astimezone(_zone(patient)).date()


# --- the day's plan ------------------------------------------------------------------------


@dataclass
class PlannedItem:
    """An item due on a day, with that day's logs (by session) and what is still open."""

    item: AssignmentItem
    logs: list[ExerciseLog] = field(default_factory=list)

    # Worked out once, as the pages read them several times: the logs are given when the
    # plan is made and never changed after.
    @cached_property
    def done(self) -> int:
        return sum(1 for log in self.logs if log.status == ExerciseLog.Status.DONE)

    @property
    def skipped(self) -> int:
        return sum(1 for log in self.logs if log.status == ExerciseLog.Status.SKIPPED)

    @property
    def sessions(self) -> int:
        return self.item.times_per_day

    @cached_property
    def next_session(self) -> int | None:
        """The first session not yet recorded, or None when every session is."""
        taken = {log.session for log in self.logs}
        return next((s for s in range(1, self.sessions + 1) if s not in taken), None)

    @property
    def is_complete(self) -> bool:
        return self.next_session is None


@dataclass
class DayPlan:
    """Every exercise due on one day, grouped by assignment, in the patient's order, and the
    advice of those assignments (``tips``): read and kept in mind, never logged or counted."""

    day: datetime.date
    groups: list[tuple[Assignment, list[PlannedItem]]]
    tips: list[AssignmentItem] = field(default_factory=list)

    # Worked out once, as the page reads them several times: a plan is not changed after
    # it is made.
    @cached_property
    def items(self) -> list[PlannedItem]:
        return [planned for _assignment, group in self.groups for planned in group]

    @cached_property
    def sessions_done(self) -> int:
        return sum(min(p.done, p.sessions) for p in self.items)

    @cached_property
    def sessions_prescribed(self) -> int:
        return sum(p.sessions for p in self.items)

    @cached_property
    def is_complete(self) -> bool:
        """Every session of every exercise due is recorded (done or skipped)."""
        return bool(self.items) and all(p.is_complete for p in self.items)


# What the patient's pages show of an item's library item or own exercise: its picture
# and video (trigger/snippets/item_picture.html), nothing else of those rows.
_MEDIA_FIELDS = ("image", "image_alt", "video", "video_description")
_ITEM_SHOWN = (
    *(f.name for f in AssignmentItem._meta.concrete_fields),
    *(f"library_item__{name}" for name in _MEDIA_FIELDS),
    *(f"own_exercise__{name}" for name in _MEDIA_FIELDS),
)


def _items_shown() -> QuerySet[AssignmentItem]:
    """The items with what the patient's pages show of them, in their order."""
    return (
        AssignmentItem.objects.select_related("library_item", "own_exercise")
        .only(*_ITEM_SHOWN)
        .order_by("order", "id")
    )


def _items_prefetch() -> Prefetch:
    return Prefetch("items", queryset=_items_shown())


def exercise_day_plan(*, patient: Patient, day: datetime.date) -> DayPlan:
    """The patient's assignments current on ``day``, each with its items due that day and
    their logs of that day. Three queries, whatever the number of items and logs."""
    assignments = list(
        patient.assignments.current_on(day)
        .order_by("starts_on", "id")
        .prefetch_related(_items_prefetch())
    )
    return _day_plan(day=day, assignments=assignments, logs=None, patient=patient)


def _day_plan(
    *,
    patient: Patient,
    day: datetime.date,
    assignments: list[Assignment],
    logs: list[ExerciseLog] | None,
) -> DayPlan:
    """The plan of ``day`` from the assignments current on it (items prefetched) and the
    patient's logs of that day (read here when None)."""
    due = {
        assignment.pk: [item for item in assignment.items.all() if item.is_due_on(day)]
        for assignment in assignments
    }
    tips = [item for a in assignments for item in a.items.all() if item.is_advice]
    logs_by_item: dict[int, list[ExerciseLog]] = defaultdict(list)
    item_ids = {item.pk for items in due.values() for item in items}
    if logs is None and item_ids:
        logs = list(
            ExerciseLog.objects.filter(patient=patient, performed_on=day, item__in=item_ids)
        )
    for log in sorted(logs or [], key=lambda log: log.session):
        if log.performed_on == day and log.item_id in item_ids:
            logs_by_item[log.item_id].append(log)
    return DayPlan(
        day=day,
        groups=[
            (a, [PlannedItem(item=item, logs=logs_by_item[item.pk]) for item in due[a.pk]])
            for a in assignments
        ],
        tips=tips,
    )


@dataclass
class Today:
    """Today's page: the day's plan and the week's adherence (``week_adherence``)."""

    plan: DayPlan
    week_logged: int
    week_prescribed: int


def exercise_today(*, patient: Patient, day: datetime.date) -> Today:
    """``exercise_day_plan`` and ``week_adherence`` of ``day`` together, in three queries
    instead of their five: the assignments current on some day of the week so far, their
    items, then every log of the week the two need (the week's done sessions and the day's
    records) with what the due rule reads of their items. The patient's page reads them at
    every visit: their SQL is compiled once per day (``patients.compiled``)."""
    days = _week_so_far(day)
    monday = days[0]

    # Current on some day from Monday to ``day`` (``current_on``, over the window): the
    # assignments whose items the week prescribes; those current on ``day`` are the plan.
    def week_assignments(ids: list[int]) -> QuerySet[Assignment]:
        return (
            Assignment.objects.filter(
                patient_id__in=ids, status=Assignment.Status.ACTIVE, starts_on__lte=day
            )
            .exclude(ends_on__lt=monday)
            .order_by("starts_on", "id")
        )

    def their_items(ids: list[int]) -> QuerySet[AssignmentItem]:
        return _items_shown().filter(assignment_id__in=ids)

    def week_logs(ids: list[int]) -> QuerySet[ExerciseLog]:
        return (
            ExerciseLog.objects.filter(patient_id__in=ids, performed_on__range=(monday, day))
            .filter(Q(status=ExerciseLog.Status.DONE) | Q(performed_on=day))
            .annotate(
                **{a: F(f"item__{f}") for a, f in zip(_RULE_ALIASES, _RULE_FIELDS, strict=True)}
            )
            .order_by()
        )

    assignments = rows_of_patient(("week assignments", day), patient, week_assignments)
    attach_children(
        assignments,
        "items",
        instances_for_ids("items shown", [a.pk for a in assignments], their_items),
    )
    logs = instances_for_ids(("week logs", day), [patient.pk], week_logs)
    plan = _day_plan(
        patient=patient,
        day=day,
        assignments=[a for a in assignments if a.is_current_on(day)],
        logs=[log for log in logs if log.performed_on == day],
    )
    done = [
        (log.item_id, log.performed_on, log.session, [getattr(log, a) for a in _RULE_ALIASES])
        for log in logs
        if log.status == ExerciseLog.Status.DONE
    ]
    items = [item for a in assignments for item in a.items.all()]
    return Today(
        plan=plan,
        week_logged=_logged(done, {item.pk: item for item in items}),
        week_prescribed=_prescribed(items, days),
    )


# --- recording and undoing -------------------------------------------------------------------


def _check_day(*, patient: Patient, day: datetime.date, now: datetime.datetime | None) -> bool:
    """Raise unless ``day`` is today or yesterday for the patient; True when it is yesterday."""
    today = patient_local_today(patient=patient, now=now)
    if day > today:
        raise ValidationError(
            _("You cannot record an exercise for a day that has not come yet."), code="future"
        )
    if day < today - datetime.timedelta(days=1):
        raise ValidationError(
            _("Exercises can be added for today or yesterday only."), code="too_old"
        )
    return day < today


def _recorded_sessions(*, item: AssignmentItem, day: datetime.date) -> dict[int, ExerciseLog]:
    return {log.session: log for log in ExerciseLog.objects.filter(item=item, performed_on=day)}


@transaction.atomic
def exercise_log_record(
    *,
    patient: Patient,
    item: AssignmentItem,
    day: datetime.date,
    status: str,
    difficulty: str = "",
    pain_during: int | None = None,
    skip_reason: str = "",
    session: int | None = None,
    now: datetime.datetime | None = None,
) -> tuple[ExerciseLog, bool]:
    """Record one session of ``item`` on ``day`` (today, or yesterday marked late).

    Without ``session`` the first free session is taken. A session already recorded (a
    double tap, a resubmitted form: the form carries the session it was showing) is
    returned as it is with ``created=False``; the unique (item, day, session) constraint
    settles two requests racing for the same session.
    """
    if Patient.objects.filter(pk=patient.pk, exercises_on_hold_since__isnull=False).exists():
        # The red-flag hold (services.hold): read from the database, not from the
        # patient object the caller holds, so a hold that began meanwhile still counts.
        logger.info("Exercise log refused for patient %s item %s: on hold", patient.pk, item.pk)
        raise ValidationError(
            _(
                "Your exercises are on hold after your answers to the safety questions: "
                "nothing was recorded. Contact your clinician before you exercise again."
            ),
            code="on_hold",
        )
    is_late = _check_day(patient=patient, day=day, now=now)
    assignment = item.assignment
    if assignment.patient_id != patient.pk or not assignment.is_current_on(day):
        raise ValidationError(
            _("This exercise is not part of your current program."), code="not_current"
        )
    if item.is_advice:
        logger.warning(
            "exercise log refused: item %s is advice (patient %s, assignment %s)",
            item.pk,
            patient.pk,
            assignment.pk,
        )
        raise ValidationError(
            _("This is advice to keep in mind, not an exercise: there is nothing to record."),
            code="advice",
        )
    if not weekdays.includes(item.weekdays, day.weekday()):
        raise ValidationError(_("This exercise is not planned for that day."), code="not_due")
    if status not in ExerciseLog.Status.values:
        raise ValidationError(_("Choose done or skipped."), code="status")
    if status == ExerciseLog.Status.DONE:
        skip_reason = ""
        if difficulty and difficulty not in ExerciseLog.Difficulty.values:
            raise ValidationError(_("Choose too easy, about right or too hard."), code="difficulty")
        if pain_during is not None and not (
            isinstance(pain_during, int) and 0 <= pain_during <= 10
        ):
            raise ValidationError(
                _("Pain is a whole number from 0 (no pain) to 10 (worst imaginable)."),
                code="pain",
            )
    else:
        # A session not done has no difficulty or pain during it.
        difficulty, pain_during = "", None
        skip_reason = (skip_reason or "").strip()
        if not skip_reason:
            raise ValidationError(
                _("Please say in a few words why you are skipping it."), code="skip_reason"
            )
        if len(skip_reason) > 300:
            raise ValidationError(_("Please keep the reason under 300 characters."))

    existing = _recorded_sessions(item=item, day=day)
    if session is None:
        session = next((s for s in range(1, item.times_per_day + 1) if s not in existing), None)
        if session is None:
            raise ValidationError(
                _("All %(count)d sessions of this exercise are already recorded for that day.")
                % {"count": item.times_per_day},
                code="all_done",
            )
    elif not 1 <= session <= item.times_per_day:
        raise ValidationError(
            _("This exercise has %(count)d sessions a day.") % {"count": item.times_per_day},
            code="session",
        )
    elif session in existing:
        return existing[session], False

    try:
        with transaction.atomic():
            log = ExerciseLog.objects.create(
                patient=patient,
                assignment=assignment,
                item=item,
                performed_on=day,
                session=session,
                status=status,
                difficulty=difficulty,
                pain_during=pain_during,
                skip_reason=skip_reason,
                is_late=is_late,
            )
    except IntegrityError:
        # Another request (the second tap) recorded this session between our read and write.
        return ExerciseLog.objects.get(item=item, performed_on=day, session=session), False
    attention_refresh(patient_ids=[patient.pk])  # the dashboard's kept last activity
    return log, True


def exercise_log_undo(
    *, patient: Patient, log: ExerciseLog, now: datetime.datetime | None = None
) -> None:
    """Delete a log the patient recorded today (for today, or late for yesterday).

    Older records stay: the clinician may already have read them.
    """
    if log.patient_id != patient.pk:
        raise ValidationError(_("This record is not yours."), code="not_yours")
    today = patient_local_today(patient=patient, now=now)
    recorded_on = log.logged_at.astimezone(_zone(patient)).date()
    if recorded_on != today or log.performed_on < today - datetime.timedelta(days=1):
        raise ValidationError(_("Only what you recorded today can be undone."), code="too_old")
    with transaction.atomic():
        log.delete()
        attention_refresh(patient_ids=[patient.pk])  # the last activity may go back


def exercise_log_feedback(
    *,
    patient: Patient,
    log: ExerciseLog,
    difficulty: str = "",
    pain_during: int | None = None,
    now: datetime.datetime | None = None,
) -> ExerciseLog:
    """Say how hard a session recorded as done today was, and the pain during it (both
    optional, asked after Done rather than before it). Sending it again overwrites."""
    if log.patient_id != patient.pk:
        raise ValidationError(_("This record is not yours."), code="not_yours")
    if log.status != ExerciseLog.Status.DONE:
        logger.info(
            "exercise feedback refused: log %s was skipped (patient %s)", log.pk, patient.pk
        )
        raise ValidationError(_("Only a session you did can say how it went."), code="skipped")
    today = patient_local_today(patient=patient, now=now)
    recorded_on = log.logged_at.astimezone(_zone(patient)).date()
    if recorded_on != today:
        logger.info("exercise feedback refused: log %s is too old (patient %s)", log.pk, patient.pk)
        raise ValidationError(_("Only what you recorded today can be changed."), code="too_old")
    if difficulty and difficulty not in ExerciseLog.Difficulty.values:
        raise ValidationError(_("Choose too easy, about right or too hard."), code="difficulty")
    if pain_during is not None and not (isinstance(pain_during, int) and 0 <= pain_during <= 10):
        raise ValidationError(
            _("Pain is a whole number from 0 (no pain) to 10 (worst imaginable)."), code="pain"
        )
    log.difficulty = difficulty
    log.pain_during = pain_during
    log.save(update_fields=["difficulty", "pain_during"])
    return log


# --- adherence -------------------------------------------------------------------------------


def _week_so_far(day: datetime.date) -> list[datetime.date]:
    monday = day - datetime.timedelta(days=day.weekday())
    return [monday + datetime.timedelta(days=n) for n in range(day.weekday() + 1)]


def week_adherence(*, patient: Patient, day: datetime.date) -> tuple[int, int]:
    """(sessions logged as done, sessions prescribed), Monday to ``day`` of that week: the
    dashboard's definition (``clinical.adherence``) over the patient's own window.

    Counted in memory with the row rules' in-memory halves (``AssignmentItem.is_due_on``),
    from two plain queries: building the dashboard's SQL expressions for one patient cost
    the page more than all its other queries together. A test holds the two equal
    (tests/patients/test_clinical_definitions.py)."""
    return adherence_in_memory(patient=patient, days=_week_so_far(day))


def adherence_in_memory(*, patient: Patient, days: list[datetime.date]) -> tuple[int, int]:
    """``clinical.adherence`` (sessions logged, sessions prescribed over ``days``, oldest
    first, consecutive) counted in Python. Two queries whatever the number of rows.

    Prescribed: for each day, the times per day of every item of the patient's
    assignments due that day. Logged: the patient's logs marked done on a day their item
    was due, up to the item's times per day. "Due" is ``AssignmentItem.is_due_on``, on
    copies of the rows holding only the fields it reads."""
    first, last = days[0], days[-1]
    assignment_fields = [f"assignment__{name}" for name in _ASSIGNMENT_FIELDS]
    rows = AssignmentItem.objects.filter(
        assignment__patient=patient,
        is_advice=False,
        assignment__status=Assignment.Status.ACTIVE,
        assignment__starts_on__lte=last,
    ).exclude(assignment__ends_on__lt=first)
    items = {
        pk: _rule_copy(values)
        for pk, *values in rows.order_by().values_list("pk", *_ITEM_FIELDS, *assignment_fields)
    }
    done = [
        (item_id, performed_on, session, values)
        for item_id, performed_on, session, *values in ExerciseLog.objects.filter(
            patient=patient, status=ExerciseLog.Status.DONE, performed_on__range=(first, last)
        )
        .order_by()
        .values_list("item_id", "performed_on", "session", *(f"item__{f}" for f in _RULE_FIELDS))
    ]
    return _logged(done, dict(items)), _prescribed(items.values(), days)


def _prescribed(items, days: list[datetime.date]) -> int:
    """Sessions prescribed over ``days`` by ``items`` (all the patient's, advice or not)."""
    return sum(item.times_per_day for item in items for on in days if item.is_due_on(on))


def _logged(done: list[tuple], items: dict[int, AssignmentItem]) -> int:
    """Sessions logged as done on a day their item was due, up to its times per day, from
    (item id, day, session, the rule's values of its item) of each done log. ``items``
    holds the items (or rule copies) already at hand; the others are copied into it."""
    logged = 0
    for item_id, performed_on, session, values in done:
        item = items.get(item_id) or items.setdefault(item_id, _rule_copy(values))
        if session <= item.times_per_day and item.is_due_on(performed_on):
            logged += 1
    return logged


# What ``AssignmentItem.is_due_on`` reads, and nothing else: of the item, then of its
# assignment.
_ITEM_FIELDS = ("times_per_day", "weekdays", "is_advice", "replaced_on", "changed_on")
_ASSIGNMENT_FIELDS = ("status", "starts_on", "ends_on")
_RULE_FIELDS = (*_ITEM_FIELDS, *(f"assignment__{name}" for name in _ASSIGNMENT_FIELDS))
_RULE_ALIASES = tuple(f"rule_{name.replace('__', '_')}" for name in _RULE_FIELDS)


def _rule_copy(values: list) -> AssignmentItem:
    """An unsaved item (and its assignment) holding the values ``is_due_on`` reads, in the
    order of ``_RULE_FIELDS``."""
    item = AssignmentItem(**dict(zip(_ITEM_FIELDS, values[: len(_ITEM_FIELDS)], strict=True)))
    item.assignment = Assignment(
        **dict(zip(_ASSIGNMENT_FIELDS, values[len(_ITEM_FIELDS) :], strict=True))
    )
    return item


# --- history -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryDay:
    day: datetime.date
    pain: list[int]
    sessions_done: int


@dataclass
class History:
    """Pain scores (local time, score) and sessions done per day, from ``start`` to ``end``."""

    start: datetime.date
    end: datetime.date
    pain: list[tuple[datetime.datetime, int]]
    sessions: dict[datetime.date, int]

    @property
    def days(self) -> list[HistoryDay]:
        """Days with anything logged, most recent first (the accessible table)."""
        scores: dict[datetime.date, list[int]] = defaultdict(list)
        for when, score in self.pain:
            scores[when.date()].append(score)
        dates = sorted(set(scores) | set(self.sessions), reverse=True)
        return [HistoryDay(d, scores.get(d, []), self.sessions.get(d, 0)) for d in dates]


def patient_history(
    *, patient: Patient, days: int | None, now: datetime.datetime | None = None
) -> History:
    """The patient's pain scores and completed sessions over the last ``days`` days
    (today included), or all of them with ``days=None``. Two queries."""
    zone = _zone(patient)
    today = patient_local_today(patient=patient, now=now)
    end_moment = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(), tzinfo=zone
    )
    start = today if days is None else today - datetime.timedelta(days=days - 1)
    since = datetime.datetime.combine(start, datetime.time(), tzinfo=zone)

    def pain_logs(ids: list[int]) -> QuerySet:
        logs = PainLog.objects.filter(patient_id__in=ids, recorded_for__lt=end_moment)
        if days is not None:
            logs = logs.filter(recorded_for__gte=since)
        return logs.order_by("recorded_for", "id").values_list("recorded_for", "score")

    def sessions_by_day(ids: list[int]) -> QuerySet:
        logs = ExerciseLog.objects.filter(
            patient_id__in=ids,
            status=ExerciseLog.Status.DONE,
            performed_on__lte=today,
            item__is_advice=False,
        )
        if days is not None:
            logs = logs.filter(performed_on__gte=start)
        return (
            logs.order_by()
            .values("performed_on")
            .annotate(n=Count("id"))
            .values_list("performed_on", "n")
        )

    # Compiled once per day, period and zone (``patients.compiled``).
    key = (today, days, str(zone))
    pain = [
        (recorded_for.astimezone(zone), score)
        for recorded_for, score in rows_for_ids(("history pain", *key), [patient.pk], pain_logs)
    ]
    sessions = dict(rows_for_ids(("history sessions", *key), [patient.pk], sessions_by_day))
    if days is None:
        earliest = [when.date() for when, _score in pain[:1]] + list(sessions)
        start = min(earliest, default=today)
    return History(start=start, end=today, pain=pain, sessions=sessions)
