"""The patient's reminder preferences (/me/reminders/): see the times, pause, stop, move.

Every change is a POST that redirects back here (POST-redirect-GET); a bad time is shown
on the page with nothing changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from programs import weekdays
from users.access import patient_required

from ..access import own_patient_record
from ..forms_pain import ReminderTimeForm
from ..models import Patient, ReminderSchedule
from ..services.preferences import (
    allowed_window,
    patient_reminders_pause,
    patient_reminders_restart,
    patient_reminders_resume,
    patient_reminders_stop,
    patient_schedules,
    schedule_time_change,
)

ACTIONS = {
    "pause": (
        patient_reminders_pause,
        gettext_lazy("Reminders paused. You can resume them here at any time."),
    ),
    "resume": (patient_reminders_resume, gettext_lazy("Reminders are on again.")),
    "stop": (
        patient_reminders_stop,
        gettext_lazy("Reminders stopped. You will get no more reminders."),
    ),
    "restart": (patient_reminders_restart, gettext_lazy("Reminders are on again.")),
}


def schedule_for_patient(patient: Patient, pk) -> ReminderSchedule:
    """One of the patient's current reminder times; anyone else's is a 404."""
    try:
        return patient_schedules(patient=patient).get(pk=int(pk))
    except (ReminderSchedule.DoesNotExist, TypeError, ValueError) as missing:
        raise Http404 from missing


def _rows(patient: Patient, failed: ReminderSchedule | None, failed_form: ReminderTimeForm | None):
    rows = []
    for schedule in patient_schedules(patient=patient):
        earliest, latest = allowed_window(schedule)
        if failed is not None and failed.pk == schedule.pk:
            form = failed_form
        else:
            form = ReminderTimeForm(
                prefix=f"s{schedule.pk}", initial={"local_time": schedule.local_time}
            )
        attrs = form.fields["local_time"].widget.attrs
        attrs.update({"min": earliest.strftime("%H:%M"), "max": latest.strftime("%H:%M")})
        if form.errors:
            attrs["aria-describedby"] = f"{form['local_time'].auto_id}-error"
        rows.append(
            {
                "schedule": schedule,
                "days": weekdays.describe(schedule.weekdays),
                "form": form,
                "earliest": earliest,
                "latest": latest,
            }
        )
    return rows


@patient_required
@require_http_methods(["GET", "POST"])
def reminder_settings(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    if patient is None:
        return render(request, "patients/no_record.html")
    failed = failed_form = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ACTIONS:
            service, message = ACTIONS[action]
            service(patient=patient)
            messages.success(request, message)
            return redirect("patients:reminder_settings")
        if action == "time":
            schedule = schedule_for_patient(patient, request.POST.get("schedule"))
            form = ReminderTimeForm(request.POST, prefix=f"s{schedule.pk}")
            if form.is_valid():
                try:
                    schedule_time_change(
                        schedule=schedule, local_time=form.cleaned_data["local_time"]
                    )
                except ValidationError as error:
                    form.add_error("local_time", error)
                else:
                    messages.success(
                        request,
                        _("Reminder moved to %(time)s.")
                        % {"time": schedule.local_time.strftime("%H:%M")},
                    )
                    return redirect("patients:reminder_settings")
            failed, failed_form = schedule, form
        else:
            messages.error(request, _("Something went wrong. Please try again."))
            return redirect("patients:reminder_settings")
    return render(
        request,
        "patients/me/reminders.html",
        {
            "patient": patient,
            "rows": _rows(patient, failed, failed_form),
            "has_errors": failed is not None,
        },
    )
