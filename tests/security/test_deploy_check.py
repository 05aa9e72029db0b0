"""Headers and deployment: production settings pass ``check --deploy`` with no warning, the
security headers are on every page, no script runs inline, and no secret is in the tree.

``check --deploy`` runs in a subprocess with a production environment (DEBUG off, a real
SECRET_KEY, ALLOWED_HOSTS, HTTPS redirect and HSTS on), the real settings module, not the
test one: ``make test`` runs it with the rest of the suite.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import checks
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "SECURE_", "SESSION_", "CSRF_"))
        and key not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL", "SMS_BACKEND")
        and key != "ALLOW_CONSOLE_BACKENDS"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="clinic.example.org",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_SECONDS="31536000",
        # Backends that deliver: the console ones are refused with DEBUG off.
        EMAIL_URL="smtp://mail.example.org:587",
        SMS_BACKEND="patients.sms.TwilioSmsBackend",
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_warning_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_static_files_collect_with_the_production_manifest_storage(tmp_path):
    """A deploy runs collectstatic with whitenoise's manifest storage, which fails on any
    reference (a source map, a font) that is not shipped."""
    result = manage(
        "collectstatic", "--no-input", env=production_env(STATIC_ROOT=str(tmp_path / "static"))
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_production_settings_refuse_to_start_without_a_real_secret_key():
    result = manage("check", env=production_env(SECRET_KEY="short"))

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


# --- Backends that deliver nothing are refused in production ----------------------------------


@pytest.mark.parametrize(
    ("override", "setting"),
    [
        ({"EMAIL_URL": "consolemail://"}, "EMAIL_BACKEND"),
        ({"EMAIL_URL": "memorymail://"}, "EMAIL_BACKEND"),
        ({"SMS_BACKEND": "patients.sms.ConsoleSmsBackend"}, "SMS_BACKEND"),
    ],
)
def test_check_deploy_fails_for_a_console_or_in_memory_backend(override, setting):
    result = manage("check", "--deploy", env=production_env(**override))

    assert result.returncode != 0
    assert setting in result.stderr
    assert "would never reach anyone" in result.stderr


def test_the_default_backends_are_refused_when_debug_is_off():
    env = production_env()
    del env["EMAIL_URL"], env["SMS_BACKEND"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "users.E001" in result.stderr
    assert "patients.E001" in result.stderr


def test_the_web_process_refuses_to_start_with_a_console_backend():
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env=production_env(EMAIL_URL="consolemail://"),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "EMAIL_BACKEND" in result.stderr


def test_an_operator_may_allow_console_backends_and_is_warned():
    env = production_env(
        EMAIL_URL="consolemail://",
        SMS_BACKEND="patients.sms.ConsoleSmsBackend",
        ALLOW_CONSOLE_BACKENDS="true",
    )

    result = manage("check", "--deploy", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "users.W001" in result.stderr
    assert "patients.W001" in result.stderr


def test_the_worker_refuses_to_start_with_a_console_backend_in_production(settings):
    from django.core.exceptions import ImproperlyConfigured

    from config.celery import _refuse_unsafe_backends

    settings.DEBUG = False
    settings.ALLOW_CONSOLE_BACKENDS = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.SMS_BACKEND = "patients.sms.ConsoleSmsBackend"

    with pytest.raises(ImproperlyConfigured, match="SMS_BACKEND"):
        _refuse_unsafe_backends()

    settings.SMS_BACKEND = "patients.sms.TwilioSmsBackend"
    _refuse_unsafe_backends()  # delivering backends: the worker starts


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend", "users.E001"),
        ("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend", "users.E001"),
        ("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend", "users.E001"),
        ("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend", "users.E001"),
        ("SMS_BACKEND", "patients.sms.ConsoleSmsBackend", "patients.E001"),
        ("SMS_BACKEND", "patients.sms.LocmemSmsBackend", "patients.E001"),
    ],
)
def test_each_undelivering_backend_is_an_error_only_when_debug_is_off(
    settings, name, value, check_id
):
    settings.ALLOW_CONSOLE_BACKENDS = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.SMS_BACKEND = "patients.sms.TwilioSmsBackend"
    setattr(settings, name, value)

    settings.DEBUG = False
    in_production = [m.id for m in checks.run_checks(tags=["unsafe_backends"])]
    settings.DEBUG = True
    in_development = [m.id for m in checks.run_checks(tags=["unsafe_backends"])]

    assert in_production == [check_id]
    assert in_development == []


def test_production_settings_keep_cookies_secure_and_http_only():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'DEBUG', 'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_SECURE', "
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', 'X_FRAME_OPTIONS')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
    }


# --- Headers on a page -----------------------------------------------------------------------


def _directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("persona", [None, "patient_user", "clinician"])
def test_pages_carry_a_csp_without_inline_scripts_and_frame_denial(client, request, persona):
    if persona:
        user = request.getfixturevalue(persona)
        client.force_login(user)
    url = {None: "/accounts/login/", "patient_user": "/me/", "clinician": "/clinic/"}[persona]

    response = client.get(url)

    assert response.status_code == 200
    csp = _directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("default-src", [])
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_https_responses_carry_hsts(client):
    response = client.get("/accounts/login/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_the_session_cookie_is_http_only(client, clinician):
    response = client.post(
        "/accounts/login/", {"login": "clinician", "password": "correct horse battery"}
    )

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_no_template_of_ours_runs_a_script_inline():
    """The CSP would block an inline script or event handler: none may exist."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>")
    handler = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (inline_script, handler, re.compile(r"javascript:", re.IGNORECASE)):
            if pattern.search(text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern.pattern}")
    assert not offenders, offenders


def test_a_nul_character_in_the_address_is_a_400_not_a_database_error(client, clinician):
    client.force_login(clinician)

    assert client.get(reverse("programs:list"), {"q": "calf\x00"}).status_code == 400
    assert client.get(reverse("patients:clinic"), {"q\x00": "x"}).status_code == 400
    assert client.get(reverse("programs:list"), {"q": "calf"}).status_code == 200


# --- No secrets in the repository ------------------------------------------------------------

SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".hypothesis",
    ".pytest_cache",
    ".ruff_cache",
    ".broker",
    "staticfiles",
    "media",
    "test-artifacts",
    "vendor",
}
SKIP_SUFFIXES = {".sqlite3", ".png", ".jpg", ".jpeg", ".webp", ".ico", ".gif", ".mp4", ".woff2"}
SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "Twilio account or key id": re.compile(r"\b(AC|SK)[0-9a-f]{32}\b"),
    "Slack token": re.compile(r"\bxox[baprs]-[0-9A-Za-z-]{10,}"),
    "assigned secret": re.compile(
        r"(SECRET_KEY|AUTH_TOKEN|API_KEY|PASSWORD)\s*[=:]\s*[\"']([^\"'\s]{20,})[\"']"
    ),
    "credentials in a URL": re.compile(r"\b(postgres|redis|smtp)s?://[^/\s:@]+:[^@\s/]{6,}@"),
}
# Values that look like secrets but are not: the development key (refused when DEBUG is
# off) and the test settings' key.
ALLOWED = ("django-insecure-", "test-only-secret-key-", "changeme", "change-me")


def _repository_files():
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & SKIP_DIRS or not path.is_file() or path.suffix in SKIP_SUFFIXES:
            continue
        if path.name == ".env" or path.name.startswith("db.sqlite3"):
            continue  # local, ignored by git (see the next test)
        yield path


def test_no_file_in_the_repository_holds_an_obvious_secret():
    found = []
    for path in _repository_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for label, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                if not any(allowed in match.group(0) for allowed in ALLOWED):
                    found.append(f"{path.relative_to(ROOT)}: {label}")
    assert not found, found


def test_only_the_example_environment_file_is_meant_for_the_repository():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert ".env" in ignored
    example = (ROOT / ".env.example").read_text()
    for line in example.splitlines():
        if line.startswith("SECRET_KEY="):
            pytest.fail(".env.example must not set a SECRET_KEY value")
