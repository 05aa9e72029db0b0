"""Form helpers shared by every app (users is the app all others may import), and our
version of allauth's login form.

``PlausibleDatesMixin``: Python dates run from year 1 to 9999, and arithmetic near either
end overflows (a reminder at 23:59 on 31 December 9999 in a zone behind UTC falls in year
10000: OverflowError, a 500). No date this app records lies outside
``PLAUSIBLE_FIRST``..``PLAUSIBLE_LAST``, so a form refuses it with a field error instead.
"""

from __future__ import annotations

import datetime

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

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
