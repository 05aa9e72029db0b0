"""System checks of the users app (registered in users.apps.UsersConfig.ready)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning

# Every role that reaches patient data or the admin.
STAFF_ROLES = ("clinician", "editor", "admin")


def check_two_factor_required(app_configs=None, **kwargs) -> list[Warning]:
    """users.W001: with DEBUG off, two-factor should be required for clinicians, editors
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
            id="users.W001",
        )
    ]
