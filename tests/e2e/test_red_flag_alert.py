"""A red flag from the patient's phone reaches the clinician's dashboard, in a real Chromium:
the patient answers "yes" to the calf question, the clinician sees the alert at the top of
/clinic/, opens the patient and acknowledges it with a note."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import Alert, AssignmentItem, ReminderSchedule
from tests.e2e.browser import sign_in
from tests.factories import AssignmentFactory, ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOTE = "Phoned Pat: same-day GP appointment booked, exercises stopped."


@pytest.fixture
def people():
    call_command("load_trigger_content", verbosity=0)  # the library's body regions
    clinician = ClinicianFactory(username="dr.flag", first_name="Maria", last_name="Lopez")
    patient = PatientFactory(
        clinician=clinician,
        user__username="pat.flag",
        user__first_name="Pat",
        user__last_name="Zeller",
        time_zone="Europe/London",
    )
    assignment = AssignmentFactory(
        patient=patient,
        title="Calf program",
        starts_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    AssignmentItem.objects.create(
        assignment=assignment, name="Wall stretch", instructions="Lean on the wall.", sets=3
    )
    ReminderSchedule.objects.create(assignment=assignment, local_time=datetime.time(8))
    # Other patients on the list, who need less attention (Adams sorts first by name).
    for first, last in [("Ada", "Adams"), ("Ben", "Baker")]:
        other = PatientFactory(clinician=clinician, user__first_name=first, user__last_name=last)
        AssignmentFactory(patient=other, title="Calf program")
    return clinician, patient


def test_a_red_flag_reaches_the_dashboard_and_is_acknowledged_with_a_note(
    live_server, phone_page, desktop_page, screenshot, people
):
    clinician, patient = people

    # The patient, on their phone: pain 7 at the back of the calf, and the calf is swollen.
    phone = phone_page
    sign_in(phone, live_server, patient.user)
    phone.goto(live_server.url + reverse("patients:pain"))
    phone.get_by_role("group", name="How bad is your pain right now?").locator(
        "label", has_text=re.compile(r"^7$")
    ).tap()
    # Where: the back of the calf, right, tapped on the body chart.
    phone.get_by_role("checkbox", name="Back of calf, right", exact=True).tap()
    phone.get_by_role("group", name="Is one calf newly swollen, warm or red?").locator(
        "label", has_text="Yes"
    ).tap()
    for question in ("Do you have new shortness of breath", "Have you recently had surgery"):
        phone.get_by_role("group", name=re.compile(question)).locator("label", has_text="No").tap()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Save", exact=True).tap()
    expect(phone.get_by_role("alert")).to_be_visible()
    assert Alert.objects.get().kind == Alert.Kind.RED_FLAG

    # The clinician, at their desk: the patient is at the top of the dashboard.
    page = desktop_page
    sign_in(page, live_server, clinician)
    page.goto(live_server.url + reverse("patients:clinic"))
    first_row = page.locator("#dashboard tbody tr").first
    expect(first_row).to_contain_text("Pat Zeller")
    expect(first_row).to_contain_text("Urgent")
    expect(first_row).to_contain_text("Red flag")
    expect(first_row).to_contain_text("7/10")
    expect(page.locator("#dashboard tbody tr")).to_have_count(3)
    screenshot(page, "clinic-dashboard-red-flag")

    # The patient's story: the alert with what the patient answered.
    with page.expect_navigation():
        first_row.get_by_role("link", name="Pat Zeller").click()
    assert urlsplit(page.url).path == reverse("patients:patient_detail", args=[patient.pk])
    alert = page.get_by_test_id("open-alert")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("Red flag")
    expect(alert).to_contain_text("one calf newly swollen, warm or red")
    expect(alert).to_contain_text("Exercise reminders paused.")
    expect(page.locator("svg.pain-chart")).to_be_visible()
    screenshot(page, "patient-story")

    # Acknowledging without a note is refused; with one it is kept.
    with page.expect_navigation():
        alert.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Say what you did about this red flag")).to_be_visible()
    page.get_by_label("Note (required): what did you do?").fill(NOTE)
    expect(
        page.get_by_text("Choose whether the patient may resume their exercises.")
    ).to_be_visible()
    page.get_by_label("Keep on hold").check()
    with page.expect_navigation():
        page.get_by_test_id("open-alert").get_by_role("button", name="Acknowledge").click()

    expect(page.get_by_text("The alert was acknowledged.")).to_be_visible()
    expect(page.get_by_test_id("open-alert")).to_have_count(0)
    acknowledged = page.get_by_test_id("acknowledged-alert")
    expect(acknowledged).to_have_count(1)
    expect(acknowledged).to_contain_text("Red flag")
    expect(acknowledged).to_contain_text(NOTE)
    expect(acknowledged).to_contain_text("by Maria Lopez")
    acknowledged.scroll_into_view_if_needed()
    screenshot(page, "alert-acknowledged")

    stored = Alert.objects.get()
    assert (stored.acknowledged_by, stored.acknowledgement_note) == (clinician, NOTE)

    # Back on the dashboard, nothing is open any more.
    page.goto(live_server.url + reverse("patients:clinic"))
    expect(page.get_by_test_id("alert-severity")).to_have_count(0)
