"""Reminder reliability under failure (issue 12): 200 due reminders, the worker killed
with SIGKILL in the middle of the run and started again, Redis restarted without
persistence (its queue gone), then the sweep as beat runs it. Counts what the SMS
provider accepted: due, sent, duplicates, lost.

The channel is Twilio's API shape on a local stand-in provider that takes 30 ms per
message and counts every message it received in full as accepted, even when the worker
died before reading the answer (a real provider sends those). That is the one window
where a message can go out twice (README.md, "Exactly once").

`python -m bench.reliability [--reminders 200]`. Its own database
(`trigger_bench_reliability`, emptied first) and its own redis-server on a free port.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.env import ROOT

RESULTS = ROOT / "bench" / "results"


class Provider(BaseHTTPRequestHandler):
    accepted: list[str] = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        to = urllib.parse.parse_qs(body.decode())["To"][0]
        with self.lock:
            type(self).accepted.append(to)
        time.sleep(0.03)  # the provider's own latency; the worker may die meanwhile
        try:
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"sid": "SM1"}')
        except OSError:
            pass  # the worker is gone; the message was accepted all the same

    def log_message(self, *args):
        pass


def start_worker(log: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "2",
            "--loglevel=warning", "--without-heartbeat", "--without-gossip", "--without-mingle",
            "-n", f"reliability-{time.time_ns()}@%h"]  # fmt: skip
    process = subprocess.Popen(
        args, cwd=ROOT, env=dict(os.environ), stdout=log.open("a"), stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: SIGKILL takes the pool with it
    )  # fmt: skip
    time.sleep(4)
    if process.poll() is not None:
        raise RuntimeError(log.read_text())
    return process


def seed(count: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from patients.models import ReminderSchedule
    from patients.services import assignment_create
    from programs.models import Program, ProgramItem
    from trigger.models import ModuleItem
    from users.models import User

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE patients_delivery, patients_reminderschedule, patients_assignmentitem, "
            "patients_assignment, patients_patient, programs_programitem, programs_program, "
            "users_user CASCADE"
        )
    from patients.models import Patient

    clinician = User.objects.create(username="bench.clinician", role=User.Role.CLINICIAN)
    program = Program.objects.create(owner=clinician, title="Calf program")
    item = ModuleItem.objects.first()
    if item is None:
        call_command("load_trigger_content", verbosity=0)
        item = ModuleItem.objects.first()
    ProgramItem.objects.create(
        program=program, library_item=item, name=item.name, module_kind="stretching"
    )
    today = timezone.now().date()
    for number in range(count):
        user = User.objects.create(username=f"bench.{number}", role=User.Role.PATIENT)
        patient = Patient.objects.create(
            user=user, clinician=clinician, phone=f"+4477009{number:05d}"
        )
        assignment_create(
            program=program,
            patient=patient,
            assigned_by=clinician,
            starts_on=today - datetime.timedelta(days=1),
            reminder_times=[datetime.time(8, 0)],
            channel=ReminderSchedule.Channel.SMS,
        )
    ReminderSchedule.objects.update(next_due_at=timezone.now() - datetime.timedelta(seconds=5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reminders", type=int, default=200)
    parser.add_argument("--kill-after", type=float, default=0.3, help="fraction sent first")
    options = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from tests.redis_server import RedisServer

    work = Path(tempfile.mkdtemp(prefix="reliability-"))
    redis = RedisServer(log_path=work / "redis.log").start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ.update(
        REDIS_URL=redis.url,
        DATABASE_URL=os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/trigger_bench_reliability"
        ),
        SMS_BACKEND="patients.sms.TwilioSmsBackend",
        TWILIO_API_BASE=f"http://127.0.0.1:{server.server_port}",
        TWILIO_ACCOUNT_SID="AC0001",
        TWILIO_AUTH_TOKEN="secret",
        TWILIO_FROM_NUMBER="+15005550006",
    )
    from bench.env import configure

    configure()
    from django.conf import settings
    from django.utils import timezone

    from patients.models import Delivery
    from patients.reminders import reminders_dispatch, reminders_sweep

    seed(options.reminders)
    started = time.monotonic()
    due = reminders_dispatch().claimed
    worker = start_worker(work / "worker.log")
    while len(Provider.accepted) < options.kill_after * due:
        time.sleep(0.005)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    killed_at = len(Provider.accepted)
    in_flight = Delivery.objects.filter(status=Delivery.Status.SENDING).count()
    redis.restart()  # everything still queued, and the killed worker's unacked tasks, gone
    worker = start_worker(work / "worker.log")
    sweeps = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        open_rows = Delivery.objects.filter(
            status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
        ).count()
        if not open_rows:
            break
        # Beat runs the sweep every two minutes; here its clock is moved past the interval.
        after = datetime.timedelta(seconds=settings.REMINDER_SWEEP_AFTER_SECONDS + 1)
        reminders_sweep(now=timezone.now() + after)
        sweeps += 1
        time.sleep(2)
    elapsed = time.monotonic() - started
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(timeout=30)
    redis.stop()
    server.shutdown()

    per_phone = Counter(Provider.accepted)
    statuses = Counter(Delivery.objects.values_list("status", flat=True))
    result = {
        "due": due,
        "sent (delivery rows)": statuses.get(Delivery.Status.SENT, 0),
        "accepted by the provider": len(Provider.accepted),
        "patients reached": len(per_phone),
        "duplicates": sum(n - 1 for n in per_phone.values()),
        "lost": due - len(per_phone),
        "accepted before the kill": killed_at,
        "sends in flight at the kill": in_flight,
        "sweeps": sweeps,
        "other statuses": {k: v for k, v in statuses.items() if k != Delivery.Status.SENT},
        "seconds": round(elapsed, 1),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reliability.json").write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        print(f"{key:>30}: {value}")


if __name__ == "__main__":
    main()
