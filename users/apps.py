from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = _("Users and practices")

    def ready(self) -> None:
        # The sign-in log (users.audit.AuthEvent) and the account changes in the audit trail.
        from . import audit, checks  # noqa: F401 (checks registers itself)

        audit.register_user_model()
        audit.connect_receivers()

        from allauth.account.signals import password_reset

        from .lockout import on_password_reset

        # A password reset by email proves the owner reads their mail: it lifts the lock.
        password_reset.connect(on_password_reset, dispatch_uid="users.lockout.password_reset")
