"""The audit trail of patient data, kept by django-auditlog (``auditlog.LogEntry``).

- Every change: the patient models are registered with auditlog (``register``), so each
  create, update and delete leaves a row with the changed fields, the actor and the
  client address. Secrets (an invitation's token hash) and derived noise (the next due
  time of a reminder, ``updated_at``) are left out. Reminder deliveries are not logged
  row by row: the dispatcher writes them by the thousand and they hold no personal data.
- Every read of a patient's record by a clinician, and every export: ``AuditMiddleware``
  writes an ACCESS entry (auditlog's action for reads, the one its ``accessed`` signal
  writes) when a page in ``ACCESS_LOGGED`` answers 200, naming the actor, the record, the
  client address and the time, and in ``additional_data`` the page and whether it was a
  read or an export. Doing it in the middleware keeps the views free of audit code and
  covers an export added later by adding its URL name here.
- Failed sign-ins by invitation link: the same middleware records them in the sign-in log
  (``users.audit.AuthEvent``), beside allauth's password and code sign-ins.
- Erasure (``patients.services.rights.patient_erase``): one DELETE entry with counts and
  ids only, and the earlier entries about the erased records emptied of their content.

The trail is append-only for everyone else: the admin shows it read-only (users.admin),
and no code but the erasure rewrites an entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auditlog.cid import set_cid
from auditlog.context import set_extra_data
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest, HttpResponse

from users.audit import AuthEvent, client_ip, record_auth_event

from .models import (
    Alert,
    Assignment,
    AssignmentItem,
    ExerciseLog,
    Invitation,
    PainLog,
    Patient,
    ReminderSchedule,
)

READ = "read"
EXPORT = "export"
ERASED = "[erased]"

# Which fields of each patient model are not logged, and why.
REGISTERED: dict[type[models.Model], list[str]] = {
    Patient: ["updated_at"],  # changes with every other change
    Assignment: ["updated_at"],
    AssignmentItem: [],
    ExerciseLog: [],
    PainLog: [],
    Alert: [],
    ReminderSchedule: ["next_due_at"],  # recomputed by the dispatcher, derived data
    Invitation: ["token_hash"],  # a credential: never copied anywhere
}


def register() -> None:
    """Log every change of the patient models (called from PatientsConfig.ready)."""
    from auditlog.registry import auditlog

    for model, excluded in REGISTERED.items():
        auditlog.register(model, exclude_fields=list(excluded))


# --- Reads and exports ---------------------------------------------------------------------


def _patient_from_pk(request: HttpRequest, kwargs: dict) -> models.Model | None:
    return Patient.objects.filter(pk=kwargs.get("pk")).first()


def _assignment_from_pk(request: HttpRequest, kwargs: dict) -> models.Model | None:
    return Assignment.objects.filter(pk=kwargs.get("pk")).first()


def _own_record(request: HttpRequest, kwargs: dict) -> models.Model | None:
    return Patient.objects.filter(user_id=request.user.pk).first()


@dataclass(frozen=True)
class Access:
    kind: str  # READ or EXPORT
    record: Callable[[HttpRequest, dict], models.Model | None]


# Pages whose 200 answer is a read or an export of a patient's record, by URL name. A name
# the URLconf does not have (yet) is simply never matched.
ACCESS_LOGGED: dict[str, Access] = {
    "patients:patient_detail": Access(READ, _patient_from_pk),
    "patients:assignment_detail": Access(READ, _assignment_from_pk),
    "patients:assignment_print": Access(READ, _assignment_from_pk),
    "patients:patient_export_csv": Access(EXPORT, _patient_from_pk),
    "patients:patient_export_fhir": Access(EXPORT, _patient_from_pk),
    "patients:export_csv": Access(EXPORT, _patient_from_pk),
    "patients:export_fhir": Access(EXPORT, _patient_from_pk),
    # The patient's own download of all their data.
    "patients:my_data_json": Access(EXPORT, _own_record),
    "patients:my_data_csv": Access(EXPORT, _own_record),
}


def log_access(
    *,
    instance: models.Model,
    kind: str,
    page: str = "",
    actor=None,
    remote_addr: str | None = None,
) -> LogEntry:
    """An ACCESS entry for ``instance``. Inside a request the actor and address come from
    auditlog's request context (``AuditMiddleware``); elsewhere pass them."""
    return LogEntry.objects.log_create(
        instance,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        changes=None,
        actor=actor,
        actor_email=getattr(actor, "email", None) or None,
        remote_addr=remote_addr,
        additional_data={"access": kind, "page": page},
    )


def _record_access(request: HttpRequest, response: HttpResponse) -> None:
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or user is None or not user.is_authenticated:
        return
    access = ACCESS_LOGGED.get(match.view_name)
    if access is None or response.status_code != 200 or request.method not in ("GET", "HEAD"):
        return
    instance = access.record(request, match.kwargs)
    if instance is not None:
        log_access(instance=instance, kind=access.kind, page=match.view_name)


# Answers of the invitation view that mean "this link did not sign anyone in".
LINK_REFUSED = {400, 410, 429}


def _record_link_failure(request: HttpRequest, response: HttpResponse) -> None:
    match = getattr(request, "resolver_match", None)
    if (
        match is None
        or match.view_name != "patients:invitation"
        or request.method != "POST"
        or response.status_code not in LINK_REFUSED
    ):
        return
    from .services.invitations import invitation_for_token

    invitation = invitation_for_token(match.kwargs.get("token", ""))
    record_auth_event(
        kind=AuthEvent.Kind.LOGIN_FAILED,
        request=request,
        user=invitation.patient.user if invitation is not None else None,
    )


class AuditMiddleware(AuditlogMiddleware):
    """auditlog's middleware (actor, client address and correlation id on every entry of
    the request), with two changes:

    - the client address is the one the rate limits use (``users.audit.client_ip``):
      auditlog's own takes the first X-Forwarded-For entry, which any client can forge;
    - after the view, reads and exports of patient records, and refused invitation links,
      are recorded (see the module docstring).
    """

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            return None
        return client_ip(request)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        set_cid(request)
        with set_extra_data(context_data=self.get_extra_data(request)):
            response = self.get_response(request)
            _record_access(request, response)
            _record_link_failure(request, response)
            return response


# --- Erasure ---------------------------------------------------------------------------------


def redact_entries(*, records: dict[type[models.Model], list[int]], actor_ids: list[int]) -> int:
    """Empty the earlier audit entries about erased records of their content.

    What stays: which kind of record, its id, the action, who did it and when, and the
    names of the fields that changed. What goes: the values, the record's description
    (a patient's name), the serialized copy, and the erased person's own email address
    where they were the actor. Returns how many entries were emptied.
    """
    redacted = 0
    for model, ids in records.items():
        if not ids:
            continue
        content_type = ContentType.objects.get_for_model(model)
        label = model._meta.verbose_name
        entries = list(
            LogEntry.objects.filter(content_type=content_type, object_id__in=ids).only(
                "pk", "object_pk", "changes"
            )
        )
        for entry in entries:
            changes = entry.changes if isinstance(entry.changes, dict) else {}
            entry.changes = {field: [ERASED, ERASED] for field in changes} or None
            entry.changes_text = ""
            entry.object_repr = f"{label} #{entry.object_pk} {ERASED}"
            entry.serialized_data = None
        LogEntry.objects.bulk_update(
            entries,
            ["changes", "changes_text", "object_repr", "serialized_data"],
            batch_size=500,
        )
        redacted += len(entries)
    if actor_ids:
        LogEntry.objects.filter(actor_id__in=actor_ids).exclude(actor_email=None).update(
            actor_email=None
        )
    return redacted


def log_erasure(
    *,
    patient_id: int,
    user_id: int,
    erased_by,
    deleted: dict[str, int],
    redacted: int,
    remote_addr: str | None = None,
) -> LogEntry:
    """The erasure itself: who, when, which record ids, how many rows. No personal data."""
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Patient),
        object_pk=str(patient_id),
        object_id=patient_id,
        object_repr=f"{Patient._meta.verbose_name} #{patient_id} {ERASED}",
        action=LogEntry.Action.DELETE,
        changes=None,
        actor=erased_by,
        actor_email=getattr(erased_by, "email", None) or None,
        remote_addr=remote_addr,
        additional_data={
            "erasure": {
                "patient_id": patient_id,
                "user_id": user_id,
                "deleted": deleted,
                "audit_entries_redacted": redacted,
            }
        },
    )
