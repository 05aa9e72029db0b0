"""Requests refused before any view sees them.

PostgreSQL cannot store or compare text holding a NUL character ("\\x00"): a query that
filters on one fails with a database error, a 500. Form fields refuse NUL themselves
(Django's CharField has ProhibitNullCharactersValidator), so posted forms answer with a
form error; but a view may read a query-string parameter without a form (a search box's
``?q=``). No browser sends NUL in a URL of its own accord, so such a request is answered
400 here, whatever the view.

Request bodies: a body announced larger than ``REQUEST_BODY_MAX_BYTES`` is answered 413
before anything reads it (no session, no form). The admin, where editors upload library
images and videos (each checked against its own limit, trigger.models), may send up to
``ADMIN_REQUEST_BODY_MAX_BYTES``. Django's own ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (the form
fields of a body, files apart) is set to the same general limit.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

NUL = "\x00"


def has_nul(request: HttpRequest) -> bool:
    if NUL in request.path:
        return True
    return any(
        NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists()
    )


class RefuseNulBytesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            return HttpResponseBadRequest(
                "Bad request: the address holds a NUL character.", content_type="text/plain"
            )
        return self.get_response(request)


def body_limit(request: HttpRequest) -> int:
    """The largest body ``request`` may send: the admin's (library uploads), or the
    general one."""
    if request.path.startswith(reverse("admin:index")):
        return max(settings.ADMIN_REQUEST_BODY_MAX_BYTES, settings.REQUEST_BODY_MAX_BYTES)
    return settings.REQUEST_BODY_MAX_BYTES


class RequestBodyLimitMiddleware:
    """413 for a body announced larger than the limit, 400 for a length that is not a
    number; before the session or any view reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        announced = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(announced)
        except ValueError:
            length = -1
        if length < 0:
            logger.warning(
                "request refused: Content-Length %r is not a number (%s %s from %s)",
                announced[:40],
                request.method,
                request.path[:200],
                request.META.get("REMOTE_ADDR"),
            )
            return HttpResponseBadRequest(
                _("Bad request: the length of the request is not a number."),
                content_type="text/plain; charset=utf-8",
            )
        limit = body_limit(request)
        if length > limit:
            logger.warning(
                "request refused: body of %d bytes over the limit of %d (%s %s from %s)",
                length,
                limit,
                request.method,
                request.path[:200],
                request.META.get("REMOTE_ADDR"),
            )
            return HttpResponse(
                _("This request is too large (at most %(size)s kB). Nothing was saved.")
                % {"size": limit // 1024},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
