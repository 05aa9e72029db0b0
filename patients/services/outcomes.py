"""Outcome measures of an assignment: the plan (which questionnaires, when), what is due,
recording the answers with their score, and the scores over time against the baseline.

The questionnaire reminder is a ReminderSchedule of kind "outcome" (one per assignment
with a plan): its due times are the plan's occasions in the patient's zone
(``OutcomePlan.next_due_after``), so the dispatcher, its claims, the unique deliveries,
the sweep and the send's exactly-once rules are the reminder pipeline's own.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from trigger.models import Instrument, InstrumentItem

from ..compiled import attach_children, instances_for_ids, rows_for_ids, rows_of_patient
from ..models import (
    Assignment,
    OutcomeAnswer,
    OutcomePlan,
    OutcomeResponse,
    Patient,
    ReminderSchedule,
)
from ..reminders import schedule_refresh

logger = logging.getLogger(__name__)

# The questionnaire at the end stays open this long after the program's last day.
END_GRACE = datetime.timedelta(days=7)


class AlreadyAnswered(Exception):
    """This occasion of the questionnaire has its answers already (a double submit)."""


# --- The plan -------------------------------------------------------------------------


def _reminder_channel(assignment: Assignment) -> str:
    """The channel the patient's reminders already use, else email when they have one."""
    exercise = assignment.reminder_schedules.exclude(kind=ReminderSchedule.Kind.OUTCOME).first()
    if exercise is not None:
        return exercise.channel
    if assignment.patient.user.email or not assignment.patient.phone:
        return ReminderSchedule.Channel.EMAIL
    return ReminderSchedule.Channel.SMS


@transaction.atomic
def outcome_plan_save(
    *,
    assignment: Assignment,
    instruments: Iterable[Instrument],
    at_start: bool,
    every_weeks: int | None,
    at_end: bool,
    local_time: datetime.time,
    now: datetime.datetime | None = None,
) -> OutcomePlan | None:
    """Set (or, with no instruments, remove) the assignment's outcome plan and its
    questionnaire reminder, whose next due time is recomputed at once."""
    instruments = list(instruments)
    reminders = ReminderSchedule.objects.filter(
        assignment=assignment, kind=ReminderSchedule.Kind.OUTCOME
    )
    if not instruments:
        OutcomePlan.objects.filter(assignment=assignment).delete()
        reminders.delete()
        return None
    plan, _created = OutcomePlan.objects.update_or_create(
        assignment=assignment,
        defaults={
            "at_start": at_start,
            "every_weeks": every_weeks,
            "at_end": at_end,
            "local_time": local_time,
        },
    )
    plan.instruments.set(instruments)
    reminder = reminders.first()
    if reminder is None:
        reminder = ReminderSchedule.objects.create(
            assignment=assignment,
            kind=ReminderSchedule.Kind.OUTCOME,
            local_time=local_time,
            channel=_reminder_channel(assignment),
        )
    elif reminder.local_time != local_time:
        reminder.local_time = local_time
        reminder.save(update_fields=["local_time"])
    reminder.assignment = assignment
    schedule_refresh(schedule=reminder, now=now)
    return plan


# --- What is due ----------------------------------------------------------------------


@dataclass(frozen=True)
class DueQuestionnaire:
    assignment: Assignment
    instrument: Instrument
    due_on: datetime.date


def _open(assignment: Assignment, today: datetime.date) -> bool:
    end = assignment.ends_on
    return (
        assignment.status == Assignment.Status.ACTIVE
        and assignment.starts_on <= today
        and (end is None or today <= end + END_GRACE)
    )


def outcomes_due(*, patient: Patient, today: datetime.date | None = None) -> list[DueQuestionnaire]:
    """The questionnaires the patient is asked now: for each running assignment with a
    plan, the open occasion (the latest on or before today, until the next) of each of its
    instruments not yet answered. Two queries whatever the number of plans (one when no
    occasion is open): the plans' instruments, each with its plan and assignment, then
    the answers. The patient's page asks at every visit: their SQL is compiled once
    (``patients.compiled``)."""
    today = today or patient.local_today()

    def plan_links(ids: list[int]) -> QuerySet:
        return (
            OutcomePlan.instruments.through.objects.filter(
                outcomeplan__assignment__patient_id__in=ids
            )
            .select_related("outcomeplan__assignment", "instrument")
            .order_by("outcomeplan_id", "instrument_id")
        )

    def answers(ids: list[int]) -> QuerySet:
        return OutcomeResponse.objects.filter(assignment_id__in=ids).values_list(
            "assignment_id", "instrument_id", "due_on"
        )

    links = instances_for_ids("outcome plan links", [patient.pk], plan_links)
    open_occasions = []
    plans: dict[int, tuple[Assignment, datetime.date | None]] = {}
    for link in links:
        if link.outcomeplan_id not in plans:
            plan = link.outcomeplan
            assignment = plan.assignment
            assignment.patient = patient  # the one the query is about
            open_on = plan.occasion_on(today) if _open(assignment, today) else None
            plans[plan.pk] = (assignment, open_on)
        assignment, due_on = plans[link.outcomeplan_id]
        if due_on is not None:
            open_occasions.append((assignment, link.instrument, due_on))
    if not open_occasions:
        return []
    answered = set(
        rows_for_ids("outcome answers", sorted({a.pk for a, _i, _d in open_occasions}), answers)
    )
    return [
        DueQuestionnaire(assignment=a, instrument=i, due_on=d)
        for a, i, d in open_occasions
        if (a.pk, i.pk, d) not in answered
    ]


def outcome_due_for(
    *, patient: Patient, assignment_id: int, slug: str, today: datetime.date | None = None
) -> DueQuestionnaire | None:
    for due in outcomes_due(patient=patient, today=today):
        if due.assignment.pk == assignment_id and due.instrument.slug == slug:
            return due
    return None


def occasions_answered(
    occasions: set[tuple[int, datetime.datetime]],
) -> set[tuple[int, datetime.datetime]]:
    """The (assignment id, occasion) pairs of ``occasions`` whose questionnaires are all
    answered (an assignment without a plan has nothing to answer), in three queries
    however many pairs: what a batch of reminders checks (patients/reminders.py)."""
    if not occasions:
        return set()
    assignment_ids = {assignment_id for assignment_id, _occasion in occasions}
    plans = {
        plan.assignment_id: plan
        for plan in OutcomePlan.objects.filter(assignment_id__in=assignment_ids)
        .select_related("assignment__patient")
        .prefetch_related("instruments")
    }
    due_on = {
        (assignment_id, occasion): occasion.astimezone(
            plans[assignment_id].assignment.patient.zone
        ).date()
        for assignment_id, occasion in occasions
        if assignment_id in plans
    }
    answered: dict[tuple[int, datetime.date], set[int]] = {}
    for assignment_id, day, instrument_id in OutcomeResponse.objects.filter(
        assignment_id__in=plans, due_on__in=set(due_on.values())
    ).values_list("assignment_id", "due_on", "instrument_id"):
        answered.setdefault((assignment_id, day), set()).add(instrument_id)
    return {
        (assignment_id, occasion)
        for assignment_id, occasion in occasions
        if assignment_id not in plans
        or {instrument.pk for instrument in plans[assignment_id].instruments.all()}
        <= answered.get((assignment_id, due_on[(assignment_id, occasion)]), set())
    }


def named_activities(*, assignment: Assignment, instrument: Instrument) -> list[str]:
    """The activities the patient named the first time they answered this patient-specific
    instrument in this program: asked again every time. Empty before that first time."""
    first = (
        OutcomeResponse.objects.filter(assignment=assignment, instrument=instrument)
        .order_by("due_on", "answered_at", "id")
        .first()
    )
    if first is None:
        return []
    return [answer.label for answer in first.answers.all()]


# --- Recording ------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    item: InstrumentItem
    value: int
    label: str = ""


def outcome_response_record(
    *,
    patient: Patient,
    due: DueQuestionnaire,
    answers: Sequence[Answer],
    now: datetime.datetime | None = None,
) -> OutcomeResponse:
    """Save one questionnaire's answers and its score, all or nothing. A second save of
    the same occasion raises AlreadyAnswered and saves nothing."""
    instrument = due.instrument
    if not answers:
        raise ValueError("a questionnaire needs its answers")
    for answer in answers:
        if answer.item.instrument_id != instrument.pk or answer.value not in (
            answer.item.allowed_values()
        ):
            raise ValueError(f"answer {answer.value} is not allowed for item {answer.item.pk}")
    score = instrument.score([answer.value for answer in answers])
    baseline = (
        OutcomeResponse.objects.filter(patient=patient, instrument=instrument)
        .order_by("due_on", "answered_at", "id")
        .values_list("score", flat=True)
        .first()
    )
    try:
        with transaction.atomic():
            response = OutcomeResponse.objects.create(
                patient=patient,
                assignment=due.assignment,
                instrument=instrument,
                due_on=due.due_on,
                answered_at=now or timezone.now(),
                score=score,
                change=""
                if baseline is None
                else instrument.change(baseline=baseline, score=score),
            )
            # One by one (five at most): each answer gets its entry in the audit trail.
            for position, answer in enumerate(answers, start=1):
                OutcomeAnswer.objects.create(
                    response=response,
                    item=answer.item,
                    position=position,
                    label=answer.label,
                    value=answer.value,
                )
    except IntegrityError as error:
        logger.info(
            "questionnaire %s of assignment %s (patient %s) for %s already answered: "
            "second submit saved nothing",
            instrument.slug,
            due.assignment.pk,
            patient.pk,
            due.due_on,
        )
        raise AlreadyAnswered from error
    return response


# --- Scores over time -----------------------------------------------------------------


@dataclass
class ScorePoint:
    response: OutcomeResponse
    score: Decimal
    change: Decimal | None  # from the baseline; None for the baseline itself
    status: str  # Instrument.Change: "improved", "worse" or ""


@dataclass
class ActivityRow:
    label: str
    values: list[int | None]
    change: str


@dataclass
class InstrumentSeries:
    instrument: Instrument
    points: list[ScorePoint] = field(default_factory=list)
    activities: list[ActivityRow] = field(default_factory=list)

    @property
    def baseline(self) -> Decimal:
        return self.points[0].score

    @property
    def latest(self) -> ScorePoint:
        return self.points[-1]


def _series(responses: Sequence[OutcomeResponse]) -> list[InstrumentSeries]:
    """Responses (in time order) grouped by instrument, each judged against the first."""
    by_instrument: dict[int, InstrumentSeries] = {}
    for response in responses:
        instrument = response.instrument
        series = by_instrument.setdefault(instrument.pk, InstrumentSeries(instrument=instrument))
        if not series.points:
            series.points.append(ScorePoint(response, response.score, None, ""))
            continue
        baseline = series.baseline
        series.points.append(
            ScorePoint(
                response,
                response.score,
                response.score - baseline,
                instrument.change(baseline=baseline, score=response.score),
            )
        )
    return list(by_instrument.values())


def _activity_rows(series: InstrumentSeries) -> list[ActivityRow]:
    instrument = series.instrument
    if not instrument.is_patient_specific:
        return []
    labels: list[str] = []
    table: dict[str, list[int | None]] = {}
    for index, point in enumerate(series.points):
        for answer in point.response.answers.all():
            if answer.label not in table:
                labels.append(answer.label)
                table[answer.label] = [None] * len(series.points)
            table[answer.label][index] = answer.value
    rows = []
    for label in labels:
        values = table[label]
        first = next((v for v in values if v is not None), None)
        last = values[-1]
        change = ""
        if first is not None and last is not None and len(series.points) > 1:
            change = instrument.change(
                baseline=Decimal(first), score=Decimal(last), mcid=instrument.item_mcid
            )
        rows.append(ActivityRow(label=label, values=values, change=change))
    return rows


def outcome_history(
    *, patient: Patient, since: datetime.date | None = None
) -> list[InstrumentSeries]:
    """Each instrument the patient answered, its scores over time against the first
    (the baseline), with a change marked once it reaches the MCID, and for a
    patient-specific one each activity's ratings. Two queries."""
    responses = rows_of_patient(
        "outcome history",
        patient,
        lambda ids: (
            OutcomeResponse.objects.filter(patient_id__in=ids)
            .select_related("instrument")
            .order_by("instrument__name", "due_on", "answered_at", "id")
        ),
    )
    attach_children(
        responses,
        "answers",
        instances_for_ids(
            "outcome history answers",
            [response.pk for response in responses],
            lambda ids: OutcomeAnswer.objects.filter(response_id__in=ids),
        ),
    )
    all_series = _series(responses)
    for series in all_series:
        series.activities = _activity_rows(series)
    return all_series


def outcome_changes(*, patient_ids: Iterable[int]) -> dict[int, set[str]]:
    """For each patient, the changes their latest scores show against their baselines
    ("improved", "worse"), per instrument. One query; used by the dashboard's filter."""
    responses = (
        OutcomeResponse.objects.filter(patient_id__in=list(patient_ids))
        .select_related("instrument")
        .order_by("patient_id", "instrument_id", "due_on", "answered_at", "id")
    )
    grouped: dict[int, list[OutcomeResponse]] = defaultdict(list)
    for response in responses:
        grouped[response.patient_id].append(response)
    changes: dict[int, set[str]] = {}
    for patient_id, rows in grouped.items():
        statuses = {series.latest.status for series in _series(rows)} - {""}
        if statuses:
            changes[patient_id] = statuses
    return changes


def outcome_change_filter(status: str) -> Exists:
    """Patients (as a filter on Patient) whose latest answer of some instrument is changed
    from its baseline by at least the MCID in the direction ``status`` ("improved" or
    "worse"): the dashboard's filter, one SQL condition."""
    later = OutcomeResponse.objects.filter(
        patient_id=OuterRef("patient_id"),
        instrument_id=OuterRef("instrument_id"),
        answered_at__gt=OuterRef("answered_at"),
    )
    return Exists(
        OutcomeResponse.objects.filter(patient_id=OuterRef("pk"), change=status).filter(
            ~Exists(later)
        )
    )
