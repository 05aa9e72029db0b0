"""The audit trail of patient data, kept by django-auditlog (``auditlog.LogEntry``).

- Every change: the patient models are registered with auditlog (``register``), so each
  create, update and delete leaves a row with the changed fields, the actor and the
  client address. Secrets (an invitation's token hash) and derived noise (the next due
  time of a reminder, ``updated_at``) are left out. Reminder deliveries are not logged
  row by row: the dispatcher writes them by the thousand and they hold no personal data.
- Every read of a patient's record by a clinician, and every export: ``AuditMiddleware``
  writes an ACCESS entry (auditlog's action for reads, the one its ``accessed`` signal
  writes) when a page in ``ACCESS_LOGGED`` answers 200 (to a GET, or to a POST that shows
  the page again with an error), naming the actor, the record, the client address and
  the time, and in ``additional_data`` the page and whether it was a read or an export.
  Doing it in the middleware keeps the views free of audit code and covers an export
  added later by adding its URL name here. Every clinic page (/clinic/...) is either in
  ``ACCESS_LOGGED``, lists patients (below), or in ``NOT_A_READ`` with the reason. A page
  that has read the record already hands it over (``record_shown``): it is not read twice.
- A page that lists several patients (the dashboard, /clinic/) says whom it showed
  (``patients_shown``): one ACCESS entry per patient on the page, kind ``list``, written
  in one query. A patient asking who saw their data finds the dashboard views too.
- Failed sign-ins by invitation link: the same middleware records them in the sign-in log
  (``users.audit.AuthEvent``), beside allauth's password and code sign-ins.
- Every entry about a patient's row carries the patient's id in ``additional_data``
  (``patient_id``, from each model's ``get_additional_data``), and every entry with an
  actor a snapshot of the actor's username and name (users.audit): deleting an account
  never blanks who did what.
- Erasure (``patients.services.rights.patient_erase``): one DELETE entry with counts and
  ids only, and every earlier entry about the patient emptied of its content: the entries
  of the rows erased, and of rows deleted before (an undone exercise log), found by the
  ``patient_id`` they carry or, for entries written before it was recorded, by the patient
  or program their changes point at.

The trail is append-only for everyone else: the admin shows it read-only (users.admin),
and no code but the erasure rewrites an entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from auditlog.cid import get_cid, set_cid
from auditlog.context import set_extra_data
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from users.audit import AuthEvent, actor_snapshot, client_ip, record_auth_event

from .models import (
    Alert,
    Assignment,
    AssignmentItem,
    ExerciseLog,
    Invitation,
    OutcomeAnswer,
    OutcomePlan,
    OutcomeResponse,
    PainLog,
    Patient,
    ReminderSchedule,
)

READ = "read"
EXPORT = "export"
LIST = "list"
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
    OutcomePlan: ["updated_at"],
    OutcomeResponse: [],
    OutcomeAnswer: [],
}


def register() -> None:
    """Log every change of the patient models (called from PatientsConfig.ready)."""
    from auditlog.registry import auditlog

    for model, excluded in REGISTERED.items():
        auditlog.register(model, exclude_fields=list(excluded))


# --- Reads and exports ---------------------------------------------------------------------


def _patient_from_pk(request: HttpRequest, kwargs: dict) -> models.Model | None:
    shown = getattr(request, RECORD_SHOWN, None)
    if isinstance(shown, Patient) and str(shown.pk) == str(kwargs.get("pk")):
        return shown  # the page read it already (record_shown)
    return Patient.objects.filter(pk=kwargs.get("pk")).first()


def _assignment_from_pk(request: HttpRequest, kwargs: dict) -> models.Model | None:
    return Assignment.objects.filter(pk=kwargs.get("pk")).first()


def _own_record(request: HttpRequest, kwargs: dict) -> models.Model | None:
    return Patient.objects.filter(user_id=request.user.pk).first()


def _assignment_item_from_pk(request: HttpRequest, kwargs: dict) -> models.Model | None:
    return AssignmentItem.objects.select_related("assignment").filter(pk=kwargs.get("pk")).first()


def _patient_of_alert(request: HttpRequest, kwargs: dict) -> models.Model | None:
    return Patient.objects.filter(alerts__pk=kwargs.get("pk")).first()


@dataclass(frozen=True)
class Access:
    kind: str  # READ or EXPORT
    record: Callable[[HttpRequest, dict], models.Model | None]


# Pages whose 200 answer is a read or an export of a patient's record, by URL name. A name
# the URLconf does not have (yet) is simply never matched.
ACCESS_LOGGED: dict[str, Access] = {
    "patients:patient_detail": Access(READ, _patient_from_pk),
    "patients:patient_edit": Access(READ, _patient_from_pk),
    "patients:assign": Access(READ, _patient_from_pk),
    "patients:patient_starter": Access(READ, _patient_from_pk),
    "patients:patient_erase": Access(READ, _patient_from_pk),
    # A refused acknowledgement shows the patient's page again, with the error.
    "patients:alert_acknowledge": Access(READ, _patient_of_alert),
    "patients:assignment_detail": Access(READ, _assignment_from_pk),
    "patients:assignment_edit": Access(READ, _assignment_from_pk),
    "patients:assignment_outcomes": Access(READ, _assignment_from_pk),
    "patients:assignment_item_edit": Access(READ, _assignment_item_from_pk),
    "patients:assignment_print": Access(READ, _assignment_from_pk),
    "patients:patient_export_csv": Access(EXPORT, _patient_from_pk),
    "patients:patient_export_fhir": Access(EXPORT, _patient_from_pk),
    "patients:export_csv": Access(EXPORT, _patient_from_pk),
    "patients:export_fhir": Access(EXPORT, _patient_from_pk),
    # The patient's own download of all their data.
    "patients:my_data_json": Access(EXPORT, _own_record),
    "patients:my_data_csv": Access(EXPORT, _own_record),
}

# Clinic pages that write no read entry, and why (tests/security/test_audit.py checks that
# every /clinic/ page is here, in ACCESS_LOGGED, or lists patients).
NOT_A_READ: dict[str, str] = {
    "patients:clinic": "lists patients: one entry per patient shown (patients_shown)",
    "patients:patient_create": "a new patient's form: no record shown yet",
    "patients:patient_invite": "POST only, answered by a redirect to the patient's page",
    "patients:patient_test_reminder": "POST only, answered by a redirect",
    "patients:assignment_status": "POST only, answered by a redirect",
    "patients:patient_unlock": "POST only, answered by a redirect to the patient's page",
    "patients:patient_resume_exercises": "POST only, answered by a redirect to the patient's page",
    "patients:assignment_item_change": "POST only, answered by a redirect",
    "patients:program_assign": "picks one of the clinician's patients by name: no record shown",
}

SHOWN = "_audit_patients_shown"
RECORD_SHOWN = "_audit_record_shown"


def patients_shown(request: HttpRequest, patients: list[Patient]) -> None:
    """A page that lists patients says whom it showed (the records it loaded, with their
    ``user``): when it answers 200, the middleware writes one ACCESS entry per patient
    (kind ``list``)."""
    setattr(request, SHOWN, list(patients))


def record_shown(request: HttpRequest, patient: Patient) -> None:
    """A page that has read the patient it shows (the one its URL names) hands the record
    over, so that the middleware does not read it again for the ACCESS entry."""
    setattr(request, RECORD_SHOWN, patient)


def _patient_of(instance: models.Model) -> dict:
    get_additional_data = getattr(instance, "get_additional_data", None)
    return get_additional_data() if callable(get_additional_data) else {}


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
        additional_data={**_patient_of(instance), "access": kind, "page": page},
    )


def log_list_access(*, request: HttpRequest, patients: list[Patient], page: str, actor) -> int:
    """One ACCESS entry per patient a list page showed, written in one INSERT; returns how
    many. Every field auditlog's context would fill is set here (a bulk insert sends no
    signal)."""
    if not patients:
        return 0
    shared = {
        "content_type_id": ContentType.objects.get_for_model(Patient).pk,
        "action": LogEntry.Action.ACCESS,
        "actor_id": actor.pk,
        "actor_email": getattr(actor, "email", None) or None,
        "remote_addr": AuditMiddleware._get_remote_addr(request),
        "cid": get_cid(),
        "timestamp": timezone.now(),
        "changes_text": "",
    }
    about = {"access": LIST, "page": page, **actor_snapshot(actor)}
    own = [
        {
            "object_pk": str(patient.pk),
            "object_id": patient.pk,
            "object_repr": str(patient),
            "additional_data": {**_patient_of(patient), **about},
        }
        for patient in patients
    ]
    connection = connections[router.db_for_write(LogEntry)]
    if connection.vendor == "postgresql":
        _insert_from_json(connection, shared, own)
    else:
        _insert_with_orm(shared, own)
    return len(own)


def _insert_with_orm(shared: dict, own: list[dict]) -> None:
    LogEntry.objects.bulk_create([LogEntry(**shared, **row) for row in own])


def _insert_from_json(connection, shared: dict, own: list[dict]) -> None:
    """The entries in one INSERT on PostgreSQL: the values they share as parameters, each
    entry's own as one JSON document (``jsonb_to_recordset``). A list page writes 50 at
    every visit; Django's bulk insert made 50 ``LogEntry`` objects and prepared 750
    values for it, which cost more than the INSERT (bench/README.md). The statement is
    built from the model's fields, so a field added by an auditlog upgrade gets its
    default (or the INSERT fails in the tests, never silently)."""
    quote = connection.ops.quote_name
    fields = [field for field in LogEntry._meta.concrete_fields if not field.primary_key]
    constant = [field for field in fields if field.attname not in own[0]]
    varying = [field for field in fields if field.attname in own[0]]
    sql = "INSERT INTO {} ({}) SELECT {} FROM jsonb_to_recordset(%s::jsonb) AS own({})".format(
        quote(LogEntry._meta.db_table),
        ", ".join(quote(field.column) for field in constant + varying),
        ", ".join(
            [f"CAST(%s AS {field.cast_db_type(connection)})" for field in constant]
            + [f"own.{quote(field.column)}" for field in varying]
        ),
        ", ".join(f"{quote(field.column)} {field.cast_db_type(connection)}" for field in varying),
    )
    params = [
        field.get_db_prep_save(
            shared[field.attname] if field.attname in shared else field.get_default(),
            connection,
        )
        for field in constant
    ]
    rows = [{field.column: row[field.attname] for field in varying} for row in own]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, json.dumps(rows, cls=DjangoJSONEncoder)])


# Methods whose 200 answer shows a page (a POST answered 200 shows it again, with errors).
SHOWING_METHODS = ("GET", "HEAD", "POST")


def _record_access(request: HttpRequest, response: HttpResponse) -> None:
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or user is None or not user.is_authenticated:
        return
    if response.status_code != 200 or request.method not in SHOWING_METHODS:
        return
    shown = getattr(request, SHOWN, None)
    if shown:
        log_list_access(request=request, patients=shown, page=match.view_name, actor=user)
    access = ACCESS_LOGGED.get(match.view_name)
    if access is None:
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


# Models whose rows point at the patient directly, and those that point at a program.
POINT_AT_PATIENT = (Assignment, ExerciseLog, PainLog, Alert, Invitation)
POINT_AT_ASSIGNMENT = (AssignmentItem, ReminderSchedule)


def _pointing_at(field: str, ids: list[int]) -> Q:
    """Entries whose changes set or cleared ``field`` to one of ``ids`` (auditlog writes
    a foreign key as its id, old value first)."""
    values = [*ids, *(str(pk) for pk in ids)]
    return Q(**{f"changes__{field}__0__in": values}) | Q(**{f"changes__{field}__1__in": values})


def entries_of_patient(
    *, patient_id: int, records: dict[type[models.Model], list[int]]
) -> models.QuerySet:
    """Every audit entry about the patient: of the rows in ``records`` (which exist now),
    of every row that carried the patient's id, and, for entries written before the id was
    recorded, of rows whose changes pointed at the patient or at one of their programs."""
    types = ContentType.objects.get_for_models(*REGISTERED, *records)
    query = Q(additional_data__patient_id=patient_id)
    for model, ids in records.items():
        if ids:
            query |= Q(content_type=types[model], object_id__in=ids)
    query |= Q(content_type__in=[types[m] for m in POINT_AT_PATIENT]) & _pointing_at(
        "patient", [patient_id]
    )
    found = LogEntry.objects.filter(query)
    assignment_ids = set(records.get(Assignment, [])) | set(
        found.filter(content_type=types[Assignment])
        .exclude(object_id=None)
        .values_list("object_id", flat=True)
    )
    if assignment_ids:
        query |= Q(content_type__in=[types[m] for m in POINT_AT_ASSIGNMENT]) & _pointing_at(
            "assignment", sorted(assignment_ids)
        )
    return LogEntry.objects.filter(query)


def redact_entries(
    *,
    patient_id: int,
    records: dict[type[models.Model], list[int]],
    actor_ids: list[int],
    actor_replacement: str,
) -> int:
    """Empty the earlier audit entries about an erased patient of their content.

    What stays: which kind of record, its id, the action, who did it and when, and the
    names of the fields that changed. What goes: the values, the record's description
    (a patient's name), the serialized copy, and, where the erased person was the actor,
    their email address, client address and name (the username snapshot becomes
    ``actor_replacement``).
    Returns how many entries about the patient were emptied.
    """
    labels = {
        content_type.pk: model._meta.verbose_name
        for model, content_type in ContentType.objects.get_for_models(*REGISTERED, *records).items()
    }
    entries = list(
        entries_of_patient(patient_id=patient_id, records=records).only(
            "pk", "content_type_id", "object_pk", "changes"
        )
    )
    for entry in entries:
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        entry.changes = {field: [ERASED, ERASED] for field in changes} or None
        entry.changes_text = ""
        label = labels.get(entry.content_type_id, "")
        entry.object_repr = f"{label} #{entry.object_pk} {ERASED}".strip()
        entry.serialized_data = None
    LogEntry.objects.bulk_update(
        entries,
        ["changes", "changes_text", "object_repr", "serialized_data"],
        batch_size=500,
    )
    if actor_ids:
        acted = list(LogEntry.objects.filter(actor_id__in=actor_ids).only("pk", "additional_data"))
        for entry in acted:
            data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
            if "actor_username" in data or "actor_name" in data:
                data.update(actor_username=actor_replacement, actor_name="")
            entry.additional_data = data or entry.additional_data
            entry.actor_email = None
            # The erased person's own address (their phone's, their home's).
            entry.remote_addr = None
            entry.remote_port = None
        LogEntry.objects.bulk_update(
            acted,
            ["additional_data", "actor_email", "remote_addr", "remote_port"],
            batch_size=500,
        )
    return len(entries)


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
