"""The red-flag hold in a real Chromium: after a "yes" on the safety screen the patient's
Today (390x844) shows the advice and the clinician's contact instead of the Done buttons;
the clinician (1280x800) acknowledges the alert and resumes the exercises; the patient's
Today shows them again with a notice. axe-core finds nothing serious on either page."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import AssignmentItem, ExerciseLog, ReminderSchedule
from tests.e2e.browser import serious_violations, sign_in
from tests.factories import AssignmentFactory, ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOTE = "Phoned Pat: seen by the GP today, no clot. Exercises may restart."


@pytest.fixture
def people():
    call_command("load_trigger_content", verbosity=0)  # the library's body regions
    clinician = ClinicianFactory(
        username="dr.hold",
        first_name="Maria",
        last_name="Lopez",
        email="maria.lopez@clinic.example",
        practice__name="Riverside Physio",
    )
    patient = PatientFactory(
        clinician=clinician,
        user__username="pat.hold",
        user__first_name="Pat",
        user__last_name="Zeller",
        time_zone="Europe/London",
    )
    assignment = AssignmentFactory(
        patient=patient,
        title="Calf program",
        starts_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    item = AssignmentItem.objects.create(
        assignment=assignment, name="Wall stretch", instructions="Lean on the wall.", sets=3
    )
    ReminderSchedule.objects.create(assignment=assignment, local_time=datetime.time(8))
    return clinician, patient, item


def answer(page, question: str, choice: str) -> None:
    page.get_by_role("group", name=question).locator("label", has_text=choice).tap()


def test_the_hold_shows_after_a_red_flag_and_lifts_when_the_clinician_resumes(
    live_server, phone_page, desktop_page, screenshot, people
):
    clinician, patient, item = people
    phone = phone_page
    sign_in(phone, live_server, patient.user)

    # Before: the exercise can be ticked off.
    expect(phone.get_by_role("button", name=re.compile("^Done"))).to_have_count(1)

    # A red flag from the pain log.
    phone.goto(live_server.url + reverse("patients:pain"))
    answer(phone, "How bad is your pain right now?", "7")
    # Where: the back of the calf, left, tapped on the body chart.
    phone.get_by_role("checkbox", name="Back of calf, left", exact=True).tap()
    answer(phone, "Is one calf newly swollen, warm or red?", "Yes")
    answer(
        phone,
        "Do you have new shortness of breath, chest pain, or are you coughing up blood?",
        "No",
    )
    answer(phone, "Have you recently had surgery, a cast, or been immobile", "No")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Save", exact=True).tap()
    expect(phone.locator("#urgent-advice")).to_be_visible()

    # Today: on hold, with the advice and the clinician's contact, no Done buttons.
    phone.goto(live_server.url + reverse("patients:today"))
    hold = phone.get_by_test_id("exercise-hold")
    expect(hold).to_be_visible()
    expect(hold).to_contain_text("Your exercises are on hold")
    expect(hold).to_contain_text("Stop the exercises and contact a doctor the same day.")
    expect(hold).to_contain_text("Maria Lopez")
    expect(hold.get_by_role("link", name="maria.lopez@clinic.example")).to_be_visible()
    expect(phone.get_by_role("button", name=re.compile("^Done"))).to_have_count(0)
    expect(phone.get_by_role("button", name=re.compile("^Skip"))).to_have_count(0)
    expect(hold.get_by_role("link", name="Log your pain")).to_be_visible()
    # The box is on the first screen.
    box = hold.bounding_box()
    assert box is not None and box["y"] < 844
    assert serious_violations(phone) == []
    screenshot(phone, "today-on-hold")

    # The clinician reviews the red flag and resumes the exercises.
    desk = desktop_page
    desk.set_viewport_size({"width": 1280, "height": 800})
    sign_in(desk, live_server, clinician)
    desk.goto(live_server.url + reverse("patients:patient_detail", args=[patient.pk]))
    expect(desk.get_by_test_id("exercise-hold")).to_contain_text("Exercises on hold since")
    alert = desk.get_by_test_id("open-alert")
    alert.get_by_label("Note (required): what did you do?").fill(NOTE)
    alert.get_by_label("Resume exercises").check()
    found = serious_violations(desk)
    assert found == [], "\n".join(found)
    screenshot(desk, "clinician-resumes-exercises")
    with desk.expect_navigation():
        alert.get_by_role("button", name="Acknowledge").click()
    expect(desk.get_by_text("the exercises resumed: the patient is told")).to_be_visible()
    expect(desk.get_by_test_id("exercise-hold")).to_have_count(0)

    # The patient's Today: the notice, and the exercise back with its Done button.
    phone.goto(live_server.url + reverse("patients:today"))
    expect(phone.get_by_test_id("exercise-hold")).to_have_count(0)
    expect(phone.get_by_test_id("exercise-resumed")).to_contain_text(
        "you can start your exercises again"
    )
    done = phone.locator(f"#item-{item.pk}").get_by_role("button", name=re.compile("^Done"))
    expect(done).to_be_visible()
    assert serious_violations(phone) == []
    screenshot(phone, "today-resumed")
    done.tap()
    expect(phone.locator(f"#item-{item.pk}").locator(".row-complete")).to_contain_text("Done")
    assert ExerciseLog.objects.filter(item=item).count() == 1
