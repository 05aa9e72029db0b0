"""The next step for a patient: what the clinician still has to do before the patient's
program runs on their phone, in order (a program, an invitation, the patient's first
sign-in). Shown at the top of the patient's page and on each assignment page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from ..models import Assignment, Invitation, Patient


@dataclass(frozen=True)
class NextStep:
    """``kind`` is ``assign``, ``invite`` or ``resend``. ``channel`` and ``contact`` are how
    the invitation will be (or was) sent; ``sent_at`` when the latest one was sent."""

    ASSIGN = "assign"
    INVITE = "invite"
    RESEND = "resend"

    kind: str
    channel: str = ""
    contact: str = ""
    sent_at: datetime.datetime | None = None
    expired: bool = False

    @property
    def can_send(self) -> bool:
        return bool(self.channel)


def _preferred_contact(patient: Patient) -> tuple[str, str]:
    """The channel and address an invitation goes to: email first, else a text message."""
    if patient.user.email:
        return Invitation.Channel.EMAIL, patient.user.email
    if patient.phone:
        return Invitation.Channel.SMS, patient.phone.as_international
    return "", ""


def patient_next_step(
    *,
    patient: Patient,
    programs: list[Assignment] | None = None,
    invitations: list[Invitation] | None = None,
) -> NextStep | None:
    """What is missing for ``patient``, first thing first; None when all is done.

    1. no program (none that is not ended): assign one;
    2. never invited: send the invitation, to the contact it will use;
    3. invited but never signed in: when it was sent, and send it again;
    4. signed in at least once: nothing.

    A page that has already read the patient's programs (all of them) or invitations (all
    of them, latest first: the model's order) passes them, and they are not read again.
    """
    if programs is not None:
        has_program = any(a.status != Assignment.Status.ENDED for a in programs)
    else:
        has_program = patient.assignments.exclude(status=Assignment.Status.ENDED).exists()
    if not has_program:
        return NextStep(NextStep.ASSIGN)
    if invitations is not None:
        latest = invitations[0] if invitations else None
    else:
        latest = patient.invitations.first()
    channel, contact = _preferred_contact(patient)
    if latest is None:
        return NextStep(NextStep.INVITE, channel=channel, contact=contact)
    signed_in = patient.user.last_login is not None or (
        any(invitation.used_at is not None for invitation in invitations)
        if invitations is not None
        else patient.invitations.filter(used_at__isnull=False).exists()
    )
    if signed_in:
        return None
    if latest.channel == Invitation.Channel.SMS and patient.phone:
        channel, contact = Invitation.Channel.SMS, patient.phone.as_international
    elif latest.channel == Invitation.Channel.EMAIL and patient.user.email:
        channel, contact = Invitation.Channel.EMAIL, patient.user.email
    return NextStep(
        NextStep.RESEND,
        channel=channel,
        contact=contact,
        sent_at=latest.created_at,
        expired=latest.status == Invitation.Status.EXPIRED,
    )
