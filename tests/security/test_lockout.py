"""Brute force fails on every way in. What other files already prove is not repeated here:

- tests/users/test_login.py: LOGIN_FAILED_LIMIT wrong passwords lock the account (even the
  right password is refused), another account from the same address is not locked, the
  lock ends with its window, the counts live in the configured cache (Redis in CI), the
  admin's login is limited like any login, three wrong sign-in codes end the code.
- tests/patients/test_invitations.py: INVITATION_FAILED_LIMIT wrong link tokens from one
  address lock that address out (429, even with a good token), another address is not
  locked, the lock ends with its window, opening links (GET) does not count.

Here: guessing at many accounts from one address, asking for sign-in codes over and over,
guessing two-factor codes, the link lockout in the configured cache and with a real
invitation, and forged reminder stop links.
"""

from __future__ import annotations

import time
import uuid

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.factories import ClinicianFactory, PatientFactory
from users.audit import AuthEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "correct horse battery"
TOO_MANY = "Too many failed login attempts"


def _address() -> str:
    """An address of the test's own, so no other test's failures count against it."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250}"


def test_guessing_at_many_accounts_from_one_address_locks_that_address(client, own_cache):
    """Password spraying: one guess each at many accounts stays under every per-account
    limit, but the per-address limit (4 x LOGIN_FAILED_LIMIT) stops it."""
    address = _address()
    victim = ClinicianFactory(username="victim")
    for n in range(4 * settings.LOGIN_FAILED_LIMIT):
        client.post(LOGIN, {"login": f"guess{n}", "password": "Summer2026!"}, REMOTE_ADDR=address)

    refused = client.post(LOGIN, {"login": "victim", "password": PASSWORD}, REMOTE_ADDR=address)
    elsewhere = client.post(
        LOGIN, {"login": "victim", "password": PASSWORD}, REMOTE_ADDR=_address()
    )

    assert TOO_MANY in refused.text
    assert elsewhere.status_code == 302
    assert client.session[SESSION_KEY] == str(victim.pk)
    failed = AuthEvent.objects.filter(kind=AuthEvent.Kind.LOGIN_FAILED, remote_addr=address)
    assert failed.count() == 4 * settings.LOGIN_FAILED_LIMIT


def test_changing_the_case_of_the_name_gives_no_extra_guesses(client, clinician, own_cache):
    for n in range(settings.LOGIN_FAILED_LIMIT):
        name = "clinician".upper() if n % 2 else "Clinician"
        client.post(LOGIN, {"login": name, "password": "guess"})

    response = client.post(LOGIN, {"login": "clinician", "password": PASSWORD})

    assert TOO_MANY in response.text
    assert SESSION_KEY not in client.session


def test_asking_for_sign_in_codes_over_and_over_is_refused(mailoutbox, own_cache):
    """A code by email: three requests a minute for one email address (allauth's
    request_login_code limit), so fresh codes cannot be farmed to guess at; each code
    itself allows three tries (tests/users/test_login.py)."""
    PatientFactory(user__username="pat", user__email="pat@example.org")
    url = reverse("account_request_login_code")
    for _attempt in range(3):
        # A new browser each time: a pending code in the session does not matter.
        assert Client().post(url, {"email": "pat@example.org"}).status_code == 302

    response = Client().post(url, {"email": "pat@example.org"})

    assert len(mailoutbox) == 3
    assert response.status_code == 200
    assert TOO_MANY in response.text


def test_guessing_two_factor_codes_locks_the_second_step(client, clinician, own_cache):
    """After the password, LOGIN_FAILED_LIMIT wrong authenticator codes lock the step: the
    right code is then refused too."""
    secret = generate_totp_secret()
    TOTP.activate(clinician, secret)
    client.post(LOGIN, {"login": "clinician", "password": PASSWORD})
    url = reverse("mfa_authenticate")
    for _attempt in range(settings.LOGIN_FAILED_LIMIT):
        response = client.post(url, {"code": "000000"})
        assert response.status_code == 200

    right = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(url, {"code": right})

    assert SESSION_KEY not in client.session
    assert TOO_MANY in response.text
    assert (
        AuthEvent.objects.filter(kind=AuthEvent.Kind.LOGIN_FAILED, user=clinician).count()
        == settings.LOGIN_FAILED_LIMIT
    )


def test_the_link_lockout_holds_in_the_configured_cache_for_a_real_invitation(client, theirs):
    """With REDIS_URL set (CI), the link failures are counted in Redis, shared by every web
    process: after the limit, the patient's real link is refused from that address."""
    address = _address()
    for n in range(settings.INVITATION_FAILED_LIMIT):
        response = client.post(
            reverse("patients:invitation", kwargs={"token": f"wrong-{uuid.uuid4().hex}-{n}"}),
            REMOTE_ADDR=address,
        )
        assert response.status_code == 400

    good = reverse("patients:invitation", kwargs={"token": theirs.invitation_token})
    refused = client.post(good, REMOTE_ADDR=address)

    assert refused.status_code == 429
    assert SESSION_KEY not in client.session
    theirs.invitation.refresh_from_db()
    assert theirs.invitation.used_at is None
    # Each refused link is in the sign-in log, from that address.
    assert (
        AuthEvent.objects.filter(
            kind=AuthEvent.Kind.LOGIN_FAILED, via="patients:invitation", remote_addr=address
        ).count()
        == settings.INVITATION_FAILED_LIMIT + 1
    )


@pytest.mark.parametrize(
    "token", ["forged", "eyJwIjoxfQ:1tXXXX:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x" * 500]
)
def test_a_forged_stop_link_changes_nothing(client, theirs, token):
    response = client.post(reverse("patients:reminders_stop", kwargs={"token": token}))

    assert response.status_code == 400
    theirs.patient.refresh_from_db()
    assert theirs.patient.reminders_stopped_at is None
