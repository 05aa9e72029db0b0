"""Advice (footwear, posture) is a tip, not an exercise: never logged, counted or reminded of."""

import datetime
import logging

import pytest
import time_machine
from django.core.exceptions import ValidationError

from patients.models import ExerciseLog
from patients.reminders import exercises_done_on
from patients.services import logs as log_services
from patients.services.story import patient_story
from tests.factories import AssignmentFactory, PatientFactory
from tests.patients.dated import NOW, TODAY, ExerciseLogFactory, ItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def assignment():
    patient = PatientFactory(time_zone="UTC")
    return AssignmentFactory(patient=patient, starts_on=datetime.date(2025, 1, 1))


def test_recording_a_session_of_advice_is_refused_with_a_log_line(assignment, caplog):
    advice = ItemFactory(assignment=assignment, is_advice=True)

    with caplog.at_level(logging.WARNING, logger="patients.services.logs"):
        with pytest.raises(ValidationError) as refused:
            log_services.exercise_log_record(
                patient=assignment.patient, item=advice, day=TODAY, status="done"
            )

    assert refused.value.code == "advice"
    assert ExerciseLog.objects.count() == 0
    assert f"item {advice.pk} is advice" in caplog.text
    assert f"patient {assignment.patient.pk}" in caplog.text


def test_the_day_plan_lists_advice_as_tips_and_never_as_sessions(assignment):
    exercise = ItemFactory(assignment=assignment, times_per_day=2)
    advice = ItemFactory(assignment=assignment, is_advice=True, times_per_day=3)

    plan = log_services.exercise_day_plan(patient=assignment.patient, day=TODAY)

    assert [planned.item for planned in plan.items] == [exercise]
    assert plan.tips == [advice]
    assert plan.sessions_prescribed == 2


def test_the_patients_week_leaves_advice_out(assignment):
    exercise = ItemFactory(assignment=assignment)
    advice = ItemFactory(assignment=assignment, is_advice=True)
    ExerciseLogFactory(item=exercise, performed_on=TODAY)
    ExerciseLogFactory(item=advice, performed_on=TODAY)  # recorded before advice was told apart

    logged, prescribed = log_services.week_adherence(patient=assignment.patient, day=TODAY)

    # Monday 3 to Wednesday 5 March: three sessions of the one exercise.
    assert (logged, prescribed) == (1, 3)


def test_the_history_counts_exercise_sessions_only(assignment):
    exercise = ItemFactory(assignment=assignment)
    advice = ItemFactory(assignment=assignment, is_advice=True)
    ExerciseLogFactory(item=exercise, performed_on=TODAY)
    ExerciseLogFactory(item=advice, performed_on=TODAY)

    history = log_services.patient_history(patient=assignment.patient, days=7)

    assert history.sessions == {TODAY: 1}


def test_advice_never_keeps_the_exercise_reminder_coming(assignment):
    exercise = ItemFactory(assignment=assignment)
    ItemFactory(assignment=assignment, is_advice=True)
    ExerciseLogFactory(item=exercise, performed_on=TODAY)

    assert exercises_done_on(assignment=assignment, day=TODAY) is True


def test_the_patients_story_reports_on_exercises_not_on_advice(assignment):
    exercise = ItemFactory(assignment=assignment)
    ItemFactory(assignment=assignment, is_advice=True)

    story = patient_story(patient=assignment.patient, today=TODAY)

    assert [feedback.item for feedback in story.assignments[0].feedback] == [exercise]
