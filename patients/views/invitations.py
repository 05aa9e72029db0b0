"""Invitations: the clinician sends one (/clinic/patients/<id>/invite/); the patient opens
the link (/invite/<token>/), taps "Sign in", and lands on a welcome page (/me/welcome/).

Opening the link (GET) changes nothing, because mail and SMS apps open links to scan
them; only the button's POST signs in. Wrong tokens posted from one address are counted
(allauth's rate limits, in the default cache): past INVITATION_FAILED_LIMIT, every POST
from that address is refused with 429 until the window passes, even with a good token.
"""

from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from users.access import clinician_required, patient_required

from .. import sms
from ..access import get_patient_for_clinician
from ..models import Invitation
from ..services.invitations import (
    InvitationRefused,
    invitation_accept,
    invitation_check,
    invitation_for_token,
    invitation_send,
)

RATE_LIMIT_ACTION = "invitation_failed"
# 400 for a link that never was valid; 410 (gone) for one that was and is no more.
REFUSED_STATUS = {
    InvitationRefused.INVALID: 400,
    InvitationRefused.TWO_FACTOR: 400,
    InvitationRefused.LOCKED: 400,
    InvitationRefused.EXPIRED: 410,
    InvitationRefused.USED: 410,
    InvitationRefused.REVOKED: 410,
}


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request,
        "patients/invitation_invalid.html",
        {"reason": reason},
        status=REFUSED_STATUS[reason],
    )


@never_cache
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        if not ratelimit.consume(request, action=RATE_LIMIT_ACTION, dry_run=True):
            return render(request, "patients/invitation_locked.html", status=429)
        try:
            invitation_accept(token=token, request=request)
        except InvitationRefused as refused:
            ratelimit.consume(request, action=RATE_LIMIT_ACTION)
            return _refused(request, refused.reason)
        return redirect("patients:welcome")

    try:
        invitation = invitation_check(invitation_for_token(token))
    except InvitationRefused as refused:
        return _refused(request, refused.reason)
    return render(
        request,
        "patients/invitation.html",
        {
            "first_name": invitation.patient.user.first_name,
            "clinician_name": str(invitation.patient.clinician),
        },
    )


@patient_required
def welcome(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "patients/invitation_welcome.html",
        {"has_password": request.user.has_usable_password()},
    )


@clinician_required
@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_clinician(request.user, pk)
    channel = request.POST.get("channel", "")
    try:
        invitation_send(patient=patient, channel=channel, sent_by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except (sms.SmsError, OSError):
        # OSError covers SMTP failures (smtplib.SMTPException) and unreachable servers.
        messages.error(
            request,
            _("The invitation could not be sent just now. Nothing changed: please try again."),
        )
    else:
        if channel == Invitation.Channel.SMS:
            text = _("An invitation was sent to %(name)s by text message.")
        else:
            text = _("An invitation was sent to %(name)s by email.")
        messages.success(request, text % {"name": patient.name})
    return redirect(patient)
