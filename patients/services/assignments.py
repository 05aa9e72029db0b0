"""Patients, and assigning programs to them."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from programs.models import Program
from users.addresses import address_in_use
from users.models import normalize_address

from ..models import Assignment, AssignmentItem, Patient, ReminderSchedule
from ..reminders import assignment_schedules_refresh, schedule_is_live
from .hold import Lift, hold_lift

User = get_user_model()
logger = logging.getLogger(__name__)

ADDRESS_IN_USE_MESSAGE = gettext_lazy(
    "This address cannot be used for this patient. Ask the patient for another address, "
    "or contact support."
)


class AlreadyAssigned(Exception):
    """The same program is already assigned to the patient from the same dates."""

    def __init__(self, assignment: Assignment) -> None:
        super().__init__(f"Assignment {assignment.pk} already covers these dates.")
        self.assignment = assignment


class EmailChange(StrEnum):
    """What a change of a patient's address did."""

    UNCHANGED = "unchanged"
    REMOVED = "removed"  # the patient now has no address (takes effect at once)
    PENDING = "pending"  # the new address was asked to confirm; the old one stays until then


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
    email = normalize_address(email)
    # One address, one account: never a second account for an address that has one, in
    # this practice or another (the message names nobody).
    if address_in_use(email):
        logger.info(
            "Patient not added: clinician %s gave an address that another account has.",
            clinician.pk,
        )
        raise ValidationError(ADDRESS_IN_USE_MESSAGE, code="address_in_use")
    user = User(
        username=_username_for(first_name, last_name),
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=User.Role.PATIENT,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        # Another request took the address between the check and the save.
        logger.info("Patient not added: clinician %s, address taken meanwhile.", clinician.pk)
        raise ValidationError(ADDRESS_IN_USE_MESSAGE, code="address_in_use") from error
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
    request: HttpRequest | None = None,
) -> Patient:
    """Change a patient's details; a new time zone moves their reminders with it.

    A new email address does not take effect here: see ``patient_email_change``."""
    user = patient.user
    user.first_name, user.last_name = first_name, last_name
    user.save(update_fields=["first_name", "last_name"])
    patient_email_change(patient=patient, email=email, request=request)
    zone_changed = str(patient.time_zone) != str(time_zone)
    patient.phone, patient.time_zone = phone, time_zone
    patient.save(update_fields=["phone", "time_zone", "updated_at"])
    if zone_changed:
        for assignment in patient.assignments.exclude(status=Assignment.Status.ENDED):
            assignment_schedules_refresh(assignment=assignment)
    return patient


def patient_email_change(
    *, patient: Patient, email: str, request: HttpRequest | None = None
) -> EmailChange:
    """The clinician changes the patient's address.

    Removing it takes effect at once. A new address is added to the account unverified
    (an allauth ``EmailAddress``) and sent a confirmation link: the patient's address
    (``User.email``, the one sign-ins use) changes only when the link is opened, so a
    mistyped or someone else's address never signs anyone into this record. An address
    another account has is refused (``ADDRESS_IN_USE_MESSAGE``)."""
    user = patient.user
    new = normalize_address(email)
    if new == user.email:
        # Back to the current address: any pending change is dropped.
        EmailAddress.objects.filter(user=user, verified=False).delete()
        return EmailChange.UNCHANGED
    if not new:
        EmailAddress.objects.filter(user=user).delete()
        user.email = ""
        user.save(update_fields=["email"])
        return EmailChange.REMOVED
    if address_in_use(new, exclude_user=user):
        logger.info(
            "Address change refused for patient %s (user %s): another account has it.",
            patient.pk,
            user.pk,
        )
        raise ValidationError(ADDRESS_IN_USE_MESSAGE, code="address_in_use")
    pending = EmailAddress.objects.filter(user=user, verified=False)
    if [address.email for address in pending] == [new]:
        return EmailChange.PENDING  # already waiting for this address's confirmation
    pending.delete()
    if user.email:
        # The current address, recorded as allauth's primary, so confirming the new one
        # replaces it (ACCOUNT_CHANGE_EMAIL).
        EmailAddress.objects.filter(user=user).exclude(email=user.email).update(primary=False)
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"primary": True, "verified": True}
        )
    pending = EmailAddress.objects.create(user=user, email=new, primary=False, verified=False)
    if request is not None:
        pending.send_confirmation(request)
    return EmailChange.PENDING


def patient_pending_email(*, patient: Patient) -> str:
    """The new address waiting for its confirmation, or ""."""
    pending = EmailAddress.objects.get_new(patient.user)
    return pending.email if pending is not None else ""


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
    """Give the patient their own copy of the program, with dates and reminder times.

    The patient's row is locked first, so a double-clicked submit waits for the first one
    and then finds its assignment: the same program from the same dates, not yet ended, is
    refused with ``AlreadyAssigned`` (carrying the existing one) instead of a second copy."""
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end date must be on or after the start date.")})
    if not program.items.exists():
        raise ValidationError(_("Add at least one exercise to the program before assigning it."))
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    existing = (
        patient.assignments.filter(program=program, starts_on=starts_on, ends_on=ends_on)
        .exclude(status=Assignment.Status.ENDED)
        .first()
    )
    if existing is not None:
        logger.info(
            "Assignment not created: program %s already assigned to patient %s (assignment %s).",
            program.pk,
            patient.pk,
            existing.pk,
        )
        raise AlreadyAssigned(existing)
    assignment = Assignment.objects.create(
        patient=patient,
        program=program,
        title=program.title,
        starts_on=starts_on,
        ends_on=ends_on,
        assigned_by=assigned_by,
    )
    AssignmentItem.objects.bulk_create(_item_copies(assignment, list(program.items.all())))
    ReminderSchedule.objects.bulk_create(_schedules(assignment, reminder_times, channel))
    assignment_schedules_refresh(assignment=assignment)
    # A newer program, chosen by the clinician after the red flag, ends the hold.
    if patient.exercises_on_hold:
        hold_lift(patient=patient, by=assigned_by, reason=Lift.NEW_PROGRAM)
    return assignment


def _item_copies(assignment: Assignment, items: list) -> list[AssignmentItem]:
    """The patient's own copy of each of the program's items."""
    return [AssignmentItem(assignment=assignment, **item.copied_fields()) for item in items]


def _schedules(
    assignment: Assignment, reminder_times: list[datetime.time] | None, channel: str
) -> list[ReminderSchedule]:
    """One reminder schedule per distinct time of day, in order."""
    return [
        ReminderSchedule(
            assignment=assignment, local_time=time, original_local_time=time, channel=channel
        )
        for time in sorted(set(reminder_times or []))
    ]


@dataclass(frozen=True)
class NewAssignment:
    """One assignment of ``assignments_create_in_bulk``."""

    patient: Patient
    starts_on: datetime.date
    ends_on: datetime.date | None = None


@transaction.atomic
def assignments_create_in_bulk(
    *,
    program: Program,
    assigned_by,
    new: Sequence[NewAssignment],
    reminder_times: list[datetime.time],
    channel: str = ReminderSchedule.Channel.EMAIL,
    now: datetime.datetime | None = None,
) -> list[Assignment]:
    """What ``assignment_create`` makes, for many patients at once in a few INSERTs
    (demo data and load tests: ``seed_demo --patients 10000``).

    For patients who do not have this program yet and whose exercises are not on hold:
    there is no de-duplication and no hold to lift, and a patient on hold is refused. Each
    reminder's next due time is computed in its patient's zone as ``schedule_refresh``
    would, without a query per row."""
    if any(row.ends_on is not None and row.ends_on < row.starts_on for row in new):
        raise ValidationError({"ends_on": _("The end date must be on or after the start date.")})
    items = list(program.items.all())
    if not items:
        raise ValidationError(_("Add at least one exercise to the program before assigning it."))
    if held := [row.patient.pk for row in new if row.patient.exercises_on_hold]:
        raise ValueError(f"Patients {held} are on hold: assign to them one by one.")
    now = now or timezone.now()
    assignments = Assignment.objects.bulk_create(
        Assignment(
            patient=row.patient,
            program=program,
            title=program.title,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            assigned_by=assigned_by,
        )
        for row in new
    )
    if not all(assignment.pk for assignment in assignments):
        # PostgreSQL and SQLite >= 3.35 return the new primary keys; the copies need them.
        raise RuntimeError("This database does not return keys from bulk inserts.")
    AssignmentItem.objects.bulk_create(
        (copy for assignment in assignments for copy in _item_copies(assignment, items)),
        batch_size=1000,
    )
    schedules = [
        schedule
        for assignment in assignments
        for schedule in _schedules(assignment, reminder_times, channel)
    ]
    for schedule in schedules:
        live = schedule_is_live(schedule=schedule)
        schedule.next_due_at = schedule.next_occurrence_after(now) if live else None
    ReminderSchedule.objects.bulk_create(schedules, batch_size=1000)
    return assignments


@transaction.atomic
def assignment_set_dates(
    *, assignment: Assignment, starts_on: datetime.date, ends_on: datetime.date | None
) -> Assignment:
    """Move the program's dates; its reminders follow. The row is locked first, so two
    clinicians' edits apply one after the other; an end before the start is refused."""
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end date must be on or after the start date.")})
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    locked.starts_on, locked.ends_on = starts_on, ends_on
    locked.save(update_fields=["starts_on", "ends_on", "updated_at"])
    assignment_schedules_refresh(assignment=locked)
    return locked


# Which statuses each transition may start from (the only home of this rule).
_TRANSITIONS: dict[str, set[str]] = {
    Assignment.Status.PAUSED: {Assignment.Status.ACTIVE},
    Assignment.Status.ACTIVE: {Assignment.Status.PAUSED},
    Assignment.Status.ENDED: {Assignment.Status.ACTIVE, Assignment.Status.PAUSED},
}


def _assignment_move(*, assignment: Assignment, to: str) -> Assignment:
    """Lock the assignment's row, check the move against the state machine, then save and
    let its reminders follow. An impossible move raises ``ValidationError`` (code
    ``impossible_transition``) and changes nothing."""
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.status not in _TRANSITIONS[to]:
        logger.info(
            "Assignment %s (patient %s) not moved from %s to %s.",
            locked.pk,
            locked.patient_id,
            locked.status,
            to,
        )
        raise ValidationError(
            _("This program is %(status)s and cannot be changed that way.")
            % {"status": locked.get_status_display().lower()},
            code="impossible_transition",
        )
    locked.status = to
    locked.save(update_fields=["status", "updated_at"])
    assignment_schedules_refresh(assignment=locked)
    assignment.status, assignment.updated_at = locked.status, locked.updated_at
    return locked


@transaction.atomic
def assignment_pause(*, assignment: Assignment) -> Assignment:
    """Pause an active program: no reminders until it is resumed."""
    return _assignment_move(assignment=assignment, to=Assignment.Status.PAUSED)


@transaction.atomic
def assignment_resume(*, assignment: Assignment) -> Assignment:
    """Resume a paused program: its reminders start again."""
    return _assignment_move(assignment=assignment, to=Assignment.Status.ACTIVE)


@transaction.atomic
def assignment_end(*, assignment: Assignment) -> Assignment:
    """End an active or paused program for good: its reminders stop."""
    return _assignment_move(assignment=assignment, to=Assignment.Status.ENDED)
