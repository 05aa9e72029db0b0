"""The patient's pain log (/me/pain/) with its safety screen, and the page after saving.

The form posts, saves, and redirects to the log's own page (POST-redirect-GET), so a
refresh never logs twice and the urgent advice stays on screen after a red flag.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from users import once
from users.access import patient_required

from ..access import get_pain_log_for_patient_user, own_patient_record
from ..forms_pain import PainLogForm
from ..models import PainLog, Patient
from ..services.pain import pain_log_record, urgent_advice_for


def _patient_for(request: HttpRequest) -> Patient | None:
    return own_patient_record(request.user)


def _todays_logs(patient: Patient) -> list[PainLog]:
    """The logs the patient made today (their local day): several a day are normal."""
    start = datetime.datetime.combine(
        patient.local_today(), datetime.time.min, tzinfo=_zone(patient)
    )
    return list(
        patient.pain_logs.filter(recorded_for__gte=start)
        .select_related("region")
        .order_by("-recorded_for", "-id")[:10]
    )


def _zone(patient: Patient) -> zoneinfo.ZoneInfo:
    return patient.zone


@patient_required
@require_http_methods(["GET", "POST"])
def pain(request: HttpRequest) -> HttpResponse:
    patient = _patient_for(request)
    if patient is None:
        return render(request, "patients/no_record.html")
    advice = None
    if request.method == "POST":
        form = PainLogForm(request.POST)
        if form.is_valid():
            if repeat := once.repeat_of(request, fallback=reverse("patients:pain")):
                return repeat
            log = pain_log_record(patient=patient, **form.service_kwargs())
            return once.remember(request, redirect("patients:pain_logged", pk=log.pk))
        # Nothing is saved until the score is right, but a "yes" on the safety screen
        # still gets its advice at once, above the form's errors.
        advice = urgent_advice_for(PainLog(**form.safety_answers()))
    else:
        form = PainLogForm()
    return render(
        request,
        "patients/me/pain.html",
        {
            "form": form,
            "advice": advice,
            "patient": patient,
            "todays_logs": _todays_logs(patient),
        },
    )


@patient_required
def pain_logged(request: HttpRequest, pk: int) -> HttpResponse:
    log = get_pain_log_for_patient_user(request.user, pk)
    # Urgent advice comes before anything else on the page, messages included: the view's
    # "messages" hides base.html's, and the template shows them after the advice.
    return render(
        request,
        "patients/me/pain_logged.html",
        {
            "log": log,
            "advice": urgent_advice_for(log),
            "zone": _zone(log.patient),
            "messages": [],
            "later_messages": messages.get_messages(request),
        },
    )
