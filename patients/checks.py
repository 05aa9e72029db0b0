"""The SMS backend in production: a console or in-memory one records reminders as sent
that nobody received. Same rule and switch as the email check (users/checks.py)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from users.checks import UNSAFE_BACKENDS, unsafe_backend_message

UNSAFE_SMS_BACKENDS = frozenset({"patients.sms.ConsoleSmsBackend", "patients.sms.LocmemSmsBackend"})


@checks.register(checks.Tags.security, UNSAFE_BACKENDS)
def check_sms_backend(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    backend = settings.SMS_BACKEND
    if backend not in UNSAFE_SMS_BACKENDS:
        return []
    return unsafe_backend_message(
        setting="SMS_BACKEND",
        backend=backend,
        what="text-message reminders and invitations",
        check_id="patients.E001",
    )
