"""The clinician's dashboard: who needs attention first, and each patient's line.

The figures (adherence, baseline, current pain and its clinically important change, last
activity) are defined once in ``patients.clinical`` (docs/clinical.md), shared with the
alerts, the patient's story and the patient's own pages. The order is kept on the patient
row (``services.attention``): page 1 is an index scan, whatever the number of patients.

The dashboard's "today" is the clinic's date (``timezone.localdate()``); patients' own
dates may differ by a day across time zones, which is fine for a list sorted by attention.
The alert evaluator (``alerts.alerts_evaluate``) uses each patient's own local date.

Every count and average of a page comes from the database (subqueries and aggregates): a
page of the dashboard is a fixed number of queries whatever the number of patients and logs.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..clinical import (
    ENDING_WITHIN_DAYS,
    INACTIVE_DAYS,
    PainChange,
    adherence_percent,
    adherence_window,
    baseline_expression,
    open_alerts,
    pain_average_expression,
    pain_average_since,
    pain_change,
    program_order,
    sessions_logged_expression,
    sessions_prescribed_expression,
)
from ..compiled import instances_for_ids, rows_for_ids
from ..models import Alert, Assignment, ExerciseLog, PainLog, Patient
from ..models.logs import pain_place
from .outcomes import outcome_change_filter

__all__ = ["PainChange", "pain_change"]  # re-exported: the dashboard's rows carry them


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


# --- the dashboard -----------------------------------------------------------------------


def dashboard_patients(
    *, clinician, today: datetime.date, query: str = "", show: str = Show.ALL
) -> QuerySet[Patient]:
    """The clinician's patients, filtered and sorted by who needs attention first: the
    highest open alert severity, then open red flags, then the longest without activity
    (never active counts from the day the patient was added), then the order they were
    added. The order is read from the figures kept on the patient (``services.attention``)
    through ``patients_attention_idx``; ``dashboard_rows`` fills in one page."""
    patients = Patient.objects.for_clinician(clinician)
    for term in query.split():
        patients = patients.filter(
            Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
            | Q(user__email__icontains=term)
        )
    if show == Show.ALERTS:
        patients = patients.filter(attention_severity__gt=0)
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
    return patients.order_by("-attention_severity", "-attention_red_flags", "active_since", "pk")


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
    last_activity_on: datetime.date | None
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
        return adherence_percent(self.sessions_logged, self.sessions_prescribed)

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
    def change(self) -> PainChange | None:
        """The 7-day average against the program's baseline (``clinical.pain_change``)."""
        return pain_change(baseline=self.baseline, current=self.pain_average)

    @property
    def days_inactive(self) -> int | None:
        """Days since the last activity; None when nothing was ever logged."""
        if self.last_activity_on is None or self.today is None:
            return None
        return (self.today - self.last_activity_on).days

    @property
    def inactive(self) -> bool:
        return self.days_inactive is None or self.days_inactive >= INACTIVE_DAYS


def _count(logs: QuerySet[ExerciseLog]) -> Coalesce:
    counted = logs.values("patient_id").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _patient_figures(patients: QuerySet[Patient], today: datetime.date) -> QuerySet[Patient]:
    days = adherence_window(today)
    last_pain = PainLog.objects.filter(patient_id=OuterRef("pk")).order_by("-recorded_for", "-id")
    alerts = open_alerts()
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
        open_alert_count=Coalesce(
            Subquery(alerts.order_by().values("patient_id").annotate(n=Count("id")).values("n")),
            Value(0),
        ),
    )


def _last_pain_where(figures: _Figures) -> str:
    return pain_place(
        region_name=figures.last_pain_region or "",
        region_other=figures.last_pain_region_other or "",
        side=figures.last_pain_side or "",
    )


def _open_programs(today: datetime.date) -> QuerySet[Assignment]:
    return (
        Assignment.objects.exclude(status=Assignment.Status.ENDED)
        .annotate(baseline=baseline_expression())
        .order_by(*program_order(today))
    )


def alert_kind_labels(kinds: Iterable[tuple[str, int]]) -> list[tuple[str, str]]:
    """The kinds of a patient's open alerts from their (kind, severity) pairs: each kind
    once, with its label, the most severe first, then by kind."""
    labels: dict[str, str] = {}
    for kind, _severity in sorted(set(kinds), key=lambda pair: (-pair[1], pair[0])):
        labels.setdefault(kind, str(Alert.Kind(kind).label))
    return list(labels.items())


FIGURES = (
    "done_today",
    "done_yesterday",
    "sessions_logged",
    "sessions_prescribed",
    "last_pain_score",
    "last_pain_at",
    "last_pain_region",
    "last_pain_region_other",
    "last_pain_side",
    "pain_average",
    "open_alert_count",
)


@dataclass(frozen=True)
class _Figures:
    done_today: int
    done_yesterday: int
    sessions_logged: int
    sessions_prescribed: int
    last_pain_score: int | None
    last_pain_at: datetime.datetime | None
    last_pain_region: str | None
    last_pain_region_other: str | None
    last_pain_side: str | None
    pain_average: float | None
    open_alert_count: int


def patient_figures(*, patient_ids: list[int], today: datetime.date) -> dict[int, _Figures]:
    """Each patient's row figures, by id: one query, compiled once per day, time zone and
    number of patients (``patients.compiled``)."""

    def build(ids: list[int]) -> QuerySet:
        return _patient_figures(Patient.objects.filter(pk__in=ids), today).values_list(
            "pk", *FIGURES
        )

    key = ("dashboard figures", today, timezone.get_current_timezone_name())
    return {pk: _Figures(*figures) for pk, *figures in rows_for_ids(key, patient_ids, build)}


def dashboard_rows(*, patient_ids: list[int], today: datetime.date) -> list[DashboardRow]:
    """The figures of the given patients, in the order of ``patient_ids``. Four queries:
    the patients' figures, the patients with their open programs and baselines, and the
    kinds of their open alerts."""
    if not patient_ids:
        return []
    figures = patient_figures(patient_ids=patient_ids, today=today)

    # The other three are compiled once too (``patients.compiled``): the page asks them
    # at every visit, and Django took longer to build them than PostgreSQL to answer.
    def with_user(ids: list[int]) -> QuerySet[Patient]:
        return Patient.objects.filter(pk__in=ids).select_related("user")

    def open_programs(ids: list[int]) -> QuerySet[Assignment]:
        return _open_programs(today).filter(patient_id__in=ids)

    def open_alert_kinds(ids: list[int]) -> QuerySet:
        return (
            Alert.objects.filter(patient_id__in=ids, acknowledged_at__isnull=True)
            .values_list("patient_id", "kind", "severity")
            .order_by()
            .distinct()
        )

    patients = instances_for_ids("dashboard patients", patient_ids, with_user)
    programs: dict[int, list[Assignment]] = {patient.pk: [] for patient in patients}
    for program in instances_for_ids(("open programs", today), patient_ids, open_programs):
        programs.setdefault(program.patient_id, []).append(program)
    for patient in patients:
        # As prefetch_related(to_attr="open_programs") would leave them.
        patient.open_programs = programs[patient.pk]
        for program in patient.open_programs:
            program.patient = patient
    pairs: dict[int, list[tuple[str, int]]] = {}
    for patient_id, kind, severity in rows_for_ids(
        "open alert kinds", patient_ids, open_alert_kinds
    ):
        pairs.setdefault(patient_id, []).append((kind, severity))
    by_id = {patient.pk: patient for patient in patients}
    rows = []
    for pk in patient_ids:
        patient, figure = by_id.get(pk), figures.get(pk)
        if patient is None or figure is None:  # removed between the queries
            continue
        program = patient.open_programs[0] if patient.open_programs else None
        rows.append(
            DashboardRow(
                patient=patient,
                program=program,
                other_programs=max(len(patient.open_programs) - 1, 0),
                sessions_logged=figure.sessions_logged,
                sessions_prescribed=figure.sessions_prescribed,
                last_pain_score=figure.last_pain_score,
                last_pain_at=figure.last_pain_at,
                pain_average=figure.pain_average,
                last_activity_on=patient.last_activity_on,
                open_alerts=figure.open_alert_count,
                top_severity=patient.attention_severity or None,
                alert_kinds=alert_kind_labels(pairs.get(pk, [])),
                last_pain_where=_last_pain_where(figure),
                today=today,
                done_today=figure.done_today,
                done_yesterday=figure.done_yesterday,
            )
        )
    return rows
