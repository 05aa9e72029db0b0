"""Inviting a patient to the app: a one-time sign-in link by email or text message.

The token travels only in the message; the database keeps its SHA-256. Opening the link
shows a button (mail and SMS scanners open links); the button's POST calls
``invitation_accept``, which claims the invitation with a conditional UPDATE, so two
concurrent POSTs of one link cannot both sign in.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from users.emails import send_templated_email
from users.models import User

from .. import sms
from ..models import Invitation, Patient

logger = logging.getLogger(__name__)

# Tokens longer than this are not looked up at all (token_urlsafe(32) gives 43 characters).
MAX_TOKEN_LENGTH = 100
LOGIN_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


class InvitationRefused(Exception):
    """The link cannot sign anyone in. ``reason`` is one of ``REASONS``."""

    INVALID = "invalid"  # unknown token, or not a patient's account
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    TWO_FACTOR = "two_factor"  # the account is protected by 2FA: a link must not bypass it
    LOCKED = "locked"  # the account's sign-in is locked (users.lockout): no way in at all
    REASONS = (INVALID, EXPIRED, USED, REVOKED, TWO_FACTOR, LOCKED)

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    return settings.SITE_URL + reverse("patients:invitation", kwargs={"token": token})


def available_channels(patient: Patient) -> list[str]:
    """The channels the patient can be reached by, email first."""
    channels = []
    if patient.user.email:
        channels.append(Invitation.Channel.EMAIL)
    if patient.phone:
        channels.append(Invitation.Channel.SMS)
    return channels


@transaction.atomic
def invitation_send(*, patient: Patient, channel: str, sent_by: User) -> Invitation:
    """Send the patient a new sign-in link; earlier unused links stop working.

    A send failure (SMTP, SMS provider) propagates and rolls everything back: the earlier
    invitation then still works.
    """
    if not patient.user.is_patient:
        raise ValidationError(_("Only patients can be invited."))
    if channel not in Invitation.Channel.values:
        raise ValidationError(_("Choose email or text message."))
    if channel not in available_channels(patient):
        if channel == Invitation.Channel.EMAIL:
            raise ValidationError(_("This patient has no email address."))
        raise ValidationError(_("This patient has no mobile number."))

    now = timezone.now()
    Invitation.objects.filter(
        patient=patient, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        patient=patient,
        token_hash=token_hash(token),
        channel=channel,
        created_by=sent_by,
        created_at=now,
        expires_at=now + datetime.timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
    )
    link = invitation_link(token)
    clinician_name = str(patient.clinician)
    if channel == Invitation.Channel.EMAIL:
        send_templated_email(
            template="patients/email/invitation",
            context={
                "patient_first_name": patient.user.first_name,
                "clinician_name": clinician_name,
                "link": link,
                "expires_at": invitation.expires_at,
                "max_age_days": settings.INVITATION_MAX_AGE_DAYS,
            },
            to=[patient.user.email],
        )
    else:
        sms.send_sms(
            to=str(patient.phone),
            body=_("%(clinician)s invites you to your home exercise app: %(link)s")
            % {"clinician": clinician_name, "link": link},
        )
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a token belongs to, whatever its state, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return (
        Invitation.objects.select_related("patient__user", "patient__clinician")
        .filter(token_hash=token_hash(token))
        .first()
    )


def invitation_check(invitation: Invitation | None) -> Invitation:
    """Raise InvitationRefused unless the invitation can sign its patient in now."""
    if invitation is None:
        raise InvitationRefused(InvitationRefused.INVALID)
    user = invitation.patient.user
    # A link never signs in staff or clinicians: it would bypass their password and 2FA.
    if not user.is_patient or user.is_staff or user.is_superuser or not user.is_active:
        raise InvitationRefused(InvitationRefused.INVALID)
    if invitation.used_at is not None:
        raise InvitationRefused(InvitationRefused.USED)
    if invitation.revoked_at is not None:
        raise InvitationRefused(InvitationRefused.REVOKED)
    if invitation.expires_at <= timezone.now():
        raise InvitationRefused(InvitationRefused.EXPIRED)
    if Authenticator.objects.filter(user=user).exists():
        raise InvitationRefused(InvitationRefused.TWO_FACTOR)
    if user.is_sign_in_locked:
        logger.warning(
            "Invitation link refused: user %s is locked (invitation %s).", user.pk, invitation.pk
        )
        raise InvitationRefused(InvitationRefused.LOCKED)
    return invitation


def invitation_accept(*, token: str, request: HttpRequest) -> User:
    """Sign the invited patient in on ``request``, once. Raises InvitationRefused."""
    invitation = invitation_check(invitation_for_token(token))
    now = timezone.now()
    # The claim: of two concurrent requests with one token, only one updates the row.
    claimed = Invitation.objects.filter(
        pk=invitation.pk,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now)
    if claimed != 1:
        raise InvitationRefused(InvitationRefused.USED)
    user = invitation.patient.user
    login(request, user, backend=LOGIN_BACKEND)
    return user
