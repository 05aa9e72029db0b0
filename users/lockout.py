"""The lockout that holds: a long-window count of failed sign-ins per account.

allauth's rate limits (settings: ACCOUNT_RATE_LIMITS) refuse an account for
LOGIN_FAILED_WINDOW_MINUTES after LOGIN_FAILED_LIMIT failures; they live in the cache and
end with their window, so a patient guesser could go on at a few tries a minute for ever.
Here every failed password, sign-in code and two-factor code of an account counts (the
sign-in log, ``users.audit.AuthEvent``, is the durable record of them): after
LOGIN_DAILY_FAILED_LIMIT failures within LOGIN_DAILY_FAILED_WINDOW_HOURS the account is
locked, on the user row (``User.sign_in_locked_at``), not in the cache. A locked account
is refused on every way in, with the right password and code too, until:

- its owner resets their password by email (allauth's reset, which proves they read
  their mail), or
- the clinic unlocks it: the patient's clinician on the patient's page, or an
  administrator in the admin.

The owner is told by email when the lock starts.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from .audit import AuthEvent, client_ip
from .emails import send_templated_email
from .models import User

logger = logging.getLogger(__name__)


def failed_sign_ins_counted(*, user: User) -> int:
    """The failed sign-ins of ``user`` that count towards the lock now."""
    since = timezone.now() - datetime.timedelta(hours=settings.LOGIN_DAILY_FAILED_WINDOW_HOURS)
    if user.sign_in_failures_since is not None and user.sign_in_failures_since > since:
        since = user.sign_in_failures_since
    return AuthEvent.objects.filter(
        user=user, kind=AuthEvent.Kind.LOGIN_FAILED, created_at__gte=since
    ).count()


def sign_in_failure_counted(*, user: User, request: HttpRequest | None) -> bool:
    """Called after each failed sign-in of ``user`` is recorded: locks the account when the
    count reaches the limit. True when this failure locked it."""
    limit = settings.LOGIN_DAILY_FAILED_LIMIT
    if not limit or user.is_sign_in_locked:
        return False
    count = failed_sign_ins_counted(user=user)
    if count < limit:
        return False
    return account_lock(user=user, request=request, failures=count)


def account_lock(*, user: User, request: HttpRequest | None, failures: int = 0) -> bool:
    """Lock ``user``'s sign-in and tell them by email. False if it was locked already (two
    concurrent failures lock it, and send the email, once)."""
    now = timezone.now()
    locked = User.objects.filter(pk=user.pk, sign_in_locked_at__isnull=True).update(
        sign_in_locked_at=now
    )
    if not locked:
        return False
    user.sign_in_locked_at = now
    logger.warning(
        "Sign-in locked: user %s after %s failed sign-ins within %s h (last from %s).",
        user.pk,
        failures,
        settings.LOGIN_DAILY_FAILED_WINDOW_HOURS,
        client_ip(request),
    )
    _tell_the_owner(user=user)
    return True


def account_unlock(*, user: User, by: User | None, how: str) -> None:
    """Lift the lock; the failures so far no longer count. ``how``: "password reset",
    "clinic" or "admin", for the log."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(sign_in_locked_at=None, sign_in_failures_since=now)
    user.sign_in_locked_at, user.sign_in_failures_since = None, now
    logger.info(
        "Sign-in unlocked: user %s by %s (%s).",
        user.pk,
        by.pk if by is not None else "its owner",
        how,
    )


def refused_because_locked(*, user: User, request: HttpRequest | None) -> bool:
    """Whether ``user`` may not sign in now; a refusal is written to the log and to the
    sign-in log (never the typed password or code)."""
    locked_at = User.objects.filter(pk=user.pk).values_list("sign_in_locked_at", flat=True).first()
    if locked_at is None:
        return False
    logger.warning(
        "Sign-in refused: user %s is locked since %s (from %s).",
        user.pk,
        locked_at.isoformat(),
        client_ip(request),
    )
    from .audit import record_auth_event

    record_auth_event(kind=AuthEvent.Kind.LOGIN_FAILED, request=request, user=user)
    return True


def _tell_the_owner(*, user: User) -> None:
    if not user.email:
        logger.info("Sign-in lock of user %s: no address to tell.", user.pk)
        return
    try:
        send_templated_email(
            template="users/email/account_locked",
            context={
                "first_name": user.first_name,
                "reset_url": settings.SITE_URL + reverse("account_reset_password"),
            },
            to=[user.email],
        )
    except Exception:
        # The lock holds whether or not the email goes out; the sign-in page says so too.
        logger.exception("Sign-in lock of user %s: the email could not be sent.", user.pk)


def on_password_reset(sender, request, user, **kwargs) -> None:
    """allauth's password reset by emailed link has completed: the owner proved they read
    their mail, so the lock (if any) is lifted."""
    if user.is_sign_in_locked:
        account_unlock(user=user, by=None, how="password reset")
