"""A patient's rights over their data: take all of it away (JSON, CSV), and be erased.

What the download holds: the profile, every program assigned (with its exercises, dosage
and reminder times), every exercise session and pain log (with the safety screen's
answers), the alerts raised from them, the reminders sent, the invitations sent and the
sign-ins to the account. What it leaves out: the invitation tokens (credentials), and on
alerts the clinician's acknowledgement note and who wrote it. That note is the
clinician's working note, which may name colleagues; a patient who wants it asks the
clinic (a subject access request covers it), and the clinic reads it out of the record.

Erasure removes the patient's record and everything under it in one transaction, stops
their reminders first, and keeps an account row with no personal data in it (a sign-in
log and the audit trail point at it). The erasure is itself written to the audit trail,
with ids and counts only. SECURITY.md explains what is kept and why.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from auditlog.context import disable_auditlog
from django.db import transaction
from django.utils import timezone

from programs import weekdays
from users.audit import AuthEvent, auth_events_scrub
from users.models import User, user_sign_out_everywhere

from ..audit import log_erasure, redact_entries
from ..exports import neutralise
from ..models import (
    Alert,
    Assignment,
    AssignmentItem,
    Delivery,
    ExerciseLog,
    Invitation,
    OutcomeAnswer,
    OutcomePlan,
    OutcomeResponse,
    PainLog,
    Patient,
    ReminderSchedule,
)

FORMAT = "trigger-home-programs/patient-data/1"
ERASED_REASON = "The patient's data was erased."


def _when(value: datetime.datetime | datetime.date | datetime.time | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- The download --------------------------------------------------------------------------


def patient_data_export(*, patient: Patient) -> dict:
    """Everything the app holds about the patient, as plain JSON-able data."""
    user = patient.user
    assignments = list(
        Assignment.objects.filter(patient=patient)
        .prefetch_related("items", "reminder_schedules")
        .order_by("starts_on", "id")
    )
    return {
        "format": FORMAT,
        "exported_at": _when(timezone.now()),
        "profile": {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "phone": str(patient.phone) if patient.phone else "",
            "time_zone": str(patient.time_zone),
            "clinician": str(patient.clinician),
            "reminders_paused": patient.reminders_paused,
            "reminders_stopped_at": _when(patient.reminders_stopped_at),
            "account_created_at": _when(user.date_joined),
            "record_created_at": _when(patient.created_at),
        },
        "assignments": [_assignment(assignment) for assignment in assignments],
        "exercise_logs": [
            {
                "id": log.pk,
                "assignment_id": log.assignment_id,
                "exercise": log.item.name,
                "date": _when(log.performed_on),
                "session": log.session,
                "status": log.status,
                "difficulty": log.difficulty,
                "pain_during": log.pain_during,
                "skip_reason": log.skip_reason,
                "added_later": log.is_late,
                "logged_at": _when(log.logged_at),
            }
            for log in ExerciseLog.objects.filter(patient=patient)
            .select_related("item")
            .order_by("performed_on", "session", "id")
        ],
        "pain_logs": [
            {
                "id": log.pk,
                "assignment_id": log.assignment_id,
                "score": log.score,
                "where": log.region.name if log.region else "",
                "where_else": log.region_other,
                "side": log.side,
                "when": log.timing,
                "note": log.note,
                "recorded_for": _when(log.recorded_for),
                "added_later": log.is_late,
                "calf_swollen_warm_red": log.calf_swollen_warm_red,
                "chest_symptoms": log.chest_symptoms,
                "recent_immobilisation": log.recent_immobilisation,
                "logged_at": _when(log.logged_at),
            }
            for log in PainLog.objects.filter(patient=patient)
            .select_related("region")
            .order_by("recorded_for", "id")
        ],
        "alerts": [
            {
                "id": alert.pk,
                "kind": alert.kind,
                "severity": alert.get_severity_display(),
                "message": alert.message,
                "pain_log_id": alert.pain_log_id,
                "raised_at": _when(alert.created_at),
                "acknowledged_at": _when(alert.acknowledged_at),
            }
            for alert in Alert.objects.filter(patient=patient).order_by("created_at", "id")
        ],
        "reminder_deliveries": [
            {
                "id": delivery.pk,
                "kind": delivery.kind,
                "channel": delivery.channel,
                "due_at": _when(delivery.occurrence),
                "status": delivery.status,
                "reason": delivery.reason,
                "sent_at": _when(delivery.sent_at),
            }
            for delivery in Delivery.objects.filter(patient=patient).order_by("occurrence", "id")
        ],
        "questionnaires": [
            {
                "id": response.pk,
                "assignment_id": response.assignment_id,
                "questionnaire": response.instrument.name,
                "asked_for": response.due_on.isoformat(),
                "answered_at": _when(response.answered_at),
                "score": str(response.score),
                "change_from_baseline": response.change,
                "answers": "; ".join(
                    f"{answer.label or answer.item.text}: {answer.value}"
                    for answer in response.answers.all()
                ),
            }
            for response in OutcomeResponse.objects.filter(patient=patient)
            .select_related("instrument")
            .prefetch_related("answers__item")
            .order_by("answered_at", "id")
        ],
        "invitations": [
            {
                "id": invitation.pk,
                "channel": invitation.channel,
                "sent_at": _when(invitation.created_at),
                "expires_at": _when(invitation.expires_at),
                "used_at": _when(invitation.used_at),
                "revoked_at": _when(invitation.revoked_at),
            }
            for invitation in Invitation.objects.filter(patient=patient).order_by(
                "created_at", "id"
            )
        ],
        "sign_ins": [
            {
                "what": event.kind,
                "when": _when(event.created_at),
                "from_address": event.remote_addr or "",
                "browser": event.user_agent,
            }
            for event in AuthEvent.objects.filter(user=user).order_by("created_at", "id")
        ],
    }


def _assignment(assignment: Assignment) -> dict:
    return {
        "id": assignment.pk,
        "title": assignment.title,
        "starts_on": _when(assignment.starts_on),
        "ends_on": _when(assignment.ends_on),
        "status": assignment.status,
        "assigned_at": _when(assignment.created_at),
        "exercises": [
            {
                "id": item.pk,
                "name": item.name,
                "kind": item.module_kind,
                "instructions": item.instructions,
                "note": item.note,
                "sets": item.sets,
                "reps": item.reps,
                "hold_seconds": item.hold_seconds,
                "rest_seconds": item.rest_seconds,
                "times_per_day": item.times_per_day,
                "days": weekdays.describe(item.weekdays),
            }
            for item in assignment.items.all()
        ],
        "reminder_times": [
            {
                "id": schedule.pk,
                "kind": schedule.kind,
                "local_time": schedule.local_time.strftime("%H:%M"),
                "days": weekdays.describe(schedule.weekdays),
                "channel": schedule.channel,
                "paused": schedule.paused,
            }
            for schedule in assignment.reminder_schedules.all()
        ],
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    # Text a spreadsheet would run as a formula ("CSV injection"): patients/exports.py.
    return neutralise(str(value))


def _csv_sections(data: dict) -> list[tuple[str, list[dict]]]:
    exercises, reminder_times = [], []
    assignments = []
    for assignment in data["assignments"]:
        exercises += [{"assignment_id": assignment["id"], **i} for i in assignment["exercises"]]
        reminder_times += [
            {"assignment_id": assignment["id"], **t} for t in assignment["reminder_times"]
        ]
        assignments.append(
            {k: v for k, v in assignment.items() if k not in ("exercises", "reminder_times")}
        )
    return [
        ("profile", [data["profile"]]),
        ("assignments", assignments),
        ("assigned exercises", exercises),
        ("reminder times", reminder_times),
        ("exercise logs", data["exercise_logs"]),
        ("pain logs", data["pain_logs"]),
        ("alerts", data["alerts"]),
        ("questionnaires", data["questionnaires"]),
        ("reminder deliveries", data["reminder_deliveries"]),
        ("invitations", data["invitations"]),
        ("sign-ins", data["sign_ins"]),
    ]


def patient_data_csv(*, patient: Patient) -> str:
    """The same data as ``patient_data_export``, as one CSV file of titled tables (a title
    row, a header row, the rows, a blank row), which any spreadsheet opens."""
    data = patient_data_export(patient=patient)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["# " + FORMAT, "exported at", data["exported_at"]])
    for title, rows in _csv_sections(data):
        writer.writerow([])
        writer.writerow([f"# {title}"])
        if not rows:
            writer.writerow(["(none)"])
            continue
        header = list(rows[0])
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(row.get(name)) for name in header])
    return out.getvalue()


# --- Erasure -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    patient_id: int
    user_id: int
    deleted: dict[str, int]
    audit_entries_redacted: int


def _ids(queryset) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


@transaction.atomic
def patient_erase(*, patient: Patient, erased_by: User, remote_addr: str | None = None) -> Erasure:
    """Erase a patient, in one transaction:

    1. reminders stop at once: pending deliveries are skipped, every schedule loses its
       next due time (a dispatcher or worker running meanwhile finds nothing to send);
    2. the record and everything under it (programs, exercise and pain logs, alerts,
       reminders, invitations) are deleted, without copying them into the audit trail;
    3. every earlier audit entry about the patient is emptied of its content (those rows,
       and rows deleted before), and every sign-in event of the account (and failed ones
       where its username or address was typed) loses the address, browser and name
       typed, keeping who, when and what kind;
    4. the account is kept, emptied: username ``erased-<id>``, no name, no email, no
       password, inactive, signed out everywhere, its email addresses and two-factor
       devices deleted;
    5. the erasure is written to the audit trail: who, when, which ids, how many rows.
    """
    patient = Patient.objects.select_for_update().select_related("user").get(pk=patient.pk)
    user = patient.user
    now = timezone.now()

    Delivery.objects.filter(patient=patient, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SKIPPED, reason=ERASED_REASON, updated_at=now
    )
    ReminderSchedule.objects.filter(assignment__patient=patient).update(
        next_due_at=None, paused=True
    )

    records = {
        Patient: [patient.pk],
        Assignment: _ids(Assignment.objects.filter(patient=patient)),
        AssignmentItem: _ids(AssignmentItem.objects.filter(assignment__patient=patient)),
        ExerciseLog: _ids(ExerciseLog.objects.filter(patient=patient)),
        PainLog: _ids(PainLog.objects.filter(patient=patient)),
        Alert: _ids(Alert.objects.filter(patient=patient)),
        ReminderSchedule: _ids(ReminderSchedule.objects.filter(assignment__patient=patient)),
        Invitation: _ids(Invitation.objects.filter(patient=patient)),
        OutcomePlan: _ids(OutcomePlan.objects.filter(assignment__patient=patient)),
        OutcomeResponse: _ids(OutcomeResponse.objects.filter(patient=patient)),
        OutcomeAnswer: _ids(OutcomeAnswer.objects.filter(response__patient=patient)),
        User: [user.pk],
    }
    patient_id, user_id = patient.pk, user.pk
    erased_username = f"erased-{user_id}"
    # Before the username and address are emptied: the scrub finds events by them.
    auth_events_scrub(user=user, replacement_username=erased_username)

    # The deletion would otherwise copy every deleted value into a DELETE entry.
    with disable_auditlog():
        _total, deleted = patient.delete()
        user.username = erased_username
        user.first_name = user.last_name = user.email = ""
        user.set_unusable_password()
        user.is_active = False
        user.save(
            update_fields=["username", "first_name", "last_name", "email", "password", "is_active"]
        )
        user_sign_out_everywhere(user=user)
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()

    redacted = redact_entries(
        patient_id=patient_id,
        records=records,
        actor_ids=[user_id],
        actor_replacement=erased_username,
    )
    deleted_counts = {label: count for label, count in sorted(deleted.items()) if count}
    log_erasure(
        patient_id=patient_id,
        user_id=user_id,
        erased_by=erased_by,
        deleted=deleted_counts,
        redacted=redacted,
        remote_addr=remote_addr,
    )
    return Erasure(
        patient_id=patient_id,
        user_id=user_id,
        deleted=deleted_counts,
        audit_entries_redacted=redacted,
    )
