"""A person under care: the record, their assignments (own copies of programs) and schedules."""

import zoneinfo

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from timezone_field import TimeZoneField

from programs import weekdays
from programs.models import Dosage, Program, dosage_constraints
from trigger.models import ModuleItem


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


class AssignmentItem(Dosage):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="items")
    library_item = models.ForeignKey(
        ModuleItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    module_kind = models.CharField(_("kind"), max_length=20, blank=True)
    name = models.CharField(_("name"), max_length=200)
    instructions = models.TextField(_("instructions"), max_length=5000)
    note = models.TextField(_("note to the patient"), blank=True, max_length=2000)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("assigned item")
        verbose_name_plural = _("assigned items")
        constraints = dosage_constraints("patients_assignmentitem")

    def __str__(self) -> str:
        return self.name


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
    weekdays = models.PositiveSmallIntegerField(_("days"), default=weekdays.ALL_DAYS)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
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
