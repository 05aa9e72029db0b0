"""Alerts: each computed alert's trigger and clearing, never a duplicate, red flags left to the
clinician, and acknowledging with a note (patients/services/alerts.py, /clinic/alerts/...)."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.html import escape

from patients import tasks
from patients.models import Alert, Assignment
from patients.services.alerts import alerts_evaluate
from patients.services.pain import pain_log_record
from tests.factories import AssignmentFactory, PatientFactory
from tests.patients.dated import (
    NOW,
    TODAY,
    AlertFactory,
    ExerciseLogFactory,
    ItemFactory,
    PainLogFactory,
    days_ago,
    moment,
    pain_logs,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def record(clinician):
    return PatientFactory(clinician=clinician, time_zone="Europe/London")


@pytest.fixture
def program(record):
    return AssignmentFactory(patient=record, starts_on=days_ago(30), title="Calf program")


def open_alerts(patient, kind=None):
    alerts = Alert.objects.filter(patient=patient, acknowledged_at__isnull=True)
    return list(alerts.filter(kind=kind) if kind else alerts)


def keep_active(patient, program, day=None):
    """A pain log (today by default) so that "no activity" stays out of the way."""
    return PainLogFactory(
        patient=patient, assignment=program, score=5, recorded_for=moment(day or TODAY, 8)
    )


# --- pain rising ------------------------------------------------------------------------------


def test_pain_rising_by_2_points_over_the_baseline_raises_a_high_alert(record, program):
    pain_logs(program, [4, 4, 4], first=days_ago(20))
    pain_logs(program, [6, 6], first=days_ago(2))

    result = alerts_evaluate()

    [alert] = open_alerts(record, Alert.Kind.PAIN_RISING)
    assert alert.severity == Alert.Severity.HIGH
    assert alert.dedupe_key == f"assignment:{program.pk}"
    assert "Calf program" in alert.message and "6.0" in alert.message and "4.0" in alert.message
    assert result.raised == 1


def test_pain_rising_by_30_percent_is_enough(record, program):
    pain_logs(program, [3, 3, 3], first=days_ago(20))
    pain_logs(program, [4], first=days_ago(1))  # +1 point, +33%

    alerts_evaluate()

    assert len(open_alerts(record, Alert.Kind.PAIN_RISING)) == 1


def test_falling_pain_small_rises_and_no_baseline_raise_nothing(record, program):
    other = PatientFactory(clinician=record.clinician)
    small = AssignmentFactory(patient=other, starts_on=days_ago(30))
    pain_logs(program, [7, 7, 7], first=days_ago(20))
    pain_logs(program, [2], first=days_ago(1))  # much better
    pain_logs(small, [6, 6, 6], first=days_ago(20))
    pain_logs(small, [7], first=days_ago(1))  # +1 point, 17%
    newcomer = AssignmentFactory(patient=PatientFactory(), starts_on=days_ago(3))
    pain_logs(newcomer, [2, 9], first=days_ago(2))  # two logs: no baseline yet

    alerts_evaluate()

    assert not Alert.objects.filter(kind=Alert.Kind.PAIN_RISING).exists()


def test_pain_rising_is_raised_once_and_resolved_when_pain_settles(record, program, frozen_time):
    pain_logs(program, [4, 4, 4], first=days_ago(20))
    pain_logs(program, [7], first=days_ago(1))
    alerts_evaluate()
    alerts_evaluate()
    assert Alert.objects.filter(kind=Alert.Kind.PAIN_RISING).count() == 1

    # A week later the 7 is out of the window and the new scores are back near baseline.
    frozen_time.move_to(NOW + datetime.timedelta(days=7))
    pain_logs(program, [4, 5], first=TODAY + datetime.timedelta(days=5))
    result = alerts_evaluate()

    alert = Alert.objects.get(kind=Alert.Kind.PAIN_RISING)
    assert result.resolved >= 1
    assert alert.acknowledged_at is not None
    assert alert.acknowledged_by is None
    assert alert.resolved_automatically
    assert "Resolved automatically" in alert.acknowledgement_note
    assert alert.cleared_at is not None


# --- no activity ------------------------------------------------------------------------------


def test_no_activity_for_3_days_raises_an_alert_and_a_new_log_resolves_it(record, program):
    keep_active(record, program, days_ago(3))

    alerts_evaluate()

    [alert] = open_alerts(record, Alert.Kind.NO_ACTIVITY)
    assert alert.severity == Alert.Severity.NORMAL
    assert "2 Mar 2025" in alert.message

    item = ItemFactory(assignment=program)
    ExerciseLogFactory(item=item, performed_on=TODAY)
    alerts_evaluate()
    assert open_alerts(record) == []


def test_two_days_without_activity_is_not_yet_an_alert(record, program):
    keep_active(record, program, days_ago(2))

    alerts_evaluate()

    assert open_alerts(record) == []


def test_a_patient_who_never_logged_is_alerted_3_days_into_the_program(record):
    AssignmentFactory(patient=record, starts_on=days_ago(3))
    late_starter = PatientFactory(clinician=record.clinician)
    AssignmentFactory(patient=late_starter, starts_on=days_ago(2))
    no_program = PatientFactory(clinician=record.clinician)
    ended = PatientFactory(clinician=record.clinician)
    AssignmentFactory(patient=ended, starts_on=days_ago(60), status=Assignment.Status.ENDED)
    paused = PatientFactory(clinician=record.clinician)
    AssignmentFactory(patient=paused, starts_on=days_ago(60), status=Assignment.Status.PAUSED)

    alerts_evaluate()

    [alert] = Alert.objects.filter(kind=Alert.Kind.NO_ACTIVITY)
    assert alert.patient == record
    assert "since the program started on 2 Mar 2025" in alert.message
    for patient in (late_starter, no_program, ended, paused):
        assert open_alerts(patient) == []


def test_no_activity_counts_days_in_the_patients_own_time_zone(clinician):
    # Noon UTC on Wednesday 5 March is 01:00 on Thursday 6 March in Auckland.
    auckland = PatientFactory(clinician=clinician, time_zone="Pacific/Auckland")
    london = PatientFactory(clinician=clinician, time_zone="Europe/London")
    for patient in (auckland, london):
        program = AssignmentFactory(patient=patient, starts_on=days_ago(30))
        ExerciseLogFactory(item=ItemFactory(assignment=program), performed_on=days_ago(2))

    alerts_evaluate()

    assert len(open_alerts(auckland, Alert.Kind.NO_ACTIVITY)) == 1
    assert open_alerts(london) == []


# --- too hard ---------------------------------------------------------------------------------


def test_too_hard_twice_on_the_same_exercise_raises_one_alert_per_exercise(record, program):
    keep_active(record, program)
    heel_drops = ItemFactory(assignment=program, name="Heel drops")
    stretch = ItemFactory(assignment=program, name="Wall stretch")
    for day in (1, 5):
        ExerciseLogFactory(item=heel_drops, performed_on=days_ago(day), difficulty="too_hard")
    ExerciseLogFactory(item=stretch, performed_on=days_ago(1), difficulty="too_hard")
    ExerciseLogFactory(item=stretch, performed_on=days_ago(2), difficulty="about_right")

    alerts_evaluate()

    [alert] = open_alerts(record, Alert.Kind.TOO_HARD)
    assert alert.dedupe_key == f"item:{heel_drops.pk}"
    assert "Heel drops" in alert.message

    ExerciseLogFactory(item=stretch, performed_on=days_ago(3), difficulty="too_hard")
    alerts_evaluate()
    alerts_evaluate()
    assert sorted(a.dedupe_key for a in open_alerts(record, Alert.Kind.TOO_HARD)) == sorted(
        [f"item:{heel_drops.pk}", f"item:{stretch.pk}"]
    )


def test_too_hard_reports_older_than_14_days_clear_the_alert(record, program, frozen_time):
    keep_active(record, program)
    item = ItemFactory(assignment=program)
    for day in (1, 2):  # 4 and 3 March
        ExerciseLogFactory(item=item, performed_on=days_ago(day), difficulty="too_hard")
    alerts_evaluate()
    assert len(open_alerts(record, Alert.Kind.TOO_HARD)) == 1

    # On 16 March the last 14 days start on 3 March: both reports are still in.
    frozen_time.move_to(NOW + datetime.timedelta(days=11))
    keep_active(record, program, TODAY + datetime.timedelta(days=11))
    alerts_evaluate()
    assert len(open_alerts(record, Alert.Kind.TOO_HARD)) == 1

    frozen_time.move_to(NOW + datetime.timedelta(days=12))
    keep_active(record, program, TODAY + datetime.timedelta(days=12))
    alerts_evaluate()
    assert open_alerts(record) == []
    assert Alert.objects.get(kind=Alert.Kind.TOO_HARD).resolved_automatically


# --- program ending ---------------------------------------------------------------------------


def test_a_program_ending_this_week_raises_an_alert_cleared_when_it_moves(record, program):
    keep_active(record, program)
    program.ends_on = TODAY + datetime.timedelta(days=6)
    program.save()
    later = AssignmentFactory(
        patient=record, starts_on=days_ago(5), ends_on=TODAY + datetime.timedelta(days=8)
    )

    alerts_evaluate()

    [alert] = open_alerts(record, Alert.Kind.PROGRAM_ENDING)
    assert alert.dedupe_key == f"assignment:{program.pk}:2025-03-11"
    assert "Calf program" in alert.message and "11 Mar 2025" in alert.message
    assert later.pk  # ends in 8 days: not within the week

    program.ends_on = TODAY + datetime.timedelta(days=30)
    program.save()
    alerts_evaluate()
    assert open_alerts(record) == []


# --- episodes, duplicates, red flags -------------------------------------------------------------


def test_an_alert_acknowledged_while_its_condition_lasts_is_not_raised_again(
    record, program, clinician, frozen_time
):
    keep_active(record, program, days_ago(4))
    alerts_evaluate()
    [alert] = open_alerts(record)
    alert.acknowledged_at, alert.acknowledged_by = NOW, clinician
    alert.save()

    alerts_evaluate()
    frozen_time.move_to(NOW + datetime.timedelta(days=1))
    alerts_evaluate()
    assert open_alerts(record) == []

    # The patient comes back (the episode ends), then goes quiet again: a new alert.
    keep_active(record, program, TODAY + datetime.timedelta(days=1))
    alerts_evaluate()
    alert.refresh_from_db()
    assert alert.cleared_at is not None
    assert alert.acknowledged_by == clinician  # the clinician's acknowledgement is kept
    frozen_time.move_to(NOW + datetime.timedelta(days=5))
    alerts_evaluate()
    assert len(open_alerts(record, Alert.Kind.NO_ACTIVITY)) == 1
    assert Alert.objects.filter(kind=Alert.Kind.NO_ACTIVITY).count() == 2


def test_evaluating_again_never_duplicates_an_open_alert(record, program):
    pain_logs(program, [3, 3, 3], first=days_ago(20))
    program.ends_on = TODAY + datetime.timedelta(days=2)
    program.save()
    item = ItemFactory(assignment=program)
    ExerciseLogFactory(item=item, performed_on=days_ago(4), difficulty="too_hard")
    ExerciseLogFactory(item=item, performed_on=days_ago(5), difficulty="too_hard")
    PainLogFactory(patient=record, assignment=program, score=8, recorded_for=moment(days_ago(4)))

    first = alerts_evaluate()
    counts = sorted(Alert.objects.values_list("kind", flat=True))
    second = alerts_evaluate(patient=record)

    assert counts == ["no_activity", "pain_rising", "program_ending", "too_hard"]
    assert first.raised == 4
    assert (second.raised, second.resolved) == (0, 0)
    assert sorted(Alert.objects.values_list("kind", flat=True)) == counts


def test_the_database_refuses_a_second_open_alert_with_the_same_key(record):
    AlertFactory(patient=record, kind=Alert.Kind.TOO_HARD, dedupe_key="item:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        AlertFactory(patient=record, kind=Alert.Kind.TOO_HARD, dedupe_key="item:1")
    # Once acknowledged, the same key may open again.
    Alert.objects.update(acknowledged_at=NOW)
    AlertFactory(patient=record, kind=Alert.Kind.TOO_HARD, dedupe_key="item:1")


def test_red_flags_are_never_resolved_automatically(record, program):
    keep_active(record, program)
    red_flag = pain_log_record(patient=record, score=6, calf_swollen_warm_red=True)
    red_flag.refresh_from_db()

    alerts_evaluate()
    alerts_evaluate()

    [alert] = open_alerts(record)
    assert (alert.kind, alert.severity) == (Alert.Kind.RED_FLAG, Alert.Severity.URGENT)
    assert alert.cleared_at is None


def test_evaluating_one_patient_leaves_the_others_alone(record, program):
    other = PatientFactory(clinician=record.clinician)
    AssignmentFactory(patient=other, starts_on=days_ago(10))
    AssignmentFactory(patient=record, starts_on=days_ago(10))

    alerts_evaluate(patient=record)

    assert Alert.objects.filter(patient=other).count() == 0
    assert Alert.objects.filter(patient=record).count() == 1


def test_the_celery_task_evaluates_and_beat_runs_it_every_15_minutes(record, program):
    keep_active(record, program, days_ago(5))

    assert tasks.evaluate_alerts() == 1
    assert len(open_alerts(record)) == 1
    entry = settings.CELERY_BEAT_SCHEDULE["evaluate-alerts"]
    assert entry == {"task": "patients.tasks.evaluate_alerts", "schedule": 900.0}


# --- acknowledging ----------------------------------------------------------------------------


@pytest.fixture
def red_flag(record):
    return AlertFactory(patient=record, message="Safety screen: yes to a swollen calf.")


def acknowledge_url(alert) -> str:
    return reverse("patients:alert_acknowledge", args=[alert.pk])


def test_a_clinician_acknowledges_an_alert_with_a_note_and_it_is_kept(
    client, clinician, record, red_flag
):
    client.force_login(clinician)

    response = client.post(
        acknowledge_url(red_flag),
        {f"alert-{red_flag.pk}-note": "Phoned her: same-day GP appointment booked."},
        follow=True,
    )

    red_flag.refresh_from_db()
    assert red_flag.acknowledged_at == NOW
    assert red_flag.acknowledged_by == clinician
    assert red_flag.acknowledgement_note == "Phoned her: same-day GP appointment booked."
    assert response.redirect_chain[-1][0] == record.get_absolute_url() + "#alerts"
    assert "The alert was acknowledged." in response.text
    history = response.text.split('id="alert-history"')[1]
    assert "Phoned her: same-day GP appointment booked." in history
    assert f"by {escape(str(clinician))}" in history
    assert "5 Mar 2025, 12:00" in history
    assert 'data-testid="open-alert"' not in response.text


def test_a_red_flag_needs_a_note_and_nothing_is_saved_without_one(
    client, clinician, record, red_flag
):
    client.force_login(clinician)

    response = client.post(acknowledge_url(red_flag), {f"alert-{red_flag.pk}-note": "   "})

    assert response.status_code == 200
    assert "Say what you did about this red flag" in response.text
    assert 'aria-invalid="true"' in response.text
    red_flag.refresh_from_db()
    assert red_flag.acknowledged_at is None


def test_other_alerts_may_be_acknowledged_without_a_note(client, clinician, record):
    alert = AlertFactory(patient=record, kind=Alert.Kind.PROGRAM_ENDING, dedupe_key="a")
    client.force_login(clinician)

    client.post(acknowledge_url(alert), {})

    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledgement_note) == (clinician, "")


def test_a_note_over_2000_characters_is_refused(client, clinician, red_flag):
    client.force_login(clinician)

    response = client.post(acknowledge_url(red_flag), {f"alert-{red_flag.pk}-note": "x" * 2001})

    assert "Please keep the note under 2000 characters." in response.text
    red_flag.refresh_from_db()
    assert red_flag.acknowledged_at is None


def test_the_first_acknowledgement_is_kept(client, clinician, red_flag, other_clinician):
    Alert.objects.filter(pk=red_flag.pk).update(
        acknowledged_at=NOW - datetime.timedelta(hours=1),
        acknowledged_by=clinician,
        acknowledgement_note="First.",
    )
    client.force_login(clinician)

    response = client.post(
        acknowledge_url(red_flag), {f"alert-{red_flag.pk}-note": "Second."}, follow=True
    )

    red_flag.refresh_from_db()
    assert red_flag.acknowledgement_note == "First."
    assert "This alert had already been acknowledged." in response.text


def test_another_clinician_gets_404_and_changes_nothing(client, other_clinician, red_flag):
    client.force_login(other_clinician)

    for method in ("get", "post"):
        response = getattr(client, method)(
            acknowledge_url(red_flag), {f"alert-{red_flag.pk}-note": "Mallory"}
        )
        assert response.status_code == 404
    assert client.post(reverse("patients:alert_acknowledge", args=[999999])).status_code == 404
    red_flag.refresh_from_db()
    assert red_flag.acknowledged_at is None


def test_a_patient_gets_403_and_an_anonymous_visitor_is_sent_to_login(client, record, red_flag):
    response = client.post(acknowledge_url(red_flag))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    client.force_login(record.user)
    assert client.post(acknowledge_url(red_flag)).status_code == 403
    red_flag.refresh_from_db()
    assert red_flag.acknowledged_at is None


def test_acknowledging_only_takes_a_post(client, clinician, red_flag):
    client.force_login(clinician)

    assert client.get(acknowledge_url(red_flag)).status_code == 405
    red_flag.refresh_from_db()
    assert red_flag.acknowledged_at is None


def test_a_notes_html_is_shown_escaped(client, clinician, record, red_flag):
    client.force_login(clinician)
    client.post(acknowledge_url(red_flag), {f"alert-{red_flag.pk}-note": "<b>seen</b>"})

    text = client.get(record.get_absolute_url()).text

    assert "<b>seen</b>" not in text
    assert "&lt;b&gt;seen&lt;/b&gt;" in text
