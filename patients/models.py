"""A person under care: the record, their assignments (own copies of programs) and schedules."""

import datetime
import zoneinfo

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from timezone_field import TimeZoneField

from programs import weekdays
from programs.models import CopiedItem, Program, dosage_constraints
from trigger.models import BodyRegion

from .schedule import next_occurrence


class PatientQuerySet(models.QuerySet):
    def for_clinician(self, user) -> "PatientQuerySet":
        return self.filter(clinician=user)


class Patient(models.Model):
    """The patient record. ``user`` is the login the patient signs in with."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_record"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patients",
        verbose_name=_("clinician"),
    )
    phone = PhoneNumberField(_("mobile number"), blank=True)
    time_zone = TimeZoneField(_("time zone"), default="UTC")
    reminders_paused = models.BooleanField(_("reminders paused"), default=False)
    reminders_stopped_at = models.DateTimeField(_("reminders stopped"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")

    def __str__(self) -> str:
        return str(self.user)

    def get_absolute_url(self) -> str:
        return reverse("patients:patient_detail", kwargs={"pk": self.pk})

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.username

    def local_today(self):
        return timezone.now().astimezone(zoneinfo.ZoneInfo(str(self.time_zone))).date()


class AssignmentQuerySet(models.QuerySet):
    def for_clinician(self, user) -> "AssignmentQuerySet":
        return self.filter(patient__clinician=user)


class Assignment(models.Model):
    """The patient's own copy of a program, with dates. Editing the program later does not
    change it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ENDED = "ended", _("Ended")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="assignments")
    program = models.ForeignKey(
        Program,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from program"),
    )
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="patients_assignment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.patient})"

    def get_absolute_url(self) -> str:
        return reverse("patients:assignment_detail", kwargs={"pk": self.pk})

    def is_current_on(self, day) -> bool:
        return (
            self.status == self.Status.ACTIVE
            and self.starts_on <= day
            and (self.ends_on is None or day <= self.ends_on)
        )


class AssignmentItem(CopiedItem):
    """The patient's own copy of a program item."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="items")

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("assigned item")
        verbose_name_plural = _("assigned items")
        constraints = dosage_constraints("patients_assignmentitem")


class ExerciseLog(models.Model):
    """A session of an assigned exercise, done or skipped, on the patient's local date."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")

    class Difficulty(models.TextChoices):
        TOO_EASY = "too_easy", _("Too easy")
        ABOUT_RIGHT = "about_right", _("About right")
        TOO_HARD = "too_hard", _("Too hard")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="exercise_logs")
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="exercise_logs"
    )
    item = models.ForeignKey(AssignmentItem, on_delete=models.CASCADE, related_name="logs")
    performed_on = models.DateField(_("date"))
    session = models.PositiveSmallIntegerField(_("session"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    difficulty = models.CharField(
        _("how hard was it?"), max_length=12, choices=Difficulty.choices, blank=True
    )
    pain_during = models.PositiveSmallIntegerField(
        _("pain during the exercise (0–10)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(10)],
    )
    skip_reason = models.CharField(_("reason for skipping"), max_length=300, blank=True)
    is_late = models.BooleanField(_("added later"), default=False)
    logged_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    class Meta:
        ordering = ["-performed_on", "-logged_at"]
        verbose_name = _("exercise log")
        verbose_name_plural = _("exercise logs")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "performed_on", "session"], name="patients_exerciselog_once"
            ),
            models.CheckConstraint(
                condition=models.Q(pain_during__isnull=True) | models.Q(pain_during__lte=10),
                name="patients_exerciselog_pain_0_10",
            ),
            models.CheckConstraint(
                condition=models.Q(session__gte=1, session__lte=6),
                name="patients_exerciselog_session_range",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-performed_on"], name="patients_exlog_pat_idx"),
            # The "too hard" alert scans recent too-hard reports only (a small part).
            models.Index(
                fields=["performed_on"],
                condition=models.Q(difficulty="too_hard"),
                name="patients_exlog_too_hard_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.performed_on} ({self.status})"


class PainLog(models.Model):
    """A pain score on the 0–10 numeric rating scale, with where, when, and the safety
    screen's answers kept with it (None: not asked)."""

    class Timing(models.TextChoices):
        WAKING = "waking", _("On waking")
        DURING_ACTIVITY = "during_activity", _("During activity")
        AFTER_ACTIVITY = "after_activity", _("After activity")
        REST = "rest", _("At rest")
        NIGHT = "night", _("At night")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="pain_logs")
    assignment = models.ForeignKey(
        Assignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="pain_logs"
    )
    score = models.PositiveSmallIntegerField(
        _("pain score (0–10)"), validators=[MaxValueValidator(10)]
    )
    region = models.ForeignKey(
        BodyRegion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("where it hurts"),
    )
    region_other = models.CharField(_("somewhere else"), max_length=200, blank=True)
    timing = models.CharField(_("when"), max_length=20, choices=Timing.choices, blank=True)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    recorded_for = models.DateTimeField(_("when the pain was"))
    is_late = models.BooleanField(_("added later"), default=False)
    # The safety screen (CLINICAL.md, red flags in a painful calf).
    calf_swollen_warm_red = models.BooleanField(
        _("one calf newly swollen, warm or red"), null=True, blank=True
    )
    chest_symptoms = models.BooleanField(
        _("new shortness of breath, chest pain or coughing blood"), null=True, blank=True
    )
    recent_immobilisation = models.BooleanField(
        _("recent surgery, a cast or long immobilisation"), null=True, blank=True
    )
    logged_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    class Meta:
        ordering = ["-recorded_for", "-id"]
        verbose_name = _("pain log")
        verbose_name_plural = _("pain logs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=10), name="patients_painlog_score_0_10"
            )
        ]
        indexes = [
            models.Index(fields=["patient", "-recorded_for"], name="patients_pain_pat_idx"),
            # A program's baseline is its first three logs (patients.services.dashboard).
            models.Index(
                fields=["assignment", "recorded_for", "id"], name="patients_pain_baseline_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score}/10 {self.recorded_for:%Y-%m-%d %H:%M}"

    @property
    def has_red_flag(self) -> bool:
        return bool(self.calf_swollen_warm_red or self.chest_symptoms or self.recent_immobilisation)


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

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def resolved_automatically(self) -> bool:
        """Acknowledged by the evaluator (its condition cleared), not by a clinician."""
        return self.acknowledged_at is not None and self.acknowledged_by_id is None


class ReminderSchedule(models.Model):
    """One reminder time of an assignment, in the patient's local time.

    ``next_due_at`` (UTC) is computed from the local time in the patient's zone; the
    dispatcher (reminders issue) scans it through its index.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")

    class Kind(models.TextChoices):
        EXERCISE = "exercise", _("Exercise reminder")
        PAIN_CHECK_IN = "pain", _("Pain check-in")

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
        return f"{self.local_time:%H:%M} {weekdays.describe(self.weekdays)}"

    def next_occurrence_after(self, moment: datetime.datetime) -> datetime.datetime | None:
        """The next time this reminder is due after ``moment`` (UTC), in the patient's zone,
        within the assignment's dates."""
        assignment = self.assignment
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


class Invitation(models.Model):
    """A one-time sign-in link sent to a patient by their clinician.

    Only the SHA-256 of the token is stored: the link itself exists only in the message
    that was sent. A link works once, until ``expires_at``, and not after a newer
    invitation has revoked it.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")

    class Status(models.TextChoices):
        PENDING = "pending", _("Sent, not used yet")
        USED = "used", _("Used")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Replaced by a newer invitation")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    channel = models.CharField(_("sent by"), max_length=10, choices=Channel.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [
            models.Index(fields=["patient", "-created_at"], name="patients_invitation_pat_idx")
        ]

    def __str__(self) -> str:
        return f"{self.patient} {self.created_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def status(self) -> str:
        if self.used_at is not None:
            return self.Status.USED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    def get_status_display(self) -> str:
        return self.Status(self.status).label
