"""Reminder pipeline benchmark (issue 6), on PostgreSQL and Redis.

1. N patients with one reminder schedule each, a tenth due now: time to dispatch them and
   deliver every one through the real worker to a no-op channel (dummymail://).
2. The same worker's raw throughput for a no-op task on the same broker.
3. The dispatcher's query with 1,000,000 schedules not due, against an empty table.

Run with `make bench` (or `python -m bench.reminders --patients 100000`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import time

from bench.env import ROOT, configure, start_worker, stop

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

    ReminderSchedule.objects.all().delete()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--due-fraction", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--not-due", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=900)
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

    app.control.purge()
    worker = start_worker(
        queue="celery",
        concurrency=args.concurrency,
        log=RESULTS / "worker.log",
        include="bench.tasks",
    )
    try:
        results = {
            "patients": args.patients,
            "worker_concurrency": args.concurrency,
            "pipeline": pipeline(due, args.timeout),
            "raw_celery": raw_celery(due, args.timeout),
        }
    finally:
        stop(worker)
    results["ratio_pipeline_to_raw"] = round(
        results["pipeline"]["per_second"] / results["raw_celery"]["per_second"], 3
    )
    results["dispatch_query"] = dispatch_query(args.not_due)
    (RESULTS / "reminders.json").write_text(json.dumps(results, indent=2))
    print(json.dumps({k: v for k, v in results.items() if k != "dispatch_query"}, indent=2))
    query = results["dispatch_query"]
    print(
        f"dispatch with {query['schedules']} schedules not due: {query['full_ms']} ms "
        f"(empty table: {query['empty_ms']} ms)"
    )


if __name__ == "__main__":
    main()
