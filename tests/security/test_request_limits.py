"""Request bodies have a size limit: a body announced larger than REQUEST_BODY_MAX_BYTES
is answered 413 before anything reads it, and nothing is saved; the admin, where library
media are uploaded, has its own larger limit (each file is checked against its own)."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.urls import reverse

from patients.models import PainLog

pytestmark = pytest.mark.django_db

LIMIT = 4096


@pytest.fixture
def small_limit(settings):
    settings.REQUEST_BODY_MAX_BYTES = LIMIT
    settings.ADMIN_REQUEST_BODY_MAX_BYTES = 4 * LIMIT


def test_a_body_over_the_limit_is_a_413_and_saves_nothing(client, theirs, small_limit, caplog):
    client.force_login(theirs.patient_user)
    before = PainLog.objects.count()

    with caplog.at_level(logging.WARNING, logger="users.request_guards"):
        response = client.post(reverse("patients:pain"), {"score": "3", "note": "x" * (LIMIT + 1)})

    assert response.status_code == 413
    assert "too large" in response.text
    assert PainLog.objects.count() == before
    assert [r.getMessage() for r in caplog.records if "over the limit" in r.getMessage()]


SAFETY_NO = {
    "calf_swollen_warm_red": "False",
    "chest_symptoms": "False",
    "recent_immobilisation": "False",
}


def test_a_body_within_the_limit_is_read_as_usual(client, theirs, small_limit):
    client.force_login(theirs.patient_user)

    response = client.post(reverse("patients:pain"), {"score": "3", "note": "x" * 100, **SAFETY_NO})

    assert response.status_code in (200, 302)
    assert PainLog.objects.filter(patient=theirs.patient, note="x" * 100).exists()


def test_an_announced_length_is_refused_before_the_body_is_read(client, small_limit):
    response = client.generic(
        "POST",
        reverse("account_login"),
        b"login=a&password=b",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH="10000000000",
    )

    assert response.status_code == 413


def test_a_length_that_is_not_a_number_is_a_400(client):
    response = client.generic("POST", reverse("account_login"), b"", CONTENT_LENGTH="lots")

    assert response.status_code == 400


def test_the_admin_may_send_more_for_library_uploads(client, administrator, small_limit):
    client.force_login(administrator)

    within_admin_limit = client.post(
        reverse("admin:users_practice_add"), {"name": "A" * 100, "padding": "x" * (2 * LIMIT)}
    )
    over_admin_limit = client.post(
        reverse("admin:users_practice_add"), {"name": "B", "padding": "x" * (5 * LIMIT)}
    )

    assert within_admin_limit.status_code != 413
    assert over_admin_limit.status_code == 413


def test_djangos_form_data_limit_is_the_same_as_the_body_limit():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.REQUEST_BODY_MAX_BYTES
    assert settings.ADMIN_REQUEST_BODY_MAX_BYTES > settings.LIBRARY_VIDEO_MAX_BYTES
