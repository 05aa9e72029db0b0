"""Assigning a program: the patient gets their own copy, dates and reminder times."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from patients.models import Assignment, AssignmentItem, ReminderSchedule
from programs import weekdays
from tests.factories import (
    ClinicianFactory,
    PatientFactory,
    ProgramFactory,
    ProgramItemFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(clinician):
    return PatientFactory(
        clinician=clinician,
        user__email="pat@example.org",
        phone="+447911123456",
        time_zone="Europe/London",
    )


@pytest.fixture
def program(clinician):
    program = ProgramFactory(owner=clinician, title="Calf program")
    ProgramItemFactory(
        program=program,
        name="Wall stretch",
        instructions="Lean on the wall.",
        sets=3,
        reps=10,
        hold_seconds=30,
        note="Keep the heel down.",
        weekdays=weekdays.to_mask([0, 2, 4]),
        order=0,
    )
    ProgramItemFactory(program=program, name="Calf raise", order=1)
    return program


def _data(program, **overrides) -> dict:
    return {
        "program": program.pk,
        "starts_on": "2025-03-10",
        "ends_on": "",
        "reminder_times": "18:00, 8:00",
        "channel": "email",
        **overrides,
    }


def _assign(client, record, program, **overrides):
    return client.post(reverse("patients:assign", args=[record.pk]), _data(program, **overrides))


def test_assigning_creates_the_patients_own_copy_and_its_reminders(
    client, clinician, record, program
):
    client.force_login(clinician)
    response = _assign(client, record, program, ends_on="2025-06-10")
    assignment = Assignment.objects.get()
    assert response.status_code == 302
    assert response.url == assignment.get_absolute_url()
    assert assignment.patient == record
    assert assignment.program == program
    assert assignment.title == "Calf program"
    assert assignment.starts_on == datetime.date(2025, 3, 10)
    assert assignment.ends_on == datetime.date(2025, 6, 10)
    assert assignment.status == Assignment.Status.ACTIVE
    assert assignment.assigned_by == clinician
    items = list(assignment.items.all())
    assert [item.name for item in items] == ["Wall stretch", "Calf raise"]
    first = items[0]
    assert (first.instructions, first.sets, first.reps, first.hold_seconds) == (
        "Lean on the wall.",
        3,
        10,
        30,
    )
    assert first.note == "Keep the heel down."
    assert first.weekdays == weekdays.to_mask([0, 2, 4])
    schedules = list(assignment.reminder_schedules.all())
    assert [s.local_time for s in schedules] == [datetime.time(8, 0), datetime.time(18, 0)]
    assert {s.channel for s in schedules} == {"email"}
    assert all(s.next_due_at is None for s in schedules)

    page = client.get(response.url)
    assert "Calf program was assigned" in page.text
    assert "Wall stretch" in page.text


@time_machine.travel(datetime.datetime(2025, 3, 5, 23, 30, tzinfo=datetime.UTC))
def test_the_start_date_defaults_to_today_in_the_patients_time_zone(client, clinician, record):
    record.time_zone = "Pacific/Auckland"  # already 6 March there
    record.save()
    client.force_login(clinician)
    response = client.get(reverse("patients:assign", args=[record.pk]))
    assert response.context["form"]["starts_on"].value() == datetime.date(2025, 3, 6)
    assert 'value="08:00, 18:00"' in response.text


def test_an_end_date_before_the_start_is_refused_and_nothing_is_saved(
    client, clinician, record, program
):
    client.force_login(clinician)
    response = _assign(client, record, program, ends_on="2025-03-09")
    assert response.status_code == 200
    assert "The end date must be on or after the start date (2025-03-10)." in response.text
    assert not Assignment.objects.exists()
    assert not AssignmentItem.objects.exists()
    assert not ReminderSchedule.objects.exists()


def test_another_clinicians_program_is_refused(client, clinician, other_clinician, record):
    theirs = ProgramFactory(owner=other_clinician)
    ProgramItemFactory(program=theirs)
    client.force_login(clinician)
    page = client.get(reverse("patients:assign", args=[record.pk]))
    assert theirs.title not in page.text
    response = _assign(client, record, theirs)
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not Assignment.objects.exists()


def test_a_template_shared_in_my_practice_can_be_assigned(client, clinician, record):
    colleague = ClinicianFactory(practice=clinician.practice, first_name="Jo", last_name="Patel")
    shared = ProgramFactory(owner=colleague, is_template=True, shared_with_practice=True)
    ProgramItemFactory(program=shared)
    private = ProgramFactory(owner=colleague, is_template=True)
    ProgramItemFactory(program=private)
    client.force_login(clinician)
    page = client.get(reverse("patients:assign", args=[record.pk]))
    assert f"{shared.title} (shared template from {colleague})" in page.text
    assert private.title not in page.text
    assert _assign(client, record, shared).status_code == 302
    assert Assignment.objects.get().program == shared
    assert _assign(client, record, private).status_code == 200
    assert Assignment.objects.count() == 1


def test_an_empty_program_cannot_be_assigned(client, clinician, record):
    empty = ProgramFactory(owner=clinician)
    client.force_login(clinician)
    response = _assign(client, record, empty)
    assert "Add at least one exercise to the program" in response.text
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("times", "message"),
    [
        ("", "This field is required."),
        ("8am", "“8am” is not a time"),
        ("25:00", "“25:00” is not a time"),
        ("08:00, 09:00, 10:00, 11:00, 12:00", "Choose at most 4 reminder times."),
    ],
)
def test_reminder_times_must_be_one_to_four_times_of_day(
    client, clinician, record, program, times, message
):
    client.force_login(clinician)
    response = _assign(client, record, program, reminder_times=times)
    assert message in response.text
    assert not Assignment.objects.exists()


def test_text_reminders_need_a_mobile_number(client, clinician, program):
    no_phone = PatientFactory(clinician=clinician, phone="")
    client.force_login(clinician)
    response = _assign(client, no_phone, program, channel="sms")
    assert "Text reminders need the patient&#x27;s mobile number" in response.text
    assert not Assignment.objects.exists()


def test_email_reminders_need_an_email_address(client, clinician, program):
    no_email = PatientFactory(clinician=clinician, user__email="", phone="+447911123456")
    client.force_login(clinician)
    response = _assign(client, no_email, program, channel="email")
    assert "Email reminders need the patient&#x27;s email address" in response.text
    assert _assign(client, no_email, program, channel="sms").status_code == 302
    assert Assignment.objects.get().reminder_schedules.first().channel == "sms"


def test_a_double_submit_creates_one_assignment(client, clinician, record, program):
    client.force_login(clinician)
    first = _assign(client, record, program)
    second = _assign(client, record, program)
    assignment = Assignment.objects.get()
    assert first.url == second.url == assignment.get_absolute_url()
    assert assignment.items.count() == 2
    assert assignment.reminder_schedules.count() == 2


def test_editing_the_program_afterwards_does_not_change_the_assignment(
    client, clinician, record, program
):
    client.force_login(clinician)
    _assign(client, record, program)
    source = program.items.get(name="Wall stretch")
    source.instructions = "Something else entirely."
    source.sets = 5
    source.note = "Changed"
    source.save()
    program.title = "Renamed"
    program.save()
    ProgramItemFactory(program=program, name="Added later")
    assignment = Assignment.objects.get()
    copy = assignment.items.get(name="Wall stretch")
    assert (copy.instructions, copy.sets, copy.note) == (
        "Lean on the wall.",
        3,
        "Keep the heel down.",
    )
    assert assignment.title == "Calf program"
    assert not assignment.items.filter(name="Added later").exists()
    page = client.get(assignment.get_absolute_url())
    assert "Lean on the wall." in page.text
    assert "Something else entirely." not in page.text


def test_editing_the_assignment_does_not_change_the_program(client, clinician, record, program):
    client.force_login(clinician)
    _assign(client, record, program)
    copy = Assignment.objects.get().items.get(name="Wall stretch")
    client.post(
        reverse("patients:assignment_item_edit", args=[copy.pk]),
        {"sets": "1", "reps": "5", "times_per_day": "1", "weekdays": ["0"], "note": "Less."},
    )
    copy.refresh_from_db()
    assert copy.sets == 1
    assert program.items.get(name="Wall stretch").sets == 3
