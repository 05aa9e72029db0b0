"""The clinician's dashboard (who needs attention) and one patient's story over time.

The figures and their definitions (docs/clinical.md):

- **Adherence** is self-reported: sessions logged as *done* ÷ sessions prescribed over the
  seven complete days before today (today is still under way, so it would drag every
  figure down in the morning). A session is prescribed on each day an item's weekdays
  include, ``times_per_day`` times, while its assignment is active and within its dates;
  days before an assignment started or after it ended count for nothing. Skipped sessions
  are logged but not done: they do not count, as on the patient's own page
  (``logs.week_adherence``), and a session counts only on a day its item was due, so the
  figure never passes 100%. Paused and ended programs count for nothing (the database
  keeps no history of when a program was paused). Advice items (footwear, posture) are
  tips, not exercises: they are never prescribed as sessions nor counted.
- **Baseline** is the mean of the first three pain logs of the program (docs/clinical.md),
  not "the first week": a fixed number of logs makes patients comparable however often
  they log. Fewer than three logs: no baseline yet. It is
  computed in the database from the logs on every request (three index probes), so a
  late log or an undone one is always taken into account.
- **Current pain** is the mean of the scores recorded in the last seven days, today
  included; its change against the baseline is **clinically important** at ≥ 2 points or
  ≥ 30% of the baseline, worsening (pain up) and improving (pain down) alike.
- **Last activity** is the latest day with an exercise log (done or skipped) or a pain log.

The dashboard's "today" is the clinic's date (``timezone.localdate()``); patients' own
dates may differ by a day across time zones, which is fine for a list sorted by attention.
The alert evaluator (``alerts.alerts_evaluate``) uses each patient's own local date.

Every count and average comes from the database (subqueries and aggregates): a page of
the dashboard is a fixed number of queries whatever the number of patients and logs.
"""

from __future__ import annotations

import datetime
import operator
from dataclasses import dataclass, field
from functools import reduce

from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import (
    Alert,
    Assignment,
    AssignmentItem,
    ExerciseLog,
    PainLog,
    Patient,
    item_in_use_on,
)
from ..models.logs import pain_place
from .outcomes import outcome_change_filter

ADHERENCE_DAYS = 7
PAIN_AVERAGE_DAYS = 7
BASELINE_LOGS = 3
IMPORTANT_POINTS = 2.0
IMPORTANT_FRACTION = 0.30
INACTIVE_DAYS = 3
ENDING_WITHIN_DAYS = 7


class Show:
    """The dashboard's filters (``?show=``)."""

    ALL = ""
    ALERTS = "alerts"
    INACTIVE = "inactive"
    ENDING = "ending"
    OUTCOME_IMPROVED = "improved"
    OUTCOME_WORSE = "worse"

    CHOICES = [
        (ALL, _("All patients")),
        (ALERTS, _("With open alerts")),
        (INACTIVE, _("No activity for 3+ days")),
        (ENDING, _("Program ending within 7 days")),
        (OUTCOME_IMPROVED, _("Outcome improved")),
        (OUTCOME_WORSE, _("Outcome worse")),
    ]


# --- definitions shared with the alerts --------------------------------------------------


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


def _current_on(day: datetime.date, prefix: str) -> Q:
    return Q(
        **{
            f"{prefix}status": Assignment.Status.ACTIVE,
            f"{prefix}starts_on__lte": day,
        }
    ) & (Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": day}))


def _due_on(day: datetime.date, weekdays_field: str) -> GreaterThan:
    # Monday is bit 0 (programs.weekdays), as date.weekday().
    return GreaterThan(F(weekdays_field).bitand(1 << day.weekday()), 0)


def sessions_prescribed_expression(days: list[datetime.date], patient: str = "pk") -> Coalesce:
    """Sessions prescribed to the patient over ``days``: for each day, the times per day of
    every item due that day in an assignment active and current on it."""
    per_day = [
        Case(
            When(
                _current_on(day, "assignment__")
                & item_in_use_on(day)
                & Q(_due_on(day, "weekdays")),
                then=F("times_per_day"),
            ),
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
    due = reduce(
        operator.or_,
        [
            Q(performed_on=day)
            & _current_on(day, "assignment__")
            & item_in_use_on(day, "item__")
            & Q(_due_on(day, "item__weekdays"))
            for day in days
        ],
    )
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


def _open_alerts(patient: str = "pk") -> QuerySet[Alert]:
    return Alert.objects.filter(patient_id=OuterRef(patient), acknowledged_at__isnull=True)


def program_order(today: datetime.date) -> list:
    """Programs already started first, then the latest started."""
    started = Case(When(starts_on__lte=today, then=Value(0)), default=Value(1))
    return [started, "-starts_on", "-id"]


# --- the dashboard -----------------------------------------------------------------------


def dashboard_patients(
    *, clinician, today: datetime.date, query: str = "", show: str = Show.ALL
) -> QuerySet[Patient]:
    """The clinician's patients, filtered and sorted by who needs attention first: the
    highest open alert severity, then open red flags, then the longest without activity
    (never active counts from the day the patient was added), then name.

    Only the sort keys are computed here (index probes per patient), so paginating over
    thousands of patients stays cheap; ``dashboard_rows`` fills in one page.
    """
    open_alerts = _open_alerts()
    patients = (
        Patient.objects.for_clinician(clinician)
        # An alias is not selected: the sort key below is computed once per patient.
        .alias(last_activity_on=last_activity_expression())
        .annotate(
            top_severity=Coalesce(
                Subquery(open_alerts.order_by("-severity").values("severity")[:1]), Value(0)
            ),
            red_flags=Coalesce(
                Subquery(
                    open_alerts.filter(kind=Alert.Kind.RED_FLAG)
                    .order_by()
                    .values("patient_id")
                    .annotate(n=Count("id"))
                    .values("n")
                ),
                Value(0),
            ),
            active_since=Coalesce(F("last_activity_on"), TruncDate("created_at")),
        )
    )
    for term in query.split():
        patients = patients.filter(
            Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
            | Q(user__email__icontains=term)
        )
    if show == Show.ALERTS:
        patients = patients.filter(Exists(open_alerts))
    elif show == Show.INACTIVE:
        patients = patients.filter(
            Q(last_activity_on__isnull=True)
            | Q(last_activity_on__lte=today - datetime.timedelta(days=INACTIVE_DAYS))
        )
    elif show == Show.ENDING:
        patients = patients.filter(
            Exists(
                Assignment.objects.filter(
                    patient_id=OuterRef("pk"),
                    status=Assignment.Status.ACTIVE,
                    ends_on__range=(
                        today,
                        today + datetime.timedelta(days=ENDING_WITHIN_DAYS),
                    ),
                )
            )
        )
    elif show in (Show.OUTCOME_IMPROVED, Show.OUTCOME_WORSE):
        patients = patients.filter(outcome_change_filter(show))
    return patients.order_by(
        F("top_severity").desc(),
        F("red_flags").desc(),
        F("active_since").asc(),
        "user__last_name",
        "user__first_name",
        "pk",
    )


@dataclass
class DashboardRow:
    """One patient's line on the dashboard."""

    patient: Patient
    program: Assignment | None
    other_programs: int
    sessions_logged: int
    sessions_prescribed: int
    last_pain_score: int | None
    last_pain_at: datetime.datetime | None
    pain_average: float | None
    change: PainChange | None
    last_activity_on: datetime.date | None
    days_inactive: int | None
    open_alerts: int
    top_severity: int | None
    alert_kinds: list[tuple[str, str]] = field(default_factory=list)
    # Where the last pain was, with its side ("Back of calf, left"); "" when not given.
    last_pain_where: str = ""
    today: datetime.date | None = None
    done_today: int = 0
    done_yesterday: int = 0

    @property
    def days_so_far(self) -> int | None:
        """0 or 1 when the program started today or yesterday (too new for a week's
        adherence, but not "nothing prescribed"), else None."""
        if self.program is None or self.today is None:
            return None
        days = (self.today - self.program.starts_on).days
        return days if days in (0, 1) else None

    @property
    def sessions_so_far(self) -> int:
        """Sessions logged as done since a new program started (today, and yesterday)."""
        if self.days_so_far is None:
            return 0
        return self.done_today + (self.done_yesterday if self.days_so_far == 1 else 0)

    @property
    def starts_later(self) -> bool:
        return bool(self.program and self.today and self.program.starts_on > self.today)

    @property
    def adherence_percent(self) -> int | None:
        if not self.sessions_prescribed:
            return None
        return round(100 * self.sessions_logged / self.sessions_prescribed)

    @property
    def baseline(self) -> float | None:
        return getattr(self.program, "baseline", None)

    @property
    def top_severity_label(self) -> str:
        return Alert.Severity(self.top_severity).label if self.top_severity else ""

    @property
    def urgent(self) -> bool:
        return self.top_severity == Alert.Severity.URGENT

    @property
    def inactive(self) -> bool:
        return self.days_inactive is None or self.days_inactive >= INACTIVE_DAYS


def _count(logs: QuerySet[ExerciseLog]) -> Coalesce:
    counted = logs.values("patient_id").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _patient_figures(patients: QuerySet[Patient], today: datetime.date) -> QuerySet[Patient]:
    days = adherence_window(today)
    last_pain = PainLog.objects.filter(patient_id=OuterRef("pk")).order_by("-recorded_for", "-id")
    open_alerts = _open_alerts()
    done = ExerciseLog.objects.filter(
        patient_id=OuterRef("pk"), status=ExerciseLog.Status.DONE
    ).order_by()
    yesterday = today - datetime.timedelta(days=1)
    return patients.annotate(
        done_today=_count(done.filter(performed_on=today)),
        done_yesterday=_count(done.filter(performed_on=yesterday)),
        sessions_logged=sessions_logged_expression(days),
        sessions_prescribed=sessions_prescribed_expression(days),
        last_pain_score=Subquery(last_pain.values("score")[:1]),
        last_pain_at=Subquery(last_pain.values("recorded_for")[:1]),
        last_pain_region=Subquery(last_pain.values("region__name")[:1]),
        last_pain_region_other=Subquery(last_pain.values("region_other")[:1]),
        last_pain_side=Subquery(last_pain.values("side")[:1]),
        pain_average=pain_average_expression(since=pain_average_since(today)),
        last_activity_on=last_activity_expression(),
        open_alert_count=Coalesce(
            Subquery(
                open_alerts.order_by().values("patient_id").annotate(n=Count("id")).values("n")
            ),
            Value(0),
        ),
        top_severity=Subquery(open_alerts.order_by("-severity").values("severity")[:1]),
    )


def _last_pain_where(patient: Patient) -> str:
    return pain_place(
        region_name=patient.last_pain_region or "",
        region_other=patient.last_pain_region_other or "",
        side=patient.last_pain_side or "",
    )


def _open_programs(today: datetime.date) -> QuerySet[Assignment]:
    return (
        Assignment.objects.exclude(status=Assignment.Status.ENDED)
        .annotate(baseline=baseline_expression())
        .order_by(*program_order(today))
    )


def dashboard_rows(*, patient_ids: list[int], today: datetime.date) -> list[DashboardRow]:
    """The figures of the given patients, in the order of ``patient_ids``. Three queries:
    the patients with their figures, their open programs with baselines, and the kinds of
    their open alerts."""
    if not patient_ids:
        return []
    patients = (
        _patient_figures(Patient.objects.filter(pk__in=patient_ids), today)
        .select_related("user")
        .prefetch_related(
            Prefetch("assignments", queryset=_open_programs(today), to_attr="open_programs")
        )
    )
    kinds: dict[int, list[tuple[str, str]]] = {}
    for patient_id, kind, _severity in (
        Alert.objects.filter(patient_id__in=patient_ids, acknowledged_at__isnull=True)
        .values_list("patient_id", "kind", "severity")
        .order_by("patient_id", "-severity", "kind")
        .distinct()
    ):
        labels = kinds.setdefault(patient_id, [])
        if kind not in [k for k, _label in labels]:
            labels.append((kind, Alert.Kind(kind).label))
    by_id = {patient.pk: patient for patient in patients}
    rows = []
    for pk in patient_ids:
        patient = by_id.get(pk)
        if patient is None:  # removed between the two queries
            continue
        program = patient.open_programs[0] if patient.open_programs else None
        rows.append(
            DashboardRow(
                patient=patient,
                program=program,
                other_programs=max(len(patient.open_programs) - 1, 0),
                sessions_logged=patient.sessions_logged,
                sessions_prescribed=patient.sessions_prescribed,
                last_pain_score=patient.last_pain_score,
                last_pain_at=patient.last_pain_at,
                pain_average=patient.pain_average,
                change=pain_change(
                    baseline=getattr(program, "baseline", None), current=patient.pain_average
                ),
                last_activity_on=patient.last_activity_on,
                days_inactive=(today - patient.last_activity_on).days
                if patient.last_activity_on
                else None,
                open_alerts=patient.open_alert_count,
                top_severity=patient.top_severity,
                alert_kinds=kinds.get(pk, []),
                last_pain_where=_last_pain_where(patient),
                today=today,
                done_today=patient.done_today,
                done_yesterday=patient.done_yesterday,
            )
        )
    return rows
