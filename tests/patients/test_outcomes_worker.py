"""The questionnaire reminder through the real pipeline: dispatcher, broker (Redis in CI),
a real Celery worker, the email channel."""

import datetime

import pytest
from django.utils import timezone

from patients import reminders
from patients.models import Delivery, ReminderSchedule
from patients.services import assignment_create
from patients.services.outcomes import outcome_plan_save
from tests import factories
from tests.celery_worker import emails_in, wait_for
from trigger.instruments_load import instruments_load
from trigger.models import Instrument

pytestmark = [
    pytest.mark.worker,
    pytest.mark.xdist_group("worker"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def plan(db):
    instruments_load()
    clinician = factories.ClinicianFactory(first_name="Maria", last_name="Lopez")
    patient = factories.PatientFactory(
        clinician=clinician, user__email="ann@example.org", time_zone="America/New_York"
    )
    program = factories.ProgramFactory(owner=clinician, title="Calf program")
    factories.ProgramItemFactory(program=program)
    assignment = assignment_create(
        program=program,
        patient=patient,
        assigned_by=clinician,
        starts_on=patient.local_today(),
        reminder_times=[datetime.time(8, 0)],
    )
    return outcome_plan_save(
        assignment=assignment,
        instruments=[Instrument.objects.get(slug="psfs")],
        at_start=True,
        every_weeks=1,
        at_end=False,
        local_time=datetime.time(18, 0),
    )


def test_the_worker_sends_the_questionnaire_reminder_once_with_its_link(
    plan,
    workers,
    mail_dir,
):
    reminder = ReminderSchedule.objects.get(kind=ReminderSchedule.Kind.OUTCOME)
    # The start's occasion, in New York, at 18:00 local.
    start = plan.assignment.starts_on
    expected = plan.due_at(start)
    assert expected.astimezone(plan.assignment.patient.zone).time() == datetime.time(18, 0)
    # Due a moment ago (the start's 18:00 may be later today): what the beat finds.
    ReminderSchedule.objects.filter(pk=reminder.pk).update(
        next_due_at=timezone.now() - datetime.timedelta(seconds=5)
    )
    workers()
    result = reminders.reminders_dispatch()
    again = reminders.reminders_dispatch()
    assert result.claimed == 1 and again.claimed == 0
    delivery = wait_for(
        lambda: Delivery.objects.filter(
            kind=Delivery.Kind.OUTCOME, status=Delivery.Status.SENT
        ).first(),
        message="the worker did not send the questionnaire reminder",
    )
    assert delivery.attempts == 1
    [message] = emails_in(mail_dir)
    assert message["To"] == "ann@example.org"
    assert "questionnaire" in message["Subject"]
    body = message.get_payload()[0].get_payload(decode=True).decode()
    assert "/me/questionnaires/" in body
    reminder.refresh_from_db()
    assert reminder.next_due_at > timezone.now()
    assert reminder.next_due_at in {
        plan.due_at(start),
        plan.due_at(start + datetime.timedelta(weeks=1)),
    }
