"""The patient record."""

import zoneinfo

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from timezone_field import TimeZoneField


class PatientQuerySet(models.QuerySet):
    def for_clinician(self, user) -> "PatientQuerySet":
        return self.filter(clinician=user)


class Patient(models.Model):
    """The patient record. ``user`` is the login the patient signs in with.

    The account cannot be deleted while the record exists (PROTECT): erasure
    (patients.services.rights.patient_erase) is the only way a patient leaves, because a
    cascade would copy the health data into audit entries that nothing redacts.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patient_record"
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
    # The red-flag hold (patients.services.hold): from a "yes" on the safety screen until
    # the clinician resumes the exercises or assigns a new program, no exercise is offered
    # or accepted. ``hold_alert`` is the latest red flag that put or kept them on hold.
    exercises_on_hold_since = models.DateTimeField(
        _("exercises on hold since"), null=True, blank=True
    )
    hold_alert = models.ForeignKey(
        "patients.Alert",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("red flag that put the exercises on hold"),
    )
    # When the last hold was lifted: Today tells the patient they may start again.
    hold_lifted_at = models.DateTimeField(_("exercises resumed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The dashboard's attention order, kept by the services that change what it is computed
    # from (patients.services.attention): the highest open alert severity (0: none), the
    # open red flags, the last day with a log, and that day or else the day the patient was
    # added (the clinic's dates).
    attention_severity = models.PositiveSmallIntegerField(default=0, editable=False)
    attention_red_flags = models.PositiveSmallIntegerField(default=0, editable=False)
    last_activity_on = models.DateField(null=True, blank=True, editable=False)
    active_since = models.DateField(default=timezone.localdate, editable=False)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]
        indexes = [
            # The dashboard's order within one clinician's patients: page 1 is an index scan.
            models.Index(
                fields=[
                    "clinician",
                    "-attention_severity",
                    "-attention_red_flags",
                    "active_since",
                    "id",
                ],
                name="patients_attention_idx",
            )
        ]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")

    def __str__(self) -> str:
        return str(self.user)

    def get_absolute_url(self) -> str:
        return reverse("patients:patient_detail", kwargs={"pk": self.pk})

    def get_additional_data(self) -> dict:
        # Written on each audit entry of the record: the erasure finds them by it.
        return {"patient_id": self.pk}

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.username

    @property
    def exercises_on_hold(self) -> bool:
        return self.exercises_on_hold_since is not None

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The patient's time zone: their schedules, days and dates are in it."""
        return zoneinfo.ZoneInfo(str(self.time_zone))

    def local_today(self):
        return timezone.now().astimezone(self.zone).date()
