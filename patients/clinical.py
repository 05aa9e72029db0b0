"""The clinical definitions the dashboard, the alerts, the patient's story and the patient's
own pages share: one home for each (docs/clinical.md gives the figures and their sources).

- **The program current on a day** and **an exercise due on a day** are row rules, kept
  beside the rows: ``Assignment.objects.current_on(day)`` / ``Assignment.is_current_on`` and
  ``item_due_on`` / ``AssignmentItem.is_due_on`` (patients/models/assignment.py), on top of
  ``programs.weekdays.includes`` / ``included`` for the weekday itself.
- **Adherence** is self-reported: sessions logged as *done* ÷ sessions prescribed over a
  window of days. A session is prescribed on each day an exercise is due (above),
  ``times_per_day`` times; it counts as logged only when done on a day its exercise was
  due and up to its times per day, so the figure never passes 100%. Skipped sessions and
  advice (tips, never prescribed) count for nothing; paused and ended programs count for
  nothing (the database keeps no history of when a program was paused). The dashboard
  takes the seven complete days before today (``adherence_window``: today is still under
  way), the patient's own page Monday to today; both go through
  ``sessions_logged_expression`` / ``sessions_prescribed_expression`` (the patient's page
  through their in-memory twin, ``services.logs.adherence_in_memory``, held equal by
  tests/patients/test_clinical_definitions.py) and ``adherence_percent``.
- **Baseline**: the mean of the program's first three pain logs; none before three.
- **Current pain**: the mean of the scores of the last seven days, today included; its
  change against the baseline is **clinically important** at ≥ 2 points or ≥ 30% of the
  baseline, worsening and improving alike (``pain_change``).
- **Last activity**: the latest day with an exercise log (done or skipped) or a pain log.
  Kept on the patient row for the dashboard's order (``patients.attention``), computed
  here.
"""

from __future__ import annotations

import datetime
import operator
from dataclasses import dataclass
from functools import reduce

from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from .compiled import rows_for_ids
from .models import Alert, Assignment, AssignmentItem, ExerciseLog, PainLog, Patient, item_due_on

ADHERENCE_DAYS = 7
PAIN_AVERAGE_DAYS = 7
BASELINE_LOGS = 3
IMPORTANT_POINTS = 2.0
IMPORTANT_FRACTION = 0.30
INACTIVE_DAYS = 3
ENDING_WITHIN_DAYS = 7


@dataclass(frozen=True)
class PainChange:
    """Current pain against the baseline: points (signed, + is worse) and the fraction of
    the baseline (None when the baseline is 0)."""

    baseline: float
    current: float
    points: float
    fraction: float | None
    important: bool

    @property
    def worsening(self) -> bool:
        return self.points > 0

    @property
    def improving(self) -> bool:
        return self.points < 0

    @property
    def percent(self) -> int | None:
        return None if self.fraction is None else round(100 * self.fraction)


def pain_change(*, baseline: float | None, current: float | None) -> PainChange | None:
    """The change from ``baseline`` to ``current`` (0–10 scores), or None when either is
    unknown. Clinically important: ≥ 2 points or ≥ 30% of the baseline, either way."""
    if baseline is None or current is None:
        return None
    baseline, current = float(baseline), float(current)
    # Rounded so that 6.666… → 4.666… is 2 points, not 1.9999999.
    points = round(current - baseline, 6)
    fraction = round(points / baseline, 6) if baseline > 0 else None
    important = abs(points) >= IMPORTANT_POINTS or (
        fraction is not None and abs(fraction) >= IMPORTANT_FRACTION
    )
    return PainChange(baseline, current, points, fraction, important)


def baseline_expression(assignment: str = "pk") -> Cast:
    """The mean of the first three pain logs (by when the pain was) of the assignment named
    by ``assignment`` in the outer query; NULL until there are three. Three index probes
    (``patients_pain_baseline_idx``) rather than an average over a subquery with LIMIT."""
    logs = PainLog.objects.filter(assignment_id=OuterRef(assignment)).order_by("recorded_for", "id")
    scores = [Subquery(logs.values("score")[n : n + 1]) for n in range(BASELINE_LOGS)]
    # NULL + anything is NULL: no baseline until the third log.
    return Cast(reduce(operator.add, scores), FloatField()) / Value(float(BASELINE_LOGS))


def pain_average_expression(*, since: datetime.datetime, patient: str = "pk") -> Subquery:
    """The mean pain score of the patient (``patient`` in the outer query) since ``since``."""
    return Subquery(
        PainLog.objects.filter(patient_id=OuterRef(patient), recorded_for__gte=since)
        .order_by()
        .values("patient_id")
        .annotate(mean=Avg("score"))
        .values("mean"),
        output_field=FloatField(),
    )


def pain_average_since(today: datetime.date, zone=None) -> datetime.datetime:
    """The start of the seven-day pain window: midnight six days before ``today``."""
    start = today - datetime.timedelta(days=PAIN_AVERAGE_DAYS - 1)
    return datetime.datetime.combine(
        start, datetime.time.min, tzinfo=zone or timezone.get_current_timezone()
    )


def adherence_window(today: datetime.date) -> list[datetime.date]:
    """The seven complete days before ``today``, oldest first."""
    return [today - datetime.timedelta(days=n) for n in range(ADHERENCE_DAYS, 0, -1)]


def sessions_prescribed_expression(days: list[datetime.date], patient: str = "pk") -> Coalesce:
    """Sessions prescribed to the patient over ``days``: for each day, the times per day of
    every item due that day in an assignment active and current on it."""
    per_day = [
        Case(
            When(item_due_on(day), then=F("times_per_day")),
            default=Value(0),
            output_field=IntegerField(),
        )
        for day in days
    ]
    items = (
        AssignmentItem.objects.filter(
            assignment__patient_id=OuterRef(patient),
            is_advice=False,
            assignment__status=Assignment.Status.ACTIVE,
            assignment__starts_on__lte=days[-1],
        )
        .exclude(assignment__ends_on__lt=days[0])
        .order_by()
        .values("assignment__patient_id")
        .annotate(total=Sum(reduce(operator.add, per_day)))
        .values("total")
    )
    return Coalesce(Subquery(items, output_field=IntegerField()), Value(0))


def sessions_logged_expression(days: list[datetime.date], patient: str = "pk") -> Coalesce:
    """Sessions logged as done over ``days`` on a day their item was due, in an assignment
    active and current that day, and no more than the item's times per day."""
    due = reduce(operator.or_, [Q(performed_on=day) & item_due_on(day, "item__") for day in days])
    logs = (
        ExerciseLog.objects.filter(
            patient_id=OuterRef(patient),
            item__is_advice=False,
            status=ExerciseLog.Status.DONE,
            performed_on__range=(days[0], days[-1]),
            session__lte=F("item__times_per_day"),
        )
        .filter(due)
        .order_by()
        .values("patient_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(logs, output_field=IntegerField()), Value(0))


class LatestOf(Func):
    """The later of two values, ignoring NULLs (NULL only when both are): PostgreSQL's
    GREATEST, and SQLite's MAX over each value coalesced with the other (MAX(a, NULL) is
    NULL there)."""

    function = "GREATEST"
    arity = 2

    def as_sqlite(self, compiler, connection, **extra_context):
        first, second = self.get_source_expressions()
        return Func(
            Coalesce(first, second),
            Coalesce(second, first),
            function="MAX",
            output_field=self.output_field,
        ).as_sql(compiler, connection, **extra_context)


def last_activity_expression(patient: str = "pk", zone=None) -> LatestOf:
    """The latest day with an exercise log (done or skipped) or a pain log; NULL if none."""
    last_exercise = Subquery(
        ExerciseLog.objects.filter(patient_id=OuterRef(patient))
        .order_by("-performed_on")
        .values("performed_on")[:1]
    )
    last_pain = Subquery(
        PainLog.objects.filter(patient_id=OuterRef(patient))
        .order_by("-recorded_for")
        .annotate(day=TruncDate("recorded_for", tzinfo=zone))
        .values("day")[:1]
    )
    return LatestOf(last_exercise, last_pain, output_field=DateField())


def open_alerts(patient: str = "pk") -> QuerySet[Alert]:
    return Alert.objects.filter(patient_id=OuterRef(patient), acknowledged_at__isnull=True)


def program_order(today: datetime.date) -> list:
    """Programs already started first, then the latest started."""
    started = Case(When(starts_on__lte=today, then=Value(0)), default=Value(1))
    return [started, "-starts_on", "-id"]


def adherence_percent(logged: int, prescribed: int) -> int | None:
    """Sessions logged ÷ prescribed as a whole percentage; None when nothing was prescribed."""
    if not prescribed:
        return None
    return round(100 * logged / prescribed)


def adherence(*, patient: Patient, days: list[datetime.date]) -> tuple[int, int]:
    """(sessions logged, sessions prescribed) of ``patient`` over ``days`` (oldest first):
    the dashboard's expressions for one patient, one query, its SQL compiled once per
    window of days (``patients.compiled``: building it cost more than running it)."""

    def build(ids: list[int]) -> QuerySet:
        return (
            Patient.objects.filter(pk__in=ids)
            .annotate(
                logged=sessions_logged_expression(days),
                prescribed=sessions_prescribed_expression(days),
            )
            .order_by()
            .values_list("logged", "prescribed")
        )

    rows = rows_for_ids(("adherence", tuple(days)), [patient.pk], build)
    return rows[0] if rows else (0, 0)
