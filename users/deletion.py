"""Accounts that must not be deleted in the admin, and where to go instead.

The apps to the right of ``users`` know things about an account that ``users`` does not
(a patient's record, for one). Each registers a *blocker* here from its ``ready()``: given
the accounts about to be deleted, it returns, for each one it refuses, a line to show in
the admin (usually a link to the page that does the job properly). The admin's delete
page and its "delete selected" action then refuse the whole deletion, as Django does for
protected related objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.utils.safestring import SafeString

Blocker = Callable[[list], list[SafeString | str]]

_blockers: list[Blocker] = []


def register_deletion_blocker(blocker: Blocker) -> None:
    """Add ``blocker`` (idempotent: registering the same function twice keeps one)."""
    if blocker not in _blockers:
        _blockers.append(blocker)


def deletion_refusals(users: Iterable) -> list[SafeString | str]:
    """Why the deletion of ``users`` is refused: one line per refusal, none if allowed."""
    users = list(users)
    refusals: list[SafeString | str] = []
    for blocker in _blockers:
        refusals.extend(blocker(users))
    return refusals
