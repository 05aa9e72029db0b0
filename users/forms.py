"""Form helpers shared by every app (users is the app all others may import), and our
version of allauth's login form.

``PlausibleDatesMixin``: Python dates run from year 1 to 9999, and arithmetic near either
end overflows (a reminder at 23:59 on 31 December 9999 in a zone behind UTC falls in year
10000: OverflowError, a 500). No date this app records lies outside
``PLAUSIBLE_FIRST``..``PLAUSIBLE_LAST``, so a form refuses it with a field error instead.
"""

from __future__ import annotations

import datetime
import logging

from allauth.account.adapter import get_adapter
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .addresses import accounts_for_address
from .audit import client_ip
from .models import User, normalize_address

logger = logging.getLogger(__name__)

PLAUSIBLE_FIRST = datetime.date(1900, 1, 1)
PLAUSIBLE_LAST = datetime.date(2199, 12, 31)


def validate_plausible_date(value: datetime.date | None) -> None:
    if value is None:
        return
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not PLAUSIBLE_FIRST <= value <= PLAUSIBLE_LAST:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s."),
            code="implausible_date",
            params={"first": PLAUSIBLE_FIRST.isoformat(), "last": PLAUSIBLE_LAST.isoformat()},
        )


class PlausibleDatesMixin:
    """Adds ``validate_plausible_date`` to every date field of the form. Put it first in
    the bases: ``class AssignForm(PlausibleDatesMixin, HelperMixin, forms.Form)``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                field.validators = [*field.validators, validate_plausible_date]


# --- Sign-in ---------------------------------------------------------------------------------

LOGIN_MAX_LENGTH = 254  # the longest email address; usernames are shorter (150)


class LoginForm(AllauthLoginForm):
    """allauth's login form with a length limit on "Username or email" (settings:
    ACCOUNT_FORMS). allauth leaves that field unbounded when both are accepted; SQLite
    refuses a LIKE pattern over 50,000 bytes, so a huge name was a 500. No account has a
    longer name, so a longer one is a form error and is not looked up at all."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["login"]
        field.max_length = LOGIN_MAX_LENGTH
        field.validators.append(MaxLengthValidator(LOGIN_MAX_LENGTH))
        field.widget.attrs["maxlength"] = str(LOGIN_MAX_LENGTH)


# --- Sign-in by address: one address, one account (users.addresses) --------------------------

SHARED_ADDRESS_MESSAGE = _(
    "This address belongs to more than one account, so it cannot be used to sign in. "
    "Please contact your clinic."
)


def _one_account_for(email: str) -> User | None:
    """The account ``email`` designates, or None when none does. Several accounts (data
    from before addresses were unique) is a form error: guessing would sign a person into
    someone else's record."""
    users = accounts_for_address(email)
    if len(users) > 1:
        logger.warning(
            "Sign-in by address refused: the address belongs to several accounts "
            "(user ids %s; from %s); the clinic must give each its own address.",
            [user.pk for user in users],
            client_ip(allauth_context.request),
        )
        raise ValidationError(SHARED_ADDRESS_MESSAGE, code="shared_address")
    return users[0] if users else None


class RequestLoginCodeForm(AllauthRequestLoginCodeForm):
    """allauth's "email me a sign-in code", finding the account by ``accounts_for_address``
    (settings: ACCOUNT_FORMS).

    An unknown address gets the same answer as a known one (a redirect to the code page,
    one email to the address: the code, or a note that no account uses it), so the page
    tells nobody which addresses have accounts."""

    def clean_email(self) -> str:
        email = normalize_address(self.cleaned_data["email"])
        if email:
            self._user = _one_account_for(email)
            if not ratelimit.consume(
                allauth_context.request, action="request_login_code", key=email
            ):
                raise get_adapter().validation_error("too_many_login_attempts")
        return email


class ResetPasswordForm(AllauthResetPasswordForm):
    """allauth's password reset, finding the account by ``accounts_for_address``. Unknown
    addresses are answered like known ones (allauth emails them a note instead of a link)."""

    def clean_email(self) -> str:
        email = normalize_address(self.cleaned_data["email"])
        user = _one_account_for(email)
        self.users = [user] if user is not None else []
        return email
