"""Brute force fails on every way in. What other files already prove is not repeated here:

- tests/users/test_login.py: LOGIN_FAILED_LIMIT wrong passwords lock the account (even the
  right password is refused), another account from the same address is not locked, the
  lock ends with its window, the counts live in the configured cache (Redis in CI), the
  admin's login is limited like any login, three wrong sign-in codes end the code.
- tests/patients/invitations/test_brute_force.py: INVITATION_FAILED_LIMIT wrong link tokens from one
  address lock that address out (429, even with a good token), another address is not
  locked, the lock ends with its window, opening links (GET) does not count.

Here: guessing at many accounts from one address, asking for sign-in codes over and over,
guessing two-factor codes, the link lockout in the configured cache and with a real
invitation, and forged reminder stop links.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
import time_machine
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


# --- The lockout that holds (issue 11) --------------------------------------------------------


def _lock_code_from(message) -> str:
    match = re.search(r"^\s*(\d{6})\s*$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_username_and_email_count_as_one_account(client, clinician, own_cache):
    """Before: the username and the email were two counters, LOGIN_FAILED_LIMIT tries each."""
    for n in range(settings.LOGIN_FAILED_LIMIT):
        name = "clinician" if n % 2 else "clinician@example.org"
        response = client.post(LOGIN, {"login": name, "password": "guess"})
        assert "not correct" in response.text

    by_name = client.post(LOGIN, {"login": "clinician", "password": PASSWORD})
    by_email = client.post(LOGIN, {"login": "Clinician@Example.org", "password": PASSWORD})

    assert TOO_MANY in by_name.text
    assert TOO_MANY in by_email.text
    assert SESSION_KEY not in client.session


def test_guessing_sign_in_codes_past_the_long_window_locks_the_account(
    mailoutbox, own_cache, caplog
):
    """The brute force: three wrong tries per code, three codes a minute, for hours. After
    LOGIN_DAILY_FAILED_LIMIT wrong codes the account is locked: the right code is refused,
    the lock is on the user row (clearing the cache does not lift it), the owner is told,
    and a password reset by email lifts it."""
    patient = PatientFactory(user__username="pat", user__email="pat@example.org")
    user = patient.user
    address = _address()
    request_url = reverse("account_request_login_code")
    confirm_url = reverse("account_confirm_login_code")
    wrong_tries = 0
    with time_machine.travel("2030-01-01 09:00:00+00:00", tick=False) as traveller:
        while wrong_tries < settings.LOGIN_DAILY_FAILED_LIMIT:
            attacker = Client(REMOTE_ADDR=address)
            attacker.post(request_url, {"email": "pat@example.org"})
            wrong = _wrong(_lock_code_from(mailoutbox[-1]))
            for _try in range(3):
                if wrong_tries < settings.LOGIN_DAILY_FAILED_LIMIT:
                    attacker.post(confirm_url, {"code": wrong})
                    wrong_tries += 1
            # Past every short window: only the long one is left to stop the guesser.
            traveller.shift(settings.LOGIN_FAILED_WINDOW_MINUTES * 60 + 1)

        user.refresh_from_db()
        assert user.sign_in_locked_at is not None
        [warning] = [m for m in mailoutbox if "locked" in m.subject]
        assert warning.to == ["pat@example.org"]
        assert "several failed sign-in attempts" in warning.body
        assert "/accounts/password/reset/" in warning.body

        # The owner, with the right code, is refused; so is anyone after the cache is gone.
        own_cache_clear()
        owner = Client()
        owner.post(request_url, {"email": "pat@example.org"})
        response = owner.post(confirm_url, {"code": _lock_code_from(mailoutbox[-1])}, follow=True)
        assert SESSION_KEY not in owner.session
        assert "This account is locked" in response.text
        assert any(f"user {user.pk} is locked" in record.getMessage() for record in caplog.records)

        # A password reset by email lifts the lock.
        owner.post(reverse("account_reset_password"), {"email": "pat@example.org"})
        reset_link = re.search(r"(/accounts/password/reset/key/\S+/)", mailoutbox[-1].body)[1]
        form_url = owner.get(reset_link).url
        owner.post(
            form_url, {"password1": "my calves feel better", "password2": "my calves feel better"}
        )
        user.refresh_from_db()
        assert user.sign_in_locked_at is None
        traveller.shift(61)
        owner.post(request_url, {"email": "pat@example.org"})
        owner.post(confirm_url, {"code": _lock_code_from(mailoutbox[-1])})
        assert owner.session[SESSION_KEY] == str(user.pk)


def own_cache_clear() -> None:
    from django.core.cache import cache

    cache.clear()


def test_wrong_passwords_spread_over_a_day_lock_the_account_even_for_the_right_password(
    client, clinician, own_cache, mailoutbox
):
    with time_machine.travel("2030-01-01 09:00:00+00:00", tick=False) as traveller:
        for n in range(settings.LOGIN_DAILY_FAILED_LIMIT):
            client.post(LOGIN, {"login": "clinician", "password": f"guess{n}"})
            if n % settings.LOGIN_FAILED_LIMIT == settings.LOGIN_FAILED_LIMIT - 2:
                traveller.shift(settings.LOGIN_FAILED_WINDOW_MINUTES * 60 + 1)
        traveller.shift(settings.LOGIN_FAILED_WINDOW_MINUTES * 60 + 1)

        response = client.post(LOGIN, {"login": "clinician", "password": PASSWORD}, follow=True)

    assert SESSION_KEY not in client.session
    assert "This account is locked" in response.text
    clinician.refresh_from_db()
    assert clinician.sign_in_locked_at is not None
    assert len([m for m in mailoutbox if "locked" in m.subject]) == 1


def test_failures_older_than_the_long_window_do_not_count(client, clinician, own_cache):
    with time_machine.travel("2030-01-01 09:00:00+00:00", tick=False) as traveller:
        for n in range(settings.LOGIN_DAILY_FAILED_LIMIT - 1):
            client.post(LOGIN, {"login": "clinician", "password": f"guess{n}"})
            if n % settings.LOGIN_FAILED_LIMIT == settings.LOGIN_FAILED_LIMIT - 2:
                traveller.shift(settings.LOGIN_FAILED_WINDOW_MINUTES * 60 + 1)
        traveller.shift(settings.LOGIN_DAILY_FAILED_WINDOW_HOURS * 3600 + 1)
        client.post(LOGIN, {"login": "clinician", "password": "one more guess"})

        response = client.post(LOGIN, {"login": "clinician", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(clinician.pk)


def test_guessing_two_factor_codes_past_the_long_window_locks_the_account(
    client, clinician, own_cache
):
    secret = generate_totp_secret()
    TOTP.activate(clinician, secret)
    url = reverse("mfa_authenticate")
    with time_machine.travel("2030-01-01 09:00:00+00:00", tick=False) as traveller:
        failures = 0
        while failures < settings.LOGIN_DAILY_FAILED_LIMIT:
            client.post(LOGIN, {"login": "clinician", "password": PASSWORD})
            for _attempt in range(settings.LOGIN_FAILED_LIMIT - 1):
                if failures < settings.LOGIN_DAILY_FAILED_LIMIT:
                    client.post(url, {"code": "000000"})
                    failures += 1
            traveller.shift(settings.LOGIN_FAILED_WINDOW_MINUTES * 60 + 1)

        client.post(LOGIN, {"login": "clinician", "password": PASSWORD})
        right = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
        client.post(url, {"code": right})

    assert SESSION_KEY not in client.session
    clinician.refresh_from_db()
    assert clinician.sign_in_locked_at is not None


def test_the_clinician_unlocks_their_patients_account_from_the_patient_page(
    client, clinician, other_clinician, own_cache
):
    from django.utils import timezone

    from users.models import User

    patient = PatientFactory(clinician=clinician, user__email="pat@example.org")
    User.objects.filter(pk=patient.user.pk).update(sign_in_locked_at=timezone.now())
    unlock = reverse("patients:patient_unlock", args=[patient.pk])

    client.force_login(other_clinician)
    assert client.post(unlock).status_code == 404
    client.force_login(clinician)
    page = client.get(patient.get_absolute_url())
    response = client.post(unlock, follow=True)

    assert "Sign-in locked" in page.text
    assert unlock in page.text
    assert "The patient can sign in again." in response.text
    patient.user.refresh_from_db()
    assert patient.user.sign_in_locked_at is None
    assert patient.user.sign_in_failures_since is not None


def _refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Sign-in refused" in r.getMessage()]


def test_every_refused_sign_in_writes_one_log_line_with_the_account_and_the_address(
    client, clinician, own_cache, caplog, mailoutbox
):
    address = _address()
    caplog.set_level("INFO")

    client.post(LOGIN, {"login": "clinician", "password": "Secret-guess-1"}, REMOTE_ADDR=address)
    [wrong_password] = _refusals(caplog)
    caplog.clear()

    for _attempt in range(settings.LOGIN_FAILED_LIMIT):
        client.post(
            LOGIN, {"login": "clinician", "password": "Secret-guess-2"}, REMOTE_ADDR=address
        )
    caplog.clear()
    client.post(LOGIN, {"login": "clinician", "password": PASSWORD}, REMOTE_ADDR=address)
    [too_many] = _refusals(caplog)
    caplog.clear()

    patient = PatientFactory(user__email="pat@example.org")
    code_client = Client(REMOTE_ADDR=address)
    code_client.post(reverse("account_request_login_code"), {"email": "pat@example.org"})
    code = _lock_code_from(mailoutbox[-1])
    code_client.post(reverse("account_confirm_login_code"), {"code": _wrong(code)})
    [wrong_code] = _refusals(caplog)

    for line in (wrong_password, too_many):
        assert f"user {clinician.pk}" in line
        assert address in line
        assert "Secret-guess" not in line and PASSWORD not in line
    assert f"user {patient.user.pk}" in wrong_code
    assert address in wrong_code
    assert _wrong(code) not in wrong_code and code not in wrong_code


def test_an_invitation_link_does_not_open_a_locked_account(client, theirs):
    from django.utils import timezone

    from users.models import User

    User.objects.filter(pk=theirs.patient_user.pk).update(sign_in_locked_at=timezone.now())
    url = reverse("patients:invitation", kwargs={"token": theirs.invitation_token})

    page = client.get(url)
    response = client.post(url)

    assert response.status_code == 400
    assert "Your account is locked" in page.text
    assert SESSION_KEY not in client.session
    theirs.invitation.refresh_from_db()
    assert theirs.invitation.used_at is None
