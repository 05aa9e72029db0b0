"""The clinician's side: inviting from the patient's page, seeing the invitation's state,
refusals for another clinician, a patient or an anonymous visitor; the welcome page."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from patients.models import Invitation
from patients.services.invitations import invitation_send
from tests.factories import PatientFactory, UserFactory
from tests.patients.invitations.links import START, invitation_url, invite_by_email, signed_in_as

pytestmark = pytest.mark.django_db


def test_the_patient_page_offers_the_invitation_by_each_available_channel(
    client, record, clinician
):
    client.force_login(clinician)

    page = client.get(record.get_absolute_url()).text

    assert "Invite to the app" in page
    assert reverse("patients:patient_invite", args=[record.pk]) in page
    assert 'value="email"' in page
    assert 'value="sms"' in page
    assert "Not invited yet" in page


def test_a_clinician_invites_their_patient_from_the_patient_page(
    client, record, clinician, mailoutbox
):
    client.force_login(clinician)

    response = client.post(
        reverse("patients:patient_invite", args=[record.pk]), {"channel": "email"}, follow=True
    )

    assert response.redirect_chain[-1][0] == record.get_absolute_url()
    assert "An invitation was sent to Pat Jones by email." in response.text
    assert len(mailoutbox) == 1
    invitation = Invitation.objects.get()
    assert invitation.created_by == clinician
    assert "not used yet" in response.text


def test_the_patient_page_shows_when_the_invitation_was_used(client, record, clinician, mailoutbox):
    token = invite_by_email(record, clinician, mailoutbox)
    Client().post(invitation_url(token))
    client.force_login(clinician)

    page = client.get(record.get_absolute_url()).text

    assert "used " in page
    assert "Send a new invitation" in page


def test_the_patient_page_shows_an_expired_invitation(client, record, clinician, mailoutbox):
    with time_machine.travel(START, tick=False) as traveller:
        invitation_send(patient=record, channel="sms", sent_by=clinician)
        traveller.shift(datetime.timedelta(days=8))
        client.force_login(clinician)

        page = client.get(record.get_absolute_url()).text

    assert "expired" in page
    assert "by text message" in page


def test_a_clinician_sees_a_clear_error_for_a_missing_contact(client, clinician, mailoutbox):
    record = PatientFactory(clinician=clinician, phone="")
    client.force_login(clinician)

    response = client.post(
        reverse("patients:patient_invite", args=[record.pk]), {"channel": "sms"}, follow=True
    )

    assert response.status_code == 200
    assert "no mobile number" in response.text
    assert not Invitation.objects.exists()


def test_a_failing_sms_provider_is_a_message_not_a_500(client, record, clinician, settings):
    settings.SMS_BACKEND = "tests.patients.invitations.links.FailingSmsBackend"
    client.force_login(clinician)

    response = client.post(
        reverse("patients:patient_invite", args=[record.pk]), {"channel": "sms"}, follow=True
    )

    assert response.status_code == 200
    assert "could not be sent" in response.text
    assert not Invitation.objects.exists()


def test_another_clinician_gets_a_404_and_sends_nothing(
    client, record, other_clinician, mailoutbox
):
    client.force_login(other_clinician)

    response = client.post(
        reverse("patients:patient_invite", args=[record.pk]), {"channel": "email"}
    )

    assert response.status_code == 404
    assert mailoutbox == []
    assert not Invitation.objects.exists()


def test_a_patient_cannot_send_invitations(client, record, mailoutbox):
    client.force_login(record.user)

    response = client.post(
        reverse("patients:patient_invite", args=[record.pk]), {"channel": "email"}
    )

    assert response.status_code == 403
    assert mailoutbox == []


def test_an_anonymous_visitor_is_sent_to_sign_in(client, record):
    response = client.post(
        reverse("patients:patient_invite", args=[record.pk]), {"channel": "email"}
    )

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_inviting_takes_a_post(client, record, clinician):
    client.force_login(clinician)

    assert client.get(reverse("patients:patient_invite", args=[record.pk])).status_code == 405


def test_the_welcome_page_is_for_patients_only(client, clinician):
    client.force_login(clinician)
    assert client.get(reverse("patients:welcome")).status_code == 403
    client.logout()
    assert client.get(reverse("patients:welcome")).status_code == 302


def test_setting_a_password_from_the_welcome_page_returns_to_today(
    client, record, clinician, mailoutbox
):
    client.post(invitation_url(invite_by_email(record, clinician, mailoutbox)))
    welcome = client.get(reverse("patients:welcome")).text
    set_password = re.search(r'href="(/accounts/password/set/[^"]*)"', welcome).group(1)
    set_password = set_password.replace("&amp;", "&")

    response = client.post(
        set_password, {"password1": "my calves feel better", "password2": "my calves feel better"}
    )

    assert response.status_code == 302
    assert response.url == reverse("patients:today")
    record.user.refresh_from_db()
    assert record.user.check_password("my calves feel better")
    assert signed_in_as(client) == record.user.pk


def test_a_patient_who_set_a_password_is_offered_to_change_it(client):
    patient = PatientFactory(user=UserFactory(username="with.password"))
    client.force_login(patient.user)

    page = client.get(reverse("patients:welcome")).text

    assert reverse("account_change_password") in page
