"""A real Redis restart: the test starts its own redis-server without persistence, queues
reminders, restarts the server (the queue is gone), and the sweep delivers every reminder
once; a worker connected during a restart reconnects and goes on delivering.

With REDIS_URL set (CI) a missing redis-server binary fails this test. On a fresh machine
without REDIS_URL and without the binary it is deselected, with a line saying so
(tests/conftest.py): the file-system broker has no server to restart.
"""

import datetime
import os
import subprocess
import sys

import pytest
from django.utils import timezone

from patients.models import Delivery, ReminderSchedule
from patients.services import assignment_create
from tests import factories
from tests.celery_worker import ROOT, WorkerProcess, database_url, emails_in, wait_for
from tests.redis_server import RedisServer

pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis_server,
    pytest.mark.xdist_group("worker"),
    pytest.mark.django_db(transaction=True),
]

PATIENTS = 20


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(log_path=tmp_path / "redis.log").start()
    yield server
    server.stop()


def in_app(code: str, redis: RedisServer, **env: str) -> str:
    """Run ``code`` in a fresh process of the app on the test database and this Redis
    (as beat runs the dispatcher and the sweep in production)."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis.url,
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django\ndjango.setup()\n" + code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


DISPATCH = "from patients.reminders import reminders_dispatch\nprint(reminders_dispatch().claimed)"
SWEEP = "from patients.reminders import reminders_sweep\nprint(len(reminders_sweep()))"


def make_due():
    clinician = factories.ClinicianFactory()
    program = factories.ProgramFactory(owner=clinician, title="Calf program")
    factories.ProgramItemFactory(program=program)
    for number in range(PATIENTS):
        patient = factories.PatientFactory(
            clinician=clinician, user__email=f"patient{number}@example.org"
        )
        assignment_create(
            program=program,
            patient=patient,
            assigned_by=clinician,
            starts_on=patient.local_today() - datetime.timedelta(days=1),
            reminder_times=[datetime.time(8, 0)],
        )
    make_all_due()


def make_all_due():
    ReminderSchedule.objects.update(next_due_at=timezone.now() - datetime.timedelta(seconds=5))


def recipients(folder) -> list[str]:
    return sorted(message["To"] for message in emails_in(folder))


def test_reminders_queued_before_a_redis_restart_are_each_delivered_once_by_the_sweep(
    redis, tmp_path
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    make_due()
    assert in_app(DISPATCH, redis).strip() == str(PATIENTS)  # queued; no worker yet

    redis.restart()  # no persistence: the 20 messages are gone

    worker = WorkerProcess(
        log_path=tmp_path / "worker.log",
        extra_env={"REDIS_URL": redis.url, "EMAIL_URL": f"filemail:///{mail_dir}"},
    ).start()
    try:
        assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == PATIENTS
        assert in_app(SWEEP, redis, REMINDER_SWEEP_AFTER_SECONDS="0").strip() == str(PATIENTS)
        wait_for(
            lambda: Delivery.objects.filter(status=Delivery.Status.SENT).count() == PATIENTS,
            timeout=90,
            message="the sweep's re-queued reminders were not all delivered",
        )
        expected = sorted(f"patient{n}@example.org" for n in range(PATIENTS))
        assert recipients(mail_dir) == expected  # each once

        # A restart while the worker is connected: it reconnects and delivers the next ones.
        redis.restart()
        make_all_due()
        assert in_app(DISPATCH, redis).strip() == str(PATIENTS)
        wait_for(
            lambda: Delivery.objects.filter(status=Delivery.Status.SENT).count() == 2 * PATIENTS,
            timeout=120,
            message="the worker did not deliver after the Redis restart",
        )
        # A sweep afterwards finds nothing to send again.
        assert in_app(SWEEP, redis, REMINDER_SWEEP_AFTER_SECONDS="0").strip() == "0"
        assert recipients(mail_dir) == sorted(expected * 2)
    finally:
        worker.stop()
