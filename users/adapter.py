"""How django-allauth behaves here (settings: ACCOUNT_ADAPTER)."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .addresses import account_for_login, address_in_use

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # No public signup: administrators create clinicians and editors, and patients
        # arrive by their clinician's invitation (patients.services.invitations).
        return False

    def login(self, request: HttpRequest, user) -> None:
        """Every allauth way in ends here (password, emailed code, after the two-factor
        step): a locked account (users.lockout) is refused, even with the right
        password and code."""
        from .lockout import refused_because_locked

        if refused_because_locked(user=user, request=request):
            clear_login(request)
            messages.error(
                request,
                _(
                    "This account is locked after several failed sign-in attempts. To unlock "
                    "it, reset your password by email or ask your clinic."
                ),
            )
            raise ImmediateHttpResponse(redirect("account_login"))
        super().login(request, user)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """allauth refuses a password sign-in here when the account or the address is over
        its rate limit; the refusal gets its log line (account, address; never the
        password)."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            from .audit import client_ip

            user = account_for_login(credentials.get("email", credentials.get("username", "")))
            logger.warning(
                "Sign-in refused: too many failed sign-ins for user %s from %s.",
                user.pk if user is not None else "(no account)",
                client_ip(request),
            )
            raise

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth counts failed passwords per typed name: the username and the email of one
        # account were two counters (twice the tries). Count per account instead.
        login = credentials.get("email", credentials.get("username", ""))
        user = account_for_login(login)
        if user is not None:
            return f"account:{user.pk}"
        return super()._get_login_attempts_cache_key(request, **credentials)

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        """A new address takes effect when its confirmation link is opened, unless another
        account has taken it meanwhile (one address, one account)."""
        if address_in_use(email_address.email, exclude_user=email_address.user):
            logger.warning(
                "Address confirmation refused for user %s: another account has the address.",
                email_address.user_id,
            )
            messages.error(
                request,
                _("This address cannot be confirmed for this account. Please contact your clinic."),
            )
            return False
        return super().confirm_email(request, email_address)
