"""Reminder pipeline benchmark (issues 6 and 18), on PostgreSQL and Redis.

1. N patients with one reminder schedule each, a tenth due now: time to dispatch them and
   deliver every one through the real worker to a no-op channel (dummymail://), with a
   worker of 1 process, then of 2 (the due rows are made due again in between).
2. The same worker's raw throughput for a no-op task on the same broker, and the time
   Celery takes to enqueue as many no-op tasks as there were due reminders.
3. The peak memory (VmHWM) of each process of the worker.
4. One process sending batches in-process: time per delivery, its SQL share, and a
   cProfile of where the rest goes.
5. The dispatcher's query with 1,000,000 schedules not due, against an empty table.

The figures and their ratios are written to bench/README.md (its generated section),
beside the figures measured before reminders were batched.

Run with `make bench` (or `python -m bench.reminders --patients 100000`).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import json
import os
import pstats
import statistics
import time
from pathlib import Path

from bench.env import ROOT, configure, sql_time, start_worker, stop
from bench.readme import write_section

RESULTS = ROOT / "bench" / "results"


def reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE patients_delivery, patients_reminderschedule, patients_exerciselog, "
            "patients_painlog, patients_alert, patients_assignmentitem, patients_assignment, "
            "patients_patient, programs_programitem, programs_program, users_user CASCADE"
        )


def seed(patients: int, due_fraction: float) -> int:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from patients.models import Assignment, AssignmentItem, Patient, ReminderSchedule
    from programs.models import Program
    from users.models import User

    clinician = User.objects.create(username="bench.clinician", role=User.Role.CLINICIAN)
    program = Program.objects.create(owner=clinician, title="Bench program")
    password = make_password(None)
    now = timezone.now()
    today = now.date()
    due_every = round(1 / due_fraction)
    batch = 5000
    due = 0
    for start in range(0, patients, batch):
        count = min(batch, patients - start)
        users = User.objects.bulk_create(
            User(
                username=f"bench.{start + i}",
                email=f"bench.{start + i}@example.org",
                password=password,
                role=User.Role.PATIENT,
            )
            for i in range(count)
        )
        records = Patient.objects.bulk_create(
            Patient(user=user, clinician=clinician, time_zone="Europe/London") for user in users
        )
        assignments = Assignment.objects.bulk_create(
            Assignment(
                patient=patient,
                program=program,
                title="Bench program",
                starts_on=today - datetime.timedelta(days=7),
                assigned_by=clinician,
            )
            for patient in records
        )
        AssignmentItem.objects.bulk_create(
            AssignmentItem(assignment=a, name="Calf stretch", instructions="Stretch.", sets=3)
            for a in assignments
        )
        schedules = []
        for i, assignment in enumerate(assignments):
            is_due = (start + i) % due_every == 0
            due += is_due
            schedules.append(
                ReminderSchedule(
                    assignment=assignment,
                    local_time=datetime.time(8, 0),
                    next_due_at=now - datetime.timedelta(seconds=1)
                    if is_due
                    else now + datetime.timedelta(hours=6),
                )
            )
        ReminderSchedule.objects.bulk_create(schedules)
    return due


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError("the benchmark did not finish in time")


def pipeline(due: int, timeout: float) -> dict:
    from django.db.models import Count

    from patients.models import Delivery
    from patients.reminders import reminders_dispatch

    done = ("sent", "skipped", "failed")
    start = time.perf_counter()
    result = reminders_dispatch()
    dispatched = time.perf_counter()
    wait_until(lambda: Delivery.objects.filter(status__in=done).count() >= due, timeout)
    finished = time.perf_counter()
    statuses = dict(Delivery.objects.values_list("status").annotate(n=Count("id")))
    return {
        "due": due,
        "claimed": result.claimed,
        "dispatch_seconds": round(dispatched - start, 2),
        "total_seconds": round(finished - start, 2),
        "per_second": round(due / (finished - start), 1),
        "statuses": statuses,
    }


def raw_celery(tasks: int, timeout: float) -> dict:
    import redis
    from django.conf import settings

    from bench.tasks import noop

    client = redis.Redis.from_url(settings.REDIS_URL)
    key = f"bench:noop:{time.time_ns()}"
    start = time.perf_counter()
    for _ in range(tasks):
        noop.delay(key)
    sent = time.perf_counter()
    wait_until(lambda: int(client.get(key) or 0) >= tasks, timeout)
    finished = time.perf_counter()
    client.delete(key)
    return {
        "tasks": tasks,
        "enqueue_seconds": round(sent - start, 2),
        "total_seconds": round(finished - start, 2),
        "per_second": round(tasks / (finished - start), 1),
    }


def make_due_again() -> int:
    """The schedules that were due, due again, with no delivery yet: the next run starts
    where the first one did."""
    from django.utils import timezone

    from patients.models import Delivery, ReminderSchedule

    ids = list(Delivery.objects.values_list("schedule_id", flat=True))
    Delivery.objects.all().delete()
    return ReminderSchedule.objects.filter(pk__in=ids).update(
        next_due_at=timezone.now() - datetime.timedelta(seconds=1)
    )


def load_average() -> float:
    """The machine's one-minute load average: how much else shared the CPUs."""
    return round(os.getloadavg()[0], 2)


def _status_field(pid: int, field: str) -> int:
    """A /proc/<pid>/status figure in kB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The parent's pid is the second field after the command's closing bracket.
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                children.append(int(entry.name))
    return children


def worker_memory(pid: int) -> dict:
    """Peak resident memory (VmHWM) of the worker's main process and of each pool
    process, in MB."""
    processes = [pid, *_children(pid)]
    peaks = [_status_field(p, "VmHWM") / 1024 for p in processes]
    return {
        "main_mb": round(peaks[0], 1),
        "pool_mb": [round(peak, 1) for peak in peaks[1:]],
        "peak_process_mb": round(max(peaks), 1),
        "total_mb": round(sum(peaks), 1),
    }


def profile_batches(deliveries: int = 500) -> dict:
    """Send ``deliveries`` again in-process, in the worker's batches: once timed (with the
    SQL time summed), once under cProfile."""
    from django.conf import settings

    from patients.models import Delivery
    from patients.reminders import deliveries_send

    size = settings.REMINDER_EMAIL_BATCH_SIZE
    ids = list(Delivery.objects.filter(status="sent").order_by("pk").values_list("pk", flat=True))[
        : 2 * deliveries
    ]
    timed_ids, profiled_ids = ids[:deliveries], ids[deliveries:]
    Delivery.objects.filter(pk__in=ids).update(status="pending", sent_at=None)

    def send_all(batch_ids: list[int]) -> None:
        for start in range(0, len(batch_ids), size):
            deliveries_send(delivery_ids=batch_ids[start : start + size])

    # What a worker does once, at its first task: load the URLs and the templates.
    from django.urls import reverse

    from users.emails import EmailTemplates

    reverse("patients:today")
    EmailTemplates.load("patients/email/reminder")
    with sql_time() as sql:
        start = time.perf_counter()
        send_all(timed_ids)
        elapsed = time.perf_counter() - start
    profiler = cProfile.Profile()
    profiler.enable()
    send_all(profiled_ids)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt or 1
    by_function = sorted(stats.stats.items(), key=lambda item: item[1][3], reverse=True)

    def share(predicate) -> float:
        # The largest cumulative time of a matching function: nested calls are not added.
        times = [row[3] for func, row in by_function if predicate(func)]
        return round(100 * max(times, default=0) / total, 1)

    return {
        "deliveries": len(timed_ids),
        "batch_size": size,
        "ms_per_delivery": round(1000 * elapsed / len(timed_ids), 3),
        "sql_ms_per_delivery": round(1000 * sql["seconds"] / len(timed_ids), 3),
        "queries_per_batch": round(sql["queries"] / -(-len(timed_ids) // size), 1),
        "profile_percent": {
            "rendering the three templates": share(lambda f: f[2] == "message"),
            "stop link (signing)": share(lambda f: f[2] == "stop_token"),
            "database (cursor execute)": share(lambda f: f[2] == "_execute_with_wrappers"),
            "checks before the send": share(lambda f: f[2] == "load"),
        },
        "top_tottime": [
            f"{Path(func[0]).name}:{func[1]} {func[2]}: {row[2] * 1000 / len(profiled_ids):.3f} ms"
            for func, row in sorted(stats.stats.items(), key=lambda i: i[1][2], reverse=True)[:8]
        ],
    }


def dispatch_query(not_due: int, repeats: int = 50) -> dict:
    from django.db import connection

    from patients.models import ReminderSchedule
    from patients.reminders import reminders_dispatch

    def timed() -> float:
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            reminders_dispatch()
            samples.append((time.perf_counter() - start) * 1000)
        return round(statistics.median(samples), 3)

    with connection.cursor() as cursor:
        # TRUNCATE, not QuerySet.delete(): the audit log's signals would write an entry
        # per deleted schedule (minutes for 100,000).
        cursor.execute("TRUNCATE patients_delivery, patients_reminderschedule")
    empty_ms = timed()
    with connection.cursor() as cursor:
        # Whole minutes of the day x both kinds, on as many assignments as it takes.
        per_assignment = 1440 * 2
        cursor.execute(
            """
            INSERT INTO patients_reminderschedule
                (assignment_id, kind, local_time, weekdays, channel, paused, next_due_at,
                 created_at)
            SELECT a.id, k.kind, make_time(m / 60, m %% 60, 0), 127, 'email', false,
                   now() + interval '1 hour' + (m * interval '1 minute'), now()
            FROM (SELECT id FROM patients_assignment ORDER BY id LIMIT %s) a
            CROSS JOIN generate_series(0, 1439) m
            CROSS JOIN (VALUES ('exercise'), ('pain')) k(kind)
            LIMIT %s
            """,
            [not_due // per_assignment + 1, not_due],
        )
        cursor.execute("ANALYZE patients_reminderschedule")
        rows = ReminderSchedule.objects.count()
        sql, params = (
            ReminderSchedule.objects.filter(next_due_at__lte=datetime.datetime.now(datetime.UTC))
            .select_related("assignment__patient")
            .order_by("next_due_at", "pk")[:500]
            .query.sql_with_params()
        )
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    full_ms = timed()
    return {"schedules": rows, "empty_ms": empty_ms, "full_ms": full_ms, "plan": plan}


BEFORE = {
    # The run of issue 6 (bench/README.md, "Reminders"): one UPDATE per claimed row, one
    # task per delivery; 100,000 patients, 10,000 due, a worker of 2 processes.
    "deliveries_per_second": 122.5,
    "raw_tasks_per_second": 1266.4,
    "ratio": 0.097,
    "dispatch_seconds": 14.57,
    "raw_enqueue_seconds": 5.02,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--due-fraction", type=float, default=0.1)
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 2], help="worker processes, a run each"
    )
    parser.add_argument("--not-due", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--no-readme", action="store_true", help="leave bench/README.md alone")
    args = parser.parse_args()

    configure()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    RESULTS.mkdir(parents=True, exist_ok=True)
    reset()
    started = time.perf_counter()
    due = seed(args.patients, args.due_fraction)
    print(f"seeded {args.patients} patients ({due} due) in {time.perf_counter() - started:.1f} s")

    from config.celery import app

    results: dict = {
        "patients": args.patients,
        "due": due,
        "runs": {},
        "load_average": {"start": load_average()},
    }
    for number, concurrency in enumerate(args.concurrency):
        if number:
            make_due_again()
        app.control.purge()
        worker = start_worker(
            queue="celery",
            concurrency=concurrency,
            log=RESULTS / f"worker-{concurrency}.log",
            include="bench.tasks",
        )
        try:
            run = {"pipeline": pipeline(due, args.timeout)}
            run["raw_celery"] = raw_celery(due, args.timeout)
            run["worker_memory"] = worker_memory(worker.pid)
        finally:
            stop(worker)
        run["ratio_pipeline_to_raw"] = round(
            run["pipeline"]["per_second"] / run["raw_celery"]["per_second"], 3
        )
        run["dispatch_to_raw_enqueue"] = round(
            run["pipeline"]["dispatch_seconds"] / run["raw_celery"]["enqueue_seconds"], 3
        )
        results["runs"][str(concurrency)] = run
        print(f"{concurrency} worker process(es):", json.dumps(run, indent=2), flush=True)
    results["profile"] = profile_batches()
    print("in-process profile:", json.dumps(results["profile"], indent=2), flush=True)
    results["load_average"]["end"] = load_average()
    results["dispatch_query"] = dispatch_query(args.not_due)
    (RESULTS / "reminders.json").write_text(json.dumps(results, indent=2))
    query = results["dispatch_query"]
    print(
        f"dispatch with {query['schedules']} schedules not due: {query['full_ms']} ms "
        f"(empty table: {query['empty_ms']} ms)"
    )
    if not args.no_readme:
        write_section("reminders", readme_section(results))
        print("figures written to bench/README.md")


def readme_section(results: dict) -> str:
    runs = results["runs"]
    main_run = runs.get("2") or next(iter(runs.values()))
    pipeline, raw = main_run["pipeline"], main_run["raw_celery"]
    profile = results["profile"]
    query = results["dispatch_query"]
    measured_on = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cpus = os.cpu_count()
    load = results["load_average"]

    def verdict(ok: bool) -> str:
        return "reached" if ok else "**not reached**"

    lines = [
        f"Measured {measured_on} by `python -m bench.reminders` on this machine ({cpus} CPUs; "
        f"load average {load['start']} at the start, {load['end']} at the end: other work "
        "shared the CPUs when it is above 0.5 or so, and the absolute figures suffer more "
        "than the ratios):",
        f"{results['patients']:,} patients, {results['due']:,} due, a no-op email channel "
        "(`dummymail://`), the worker of 2 processes unless said otherwise. Before: the run of "
        "issue 6 above (one task per delivery, one UPDATE per claimed row).",
        "",
        "| figure | before | now | target |",
        "| --- | --- | --- | --- |",
        "| reminders delivered per second (dispatch + delivery) | "
        f"{BEFORE['deliveries_per_second']} | **{pipeline['per_second']}** | |",
        f"| raw Celery no-op tasks per second, same broker and worker | "
        f"{BEFORE['raw_tasks_per_second']} | {raw['per_second']} | |",
        f"| ratio delivered / raw Celery | {BEFORE['ratio']} | "
        f"**{main_run['ratio_pipeline_to_raw']}** | ≥ 0.5: "
        f"{verdict(main_run['ratio_pipeline_to_raw'] >= 0.5)} |",
        f"| dispatch of {results['due']:,} due (claim + delivery rows + enqueue) | "
        f"{BEFORE['dispatch_seconds']} s | **{pipeline['dispatch_seconds']} s** | "
        f"≤ raw enqueue: {verdict(main_run['dispatch_to_raw_enqueue'] <= 1)} |",
        f"| raw enqueue of {results['due']:,} no-op tasks | {BEFORE['raw_enqueue_seconds']} s | "
        f"{raw['enqueue_seconds']} s | |",
        "| ratio dispatch / raw enqueue | "
        f"{BEFORE['dispatch_seconds'] / BEFORE['raw_enqueue_seconds']:.2f} "
        f"| **{main_run['dispatch_to_raw_enqueue']}** | ≤ 1 |",
        f"| outcomes | all sent | {pipeline['statuses']} | |",
        "",
        "Delivery throughput by worker processes (the same due rows, made due again between runs):",
        "",
        "| worker processes | delivered/s | raw no-op tasks/s | ratio | dispatch | raw enqueue "
        "| peak RSS of one worker process | all its processes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for concurrency, run in runs.items():
        memory = run["worker_memory"]
        lines.append(
            f"| {concurrency} | {run['pipeline']['per_second']} "
            f"| {run['raw_celery']['per_second']} | {run['ratio_pipeline_to_raw']} "
            f"| {run['pipeline']['dispatch_seconds']} s "
            f"| {run['raw_celery']['enqueue_seconds']} s | {memory['peak_process_mb']} MB "
            f"| {memory['total_mb']} MB |"
        )
    if "1" in runs and "2" in runs:
        growth = runs["2"]["pipeline"]["per_second"] / runs["1"]["pipeline"]["per_second"]
        lines += [
            "",
            f"From 1 to 2 worker processes, deliveries per second grow **×{growth:.2f}**.",
        ]
    lines += [
        "",
        f"In-process, one process sending {profile['deliveries']} deliveries in batches of "
        f"{profile['batch_size']}: **{profile['ms_per_delivery']} ms per delivery**, of which "
        f"{profile['sql_ms_per_delivery']} ms in PostgreSQL ({profile['queries_per_batch']} "
        "queries per batch). Share of the time (cProfile, cumulative):",
        "",
        "| part | % |",
        "| --- | --- |",
        *[f"| {part} | {percent} |" for part, percent in profile["profile_percent"].items()],
        "",
        "Most time of its own (tottime per delivery): "
        + "; ".join(f"`{row}`" for row in profile["top_tottime"])
        + ".",
    ]
    if query:
        lines += [
            "",
            f"Dispatch query with {query['schedules']:,} schedules not due: {query['full_ms']} "
            f"ms (empty table: {query['empty_ms']} ms).",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
