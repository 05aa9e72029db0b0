"""Outcome measures with an assignment: the clinician picks the PSFS and when; the patient
is reminded at the plan's local time in their zone, through the reminder pipeline, sees the
questionnaire on /me/, names their activities once and is asked the same ones again."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from patients import reminders
from patients.models import Delivery, OutcomeAnswer, OutcomePlan, OutcomeResponse, ReminderSchedule
from patients.services import assignment_create
from patients.services.outcomes import outcome_plan_save, outcomes_due
from tests import factories

UTC = datetime.UTC
pytestmark = pytest.mark.django_db
START = datetime.date(2027, 2, 22)  # a Monday; New York moves its clocks on 14 March 2027


@pytest.fixture
def record(clinician, patient_user):
    patient_user.email = "ann@example.org"
    patient_user.first_name = "Ann"
    patient_user.save()
    return factories.PatientFactory(
        user=patient_user, clinician=clinician, time_zone="America/New_York"
    )


@pytest.fixture
def assignment(record, clinician):
    program = factories.ProgramFactory(owner=clinician, title="Calf program")
    factories.ProgramItemFactory(program=program, times_per_day=1)
    with time_machine.travel(datetime.datetime(2027, 2, 21, 12, 0, tzinfo=UTC), tick=False):
        return assignment_create(
            program=program,
            patient=record,
            assigned_by=clinician,
            starts_on=START,
            ends_on=START + datetime.timedelta(weeks=6),
            reminder_times=[datetime.time(8, 0)],
        )


@pytest.fixture
def plan(assignment, psfs):
    with time_machine.travel(datetime.datetime(2027, 2, 21, 12, 0, tzinfo=UTC), tick=False):
        return outcome_plan_save(
            assignment=assignment,
            instruments=[psfs],
            at_start=True,
            every_weeks=2,
            at_end=True,
            local_time=datetime.time(18, 0),
        )


def at(moment):
    return time_machine.travel(moment, tick=False)


def test_the_occasions_are_the_start_every_two_weeks_and_the_end(plan):
    assert plan.occasions() == [
        START,
        START + datetime.timedelta(weeks=2),
        START + datetime.timedelta(weeks=4),
        START + datetime.timedelta(weeks=6),
    ]


def test_due_times_are_six_pm_in_the_patients_zone_across_the_clocks_change(plan):
    # 18:00 in New York is 23:00 UTC in winter and 22:00 UTC after 14 March.
    assert [plan.due_at(day) for day in plan.occasions()] == [
        datetime.datetime(2027, 2, 22, 23, 0, tzinfo=UTC),
        datetime.datetime(2027, 3, 8, 23, 0, tzinfo=UTC),
        datetime.datetime(2027, 3, 22, 22, 0, tzinfo=UTC),
        datetime.datetime(2027, 4, 5, 22, 0, tzinfo=UTC),
    ]
    reminder = ReminderSchedule.objects.get(kind=ReminderSchedule.Kind.OUTCOME)
    assert reminder.next_due_at == datetime.datetime(2027, 2, 22, 23, 0, tzinfo=UTC)
    assert reminder.channel == ReminderSchedule.Channel.EMAIL


def test_the_reminder_is_dispatched_once_and_moves_to_the_next_occasion(
    plan, django_capture_on_commit_callbacks
):
    with at(datetime.datetime(2027, 2, 22, 23, 0, 20, tzinfo=UTC)):
        with django_capture_on_commit_callbacks() as callbacks:
            first = reminders.reminders_dispatch()
            again = reminders.reminders_dispatch()
    assert len(callbacks) == 1
    outcome = Delivery.objects.get(kind=Delivery.Kind.OUTCOME)
    assert outcome.pk in first.deliveries and outcome.pk not in again.deliveries
    assert outcome.occurrence == datetime.datetime(2027, 2, 22, 23, 0, tzinfo=UTC)
    reminder = ReminderSchedule.objects.get(kind=ReminderSchedule.Kind.OUTCOME)
    assert reminder.next_due_at == datetime.datetime(2027, 3, 8, 23, 0, tzinfo=UTC)


def test_the_email_links_to_the_questionnaires_and_an_answered_one_is_not_sent(
    plan, record, psfs, django_capture_on_commit_callbacks
):
    with at(datetime.datetime(2027, 2, 22, 23, 0, 20, tzinfo=UTC)):
        with django_capture_on_commit_callbacks():
            reminders.reminders_dispatch()
        outcome = Delivery.objects.get(kind=Delivery.Kind.OUTCOME)
        reminders.delivery_send(delivery_id=outcome.pk)
    outcome.refresh_from_db()
    assert outcome.status == Delivery.Status.SENT
    [message] = mail.outbox
    assert "questionnaire" in message.subject
    assert "/me/questionnaires/" in message.body

    # Answered before the next occasion's reminder goes out: that one is skipped.
    due_on = plan.occasions()[1]
    OutcomeResponse.objects.create(
        patient=record,
        assignment=plan.assignment,
        instrument=psfs,
        due_on=due_on,
        answered_at=datetime.datetime(2027, 3, 8, 12, 0, tzinfo=UTC),
        score=Decimal("5"),
    )
    with at(datetime.datetime(2027, 3, 8, 23, 0, 10, tzinfo=UTC)):
        with django_capture_on_commit_callbacks():
            reminders.reminders_dispatch()
        second = Delivery.objects.filter(kind=Delivery.Kind.OUTCOME).order_by("-occurrence")[0]
        reminders.delivery_send(delivery_id=second.pk)
    second.refresh_from_db()
    assert second.status == Delivery.Status.SKIPPED
    assert "already answered" in second.reason
    assert len(mail.outbox) == 1


def test_a_patient_sees_the_questionnaire_due_on_today_from_its_day_on(plan, client, patient_user):
    with at(datetime.datetime(2027, 2, 22, 4, 0, tzinfo=UTC)):  # 23:00 on the 21st in NY
        client.force_login(patient_user)
        assert "Questionnaire due" not in client.get(reverse("patients:today")).text
    with at(datetime.datetime(2027, 2, 22, 14, 0, tzinfo=UTC)):
        page = client.get(reverse("patients:today")).text
    assert "Questionnaire due" in page
    assert reverse("patients:questionnaire", args=[plan.assignment.pk, "psfs"]) in page


def answer(client, url, data):
    return client.post(url, data)


def test_the_patient_names_activities_once_and_is_asked_the_same_ones_again(
    plan, client, patient_user, record
):
    url = reverse("patients:questionnaire", args=[plan.assignment.pk, "psfs"])
    with at(datetime.datetime(2027, 2, 22, 14, 0, tzinfo=UTC)):
        client.force_login(patient_user)
        form = client.get(url).text
        assert 'name="activity_1"' in form and 'name="activity_5"' in form
        response = answer(
            client,
            url,
            {
                "activity_1": "Climbing stairs",
                "rating_1": "3",
                "activity_2": "Walking the dog",
                "rating_2": "4",
                "activity_3": "Standing at work",
                "rating_3": "2",
            },
        )
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("patients:history"))
        baseline = OutcomeResponse.objects.get()
        assert baseline.score == Decimal("3.0") and baseline.due_on == START
        assert list(baseline.answers.values_list("label", "value")) == [
            ("Climbing stairs", 3),
            ("Walking the dog", 4),
            ("Standing at work", 2),
        ]
        # Answered: no longer due, and the form cannot be sent again.
        assert outcomes_due(patient=record) == []
        again = answer(client, url, {"activity_1": "x", "rating_1": "9"})
        assert again.status_code == 302
        assert OutcomeResponse.objects.count() == 1

    with at(datetime.datetime(2027, 3, 8, 23, 30, tzinfo=UTC)):
        client.force_login(patient_user)
        form = client.get(url).text
        assert 'name="activity_1"' not in form
        for name in ("Climbing stairs", "Walking the dog", "Standing at work"):
            assert name in form
        response = answer(client, url, {"rating_1": "6", "rating_2": "6", "rating_3": "6"})
    assert response.status_code == 302
    follow_up = OutcomeResponse.objects.get(due_on=START + datetime.timedelta(weeks=2))
    assert follow_up.score == Decimal("6.0")
    assert list(follow_up.answers.values_list("label", flat=True)) == [
        "Climbing stairs",
        "Walking the dog",
        "Standing at work",
    ]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"activity_1": "Stairs", "rating_1": "3"}, "Name at least 3 activities"),
        (
            {
                "activity_1": "Stairs",
                "rating_1": "11",
                "activity_2": "A",
                "rating_2": "1",
                "activity_3": "B",
                "rating_3": "1",
            },
            "Choose a number from 0 to 10",
        ),  # fmt: skip
        (
            {
                "activity_1": "Stairs",
                "activity_2": "A",
                "rating_2": "1",
                "activity_3": "B",
                "rating_3": "1",
            },
            "Choose how well you can do this activity",
        ),  # fmt: skip
        (
            {
                "rating_1": "3",
                "activity_2": "A",
                "rating_2": "1",
                "activity_3": "B",
                "rating_3": "1",
                "activity_4": "C",
                "rating_4": "1",
            },
            "Write the activity",
        ),  # fmt: skip
        (
            {
                "activity_1": "Stairs",
                "rating_1": "3",
                "activity_2": "stairs",
                "rating_2": "1",
                "activity_3": "B",
                "rating_3": "1",
            },
            "Name each activity once",
        ),  # fmt: skip
    ],
)
def test_bad_answers_get_a_clear_error_and_nothing_is_saved(
    plan, client, patient_user, data, error
):
    url = reverse("patients:questionnaire", args=[plan.assignment.pk, "psfs"])
    with at(datetime.datetime(2027, 2, 22, 14, 0, tzinfo=UTC)):
        client.force_login(patient_user)
        response = client.post(url, data)
    assert response.status_code == 200
    assert "Nothing was saved yet" in response.text
    assert error in response.text
    assert not OutcomeResponse.objects.exists() and not OutcomeAnswer.objects.exists()


def test_another_patient_gets_a_404_and_anonymous_goes_to_log_in(plan, client, other_patient_user):
    url = reverse("patients:questionnaire", args=[plan.assignment.pk, "psfs"])
    with at(datetime.datetime(2027, 2, 22, 14, 0, tzinfo=UTC)):
        assert client.get(url).status_code == 302
        assert "/accounts/login/" in client.get(url)["Location"]
        factories.PatientFactory(user=other_patient_user)
        client.force_login(other_patient_user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"rating_1": "1"}).status_code == 404
        assert "Questionnaire due" not in client.get(reverse("patients:questionnaires")).text


def test_the_clinician_picks_the_questionnaires_and_another_clinician_gets_a_404(
    assignment, psfs, client, clinician, other_clinician
):
    url = reverse("patients:assignment_outcomes", args=[assignment.pk])
    client.force_login(other_clinician)
    assert client.get(url).status_code == 404
    assert client.post(url, {"instruments": [psfs.pk], "at_start": "on"}).status_code == 404
    assert not OutcomePlan.objects.exists()

    client.force_login(clinician)
    assert "Patient-Specific Functional Scale" in client.get(url).text
    nothing_when = client.post(url, {"instruments": [psfs.pk], "local_time": "18:00"})
    assert nothing_when.status_code == 200
    assert "Choose when to ask" in nothing_when.text
    assert not OutcomePlan.objects.exists()

    with at(datetime.datetime(2027, 2, 21, 12, 0, tzinfo=UTC)):
        client.force_login(clinician)
        saved = client.post(
            url,
            {"instruments": [psfs.pk], "at_start": "on", "every_weeks": "3", "local_time": "09:30"},
        )
    assert saved.status_code == 302
    assert saved["Location"] == assignment.get_absolute_url()
    plan = OutcomePlan.objects.get()
    assert plan.every_weeks == 3 and not plan.at_end
    reminder = ReminderSchedule.objects.get(kind=ReminderSchedule.Kind.OUTCOME)
    assert reminder.next_due_at == datetime.datetime(2027, 2, 22, 14, 30, tzinfo=UTC)
    page = client.get(assignment.get_absolute_url()).text
    assert "Patient-Specific Functional Scale: at the start, every 3 weeks" in page

    # Unticking every questionnaire removes the plan and its reminder.
    client.post(url, {"at_start": "on", "local_time": "09:30"})
    assert not OutcomePlan.objects.exists()
    assert not ReminderSchedule.objects.filter(kind=ReminderSchedule.Kind.OUTCOME).exists()
