"""The reminder pipeline end to end: a real Celery worker on the configured broker.

With REDIS_URL set (CI), that is a real Redis; without, Kombu's file-system broker. A
missing broker makes these tests fail, never skip.
"""

import datetime
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from patients import reminders
from patients.models import Delivery, ReminderSchedule
from patients.services import assignment_create
from tests import factories
from tests.celery_worker import emails_in, purge_queue, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.xdist_group("worker"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def due_assignment(db):
    clinician = factories.ClinicianFactory(first_name="Maria", last_name="Lopez")
    patient = factories.PatientFactory(
        clinician=clinician,
        user__email="ann@example.org",
        phone="+447700900123",
        time_zone="America/New_York",
    )
    program = factories.ProgramFactory(owner=clinician, title="Calf program")
    factories.ProgramItemFactory(program=program)
    assignment = assignment_create(
        program=program,
        patient=patient,
        assigned_by=clinician,
        starts_on=patient.local_today() - datetime.timedelta(days=1),
        reminder_times=[datetime.time(8, 0)],
    )
    # Due a moment ago.
    ReminderSchedule.objects.update(next_due_at=timezone.now() - datetime.timedelta(seconds=5))
    return assignment


def test_a_due_reminder_is_delivered_by_the_worker(due_assignment, workers, mail_dir):
    workers()
    result = reminders.reminders_dispatch()
    assert result.claimed == 1
    delivery = wait_for(
        lambda: Delivery.objects.filter(status=Delivery.Status.SENT).first(),
        message="the worker did not send the reminder",
    )
    [message] = emails_in(mail_dir)
    assert message["To"] == "ann@example.org"
    assert "Calf program" in message["Subject"]
    assert delivery.attempts == 1


def test_two_dispatchers_at_once_send_the_reminder_once(due_assignment, workers, mail_dir):
    workers()
    workers()
    barrier = threading.Barrier(2)
    results = []

    def dispatch():
        barrier.wait()
        try:
            results.append(reminders.reminders_dispatch().claimed)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [0, 1]
    wait_for(lambda: Delivery.objects.filter(status=Delivery.Status.SENT).exists())
    # Give a duplicate every chance to arrive, then count.
    time.sleep(1)
    assert Delivery.objects.count() == 1
    assert len(emails_in(mail_dir)) == 1


class SlowThenFastProvider(BaseHTTPRequestHandler):
    """A stand-in SMS provider on loopback: holds the first request open (the worker is
    killed meanwhile), answers later ones at once; counts what it accepted."""

    received: list[bytes] = []
    accepted: list[bytes] = []
    release = threading.Event()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(body)
        if len(type(self).received) == 1:
            type(self).release.wait(timeout=30)
            return  # the client is gone; nothing is accepted
        type(self).accepted.append(body)
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"sid": "SM1"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def provider():
    SlowThenFastProvider.received, SlowThenFastProvider.accepted = [], []
    SlowThenFastProvider.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowThenFastProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    SlowThenFastProvider.release.set()
    server.shutdown()


def test_a_worker_killed_mid_send_delivers_exactly_once_after_restart(
    due_assignment, workers, provider
):
    ReminderSchedule.objects.update(channel=ReminderSchedule.Channel.SMS)
    sms_env = {
        "SMS_BACKEND": "patients.sms.TwilioSmsBackend",
        "TWILIO_API_BASE": provider,
        "TWILIO_ACCOUNT_SID": "AC0001",
        "TWILIO_AUTH_TOKEN": "secret",
        "TWILIO_FROM_NUMBER": "+15005550006",
    }
    first = workers(**sms_env)
    reminders.reminders_dispatch()
    wait_for(lambda: SlowThenFastProvider.received, message="the send never started")
    assert Delivery.objects.get().status == Delivery.Status.SENDING
    first.kill()
    SlowThenFastProvider.release.set()

    workers(**sms_env)
    # Later than any task may run: the sweep takes the abandoned send back.
    requeued = reminders.reminders_sweep(now=timezone.now() + datetime.timedelta(minutes=10))
    assert len(requeued) == 1
    delivery = wait_for(
        lambda: Delivery.objects.filter(status=Delivery.Status.SENT).first(),
        message="the restarted worker did not deliver",
    )
    assert len(SlowThenFastProvider.accepted) == 1
    assert b"time+for+your+exercises" in SlowThenFastProvider.accepted[0]
    assert delivery.attempts == 2


def test_a_broker_that_lost_its_queue_is_recovered_by_the_sweep(due_assignment, workers, mail_dir):
    reminders.reminders_dispatch()  # queued, but no worker is running
    # A lost message. A real Redis restart, with a server of its own, is in
    # test_redis_restart.py.
    purge_queue()
    workers()
    assert Delivery.objects.get().status == Delivery.Status.PENDING
    requeued = reminders.reminders_sweep(now=timezone.now() + datetime.timedelta(minutes=10))
    assert len(requeued) == 1
    wait_for(lambda: Delivery.objects.filter(status=Delivery.Status.SENT).exists())
    assert len(emails_in(mail_dir)) == 1


def test_send_test_reminder_goes_through_broker_worker_and_channel(
    due_assignment, workers, mail_dir, capsys
):
    workers()
    call_command("send_test_reminder", due_assignment.patient.user.username)
    delivery = wait_for(
        lambda: Delivery.objects.filter(
            kind=Delivery.Kind.TEST, status=Delivery.Status.SENT
        ).first()
    )
    assert delivery.patient == due_assignment.patient
    [message] = emails_in(mail_dir)
    assert "test reminder" in message.get_payload()[0].get_payload().lower()
    assert "queued" in capsys.readouterr().out
