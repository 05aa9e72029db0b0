"""Invitations: one-time sign-in links for patients."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Channel
from .patient import Patient


class Invitation(models.Model):
    """A one-time sign-in link sent to a patient by their clinician.

    Only the SHA-256 of the token is stored: the link itself exists only in the message
    that was sent. A link works once, until ``expires_at``, and not after a newer
    invitation has revoked it.
    """

    Channel = Channel

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

    def get_additional_data(self) -> dict:
        # Written on each audit entry of this row: the erasure finds the entries of the
        # patient's rows by it, even of rows deleted long before (patients/audit.py).
        return {"patient_id": self.patient_id}

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
