"""The patient's own pages (/me/...): always the signed-in patient's own record."""

from __future__ import annotations

import datetime
import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from users.access import patient_required

from .. import charts
from ..access import (
    get_exercise_log_for_patient,
    get_item_for_patient,
    get_own_patient_record,
    own_patient_record,
)
from ..clinical import adherence_percent
from ..forms_me import (
    PAIN_CHOICES,
    PERIOD_LABELS,
    PERIODS,
    ExerciseFeedbackForm,
    ExerciseLogForm,
    HistoryPeriodForm,
)
from ..models import AssignmentItem, ExerciseLog, Patient
from ..outcome_charts import outcome_panels
from ..services import hold as hold_services
from ..services import logs as log_services
from ..services.logs import DayPlan
from ..services.outcomes import outcome_history, outcomes_due

logger = logging.getLogger(__name__)


def _patient(request: HttpRequest) -> Patient | None:
    return own_patient_record(request.user)


def _patient_or_404(request: HttpRequest) -> Patient:
    return get_own_patient_record(request.user)


def _day_page(
    request: HttpRequest,
    patient: Patient,
    *,
    late: bool,
    error_item: AssignmentItem | None = None,
    error_form: ExerciseLogForm | None = None,
) -> HttpResponse:
    """Today's page, or yesterday's (``late``) where missed sessions are added later."""
    today = patient.local_today()
    day = today - datetime.timedelta(days=1) if late else today
    if late:
        plan = log_services.exercise_day_plan(patient=patient, day=day)
        week_logged = week_prescribed = None
    else:
        page = log_services.exercise_today(patient=patient, day=day)
        plan, week_logged, week_prescribed = page.plan, page.week_logged, page.week_prescribed
    error_item_id = error_item.pk if error_item is not None else None
    return render(
        request,
        "patients/me/today.html",
        {
            "patient": patient,
            "day": day,
            "today": today,
            "late": late,
            "plan": plan,
            "week_logged": week_logged,
            "week_prescribed": week_prescribed,
            "week_percent": adherence_percent(week_logged, week_prescribed) if not late else None,
            "today_percent": round(100 * plan.sessions_done / plan.sessions_prescribed)
            if plan.sessions_prescribed
            else None,
            "error_item": error_item,
            "groups": _exercise_rows(plan, late=late, error_item_id=error_item_id),
            "day_iso": day.isoformat(),
            "error_form": error_form,
            "pain_choices": PAIN_CHOICES,
            "difficulty_choices": ExerciseLog.Difficulty.choices,
            "questionnaires_due": [] if late else outcomes_due(patient=patient, today=today),
            **_hold_context(patient),
        },
    )


def _exercise_rows(plan: DayPlan, *, late: bool, error_item_id: int | None) -> list[tuple]:
    """The plan's groups with, for each exercise, what its row shows
    (``patients.templatetags.today_rows.exercise_row``), worked out once here from the
    item's attributes and properties."""
    groups = []
    for assignment, planned_items in plan.groups:
        rows = []
        for planned in planned_items:
            item = planned.item
            logs = planned.logs
            last = logs[-1] if logs else None
            media = item.media
            picture = item.illustration_path
            words = item.dosage_words
            sessions = planned.sessions
            is_complete = planned.is_complete
            rows.append(
                {
                    "item": item,
                    "pk": item.pk,
                    "name": item.name,
                    "thumb": static(picture) if picture else "",
                    "alt": item.illustration_alt,
                    "is_own": item.is_own,
                    "dosage": f"{words} · {item.days_words}" if words else item.days_words,
                    "sessions": sessions,
                    "several": sessions > 1,
                    "done": planned.done,
                    "next_session": planned.next_session,
                    "is_complete": is_complete,
                    "change": item.get_change_display() if item.change else "",
                    "changed_on": item.changed_on,
                    "is_error": item.pk == error_item_id,
                    # How it went, asked after Done (not on yesterday's page).
                    "feedback_log": last
                    if last is not None
                    and not late
                    and last.status == ExerciseLog.Status.DONE
                    and not last.difficulty
                    and last.pain_during is None
                    else None,
                    "media": media if media is not None and (media.image or media.video) else None,
                    "show_instructions": not item.name_is_instructions,
                    "instructions": item.instructions,
                    "steps": item.steps,
                    "stop_if": item.stop_if,
                    "note": item.note,
                    "logs": logs,
                    "skip_or_undo": bool(logs) or not is_complete,
                }
            )
        groups.append((assignment, rows))
    return groups


def _hold_context(patient: Patient) -> dict:
    """What the hold's box (patients/snippets/hold_banner.html) needs: ``on_hold`` hides
    the Done and Skip controls; ``hold_resumed`` shows the notice after the hold ends."""
    on_hold = patient.exercises_on_hold
    return {
        "on_hold": on_hold,
        "hold_resumed": hold_services.resumed_recently(patient),
        "hold_emergency": bool(
            on_hold
            and patient.hold_alert
            and patient.hold_alert.pain_log
            and patient.hold_alert.pain_log.chest_symptoms
        ),
        **(hold_services.hold_contact(patient) if on_hold else {}),
    }


@patient_required
def today(request: HttpRequest) -> HttpResponse:
    """Today's exercises in the patient's time zone, what is done, and the week so far."""
    patient = _patient(request)
    if patient is None:
        return render(request, "patients/no_record.html")
    return _day_page(request, patient, late=False)


@patient_required
def yesterday(request: HttpRequest) -> HttpResponse:
    """Yesterday's exercises, to add what was done but not recorded (marked as late)."""
    patient = _patient(request)
    if patient is None:
        return render(request, "patients/no_record.html")
    return _day_page(request, patient, late=True)


def _page_for(patient: Patient, day: datetime.date | None) -> str:
    if day is not None and day == patient.local_today() - datetime.timedelta(days=1):
        return reverse("patients:yesterday")
    return reverse("patients:today")


def record_exercise_from_form(
    request: HttpRequest, *, patient: Patient, item: AssignmentItem, form: ExerciseLogForm
) -> ExerciseLog | None:
    """Record what ``form`` says about ``item`` (from Today or the guided session) and tell
    the patient; None when nothing was saved (the form then carries the reason)."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        log, created = log_services.exercise_log_record(
            patient=patient,
            item=item,
            day=data["day"],
            status=data["status"],
            difficulty=data["difficulty"],
            pain_during=data["pain_during"],
            skip_reason=data["skip_reason"],
            session=data["session"],
        )
    except ValidationError as error:
        logger.info(
            "exercise log refused for item %s (patient %s): %s",
            item.pk,
            patient.pk,
            "; ".join(error.messages),
        )
        form.add_error(None, error)
        return None
    if not created:
        messages.info(request, _("“%(name)s” was already recorded.") % {"name": item.name})
    elif log.status == ExerciseLog.Status.DONE:
        messages.success(request, _("Well done: “%(name)s” is recorded.") % {"name": item.name})
    else:
        messages.success(request, _("“%(name)s” is recorded as skipped.") % {"name": item.name})
    return log


@patient_required
@require_POST
def exercise_log(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a session of one of the patient's own exercises as done or skipped."""
    patient = _patient_or_404(request)
    item = get_item_for_patient(patient, pk)
    form = ExerciseLogForm(request.POST)
    log = record_exercise_from_form(request, patient=patient, item=item, form=form)
    if log is not None:
        return redirect(f"{_page_for(patient, log.performed_on)}#item-{item.pk}")
    # Nothing saved: the page the form came from, with the errors beside the exercise.
    late = form.cleaned_data.get("day") == patient.local_today() - datetime.timedelta(days=1)
    return _day_page(request, patient, late=late, error_item=item, error_form=form)


@patient_required
@require_POST
def exercise_log_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of the patient's own records made today."""
    patient = _patient_or_404(request)
    log = get_exercise_log_for_patient(patient, pk)
    try:
        log_services.exercise_log_undo(patient=patient, log=log)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Undone: “%(name)s”.") % {"name": log.item.name})
    return redirect(f"{_page_for(patient, log.performed_on)}#item-{log.item_id}")


@patient_required
@require_POST
def exercise_log_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """How a session the patient recorded as done today went (asked after Done)."""
    patient = _patient_or_404(request)
    log = get_exercise_log_for_patient(patient, pk)
    form = ExerciseFeedbackForm(request.POST)
    if form.is_valid():
        try:
            log_services.exercise_log_feedback(
                patient=patient,
                log=log,
                difficulty=form.cleaned_data["difficulty"],
                pain_during=form.cleaned_data["pain_during"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Thank you: noted for “%(name)s”.") % {"name": log.item.name}
            )
    else:
        logger.info("exercise feedback refused: invalid form for log %s", log.pk)
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(f"{_page_for(patient, log.performed_on)}#item-{log.item_id}")


@patient_required
def history(request: HttpRequest) -> HttpResponse:
    """Pain over time with the sessions done, as a chart and as a table."""
    patient = _patient(request)
    if patient is None:
        return render(request, "patients/no_record.html")
    period = HistoryPeriodForm(request.GET).period_key()
    data = log_services.patient_history(patient=patient, days=PERIODS[period])
    chart = charts.pain_chart(
        start=data.start, end=data.end, pain=data.pain, sessions=data.sessions
    )
    return render(
        request,
        "patients/me/history.html",
        {
            "patient": patient,
            "period": period,
            "periods": list(PERIOD_LABELS.items()),
            "history": data,
            "chart": chart,
            "outcome_panels": outcome_panels(outcome_history(patient=patient), zone=patient.zone),
        },
    )
