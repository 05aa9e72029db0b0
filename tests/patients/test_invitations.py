"""Inviting a patient: a hashed one-time link by email or SMS, GET shows a button, POST
signs in once; expired, used, revoked and staff links refused; wrong tokens rate limited."""

import datetime
import hashlib
import re
import uuid

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from patients import sms
from patients.models import Invitation
from patients.services.invitations import (
    InvitationRefused,
    invitation_accept,
    invitation_send,
)
from tests.factories import ClinicianFactory, EditorFactory, PatientFactory, UserFactory
from users.models import User

pytestmark = pytest.mark.django_db

START = datetime.datetime(2030, 5, 6, 9, 0, tzinfo=datetime.UTC)
LINK = re.compile(r"https?://[^\s\"<>]+/invite/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-invitations-{uuid.uuid4()}",
        }
    }


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "patients.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def record(clinician):
    """The clinician's patient, as patient_create makes them: no password yet."""
    record = PatientFactory(
        clinician=clinician,
        user__username="pat",
        user__first_name="Pat",
        user__last_name="Jones",
        user__email="pat@example.org",
        phone="+447911123456",
    )
    record.user.set_unusable_password()
    record.user.save()
    return record


def _token_from(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match.group(1)


def _invite_by_email(record, clinician, mailoutbox) -> str:
    invitation_send(patient=record, channel="email", sent_by=clinician)
    return _token_from(mailoutbox[-1].body)


def _url(token: str) -> str:
    return reverse("patients:invitation", kwargs={"token": token})


def _signed_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


# --- Sending ------------------------------------------------------------------------------


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
    token = _token_from(message.body)
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
    token = _token_from(sms_outbox[0].body)
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
    settings.SMS_BACKEND = "tests.patients.test_invitations.FailingSmsBackend"

    with pytest.raises(sms.SmsError):
        invitation_send(patient=record, channel="sms", sent_by=clinician)

    earlier.refresh_from_db()
    assert earlier.revoked_at is None
    assert Invitation.objects.count() == 1


class FailingSmsBackend:
    def send(self, message):
        raise sms.TransientSmsError("provider down")


# --- Opening the link (GET) ---------------------------------------------------------------


def test_opening_the_link_shows_the_first_name_and_a_sign_in_button_and_uses_nothing(
    client, record, clinician, mailoutbox
):
    # The clinician's name shows on the page: one that cannot contain the patient's surname.
    clinician.first_name, clinician.last_name = "Sam", "Carter"
    clinician.save(update_fields=["first_name", "last_name"])
    token = _invite_by_email(record, clinician, mailoutbox)

    for _scanner in range(3):  # mail and SMS apps open links to scan them
        response = client.get(_url(token))
        assert response.status_code == 200

    page = response.text
    assert "Welcome, Pat" in page
    assert (
        '<button type="submit" class="btn btn-primary btn-lg w-100 py-3">Sign in</button>' in page
    )
    assert "Jones" not in page
    assert _signed_in_as(client) is None
    assert Invitation.objects.get().used_at is None


# --- Signing in (POST) --------------------------------------------------------------------


def test_the_button_signs_the_patient_in_marks_the_link_used_and_welcomes_them(
    client, record, clinician, mailoutbox
):
    token = _invite_by_email(record, clinician, mailoutbox)
    client.get(_url(token))

    with time_machine.travel(START, tick=False):
        invitation = Invitation.objects.get()
        Invitation.objects.filter(pk=invitation.pk).update(
            created_at=START, expires_at=START + datetime.timedelta(days=7)
        )
        response = client.post(_url(token))

    assert response.status_code == 302
    assert response.url == reverse("patients:welcome")
    assert _signed_in_as(client) == record.user.pk
    invitation.refresh_from_db()
    assert invitation.used_at == START
    assert invitation.status == Invitation.Status.USED

    welcome = client.get(response.url)
    assert welcome.status_code == 200
    assert reverse("account_set_password") in welcome.text
    assert "Keep signing in with a link or a code" in welcome.text
    assert reverse("patients:today") in welcome.text


def test_the_invited_patients_session_lasts_thirty_days(client, record, clinician, mailoutbox):
    token = _invite_by_email(record, clinician, mailoutbox)

    client.post(_url(token))

    assert client.session.get_expiry_age() == settings.PATIENT_SESSION_SECONDS


def test_a_link_works_only_once(client, record, clinician, mailoutbox):
    token = _invite_by_email(record, clinician, mailoutbox)
    assert client.post(_url(token)).status_code == 302

    other_browser = Client()
    again = other_browser.post(_url(token))

    assert again.status_code == 410
    assert "already been used" in again.text
    assert "ask your clinician for a new invitation" in again.text.lower()
    assert _signed_in_as(other_browser) is None
    assert other_browser.get(_url(token)).status_code == 410


def test_the_claim_is_a_conditional_update_so_a_racing_second_post_fails(
    rf, monkeypatch, record, clinician, mailoutbox
):
    """Two POSTs that both passed the checks: only the one whose UPDATE matched signs in."""
    from patients.services import invitations as service

    token = _invite_by_email(record, clinician, mailoutbox)
    invitation = Invitation.objects.get()
    real_check = service.invitation_check

    def check_then_lose_the_race(found):
        # The other request claims the row between this request's checks and its UPDATE.
        checked = real_check(found)
        Invitation.objects.filter(pk=invitation.pk).update(used_at=START)
        return checked

    monkeypatch.setattr(service, "invitation_check", check_then_lose_the_race)
    request = rf.post(_url(token))
    request.session = Client().session

    with pytest.raises(InvitationRefused) as refused:
        invitation_accept(token=token, request=request)

    assert refused.value.reason == InvitationRefused.USED
    assert SESSION_KEY not in request.session
    assert Invitation.objects.get().used_at == START


def test_an_expired_link_is_refused(client, record, clinician, mailoutbox):
    with time_machine.travel(START, tick=False) as traveller:
        token = _invite_by_email(record, clinician, mailoutbox)
        traveller.shift(datetime.timedelta(days=7, seconds=1))

        opened = client.get(_url(token))
        response = client.post(_url(token))

    assert opened.status_code == 410
    assert response.status_code == 410
    assert "expired" in response.text
    assert "Ask your clinician for a new invitation." in response.text
    assert _signed_in_as(client) is None
    assert Invitation.objects.get().used_at is None


def test_a_link_still_works_just_before_it_expires(client, record, clinician, mailoutbox):
    with time_machine.travel(START, tick=False) as traveller:
        token = _invite_by_email(record, clinician, mailoutbox)
        traveller.shift(datetime.timedelta(days=7, seconds=-1))

        response = client.post(_url(token))

    assert response.status_code == 302
    assert _signed_in_as(client) == record.user.pk


def test_the_link_lifetime_follows_the_setting(record, clinician, settings, mailoutbox):
    settings.INVITATION_MAX_AGE_DAYS = 2

    invitation = invitation_send(patient=record, channel="email", sent_by=clinician)

    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=2)


def test_a_revoked_link_is_refused(client, record, clinician, mailoutbox):
    old_token = _invite_by_email(record, clinician, mailoutbox)
    new_token = _invite_by_email(record, clinician, mailoutbox)

    response = client.post(_url(old_token))

    assert response.status_code == 410
    assert "newer invitation" in response.text
    assert _signed_in_as(client) is None
    assert client.post(_url(new_token)).status_code == 302


def test_an_unknown_token_is_refused(client):
    response = client.post(_url("not-a-real-token"))

    assert response.status_code == 400
    assert "not valid" in response.text
    assert "Ask your clinician for a new invitation." in response.text
    assert client.get(_url("x" * 500)).status_code == 400


@pytest.mark.parametrize("role", [User.Role.CLINICIAN, User.Role.EDITOR, User.Role.ADMIN], ids=str)
def test_a_link_never_signs_in_a_clinician_editor_or_administrator(
    client, clinician, mailoutbox, role
):
    record = PatientFactory(clinician=clinician, user__email="x@example.org")
    token = _invite_by_email(record, clinician, mailoutbox)
    # The account became someone else's role after the invitation was sent.
    User.objects.filter(pk=record.user.pk).update(
        role=role, is_staff=role in (User.Role.EDITOR, User.Role.ADMIN)
    )

    assert client.get(_url(token)).status_code == 400
    response = client.post(_url(token))

    assert response.status_code == 400
    assert _signed_in_as(client) is None
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
    token = _invite_by_email(record, clinician, mailoutbox)

    response = client.post(_url(token))

    assert response.status_code == 400
    assert "two-factor" in response.text
    assert _signed_in_as(client) is None


def test_an_inactive_patient_is_not_signed_in(client, record, clinician, mailoutbox):
    token = _invite_by_email(record, clinician, mailoutbox)
    User.objects.filter(pk=record.user.pk).update(is_active=False)

    assert client.post(_url(token)).status_code == 400
    assert _signed_in_as(client) is None


# --- Brute force --------------------------------------------------------------------------


def test_too_many_wrong_tokens_from_one_address_lock_out_even_a_good_one(
    client, record, clinician, mailoutbox
):
    token = _invite_by_email(record, clinician, mailoutbox)
    for attempt in range(settings.INVITATION_FAILED_LIMIT):
        assert client.post(_url(f"guess-{attempt}")).status_code == 400

    response = client.post(_url(token))

    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert "try again in 15 minutes" in response.text
    assert _signed_in_as(client) is None
    assert Invitation.objects.get().used_at is None


def test_another_address_is_not_locked_out(record, clinician, mailoutbox):
    token = _invite_by_email(record, clinician, mailoutbox)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for attempt in range(settings.INVITATION_FAILED_LIMIT + 2):
        attacker.post(_url(f"guess-{attempt}"))

    patient_phone = Client(REMOTE_ADDR="198.51.100.7")
    response = patient_phone.post(_url(token))

    assert response.status_code == 302
    assert _signed_in_as(patient_phone) == record.user.pk


def test_the_lockout_ends_after_the_window(client, record, clinician, mailoutbox):
    with time_machine.travel(START, tick=False) as traveller:
        token = _invite_by_email(record, clinician, mailoutbox)
        for attempt in range(settings.INVITATION_FAILED_LIMIT):
            client.post(_url(f"guess-{attempt}"))
        assert client.post(_url(token)).status_code == 429

        traveller.shift(datetime.timedelta(minutes=settings.INVITATION_FAILED_WINDOW_MINUTES))
        traveller.shift(1)
        response = client.post(_url(token))

    assert response.status_code == 302


def test_opening_links_does_not_count_towards_the_lockout(client, record, clinician, mailoutbox):
    token = _invite_by_email(record, clinician, mailoutbox)
    for attempt in range(settings.INVITATION_FAILED_LIMIT + 5):
        client.get(_url(f"guess-{attempt}"))

    assert client.post(_url(token)).status_code == 302


# --- The clinician's side -----------------------------------------------------------------


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
    token = _invite_by_email(record, clinician, mailoutbox)
    Client().post(_url(token))
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
    settings.SMS_BACKEND = "tests.patients.test_invitations.FailingSmsBackend"
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
    client.post(_url(_invite_by_email(record, clinician, mailoutbox)))
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
    assert _signed_in_as(client) == record.user.pk


def test_a_patient_who_set_a_password_is_offered_to_change_it(client):
    patient = PatientFactory(user=UserFactory(username="with.password"))
    client.force_login(patient.user)

    page = client.get(reverse("patients:welcome")).text

    assert reverse("account_change_password") in page
