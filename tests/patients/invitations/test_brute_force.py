"""Wrong invitation tokens from one address are rate limited; opening links is not."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from patients.models import Invitation
from tests.patients.invitations.links import START, invitation_url, invite_by_email, signed_in_as

pytestmark = pytest.mark.django_db


def test_too_many_wrong_tokens_from_one_address_lock_out_even_a_good_one(
    client, record, clinician, mailoutbox
):
    token = invite_by_email(record, clinician, mailoutbox)
    for attempt in range(settings.INVITATION_FAILED_LIMIT):
        assert client.post(invitation_url(f"guess-{attempt}")).status_code == 400

    response = client.post(invitation_url(token))

    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert "try again in 15 minutes" in response.text
    assert signed_in_as(client) is None
    assert Invitation.objects.get().used_at is None


def test_another_address_is_not_locked_out(record, clinician, mailoutbox):
    token = invite_by_email(record, clinician, mailoutbox)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for attempt in range(settings.INVITATION_FAILED_LIMIT + 2):
        attacker.post(invitation_url(f"guess-{attempt}"))

    patient_phone = Client(REMOTE_ADDR="198.51.100.7")
    response = patient_phone.post(invitation_url(token))

    assert response.status_code == 302
    assert signed_in_as(patient_phone) == record.user.pk


def test_the_lockout_ends_after_the_window(client, record, clinician, mailoutbox):
    with time_machine.travel(START, tick=False) as traveller:
        token = invite_by_email(record, clinician, mailoutbox)
        for attempt in range(settings.INVITATION_FAILED_LIMIT):
            client.post(invitation_url(f"guess-{attempt}"))
        assert client.post(invitation_url(token)).status_code == 429

        traveller.shift(datetime.timedelta(minutes=settings.INVITATION_FAILED_WINDOW_MINUTES))
        traveller.shift(1)
        response = client.post(invitation_url(token))

    assert response.status_code == 302


def test_opening_links_does_not_count_towards_the_lockout(client, record, clinician, mailoutbox):
    token = invite_by_email(record, clinician, mailoutbox)
    for attempt in range(settings.INVITATION_FAILED_LIMIT + 5):
        client.get(invitation_url(f"guess-{attempt}"))

    assert client.post(invitation_url(token)).status_code == 302
