from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = _("Users and practices")

    def ready(self) -> None:
        # The sign-in log (users.audit.AuthEvent) and the account changes in the audit trail.
        from . import audit

        audit.register_user_model()
        audit.connect_receivers()

        from allauth.account.signals import password_reset
        from django.core import checks

        from .checks import check_two_factor_required
        from .lockout import on_password_reset

        checks.register(check_two_factor_required, checks.Tags.security)
        # A password reset by email proves the owner reads their mail: it lifts the lock.
        password_reset.connect(on_password_reset, dispatch_uid="users.lockout.password_reset")
