"""The red-flag hold: from a "yes" on the safety screen, the exercises are on hold until the
clinician resumes them (or assigns a new program); pain logging stays open throughout."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from patients import sms
from patients.models import Alert, ExerciseLog, PainLog, ReminderSchedule
from patients.services.hold import Review, alert_review, hold_lift, hold_notify_patient
from patients.services.logs import exercise_log_record
from patients.services.pain import pain_log_record
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 5, 12, 0, tzinfo=datetime.UTC)
WEDNESDAY = datetime.date(2025, 3, 5)
TODAY_URL = reverse("patients:today")
ADVICE = "Stop the exercises and contact a doctor the same day."
NOTE = "Phoned her: same-day GP visit, no clot found."


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def record(patient_user):
    clinician = factories.ClinicianFactory(
        username="dr.lopez",
        first_name="Maria",
        last_name="Lopez",
        email="maria@clinic.example",
        practice__name="Riverside Physio",
    )
    return factories.PatientFactory(
        user=patient_user, clinician=clinician, time_zone="Europe/London", phone="+447700900123"
    )


@pytest.fixture
def assignment(record):
    assignment = factories.AssignmentFactory(
        patient=record, title="Calf program", starts_on=datetime.date(2025, 1, 1)
    )
    ReminderSchedule.objects.create(
        assignment=assignment, kind="exercise", local_time=datetime.time(18)
    )
    ReminderSchedule.objects.create(
        assignment=assignment, kind="pain", local_time=datetime.time(20)
    )
    return assignment


@pytest.fixture
def item(assignment):
    return assignment.items.create(name="Wall stretch", instructions="Lean on the wall.", sets=3)


@pytest.fixture
def patient_client(client, patient_user, record):
    client.force_login(patient_user)
    return client


def red_flag(record, **answers) -> PainLog:
    answers = answers or {"calf_swollen_warm_red": True}
    return pain_log_record(patient=record, score=7, **answers)


def log_url(item) -> str:
    return reverse("patients:exercise_log", args=[item.pk])


def acknowledge(client, alert, **data):
    prefixed = {f"alert-{alert.pk}-{name}": value for name, value in data.items()}
    return client.post(
        reverse("patients:alert_acknowledge", args=[alert.pk]), prefixed, follow=True
    )


def exercise_schedule(assignment) -> ReminderSchedule:
    return assignment.reminder_schedules.get(kind="exercise")


# --- the hold on the patient's side ----------------------------------------------------------


def test_a_red_flag_puts_the_exercises_on_hold_with_the_advice_and_the_clinicians_contact(
    patient_client, record, item
):
    red_flag(record)

    record.refresh_from_db()
    assert record.exercises_on_hold_since == NOW
    assert record.hold_alert == Alert.objects.get()
    response = patient_client.get(TODAY_URL)
    html = response.content.decode()
    assert "Your exercises are on hold" in html
    assert ADVICE in html
    assert "Maria Lopez" in html and "Riverside Physio" in html
    assert 'href="mailto:maria@clinic.example"' in html
    # The exercise is still named, but nothing invites doing it.
    assert "Wall stretch" in html
    assert log_url(item) not in html
    assert ">Done<" not in html
    assert reverse("patients:pain") in html
    # No emergency number for a calf answer.
    assert "999 in the UK" not in html


def test_chest_symptoms_keep_the_emergency_advice_in_the_hold(patient_client, record, item):
    red_flag(record, chest_symptoms=True)

    html = patient_client.get(TODAY_URL).content.decode()
    assert "call the emergency number now (999 in the UK, 911 in the US, 112 in the EU)" in html
    assert ADVICE in html


def test_an_exercise_log_posted_during_the_hold_is_refused_and_saves_nothing(
    patient_client, record, item
):
    red_flag(record)

    response = patient_client.post(log_url(item), {"status": "done", "day": "2025-03-05"})

    assert response.status_code == 200
    assert "Your exercises are on hold after your answers to the safety questions" in (
        response.content.decode()
    )
    assert ExerciseLog.objects.count() == 0
    # A skip is an exercise log too.
    patient_client.post(
        log_url(item), {"status": "skipped", "day": "2025-03-05", "skip_reason": "busy"}
    )
    assert ExerciseLog.objects.count() == 0


def test_the_service_refuses_a_log_even_with_a_patient_object_read_before_the_hold(
    record, item, caplog
):
    stale = type(record).objects.get(pk=record.pk)
    red_flag(record)

    with pytest.raises(Exception, match="on hold") as error:
        exercise_log_record(patient=stale, item=item, day=WEDNESDAY, status="done")

    assert error.value.code == "on_hold"
    assert ExerciseLog.objects.count() == 0
    assert f"Exercise log refused for patient {record.pk} item {item.pk}: on hold" in caplog.text


def test_pain_logging_stays_open_during_the_hold(patient_client, record, item):
    red_flag(record)

    response = patient_client.post(
        reverse("patients:pain"),
        {
            "score": "3",
            "region": "other",
            "region_other": "left calf",
            "calf_swollen_warm_red": "False",
            "chest_symptoms": "False",
            "recent_immobilisation": "False",
        },
    )

    assert response.status_code == 302
    assert PainLog.objects.filter(score=3).exists()


def test_the_exercise_reminders_pause_and_the_pain_check_in_goes_on(record, assignment):
    red_flag(record)

    schedules = {s.kind: s.paused for s in assignment.reminder_schedules.all()}
    assert schedules == {"exercise": True, "pain": False}


def test_a_second_red_flag_keeps_the_holds_start_and_points_at_the_newer_alert(
    record, item, frozen_time
):
    red_flag(record)
    frozen_time.move_to(NOW + datetime.timedelta(hours=2))
    red_flag(record, recent_immobilisation=True)

    record.refresh_from_db()
    assert record.exercises_on_hold_since == NOW
    assert record.hold_alert == Alert.objects.order_by("-created_at", "-id").first()


# --- the clinician's decision ---------------------------------------------------------------


def test_acknowledging_a_red_flag_on_hold_asks_resume_or_keep_with_no_default(client, record, item):
    red_flag(record)
    alert = Alert.objects.get()
    client.force_login(record.clinician)

    page = client.get(record.get_absolute_url()).content.decode()
    assert "Resume exercises" in page and "Keep on hold" in page
    assert "checked" not in page.split(f'id="alert-{alert.pk}-title"')[1].split("</form>")[0]

    response = acknowledge(client, alert, note=NOTE)

    assert "Choose whether the patient may resume their exercises." in response.text
    alert.refresh_from_db()
    record.refresh_from_db()
    assert alert.acknowledged_at is None
    assert record.exercises_on_hold


def test_keep_on_hold_acknowledges_the_alert_and_the_exercises_stay_on_hold(
    client, record, assignment, item
):
    red_flag(record)
    alert = Alert.objects.get()
    client.force_login(record.clinician)

    response = acknowledge(client, alert, note=NOTE, exercises="keep")

    assert "The exercises stay on hold." in response.text
    alert.refresh_from_db()
    record.refresh_from_db()
    assert alert.acknowledged_at == NOW
    assert record.exercises_on_hold
    assert exercise_schedule(assignment).paused is True
    # The story then offers to resume them, now that no red flag is open.
    assert reverse("patients:patient_resume_exercises", args=[record.pk]) in response.text
    phone = Client()
    phone.force_login(record.user)
    assert "Your exercises are on hold" in phone.get(TODAY_URL).content.decode()


def test_resuming_lifts_the_hold_recomputes_reminders_and_tells_the_patient(
    client, record, assignment, item, django_capture_on_commit_callbacks
):
    red_flag(record)
    alert = Alert.objects.get()
    client.force_login(record.clinician)

    with django_capture_on_commit_callbacks() as callbacks:
        response = acknowledge(client, alert, note=NOTE, exercises="resume")

    assert "the exercises resumed: the patient is told" in response.text
    assert len(callbacks) == 1  # the message is queued once the change is committed
    assert hold_notify_patient(patient_id=record.pk) is True
    record.refresh_from_db()
    assert not record.exercises_on_hold and record.hold_lifted_at == NOW
    schedule = exercise_schedule(assignment)
    assert schedule.paused is False
    # 18:00 in London on 5 March is 18:00 UTC: the next reminder is today's.
    assert schedule.next_due_at == datetime.datetime(2025, 3, 5, 18, 0, tzinfo=datetime.UTC)
    [message] = mail.outbox
    assert message.to == [record.user.email]
    assert "Maria Lopez" in message.subject
    assert "says you can start your exercises again" in message.body
    assert "/me/" in message.body
    # Nothing of what the patient answered: only the standing advice every log carries.
    for private in ("7/10", "newly swollen", "Safety screen", "red flag"):
        assert private not in message.body

    # The patient's Today: the notice, and the Done button back.
    client.force_login(record.user)
    html = client.get(TODAY_URL).content.decode()
    assert "you can start your exercises again" in html
    assert "Your exercises are on hold" not in html
    assert log_url(item) in html
    assert client.post(log_url(item), {"status": "done", "day": "2025-03-05"}).status_code == 302
    assert ExerciseLog.objects.count() == 1


def test_the_resume_message_goes_by_text_when_the_reminders_do(
    client, record, assignment, item, settings
):
    settings.SMS_BACKEND = "patients.sms.LocmemSmsBackend"
    sms.outbox.clear()
    assignment.reminder_schedules.update(channel=ReminderSchedule.Channel.SMS)
    red_flag(record)
    client.force_login(record.clinician)

    acknowledge(client, Alert.objects.get(), note=NOTE, exercises="resume")
    assert hold_notify_patient(patient_id=record.pk) is True

    [message] = sms.outbox
    assert message.to == "+447700900123"
    assert "Maria Lopez says you can start your exercises again" in message.body
    assert mail.outbox == []


def test_the_notice_on_today_ends_after_a_few_days(patient_client, record, item, frozen_time):
    red_flag(record)
    Alert.objects.update(acknowledged_at=NOW)
    assert hold_lift(patient=record, by=record.clinician) is True
    assert "you can start your exercises again" in patient_client.get(TODAY_URL).text

    frozen_time.move_to(NOW + datetime.timedelta(days=4))
    assert "you can start your exercises again" not in patient_client.get(TODAY_URL).text


def test_resume_waits_while_another_red_flag_is_open(client, record, assignment, item, caplog):
    red_flag(record)
    red_flag(record, recent_immobilisation=True)
    first = Alert.objects.order_by("id").first()
    client.force_login(record.clinician)

    response = acknowledge(client, first, note=NOTE, exercises="resume")

    assert "stay on hold until every red flag is reviewed" in response.text
    record.refresh_from_db()
    assert record.exercises_on_hold
    assert f"Hold kept for patient {record.pk}: a red flag is still open" in caplog.text


def test_the_clinician_resumes_later_from_the_patients_page(client, record, assignment, item):
    red_flag(record)
    alert = Alert.objects.get()
    client.force_login(record.clinician)
    acknowledge(client, alert, note=NOTE, exercises="keep")

    response = client.post(
        reverse("patients:patient_resume_exercises", args=[record.pk]), follow=True
    )

    assert "The exercises are resumed: the patient is told." in response.text
    record.refresh_from_db()
    assert not record.exercises_on_hold
    assert exercise_schedule(assignment).paused is False


def test_resuming_from_the_patients_page_is_refused_while_a_red_flag_is_open(client, record, item):
    red_flag(record)
    client.force_login(record.clinician)

    response = client.post(
        reverse("patients:patient_resume_exercises", args=[record.pk]), follow=True
    )

    assert "Acknowledge every open red flag before resuming the exercises." in response.text
    record.refresh_from_db()
    assert record.exercises_on_hold


def test_another_clinician_cannot_resume_the_exercises(client, other_clinician, record, item):
    red_flag(record)
    Alert.objects.update(acknowledged_at=NOW)
    client.force_login(other_clinician)

    response = client.post(reverse("patients:patient_resume_exercises", args=[record.pk]))

    assert response.status_code == 404
    record.refresh_from_db()
    assert record.exercises_on_hold


def test_assigning_a_new_program_ends_the_hold(client, record, assignment, item):
    red_flag(record)
    program = factories.ProgramItemFactory(program__owner=record.clinician).program
    client.force_login(record.clinician)

    response = client.post(
        reverse("patients:assign", args=[record.pk]),
        {
            "program": program.pk,
            "starts_on": "2025-03-06",
            "ends_on": "",
            "reminder_times": "18:00",
            "channel": "email",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    record.refresh_from_db()
    assert not record.exercises_on_hold
    assert exercise_schedule(assignment).paused is False


def test_no_resume_message_while_a_new_hold_began_or_after_reminders_were_stopped(record, item):
    red_flag(record)
    assert hold_notify_patient(patient_id=record.pk) is False
    Alert.objects.update(acknowledged_at=NOW)
    hold_lift(patient=record, by=record.clinician)
    record.reminders_stopped_at = NOW
    record.save()

    assert hold_notify_patient(patient_id=record.pk) is False
    assert mail.outbox == []


def test_the_page_after_a_red_flag_says_the_exercises_are_on_hold(patient_client, record, item):
    response = patient_client.post(
        reverse("patients:pain"),
        {
            "score": "7",
            "calf_swollen_warm_red": "True",
            "chest_symptoms": "False",
            "recent_immobilisation": "False",
        },
        follow=True,
    )

    assert "Your exercises are on hold until your clinician has reviewed your answers." in (
        response.content.decode()
    )


def test_reviewing_a_red_flag_resumes_only_once_every_red_flag_is_reviewed(record, item):
    first, second = red_flag(record), red_flag(record)
    clinician = record.clinician
    first_alert, second_alert = first.alerts.get(), second.alerts.get()

    kept = alert_review(alert=first_alert, by=clinician, note=NOTE, resume_exercises=True)
    record.refresh_from_db()
    assert kept == Review.STILL_ON_HOLD
    assert record.exercises_on_hold

    resumed = alert_review(alert=second_alert, by=clinician, note=NOTE, resume_exercises=True)
    record.refresh_from_db()
    assert resumed == Review.RESUMED
    assert not record.exercises_on_hold


def test_reviewing_an_alert_twice_keeps_the_first_note(record, item, caplog):
    alert = red_flag(record).alerts.get()
    clinician = record.clinician
    assert alert_review(alert=alert, by=clinician, note=NOTE) == Review.ACKNOWLEDGED

    again = alert_review(alert=alert, by=clinician, note="Another note.", resume_exercises=True)

    alert.refresh_from_db()
    record.refresh_from_db()
    assert again == Review.ALREADY_ACKNOWLEDGED
    assert alert.acknowledgement_note == NOTE
    assert record.exercises_on_hold
    assert f"Alert {alert.pk} was already acknowledged" in caplog.text
