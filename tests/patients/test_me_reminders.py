"""The patient's reminder preferences (/me/reminders/): see, pause, stop, move a time."""

import datetime
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients.models import Assignment, ReminderSchedule
from patients.services import assignment_create
from patients.services.preferences import schedule_time_change
from tests import factories

UTC = datetime.UTC
pytestmark = pytest.mark.django_db

URL = reverse("patients:reminder_settings")
# Monday 2 November 2026, 07:00 UTC = 02:00 in New York (EST, UTC-5).
NOW = datetime.datetime(2026, 11, 2, 7, 0, tzinfo=UTC)


@pytest.fixture
def patient(clinician, patient_user):
    return factories.PatientFactory(
        user=patient_user, clinician=clinician, time_zone="America/New_York"
    )


@pytest.fixture
def assignment(patient, clinician):
    program = factories.ProgramFactory(owner=clinician, title="Calf program")
    factories.ProgramItemFactory(program=program)
    with time_machine.travel(NOW, tick=False):
        return assignment_create(
            program=program,
            patient=patient,
            assigned_by=clinician,
            starts_on=datetime.date(2026, 11, 2),
            reminder_times=[datetime.time(8, 0)],
            channel=ReminderSchedule.Channel.SMS,
        )


@pytest.fixture
def schedule(assignment):
    return assignment.reminder_schedules.get()


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient.user)
    return client


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield


def text_of(response) -> str:
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    main = re.sub(r"<style.*?</style>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def post(client, **data):
    return client.post(URL, data, follow=True)


def test_the_patient_sees_their_reminder_times_in_their_time_zone_with_the_channel(
    patient_client, schedule, at_now
):
    text = text_of(patient_client.get(URL))

    assert "Exercise reminder at 08:00" in text
    assert "by Text message" in text
    assert "America/New_York" in text
    # 08:00 in New York on Monday 2 November is 13:00 UTC.
    assert schedule.next_due_at == datetime.datetime(2026, 11, 2, 13, 0, tzinfo=UTC)
    assert "Next: Monday 2 November, 08:00" in text
    assert "Your reminders are on." in text
    assert "between 06:00 and 10:00" in text


def test_reminders_of_ended_programs_and_of_other_patients_are_not_shown(
    patient_client, patient, schedule, clinician, other_patient_user
):
    ended = factories.AssignmentFactory(patient=patient, status=Assignment.Status.ENDED)
    ReminderSchedule.objects.create(assignment=ended, local_time=datetime.time(17, 45))
    other = factories.PatientFactory(user=other_patient_user, clinician=clinician)
    theirs = factories.AssignmentFactory(patient=other)
    ReminderSchedule.objects.create(assignment=theirs, local_time=datetime.time(19, 15))

    text = text_of(patient_client.get(URL))

    assert "08:00" in text
    assert "17:45" not in text and "19:15" not in text


def test_pausing_clears_the_next_reminder_and_resuming_recomputes_it(
    patient_client, patient, schedule, at_now
):
    response = post(patient_client, action="pause")

    patient.refresh_from_db()
    schedule.refresh_from_db()
    assert patient.reminders_paused is True
    assert schedule.next_due_at is None  # nothing for the dispatcher to read
    assert "Reminders paused." in text_of(response)
    assert "Your reminders are paused." in text_of(response)

    ReminderSchedule.objects.filter(pk=schedule.pk).update(next_due_at=None)
    response = post(patient_client, action="resume")

    patient.refresh_from_db()
    schedule.refresh_from_db()
    assert patient.reminders_paused is False
    assert schedule.next_due_at == datetime.datetime(2026, 11, 2, 13, 0, tzinfo=UTC)
    assert "Your reminders are on." in text_of(response)


def test_stopping_and_turning_back_on(patient_client, patient, schedule, at_now):
    patient.reminders_paused = True
    patient.save()

    response = post(patient_client, action="stop")

    patient.refresh_from_db()
    assert patient.reminders_stopped_at == NOW
    assert "You stopped all reminders on 2 November 2026" in text_of(response)
    assert "Turn reminders back on" in text_of(response)

    ReminderSchedule.objects.filter(pk=schedule.pk).update(next_due_at=None)
    response = post(patient_client, action="restart")

    patient.refresh_from_db()
    schedule.refresh_from_db()
    assert patient.reminders_stopped_at is None
    assert patient.reminders_paused is False
    assert schedule.next_due_at == datetime.datetime(2026, 11, 2, 13, 0, tzinfo=UTC)
    assert "Your reminders are on." in text_of(response)


def test_stopping_twice_keeps_the_first_time(patient_client, patient, at_now):
    post(patient_client, action="stop")
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        post(patient_client, action="stop")

    patient.refresh_from_db()
    assert patient.reminders_stopped_at == NOW


def test_a_time_can_move_by_up_to_two_hours_and_the_next_reminder_follows(
    patient_client, schedule, at_now
):
    response = post(
        patient_client,
        action="time",
        schedule=schedule.pk,
        **{f"s{schedule.pk}-local_time": "09:30"},
    )

    schedule.refresh_from_db()
    assert schedule.local_time == datetime.time(9, 30)
    assert schedule.next_due_at == datetime.datetime(2026, 11, 2, 14, 30, tzinfo=UTC)
    assert "Reminder moved to 09:30." in text_of(response)


@pytest.mark.parametrize("value", ["10:01", "05:59", "23:00"])
def test_a_time_moved_by_more_than_two_hours_is_refused(patient_client, schedule, value):
    response = patient_client.post(
        URL, {"action": "time", "schedule": schedule.pk, f"s{schedule.pk}-local_time": value}
    )

    assert response.status_code == 200
    assert "Choose a time between 06:00 and 10:00." in text_of(response)
    schedule.refresh_from_db()
    assert schedule.local_time == datetime.time(8, 0)
    assert f'aria-describedby="id_s{schedule.pk}-local_time-error"' in response.content.decode()


@pytest.mark.parametrize("value", ["abc", "", "25:00"])
def test_a_time_that_is_not_a_time_gets_a_message(patient_client, schedule, value):
    response = patient_client.post(
        URL, {"action": "time", "schedule": schedule.pk, f"s{schedule.pk}-local_time": value}
    )

    assert response.status_code == 200
    assert "Choose a time." in text_of(response) or "Enter a time like 08:30." in text_of(response)
    schedule.refresh_from_db()
    assert schedule.local_time == datetime.time(8, 0)


def test_a_time_another_reminder_already_has_is_refused(patient_client, schedule):
    ReminderSchedule.objects.create(assignment=schedule.assignment, local_time=datetime.time(9))

    response = patient_client.post(
        URL, {"action": "time", "schedule": schedule.pk, f"s{schedule.pk}-local_time": "09:00"}
    )

    assert "You already have this reminder at that time." in text_of(response)


def test_the_window_stays_within_the_day(schedule):
    schedule.local_time = schedule.original_local_time = datetime.time(23, 0)
    schedule.save()

    with pytest.raises(ValidationError, match="between 21:00 and 23:59"):
        schedule_time_change(schedule=schedule, local_time=datetime.time(0, 30))


def test_another_patients_reminder_cannot_be_moved(patient_client, clinician, other_patient_user):
    other = factories.PatientFactory(user=other_patient_user, clinician=clinician)
    theirs = ReminderSchedule.objects.create(
        assignment=factories.AssignmentFactory(patient=other), local_time=datetime.time(8)
    )

    for pk in (theirs.pk, "nope", ""):
        response = patient_client.post(
            URL, {"action": "time", "schedule": pk, f"s{pk}-local_time": "09:00"}
        )
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.local_time == datetime.time(8)


def test_an_unknown_action_changes_nothing(patient_client, patient):
    response = post(patient_client, action="explode")

    patient.refresh_from_db()
    assert (patient.reminders_paused, patient.reminders_stopped_at) == (False, None)
    assert "Something went wrong" in text_of(response)


def test_a_reminder_paused_after_a_safety_answer_says_so(patient_client, schedule):
    ReminderSchedule.objects.filter(pk=schedule.pk).update(paused=True)

    assert "This reminder is paused" in text_of(patient_client.get(URL))


def test_clinicians_are_refused_and_visitors_sent_to_sign_in(client, clinician, patient):
    assert client.get(URL).url.startswith(reverse("login"))
    client.force_login(clinician)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"action": "stop"}).status_code == 403
    patient.refresh_from_db()
    assert patient.reminders_stopped_at is None


def test_the_window_stays_around_the_clinicians_time_after_moves(schedule):
    schedule.local_time = schedule.original_local_time = datetime.time(8, 0)
    schedule.save()
    schedule_time_change(schedule=schedule, local_time=datetime.time(10, 0))

    with pytest.raises(ValidationError, match="between 06:00 and 10:00"):
        schedule_time_change(schedule=schedule, local_time=datetime.time(11, 30))
