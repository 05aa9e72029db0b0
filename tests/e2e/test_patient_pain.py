"""Logging pain on a phone in a real Chromium: the safety screen's advice comes first, and
the pain pages pass an axe-core accessibility check."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from patients.models import Alert, PainLog, ReminderSchedule
from tests.e2e.browser import serious_violations, sign_in
from tests.factories import AssignmentFactory, ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def patient():
    call_command("load_trigger_content", verbosity=0)  # the library's body regions
    clinician = ClinicianFactory(username="dr.pain")
    patient = PatientFactory(
        clinician=clinician,
        user__username="pat.pain",
        user__first_name="Pat",
        user__email="pat.pain@example.org",
        time_zone="Europe/London",
    )
    assignment = AssignmentFactory(patient=patient)
    ReminderSchedule.objects.create(assignment=assignment, local_time=datetime.time(8))
    return patient


def test_a_patient_answers_yes_to_the_calf_question_and_sees_the_advice_first(
    live_server, phone_page, screenshot, patient
):
    page = phone_page
    sign_in(page, live_server, patient.user)

    page.goto(live_server.url + reverse("patients:pain"))
    page.get_by_role("group", name="How bad is your pain right now?").locator(
        "label", has_text=re.compile(r"^7$")
    ).tap()
    # Where: the back of the calf, left, tapped on the body chart.
    page.get_by_role("checkbox", name="Back of calf, left", exact=True).tap()
    page.get_by_role("group", name="Is one calf newly swollen, warm or red?").locator(
        "label", has_text="Yes"
    ).tap()
    for question in ("Do you have new shortness of breath", "Have you recently had surgery"):
        page.get_by_role("group", name=re.compile(question)).locator("label", has_text="No").tap()
    expect(page.locator("#id_score_7")).to_be_checked()
    expect(page.locator("#id_calf_swollen_warm_red_0")).to_be_checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).tap()

    log = PainLog.objects.get()
    assert urlsplit(page.url).path == reverse("patients:pain_logged", kwargs={"pk": log.pk})
    advice = page.get_by_role("alert")
    expect(advice).to_be_visible()
    expect(advice).to_contain_text(
        "Stop your exercises and contact a doctor or your clinician today."
    )
    expect(advice).to_contain_text("deep vein thrombosis")
    # First on the page: the first thing in the patient's content, at the top of the screen,
    # above "Saved.".
    assert page.locator(".patient-page > *").first.get_attribute("id") == "urgent-advice"
    saved = page.get_by_role("heading", name="Saved.")
    assert advice.bounding_box()["y"] < saved.bounding_box()["y"]
    assert advice.bounding_box()["y"] < 844 / 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "patient-pain-red-flag")

    assert (log.score, log.region.slug, log.side, log.calf_swollen_warm_red) == (
        7,
        "back-of-calf",
        "left",
        True,
    )
    assert Alert.objects.get().severity == Alert.Severity.URGENT
    assert ReminderSchedule.objects.get().paused is True


def test_the_pain_pages_have_no_serious_accessibility_violations(live_server, phone_page, patient):
    page = phone_page
    sign_in(page, live_server, patient.user)

    page.goto(live_server.url + reverse("patients:pain"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(page) == []

    # The form with its error messages, then the result page with the urgent advice.
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Choose a number from 0 to 10.").first).to_be_visible()
    assert serious_violations(page) == []

    # A "yes" with the other questions unanswered: the advice at once, above the errors.
    page.locator("label[for=id_score_0]").click()
    page.locator("label[for=id_chest_symptoms_0]").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#urgent-advice")).to_contain_text("Call the emergency number now")
    expect(page.locator("#form-errors")).to_contain_text("Answer yes or no.")
    assert serious_violations(page) == []

    page.locator("label[for=id_calf_swollen_warm_red_1]").click()
    page.locator("label[for=id_recent_immobilisation_1]").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Call the emergency number now")
    assert serious_violations(page) == []

    page.goto(live_server.url + reverse("patients:reminder_settings"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(page) == []


def test_every_touch_target_on_the_pain_form_is_at_least_48_pixels(
    live_server, phone_page, patient
):
    page = phone_page
    sign_in(page, live_server, patient.user)
    page.goto(live_server.url + reverse("patients:pain"))

    targets = ", ".join(
        f"form.pain-form {selector}"
        for selector in ("label.btn", "button", ".check-large", "textarea", "input.form-control")
    )
    small = page.evaluate(
        """(targets) => [...document.querySelectorAll(targets)]
            .map(el => [el.textContent.trim() || el.name, el.getBoundingClientRect()])
            .filter(([, box]) => box.height < 48 || box.width < 48)
            .map(([name, box]) => `${name}: ${Math.round(box.width)}x${Math.round(box.height)}`)""",
        targets,
    )
    assert small == []
