"""Dashboard benchmark (issue 7), on PostgreSQL, served by gunicorn.

1. `seed_demo --patients 10000`: two clinicians with 10,000 patients each, 90 days of logs
   (idempotent: a second run reuses the data).
2. A query check in-process: the number of queries and their time for each page, so an
   N+1 shows before any timing does.
3. gunicorn (`config.wsgi`, 2 sync workers, DEBUG off) and a client of a few threads with
   the demo clinician's session cookie: a fixed number of requests per URL, bounded in
   time, for `/clinic/` (page 1 of 10,000 patients), `/clinic/patients/<id>/` (the demo
   patient with the red flag), `/me/` (demo.patient's own page, with their session) and a
   trivial view of the same app in the same run:
   `/manifest.webmanifest`, the cheapest existing view (a small JSON document, no
   template); with the session cookie it runs the same middleware, whose session expiry
   check loads the session and the user (two queries), as every page does.

Run with `make bench` (or `python -m bench.dashboard --requests 300 --concurrency 2`).
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.env import ROOT, configure, percentile, sql_time, stop
from bench.readme import write_section

# Its own database: the reminders benchmark empties the tables of trigger_bench.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/trigger_bench_dashboard")
# Production refuses the no-op mail and SMS backends (system checks: sign-in codes and
# reminders would be lost); the pages measured send neither, so the console backends stand
# in, with the switch a test server uses.
os.environ.setdefault("EMAIL_URL", "consolemail://")
os.environ.setdefault("ALLOW_CONSOLE_BACKENDS", "true")
# Production settings with one change, written to a temporary module for this process and
# gunicorn: `collectstatic` with the manifest storage stops on the vendored Bootstrap's
# missing source map (bench/README.md), so static files use the plain storage, which needs
# no manifest. Views render exactly as in production otherwise.
SETTINGS_DIR = Path(tempfile.mkdtemp(prefix="trigger-bench-settings-"))
(SETTINGS_DIR / "bench_dashboard_settings.py").write_text(
    "from config.settings import *  # noqa: F403\n"
    "STORAGES = {**STORAGES, 'staticfiles': "
    "{'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
)
sys.path.insert(0, str(SETTINGS_DIR))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench_dashboard_settings"
os.environ["PYTHONPATH"] = os.pathsep.join([str(SETTINGS_DIR), str(ROOT)])

RESULTS = ROOT / "bench" / "results"
CLINICIAN = "demo.clinician"
STORY_PATIENT = "demo.c1.patient2"  # the demo patient with a red flag
ME_PATIENT = "demo.patient"  # the first clinician's first patient, 90 days of logs


def seed(patients: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from patients.models import ExerciseLog, PainLog, Patient

    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", patients=patients, stdout=quiet)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        # What autovacuum does soon after a bulk load: statistics for the planner, and the
        # visibility map that lets the "last activity" probes be index-only scans.
        cursor.execute("VACUUM (ANALYZE)")
    return {
        "patients": Patient.objects.count(),
        "exercise_logs": ExerciseLog.objects.count(),
        "pain_logs": PainLog.objects.count(),
        "seed_seconds": round(seconds, 1),
    }


def authenticator_app(username: str) -> None:
    """The clinician has set up their authenticator app, as production requires of every
    clinician (MFA_REQUIRED_ROLES): otherwise every page redirects to its set-up. The
    secret is never checked: the session is written as after a completed sign-in."""
    from allauth.mfa.models import Authenticator

    from users.models import User

    Authenticator.objects.get_or_create(
        user=User.objects.get(username=username),
        type=Authenticator.Type.TOTP,
        defaults={"data": {"secret": "benchmark-only"}},
    )


def session_cookie(username: str = CLINICIAN) -> str:
    """A signed-in session of ``username``, written as the login would."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from users.middleware import RENEWED_AT_KEY
    from users.models import User

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[RENEWED_AT_KEY] = int(time.time())
    if user.is_clinician:
        session.set_expiry(settings.CLINICIAN_IDLE_SECONDS)
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def urls() -> dict[str, str]:
    from patients.models import Patient

    story = Patient.objects.get(user__username=STORY_PATIENT)
    return {
        "trivial": "/manifest.webmanifest",
        "dashboard": "/clinic/",
        "patient": f"/clinic/patients/{story.pk}/",
        "me": "/me/",
    }


def user_of(name: str) -> str:
    """Whose session requests ``name``: the patient for /me/, the clinician otherwise."""
    return ME_PATIENT if name == "me" else CLINICIAN


def query_check(paths: dict[str, str]) -> dict:
    """Each page through Django's test client: status, queries and their total time."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from users.models import User

    report = {}
    for name, path in paths.items():
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=user_of(name)))
        client.get(path)  # warm
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - started
        report[name] = {
            "status": response.status_code,
            "queries": len(queries.captured_queries),
            "query_ms": round(sum(float(q["time"]) for q in queries.captured_queries) * 1000, 1),
            "total_ms": round(elapsed * 1000, 1),
            "slowest": sorted(
                (round(float(q["time"]) * 1000, 1), q["sql"][:90]) for q in queries.captured_queries
            )[-2:],
        }
    return report


# What the in-process profile reports: a name, and which function's cumulative time is it.
PROFILE_PARTS = {
    "template rendering": lambda f: (
        f[2] == "render" and f[0].endswith("template/backends/django.py")
    ),
    "SQL (cursor execute, waiting on PostgreSQL)": lambda f: f[2] == "_execute_with_wrappers",
    "building and compiling queries": lambda f: (
        f[2] == "as_sql" and f[0].endswith("sql/compiler.py")
    ),
    "model instances from rows": lambda f: f[2] == "from_db",
    "translations (gettext)": lambda f: (
        f[2] == "gettext" and f[0].endswith("translation/trans_real.py")
    ),
    "the audit trail's read entries": lambda f: f[2] == "_record_access",
}


def profile_pages(paths: dict[str, str], requests: int = 20) -> dict:
    """Each page in-process through Django's test client: milliseconds per request (and of
    it, in PostgreSQL), then where the time goes under cProfile."""
    from django.test import Client

    from users.models import User

    report = {}
    for name, path in paths.items():
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=user_of(name)))
        for _ in range(3):  # warm: templates, URL resolvers, compiled queries
            client.get(path)
        report[name] = _profile_page(client, path, requests)
    return report


def _profile_page(client, path: str, requests: int) -> dict:
    with sql_time() as sql:
        start = time.perf_counter()
        for _ in range(requests):
            client.get(path)
        elapsed = time.perf_counter() - start
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    # Shares of the whole request, middleware included; nested parts are not added up.
    total = max((row[3] for func, row in stats.items() if func[2] == "get_response"), default=1)
    return {
        "ms_per_request": round(1000 * elapsed / requests, 1),
        "sql_ms_per_request": round(1000 * sql["seconds"] / requests, 1),
        "profile_percent": {
            part: round(
                100
                * max((row[3] for func, row in stats.items() if matches(func)), default=0)
                / total,
                1,
            )
            for part, matches in PROFILE_PARTS.items()
        },
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, DEBUG="false", SECURE_SSL_REDIRECT="false", ALLOWED_HOSTS="127.0.0.1")
    handle = open(log, "w")  # the child process writes to it until stopped
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=handle,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            get(port, "/manifest.webmanifest", "")
            return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError("gunicorn did not answer in 30 s")


def peak_rss_mb(master_pid: int) -> float:
    """The highest peak resident memory (VmHWM) among gunicorn's worker processes."""
    peaks = []
    for child in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return round(max(peaks), 1) if peaks else 0.0


def get(port: int, path: str, cookie: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def measure(
    port: int,
    path: str,
    cookie: str,
    *,
    requests: int,
    concurrency: int,
    max_seconds: float,
    min_seconds: float = 0,
) -> dict:
    """At least ``requests`` GETs from ``concurrency`` threads, and more until
    ``min_seconds`` have passed (a fast page's rate is too noisy over one second),
    stopping after ``max_seconds``."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    remaining = [requests]

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0 and time.monotonic() - start >= min_seconds:
                    return
                remaining[0] -= 1
            started = time.perf_counter()
            status = get(port, path, cookie)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    for _ in range(min(5, requests)):  # warm each worker's caches and connections
        get(port, path, cookie)
    start = time.monotonic()  # read by the workers: the warm-up is not counted
    deadline = start + max_seconds
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "path": path,
        "requests": len(latencies),
        "statuses": statuses,
        "seconds": round(wall, 2),
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "mean_ms": round(statistics.mean(latencies) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000, help="per clinician")
    parser.add_argument("--requests", type=int, default=300, help="per URL")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--max-seconds", type=float, default=90, help="per URL")
    parser.add_argument(
        "--min-seconds", type=float, default=5, help="per URL, however many requests that is"
    )
    args = parser.parse_args()

    configure()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = seed(args.patients)
    print(f"data: {json.dumps(data)}", flush=True)
    paths = urls()
    authenticator_app(CLINICIAN)
    load_start = round(os.getloadavg()[0], 2)
    checks = query_check(paths)
    for name, check in checks.items():
        print(f"queries {name}: {check['queries']} ({check['query_ms']} ms in SQL)", flush=True)
        if check["status"] != 200:
            raise SystemExit(f"{name}: status {check['status']} in the query check")
    profile = profile_pages(paths)
    for name, page in profile.items():
        print(
            f"in-process {name}: {page['ms_per_request']} ms/request "
            f"({page['sql_ms_per_request']} ms SQL)",
            flush=True,
        )
    cookies = {username: session_cookie(username) for username in {CLINICIAN, ME_PATIENT}}

    port = free_port()
    server = start_gunicorn(port, args.workers, RESULTS / "gunicorn.log")
    try:

        def measured(name: str) -> dict:
            return measure(
                port,
                paths[name],
                cookies[user_of(name)],
                requests=args.requests,
                concurrency=args.concurrency,
                max_seconds=args.max_seconds,
                min_seconds=args.min_seconds,
            )

        # The trivial view is measured first and again last, and the pages are compared
        # with the mean of the two: a shared machine's speed drifts over a run.
        runs = {name: measured(name) for name in paths}
        again = measured("trivial")
        first = runs["trivial"]
        runs["trivial"] = {
            **first,
            "rps": round((first["rps"] + again["rps"]) / 2, 1),
            "rps_first_and_last": [first["rps"], again["rps"]],
            "requests": first["requests"] + again["requests"],
            "seconds": round(first["seconds"] + again["seconds"], 2),
            "statuses": {
                status: first["statuses"].get(status, 0) + again["statuses"].get(status, 0)
                for status in {*first["statuses"], *again["statuses"]}
            },
        }
        worker_rss_mb = peak_rss_mb(server.pid)
    finally:
        stop(server)
    for name, run in runs.items():
        if set(run["statuses"]) != {200}:
            raise SystemExit(f"{name}: unexpected statuses {run['statuses']}")
    results = {
        "data": data,
        "gunicorn_workers": args.workers,
        "client_threads": args.concurrency,
        "query_check": checks,
        "runs": runs,
        "ratio_rps_dashboard_to_trivial": round(
            runs["dashboard"]["rps"] / runs["trivial"]["rps"], 3
        ),
        "ratio_rps_patient_to_trivial": round(runs["patient"]["rps"] / runs["trivial"]["rps"], 3),
        "ratio_rps_me_to_trivial": round(runs["me"]["rps"] / runs["trivial"]["rps"], 3),
        "web_worker_peak_rss_mb": worker_rss_mb,
        "python_count_s": python_speed(),
        "profile": profile,
        "load_average": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    (RESULTS / "dashboard.json").write_text(json.dumps(results, indent=2))
    for name, run in runs.items():
        print(
            f"{name:<10} {run['path']:<28} {run['rps']:>7} req/s  p50 {run['p50_ms']} ms  "
            f"p95 {run['p95_ms']} ms  ({run['requests']} requests in {run['seconds']} s)"
        )
    print(
        f"ratio dashboard/trivial {results['ratio_rps_dashboard_to_trivial']}, "
        f"patient/trivial {results['ratio_rps_patient_to_trivial']}, "
        f"me/trivial {results['ratio_rps_me_to_trivial']}"
    )
    print(f"gunicorn web worker peak RSS: {worker_rss_mb} MB", flush=True)
    write_section("dashboard", readme_section(results))


# The first run of this benchmark for issue 18, on the same machine and data, before the
# pages were made leaner (bench/README.md: "Pages at clinic scale").
BEFORE = {
    "trivial": {"rps": 313.0, "p50_ms": 5.0},
    "dashboard": {"rps": 9.5, "p50_ms": 194.8, "queries": 13, "in_process_ms": 168.1},
    "patient": {"rps": 17.8, "p50_ms": 101.7, "queries": 28, "in_process_ms": 108.5},
    "me": {"rps": 53.1, "p50_ms": 34.7, "queries": 10, "in_process_ms": 47.5},
}
TARGETS = {"dashboard": 0.1, "patient": 0.2, "me": 0.3}
LABELS = {
    "trivial": "`/manifest.webmanifest` (trivial)",
    "dashboard": "`/clinic/`, page 1 of 10,000 patients",
    "patient": "`/clinic/patients/<id>/` (the story)",
    "me": "`/me/`",
}


def python_speed() -> float:
    """Seconds this machine takes to count to 10 million in a Python loop (the best of
    three): how fast its CPU runs Python, to compare runs made on different machines."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for number in range(10_000_000):
            total += number
        best = min(best, time.perf_counter() - start)
    return round(best, 2)


def readme_section(results: dict) -> str:
    """The figures of a run as the Markdown written into bench/README.md."""
    runs, checks, profile = results["runs"], results["query_check"], results["profile"]
    data, load = results["data"], results["load_average"]
    trivial = runs["trivial"]["rps"]
    lines = [
        f"Measured {results['measured_at']} by `python -m bench.dashboard` on this machine "
        f"({os.cpu_count()} CPUs; load average {load['start']} at the start, {load['end']} "
        "at the end). "
        f"{data['patients']:,} patients, {data['exercise_logs']:,} exercise logs, "
        f"{data['pain_logs']:,} pain logs; gunicorn with {results['gunicorn_workers']} sync "
        f"workers, {results['client_threads']} client threads. This machine counts to "
        f"10 million in Python in {results['python_count_s']} s (`python_speed`). Before: "
        "the first run of issue 18's work on the same data, on the machine of that morning, "
        "where the trivial view ran 313 req/s: absolute figures compare only on one "
        "machine, the ratios to the trivial view travel.",
        "",
        "| page | req/s before → now | p50 before → now | ratio to trivial, before → now "
        "| target | queries before → now | in-process ms before → now (of it SQL) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, run in runs.items():
        before = BEFORE[name]
        if name == "trivial":
            first, last = run["rps_first_and_last"]
            lines.append(
                f"| {LABELS[name]} (first {first}, last {last}: the mean) | {before['rps']} → "
                f"{run['rps']} | {before['p50_ms']} → "
                f"{run['p50_ms']} ms | — | — | {checks[name]['queries']} | "
                f"{profile[name]['ms_per_request']} |"
            )
            continue
        ratio_before = round(before["rps"] / BEFORE["trivial"]["rps"], 3)
        ratio = round(run["rps"] / trivial, 3)
        reached = "reached" if ratio >= TARGETS[name] else "**not reached**"
        lines.append(
            f"| {LABELS[name]} | {before['rps']} → **{run['rps']}** | {before['p50_ms']} → "
            f"{run['p50_ms']} ms | {ratio_before} → **{ratio}** | ≥ {TARGETS[name]}: {reached} "
            f"| {before['queries']} → {checks[name]['queries']} | {before['in_process_ms']} → "
            f"{profile[name]['ms_per_request']} ({profile[name]['sql_ms_per_request']}) |"
        )
    lines += [
        "",
        f"Peak resident memory of a gunicorn web worker: {results['web_worker_peak_rss_mb']} MB.",
        "",
        "Where each page's time goes in-process (cProfile, share of the whole request, "
        "middleware included; nested parts are not added up):",
        "",
        "| part | " + " | ".join(name for name in profile) + " |",
        "| --- | " + " | ".join("---" for _ in profile) + " |",
    ]
    parts = next(iter(profile.values()))["profile_percent"]
    for part in parts:
        lines.append(
            f"| {part} | "
            + " | ".join(f"{page['profile_percent'][part]} %" for page in profile.values())
            + " |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
