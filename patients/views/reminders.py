"""Reminder links that work without signing in: the signed one-click stop link."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..reminders import patient_from_stop_token
from ..services.preferences import patient_reminders_stop


# The signed token is the credential, and mail clients send RFC 8058 one-click POSTs
# without a CSRF token; a page opened by a link scanner (GET) changes nothing.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def stop(request: HttpRequest, token: str) -> HttpResponse:
    patient = patient_from_stop_token(token)
    if patient is None:
        return render(request, "patients/reminders_stop.html", {"invalid": True}, status=400)
    if request.method == "POST":
        patient_reminders_stop(patient=patient)
        return render(request, "patients/reminders_stop.html", {"stopped": True})
    return render(
        request,
        "patients/reminders_stop.html",
        {"already_stopped": patient.reminders_stopped_at is not None},
    )
