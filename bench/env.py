"""Environment shared by the benchmarks: PostgreSQL and Redis on localhost by default."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/trigger_bench",
    "REDIS_URL": "redis://127.0.0.1:6379/7",
    "SECRET_KEY": "benchmark-only-secret-key-" + "x" * 40,
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "EMAIL_URL": "dummymail://",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


def configure() -> dict[str, str]:
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    sys.path.insert(0, str(ROOT))
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    return {key: os.environ[key] for key in DEFAULTS}


def ensure_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def start_worker(*, queue: str, concurrency: int, log: Path, include: str = "") -> subprocess.Popen:
    args = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue,
        "--concurrency", str(concurrency), "--loglevel=warning", "--without-heartbeat",
        "--without-gossip", "--without-mingle", "-n", f"bench-{queue}-{time.time_ns()}@%h",
    ]  # fmt: skip
    if include:
        args += ["-I", include]
    handle = open(log, "w")
    process = subprocess.Popen(args, cwd=ROOT, env=dict(os.environ), stdout=handle, stderr=handle)
    time.sleep(4)  # the worker connects; its first consumed task is inside the timing anyway
    if process.poll() is not None:
        raise RuntimeError(log.read_text())
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@contextmanager
def sql_time() -> Iterator[dict]:
    """Sums the time and the number of the queries run inside: ``{"seconds", "queries"}``."""
    from django.db import connection

    totals = {"seconds": 0.0, "queries": 0}

    def timing(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            totals["seconds"] += time.perf_counter() - start
            totals["queries"] += 1

    with connection.execute_wrapper(timing):
        yield totals
