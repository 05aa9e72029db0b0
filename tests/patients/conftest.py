"""Fixtures of the patients' tests that run a real Celery worker (tests/celery_worker.py)."""

import pytest

from tests.celery_worker import WorkerProcess, purge_queue


@pytest.fixture
def mail_dir(tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def workers(tmp_path, mail_dir):
    purge_queue()
    started: list[WorkerProcess] = []

    def start(**extra_env: str) -> WorkerProcess:
        worker = WorkerProcess(
            log_path=tmp_path / f"worker-{len(started)}.log",
            extra_env={"EMAIL_URL": f"filemail:///{mail_dir}", **extra_env},
        ).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
