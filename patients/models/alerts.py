"""Alerts for clinicians."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .logs import PainLog
from .patient import Patient


class Alert(models.Model):
    """Something a clinician should look at. Kept after acknowledgement, with the note."""

    class Kind(models.TextChoices):
        RED_FLAG = "red_flag", _("Red flag")
        PAIN_RISING = "pain_rising", _("Pain rising")
        NO_ACTIVITY = "no_activity", _("No activity")
        TOO_HARD = "too_hard", _("Exercise too hard")
        PROGRAM_ENDING = "program_ending", _("Program ending")

    class Severity(models.IntegerChoices):
        # Higher sorts first on the dashboard.
        URGENT = 30, _("Urgent")
        HIGH = 20, _("High")
        NORMAL = 10, _("Normal")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    message = models.CharField(_("message"), max_length=500)
    # Identifies "the same" alert (e.g. the exercise found too hard) so it is raised once
    # while open; empty for alerts that are each their own (red flags).
    dedupe_key = models.CharField(max_length=100, blank=True)
    pain_log = models.ForeignKey(
        PainLog, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledgement_note = models.TextField(_("note"), max_length=2000, blank=True)
    # Computed alerts (not red flags): when the evaluator found the condition gone. An
    # alert acknowledged by a clinician while its condition lasts is not raised again until
    # the condition has cleared and come back (patients.services.alerts.alerts_evaluate).
    cleared_at = models.DateTimeField(_("condition cleared at"), null=True, blank=True)

    class Meta:
        ordering = ["-severity", "-created_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind", "dedupe_key"],
                condition=models.Q(acknowledged_at__isnull=True) & ~models.Q(dedupe_key=""),
                name="patients_alert_one_open_per_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["patient", "acknowledged_at", "-severity"], name="patients_alert_open_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"

    def get_additional_data(self) -> dict:
        # Written on each audit entry of this row: the erasure finds the entries of the
        # patient's rows by it, even of rows deleted long before (patients/audit.py).
        return {"patient_id": self.patient_id}

    @property
    def resolved_automatically(self) -> bool:
        """Acknowledged by the evaluator (its condition cleared), not by a clinician."""
        return self.acknowledged_at is not None and self.acknowledged_by_id is None
