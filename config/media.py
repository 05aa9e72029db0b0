"""Uploaded media (library images and videos) in every environment, through one view.

Only signed-in users (any role: the patient's phone shows library pictures) get a file;
the library is not patient data, but it is the clinic's, not the public's. The content
type comes from the file's first bytes, never from its name, and every answer carries
``X-Content-Type-Options: nosniff``.

How the bytes travel (README.md, "Media in production"):

- ``MEDIA_ACCEL_REDIRECT_PREFIX`` set (nginx): the view answers with ``X-Accel-Redirect``
  to that internal location and nginx sends the file;
- ``MEDIA_SENDFILE_HEADER=X-Sendfile`` (Apache mod_xsendfile, lighttpd): the header
  carries the file's absolute path;
- neither (the app alone): the view streams the file itself, with byte ranges, which
  phones need to play a video.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils._os import safe_join
from django.views.decorators.http import require_safe

from trigger.media import OCTET_STREAM, sniff_content_type

logger = logging.getLogger(__name__)

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _resolve(path: str) -> Path:
    try:
        full = Path(safe_join(settings.MEDIA_ROOT, path))
    except SuspiciousFileOperation:  # outside MEDIA_ROOT
        raise Http404 from None
    if not full.is_file():
        raise Http404
    return full


def _headers(response: HttpResponse, content_type: str, name: str) -> HttpResponse:
    response["Content-Type"] = content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    if content_type == OCTET_STREAM:
        # Whatever it is, the browser must not render it in the app's origin.
        response["Content-Disposition"] = f'attachment; filename="{os.path.basename(name)}"'
    return response


@require_safe
@login_required
def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    full = _resolve(path)
    with full.open("rb") as handle:
        content_type = sniff_content_type(handle.read(16))
    if content_type == OCTET_STREAM:
        logger.warning(
            "media %s: content not recognised (%s by its name); served as a download",
            path,
            mimetypes.guess_type(path)[0],
        )
    if prefix := settings.MEDIA_ACCEL_REDIRECT_PREFIX:
        response = HttpResponse()
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + path.lstrip("/")
        return _headers(response, content_type, path)
    if header := settings.MEDIA_SENDFILE_HEADER:
        response = HttpResponse()
        response[header] = str(full)
        return _headers(response, content_type, path)
    return _headers(_file_response(request, full), content_type, path)


def _file_response(request: HttpRequest, full: Path) -> HttpResponse:
    size = full.stat().st_size
    match = _RANGE.match(request.headers.get("Range", ""))
    if not match or not any(match.groups()):
        response = FileResponse(full.open("rb"))
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:  # the last N bytes
        start, end = max(size - int(last), 0), size - 1
    if start > end or start >= size:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    with full.open("rb") as handle:
        handle.seek(start)
        body = handle.read(end - start + 1)
    response = HttpResponse(body, status=206)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response
