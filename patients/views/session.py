"""The guided session (/me/session/...): today's exercises one at a time.

Without JavaScript it is a plain sequence of pages: each exercise's page records Done or
Skip through the same service as Today and moves on to the next exercise, then to a
summary. static/js/session.js adds the follow-along timer.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from users.access import patient_required

from ..access import get_item_for_patient
from ..forms_me import PAIN_CHOICES, ExerciseLogForm
from ..models import ExerciseLog
from ..services import session as session_services
from .me import _patient, _patient_or_404, record_exercise_from_form

logger = logging.getLogger(__name__)


def _next_url(exercises, after_item_id: int | None) -> str:
    following = session_services.session_next(exercises=exercises, after_item_id=after_item_id)
    if following is None:
        return reverse("patients:session_summary")
    return reverse("patients:session_step", args=[following.item.pk])


@patient_required
def session_start(request: HttpRequest) -> HttpResponse:
    """The first of today's exercises still to do, or the summary when none is."""
    patient = _patient(request)
    if patient is None:
        return render(request, "patients/no_record.html")
    exercises = session_services.session_exercises(patient=patient, day=patient.local_today())
    return redirect(_next_url(exercises, None))


@patient_required
def session_step(request: HttpRequest, pk: int) -> HttpResponse:
    """One exercise: picture, steps, dosage and timer; Done (with how it went) or Skip."""
    patient = _patient_or_404(request)
    item = get_item_for_patient(patient, pk)
    day = patient.local_today()
    exercises = session_services.session_exercises(patient=patient, day=day)
    planned = next((p for p in exercises if p.item.pk == item.pk), None)
    form = None
    if request.method == "POST":
        form = ExerciseLogForm(request.POST)
        if record_exercise_from_form(request, patient=patient, item=item, form=form):
            # The plan now includes this log: move on to the next exercise still open.
            exercises = session_services.session_exercises(patient=patient, day=day)
            return redirect(_next_url(exercises, item.pk))
    position = exercises.index(planned) + 1 if planned else None
    status = 400 if form is not None and form.errors else 200
    return render(
        request,
        "patients/me/session_step.html",
        {
            "patient": patient,
            "day": day,
            "planned": planned,
            "item": item,
            "position": position,
            "total": len(exercises),
            "form": form,
            "next_url": _next_url(exercises, item.pk),
            "pain_choices": PAIN_CHOICES,
            "difficulty_choices": ExerciseLog.Difficulty.choices,
        },
        status=status,
    )


@patient_required
def session_summary(request: HttpRequest) -> HttpResponse:
    """What was done and skipped today, and what is still open."""
    patient = _patient(request)
    if patient is None:
        return render(request, "patients/no_record.html")
    exercises = session_services.session_exercises(patient=patient, day=patient.local_today())
    return render(
        request,
        "patients/me/session_summary.html",
        {
            "patient": patient,
            "exercises": exercises,
            "done": sum(1 for p in exercises if p.done),
            "open": [p for p in exercises if not p.is_complete],
        },
    )
