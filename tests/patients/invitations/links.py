"""Reading and opening the invitation links the tests send."""

import datetime
import re

from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from patients import sms
from patients.services.invitations import invitation_send

START = datetime.datetime(2030, 5, 6, 9, 0, tzinfo=datetime.UTC)
LINK = re.compile(r"https?://[^\s\"<>]+/invite/([A-Za-z0-9_-]+)/")


def token_from(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match.group(1)


def invite_by_email(record, clinician, mailoutbox) -> str:
    invitation_send(patient=record, channel="email", sent_by=clinician)
    return token_from(mailoutbox[-1].body)


def invitation_url(token: str) -> str:
    return reverse("patients:invitation", kwargs={"token": token})


def signed_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


class FailingSmsBackend:
    def send(self, message):
        raise sms.TransientSmsError("provider down")
