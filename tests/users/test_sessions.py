"""Session length by role, "sign out everywhere", and the session cookie."""

import datetime
import importlib
import uuid

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.factories import PatientFactory
from users.models import User, user_sign_out_everywhere

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "correct horse battery"
THIRTY_MINUTES = 30 * 60
THIRTY_DAYS = 30 * 24 * 3600
START = datetime.datetime(2030, 3, 4, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-sessions-{uuid.uuid4()}",
        }
    }


def _signed_in(client) -> bool:
    return SESSION_KEY in client.session


def _expire_date(client) -> datetime.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


# --- How long a session lasts -------------------------------------------------------------


def test_the_defaults_are_thirty_minutes_idle_for_staff_and_thirty_days_for_patients():
    assert settings.CLINICIAN_IDLE_SECONDS == THIRTY_MINUTES
    assert settings.PATIENT_SESSION_SECONDS == THIRTY_DAYS
    assert settings.SESSION_COOKIE_AGE == THIRTY_DAYS


def test_a_clinicians_session_expires_after_thirty_minutes(client, clinician):
    client.post(LOGIN, {"login": "clinician", "password": PASSWORD})

    assert _signed_in(client)
    assert client.session.get_expiry_age() == THIRTY_MINUTES


@pytest.mark.parametrize("persona", ["editor", "administrator"])
def test_editors_and_administrators_sessions_expire_after_thirty_minutes(client, request, persona):
    user = request.getfixturevalue(persona)
    client.post(LOGIN, {"login": user.username, "password": PASSWORD})

    assert client.session.get_expiry_age() == THIRTY_MINUTES


def test_a_patients_session_lasts_thirty_days(client):
    patient = PatientFactory(user__username="pat")

    client.post(LOGIN, {"login": "pat", "password": PASSWORD})

    assert client.session[SESSION_KEY] == str(patient.user.pk)
    assert client.session.get_expiry_age() == THIRTY_DAYS


def test_a_clinician_idle_for_more_than_thirty_minutes_is_signed_out(client, clinician):
    with time_machine.travel(START, tick=False) as traveller:
        client.post(LOGIN, {"login": "clinician", "password": PASSWORD})
        traveller.shift(datetime.timedelta(minutes=31))

        response = client.get("/clinic/")

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_a_busy_clinician_stays_signed_in_past_thirty_minutes(client, clinician):
    with time_machine.travel(START, tick=False) as traveller:
        client.post(LOGIN, {"login": "clinician", "password": PASSWORD})
        for _step in range(3):
            traveller.shift(datetime.timedelta(minutes=20))
            assert client.get("/clinic/").status_code == 200

        # An hour after signing in, the session still runs 30 minutes from the last page.
        expires = _expire_date(client)

    assert expires == START + datetime.timedelta(minutes=60 + 30)


def test_a_patient_is_still_signed_in_after_a_fortnight_away(client):
    PatientFactory(user__username="pat")
    with time_machine.travel(START, tick=False) as traveller:
        client.post(LOGIN, {"login": "pat", "password": PASSWORD})
        traveller.shift(datetime.timedelta(days=14))

        response = client.get("/me/")

    assert response.status_code == 200
    assert _signed_in(client)


def test_the_session_is_not_written_on_every_request(client, clinician):
    with time_machine.travel(START, tick=False) as traveller:
        client.post(LOGIN, {"login": "clinician", "password": PASSWORD})
        client.get("/clinic/")
        first = _expire_date(client)
        traveller.shift(datetime.timedelta(seconds=30))
        client.get("/clinic/")
        assert _expire_date(client) == first  # renewed at most once a minute

        traveller.shift(datetime.timedelta(seconds=31))
        client.get("/clinic/")
        assert _expire_date(client) == START + datetime.timedelta(seconds=61, minutes=30)


# --- Sign out everywhere ------------------------------------------------------------------


def test_the_account_page_needs_a_signed_in_user(client):
    response = client.get(reverse("users:sessions"))

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_the_account_page_offers_to_sign_out_everywhere(client, patient_user):
    client.force_login(patient_user)

    response = client.get(reverse("users:sessions"))

    assert response.status_code == 200
    assert "Sign out everywhere" in response.text


def test_signing_out_everywhere_ends_the_users_other_sessions(clinician):
    phone, desktop = Client(), Client()
    phone.force_login(clinician)
    desktop.force_login(clinician)
    assert phone.get("/clinic/").status_code == 200

    response = desktop.post(reverse("users:sessions"))

    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert not _signed_in(desktop)
    stale = phone.get("/clinic/")
    assert stale.status_code == 302
    assert stale.url.startswith(LOGIN)


def test_signing_out_everywhere_leaves_other_users_signed_in(clinician, other_clinician):
    mine, theirs = Client(), Client()
    mine.force_login(clinician)
    theirs.force_login(other_clinician)

    mine.post(reverse("users:sessions"))

    assert theirs.get("/clinic/").status_code == 200


def test_after_signing_out_everywhere_the_user_can_sign_in_again(client, clinician):
    user_sign_out_everywhere(user=clinician)

    client.post(LOGIN, {"login": "clinician", "password": PASSWORD})

    assert client.get("/clinic/").status_code == 200


def test_a_user_who_never_signed_out_everywhere_keeps_djangos_session_hash(clinician):
    """Deploying the session salt must not sign out everyone who is signed in."""
    from django.contrib.auth.base_user import AbstractBaseUser

    assert clinician.session_salt == ""
    assert clinician.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(clinician)

    user_sign_out_everywhere(user=clinician)
    clinician = User.objects.get(pk=clinician.pk)
    assert clinician.session_salt
    assert clinician.get_session_auth_hash() != AbstractBaseUser.get_session_auth_hash(clinician)


# --- The cookie ---------------------------------------------------------------------------


def test_the_session_cookie_is_http_only(client, clinician):
    response = client.post(LOGIN, {"login": "clinician", "password": PASSWORD})

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["max-age"] == THIRTY_MINUTES


def test_production_settings_send_the_session_cookie_over_https_only():
    # tests/settings.py turns the flag off for plain-HTTP live servers; the real
    # settings module (DEBUG off) turns it on.
    production = importlib.import_module("config.settings")

    assert production.DEBUG is False
    assert production.SESSION_COOKIE_SECURE is True
    assert production.SESSION_COOKIE_HTTPONLY is True
