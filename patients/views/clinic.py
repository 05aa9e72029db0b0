"""The clinic (a clinician's patients and their assignments) and the patient's today page.

Every object is fetched through an access helper scoped to the requesting user: another
clinician's patient, assignment or item is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from users.access import clinician_required

from .. import services
from ..access import (
    get_assignment_for_clinician,
    get_assignment_item_for_clinician,
    get_patient_for_clinician,
)
from ..forms import AssignForm, AssignmentDatesForm, AssignmentItemForm, PatientForm
from ..models import Assignment, Patient

PATIENTS_PER_PAGE = 50

# Which status each action leads to, and from which statuses it may be taken.
STATUS_ACTIONS: dict[str, tuple[str, set[str]]] = {
    "pause": (Assignment.Status.PAUSED, {Assignment.Status.ACTIVE}),
    "resume": (Assignment.Status.ACTIVE, {Assignment.Status.PAUSED}),
    "end": (Assignment.Status.ENDED, {Assignment.Status.ACTIVE, Assignment.Status.PAUSED}),
}


# --- The clinic ---------------------------------------------------------------------------


@clinician_required
def clinic(request: HttpRequest) -> HttpResponse:
    """The clinician's patients, with their current program; searchable by name."""
    query = request.GET.get("q", "").strip()[:100]
    patients = Patient.objects.for_clinician(request.user).select_related("user")
    for term in query.split():
        patients = patients.filter(
            Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
            | Q(user__email__icontains=term)
        )
    patients = patients.prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.exclude(status=Assignment.Status.ENDED).order_by(
                "-starts_on", "-id"
            ),
            to_attr="open_assignments",
        )
    )
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "patients/patient_list.html", {"page": page, "query": query})


@clinician_required
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None, clinician=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patient = services.patient_create(
            clinician=request.user,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=form.phone_e164,
            time_zone=data["time_zone"],
        )
        messages.success(request, _("%(name)s was added.") % {"name": patient.name})
        return redirect(patient)
    return render(request, "patients/patient_form.html", {"form": form, "patient": None})


@clinician_required
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_clinician(request.user, pk)
    assignments = (
        patient.assignments.annotate(items_count=Count("items"))
        .prefetch_related("reminder_schedules")
        .order_by("-starts_on", "-id")
    )
    return render(
        request,
        "patients/patient_detail.html",
        {"patient": patient, "assignments": assignments},
    )


@clinician_required
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_clinician(request.user, pk)
    form = PatientForm(request.POST or None, clinician=request.user, instance=patient)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.patient_update(
            patient=patient,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=form.phone_e164,
            time_zone=data["time_zone"],
        )
        messages.success(request, _("The patient's details were saved."))
        return redirect(patient)
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


@clinician_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the patient their own copy of a program, with dates and reminder times."""
    patient = get_patient_for_clinician(request.user, pk)
    form = AssignForm(request.POST or None, clinician=request.user, patient=patient)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            # Lock the patient so a double-clicked submit waits for the first one, then finds
            # its assignment instead of making a second copy.
            Patient.objects.select_for_update().filter(pk=patient.pk).first()
            existing = (
                patient.assignments.filter(
                    program=data["program"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
                .exclude(status=Assignment.Status.ENDED)
                .first()
            )
            if existing is not None:
                messages.info(request, _("This program is already assigned from that date."))
                return redirect(existing)
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
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_clinician(request.user, pk)
    return render(
        request,
        "patients/assignment_detail.html",
        {
            "assignment": assignment,
            "patient": assignment.patient,
            "items": list(assignment.items.all()),
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
    status, allowed_from = STATUS_ACTIONS[action]
    if assignment.status not in allowed_from:
        messages.error(
            request,
            _("This program is %(status)s and cannot be changed that way.")
            % {"status": assignment.get_status_display().lower()},
        )
        return redirect(assignment)
    services.assignment_set_status(assignment=assignment, status=status)
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
