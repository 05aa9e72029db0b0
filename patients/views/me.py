"""The patient's own pages (/me/...): always the signed-in patient's own record."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from programs import weekdays
from users.access import patient_required

from ..models import Assignment


@patient_required
def today(request: HttpRequest) -> HttpResponse:
    """Today's exercises of the signed-in patient, in their time zone (read-only for now)."""
    try:
        patient = request.user.patient_record
    except ObjectDoesNotExist:
        return render(request, "patients/no_record.html")
    day = patient.local_today()
    assignments = list(
        patient.assignments.filter(status=Assignment.Status.ACTIVE, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .prefetch_related("items")
    )
    for assignment in assignments:
        assignment.todays_items = [
            item
            for item in assignment.items.all()
            if weekdays.includes(item.weekdays, day.weekday())
        ]
    return render(
        request,
        "patients/today.html",
        {"patient": patient, "day": day, "assignments": assignments},
    )
