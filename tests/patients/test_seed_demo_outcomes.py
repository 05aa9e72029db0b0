"""seed_demo gives the demo patients PSFS answers over their 90 days (the start, then every
three weeks), so a fresh demo shows the charts and a change marked against the MCID."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from patients.models import OutcomeAnswer, OutcomePlan, OutcomeResponse, Patient, ReminderSchedule

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2025, 3, 6, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_every_demo_patient_answered_the_psfs_every_three_weeks_and_the_first_improved():
    output = seed()
    assert "PSFS questionnaires" in output
    demo = Patient.objects.get(user__username="demo.patient")
    responses = list(demo.outcome_responses.order_by("due_on"))
    assignment = demo.assignments.get()
    assert [r.due_on for r in responses] == [
        assignment.starts_on + datetime.timedelta(weeks=3 * n) for n in range(len(responses))
    ]
    assert len(responses) >= 4  # 90 days: the start and every three weeks since
    assert all(r.answered_at <= NOW for r in responses)
    assert responses[-1].change == "improved"
    # The same three activities every time.
    labels = {tuple(r.answers.values_list("label", flat=True)) for r in responses}
    assert len(labels) == 1 and len(next(iter(labels))) == 3
    # The questionnaire reminder is scheduled for the next occasion.
    reminder = ReminderSchedule.objects.get(assignment=assignment, kind="outcome")
    assert reminder.next_due_at > NOW
    for patient in Patient.objects.filter(user__username__startswith="demo."):
        assert patient.outcome_responses.exists()


def test_seeding_again_adds_no_questionnaire():
    seed()
    before = (
        OutcomePlan.objects.count(),
        OutcomeResponse.objects.count(),
        OutcomeAnswer.objects.count(),
    )
    seed()
    assert before == (
        OutcomePlan.objects.count(),
        OutcomeResponse.objects.count(),
        OutcomeAnswer.objects.count(),
    )


def test_the_demo_clinician_sees_the_marked_change_and_the_filter_finds_it(client):
    seed()
    client.force_login(Patient.objects.get(user__username="demo.patient").clinician)
    demo = Patient.objects.get(user__username="demo.patient")
    story = client.get(reverse("patients:patient_detail", args=[demo.pk])).text
    assert 'class="mcid-marker"' in story
    improved = client.get(reverse("patients:clinic"), {"show": "improved"}).text
    assert demo.user.last_name in improved
