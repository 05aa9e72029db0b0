"""Patients, and assigning programs to them."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from programs.models import Program

from ..models import Assignment, AssignmentItem, Patient, ReminderSchedule
from ..reminders import assignment_schedules_refresh
from .hold import Lift, hold_lift

User = get_user_model()


def _username_for(first_name: str, last_name: str) -> str:
    base = slugify(f"{first_name}.{last_name}")[:30] or "patient"
    while True:
        candidate = f"{base}.{get_random_string(5, 'abcdefghjkmnpqrstuvwxyz23456789')}"
        if not User.objects.filter(username=candidate).exists():
            return candidate


@transaction.atomic
def patient_create(
    *,
    clinician,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    time_zone: str = "UTC",
) -> Patient:
    """A patient record and its login (no password yet: the invitation sets up sign-in)."""
    if not clinician.is_clinician:
        raise ValidationError(_("Only clinicians can add patients."))
    user = User(
        username=_username_for(first_name, last_name),
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=User.Role.PATIENT,
    )
    user.set_unusable_password()
    user.save()
    return Patient.objects.create(user=user, clinician=clinician, phone=phone, time_zone=time_zone)


@transaction.atomic
def patient_update(
    *,
    patient: Patient,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    time_zone: str,
) -> Patient:
    """Change a patient's details; a new time zone moves their reminders with it."""
    user = patient.user
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.save(update_fields=["first_name", "last_name", "email"])
    zone_changed = str(patient.time_zone) != str(time_zone)
    patient.phone, patient.time_zone = phone, time_zone
    patient.save(update_fields=["phone", "time_zone", "updated_at"])
    if zone_changed:
        for assignment in patient.assignments.exclude(status=Assignment.Status.ENDED):
            assignment_schedules_refresh(assignment=assignment)
    return patient


@transaction.atomic
def assignment_create(
    *,
    program: Program,
    patient: Patient,
    assigned_by,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    reminder_times: list[datetime.time] | None = None,
    channel: str = ReminderSchedule.Channel.EMAIL,
) -> Assignment:
    """Give the patient their own copy of the program, with dates and reminder times."""
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end date must be on or after the start date.")})
    if not program.items.exists():
        raise ValidationError(_("Add at least one exercise to the program before assigning it."))
    assignment = Assignment.objects.create(
        patient=patient,
        program=program,
        title=program.title,
        starts_on=starts_on,
        ends_on=ends_on,
        assigned_by=assigned_by,
    )
    AssignmentItem.objects.bulk_create(
        AssignmentItem(assignment=assignment, **item.copied_fields())
        for item in program.items.all()
    )
    ReminderSchedule.objects.bulk_create(
        ReminderSchedule(
            assignment=assignment, local_time=time, original_local_time=time, channel=channel
        )
        for time in sorted(set(reminder_times or []))
    )
    assignment_schedules_refresh(assignment=assignment)
    # A newer program, chosen by the clinician after the red flag, ends the hold.
    if patient.exercises_on_hold:
        hold_lift(patient=patient, by=assigned_by, reason=Lift.NEW_PROGRAM)
    return assignment


@transaction.atomic
def assignment_set_dates(
    *, assignment: Assignment, starts_on: datetime.date, ends_on: datetime.date | None
) -> Assignment:
    """Move the program's dates; its reminders follow."""
    assignment.starts_on, assignment.ends_on = starts_on, ends_on
    assignment.save(update_fields=["starts_on", "ends_on", "updated_at"])
    assignment_schedules_refresh(assignment=assignment)
    return assignment


def assignment_set_status(*, assignment: Assignment, status: str) -> Assignment:
    assignment.status = status
    assignment.save(update_fields=["status", "updated_at"])
    assignment_schedules_refresh(assignment=assignment)
    return assignment
