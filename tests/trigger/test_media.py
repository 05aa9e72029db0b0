"""Library media in production (DEBUG off, as in these tests): served to signed-in users
by the app, or handed to the proxy; the type from the bytes, never sniffed by the browser;
uploads checked by their content."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from tests import factories
from tests.trigger.test_admin import _post_item, _upload
from trigger.models import ModuleItem

pytestmark = pytest.mark.django_db

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42" + b"\x00" * 100
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\x00" * 100


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def stored(name: str, content: bytes) -> str:
    path = Path(settings.MEDIA_ROOT) / "library" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return f"/media/library/{name}"


@pytest.fixture
def patient_client(client, patient_user):
    client.force_login(patient_user)
    return client


def test_a_patient_gets_a_library_image_from_the_app_alone_with_its_real_type(patient_client):
    url = stored("images/calf.png", png_bytes())
    response = patient_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_item_page_links_media_that_answer_with_debug_off(client, clinician):
    item = factories.ModuleItemFactory(
        image=_upload("calf.png", png_bytes(), "image/png"), image_alt="A calf stretch"
    )
    client.force_login(clinician)
    assert settings.DEBUG is False
    assert client.get(item.image.url).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client):
    url = stored("images/calf.png", png_bytes())
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_file_whose_bytes_are_not_media_is_a_download_whatever_its_name(patient_client):
    url = stored("images/page.png", b"<html><script>alert(1)</script></html>")
    response = patient_client.get(url)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("path", ["../secret.txt", "library/../../secret.txt", "missing.png"])
def test_nothing_outside_the_media_folder_or_missing_is_served(patient_client, path):
    assert patient_client.get(f"/media/{path}").status_code == 404


def test_a_video_answers_a_byte_range_as_phones_ask_for_it(patient_client):
    url = stored("videos/calf.mp4", MP4)
    response = patient_client.get(url, headers={"Range": "bytes=4-11"})
    assert response.status_code == 206
    assert response.content == b"ftypmp42"
    assert response["Content-Range"] == f"bytes 4-11/{len(MP4)}"
    assert response["Content-Type"] == "video/mp4"
    beyond = patient_client.get(url, headers={"Range": f"bytes={len(MP4) + 5}-"})
    assert beyond.status_code == 416


def test_behind_nginx_the_app_answers_with_x_accel_redirect(patient_client, settings):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    url = stored("videos/calf.webm", WEBM)
    response = patient_client.get(url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/protected-media/library/videos/calf.webm"
    assert response["Content-Type"] == "video/webm"
    assert response.content == b""


def test_behind_apache_the_app_answers_with_x_sendfile(patient_client, settings):
    settings.MEDIA_SENDFILE_HEADER = "X-Sendfile"
    url = stored("images/calf.png", png_bytes())
    response = patient_client.get(url)
    assert response["X-Sendfile"] == str(Path(settings.MEDIA_ROOT) / "library/images/calf.png")
    assert response.content == b""


# --- Uploads checked by their content -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("calf.mp4", b"plain text named as a video"),
        ("calf.mp4", WEBM),  # a WebM named .mp4
        ("calf.webm", MP4),
    ],
    ids=["text-named-mp4", "webm-named-mp4", "mp4-named-webm"],
)
def test_a_video_whose_bytes_are_not_what_its_name_says_is_refused(client, editor, name, content):
    item = factories.ModuleItemFactory()
    client.force_login(editor)
    response = _post_item(
        client, item, video=_upload(name, content, "video/mp4"), video_description="A stretch."
    )
    assert response.status_code == 200
    assert "video" in response.context["adminform"].form.errors
    item.refresh_from_db()
    assert not item.video


@pytest.mark.parametrize(("name", "content"), [("calf.mp4", MP4), ("calf.webm", WEBM)])
def test_a_real_mp4_or_webm_is_accepted(client, editor, name, content):
    item = factories.ModuleItemFactory()
    client.force_login(editor)
    response = _post_item(
        client, item, video=_upload(name, content, "video/mp4"), video_description="A stretch."
    )
    assert response.status_code == 302
    assert ModuleItem.objects.get(pk=item.pk).video.name.endswith(name.rsplit(".")[-1])


def test_a_jpeg_named_png_is_refused(client, editor):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="JPEG")
    item = factories.ModuleItemFactory()
    client.force_login(editor)
    response = _post_item(
        client,
        item,
        image=_upload("calf.png", buffer.getvalue(), "image/png"),
        image_alt="A stretch.",
    )
    assert "image" in response.context["adminform"].form.errors
