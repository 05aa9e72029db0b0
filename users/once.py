"""One submission per rendered form: a double tap, or a POST the browser sends again, does
its work once.

A form carries a fresh random id (``{% once_field %}``). The first POST with that id claims
it in the cache and remembers where it redirected; a repeat of the same id is sent there
instead of doing the work again. A new rendering of the form (another pain log an hour
later) has a new id, so repeated content is never refused as such.

The claim is released when the work fails (the request raises): the patient's second tap
of Save then does the work, instead of being sent on with nothing saved.
"""

from __future__ import annotations

import logging
import re
import uuid

from django import forms
from django.core.cache import cache
from django.core.signals import got_request_exception
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect

FIELD = "once"
_VALID = re.compile(r"^[0-9a-f]{32}$")
_TIMEOUT = 24 * 3600
_PENDING = "_once_pending_key"

logger = logging.getLogger(__name__)


def new_token() -> str:
    return uuid.uuid4().hex


def _key(request: HttpRequest) -> str | None:
    token = request.POST.get(FIELD, "")
    if not _VALID.match(token):
        return None
    return f"once:{request.user.pk}:{token}"


def repeat_of(request: HttpRequest, *, fallback: str) -> HttpResponse | None:
    """None for the first submission of a rendered form; for a repeat, a redirect to where
    the first one went (``fallback`` while the first is still being handled)."""
    key = _key(request)
    if key is None:
        return None
    if cache.add(key, "", timeout=_TIMEOUT):
        setattr(request, _PENDING, key)
        return None
    return redirect(cache.get(key) or fallback)


def remember(request: HttpRequest, response: HttpResponseRedirect) -> HttpResponseRedirect:
    key = _key(request)
    if key is not None:
        cache.set(key, response.url, timeout=_TIMEOUT)
    if hasattr(request, _PENDING):
        delattr(request, _PENDING)
    return response


def release(request: HttpRequest) -> None:
    """Give back a claim whose work did not happen, so the same form can be sent again."""
    key = getattr(request, _PENDING, None)
    if key is None:
        return
    delattr(request, _PENDING)
    # Only an unfinished claim (""): a remembered redirect stays.
    if cache.get(key) == "":
        cache.delete(key)
    logger.warning("once-token of user %s released after a failed submission", request.user.pk)


@receiver(got_request_exception, dispatch_uid="users.once.release")
def _release_after_error(sender, request: HttpRequest | None = None, **kwargs) -> None:
    if request is not None:
        release(request)


class OnceFormMixin:
    """Adds the hidden once-token to a form rendered whole (crispy), instead of
    ``{% once_field %}`` in a hand-written template."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = forms.CharField(
            widget=forms.HiddenInput, required=False, initial=new_token
        )
