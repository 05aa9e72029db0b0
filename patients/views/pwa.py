"""What makes the patient's pages installable: the web app manifest, the service worker
and the page it shows offline. All three are public and hold no personal data.

The worker is served from the site root (/sw.js) so that its scope may cover /me/; its
code is static/js/sw.js, preceded by the list of static files to pre-cache (their URLs
carry content hashes in production, so a new release brings a new cache).
"""

from __future__ import annotations

import hashlib
import json

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

THEME_COLOR = "#0a58ca"
BACKGROUND_COLOR = "#ffffff"
ICONS = [
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/icon-maskable-512.png", "512x512", "maskable"),
]
APPLE_TOUCH_ICON = "icons/apple-touch-icon.png"
# The app shell: what every patient page loads, cached by the service worker.
SHELL = [
    "vendor/bootstrap/bootstrap.min.css",
    "css/app.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "js/pwa.js",
    APPLE_TOUCH_ICON,
    *(path for path, _size, _purpose in ICONS),
]


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "id": reverse("patients:today"),
        "name": _("Home exercise"),
        "short_name": _("Exercises"),
        "description": _("Your home exercises, pain log and reminders."),
        "lang": get_language(),
        "start_url": reverse("patients:today"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {"src": static(path), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
    }
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/manifest+json; charset=utf-8",
    )
    patch_cache_control(response, public=True, max_age=3600)
    return response


def _worker_source() -> str:
    path = finders.find("js/sw.js")
    if path:
        with open(path, encoding="utf-8") as source:
            return source.read()
    with staticfiles_storage.open("js/sw.js") as source:  # collected, source tree absent
        return source.read().decode("utf-8")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = [static(path) for path in SHELL]
    offline_url = reverse("patients:offline")
    code = _worker_source()
    version = hashlib.sha256(json.dumps([shell, offline_url, code]).encode()).hexdigest()[:12]
    header = (
        f"const VERSION = {json.dumps(version)};\n"
        f"const SHELL = {json.dumps(shell)};\n"
        f"const OFFLINE_URL = {json.dumps(offline_url)};\n"
    )
    response = HttpResponse(header + code, content_type="text/javascript; charset=utf-8")
    # May control /me/ (and anything below the root) though served from the root.
    response["Service-Worker-Allowed"] = "/"
    # Browsers must check for a new worker on every visit.
    patch_cache_control(response, no_cache=True)
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """The page the service worker shows when a page cannot load: no personal data, so it
    can be cached and shown to whoever holds the phone."""
    html = format_html(
        '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title}</title>"
        '<link rel="stylesheet" href="{bootstrap}"><link rel="stylesheet" href="{css}">'
        '<meta name="theme-color" content="{theme}"></head>'
        '<body><main id="main" class="container py-4">'
        '<h1 class="h3">{title}</h1><p>{text}</p><p>{advice}</p>'
        '<p><a class="btn btn-primary btn-lg" href="{home}">{retry}</a></p>'
        "</main></body></html>",
        lang=get_language(),
        title=_("You are offline"),
        bootstrap=static("vendor/bootstrap/bootstrap.min.css"),
        css=static("css/app.css"),
        theme=THEME_COLOR,
        text=_("This page needs an internet connection. Check your connection and try again."),
        advice=_(
            "If you need medical help now, do not wait for the app: call your doctor, or the "
            "emergency number (999 in the UK, 911 in the US, 112 in the EU)."
        ),
        home=reverse("patients:today"),
        retry=_("Try again"),
    )
    response = HttpResponse(html)
    patch_cache_control(response, public=True, max_age=3600)
    return response
