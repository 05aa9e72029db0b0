"""People who use the app, their roles, and the practice clinicians work in."""

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.signals import user_logged_in
from django.db import models
from django.db.models.functions import Lower
from django.dispatch import receiver
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from timezone_field import TimeZoneField


def normalize_address(email: str | None) -> str:
    """An email address as stored and looked up: without surrounding spaces, lower-cased."""
    return (email or "").strip().lower()


class Practice(models.Model):
    """A clinic. Clinicians of one practice can share program templates."""

    name = models.CharField(_("name"), max_length=200)
    # The clinic's clock: "today" on its clinicians' dashboards, and the times they read.
    time_zone = TimeZoneField(
        _("time zone"),
        default="Europe/London",
        help_text=_("Where the practice is: its clinicians' dates and times are in this zone."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("practice")
        verbose_name_plural = _("practices")

    def __str__(self) -> str:
        return self.name


class RoleAwareUserManager(UserManager):
    """Django's manager, except that a superuser is an administrator: the database lets
    only editors and administrators be staff, so `createsuperuser` must set the role."""

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """Every person who signs in. The role decides their home page and what they may do.

    Roles are a field rather than groups: each user has exactly one, views branch on it,
    and the database states which roles may reach the admin site (see the constraint).
    """

    class Role(models.TextChoices):
        PATIENT = "patient", _("Patient")
        CLINICIAN = "clinician", _("Clinician")
        EDITOR = "editor", _("Content editor")
        ADMIN = "admin", _("Administrator")

    # Apps whose models a content editor may change in the admin, and nothing else.
    EDITOR_APPS = frozenset({"trigger"})

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PATIENT)
    practice = models.ForeignKey(
        Practice,
        verbose_name=_("practice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    # Mixed into the session auth hash: changing it ends every session of the user
    # ("sign out everywhere"). Empty keeps Django's own hash, so existing sessions survive.
    session_salt = models.CharField(max_length=32, blank=True, default="", editable=False)
    # The long-window lockout (users.lockout): set when the account has had
    # LOGIN_DAILY_FAILED_LIMIT failed sign-ins within LOGIN_DAILY_FAILED_WINDOW_HOURS. Every
    # way in is refused until a password reset by email or the clinic unlocks it.
    sign_in_locked_at = models.DateTimeField(_("sign-in locked"), null=True, blank=True)
    # Failed sign-ins before this moment no longer count (set when the lock is lifted).
    sign_in_failures_since = models.DateTimeField(null=True, blank=True, editable=False)

    objects = RoleAwareUserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_staff=False) | models.Q(role__in=["editor", "admin"]),
                name="users_user_only_editors_and_admins_are_staff",
            ),
            # One address, one account: an email address designates at most one person,
            # whatever its case (the code sign-in and password reset rely on it).
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="users_user_email_unique_lower",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def save(self, *args, **kwargs) -> None:
        # Addresses are stored lower-cased, so every lookup (allauth's included) finds them.
        self.email = normalize_address(self.email)
        super().save(*args, **kwargs)

    @property
    def is_sign_in_locked(self) -> bool:
        return self.sign_in_locked_at is not None

    @property
    def is_clinician(self) -> bool:
        return self.role == self.Role.CLINICIAN

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT

    @property
    def is_editor(self) -> bool:
        return self.role == self.Role.EDITOR

    def _session_auth_hash(self, secret: str | None = None) -> str:
        if not self.session_salt:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "users.User.get_session_auth_hash",
            f"{self.password}:{self.session_salt}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_session_auth_hash(self) -> str:
        # Django's auth middleware compares this with the hash stored in each session.
        return self._session_auth_hash()

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=fallback_secret)

    def has_perm(self, perm: str, obj: object = None) -> bool:
        if self.is_active and self.is_editor and perm.split(".", 1)[0] in self.EDITOR_APPS:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.is_editor and app_label in self.EDITOR_APPS:
            return True
        return super().has_module_perms(app_label)


def user_sign_out_everywhere(*, user: User) -> None:
    """End every session of ``user``, on every device: a new session salt changes the
    session auth hash, and Django's auth middleware then refuses each older session."""
    user.session_salt = secrets.token_hex(16)
    user.save(update_fields=["session_salt"])


@receiver(user_logged_in, dispatch_uid="users.session_expiry_on_login")
def _session_expiry_on_login(sender, request, user, **kwargs) -> None:
    # Every way in (password, code, invitation link, admin) starts the session with its
    # role's length; users.middleware renews it on later requests.
    from .middleware import renew_session_expiry

    if request is not None and hasattr(request, "session"):
        renew_session_expiry(session=request.session, user=user, force=True)


@receiver(user_logged_in, dispatch_uid="users.practice_zone_on_login")
def _practice_zone_on_login(sender, request, user, **kwargs) -> None:
    # The practice's time zone rides in the session (users.middleware): no query per page.
    from .middleware import remember_practice_zone

    if request is not None and hasattr(request, "session"):
        remember_practice_zone(session=request.session, user=user)
