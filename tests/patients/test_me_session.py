"""The guided session (/me/session/): today's exercises one at a time, logged as on Today."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from patients.models import AssignmentItem, ExerciseLog
from tests.factories import AssignmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 5, 12, 0, tzinfo=datetime.UTC)
WEDNESDAY = datetime.date(2025, 3, 5)
START_URL = reverse("patients:session")
SUMMARY_URL = reverse("patients:session_summary")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def record(clinician, patient_user):
    return PatientFactory(user=patient_user, clinician=clinician, time_zone="Europe/London")


@pytest.fixture
def assignment(record):
    return AssignmentFactory(patient=record, starts_on=datetime.date(2025, 1, 1))


def make_item(assignment, name, **fields) -> AssignmentItem:
    fields.setdefault("instructions", f"Why the {name}.")
    return AssignmentItem.objects.create(assignment=assignment, name=name, **fields)


@pytest.fixture
def exercises(assignment):
    stretch = make_item(
        assignment,
        "Calf Stretch",
        order=0,
        hold_seconds=30,
        reps=3,
        steps=["Stand facing a wall.", "Lean forward."],
        stop_if="Stop if it hurts sharply.",
        illustration="calf-stretch",
        illustration_alt="Line drawing of the calf stretch",
    )
    make_item(assignment, "Shoes", order=1, is_advice=True)
    raises = make_item(assignment, "Calf Raises", order=2, sets=3, reps=10, rest_seconds=60)
    return stretch, raises


@pytest.fixture
def signed_in(client, patient_user, record):
    client.force_login(patient_user)
    return client


def step_url(item) -> str:
    return reverse("patients:session_step", args=[item.pk])


def post_step(client, item, **data):
    data.setdefault("status", "done")
    data.setdefault("day", WEDNESDAY.isoformat())
    data.setdefault("session", "1")
    return client.post(step_url(item), data)


def test_starting_opens_the_first_exercise_still_to_do(signed_in, exercises):
    stretch, _raises = exercises

    response = signed_in.get(START_URL)

    assert response.status_code == 302
    assert response.url == step_url(stretch)


def test_an_exercise_page_shows_picture_steps_dosage_and_the_timers_plan(signed_in, exercises):
    stretch, _raises = exercises

    text = signed_in.get(step_url(stretch)).text

    assert "Exercise 1 of 2" in text  # the advice is no exercise of the session
    assert "/static/illustrations/calf-stretch.svg" in text
    assert "<li>Stand facing a wall.</li>" in text and "Stop if it hurts sharply." in text
    assert "Hold 30 seconds, repeat 3 times" in text or "hold 30 seconds, repeat 3 times" in text
    assert 'data-hold="30"' in text and 'data-reps="3"' in text
    assert "/static/js/session.js" in text
    # CSP script-src 'self': no inline script and no inline handler.
    assert not re.search(r"<script(?![^>]*\bsrc=)", text)
    assert not re.search(r"\son[a-z]+=", text)


def test_done_logs_through_the_same_service_and_moves_to_the_next_exercise(
    signed_in, record, exercises
):
    stretch, raises = exercises

    response = post_step(signed_in, stretch, difficulty="about_right", pain_during="2")

    assert response.status_code == 302
    assert response.url == step_url(raises)
    log = ExerciseLog.objects.get()
    assert (log.patient, log.item, log.performed_on, log.session, log.status) == (
        record,
        stretch,
        WEDNESDAY,
        1,
        "done",
    )
    assert (log.difficulty, log.pain_during) == ("about_right", 2)


def test_sending_done_twice_records_it_once(signed_in, exercises):
    stretch, _raises = exercises

    post_step(signed_in, stretch)
    post_step(signed_in, stretch)

    assert ExerciseLog.objects.count() == 1


def test_skip_needs_a_reason_and_saves_nothing_without_one(signed_in, exercises):
    stretch, _raises = exercises

    response = post_step(signed_in, stretch, status="skipped", skip_reason="")

    assert response.status_code == 400
    assert "Please say in a few words why you are skipping it." in response.text
    assert ExerciseLog.objects.count() == 0


def test_the_last_exercise_leads_to_a_summary_of_the_session(signed_in, exercises):
    stretch, raises = exercises
    post_step(signed_in, stretch)

    response = post_step(signed_in, raises, status="skipped", skip_reason="Calf too sore")

    assert response.url == SUMMARY_URL
    text = signed_in.get(SUMMARY_URL).text
    assert "You did 1 of 2 exercises today." in text
    assert "All done for today" in text
    assert signed_in.get(START_URL).url == SUMMARY_URL
    assert ExerciseLog.objects.get(item=raises).skip_reason == "Calf too sore"


def test_a_session_log_for_advice_is_refused_and_saves_nothing(signed_in, assignment, exercises):
    advice = AssignmentItem.objects.get(assignment=assignment, is_advice=True)

    response = post_step(signed_in, advice)

    assert response.status_code == 400
    assert "This is advice to keep in mind, not an exercise" in response.text
    assert ExerciseLog.objects.count() == 0


def test_another_patients_exercise_is_a_404_in_the_session(signed_in, exercises):
    theirs = make_item(AssignmentFactory(starts_on=datetime.date(2025, 1, 1)), "Theirs")

    assert signed_in.get(step_url(theirs)).status_code == 404
    assert post_step(signed_in, theirs).status_code == 404
    assert ExerciseLog.objects.count() == 0


def test_today_offers_to_start_the_session(signed_in, exercises):
    text = signed_in.get(reverse("patients:today")).text

    assert f'href="{START_URL}"' in text
    assert "Start today" in text
