"""Requests refused before any view sees them.

PostgreSQL cannot store or compare text holding a NUL character ("\\x00"): a query that
filters on one fails with a database error, a 500. Form fields refuse NUL themselves
(Django's CharField has ProhibitNullCharactersValidator), so posted forms answer with a
form error; but a view may read a query-string parameter without a form (a search box's
``?q=``). No browser sends NUL in a URL of its own accord, so such a request is answered
400 here, whatever the view.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

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
