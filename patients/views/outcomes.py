"""Outcome measures: the clinician sets an assignment's questionnaires; the patient answers
what is due (/me/questionnaires/), from the reminder's link or the card on /me/."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from users.access import clinician_required, patient_required

from ..access import get_assignment_for_clinician, own_patient_record
from ..forms_outcomes import OutcomePlanForm, QuestionnaireForm
from ..models import OutcomePlan
from ..services import outcomes as outcome_services

logger = logging.getLogger(__name__)


@clinician_required
@require_http_methods(["GET", "POST"])
def assignment_outcomes(request: HttpRequest, pk: int) -> HttpResponse:
    """Which questionnaires this assignment asks, and when."""
    assignment = get_assignment_for_clinician(request.user, pk)
    plan = OutcomePlan.objects.filter(assignment=assignment).first()
    # Before the form: a bound ModelForm writes what was typed onto its instance.
    occasions = plan.occasions() if plan else []
    form = OutcomePlanForm(
        request.POST or None, instance=plan or OutcomePlan(assignment=assignment)
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            saved = outcome_services.outcome_plan_save(
                assignment=assignment,
                instruments=data["instruments"],
                at_start=data["at_start"],
                every_weeks=data["every_weeks"],
                at_end=data["at_end"],
                local_time=data["local_time"],
            )
            messages.success(
                request,
                _("The questionnaires were saved.")
                if saved
                else _("No questionnaires are asked in this program."),
            )
            return redirect(assignment)
        logger.info(
            "outcome plan of assignment %s (patient %s) refused: %s",
            assignment.pk,
            assignment.patient_id,
            list(form.errors),
        )
    return render(
        request,
        "patients/assignment_outcomes.html",
        {
            "form": form,
            "assignment": assignment,
            "patient": assignment.patient,
            "occasions": occasions,
        },
    )


@patient_required
def questionnaires(request: HttpRequest) -> HttpResponse:
    """The questionnaires due now: the reminder's link lands here."""
    patient = own_patient_record(request.user)
    if patient is None:
        return render(request, "patients/no_record.html")
    due = outcome_services.outcomes_due(patient=patient)
    return render(request, "patients/me/questionnaires.html", {"patient": patient, "due": due})


@patient_required
@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, assignment_pk: int, slug: str) -> HttpResponse:
    """One questionnaire due now. Answered (or not due, or not this patient's): a 404 or
    a message, never a second save."""
    patient = own_patient_record(request.user)
    if patient is None:
        raise Http404
    due = outcome_services.outcome_due_for(patient=patient, assignment_id=assignment_pk, slug=slug)
    if due is None:
        if not patient.assignments.filter(pk=assignment_pk).exists():
            raise Http404
        messages.info(request, _("This questionnaire is not due now, or you have answered it."))
        return redirect("patients:history")
    activities = outcome_services.named_activities(
        assignment=due.assignment, instrument=due.instrument
    )
    form = QuestionnaireForm(request.POST or None, instrument=due.instrument, activities=activities)
    if request.method == "POST":
        if form.is_valid():
            try:
                response = outcome_services.outcome_response_record(
                    patient=patient, due=due, answers=form.answers()
                )
            except outcome_services.AlreadyAnswered:
                messages.info(request, _("Your answers were already saved."))
                return redirect("patients:history")
            messages.success(
                request,
                _("Thank you. Your %(name)s score is %(score)s.")
                % {"name": due.instrument.short_name, "score": response.score},
            )
            return redirect(reverse("patients:history") + f"#outcome-{due.instrument.slug}")
        logger.info(
            "questionnaire %s of assignment %s (patient %s) refused: %s",
            slug,
            assignment_pk,
            patient.pk,
            list(form.errors),
        )
    return render(
        request,
        "patients/me/questionnaire.html",
        {"patient": patient, "due": due, "form": form},
    )
