"""/healthz: 200 when the database and the configured broker answer, 503 naming what does not.

The failures are real: a broker URL on a closed port and a database connection whose
settings point nowhere, so the driver itself refuses. Nothing is mocked.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connections
from django.db.utils import load_backend
from django.urls import reverse
from kombu import Connection

from config.celery import app as celery_app

# Nothing listens on port 1 of the loopback interface: connecting is refused at once.
CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_on_closed_port():
    """Point the Celery app at a Redis that is not there, and restore it afterwards."""
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = CLOSED_REDIS_URL
    try:
        yield
    finally:
        celery_app.conf.broker_url = original
    assert celery_app.conf.broker_url == original


@pytest.fixture
def database_that_does_not_answer(django_db_blocker, tmp_path):
    """Swap the default connection for one whose settings point nowhere.

    A real DatabaseWrapper of the configured backend: SQLite is given a file in a
    directory that does not exist, other engines a closed port. pytest-django's
    database blocker is lifted so the error comes from the driver, not from the blocker.
    """
    original = connections["default"]
    settings_dict = {**original.settings_dict}
    if original.vendor == "sqlite":
        settings_dict["NAME"] = str(tmp_path / "missing-dir" / "db.sqlite3")
    else:
        settings_dict.update(HOST="127.0.0.1", PORT="1")
    broken = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    with django_db_blocker.unblock():
        # The driver refuses this connection by itself.
        with pytest.raises(OperationalError):
            broken.ensure_connection()
        connections["default"] = broken
        try:
            yield
        finally:
            connections["default"] = original
            broken.close()


@pytest.mark.django_db
def test_it_answers_200_when_database_and_configured_broker_answer(client, settings):
    if settings.REDIS_URL:
        # Under CI this is a real Redis; if it is down the check below fails the test.
        assert celery_app.conf.broker_url == settings.REDIS_URL
    else:
        assert celery_app.conf.broker_url == "filesystem://localhost/"

    response = client.get(reverse("healthz"))

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_it_answers_503_naming_the_broker_when_the_broker_refuses(client, broker_on_closed_port):
    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "database": "ok",
        "broker": "fail",
        "failing": ["broker"],
    }


def test_it_answers_503_naming_the_database_when_the_database_refuses(
    client, database_that_does_not_answer
):
    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "database": "fail",
        "broker": "ok",
        "failing": ["database"],
    }


@pytest.mark.django_db
def test_it_is_never_cached(client):
    response = client.get(reverse("healthz"))

    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_anonymous_plain_http_probes_even_with_the_https_redirect_on(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    # The redirect is really on: any other page sends plain HTTP to HTTPS...
    login = client.get(reverse("login"), secure=False)
    assert login.status_code == 301
    assert login["Location"].startswith("https://")

    # ...but a load balancer's anonymous probe over plain HTTP gets the answer.
    response = client.get(reverse("healthz"), secure=False)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"


def test_the_embedded_broker_connects_without_a_hostname_warning(caplog, tmp_path):
    # The URL the settings choose when no REDIS_URL is set (make run), read in a fresh
    # process so the test runs the same under CI, where REDIS_URL is set.
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DEBUG="true", DJANGO_SETTINGS_MODULE="config.settings")
    url = subprocess.run(
        [sys.executable, "-c", "from config import settings; print(settings.CELERY_BROKER_URL)"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    folders = {
        key: str(tmp_path)
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
    }

    assert url.startswith("filesystem://")
    with caplog.at_level("WARNING"), Connection(url, transport_options=folders) as connection:
        connection.ensure_connection(max_retries=1)
        # What a worker's banner and every clone of the connection read.
        connection.info()

    assert "No hostname was supplied" not in caplog.text
