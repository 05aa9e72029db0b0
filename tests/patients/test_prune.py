"""Retention: `manage.py prune` deletes what is past its period and nothing else, and the
beat runs it daily."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from patients.models import Delivery, Patient
from patients.services.retention import records_prune
from tests import factories
from users.audit import AuthEvent

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


def days_ago(days: int) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


@pytest.fixture
def records(clinician):
    patient = factories.PatientFactory(clinician=clinician)

    def delivery(age: int, status: str) -> Delivery:
        made = Delivery.objects.create(
            patient=patient, kind=Delivery.Kind.TEST, channel="email", occurrence=days_ago(age)
        )
        Delivery.objects.filter(pk=made.pk).update(created_at=days_ago(age), status=status)
        return made

    def audit(age: int) -> LogEntry:
        return LogEntry.objects.create(
            content_type=ContentType.objects.get_for_model(Patient),
            object_pk=str(patient.pk),
            object_repr="a patient",
            action=LogEntry.Action.ACCESS,
            timestamp=days_ago(age),
        )

    def session(key: str, expires: datetime.datetime) -> Session:
        return Session.objects.create(session_key=key, session_data="", expire_date=expires)

    return {
        "old_sent": delivery(401, Delivery.Status.SENT),
        "old_pending": delivery(401, Delivery.Status.PENDING),
        "recent": delivery(399, Delivery.Status.SKIPPED),
        "old_sign_in": AuthEvent.objects.create(kind="login", created_at=days_ago(731)),
        "recent_sign_in": AuthEvent.objects.create(kind="login", created_at=days_ago(729)),
        "old_audit": audit(8 * 365 + 3),
        "recent_audit": audit(8 * 365),
        "expired": session("expired", NOW - datetime.timedelta(minutes=1)),
        "live": session("live", NOW + datetime.timedelta(days=1)),
    }


def remaining(records) -> set[str]:
    kept = set()
    for name, row in records.items():
        if type(row).objects.filter(pk=row.pk).exists():
            kept.add(name)
    return kept


def test_prune_deletes_only_what_is_past_its_period(records):
    result = records_prune(now=NOW)
    assert remaining(records) == {
        "old_pending",  # still to be sent: never pruned
        "recent",
        "recent_sign_in",
        "recent_audit",
        "live",
    }
    assert (result.deliveries, result.sessions, result.sign_in_events, result.audit_entries) == (
        1,
        1,
        1,
        1,
    )


def test_a_dry_run_counts_and_deletes_nothing(records):
    result = records_prune(now=NOW, dry_run=True)
    assert result.deliveries == 1 and result.audit_entries == 1
    assert remaining(records) == set(records)


def test_a_period_of_zero_keeps_records_for_ever(records, settings):
    settings.PRUNE_AUDIT_AFTER_DAYS = 0
    settings.PRUNE_SIGN_IN_EVENTS_AFTER_DAYS = 0
    records_prune(now=NOW)
    assert {"old_audit", "old_sign_in"} <= remaining(records)


def test_the_periods_come_from_the_settings(records, settings):
    settings.PRUNE_DELIVERIES_AFTER_DAYS = 30
    records_prune(now=NOW)
    assert "recent" not in remaining(records)


def test_the_command_reports_what_it_deleted(records, capsys, time_machine):
    time_machine.move_to(NOW, tick=False)
    call_command("prune")
    out = capsys.readouterr().out
    assert "Deleted: 1 reminder deliveries, 1 expired sessions, 1 sign-in events" in out
    assert not Session.objects.filter(expire_date__lt=timezone.now()).exists()


def test_the_beat_runs_it_every_day():
    entry = django_settings.CELERY_BEAT_SCHEDULE["prune-records"]
    assert entry["task"] == "patients.tasks.prune_records"
    # A daily crontab: due once in any 24 hours.
    assert entry["schedule"].remaining_estimate(NOW) <= datetime.timedelta(days=1)
