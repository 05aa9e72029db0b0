"""One patient's story for their clinician: figures, per-exercise feedback, program
changes on the pain chart."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .. import charts
from ..clinical import (
    adherence_window,
    baseline_expression,
    pain_average_expression,
    pain_average_since,
    program_order,
    sessions_logged_expression,
    sessions_prescribed_expression,
)
from ..compiled import attach_children, instances_for_ids, rows_for_ids, rows_of_patient
from ..html import html_format, html_join
from ..models import (
    Alert,
    Assignment,
    AssignmentItem,
    Delivery,
    ExerciseLog,
    PainLog,
    Patient,
    ReminderSchedule,
)
from ..models.logs import pain_place
from . import logs as log_services
from .dashboard import DashboardRow, alert_kind_labels

DELIVERIES_SHOWN = 20
RECENT_LOGS_SHOWN = 20
ACKNOWLEDGED_ALERTS_SHOWN = 50


# --- one patient's story -------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFeedback:
    """What the patient said about one assigned exercise."""

    item: AssignmentItem
    done: int
    skipped: int
    too_easy: int
    about_right: int
    too_hard: int
    pain_during: float | None


@dataclass
class Story:
    """The patient's page besides the chart. Rows with choices carry their labels
    (``kind_label``...: ``_with_labels``): the programs' schedules (kind, channel) and
    items (change), the alerts (kind, severity), the deliveries (kind, channel, status)
    and the pain logs (timing)."""

    row: DashboardRow
    assignments: list[Assignment]  # each with ``baseline`` and ``feedback`` (ItemFeedback)
    deliveries: list[Delivery]
    open_alerts: list[Alert]
    acknowledged_alerts: list[Alert]
    recent_pain: list[PainLog]
    recent_skips: list[ExerciseLog]


def _items_with_feedback() -> QuerySet[AssignmentItem]:
    """Each item with what the patient reported on it, over all its sessions."""

    def count(**conditions) -> Count:
        return Count("logs", filter=Q(**{f"logs__{k}": v for k, v in conditions.items()}))

    done = ExerciseLog.Status.DONE
    return AssignmentItem.objects.annotate(
        done_count=count(status=done),
        skipped_count=count(status=ExerciseLog.Status.SKIPPED),
        too_easy_count=count(difficulty=ExerciseLog.Difficulty.TOO_EASY),
        about_right_count=count(difficulty=ExerciseLog.Difficulty.ABOUT_RIGHT),
        too_hard_count=count(difficulty=ExerciseLog.Difficulty.TOO_HARD),
        pain_during_sum=Sum("logs__pain_during"),
        pain_during_count=Count("logs__pain_during"),
    ).order_by("order", "id")


def _programs_query(today: datetime.date) -> QuerySet[Assignment]:
    """Programs with their baselines in the dashboard's order on ``today``, for any
    patient (filtered by patient on use)."""
    return Assignment.objects.annotate(baseline=baseline_expression()).order_by(
        *program_order(today)
    )


def _done_on(day: datetime.date) -> Coalesce:
    """Sessions the patient (the outer query's row) logged as done on ``day``."""
    done = (
        ExerciseLog.objects.filter(
            patient_id=OuterRef("pk"), status=ExerciseLog.Status.DONE, performed_on=day
        )
        .order_by()
        .values("patient_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(done, output_field=IntegerField()), Value(0))


FIGURES = (
    "done_today",
    "done_yesterday",
    "sessions_logged",
    "sessions_prescribed",
    "pain_average",
    "attention_severity",
    "last_activity_on",
)


def _figures(*, patient: Patient, today: datetime.date) -> tuple:
    """The summary's figures of the patient on ``today`` (the dashboard's definitions,
    ``patients.clinical``), in the order of ``FIGURES``: one query, compiled once per day
    and time zone (``patients.compiled``: building it cost more than running it)."""

    def build(ids: list[int]) -> QuerySet[Patient]:
        days = adherence_window(today)
        return (
            Patient.objects.filter(pk__in=ids)
            .annotate(
                done_today=_done_on(today),
                done_yesterday=_done_on(today - datetime.timedelta(days=1)),
                sessions_logged=sessions_logged_expression(days),
                sessions_prescribed=sessions_prescribed_expression(days),
                pain_average=pain_average_expression(since=pain_average_since(today)),
            )
            .order_by()
            .values_list(*FIGURES)
        )

    key = ("story figures", today, timezone.get_current_timezone_name())
    [figures] = rows_for_ids(key, [patient.pk], build)
    return figures


def _summary_row(
    *,
    patient: Patient,
    today: datetime.date,
    assignments: list[Assignment],
    open_alerts: list[Alert],
    recent_pain: list[PainLog],
) -> DashboardRow:
    """The patient's dashboard row (``dashboard.dashboard_rows``), from what the story has
    already read (its programs with their baselines, open alerts and latest pain logs)
    and one query for the rest. tests/patients/test_patient_story.py proves it equal to
    the dashboard's."""
    (
        done_today,
        done_yesterday,
        sessions_logged,
        sessions_prescribed,
        pain_average,
        attention_severity,
        last_activity_on,
    ) = _figures(patient=patient, today=today)
    # The story's programs are in the dashboard's order (``program_order``).
    open_programs = [a for a in assignments if a.status != Assignment.Status.ENDED]
    program = open_programs[0] if open_programs else None
    # The latest pain log: the story's pain logs are latest first, like the dashboard's.
    last_pain = recent_pain[0] if recent_pain else None
    return DashboardRow(
        patient=patient,
        program=program,
        other_programs=max(len(open_programs) - 1, 0),
        sessions_logged=sessions_logged,
        sessions_prescribed=sessions_prescribed,
        last_pain_score=last_pain.score if last_pain else None,
        last_pain_at=last_pain.recorded_for if last_pain else None,
        pain_average=pain_average,
        last_activity_on=last_activity_on,
        open_alerts=len(open_alerts),
        top_severity=attention_severity or None,
        alert_kinds=alert_kind_labels((alert.kind, alert.severity) for alert in open_alerts),
        last_pain_where=pain_place(
            region_name=last_pain.region.name if last_pain.region_id else "",
            region_other=last_pain.region_other or "",
            side=last_pain.side or "",
        )
        if last_pain
        else "",
        today=today,
        done_today=done_today,
        done_yesterday=done_yesterday,
    )


def _alerts(patient: Patient) -> tuple[list[Alert], list[Alert]]:
    """The patient's open alerts, most severe first then latest, and the latest
    ``ACKNOWLEDGED_ALERTS_SHOWN`` acknowledged ones, latest acknowledged first: one query."""

    def shown(ids: list[int]) -> QuerySet[Alert]:
        acknowledged = Alert.objects.filter(
            patient_id__in=ids, acknowledged_at__isnull=False
        ).order_by("-acknowledged_at", "-id")[:ACKNOWLEDGED_ALERTS_SHOWN]
        return Alert.objects.filter(
            Q(acknowledged_at__isnull=True) | Q(pk__in=acknowledged.values("pk")),
            patient_id__in=ids,
        ).select_related("acknowledged_by", "pain_log")

    alerts = rows_of_patient("story alerts", patient, shown)
    open_alerts = sorted(
        (alert for alert in alerts if alert.acknowledged_at is None),
        key=lambda alert: (alert.severity, alert.created_at, alert.pk),
        reverse=True,
    )
    acknowledged_alerts = sorted(
        (alert for alert in alerts if alert.acknowledged_at is not None),
        key=lambda alert: (alert.acknowledged_at, alert.pk),
        reverse=True,
    )
    return open_alerts, acknowledged_alerts


def _with_labels(rows: Iterable[models.Model], *fields: str) -> None:
    """Sets ``<field>_label`` on each row, what ``get_<field>_display()`` gives, with the
    field's choices translated once per page: ``get_<field>_display()`` translates every
    choice of the field at each call, which on a long history is most of the page."""
    rows = list(rows)
    if not rows:
        return
    meta = rows[0]._meta
    for name in fields:
        field = meta.get_field(name)
        words = {value: str(label) for value, label in field.flatchoices}
        for row in rows:
            value = getattr(row, field.attname)
            setattr(row, f"{name}_label", words.get(value, value))


def patient_story(*, patient: Patient, today: datetime.date) -> Story:
    """Everything the patient page shows besides the chart, in a fixed number of queries
    whatever the number of logs, deliveries and alerts. The summary is the dashboard's
    row, built from the programs, alerts and pain logs read here (no second reading)."""
    # Compiled once per day (``patients.compiled``): the page is read many times a day.
    assignments = rows_of_patient(
        ("story programs", today),
        patient,
        lambda ids: _programs_query(today).filter(patient_id__in=ids),
    )
    program_ids = [assignment.pk for assignment in assignments]
    attach_children(
        assignments,
        "items",
        instances_for_ids(
            "story items",
            program_ids,
            lambda ids: _items_with_feedback().filter(assignment_id__in=ids),
        ),
    )
    attach_children(
        assignments,
        "reminder_schedules",
        instances_for_ids(
            "story schedules",
            program_ids,
            lambda ids: ReminderSchedule.objects.filter(assignment_id__in=ids),
        ),
    )
    _with_labels(
        (schedule for a in assignments for schedule in a.reminder_schedules.all()),
        "kind",
        "channel",
    )
    _with_labels((item for a in assignments for item in a.items.all()), "change")
    for assignment in assignments:
        assignment.feedback = [
            ItemFeedback(
                item=item,
                done=item.done_count,
                skipped=item.skipped_count,
                too_easy=item.too_easy_count,
                about_right=item.about_right_count,
                too_hard=item.too_hard_count,
                pain_during=item.pain_during_sum / item.pain_during_count
                if item.pain_during_count
                else None,
            )
            for item in assignment.items.all()
            if not item.is_advice  # a tip has no sessions to report on
        ]
    open_alerts, acknowledged_alerts = _alerts(patient)
    _with_labels([*open_alerts, *acknowledged_alerts], "kind", "severity")
    recent_pain = rows_of_patient(
        "story pain logs",
        patient,
        lambda ids: (
            PainLog.objects.filter(patient_id__in=ids)
            .select_related("region")
            .order_by("-recorded_for", "-id")[:RECENT_LOGS_SHOWN]
        ),
    )
    _with_labels(recent_pain, "timing")
    deliveries = rows_of_patient(
        "story deliveries",
        patient,
        lambda ids: (
            Delivery.objects.filter(patient_id__in=ids)
            .select_related("schedule__assignment")
            .order_by("-occurrence", "-id")[:DELIVERIES_SHOWN]
        ),
    )
    _with_labels(deliveries, "kind", "channel", "status")
    return Story(
        row=_summary_row(
            patient=patient,
            today=today,
            assignments=assignments,
            open_alerts=open_alerts,
            recent_pain=recent_pain,
        ),
        assignments=assignments,
        deliveries=deliveries,
        open_alerts=open_alerts,
        acknowledged_alerts=acknowledged_alerts,
        recent_pain=recent_pain,
        recent_skips=rows_of_patient(
            "story skips",
            patient,
            lambda ids: (
                ExerciseLog.objects.filter(patient_id__in=ids, status=ExerciseLog.Status.SKIPPED)
                .select_related("item")
                .order_by("-performed_on", "-logged_at")[:10]
            ),
        ),
    )


# --- program changes on the chart ------------------------------------------------------------


@dataclass(frozen=True)
class ProgramEvent:
    """A program change marked on the pain chart."""

    day: datetime.date
    kind: str  # "start", "end", "pause"
    title: str

    @property
    def label(self) -> str:
        labels = {
            "start": _("Program started: %(title)s"),
            "end": _("Program ended: %(title)s"),
            "pause": _("Program paused: %(title)s"),
        }
        return str(labels[self.kind]) % {"title": self.title}


def program_events(*, assignments: list[Assignment], today: datetime.date) -> list[ProgramEvent]:
    """Starts, ends and pauses of the patient's programs up to today, in date order.

    A pause is dated by the assignment's last change (the database keeps no pause
    history); an end by its end date, or its last change when ended early.
    """
    events = []
    for assignment in assignments:
        title = assignment.title
        if assignment.starts_on <= today:
            events.append(ProgramEvent(assignment.starts_on, "start", title))
        changed_on = timezone.localdate(assignment.updated_at)
        if assignment.status == Assignment.Status.ENDED:
            ended = assignment.ends_on if assignment.ends_on else changed_on
            events.append(ProgramEvent(min(ended, changed_on, today), "end", title))
        elif assignment.ends_on and assignment.ends_on < today:
            events.append(ProgramEvent(assignment.ends_on, "end", title))
        if assignment.status == Assignment.Status.PAUSED:
            events.append(ProgramEvent(min(changed_on, today), "pause", title))
    return sorted(events, key=lambda e: (e.day, e.kind))


EVENT_COLOUR = "#6f42c1"
EVENT_SYMBOLS = {"start": "▶", "end": "■", "pause": "‖"}


@dataclass(frozen=True)
class StoryChart:
    """The patient's pain chart (patients.charts, as on /me/history/) with the program
    changes drawn over it, and the changes it shows (listed beside it in words)."""

    chart: charts.Chart
    svg: SafeString
    events: list[ProgramEvent]


def story_chart(*, patient: Patient, days: int, events: list[ProgramEvent]) -> StoryChart:
    """Pain scores and sessions done over the last ``days`` days (two queries), with a
    dashed line at each program start, end and pause."""
    history = log_services.patient_history(patient=patient, days=days)
    chart = charts.pain_chart(
        start=history.start, end=history.end, pain=history.pain, sessions=history.sessions
    )
    shown = [event for event in events if chart.start <= event.day <= chart.end]
    return StoryChart(chart=chart, svg=_with_events(chart, shown), events=shown)


def _with_events(chart: charts.Chart, events: list[ProgramEvent]) -> SafeString:
    svg = str(chart.svg)
    if not events or not svg.endswith("</svg>"):
        return chart.svg
    span = charts.day_count(chart.start, chart.end)
    markers = html_join(
        "",
        '<g class="program-event"><title>{}</title>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1.5" '
        'stroke-dasharray="4 3"/>'
        '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="{}">{}</text></g>',
        (
            (
                event.label,
                x,
                charts.PAIN_TOP,
                x,
                charts.BARS_BOTTOM,
                EVENT_COLOUR,
                x,
                charts.PAIN_TOP - 4,
                EVENT_COLOUR,
                EVENT_SYMBOLS[event.kind],
            )
            for event in events
            for x in [f"{charts.x_position(event.day, start=chart.start, days=span):.1f}"]
        ),
    )
    return html_format("{}{}</svg>", SafeString(svg[: -len("</svg>")]), markers)
