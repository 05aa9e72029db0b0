"""Reminder schedules and their deliveries."""

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from programs import weekdays

from ..schedule import next_occurrence
from .assignment import Assignment
from .choices import Channel
from .outcomes import OutcomePlan
from .patient import Patient


class ReminderSchedule(models.Model):
    """One reminder time of an assignment, in the patient's local time.

    ``next_due_at`` (UTC) is computed from the local time in the patient's zone; the
    dispatcher (reminders issue) scans it through its index.
    """

    Channel = Channel

    class Kind(models.TextChoices):
        EXERCISE = "exercise", _("Exercise reminder")
        PAIN_CHECK_IN = "pain", _("Pain check-in")
        # Due on the occasions of the assignment's outcome plan, not daily (OutcomePlan).
        OUTCOME = "outcome", _("Questionnaire reminder")

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="reminder_schedules"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.EXERCISE)
    local_time = models.TimeField(_("time"))
    # What the clinician set: a patient may move the reminder within a window around it.
    original_local_time = models.TimeField(_("time set by the clinician"), null=True, blank=True)
    weekdays = models.PositiveSmallIntegerField(_("days"), default=weekdays.ALL_DAYS)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    paused = models.BooleanField(_("paused"), default=False)
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["local_time", "id"]
        verbose_name = _("reminder schedule")
        verbose_name_plural = _("reminder schedules")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "kind", "local_time"],
                name="patients_reminderschedule_unique_time",
            ),
            models.CheckConstraint(
                condition=models.Q(weekdays__gte=1, weekdays__lte=weekdays.ALL_DAYS),
                name="patients_reminderschedule_weekdays_range",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.OUTCOME:
            return _("%(time)s on the questionnaire dates") % {"time": f"{self.local_time:%H:%M}"}
        return f"{self.local_time:%H:%M} {weekdays.describe(self.weekdays)}"

    def get_additional_data(self) -> dict:
        # Written on each audit entry of this row: the erasure finds the entries of the
        # patient's rows by it, even of rows deleted long before (patients/audit.py).
        return {"patient_id": self.assignment.patient_id}

    def next_occurrence_after(self, moment: datetime.datetime) -> datetime.datetime | None:
        """The next time this reminder is due after ``moment`` (UTC), in the patient's zone,
        within the assignment's dates."""
        assignment = self.assignment
        if self.kind == self.Kind.OUTCOME:
            plan = OutcomePlan.objects.filter(assignment_id=assignment.pk).first()
            return plan.next_due_after(moment) if plan else None
        return next_occurrence(
            local_time=self.local_time,
            days=self.weekdays,
            zone=str(assignment.patient.time_zone),
            after=moment,
            starts_on=assignment.starts_on,
            ends_on=assignment.ends_on,
        )


class Delivery(models.Model):
    """One reminder occurrence and its outcome. The database, not the broker, is the
    source of truth: a delivery exists before its task is queued, and the unique
    (schedule, occurrence) pair means a retry or a second dispatcher sends nothing twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    class Kind(models.TextChoices):
        EXERCISE = "exercise", _("Exercise reminder")
        PAIN_CHECK_IN = "pain", _("Pain check-in")
        OUTCOME = "outcome", _("Questionnaire reminder")
        TEST = "test", _("Test reminder")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="deliveries")
    schedule = models.ForeignKey(
        ReminderSchedule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    channel = models.CharField(
        _("channel"), max_length=10, choices=ReminderSchedule.Channel.choices
    )
    occurrence = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurrence", "-id"]
        verbose_name = _("reminder delivery")
        verbose_name_plural = _("reminder deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "occurrence"], name="patients_delivery_once_per_occurrence"
            )
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="patients_delivery_status_idx"),
            models.Index(fields=["patient", "-occurrence"], name="patients_delivery_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurrence:%Y-%m-%d %H:%M} ({self.status})"
