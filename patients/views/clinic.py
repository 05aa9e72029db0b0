"""The clinic: the dashboard of a clinician's patients, one patient's story, their
assignments, alerts and exports.

Every object is fetched through an access helper scoped to the requesting user: another
clinician's patient, assignment, item or alert is a 404, whatever the method.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from programs import services as program_services
from programs.access import get_program_for_user
from programs.forms import NewFromMuscleForm
from programs.views import render_starter_title
from users import once
from users.access import clinician_required
from users.lockout import account_unlock

from .. import exports, services
from ..access import (
    get_alert_for_clinician,
    get_assignment_for_clinician,
    get_assignment_item_for_clinician,
    get_patient_for_clinician,
)
from ..audit import patients_shown, record_shown
from ..compiled import rows_of_patient
from ..forms import (
    STORY_PERIOD_LABELS,
    STORY_PERIODS,
    AlertAcknowledgeForm,
    AssignForm,
    AssignmentDatesForm,
    AssignmentItemForm,
    DashboardForm,
    PatientForm,
    StoryPeriodForm,
)
from ..models import Alert, Invitation, Patient
from ..outcome_charts import outcome_panels
from ..reminders import send_test_reminder
from ..services import dashboard, progressions
from ..services import hold as hold_services
from ..services import story as story_services
from ..services.next_step import patient_next_step
from ..services.outcomes import outcome_history
from ..services.pain_map import pain_map

PATIENTS_PER_PAGE = 50

# The service behind each button of the assignment's page (the state machine lives there).
STATUS_ACTIONS = {
    "pause": services.assignment_pause,
    "resume": services.assignment_resume,
    "end": services.assignment_end,
}


# --- The clinic ---------------------------------------------------------------------------


@clinician_required
def clinic(request: HttpRequest) -> HttpResponse:
    """The dashboard: the clinician's own patients, who needs attention first, with their
    adherence, pain against baseline, last activity and open alerts. Searchable by name,
    filtered by ?show=, 50 a page; a fixed number of queries whatever the numbers."""
    query, show = DashboardForm(request.GET).values()
    today = timezone.localdate()
    patients = dashboard.dashboard_patients(
        clinician=request.user, today=today, query=query, show=show
    )
    paginator = Paginator(patients.values_list("pk", flat=True), PATIENTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = dashboard.dashboard_rows(patient_ids=list(page.object_list), today=today)
    # The audit trail gets one read entry per patient shown (patients/audit.py).
    patients_shown(request, [row.patient for row in rows])
    suggestions = progressions.progression_suggestions(
        patient_ids=list(page.object_list), today=today
    )
    return render(
        request,
        "patients/patient_list.html",
        {
            "page": page,
            "rows": rows,
            "query": query,
            "show": show,
            "show_choices": dashboard.Show.CHOICES,
            "today": today,
            "suggestions": [
                suggestion for row in rows for suggestion in suggestions.get(row.patient.pk, [])
            ],
        },
    )


@clinician_required
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None, clinician=request.user)
    if request.method == "POST" and form.is_valid():
        if repeat := once.repeat_of(request, fallback=reverse("patients:clinic")):
            return repeat
        data = form.cleaned_data
        try:
            patient = services.patient_create(
                clinician=request.user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=form.phone_e164,
                time_zone=data["time_zone"],
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": patient.name})
            if "then" in request.POST:
                return once.remember(request, redirect("patients:assign", pk=patient.pk))
            return once.remember(request, redirect(patient))
    return render(request, "patients/patient_form.html", {"form": form, "patient": None})


@clinician_required
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient's story: figures, alerts, the pain chart with program changes, each
    program with its schedules and per-exercise feedback, reminder deliveries and notes."""
    patient = get_patient_for_clinician(request.user, pk)
    record_shown(request, patient)
    return _story(request, patient)


def _story(
    request: HttpRequest,
    patient: Patient,
    *,
    bound_forms: dict[int, AlertAcknowledgeForm] | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    story = story_services.patient_story(patient=patient, today=today)
    period = StoryPeriodForm(request.GET).period_key()
    chart = story_services.story_chart(
        patient=patient,
        days=STORY_PERIODS[period],
        events=story_services.program_events(assignments=story.assignments, today=today),
    )
    body_map = pain_map(patient=patient, start=chart.chart.start, end=chart.chart.end)
    # All of them, latest first: the next step and the invitation panel read them.
    invitations = rows_of_patient(
        "patient invitations", patient, lambda ids: Invitation.objects.filter(patient_id__in=ids)
    )
    bound_forms = bound_forms or {}
    for alert in story.open_alerts:
        alert.form = bound_forms.get(alert.pk) or AlertAcknowledgeForm(
            alert=alert, on_hold=patient.exercises_on_hold
        )
    return render(
        request,
        "patients/patient_detail.html",
        {
            "patient": patient,
            "patient_zone": str(patient.time_zone),
            "next_step": patient_next_step(
                patient=patient, programs=story.assignments, invitations=invitations
            ),
            "latest_invitation": invitations[0] if invitations else None,
            "story": story,
            "has_open_red_flag": any(
                alert.kind == Alert.Kind.RED_FLAG for alert in story.open_alerts
            ),
            "row": story.row,
            "assignments": story.assignments,
            "chart": chart,
            "pain_map": body_map,
            "period": period,
            "periods": list(STORY_PERIOD_LABELS.items()),
            "outcome_panels": outcome_panels(outcome_history(patient=patient), zone=patient.zone),
            "suggestions": progressions.progression_suggestions(
                patient_ids=[patient.pk], today=patient.local_today()
            ).get(patient.pk, []),
        },
    )


@clinician_required
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge one of the clinician's patients' alerts with a note (POST only)."""
    alert = get_alert_for_clinician(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    patient = alert.patient
    form = AlertAcknowledgeForm(request.POST, alert=alert, on_hold=patient.exercises_on_hold)
    if not form.is_valid():
        # The patient's page again, with the error beside this alert; nothing saved.
        return _story(request, patient, bound_forms={alert.pk: form})
    review = hold_services.alert_review(
        alert=alert,
        by=request.user,
        note=form.cleaned_data["note"],
        resume_exercises=form.resumes_exercises,
    )
    Review = hold_services.Review
    if review == Review.ALREADY_ACKNOWLEDGED:
        messages.info(request, _("This alert had already been acknowledged."))
    elif review == Review.RESUMED:
        messages.success(
            request,
            _("The alert was acknowledged and the exercises resumed: the patient is told."),
        )
    elif review == Review.STILL_ON_HOLD:
        messages.warning(
            request,
            _(
                "The alert was acknowledged. The exercises stay on hold until every "
                "red flag is reviewed."
            ),
        )
    elif "exercises" in form.fields:
        messages.success(request, _("The alert was acknowledged. The exercises stay on hold."))
    else:
        messages.success(request, _("The alert was acknowledged."))
    return redirect(f"{patient.get_absolute_url()}#alerts")


@clinician_required
def patient_resume_exercises(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift the red-flag hold after every red flag is reviewed (POST only)."""
    patient = get_patient_for_clinician(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if hold_services.hold_lift(patient=patient, by=request.user):
        messages.success(request, _("The exercises are resumed: the patient is told."))
    elif patient.exercises_on_hold:
        messages.error(request, _("Acknowledge every open red flag before resuming the exercises."))
    else:
        messages.info(request, _("The exercises were not on hold."))
    return redirect(f"{patient.get_absolute_url()}#alerts")


@clinician_required
def patient_test_reminder(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the patient one reminder now through the real pipeline (POST only)."""
    patient = get_patient_for_clinician(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not patient.user.email and not patient.phone:
        messages.error(
            request, _("Add an email address or a mobile number to send this patient reminders.")
        )
    else:
        send_test_reminder(patient=patient)
        messages.success(
            request,
            _("A test reminder was queued. Its outcome appears in the delivery history."),
        )
    return redirect(f"{patient.get_absolute_url()}#deliveries")


@clinician_required
def patient_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift the sign-in lock of the patient's account (users.lockout; POST only)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    patient = get_patient_for_clinician(request.user, pk)
    if patient.user.is_sign_in_locked:
        account_unlock(user=patient.user, by=request.user, how="clinic")
        messages.success(request, _("The patient can sign in again."))
    return redirect(patient)


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@clinician_required
def patient_export_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """Every pain log and exercise session of the patient as CSV (streamed)."""
    patient = get_patient_for_clinician(request.user, pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    response = StreamingHttpResponse(
        exports.csv_lines(exports.csv_rows(patient)), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, exports.export_filename(patient, "record") + ".csv")


@never_cache
@clinician_required
def patient_export_fhir(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient's record as a FHIR R4 Bundle (Patient, pain Observations, CarePlans)."""
    patient = get_patient_for_clinician(request.user, pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    response = JsonResponse(
        exports.fhir_bundle(patient),
        content_type="application/fhir+json",
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    return _attachment(response, exports.export_filename(patient, "fhir") + ".json")


@clinician_required
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_clinician(request.user, pk)
    form = PatientForm(request.POST or None, clinician=request.user, instance=patient)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.patient_update(
                patient=patient,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=form.phone_e164,
                time_zone=data["time_zone"],
                request=request,
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(request, _("The patient's details were saved."))
            if pending := services.patient_pending_email(patient=patient):
                messages.info(
                    request,
                    _(
                        "A confirmation link was sent to %(address)s. The patient's address "
                        "changes when they open it; until then the current one stays."
                    )
                    % {"address": pending},
                )
            return redirect(patient)
    return render(
        request,
        "patients/patient_form.html",
        {
            "form": form,
            "patient": patient,
            "pending_email": services.patient_pending_email(patient=patient),
        },
    )


@clinician_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the patient their own copy of a program, with dates and reminder times."""
    patient = get_patient_for_clinician(request.user, pk)
    initial = {}
    if request.method == "GET" and (chosen := request.GET.get("program", "")).isdigit():
        # From "Assign to a patient" in the builder, or a starter made for this patient.
        initial["program"] = int(chosen)
    form = AssignForm(
        request.POST or None, clinician=request.user, patient=patient, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assignment = services.assignment_create(
                program=data["program"],
                patient=patient,
                assigned_by=request.user,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                reminder_times=data["reminder_times"],
                channel=data["channel"],
            )
        except services.AlreadyAssigned as already:
            messages.info(request, _("This program is already assigned from that date."))
            return redirect(already.assignment)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(title)s was assigned to %(name)s.")
                % {"title": assignment.title, "name": patient.name},
            )
            return redirect(assignment)
    return render(request, "patients/assignment_create.html", {"form": form, "patient": patient})


@clinician_required
@require_http_methods(["GET", "POST"])
def patient_starter(request: HttpRequest, pk: int) -> HttpResponse:
    """A muscle's starter program made for this patient, its title prefilled with the
    muscle and the patient's name; then the Assign form with it chosen."""
    patient = get_patient_for_clinician(request.user, pk)
    action = reverse("patients:patient_starter", args=[patient.pk])
    cancel_url = reverse("patients:assign", args=[patient.pk])
    if request.method == "GET":
        form = NewFromMuscleForm(for_name=patient.name)
    else:
        form = NewFromMuscleForm(request.POST, for_name=patient.name)
        if form.needs_title:
            form = form.title_step()
        elif form.is_valid():
            if repeat := once.repeat_of(request, fallback=cancel_url):
                return repeat
            program = program_services.program_create_from_muscle(
                owner=request.user,
                muscle=form.cleaned_data["muscle"],
                title=form.cleaned_data["title"],
            )
            messages.success(
                request, _("%(title)s was created. Choose its dates.") % {"title": program.title}
            )
            return once.remember(request, redirect(f"{cancel_url}?program={program.pk}"))
    return render_starter_title(
        request, form=form, action=action, cancel_url=cancel_url, patient_name=patient.name
    )


@clinician_required
@require_GET
def program_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Assign to a patient" from the builder: choose one of the clinician's patients, then
    the Assign form opens with this program chosen."""
    program = get_program_for_user(request.user, pk)
    patients = Patient.objects.for_clinician(request.user).select_related("user")
    chosen = request.GET.get("patient", "")
    if chosen.isdecimal():  # not isdigit(): "²" is a digit that int() refuses
        patient = get_patient_for_clinician(request.user, int(chosen))
        return redirect(f"{reverse('patients:assign', args=[patient.pk])}?program={program.pk}")
    return render(
        request, "patients/program_assign.html", {"program": program, "patients": patients}
    )


@clinician_required
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_clinician(request.user, pk)
    return render(
        request,
        "patients/assignment_detail.html",
        {
            "assignment": assignment,
            "patient": assignment.patient,
            "next_step": patient_next_step(patient=assignment.patient),
            "items": list(assignment.items.select_related("library_item", "replaced_by")),
            "schedules": assignment.reminder_schedules.all(),
        },
    )


@clinician_required
def assignment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_clinician(request.user, pk)
    form = AssignmentDatesForm(request.POST or None, instance=assignment)
    if request.method == "POST" and form.is_valid():
        services.assignment_set_dates(
            assignment=assignment,
            starts_on=form.cleaned_data["starts_on"],
            ends_on=form.cleaned_data["ends_on"],
        )
        messages.success(request, _("The dates were saved."))
        return redirect(assignment)
    return render(
        request,
        "patients/assignment_form.html",
        {"form": form, "assignment": assignment, "patient": assignment.patient},
    )


@clinician_required
def assignment_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Pause, resume or end an assignment (POST only)."""
    # Fetch first: another clinician's assignment is a 404 whatever the method.
    assignment = get_assignment_for_clinician(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    action = request.POST.get("action", "")
    if action not in STATUS_ACTIONS:
        messages.error(request, _("Unknown action."))
        return redirect(assignment)
    try:
        STATUS_ACTIONS[action](assignment=assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(assignment)
    messages.success(
        request,
        _("The program is now %(status)s.") % {"status": assignment.get_status_display().lower()},
    )
    return redirect(assignment)


@clinician_required
def assignment_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_assignment_item_for_clinician(request.user, pk)
    form = AssignmentItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("%(name)s was saved.") % {"name": item.name})
        return redirect(item.assignment)
    return render(
        request,
        "patients/assignmentitem_form.html",
        {
            "form": form,
            "item": item,
            "assignment": item.assignment,
            "patient": item.assignment.patient,
        },
    )
