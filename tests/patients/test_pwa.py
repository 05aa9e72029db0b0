"""Installable: the web app manifest, its icons, the service worker and the offline page."""

import json
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

from tests import factories

pytestmark = pytest.mark.django_db


def static_file(url: str) -> str | None:
    """The file behind a /static/... URL, or None."""
    assert url.startswith("/" + settings.STATIC_URL.lstrip("/")), url
    return finders.find(url.removeprefix("/" + settings.STATIC_URL.lstrip("/")))


def test_the_manifest_is_json_with_the_patient_start_url_and_real_icons(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/me/"
    assert manifest["display"] == "standalone"
    assert manifest["name"] and manifest["short_name"]
    assert manifest["theme_color"].startswith("#") and manifest["background_color"]
    sizes = {}
    for icon in manifest["icons"]:
        path = static_file(icon["src"])
        assert path, icon["src"]
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]
            assert image.format == "PNG" and icon["type"] == "image/png"
        sizes.setdefault(icon["sizes"], set()).add(icon["purpose"])
    assert sizes["192x192"] == {"any"}
    assert sizes["512x512"] == {"any", "maskable"}


def test_the_service_worker_is_javascript_served_for_the_whole_site(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    code = response.content.decode()
    assert 'addEventListener("fetch"' in code
    assert f'const OFFLINE_URL = "{reverse("patients:offline")}";' in code


def test_the_service_worker_caches_only_static_files_never_personal_pages(client):
    code = client.get("/sw.js").content.decode()

    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", code).group(1))
    assert "/static/css/app.css" in shell
    assert "/static/js/pwa.js" in shell
    for url in shell:
        assert static_file(url), url
    assert not any(url.startswith("/me/") for url in shell)
    # Pages go to the network; the cache answers them only with the offline page.
    assert "fetch(request).catch(() => caches.match(OFFLINE_URL))" in code


def test_the_offline_page_is_public_and_says_what_to_do(client):
    response = client.get(reverse("patients:offline"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "You are offline" in html
    assert "emergency number" in html
    assert "<script" not in html


def test_patient_pages_link_the_manifest_and_register_the_worker_from_a_file(client, clinician):
    patient = factories.PatientFactory(clinician=clinician)
    client.force_login(patient.user)

    html = client.get(reverse("patients:pain")).content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#0a58ca">' in html
    apple = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', html).group(1)
    with Image.open(static_file(apple)) as image:
        assert image.size == (180, 180)
    assert re.search(r'<script src="/static/js/pwa.js" data-sw="/sw.js" data-scope="/me/"', html)
    # CSP script-src 'self': no inline script anywhere on the page.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
