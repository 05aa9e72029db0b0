"""A real Celery worker in a subprocess, on the test database and the configured broker.

Real-worker tests use it with ``django_db(transaction=True)`` so the worker sees the rows
they commit. The worker consumes only this xdist worker's queue (tests/settings.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

from django.conf import settings
from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the test database this process is using."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def purge_queue() -> None:
    """Drop messages left in this test worker's queue by an earlier run."""
    with app.connection_for_write() as conn:
        conn.default_channel.queue_declare(queue=settings.CELERY_TASK_DEFAULT_QUEUE)
        conn.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


class WorkerProcess:
    def __init__(self, *, log_path: Path, extra_env: dict[str, str] | None = None) -> None:
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> WorkerProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url(),
            **self.extra_env,
        }
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=info",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "-n",
                f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited early:\n{self.log_path.read_text()}")
            if " ready." in self.log_path.read_text():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the worker did not start:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no ack, as when the machine loses the process."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()


def wait_for(condition, *, timeout: float = 30, interval: float = 0.1, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(message or "timed out waiting for a condition")


def emails_in(folder: Path) -> list:
    """The messages Django's file email backend wrote into ``folder``, in order."""
    messages = []
    for path in sorted(folder.iterdir()):
        # The file backend appends messages to one file per connection, split by a rule.
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                messages.append(message_from_bytes(chunk.strip()))
    return messages
