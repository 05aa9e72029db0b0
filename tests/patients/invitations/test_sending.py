"""Sending an invitation: a hashed one-time link by email or SMS, a newer one revoking the
older, a failed send changing nothing."""

import datetime
import hashlib

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from patients import sms
from patients.models import Invitation
from patients.services.invitations import invitation_send
from tests.factories import PatientFactory
from tests.patients.invitations.links import token_from

pytestmark = pytest.mark.django_db


def test_the_plain_text_email_shows_names_as_typed_and_the_html_part_escapes_them(
    record, clinician, mailoutbox
):
    record.user.first_name = "D'Arcy"
    record.user.save()
    clinician.first_name, clinician.last_name = "Anne & <b>Bo</b>", "O'Neil"
    clinician.save()

    invitation_send(patient=record, channel="email", sent_by=clinician)

    message = mailoutbox[0]
    html = message.alternatives[0][0]
    assert "Hello D'Arcy," in message.body
    assert "Anne & <b>Bo</b> O'Neil has set up" in message.body
    assert "&#x27;" not in message.body
    assert "&amp;" not in message.body
    assert "Anne & <b>Bo</b> O'Neil invites you" in message.subject
    assert "D&#x27;Arcy" in html
    assert "Anne &amp; &lt;b&gt;Bo&lt;/b&gt; O&#x27;Neil" in html
    assert "<b>Bo</b>" not in html


def test_an_email_invitation_holds_a_link_whose_token_is_stored_only_hashed(
    record, clinician, mailoutbox
):
    invitation = invitation_send(patient=record, channel="email", sent_by=clinician)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["pat@example.org"]
    token = token_from(message.body)
    assert message.body.count(token) == 1
    assert token in message.alternatives[0][0]  # the HTML part has the same link
    assert f"{settings.SITE_URL}/invite/{token}/" in message.body
    assert len(token) >= 43
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    # The token itself is nowhere in the database row.
    row = Invitation.objects.values().get(pk=invitation.pk)
    assert all(token not in str(value) for value in row.values())
    assert invitation.channel == "email"
    assert invitation.created_by == clinician
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=7)
    assert clinician.get_full_name() in message.subject


def test_an_sms_invitation_goes_through_the_sms_backend_naming_the_clinician(
    record, clinician, sms_outbox, mailoutbox
):
    invitation = invitation_send(patient=record, channel="sms", sent_by=clinician)

    assert mailoutbox == []
    assert len(sms_outbox) == 1
    assert sms_outbox[0].to == "+447911123456"
    assert clinician.get_full_name() in sms_outbox[0].body
    assert len(sms_outbox[0].body) <= 160
    token = token_from(sms_outbox[0].body)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert invitation.channel == "sms"


def test_a_patient_without_that_contact_cannot_be_invited_by_it(clinician, mailoutbox):
    no_phone = PatientFactory(clinician=clinician, phone="")
    no_email = PatientFactory(clinician=clinician, user__email="", phone="+447911123457")

    with pytest.raises(ValidationError):
        invitation_send(patient=no_phone, channel="sms", sent_by=clinician)
    with pytest.raises(ValidationError):
        invitation_send(patient=no_email, channel="email", sent_by=clinician)
    with pytest.raises(ValidationError):
        invitation_send(patient=no_email, channel="pigeon", sent_by=clinician)
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_a_new_invitation_revokes_the_earlier_unused_one(record, clinician, mailoutbox):
    first = invitation_send(patient=record, channel="email", sent_by=clinician)
    second = invitation_send(patient=record, channel="sms", sent_by=clinician)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.revoked_at is not None
    assert first.status == Invitation.Status.REVOKED
    assert second.revoked_at is None
    assert second.status == Invitation.Status.PENDING


def test_a_failed_send_changes_nothing(record, clinician, settings, mailoutbox):
    earlier = invitation_send(patient=record, channel="email", sent_by=clinician)
    settings.SMS_BACKEND = "tests.patients.invitations.links.FailingSmsBackend"

    with pytest.raises(sms.SmsError):
        invitation_send(patient=record, channel="sms", sent_by=clinician)

    earlier.refresh_from_db()
    assert earlier.revoked_at is None
    assert Invitation.objects.count() == 1
