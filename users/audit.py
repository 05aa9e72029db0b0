"""The sign-in part of the audit trail: every sign-in, failed sign-in and sign-out.

Changes to data and reads of patient records go to django-auditlog's ``LogEntry``
(patients/audit.py). Sign-ins are kept here, in an append-only table of their own,
because a failed sign-in for a name that matches no account has no object for a
``LogEntry`` to point at.

Who: the account (when one matched), with a snapshot of its username taken when the event
is written (the account may be deleted later: the event still says whose it was), or, for
an unknown account, the name that was typed.
When: ``created_at``. From where: the client address (behind a proxy, the address that
``TRUSTED_PROXY_COUNT`` designates, as for the rate limits) and the browser's user agent.
How: the page that handled it (``via``: allauth's login, the code login, the two-factor
step, the invitation link, ...).
"""

from __future__ import annotations

import ipaddress
import logging

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.db.models.functions import Lower, Trim
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

MAX_LOGIN_LENGTH = 150
MAX_USER_AGENT_LENGTH = 300


class AppendOnlyError(Exception):
    """An audit row was about to be changed or deleted."""


class AuthEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The sign-in log is append-only.")

    def delete(self):
        raise AppendOnlyError("The sign-in log is append-only.")


class AuthEvent(models.Model):
    """One sign-in, failed sign-in or sign-out. Rows are written once and never changed."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOGOUT = "logout", _("Signed out")

    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    # The account's username when the event was written: deleting the account later sets
    # ``user`` to NULL, and this still says whose sign-in it was.
    username = models.CharField(_("username"), max_length=150, blank=True)
    # Only for a failed sign-in that matched no account: what was typed, so that guessing
    # at many names shows. Empty when the account is known (``user`` says who).
    attempted_login = models.CharField(_("name typed"), max_length=MAX_LOGIN_LENGTH, blank=True)
    via = models.CharField(_("page"), max_length=100, blank=True)
    remote_addr = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=MAX_USER_AGENT_LENGTH, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = AuthEventQuerySet.as_manager()

    class Meta:
        app_label = "users"
        ordering = ["-created_at", "-id"]
        verbose_name = _("sign-in event")
        verbose_name_plural = _("sign-in events")
        indexes = [models.Index(fields=["user", "-created_at"], name="users_authevent_user_idx")]

    def __str__(self) -> str:
        who = self.user or self.username or self.attempted_login or "?"
        return f"{self.get_kind_display()}: {who} {self.created_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("The sign-in log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The sign-in log is append-only.")


# --- Where a request comes from ------------------------------------------------------------


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the rate limits see it (allauth: REMOTE_ADDR, or the
    X-Forwarded-For entry that TRUSTED_PROXY_COUNT designates). None when unknown.

    A client can put anything in X-Forwarded-For; only the trusted proxies' entries are
    believed, so the audit trail cannot be fed a made-up address."""
    if request is None:
        return None
    try:
        address = get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        return None
    try:
        return str(ipaddress.ip_address(address))
    except (TypeError, ValueError):
        return None


def _clean(text: str, limit: int) -> str:
    # PostgreSQL refuses NUL in text; a hostile client may send one in any header.
    return (text or "").replace("\x00", "")[:limit]


def _via(request: HttpRequest | None) -> str:
    match = getattr(request, "resolver_match", None)
    return _clean(match.view_name, 100) if match is not None else ""


def record_auth_event(
    *,
    kind: str,
    request: HttpRequest | None,
    user=None,
    attempted_login: str = "",
    via: str | None = None,
) -> AuthEvent:
    meta = getattr(request, "META", {}) if request is not None else {}
    return AuthEvent.objects.create(
        kind=kind,
        user=user,
        username=user.get_username() if user is not None else "",
        attempted_login="" if user is not None else _clean(attempted_login, MAX_LOGIN_LENGTH),
        via=via if via is not None else _via(request),
        remote_addr=client_ip(request),
        user_agent=_clean(meta.get("HTTP_USER_AGENT", ""), MAX_USER_AGENT_LENGTH),
    )


def auth_events_scrub(*, user, replacement_username: str) -> int:
    """Empty the sign-in events of a person being erased, keeping who, when and what kind.

    The one exception to "append-only": erasure. Events of the account lose the client
    address and browser, and their username snapshot becomes ``replacement_username``.
    Failed sign-ins that matched no account but where the account's username or email
    was typed (any case, surrounding spaces) lose the name typed, address and browser.
    Call it before the account's username and email are emptied. Returns how many events
    were scrubbed."""
    typed = [value.strip().lower() for value in (user.username, user.email) if value.strip()]
    own = models.QuerySet(AuthEvent).filter(user=user)
    by_name = (
        models.QuerySet(AuthEvent)
        .filter(user=None)
        .annotate(typed=Lower(Trim("attempted_login")))
        .filter(typed__in=typed)
    )
    scrubbed = own.update(
        username=replacement_username, attempted_login="", remote_addr=None, user_agent=""
    )
    if typed:
        scrubbed += (
            models.QuerySet(AuthEvent)
            .filter(pk__in=by_name.values("pk"))
            .update(attempted_login="", remote_addr=None, user_agent="")
        )
    return scrubbed


# --- The actor's name on every audit entry -------------------------------------------------


def _context_actor():
    """The signed-in user auditlog's middleware put in its context, if any."""
    from auditlog.context import auditlog_value

    try:
        actor = auditlog_value.get().get("actor")
    except LookupError:
        return None
    return actor if getattr(actor, "pk", None) is not None else None


def actor_snapshot(user) -> dict[str, str]:
    return {"actor_username": user.get_username(), "actor_name": user.get_full_name()}


def on_log_entry_pre_save(sender, instance, **kwargs) -> None:
    """Every new audit entry with an actor keeps the actor's username and name in
    ``additional_data``: deleting the account sets ``actor`` to NULL, and the trail still
    says who did it. (auditlog's ``actor_email`` is empty for an account without one.)"""
    if not instance._state.adding:
        return
    actor = instance.actor if instance.actor_id is not None else _context_actor()
    if actor is None:
        return
    data = instance.additional_data
    if data is None:
        data = {}
    elif not isinstance(data, dict):
        data = {"data": data}
    for key, value in actor_snapshot(actor).items():
        data.setdefault(key, value)
    instance.additional_data = data


# --- Signal receivers (connected in users.apps.UsersConfig.ready) --------------------------


def _user_for_login(login: str):
    """The one account a typed name or email designates, or None."""
    from .addresses import account_for_login

    return account_for_login(login)


def _count_towards_the_lock(user, request) -> None:
    """Every failed password, code and two-factor code counts towards the long-window
    lockout (users.lockout)."""
    if user is None:
        return
    from .lockout import sign_in_failure_counted

    sign_in_failure_counted(user=user, request=request)


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    record_auth_event(kind=AuthEvent.Kind.LOGIN, request=request, user=user)


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record_auth_event(kind=AuthEvent.Kind.LOGOUT, request=request, user=user)


def on_user_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password in ``credentials``.
    login = str(
        credentials.get("username") or credentials.get("email") or credentials.get("login") or ""
    )
    login = _clean(login, 254)
    user = _user_for_login(login)
    record_auth_event(
        kind=AuthEvent.Kind.LOGIN_FAILED,
        request=request,
        user=user,
        attempted_login=login,
    )
    _log_refusal("password", user, request)
    _count_towards_the_lock(user, request)


def on_login_code_rejected(sender, request, user, **kwargs) -> None:
    """A wrong six-digit sign-in code (allauth's login by code)."""
    record_auth_event(kind=AuthEvent.Kind.LOGIN_FAILED, request=request, user=user)
    _log_refusal("sign-in code", user, request)
    _count_towards_the_lock(user, request)


def on_mfa_authentication_failed(sender, request, user, **kwargs) -> None:
    """A wrong two-factor code (allauth.mfa)."""
    record_auth_event(kind=AuthEvent.Kind.LOGIN_FAILED, request=request, user=user)
    _log_refusal("two-factor code", user, request)
    _count_towards_the_lock(user, request)


def _log_refusal(what: str, user, request) -> None:
    # One line per refused sign-in: the account and the address, never what was typed.
    logger.warning(
        "Sign-in refused: wrong %s for user %s from %s.",
        what,
        user.pk if user is not None else "(no account)",
        client_ip(request),
    )


def connect_receivers() -> None:
    from allauth.account.signals import login_code_rejected
    from allauth.mfa.signals import authentication_failed
    from auditlog.models import LogEntry
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
    from django.db.models.signals import pre_save

    user_logged_in.connect(on_user_logged_in, dispatch_uid="users.audit.logged_in")
    user_logged_out.connect(on_user_logged_out, dispatch_uid="users.audit.logged_out")
    user_login_failed.connect(on_user_login_failed, dispatch_uid="users.audit.login_failed")
    login_code_rejected.connect(on_login_code_rejected, dispatch_uid="users.audit.code_rejected")
    authentication_failed.connect(
        on_mfa_authentication_failed, dispatch_uid="users.audit.mfa_failed"
    )
    pre_save.connect(
        on_log_entry_pre_save, sender=LogEntry, dispatch_uid="users.audit.actor_snapshot"
    )


def register_user_model() -> None:
    """Changes to accounts go to the audit trail, without secrets or noise: the password
    hash, the session salt ("sign out everywhere") and the last sign-in time (in
    ``AuthEvent`` already) are left out."""
    from auditlog.registry import auditlog

    from .models import User

    auditlog.register(User, exclude_fields=["password", "session_salt", "last_login"])
