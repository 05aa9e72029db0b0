"""The clinic: a clinician's patients, their records and assignments; the patient's today."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import Assignment, AssignmentItem, Patient, ReminderSchedule
from programs import weekdays
from tests.factories import (
    AssignmentFactory,
    PatientFactory,
    PatientUserFactory,
)
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(clinician, patient_user):
    """The clinician's patient, signed in as ``patient_user``."""
    # Plain names: a generated "O'Brien" would be HTML-escaped in the page.
    patient_user.first_name, patient_user.last_name = "Pat", "Jones"
    patient_user.save()
    return PatientFactory(
        user=patient_user, clinician=clinician, phone="+447911123456", time_zone="Europe/London"
    )


@pytest.fixture
def assignment(record):
    assignment = AssignmentFactory(patient=record, starts_on=datetime.date(2025, 1, 6))
    AssignmentItem.objects.create(
        assignment=assignment, name="Wall stretch", instructions="Lean on the wall.", sets=3
    )
    ReminderSchedule.objects.create(assignment=assignment, local_time=datetime.time(8, 0))
    return assignment


def _patient_urls(record, assignment) -> list[str]:
    item = assignment.items.get()
    return [
        reverse("patients:patient_detail", args=[record.pk]),
        reverse("patients:patient_edit", args=[record.pk]),
        reverse("patients:assign", args=[record.pk]),
        reverse("patients:assignment_detail", args=[assignment.pk]),
        reverse("patients:assignment_edit", args=[assignment.pk]),
        reverse("patients:assignment_status", args=[assignment.pk]),
        reverse("patients:assignment_item_edit", args=[item.pk]),
    ]


# --- who may see what ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_clinician_gets_404_on_every_patient_and_assignment_url(
    client, other_clinician, record, assignment, method
):
    client.force_login(other_clinician)
    for url in _patient_urls(record, assignment):
        response = getattr(client, method)(
            url, {"action": "end", "first_name": "Mallory", "sets": "1"}
        )
        assert response.status_code == 404, url
    assignment.refresh_from_db()
    record.user.refresh_from_db()
    assert assignment.status == Assignment.Status.ACTIVE
    assert record.user.first_name != "Mallory"


def test_another_clinicians_patients_are_not_in_my_list(client, clinician, other_clinician):
    PatientFactory(clinician=clinician, user__first_name="Mine")
    PatientFactory(clinician=other_clinician, user__first_name="Theirs")
    client.force_login(clinician)
    response = client.get(reverse("patients:clinic"))
    assert response.status_code == 200
    assert "Mine" in response.text
    assert "Theirs" not in response.text


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_patient_gets_403_on_clinic_urls(client, patient_user, record, assignment, method):
    client.force_login(patient_user)
    urls = [reverse("patients:clinic"), reverse("patients:patient_create")]
    for url in urls + _patient_urls(record, assignment):
        assert getattr(client, method)(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_login(client, record, assignment):
    urls = [
        reverse("patients:clinic"),
        reverse("patients:patient_create"),
        reverse("patients:today"),
    ]
    for url in urls + _patient_urls(record, assignment):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url


# --- the patient list -------------------------------------------------------------------


def test_the_list_shows_each_patients_current_program_and_status(client, clinician, assignment):
    client.force_login(clinician)
    response = client.get(reverse("patients:clinic"))
    assert assignment.patient.name in response.text
    assert assignment.title in response.text
    assert "6 Jan 2025" in response.text
    assert "Active" in response.text
    assert "Add patient" in response.text


def test_the_list_searches_by_name(client, clinician):
    PatientFactory(clinician=clinician, user__first_name="Ada", user__last_name="Lovelace")
    PatientFactory(clinician=clinician, user__first_name="Grace", user__last_name="Hopper")
    client.force_login(clinician)
    response = client.get(reverse("patients:clinic"), {"q": "ada love"})
    assert "Lovelace" in response.text
    assert "Hopper" not in response.text
    response = client.get(reverse("patients:clinic"), {"q": "nobody"})
    assert "No patient matches" in response.text


def _clinic_with_patients(clinician, count: int) -> None:
    for _ in range(count):
        assignment = AssignmentFactory(patient=PatientFactory(clinician=clinician))
        AssignmentFactory(patient=assignment.patient, program=assignment.program)


def test_the_list_runs_the_same_number_of_queries_for_2_and_30_patients(
    client, clinician, django_assert_num_queries
):
    client.force_login(clinician)
    url = reverse("patients:clinic")
    client.get(url)  # session and user lookups settle
    _clinic_with_patients(clinician, 2)
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    _clinic_with_patients(clinician, 28)
    with django_assert_num_queries(len(two.captured_queries)):
        response = client.get(url)
    assert response.text.count("patients/") >= 30


# --- adding and editing a patient ---------------------------------------------------------


def _patient_data(**overrides) -> dict:
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "phone": "",
        "time_zone": "Europe/London",
        **overrides,
    }


def test_a_clinician_adds_a_patient_and_sees_their_record(client, clinician):
    client.force_login(clinician)
    form_page = client.get(reverse("patients:patient_create"))
    assert 'value="Europe/London" selected' in form_page.text
    response = client.post(
        reverse("patients:patient_create"),
        _patient_data(phone="07911 123456", time_zone="America/New_York"),
        follow=True,
    )
    patient = Patient.objects.get()
    assert patient.clinician == clinician
    assert patient.user.role == User.Role.PATIENT
    assert patient.user.email == "ada@example.org"
    assert str(patient.phone) == "+447911123456"
    assert str(patient.time_zone) == "America/New_York"
    assert response.redirect_chain[-1][0] == patient.get_absolute_url()
    assert "Ada Lovelace was added." in response.text
    assert "America/New_York" in response.text


def test_a_patient_needs_an_email_or_a_mobile_number(client, clinician):
    client.force_login(clinician)
    response = client.post(reverse("patients:patient_create"), _patient_data(email=""))
    assert response.status_code == 200
    assert "Enter an email address or a mobile number" in response.text
    assert not Patient.objects.exists()


def test_a_mobile_number_alone_is_enough(client, clinician):
    client.force_login(clinician)
    client.post(reverse("patients:patient_create"), _patient_data(email="", phone="+33612345678"))
    assert str(Patient.objects.get().phone) == "+33612345678"


def test_a_bad_mobile_number_is_refused(client, clinician):
    client.force_login(clinician)
    response = client.post(reverse("patients:patient_create"), _patient_data(phone="12345"))
    assert "Enter a valid phone number" in response.text
    assert not Patient.objects.exists()


def test_an_email_already_used_by_one_of_my_patients_is_refused(client, clinician, other_clinician):
    PatientFactory(clinician=clinician, user__email="ada@example.org")
    client.force_login(clinician)
    response = client.post(
        reverse("patients:patient_create"), _patient_data(email="ADA@example.org")
    )
    assert "One of your patients already has this email address." in response.text
    assert Patient.objects.count() == 1
    # Another clinician cannot use it either, and is not told whose it is (one address,
    # one account: tests/users/test_one_address.py).
    client.force_login(other_clinician)
    response = client.post(reverse("patients:patient_create"), _patient_data())
    assert "This address cannot be used for this patient." in response.text
    assert "One of your patients" not in response.text
    assert Patient.objects.count() == 1


def test_an_unknown_time_zone_is_refused(client, clinician):
    client.force_login(clinician)
    response = client.post(reverse("patients:patient_create"), _patient_data(time_zone="Mars/Base"))
    assert "Select a valid choice" in response.text
    assert not Patient.objects.exists()


def test_huge_input_gets_form_errors_not_a_crash(client, clinician):
    client.force_login(clinician)
    response = client.post(
        reverse("patients:patient_create"),
        _patient_data(first_name="A" * 10_000, email="a" * 300 + "@example.org", phone="9" * 500),
    )
    assert response.status_code == 200
    assert "Ensure this value has at most 150 characters" in response.text
    assert not Patient.objects.exists()


def test_names_are_shown_escaped(client, clinician):
    client.force_login(clinician)
    hostile = "<script>alert('x')</script>"
    client.post(reverse("patients:patient_create"), _patient_data(first_name=hostile))
    patient = Patient.objects.get()
    for url in [patient.get_absolute_url(), reverse("patients:clinic")]:
        response = client.get(url)
        assert hostile not in response.text
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in response.text


def test_a_clinician_edits_a_patients_details(client, clinician, record):
    client.force_login(clinician)
    form_page = client.get(reverse("patients:patient_edit", args=[record.pk]))
    assert record.user.first_name in form_page.text
    response = client.post(
        reverse("patients:patient_edit", args=[record.pk]),
        _patient_data(first_name="Augusta", email=record.user.email, time_zone="Asia/Tokyo"),
    )
    assert response.status_code == 302
    record.refresh_from_db()
    record.user.refresh_from_db()
    assert record.user.first_name == "Augusta"
    assert str(record.time_zone) == "Asia/Tokyo"
    assert record.phone == ""


def test_the_patient_record_shows_contact_and_assignments(client, clinician, assignment):
    client.force_login(clinician)
    response = client.get(assignment.patient.get_absolute_url())
    assert assignment.patient.user.email in response.text
    assert "+44 7911 123456" in response.text
    assert "Europe/London" in response.text
    assert assignment.title in response.text
    assert "08:00" in response.text
    assert "Assign a program" in response.text


# --- one assignment -------------------------------------------------------------------------


def test_the_assignment_page_shows_its_items_and_reminders(client, clinician, assignment):
    client.force_login(clinician)
    response = client.get(assignment.get_absolute_url())
    assert "Wall stretch" in response.text
    assert "Lean on the wall." in response.text
    assert "3 sets" in response.text
    assert "every day" in response.text
    assert "08:00" in response.text


def test_a_clinician_edits_the_dates(client, clinician, assignment):
    client.force_login(clinician)
    url = reverse("patients:assignment_edit", args=[assignment.pk])
    response = client.post(url, {"starts_on": "2025-02-01", "ends_on": "2025-03-01"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.starts_on == datetime.date(2025, 2, 1)
    assert assignment.ends_on == datetime.date(2025, 3, 1)


def test_an_end_date_before_the_start_is_refused_when_editing(client, clinician, assignment):
    client.force_login(clinician)
    url = reverse("patients:assignment_edit", args=[assignment.pk])
    response = client.post(url, {"starts_on": "2025-02-01", "ends_on": "2025-01-01"})
    assert response.status_code == 200
    assert "The end date must be on or after the start date" in response.text
    assert "Constraint" not in response.text
    assignment.refresh_from_db()
    assert assignment.starts_on == datetime.date(2025, 1, 6)
    assert assignment.ends_on is None


def test_a_clinician_pauses_resumes_and_ends_an_assignment(client, clinician, assignment):
    client.force_login(clinician)
    url = reverse("patients:assignment_status", args=[assignment.pk])
    for action, status in [("pause", "paused"), ("resume", "active"), ("end", "ended")]:
        response = client.post(url, {"action": action}, follow=True)
        assignment.refresh_from_db()
        assert assignment.status == status
        assert f"The program is now {status}." in response.text


def test_an_ended_assignment_cannot_be_resumed(client, clinician, assignment):
    assignment.status = Assignment.Status.ENDED
    assignment.save()
    client.force_login(clinician)
    url = reverse("patients:assignment_status", args=[assignment.pk])
    response = client.post(url, {"action": "resume"}, follow=True)
    assert "cannot be changed that way" in response.text
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ENDED


def test_the_status_url_only_changes_on_post(client, clinician, assignment):
    client.force_login(clinician)
    url = reverse("patients:assignment_status", args=[assignment.pk])
    assert client.get(url, {"action": "end"}).status_code == 405
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACTIVE


def _item_data(**overrides) -> dict:
    return {
        "sets": "2",
        "reps": "12",
        "hold_seconds": "30",
        "rest_seconds": "",
        "times_per_day": "2",
        "weekdays": ["0", "2", "4"],
        "note": "Gently.",
        **overrides,
    }


def test_a_clinician_edits_an_assigned_items_dosage(client, clinician, assignment):
    item = assignment.items.get()
    client.force_login(clinician)
    url = reverse("patients:assignment_item_edit", args=[item.pk])
    assert "Wall stretch" in client.get(url).text
    response = client.post(url, _item_data(), follow=True)
    item.refresh_from_db()
    assert (item.sets, item.reps, item.hold_seconds, item.times_per_day) == (2, 12, 30, 2)
    assert item.weekdays == weekdays.to_mask([0, 2, 4])
    assert item.note == "Gently."
    assert "2 sets of 12" in response.text
    assert "twice a day" in response.text
    assert "Mon, Wed, Fri" in response.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sets", "0", "greater than or equal to 1"),
        ("sets", "21", "less than or equal to 20"),
        ("reps", "101", "less than or equal to 100"),
        ("hold_seconds", "601", "less than or equal to 600"),
        ("hold_seconds", "-1", "greater than or equal to 0"),
        ("times_per_day", "7", "less than or equal to 6"),
        ("times_per_day", "0", "greater than or equal to 1"),
        ("weekdays", [], "Choose at least one day of the week."),
        ("sets", "99999999999999999999", "less than or equal to 20"),
    ],
)
def test_an_out_of_bounds_dosage_is_refused_and_nothing_is_saved(
    client, clinician, assignment, field, value, message
):
    item = assignment.items.get()
    client.force_login(clinician)
    url = reverse("patients:assignment_item_edit", args=[item.pk])
    response = client.post(url, _item_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.text
    item.refresh_from_db()
    assert (item.sets, item.note, item.weekdays) == (3, "", weekdays.ALL_DAYS)


# --- the patient's today ------------------------------------------------------------------


@pytest.fixture
def week_program(record):
    """An active program with one item on Mondays and one on Wednesdays."""
    assignment = AssignmentFactory(patient=record, starts_on=datetime.date(2025, 1, 1))
    for name, day in [("Monday calf raise", 0), ("Wednesday wall stretch", 2)]:
        AssignmentItem.objects.create(
            assignment=assignment,
            name=name,
            instructions=f"How to do the {name}.",
            weekdays=weekdays.to_mask([day]),
        )
    return assignment


@time_machine.travel(datetime.datetime(2025, 3, 5, 12, 0, tzinfo=datetime.UTC))  # a Wednesday
def test_today_shows_the_items_planned_for_today(client, patient_user, week_program):
    client.force_login(patient_user)
    response = client.get(reverse("patients:today"))
    assert response.status_code == 200
    assert "Wednesday wall stretch" in response.text
    assert "How to do the Wednesday wall stretch." in response.text
    assert "Monday calf raise" not in response.text


@time_machine.travel(datetime.datetime(2025, 3, 5, 23, 30, tzinfo=datetime.UTC))
def test_today_is_the_patients_own_day_in_their_time_zone(client, patient_user, week_program):
    # 23:30 UTC on Wednesday is already Thursday 12:30 in Auckland: nothing planned.
    week_program.patient.time_zone = "Pacific/Auckland"
    week_program.patient.save()
    client.force_login(patient_user)
    response = client.get(reverse("patients:today"))
    assert "Wednesday wall stretch" not in response.text
    assert "rest day" in response.text


@time_machine.travel(datetime.datetime(2025, 3, 5, 12, 0, tzinfo=datetime.UTC))
def test_today_leaves_out_paused_ended_and_future_programs(client, patient_user, week_program):
    week_program.status = Assignment.Status.PAUSED
    week_program.save()
    future = AssignmentFactory(patient=week_program.patient, starts_on=datetime.date(2025, 4, 1))
    AssignmentItem.objects.create(assignment=future, name="Future item", instructions="Later.")
    client.force_login(patient_user)
    response = client.get(reverse("patients:today"))
    assert "Wednesday wall stretch" not in response.text
    assert "Future item" not in response.text
    assert "You have no program for today" in response.text


@time_machine.travel(datetime.datetime(2025, 3, 5, 12, 0, tzinfo=datetime.UTC))
def test_today_shows_only_the_requesting_patients_items(
    client, clinician, other_patient_user, week_program
):
    other = PatientFactory(user=other_patient_user, clinician=clinician)
    theirs = AssignmentFactory(patient=other, starts_on=datetime.date(2025, 1, 1))
    AssignmentItem.objects.create(assignment=theirs, name="Someone else's item", instructions=".")
    client.force_login(other_patient_user)
    response = client.get(reverse("patients:today"))
    assert "Someone else&#x27;s item" in response.text
    assert "Wednesday wall stretch" not in response.text


def test_a_patient_without_a_record_gets_a_friendly_page(client):
    client.force_login(PatientUserFactory(username="newcomer"))
    response = client.get(reverse("patients:today"))
    assert response.status_code == 200
    assert "not linked to a clinician yet" in response.text


def test_a_clinician_cannot_open_the_patients_today_page(client, clinician):
    client.force_login(clinician)
    assert client.get(reverse("patients:today")).status_code == 403
