"""Alerts for clinicians: raising the computed ones, resolving them, acknowledging, notifying.

Five kinds (``Alert.Kind``):

- **red flag**: raised by the pain service the moment a safety answer is "yes"
  (``services.pain``). Urgent, each its own, and only a clinician acknowledges it.
- **pain rising**: the mean pain of the last seven days is a clinically important change
  *above* the program's baseline (≥ 2 points or ≥ 30%; ``clinical.pain_change``).
- **no activity**: nothing logged (exercise or pain) for 3 days or more, for a patient with
  an active program that started at least 3 days ago.
- **too hard**: the same assigned exercise reported "too hard" at least twice in the last
  14 days (one alert per exercise).
- **program ending**: an active program ends within the next seven days (today to today
  + 7, as the dashboard's filter).

The last four are computed by ``alerts_evaluate`` (a Celery beat task every 15 minutes).
Each has a ``dedupe_key`` naming what it is about; the partial unique constraint allows one
open alert per (patient, kind, key), so a second evaluator running at once cannot raise it
twice. An alert is an *episode*: raised when its condition appears, it is resolved
(acknowledged with a system note) when the condition clears. A clinician who acknowledges
it while the condition lasts is not alerted again until the condition has cleared and come
back (``cleared_at`` marks the end of the episode).
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from users.emails import send_templated_email

from .. import clinical
from ..models import Alert, Assignment, ExerciseLog, Patient
from .attention import attention_refresh

COMPUTED_KINDS = (
    Alert.Kind.PAIN_RISING,
    Alert.Kind.NO_ACTIVITY,
    Alert.Kind.TOO_HARD,
    Alert.Kind.PROGRAM_ENDING,
)
SEVERITY = {
    Alert.Kind.RED_FLAG: Alert.Severity.URGENT,
    Alert.Kind.PAIN_RISING: Alert.Severity.HIGH,
    Alert.Kind.NO_ACTIVITY: Alert.Severity.NORMAL,
    Alert.Kind.TOO_HARD: Alert.Severity.NORMAL,
    Alert.Kind.PROGRAM_ENDING: Alert.Severity.NORMAL,
}
TOO_HARD_TIMES = 2
TOO_HARD_WINDOW_DAYS = 14


# --- finding and acknowledging ----------------------------------------------------------------


def alert_acknowledge(*, alert: Alert, by, note: str, now: datetime.datetime | None = None) -> bool:
    """Record that ``by`` saw the alert, with their note. False when it was already
    acknowledged (by someone else, or the evaluator): the first acknowledgement is kept.

    The row is locked and saved (not updated in bulk) so the audit trail records the change
    and who made it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Alert.objects.select_for_update()
            .filter(pk=alert.pk, acknowledged_at__isnull=True)
            .first()
        )
        if locked is None:
            return False
        locked.acknowledged_at, locked.acknowledged_by = now, by
        locked.acknowledgement_note = note.strip()[:2000]
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledgement_note"])
        attention_refresh(patient_ids=[locked.patient_id])  # the dashboard's kept order
    alert.acknowledged_at, alert.acknowledged_by = now, by
    alert.acknowledgement_note = locked.acknowledgement_note
    return True


def alert_notify_clinician(*, alert_id: int) -> bool:
    """Email the clinician that an urgent alert is waiting. The email carries no health
    details and no patient name: only a link to the patient's page behind sign-in."""
    alert = (
        Alert.objects.select_related("patient__clinician")
        .filter(pk=alert_id, acknowledged_at__isnull=True)
        .first()
    )
    if alert is None:
        return False
    clinician = alert.patient.clinician
    if not clinician.email:
        return False
    link = settings.SITE_URL + reverse("patients:patient_detail", kwargs={"pk": alert.patient_id})
    send_templated_email(
        template="patients/email/urgent_alert",
        context={
            "clinician_first_name": clinician.first_name,
            "raised_at": timezone.localtime(alert.created_at),
            "link": link,
        },
        to=[clinician.email],
    )
    return True


# --- evaluating the computed alerts ---------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A computed alert's condition, true now for one patient."""

    patient_id: int
    kind: str
    key: str
    message: str

    @property
    def identity(self) -> tuple[int, str, str]:
        return (self.patient_id, self.kind, self.key)


@dataclass(frozen=True)
class Evaluation:
    raised: int
    resolved: int


def _day(value: datetime.date) -> str:
    return date_format(value, "DATE_FORMAT")


def _pain_rising(scope: QuerySet[Patient], today: datetime.date, zone) -> list[Finding]:
    programs = (
        Assignment.objects.current_on(today)
        .filter(patient__in=scope)
        .annotate(
            baseline=clinical.baseline_expression(),
            recent=clinical.pain_average_expression(
                since=clinical.pain_average_since(today, zone), patient="patient_id"
            ),
        )
        .filter(baseline__isnull=False, recent__isnull=False)
        .values_list("pk", "patient_id", "title", "baseline", "recent")
    )
    findings = []
    for pk, patient_id, title, baseline, recent in programs:
        change = clinical.pain_change(baseline=baseline, current=recent)
        if change and change.important and change.worsening:
            findings.append(
                Finding(
                    patient_id,
                    Alert.Kind.PAIN_RISING,
                    f"assignment:{pk}",
                    _(
                        "Pain is rising in “%(title)s”: %(recent).1f on average over the "
                        "last 7 days against a baseline of %(baseline).1f."
                    )
                    % {"title": title, "recent": recent, "baseline": baseline},
                )
            )
    return findings


def _no_activity(scope: QuerySet[Patient], today: datetime.date, zone) -> list[Finding]:
    cutoff = today - datetime.timedelta(days=clinical.INACTIVE_DAYS)
    active_programs = Assignment.objects.current_on(today).filter(patient_id=OuterRef("pk"))
    patients = (
        scope.filter(Exists(active_programs))
        # The patient's own local days (the kept ``Patient.last_activity_on`` is the clinic's).
        .annotate(
            last_active_on=clinical.last_activity_expression(zone=zone),
            program_since=Subquery(active_programs.order_by("starts_on").values("starts_on")[:1]),
        )
        .filter(
            Q(last_active_on__lte=cutoff)
            | Q(last_active_on__isnull=True, program_since__lte=cutoff)
        )
        .values_list("pk", "last_active_on", "program_since")
    )
    findings = []
    for patient_id, last_activity_on, program_since in patients:
        if last_activity_on:
            message = _("Nothing logged since %(day)s.") % {"day": _day(last_activity_on)}
        else:
            message = _("Nothing logged since the program started on %(day)s.") % {
                "day": _day(program_since)
            }
        findings.append(Finding(patient_id, Alert.Kind.NO_ACTIVITY, "patient", message))
    return findings


def _too_hard(scope: QuerySet[Patient], today: datetime.date) -> list[Finding]:
    since = today - datetime.timedelta(days=TOO_HARD_WINDOW_DAYS - 1)
    reports = (
        ExerciseLog.objects.filter(
            patient__in=scope,
            difficulty=ExerciseLog.Difficulty.TOO_HARD,
            performed_on__range=(since, today),
            # A replaced exercise (made easier) is no longer the patient's to do.
            item__replaced_on__isnull=True,
        )
        .exclude(assignment__status=Assignment.Status.ENDED)
        .order_by()
        .values("patient_id", "item_id", "item__name")
        .annotate(times=Count("id"))
        .filter(times__gte=TOO_HARD_TIMES)
    )
    return [
        Finding(
            report["patient_id"],
            Alert.Kind.TOO_HARD,
            f"item:{report['item_id']}",
            _("“%(name)s” was reported too hard at least twice in the last %(days)d days.")
            % {"name": report["item__name"], "days": TOO_HARD_WINDOW_DAYS},
        )
        for report in reports
    ]


def _program_ending(scope: QuerySet[Patient], today: datetime.date) -> list[Finding]:
    programs = Assignment.objects.filter(
        patient__in=scope,
        status=Assignment.Status.ACTIVE,
        ends_on__range=(today, today + datetime.timedelta(days=clinical.ENDING_WITHIN_DAYS)),
    ).values_list("pk", "patient_id", "title", "ends_on")
    return [
        # The end date is in the key: moving it is a new episode with a true message.
        Finding(
            patient_id,
            Alert.Kind.PROGRAM_ENDING,
            f"assignment:{pk}:{ends_on.isoformat()}",
            _("“%(title)s” ends on %(day)s.") % {"title": title, "day": _day(ends_on)},
        )
        for pk, patient_id, title, ends_on in programs
    ]


def alert_findings(
    *, scope: QuerySet[Patient], today: datetime.date, zone=None
) -> dict[tuple[int, str, str], Finding]:
    """Every computed alert's condition true on ``today`` for the patients in ``scope``."""
    zone = zone or timezone.get_current_timezone()
    findings = [
        *_pain_rising(scope, today, zone),
        *_no_activity(scope, today, zone),
        *_too_hard(scope, today),
        *_program_ending(scope, today),
    ]
    return {finding.identity: finding for finding in findings}


def alerts_evaluate(
    *,
    patient: Patient | None = None,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Evaluation:
    """Raise the computed alerts whose condition holds and resolve those whose condition
    cleared, for one patient or all. Idempotent: running it again changes nothing.

    ``today`` defaults to each patient's own local date (patients are taken a time zone
    at a time). Red flags are never touched: only a clinician acknowledges them.
    """
    now = now or timezone.now()
    patients = Patient.objects.all() if patient is None else Patient.objects.filter(pk=patient.pk)
    findings: dict[tuple[int, str, str], Finding] = {}
    zones = sorted({str(z) for z in patients.order_by().values_list("time_zone", flat=True)})
    for name in zones:
        zone = zoneinfo.ZoneInfo(name)
        local_today = today or now.astimezone(zone).date()
        scope = patients.filter(time_zone=name)
        findings |= alert_findings(scope=scope, today=local_today, zone=zone)

    with transaction.atomic():
        # The current episode of each computed alert: open, or acknowledged by a clinician
        # while its condition lasts.
        episodes = list(
            Alert.objects.filter(
                patient__in=patients, kind__in=COMPUTED_KINDS, cleared_at__isnull=True
            ).values_list("pk", "patient_id", "kind", "dedupe_key", "acknowledged_at")
        )
        cleared = [row for row in episodes if (row[1], row[2], row[3]) not in findings]
        note = _("Resolved automatically: the condition no longer holds.")
        resolved = Alert.objects.filter(
            pk__in=[row[0] for row in cleared if row[4] is None], acknowledged_at__isnull=True
        ).update(acknowledged_at=now, acknowledgement_note=note, cleared_at=now)
        Alert.objects.filter(pk__in=[row[0] for row in cleared if row[4] is not None]).update(
            cleared_at=now
        )
        ongoing = {(row[1], row[2], row[3]) for row in episodes} - {
            (row[1], row[2], row[3]) for row in cleared
        }
        new = [
            Alert(
                patient_id=finding.patient_id,
                kind=finding.kind,
                severity=SEVERITY[finding.kind],
                message=finding.message[:500],
                dedupe_key=finding.key[:100],
            )
            for identity, finding in findings.items()
            if identity not in ongoing
        ]
        # The partial unique constraint (one open alert per patient, kind and key) turns a
        # concurrent evaluator's duplicate into a no-op.
        Alert.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        # The dashboard's kept order, for the patients whose alerts changed.
        attention_refresh(
            patient_ids={row[1] for row in cleared if row[4] is None}
            | {alert.patient_id for alert in new}
        )
    return Evaluation(raised=len(new), resolved=resolved)
