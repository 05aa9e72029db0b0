"""Two-factor authentication (allauth.mfa, TOTP): optional, required by role by a setting."""

import re
import time
import uuid

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-mfa-{uuid.uuid4()}",
        }
    }


def _activate_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _sign_in_and_confirm_password(client, username: str) -> None:
    """Sign in; then confirm the password again, as allauth asks before 2FA changes."""
    client.post(LOGIN, {"login": username, "password": PASSWORD})
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def _current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


# --- Optional two-factor at sign-in -------------------------------------------------------


def test_a_clinician_with_an_authenticator_app_must_type_its_code_after_the_password(
    client, clinician
):
    secret = _activate_totp(clinician)

    response = client.post(LOGIN, {"login": "clinician", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert SESSION_KEY not in client.session
    assert client.get("/clinic/").status_code == 302

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert SESSION_KEY not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(clinician.pk)


def test_the_admin_login_asks_an_editor_with_an_authenticator_app_for_the_code(client, editor):
    _activate_totp(editor)

    response = client.post(LOGIN + "?next=/admin/", {"login": "editor", "password": PASSWORD})

    assert response.url == reverse("mfa_authenticate")
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_two_factor_pages_render_in_our_layout(client, clinician):
    _sign_in_and_confirm_password(client, "clinician")

    index = client.get(reverse("mfa_index"))
    activate = client.get(reverse("mfa_activate_totp"))

    assert index.status_code == 200
    assert activate.status_code == 200
    assert 'class="btn btn-primary' in activate.text
    assert "Authenticator secret" in activate.text
    assert 'href="/accounts/sessions/"' in activate.text  # the account navigation


def test_setting_up_an_authenticator_app_asks_for_the_password_again(client, clinician):
    client.post(LOGIN, {"login": "clinician", "password": PASSWORD})

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    page = client.get(response.url)
    assert page.status_code == 200
    assert re.search(r'<label\s+for="id_password" class="form-label', page.text)


def test_a_clinician_can_activate_an_authenticator_app(client, clinician):
    _sign_in_and_confirm_password(client, "clinician")
    client.get(reverse("mfa_activate_totp"))
    secret = client.session["mfa.totp.secret"]

    response = client.post(reverse("mfa_activate_totp"), {"code": _current_code(secret)})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=clinician, type=Authenticator.Type.TOTP).exists()
    # Recovery codes come with it.
    assert Authenticator.objects.filter(
        user=clinician, type=Authenticator.Type.RECOVERY_CODES
    ).exists()


# --- MFA_REQUIRED_ROLES -------------------------------------------------------------------


def test_with_no_required_roles_nobody_is_sent_to_set_up_two_factor(client, clinician, settings):
    settings.MFA_REQUIRED_ROLES = []
    client.force_login(clinician)

    assert client.get("/clinic/").status_code == 200


def test_a_clinician_without_an_authenticator_app_is_sent_to_set_one_up_when_required(
    client, clinician, settings
):
    settings.MFA_REQUIRED_ROLES = ["clinician"]
    client.force_login(clinician)

    for url in ["/clinic/", "/library/", "/programs/", "/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == reverse("mfa_activate_totp"), url


def test_the_set_up_and_account_pages_stay_reachable_when_two_factor_is_required(
    client, clinician, settings
):
    settings.MFA_REQUIRED_ROLES = ["clinician"]
    _sign_in_and_confirm_password(client, "clinician")
    assert client.get("/clinic/").url == reverse("mfa_activate_totp")

    activate = client.get(reverse("mfa_activate_totp"))
    assert activate.status_code == 200
    assert "must be protected by two-factor authentication" in activate.text
    assert client.get(reverse("users:sessions")).status_code == 200
    assert client.get(reverse("account_change_password")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert SESSION_KEY not in client.session


def test_a_clinician_with_an_authenticator_app_goes_about_their_work(client, clinician, settings):
    settings.MFA_REQUIRED_ROLES = ["clinician"]
    _activate_totp(clinician)
    client.force_login(clinician)

    assert client.get("/clinic/").status_code == 200


def test_roles_not_listed_are_not_asked_for_two_factor(client, settings):
    settings.MFA_REQUIRED_ROLES = ["clinician", "admin"]
    patient = PatientFactory()
    client.force_login(patient.user)

    assert client.get("/me/").status_code == 200


def test_administrators_can_be_required_to_use_two_factor(client, administrator, settings):
    settings.MFA_REQUIRED_ROLES = ["admin"]
    client.force_login(administrator)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


# --- The production default and turning it off (issue 11) -----------------------------------


def _production_settings(**env: str) -> dict:
    import json
    import subprocess
    import sys

    from tests.security.test_deploy_check import ROOT, production_env

    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps(s.MFA_REQUIRED_ROLES))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_requires_two_factor_for_clinicians_editors_and_administrators():
    assert _production_settings() == ["clinician", "editor", "admin"]


def test_development_does_not_require_two_factor_by_default():
    assert _production_settings(DEBUG="true") == []


def test_turning_two_factor_off_in_production_is_a_loud_warning():
    from tests.security.test_deploy_check import manage, production_env

    result = manage("check", "--deploy", env=production_env(MFA_REQUIRED_ROLES="none"))

    assert "users.W002" in result.stderr + result.stdout
    assert "Two-factor authentication is NOT required for: clinician, editor, admin" in (
        result.stderr + result.stdout
    )
    strict = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(MFA_REQUIRED_ROLES="none"),
    )
    assert strict.returncode != 0


def test_the_warning_names_only_the_roles_left_out(settings):
    from users.checks import check_two_factor_required

    settings.DEBUG = False
    settings.MFA_REQUIRED_ROLES = ["clinician", "admin"]
    [warning] = check_two_factor_required()
    assert warning.id == "users.W002"
    assert "NOT required for: editor." in warning.msg

    settings.MFA_REQUIRED_ROLES = ["clinician", "editor", "admin"]
    assert check_two_factor_required() == []
    settings.DEBUG = True
    settings.MFA_REQUIRED_ROLES = []
    assert check_two_factor_required() == []
