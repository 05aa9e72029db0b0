"""System checks that refuse unsafe production settings.

With ``DEBUG`` off, an email backend that delivers nothing (console, in-memory, dummy,
file) is an error: sign-in codes, invitations and password-reset links would land in logs
or files and never reach anyone. ``manage.py check`` (and ``check --deploy``, ``migrate``,
``runserver``) report it, and the web and worker processes refuse to start
(``refuse_unsafe_backends``, called from config/wsgi.py and config/celery.py). An operator
who means it (a staging server) sets ``ALLOW_CONSOLE_BACKENDS=true``: the check then warns
instead. Other apps add their own checks under the same tag (patients/checks.py: SMS).

users.W002 warns, at every start and in ``check --deploy``, when two-factor is not required
for every role that reaches patient data or the admin.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.checks import Warning
from django.core.exceptions import ImproperlyConfigured

UNSAFE_BACKENDS = "unsafe_backends"

UNSAFE_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    }
)


def unsafe_backend_message(
    *, setting: str, backend: str, what: str, check_id: str
) -> list[checks.CheckMessage]:
    """An error (a warning when ``ALLOW_CONSOLE_BACKENDS`` is on) for ``backend`` in
    production; nothing when ``DEBUG`` is on."""
    if settings.DEBUG:
        return []
    if getattr(settings, "ALLOW_CONSOLE_BACKENDS", False):
        return [
            checks.Warning(
                f"{setting} is {backend} with DEBUG off: {what} are not delivered.",
                hint="ALLOW_CONSOLE_BACKENDS is on. Turn it off outside a test server.",
                id=f"{check_id[:-4]}W{check_id[-3:]}",
            )
        ]
    return [
        checks.Error(
            f"{setting} is {backend} with DEBUG off: {what} would never reach anyone.",
            hint=(
                "Configure a real backend (see README.md), or set "
                "ALLOW_CONSOLE_BACKENDS=true on a test server that should not deliver."
            ),
            id=check_id,
        )
    ]


@checks.register(checks.Tags.security, UNSAFE_BACKENDS)
def check_email_backend(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    backend = settings.EMAIL_BACKEND
    if backend not in UNSAFE_EMAIL_BACKENDS:
        return []
    return unsafe_backend_message(
        setting="EMAIL_BACKEND",
        backend=backend,
        what="sign-in codes, invitations and password-reset emails",
        check_id="users.E001",
    )


def refuse_unsafe_backends() -> None:
    """Raise ``ImproperlyConfigured`` when a check of the tag above reports an error: the
    web and worker processes call it as they start (Django runs checks only in commands)."""
    errors = [
        message for message in checks.run_checks(tags=[UNSAFE_BACKENDS]) if message.is_serious()
    ]
    if errors:
        raise ImproperlyConfigured("\n".join(str(error) for error in errors))


# Every role that reaches patient data or the admin.
STAFF_ROLES = ("clinician", "editor", "admin")


@checks.register(checks.Tags.security)
def check_two_factor_required(app_configs=None, **kwargs) -> list[Warning]:
    """users.W002: with DEBUG off, two-factor should be required for clinicians, editors
    and administrators. An operator may turn it off (MFA_REQUIRED_ROLES=none); this
    warning then says so at every start and in ``check --deploy``."""
    if settings.DEBUG:
        return []
    missing = [role for role in STAFF_ROLES if role not in settings.MFA_REQUIRED_ROLES]
    if not missing:
        return []
    return [
        Warning(
            "Two-factor authentication is NOT required for: "
            + ", ".join(missing)
            + ". These accounts reach patient data or the admin with a password alone.",
            hint="Remove MFA_REQUIRED_ROLES from the environment (the default requires it "
            "for clinician, editor and admin), or set it to clinician,editor,admin.",
            id="users.W002",
        )
    ]
