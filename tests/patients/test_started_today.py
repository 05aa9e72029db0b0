"""Honest figures from day one: a program started today or yesterday says "started today"
or "1 day so far" with the sessions done, on the dashboard and the patient's page, never
"nothing prescribed"."""

import pytest
import time_machine
from django.urls import reverse

from patients.services import dashboard
from tests.factories import AssignmentFactory, PatientFactory
from tests.patients.dated import NOW, TODAY, ExerciseLogFactory, ItemFactory, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def record(clinician):
    return PatientFactory(
        clinician=clinician, user__first_name="Pat", user__last_name="Jones", time_zone="UTC"
    )


@pytest.fixture
def signed_in(client, clinician):
    client.force_login(clinician)
    return client


def _cell(html: str, patient) -> str:
    return html.split(f'data-patient="{patient.pk}"', 1)[1].split("</tr>", 1)[0]


def _summary(html: str) -> str:
    return html.split('data-testid="story-summary"', 1)[1].split("</dl>", 1)[0]


def test_a_program_started_today_says_so_with_the_sessions_done(signed_in, record):
    item = ItemFactory(assignment=AssignmentFactory(patient=record, starts_on=TODAY))
    ExerciseLogFactory(item=item, performed_on=TODAY)
    row = _cell(signed_in.get(reverse("patients:clinic")).content.decode(), record)
    assert "started today" in row
    assert "1 session done" in row
    assert "nothing prescribed" not in row
    summary = _summary(signed_in.get(record.get_absolute_url()).content.decode())
    assert "started today" in summary
    assert "nothing prescribed" not in summary


def test_a_program_started_yesterday_counts_yesterdays_and_todays_sessions(signed_in, record):
    item = ItemFactory(assignment=AssignmentFactory(patient=record, starts_on=days_ago(1)))
    ExerciseLogFactory(item=item, performed_on=days_ago(1))
    ExerciseLogFactory(item=item, performed_on=days_ago(1), session=2)
    ExerciseLogFactory(item=item, performed_on=TODAY)
    row = _cell(signed_in.get(reverse("patients:clinic")).content.decode(), record)
    assert "1 day so far" in row
    assert "3 sessions done" in row
    summary = _summary(signed_in.get(record.get_absolute_url()).content.decode())
    assert "1 day so far" in summary
    assert "3 sessions done" in summary


def test_no_session_yet_on_the_first_day_says_zero_done(record):
    AssignmentFactory(patient=record, starts_on=TODAY)
    [row] = dashboard.dashboard_rows(patient_ids=[record.pk], today=TODAY)
    assert row.days_so_far == 0
    assert row.sessions_so_far == 0


def test_a_program_two_days_old_shows_its_adherence(record):
    item = ItemFactory(
        assignment=AssignmentFactory(patient=record, starts_on=days_ago(2)), times_per_day=1
    )
    ExerciseLogFactory(item=item, performed_on=days_ago(1))
    [row] = dashboard.dashboard_rows(patient_ids=[record.pk], today=TODAY)
    assert row.days_so_far is None
    assert row.adherence_percent == 50


def test_a_program_that_starts_later_says_when(signed_in, record):
    AssignmentFactory(patient=record, starts_on=TODAY.replace(day=9))
    row = _cell(signed_in.get(reverse("patients:clinic")).content.decode(), record)
    assert "starts 9 Mar 2025" in row
    assert "nothing prescribed" not in row


def test_a_patient_without_a_program_still_has_nothing_prescribed(signed_in, record):
    row = _cell(signed_in.get(reverse("patients:clinic")).content.decode(), record)
    assert "nothing prescribed" in row
