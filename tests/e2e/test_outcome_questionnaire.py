"""The PSFS in a real Chromium: the patient opens the link in the questionnaire reminder on
a 390x844 phone, rates the activities they named at the start, and sees the score on their
history; the clinician sees the change marked on the patient's story. axe-core finds no
serious or critical violation on the pages."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patients import reminders
from patients.models import Delivery, OutcomeResponse, ReminderSchedule
from patients.services import assignment_create
from patients.services.outcomes import (
    Answer,
    DueQuestionnaire,
    outcome_plan_save,
    outcome_response_record,
)
from tests.e2e.browser import PASSWORD, serious_violations, sign_in
from tests.factories import ClinicianFactory, PatientFactory, ProgramFactory, ProgramItemFactory
from trigger.instruments_load import instruments_load
from trigger.models import Instrument

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"https?://\S+/me/questionnaires/")


@pytest.fixture
def plan():
    instruments_load()
    psfs = Instrument.objects.get(slug="psfs")
    clinician = ClinicianFactory(
        username="dr.outcome", first_name="Maria", last_name="Lopez", password=PASSWORD
    )
    patient = PatientFactory(
        clinician=clinician,
        user__username="pat.outcome",
        user__first_name="Pat",
        user__last_name="Walker",
        user__email="pat.outcome@example.org",
        time_zone="Europe/London",
    )
    program = ProgramFactory(owner=clinician, title="Calf program")
    ProgramItemFactory(program=program)
    start = patient.local_today() - datetime.timedelta(weeks=2)
    assignment = assignment_create(
        program=program,
        patient=patient,
        assigned_by=clinician,
        starts_on=start,
        reminder_times=[datetime.time(8, 0)],
    )
    plan = outcome_plan_save(
        assignment=assignment,
        instruments=[psfs],
        at_start=True,
        every_weeks=2,
        at_end=True,
        local_time=datetime.time(18, 0),
    )
    item = psfs.items.get()
    # Two weeks ago the patient named three activities.
    outcome_response_record(
        patient=patient,
        due=DueQuestionnaire(assignment=assignment, instrument=psfs, due_on=start),
        answers=[
            Answer(item=item, value=value, label=label)
            for label, value in (("Climbing stairs", 3), ("Walking the dog", 4), ("Gardening", 2))
        ],
        now=timezone.now() - datetime.timedelta(weeks=2),
    )
    return plan


def test_a_patient_answers_the_psfs_from_the_reminder_and_the_clinician_sees_the_change(
    live_server, phone_page, desktop_page, screenshot, plan, mailoutbox
):
    # Today's occasion, as the dispatcher creates it, sent by the worker's service.
    reminder = ReminderSchedule.objects.get(kind=ReminderSchedule.Kind.OUTCOME)
    delivery = Delivery.objects.create(
        patient=plan.assignment.patient,
        schedule=reminder,
        kind=Delivery.Kind.OUTCOME,
        channel=reminder.channel,
        occurrence=timezone.now() - datetime.timedelta(minutes=1),
    )
    reminders.delivery_send(delivery_id=delivery.pk)
    [message] = mailoutbox
    link = urlsplit(LINK.search(message.body).group(0)).path

    page = phone_page
    sign_in(page, live_server, "pat.outcome")
    page.goto(live_server.url + link)
    expect(page.get_by_role("heading", name="Questionnaire due")).to_be_visible()
    assert serious_violations(page) == []
    with page.expect_navigation():
        page.get_by_role("link", name="Answer the PSFS").tap()
    expect(page.get_by_role("heading", name="Patient-Specific Functional Scale")).to_be_visible()
    for activity in ("Climbing stairs", "Walking the dog", "Gardening"):
        expect(page.get_by_role("group", name=activity)).to_be_visible()
    assert page.get_by_role("textbox").count() == 0  # the activities are not asked again
    screenshot(page, "outcome-psfs-form-phone")

    # Saving with one activity unrated: a clear error, nothing saved.
    page.get_by_role("group", name="Climbing stairs").locator(
        "label", has_text=re.compile(r"^6$")
    ).tap()
    with page.expect_navigation():
        page.get_by_role("button", name="Save my answers").tap()
    expect(page.locator("#form-errors")).to_contain_text("Nothing was saved yet")
    assert OutcomeResponse.objects.count() == 1
    assert serious_violations(page) == []
    screenshot(page, "outcome-psfs-error-phone")

    for activity, rating in (("Walking the dog", "7"), ("Gardening", "5")):
        page.get_by_role("group", name=activity).locator(
            "label", has_text=re.compile(rf"^{rating}$")
        ).tap()
    # The rating tapped before the error is kept.
    expect(page.locator("#id_rating_1_6")).to_be_checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Save my answers").tap()
    assert urlsplit(page.url).path == reverse("patients:history")
    expect(page.get_by_text("Your PSFS score is 6.0")).to_be_visible()
    table = page.locator("#outcome-psfs-table")
    expect(table).to_contain_text("3.0")
    expect(table).to_contain_text("Better by 3.0 points: a change that matters")
    expect(page.locator("#outcome-psfs svg.outcome-chart")).to_be_visible()
    assert serious_violations(page) == []
    page.locator("#outcome-psfs").scroll_into_view_if_needed()
    screenshot(page, "outcome-history-phone")
    assert OutcomeResponse.objects.latest("answered_at").score == 6

    clinic = desktop_page
    sign_in(clinic, live_server, "dr.outcome")
    clinic.goto(
        live_server.url + reverse("patients:patient_detail", args=[plan.assignment.patient.pk])
    )
    outcomes = clinic.locator("#outcomes")
    expect(outcomes).to_contain_text("PSFS: from 3.0 at baseline to 6.0")
    expect(outcomes.locator("polygon.mcid-marker")).to_have_count(1)
    expect(outcomes.locator("#outcome-psfs-activities")).to_contain_text("Climbing stairs")
    assert serious_violations(clinic) == []
    outcomes.scroll_into_view_if_needed()
    screenshot(clinic, "outcome-story-desktop")
