"""One address, one account: which account an email address designates.

An account's address is ``User.email``, stored lower-cased and unique (a database
constraint). allauth's ``EmailAddress`` table may also hold addresses: a *verified* one
counts as the account's (allauth marks an address verified when its owner proves they read
it); an *unverified* one is only a pending change waiting for that proof (see
``patients.services.assignments.patient_update``) and designates nobody.

Every sign-in by address (the emailed code, the password reset) goes through
``accounts_for_address``: zero accounts, one, or several (data from before the constraint;
refused, with a message to contact the clinic).
"""

from __future__ import annotations

from django.db.models import Q

from .models import User, normalize_address


def accounts_for_address(email: str, *, active_only: bool = True) -> list[User]:
    """The accounts ``email`` designates, in any case: its owner by ``User.email`` and any
    account holding it as a verified allauth address. Oldest first."""
    address = normalize_address(email)
    if not address:
        return []
    users = User.objects.filter(
        Q(email__iexact=address)
        | Q(emailaddress__email__iexact=address, emailaddress__verified=True)
    ).distinct()
    if active_only:
        users = users.filter(is_active=True)
    return list(users.order_by("pk"))


def address_in_use(email: str, *, exclude_user: User | None = None) -> bool:
    """Whether another account has ``email``: as its own address, or as any allauth address
    (verified or pending)."""
    address = normalize_address(email)
    if not address:
        return False
    users = User.objects.filter(Q(email__iexact=address) | Q(emailaddress__email__iexact=address))
    if exclude_user is not None:
        users = users.exclude(pk=exclude_user.pk)
    return users.exists()


def account_for_login(login: str) -> User | None:
    """The one account a typed username or email address designates, or None (no account,
    or an ambiguous name). Used to count failed sign-ins per account, whichever of its
    names was typed."""
    name = (login or "").strip()
    if not name:
        return None
    matches = list(
        User.objects.filter(Q(username__iexact=name) | Q(email__iexact=name)).order_by("pk")[:2]
    )
    return matches[0] if len(matches) == 1 else None
