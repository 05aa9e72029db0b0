"""The patient's handout, printed by the clinician or kept by the patient (a print page)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from users.access import clinician_required, patient_required

from ..access import get_assignment_for_clinician, own_patient_record
from ..services.handout import HANDOUT_LANGUAGE, handout_for, patient_handout_assignment


def _render(request: HttpRequest, context: dict) -> HttpResponse:
    # render() renders at once, inside the override: every date takes the handout's formats.
    with translation.override(HANDOUT_LANGUAGE):
        return render(request, "patients/handout.html", context)


@clinician_required
def assignment_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The handout of one of the clinician's own patients' programs."""
    assignment = get_assignment_for_clinician(request.user, pk)
    return _render(
        request,
        {
            "handout": handout_for(assignment=assignment),
            "back_url": assignment.get_absolute_url(),
            "for_clinician": True,
        },
    )


@patient_required
def my_handout(request: HttpRequest) -> HttpResponse:
    """The signed-in patient's own handout of their current program."""
    patient = own_patient_record(request.user)
    if patient is None:
        return render(request, "patients/no_record.html")
    assignment = patient_handout_assignment(patient=patient, day=patient.local_today())
    return _render(
        request,
        {
            "handout": handout_for(assignment=assignment) if assignment else None,
            "back_url": None,
            "for_clinician": False,
        },
    )
