"""A patient's record for other software: a CSV of every log, and a FHIR R4 Bundle.

CSV: one row per pain log and per exercise session logged, oldest first, in the patient's
local time. Text a patient typed (notes, reasons) is data, never a formula (OWASP, "CSV
injection"): ``neutralise`` puts a single quote, which spreadsheet programs show as text,
before a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, and
before each such character that follows a separator inside the cell (``,`` or ``;``, a tab
or a line break, then optional spaces): a spreadsheet that splits on semicolons ignores
the quoting of a comma-separated file and would start a new cell there. The patient's own
download (patients.services.rights) uses the same function.

FHIR: a Bundle of type "collection" holding the Patient, each pain score as an Observation
coded LOINC 72514-3 (docs/clinical.md, exports), each program as a CarePlan, and the
questionnaires answered as Questionnaire and QuestionnaireResponse resources. Entries
are linked by ``urn:uuid:`` full URLs that are stable for a given site and record, so a
second export of the same record names the same resources.
"""

from __future__ import annotations

import csv
import datetime
import heapq
import re
import uuid
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Assignment, ExerciseLog, PainLog, Patient

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A formula character after a separator (comma, semicolon, tab, line break) and spaces.
_FORMULA_AFTER_SEPARATOR = re.compile(r"([,;\t\r\n][ ]*)(?=[=+\-@])")

LOINC = "http://loinc.org"
PAIN_LOINC = "72514-3"
PAIN_LOINC_DISPLAY = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
# The side of a pain log's body site, as SNOMED CT laterality qualifier values (the
# "Laterality" value set: 7771000 |Left|, 24028007 |Right|, 51440002 |Right and left|).
# FHIR R4 has no laterality element on Observation.bodySite: it travels in the laterality
# qualifier extension (HL7 mCODE, allowed on Observation.bodySite), the text keeps it too.
SNOMED = "http://snomed.info/sct"
LATERALITY_SNOMED = {
    PainLog.Side.LEFT: {"code": "7771000", "display": "Left"},
    PainLog.Side.RIGHT: {"code": "24028007", "display": "Right"},
    PainLog.Side.BOTH: {"code": "51440002", "display": "Right and left"},
}
LATERALITY_EXTENSION = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CAREPLAN_STATUS = {
    Assignment.Status.ACTIVE: "active",
    Assignment.Status.PAUSED: "on-hold",
    Assignment.Status.ENDED: "completed",
}
ACTIVITY_STATUS = {
    Assignment.Status.ACTIVE: "in-progress",
    Assignment.Status.PAUSED: "on-hold",
    Assignment.Status.ENDED: "completed",
}


def export_filename(patient: Patient, suffix: str, today: datetime.date | None = None) -> str:
    """``patient-12-record-2025-03-05.csv``: no name in it (file names travel in emails)."""
    day = (today or timezone.localdate()).isoformat()
    return f"patient-{patient.pk}-{suffix}-{day}"


# --- CSV -------------------------------------------------------------------------------------


def neutralise(value):
    """A cell as written to a CSV: text that a spreadsheet would run as a formula, whether
    it splits on commas or on semicolons, gets a single quote before each formula
    character that starts the cell or follows a separator; numbers and empty cells are
    left alone."""
    if not isinstance(value, str):
        return value
    text = _FORMULA_AFTER_SEPARATOR.sub(r"\1'", value)
    if text.lstrip(" ").startswith(FORMULA_STARTS):
        text = "'" + text
    return text


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("yes") if value else _("no")


def csv_header() -> list[str]:
    return [
        _("record"),
        _("date"),
        _("local time"),
        _("program"),
        _("pain score (0-10)"),
        _("where"),
        _("side"),
        _("when"),
        _("note"),
        _("exercise"),
        _("session"),
        _("status"),
        _("how hard"),
        _("pain during (0-10)"),
        _("reason for skipping"),
        _("added later"),
        _("one calf newly swollen, warm or red"),
        _("new shortness of breath, chest pain or coughing blood"),
        _("recent surgery, a cast or long immobilisation"),
        # The pain drawing: every body chart area marked, each with its side.
        _("marked on the body chart"),
    ]


def _pain_rows(patient: Patient, zone) -> Iterator[tuple]:
    logs = (
        PainLog.objects.filter(patient=patient)
        .select_related("region", "assignment")
        .order_by("recorded_for", "id")
    )
    for log in logs.iterator(chunk_size=2000):
        local = log.recorded_for.astimezone(zone)
        where = str(log.region) if log.region else log.region_other
        row = [
            _("pain"),
            local.date().isoformat(),
            local.strftime("%H:%M"),
            log.assignment.title if log.assignment else "",
            log.score,
            where,
            log.get_side_display() if log.side else "",
            log.get_timing_display() if log.timing else "",
            log.note,
            "",
            "",
            "",
            "",
            "",
            "",
            _yes_no(log.is_late),
            _yes_no(log.calf_swollen_warm_red),
            _yes_no(log.chest_symptoms),
            _yes_no(log.recent_immobilisation),
            log.areas_text,
        ]
        yield (local.date(), 0, local.time(), log.pk), row


def _exercise_rows(patient: Patient) -> Iterator[tuple]:
    logs = (
        ExerciseLog.objects.filter(patient=patient)
        .select_related("item", "assignment")
        .order_by("performed_on", "item__order", "item_id", "session", "id")
    )
    for log in logs.iterator(chunk_size=2000):
        row = [
            _("exercise"),
            log.performed_on.isoformat(),
            "",
            log.assignment.title,
            "",
            "",
            "",
            "",
            "",
            log.item.name,
            log.session,
            log.get_status_display(),
            log.get_difficulty_display() if log.difficulty else "",
            "" if log.pain_during is None else log.pain_during,
            log.skip_reason,
            _yes_no(log.is_late),
            "",
            "",
            "",
            "",
        ]
        # Exercise sessions of a day come after that day's pain scores.
        yield (log.performed_on, 1, datetime.time.min, log.pk), row


def csv_rows(patient: Patient) -> Iterator[list]:
    """The header, then every pain log and exercise log of the patient, oldest day first,
    every cell neutralised, and each answered questionnaire (patients/exports_outcomes.py).
    Two queries, read in chunks, and three for the questionnaires."""
    from . import exports_outcomes  # it builds on this module's helpers

    zone = patient.zone
    width = len(csv_header())
    header = csv_header() + exports_outcomes.csv_columns()
    yield header
    merged = heapq.merge(
        _pain_rows(patient, zone),
        _exercise_rows(patient),
        exports_outcomes.csv_rows(patient, zone, width=width),
        key=lambda r: r[0],
    )
    for _key, row in merged:
        yield [neutralise(cell) for cell in row + [""] * (len(header) - len(row))]


class _Echo:
    """A file-like object whose write returns the line (for a streaming response)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte order mark: spreadsheet programs then read UTF-8 names right
    for row in rows:
        yield writer.writerow(row)


# --- FHIR R4 ----------------------------------------------------------------------------------


def fhir_urn(kind: str, pk: int) -> str:
    """A stable identifier of one row in the bundle: the same row gives the same URN in every
    export of this site, so a receiving system can recognise it."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/{kind}/{pk}"))


def fhir_instant(moment: datetime.datetime, zone: datetime.tzinfo) -> str:
    """An instant as FHIR writes it, in the patient's zone with its offset, to the second."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _patient_resource(patient: Patient) -> dict:
    user = patient.user
    resource: dict = {
        "resourceType": "Patient",
        "identifier": [{"system": f"{settings.SITE_URL}/patients", "value": str(patient.pk)}],
    }
    name: dict = {"use": "official"}
    if user.last_name.strip():
        name["family"] = user.last_name.strip()
    if user.first_name.strip():
        name["given"] = [user.first_name.strip()]
    full = user.get_full_name().strip()
    name["text"] = full or user.username
    resource["name"] = [name]
    telecom = []
    if user.email:
        telecom.append({"system": "email", "value": user.email, "use": "home"})
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone.as_e164, "use": "mobile"})
    if telecom:
        resource["telecom"] = telecom
    return resource


def _observation(log: PainLog, subject: str, zone) -> dict:
    resource: dict = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "code": {
            "coding": [{"system": LOINC, "code": PAIN_LOINC, "display": PAIN_LOINC_DISPLAY}],
            "text": "Pain severity (0-10)",
        },
        "subject": {"reference": subject},
        "effectiveDateTime": fhir_instant(log.recorded_for, zone),
        "issued": fhir_instant(log.logged_at, zone),
        "valueInteger": log.score,
    }
    where = log.where.strip()
    if where:
        resource["bodySite"] = {"text": where}
        if log.side:
            resource["bodySite"]["extension"] = [
                {
                    "url": LATERALITY_EXTENSION,
                    "valueCodeableConcept": {
                        "coding": [{"system": SNOMED, **LATERALITY_SNOMED[log.side]}],
                        "text": log.get_side_display(),
                    },
                }
            ]
    if log.note.strip():
        resource["note"] = [{"text": log.note.strip()}]
    return resource


def _dosage_text(item) -> str:
    words = [item.dosage_words, item.days_words]
    return " · ".join(str(w) for w in words if w)


def _care_plan(assignment: Assignment, subject: str, zone) -> dict:
    period = {"start": assignment.starts_on.isoformat()}
    if assignment.ends_on:
        period["end"] = assignment.ends_on.isoformat()
    status = ACTIVITY_STATUS[assignment.status]
    if (
        assignment.status == Assignment.Status.ACTIVE
        and assignment.starts_on > timezone.localdate()
    ):
        status = "not-started"
    resource: dict = {
        "resourceType": "CarePlan",
        "status": CAREPLAN_STATUS[assignment.status],
        "intent": "plan",
        "title": assignment.title,
        "subject": {"reference": subject},
        "period": period,
        "created": fhir_instant(assignment.created_at, zone),
    }
    activities = [
        {
            "detail": {
                "code": {"text": item.name},
                "status": status,
                "description": _dosage_text(item) or item.name,
            }
        }
        for item in assignment.items.all()
    ]
    if activities:
        resource["activity"] = activities
    return resource


def fhir_bundle(patient: Patient, *, now: datetime.datetime | None = None) -> dict:
    """The patient's FHIR R4 Bundle (type "collection"). Three queries, and a few for
    the questionnaires (not one per answer)."""
    zone = patient.zone
    subject = fhir_urn("patients", patient.pk)
    entries = [{"fullUrl": subject, "resource": _patient_resource(patient)}]
    for log in (
        PainLog.objects.filter(patient=patient).select_related("region").order_by("recorded_for")
    ):
        entries.append(
            {"fullUrl": fhir_urn("pain-logs", log.pk), "resource": _observation(log, subject, zone)}
        )
    for assignment in patient.assignments.prefetch_related("items").order_by("starts_on", "id"):
        entries.append(
            {
                "fullUrl": fhir_urn("assignments", assignment.pk),
                "resource": _care_plan(assignment, subject, zone),
            }
        )
    from .exports_outcomes import fhir_entries  # it builds on this module's helpers

    entries += fhir_entries(patient, subject, zone)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": fhir_instant(now or timezone.now(), zone),
        "entry": entries,
    }
