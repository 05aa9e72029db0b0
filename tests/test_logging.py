"""Log lines an operator reads: each printed once, JSON when LOG_FORMAT=json, and a line
for every health-check failure. The configuration is read in a fresh process, as
`make run`, the worker and gunicorn read it."""

import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from config.celery import app as celery_app

SCRIPT = """
import logging, django
django.setup()
logging.getLogger("django.request").warning("Not Found: /nowhere")
logging.getLogger("patients.reminders").warning(
    "reminder delivery 7 (schedule 3, patient 5, email) failed: reason=no email address"
)
try:
    raise KeyError("boom")
except KeyError:
    logging.getLogger("patients.reminders").exception("unexpected error")
"""


def log_of_a_fresh_process(**env: str) -> list[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if k not in {"LOG_FORMAT", "DEBUG"}},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return (result.stdout + result.stderr).splitlines()


def test_djangos_own_messages_are_printed_once_with_debug_on():
    lines = log_of_a_fresh_process()
    assert len([line for line in lines if "Not Found: /nowhere" in line]) == 1
    [failed] = [line for line in lines if "reminder delivery 7" in line]
    assert "WARNING patients.reminders" in failed
    assert "reason=no email address" in failed


def test_log_format_json_writes_one_json_object_per_line():
    lines = [line for line in log_of_a_fresh_process(LOG_FORMAT="json") if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is JSON, tracebacks too
    by_message = {entry["message"]: entry for entry in entries}
    failed = by_message[
        "reminder delivery 7 (schedule 3, patient 5, email) failed: reason=no email address"
    ]
    assert (failed["level"], failed["logger"]) == ("WARNING", "patients.reminders")
    assert failed["time"].endswith("+00:00")
    assert "KeyError: 'boom'" in by_message["unexpected error"]["exception"]
    assert len([e for e in entries if e["message"] == "Not Found: /nowhere"]) == 1


def test_an_unknown_log_format_is_refused_at_start():
    with pytest.raises(subprocess.CalledProcessError) as error:
        log_of_a_fresh_process(LOG_FORMAT="xml")
    assert "LOG_FORMAT must be text or json" in error.value.stderr


@pytest.fixture
def broker_on_closed_port():
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://:secret@127.0.0.1:1/0"
    yield
    celery_app.conf.broker_url = original


@pytest.mark.django_db
def test_a_health_check_failure_is_logged_with_its_error_and_no_password(
    client, broker_on_closed_port, caplog
):
    with caplog.at_level(logging.ERROR, logger="config.health"):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    [line] = [r.getMessage() for r in caplog.records if r.name == "config.health"]
    assert "broker" in line and "127.0.0.1:1" in line
    assert "secret" not in line
