"""Opening the link shows a button and uses nothing; the POST signs the patient in once.
Expired, used, revoked and staff links are refused, and two-factor authentication is never
bypassed."""

import datetime

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from patients.models import Invitation
from patients.services.invitations import (
    InvitationRefused,
    invitation_accept,
    invitation_send,
)
from tests.factories import ClinicianFactory, EditorFactory, PatientFactory
from tests.patients.invitations.links import START, invitation_url, invite_by_email, signed_in_as
from users.models import User

pytestmark = pytest.mark.django_db


def test_opening_the_link_shows_the_first_name_and_a_sign_in_button_and_uses_nothing(
    client, record, clinician, mailoutbox
):
    # The clinician's name shows on the page: one that cannot contain the patient's surname.
    clinician.first_name, clinician.last_name = "Sam", "Carter"
    clinician.save(update_fields=["first_name", "last_name"])
    token = invite_by_email(record, clinician, mailoutbox)

    for _scanner in range(3):  # mail and SMS apps open links to scan them
        response = client.get(invitation_url(token))
        assert response.status_code == 200

    page = response.text
    assert "Welcome, Pat" in page
    assert (
        '<button type="submit" class="btn btn-primary btn-lg w-100 py-3">Sign in</button>' in page
    )
    assert "Jones" not in page
    assert signed_in_as(client) is None
    assert Invitation.objects.get().used_at is None


def test_the_button_signs_the_patient_in_marks_the_link_used_and_welcomes_them(
    client, record, clinician, mailoutbox
):
    token = invite_by_email(record, clinician, mailoutbox)
    client.get(invitation_url(token))

    with time_machine.travel(START, tick=False):
        invitation = Invitation.objects.get()
        Invitation.objects.filter(pk=invitation.pk).update(
            created_at=START, expires_at=START + datetime.timedelta(days=7)
        )
        response = client.post(invitation_url(token))

    assert response.status_code == 302
    assert response.url == reverse("patients:welcome")
    assert signed_in_as(client) == record.user.pk
    invitation.refresh_from_db()
    assert invitation.used_at == START
    assert invitation.status == Invitation.Status.USED

    welcome = client.get(response.url)
    assert welcome.status_code == 200
    assert reverse("account_set_password") in welcome.text
    assert "Keep signing in with a link or a code" in welcome.text
    assert reverse("patients:today") in welcome.text


def test_the_invited_patients_session_lasts_thirty_days(client, record, clinician, mailoutbox):
    token = invite_by_email(record, clinician, mailoutbox)

    client.post(invitation_url(token))

    assert client.session.get_expiry_age() == settings.PATIENT_SESSION_SECONDS


def test_a_link_works_only_once(client, record, clinician, mailoutbox):
    token = invite_by_email(record, clinician, mailoutbox)
    assert client.post(invitation_url(token)).status_code == 302

    other_browser = Client()
    again = other_browser.post(invitation_url(token))

    assert again.status_code == 410
    assert "already been used" in again.text
    assert "ask your clinician for a new invitation" in again.text.lower()
    assert signed_in_as(other_browser) is None
    assert other_browser.get(invitation_url(token)).status_code == 410


def test_the_claim_is_a_conditional_update_so_a_racing_second_post_fails(
    rf, monkeypatch, record, clinician, mailoutbox
):
    """Two POSTs that both passed the checks: only the one whose UPDATE matched signs in."""
    from patients.services import invitations as service

    token = invite_by_email(record, clinician, mailoutbox)
    invitation = Invitation.objects.get()
    real_check = service.invitation_check

    def check_then_lose_the_race(found):
        # The other request claims the row between this request's checks and its UPDATE.
        checked = real_check(found)
        Invitation.objects.filter(pk=invitation.pk).update(used_at=START)
        return checked

    monkeypatch.setattr(service, "invitation_check", check_then_lose_the_race)
    request = rf.post(invitation_url(token))
    request.session = Client().session

    with pytest.raises(InvitationRefused) as refused:
        invitation_accept(token=token, request=request)

    assert refused.value.reason == InvitationRefused.USED
    assert SESSION_KEY not in request.session
    assert Invitation.objects.get().used_at == START


def test_an_expired_link_is_refused(client, record, clinician, mailoutbox):
    with time_machine.travel(START, tick=False) as traveller:
        token = invite_by_email(record, clinician, mailoutbox)
        traveller.shift(datetime.timedelta(days=7, seconds=1))

        opened = client.get(invitation_url(token))
        response = client.post(invitation_url(token))

    assert opened.status_code == 410
    assert response.status_code == 410
    assert "expired" in response.text
    assert "Ask your clinician for a new invitation." in response.text
    assert signed_in_as(client) is None
    assert Invitation.objects.get().used_at is None


def test_a_link_still_works_just_before_it_expires(client, record, clinician, mailoutbox):
    with time_machine.travel(START, tick=False) as traveller:
        token = invite_by_email(record, clinician, mailoutbox)
        traveller.shift(datetime.timedelta(days=7, seconds=-1))

        response = client.post(invitation_url(token))

    assert response.status_code == 302
    assert signed_in_as(client) == record.user.pk


def test_the_link_lifetime_follows_the_setting(record, clinician, settings, mailoutbox):
    settings.INVITATION_MAX_AGE_DAYS = 2

    invitation = invitation_send(patient=record, channel="email", sent_by=clinician)

    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=2)


def test_a_revoked_link_is_refused(client, record, clinician, mailoutbox):
    old_token = invite_by_email(record, clinician, mailoutbox)
    new_token = invite_by_email(record, clinician, mailoutbox)

    response = client.post(invitation_url(old_token))

    assert response.status_code == 410
    assert "newer invitation" in response.text
    assert signed_in_as(client) is None
    assert client.post(invitation_url(new_token)).status_code == 302


def test_an_unknown_token_is_refused(client):
    response = client.post(invitation_url("not-a-real-token"))

    assert response.status_code == 400
    assert "not valid" in response.text
    assert "Ask your clinician for a new invitation." in response.text
    assert client.get(invitation_url("x" * 500)).status_code == 400


@pytest.mark.parametrize("role", [User.Role.CLINICIAN, User.Role.EDITOR, User.Role.ADMIN], ids=str)
def test_a_link_never_signs_in_a_clinician_editor_or_administrator(
    client, clinician, mailoutbox, role
):
    record = PatientFactory(clinician=clinician, user__email="x@example.org")
    token = invite_by_email(record, clinician, mailoutbox)
    # The account became someone else's role after the invitation was sent.
    User.objects.filter(pk=record.user.pk).update(
        role=role, is_staff=role in (User.Role.EDITOR, User.Role.ADMIN)
    )

    assert client.get(invitation_url(token)).status_code == 400
    response = client.post(invitation_url(token))

    assert response.status_code == 400
    assert signed_in_as(client) is None
    assert Invitation.objects.get().used_at is None


def test_staff_cannot_be_invited_at_all(clinician):
    for user in (ClinicianFactory(), EditorFactory()):
        record = PatientFactory(clinician=clinician, user=user)
        with pytest.raises(ValidationError):
            invitation_send(patient=record, channel="email", sent_by=clinician)


def test_a_link_does_not_bypass_a_patients_two_factor_authentication(
    client, record, clinician, mailoutbox
):
    TOTP.activate(record.user, generate_totp_secret())
    token = invite_by_email(record, clinician, mailoutbox)

    response = client.post(invitation_url(token))

    assert response.status_code == 400
    assert "two-factor" in response.text
    assert signed_in_as(client) is None


def test_an_inactive_patient_is_not_signed_in(client, record, clinician, mailoutbox):
    token = invite_by_email(record, clinician, mailoutbox)
    User.objects.filter(pk=record.user.pk).update(is_active=False)

    assert client.post(invitation_url(token)).status_code == 400
    assert signed_in_as(client) is None
