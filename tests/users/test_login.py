"""Signing in with django-allauth: username or email, codes, lockout, no signup, admin."""

import re
import uuid

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.factories import ClinicianFactory, PatientFactory, PatientUserFactory
from users.models import User

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "correct horse battery"


@pytest.fixture
def configured_cache():
    """The cache the settings configure (Redis when REDIS_URL is set), kept as it is."""
    from django.core.cache import cache

    return cache


@pytest.fixture(autouse=True)
def fresh_cache(request, settings):
    """Rate limits live in the cache: each test starts with an empty one of its own."""
    if "configured_cache" in request.fixturenames:
        return
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-login-{uuid.uuid4()}",
        }
    }


def _signed_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


# --- The page and its URL -----------------------------------------------------------------


def test_the_login_page_is_allauths_at_the_public_address():
    assert reverse("account_login") == LOGIN
    assert reverse("login") == LOGIN  # the older name still works
    assert settings.LOGIN_URL == "account_login"


def test_the_login_page_labels_its_fields_and_offers_a_code_but_no_signup(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    page = response.text
    assert '<label class="form-label" for="id_login">Username or email</label>' in page
    assert '<label class="form-label" for="id_password">Password</label>' in page
    assert reverse("account_request_login_code") in page
    assert reverse("account_reset_password") in page
    assert reverse("account_signup") not in page


# --- Username or email + password ---------------------------------------------------------


def test_a_clinician_signs_in_with_their_username_and_lands_on_the_clinic(client, clinician):
    response = client.post(LOGIN, {"login": "clinician", "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == "/clinic/"
    assert _signed_in_as(client) == clinician.pk


def test_a_clinician_signs_in_with_their_email(client, clinician):
    response = client.post(
        LOGIN, {"login": "Clinician@Example.org", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/clinic/"
    assert _signed_in_as(client) == clinician.pk


def test_a_wrong_password_is_refused_with_a_message(client, clinician):
    response = client.post(LOGIN, {"login": "clinician", "password": "not it"})

    assert response.status_code == 200
    assert "not correct" in response.text
    assert _signed_in_as(client) is None


def test_a_patient_invited_without_a_password_cannot_sign_in_with_an_empty_one(client):
    user = PatientUserFactory(username="no.password")
    user.set_unusable_password()
    user.save()

    response = client.post(LOGIN, {"login": "no.password", "password": ""})

    assert response.status_code == 200
    assert _signed_in_as(client) is None


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_password(client, clinician):
    for _attempt in range(settings.LOGIN_FAILED_LIMIT):
        response = client.post(LOGIN, {"login": "clinician", "password": "guess"})
        assert "not correct" in response.text

    response = client.post(LOGIN, {"login": "clinician", "password": PASSWORD})

    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.text
    assert _signed_in_as(client) is None


def test_another_account_from_the_same_address_is_not_locked(client, clinician):
    ClinicianFactory(username="colleague")
    for _attempt in range(settings.LOGIN_FAILED_LIMIT):
        client.post(LOGIN, {"login": "clinician", "password": "guess"})

    response = client.post(LOGIN, {"login": "colleague", "password": PASSWORD})

    assert response.status_code == 302
    assert _signed_in_as(client) == User.objects.get(username="colleague").pk


def test_the_lock_ends_when_the_window_has_passed(client, clinician):
    with time_machine.travel("2030-01-01 09:00:00+00:00", tick=False) as traveller:
        for _attempt in range(settings.LOGIN_FAILED_LIMIT):
            client.post(LOGIN, {"login": "clinician", "password": "guess"})
        assert "Too many" in client.post(LOGIN, {"login": "clinician", "password": PASSWORD}).text

        traveller.shift(settings.LOGIN_FAILED_WINDOW_MINUTES * 60 + 1)
        response = client.post(LOGIN, {"login": "clinician", "password": PASSWORD})

    assert response.status_code == 302
    assert _signed_in_as(client) == clinician.pk


def test_the_lockout_is_kept_in_the_configured_cache(client, configured_cache):
    """With REDIS_URL set (CI), the counts live in Redis, shared by every web process."""
    if settings.REDIS_URL:
        assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    username = f"locked.{uuid.uuid4().hex[:12]}"
    ClinicianFactory(username=username)
    # An address of its own, so no other test's failures count against this one.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    for _attempt in range(settings.LOGIN_FAILED_LIMIT):
        client.post(LOGIN, {"login": username, "password": "guess"}, REMOTE_ADDR=address)

    response = client.post(LOGIN, {"login": username, "password": PASSWORD}, REMOTE_ADDR=address)

    assert "Too many failed login attempts" in response.text
    assert SESSION_KEY not in client.session


# --- No public signup ---------------------------------------------------------------------


def test_signup_is_closed(client):
    response = client.get(reverse("account_signup"))

    assert response.status_code == 200
    assert "No sign-up here" in response.text
    assert "invitation" in response.text


def test_posting_the_signup_form_creates_no_account(client):
    client.post(
        reverse("account_signup"),
        {
            "username": "intruder",
            "email": "intruder@example.org",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
        },
    )

    assert not User.objects.filter(username="intruder").exists()


# --- Sign out -----------------------------------------------------------------------------


def test_signing_out_takes_a_post_not_a_link(client, clinician):
    client.force_login(clinician)

    response = client.get(reverse("account_logout"))
    assert response.status_code == 200
    assert _signed_in_as(client) == clinician.pk

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert _signed_in_as(client) is None


# --- Sign in by code ----------------------------------------------------------------------


def _code_from(message) -> str:
    match = re.search(r"^\s*(\d{6})\s*$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


def test_a_patient_signs_in_with_a_six_digit_code_sent_by_email(client, mailoutbox):
    patient = PatientFactory(user__username="pat", user__email="pat@example.org")

    response = client.post(reverse("account_request_login_code"), {"email": "pat@example.org"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_confirm_login_code"))
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["pat@example.org"]
    code = _code_from(mailoutbox[0])

    page = client.get(response.url)
    assert 'inputmode="numeric"' in page.text
    response = client.post(reverse("account_confirm_login_code"), {"code": code}, follow=True)

    assert response.redirect_chain[-1][0] == "/me/"
    assert _signed_in_as(client) == patient.user.pk


def test_a_wrong_code_signs_no_one_in_and_three_wrong_codes_end_it(client, mailoutbox):
    PatientFactory(user__username="pat", user__email="pat@example.org")
    client.post(reverse("account_request_login_code"), {"email": "pat@example.org"})
    code = _code_from(mailoutbox[0])
    wrong = "000000" if code != "000000" else "111111"

    for _attempt in range(3):
        client.post(reverse("account_confirm_login_code"), {"code": wrong})
    response = client.post(reverse("account_confirm_login_code"), {"code": code})

    assert _signed_in_as(client) is None
    assert response.status_code == 302
    assert response.url.startswith(LOGIN) or response.url.startswith(
        reverse("account_request_login_code")
    )


def test_asking_for_a_code_for_an_unknown_email_reveals_nothing(client, mailoutbox):
    response = client.post(reverse("account_request_login_code"), {"email": "who@example.org"})

    assert response.status_code == 302
    assert all("sign-in code" not in message.body.lower() for message in mailoutbox)
    assert _signed_in_as(client) is None


# --- Passwords ----------------------------------------------------------------------------


def test_a_password_reset_link_is_emailed(client, clinician, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": "clinician@example.org"})

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_setting_a_password_applies_djangos_password_validators(client):
    user = PatientUserFactory(username="invited")
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    url = reverse("account_set_password")

    weak = client.post(url, {"password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 200
    user.refresh_from_db()
    assert not user.has_usable_password()

    strong = client.post(
        url, {"password1": "my calves feel better", "password2": "my calves feel better"}
    )
    assert strong.status_code == 302
    user.refresh_from_db()
    assert user.check_password("my calves feel better")


# --- The admin site signs in through allauth --------------------------------------------


def test_the_admin_login_sends_visitors_to_the_allauth_login(client):
    response = client.get(reverse("admin:login") + "?next=/admin/")

    assert response.status_code == 302
    assert response.url.startswith(LOGIN + "?next=")


def test_an_editor_signs_in_to_the_admin_through_allauth(client, editor):
    response = client.post(
        LOGIN + "?next=/admin/", {"login": "editor", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/admin/"
    assert response.status_code == 200
    assert _signed_in_as(client) == editor.pk


def test_a_signed_in_patient_cannot_reach_the_admin(client, patient_user):
    client.post(LOGIN, {"login": "patient", "password": PASSWORD})
    assert _signed_in_as(client) == patient_user.pk

    response = client.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0] == "/me/"
    assert "administration site is for content editors" in response.text
    assert _signed_in_as(client) == patient_user.pk


def test_the_admin_login_is_rate_limited_like_any_login(client, editor):
    for _attempt in range(settings.LOGIN_FAILED_LIMIT):
        client.post(LOGIN + "?next=/admin/", {"login": "editor", "password": "guess"})

    response = client.post(LOGIN + "?next=/admin/", {"login": "editor", "password": PASSWORD})

    assert "Too many failed login attempts" in response.text
    assert client.get(reverse("admin:index")).status_code == 302


# --- Unknown addresses get the same answer as known ones (issue 11) --------------------------


def _page_without_tokens(text: str, address: str) -> str:
    text = text.replace(address, "ADDRESS")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", text)


@pytest.mark.parametrize("url_name", ["account_request_login_code", "account_reset_password"])
def test_an_unknown_address_gets_the_same_answer_and_the_same_work_as_a_known_one(
    mailoutbox, monkeypatch, url_name
):
    """Nothing in the answer tells which addresses have accounts: the same status, the same
    redirect, the same next page; and the same work is done (the address looked up once,
    one email rendered and sent to it), so the time taken does not tell either."""
    from users import forms as user_forms
    from users.adapter import AccountAdapter

    PatientFactory(user__username="pat", user__email="pat@example.org")
    lookups, mails = [], []
    real_lookup, real_send = user_forms.accounts_for_address, AccountAdapter.send_mail

    def counting_lookup(email, **kwargs):
        lookups.append(email)
        return real_lookup(email, **kwargs)

    def counting_send(self, template_prefix, email, context):
        mails.append(email)
        return real_send(self, template_prefix, email, context)

    monkeypatch.setattr(user_forms, "accounts_for_address", counting_lookup)
    monkeypatch.setattr(AccountAdapter, "send_mail", counting_send)
    url = reverse(url_name)
    answers = {}
    for address in ["pat@example.org", "nobody@example.org"]:
        client = Client()
        response = client.post(url, {"email": address})
        follow_up = client.get(response["Location"])
        answers[address] = (
            response.status_code,
            response["Location"],
            response.content,
            follow_up.status_code,
            _page_without_tokens(follow_up.text, address),
        )

    assert answers["pat@example.org"] == answers["nobody@example.org"]
    assert lookups == ["pat@example.org", "nobody@example.org"]
    assert mails == ["pat@example.org", "nobody@example.org"]
    assert [m.to for m in mailoutbox] == [["pat@example.org"], ["nobody@example.org"]]
    assert "No account uses this address" in mailoutbox[1].body
