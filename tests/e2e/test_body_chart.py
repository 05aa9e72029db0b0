"""The body chart in a real Chromium: a clinician taps the heel and the back of the knee and
gets the gastrocnemius first with deep vein thrombosis marked; a patient at 390x844 taps the
left back of the calf and the clinician's story shows it; both by keyboard alone; axe-core
finds no serious or critical violation."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from patients.models import PainLog
from tests.e2e.browser import serious_violations, sign_in
from tests.factories import AssignmentFactory, ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people():
    call_command("load_trigger_content", verbosity=0)  # the library and its body chart
    clinician = ClinicianFactory(username="dr.chart", first_name="Maria", last_name="Lopez")
    patient = PatientFactory(
        clinician=clinician,
        user__username="pat.chart",
        user__first_name="Pat",
        user__last_name="Quinn",
        time_zone="Europe/London",
    )
    AssignmentFactory(patient=patient, title="Calf program")
    return clinician, patient


def tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab (only) until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def chosen_areas(page) -> list[str]:
    return parse_qs(urlsplit(page.url).query).get("area", [])


def expect_gastrocnemius_first_with_dvt(page) -> None:
    first = page.locator(".where-result").first
    expect(first.get_by_role("heading")).to_have_text("Gastrocnemius")
    expect(first).to_contain_text("Explains 2 of the 2 chosen areas")
    urgent = first.locator(".urgent-differentials li").first
    expect(urgent).to_contain_text("Urgent")
    expect(urgent).to_contain_text("Deep vein thrombosis")
    expect(
        first.get_by_role("button", name="Start a program from the Gastrocnemius")
    ).to_be_visible()


def test_a_clinician_taps_the_heel_and_the_back_of_the_knee_and_gets_the_gastrocnemius(
    live_server, desktop_page, screenshot, people
):
    clinician, _ = people
    page = desktop_page
    sign_in(page, live_server, clinician)
    page.goto(live_server.url + reverse("trigger:muscle_list"))
    with page.expect_navigation():
        page.get_by_role("link", name="Where does it hurt? Choose on a body chart").click()
    assert serious_violations(page) == []

    with page.expect_navigation():
        page.get_by_role("link", name="Heel and sole, left").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Back of knee, left").click()

    assert chosen_areas(page) == ["heel-and-sole-left", "back-of-knee-left"]
    expect_gastrocnemius_first_with_dvt(page)
    expect(page.locator('a.chart-area.is-marked[data-area="heel-and-sole-left"]')).to_have_count(1)
    assert serious_violations(page) == []
    assert screenshot(page, "where-does-it-hurt-heel-and-knee").stat().st_size > 0

    # The action starts a program from the muscle (the builder's own start: a title first).
    with page.expect_navigation():
        page.get_by_role("button", name="Start a program from the Gastrocnemius").click()
    expect(page.get_by_label("Title")).to_be_visible()


def test_a_clinician_chooses_the_areas_with_the_keyboard_alone(
    live_server, desktop_page, screenshot, people
):
    clinician, _ = people
    page = desktop_page
    sign_in(page, live_server, clinician)
    page.goto(live_server.url + reverse("trigger:where"))

    # The chart's areas are links in the tab order: Enter follows one.
    tab_to(page, 'a.chart-area[data-area="heel-and-sole-left"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Then the list: a checkbox per side, Space ticks it, the button submits the same query.
    page.get_by_text("Choose from a list instead").focus()
    page.keyboard.press("Enter")
    tab_to(page, "#where-area-back-of-knee-left")
    page.keyboard.press("Space")
    tab_to(page, "#chart form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert sorted(chosen_areas(page)) == ["back-of-knee-left", "heel-and-sole-left"]
    expect_gastrocnemius_first_with_dvt(page)
    assert screenshot(page, "where-does-it-hurt-keyboard").stat().st_size > 0


def answer_safety_no(page) -> None:
    for question in (
        "Is one calf newly swollen",
        "Do you have new shortness of breath",
        "Have you recently had surgery",
    ):
        page.get_by_role("group", name=re.compile(question)).locator("label", has_text="No").tap()


def test_a_patient_taps_the_left_back_of_the_calf_and_the_clinicians_story_shows_it(
    live_server, phone_page, desktop_page, screenshot, people
):
    clinician, patient = people
    phone = phone_page
    sign_in(phone, live_server, patient.user)
    phone.goto(live_server.url + reverse("patients:pain"))
    assert serious_violations(phone) == []

    phone.get_by_role("group", name="How bad is your pain right now?").locator(
        "label", has_text=re.compile(r"^5$")
    ).tap()
    calf = phone.get_by_role("checkbox", name="Back of calf, left", exact=True)
    calf.tap()
    expect(calf).to_have_attribute("aria-checked", "true")
    expect(phone.locator("#areas-chosen")).to_have_text("Chosen: Back of calf, left")
    # The list (folded away) says the same.
    expect(phone.locator("#pain-area-back-of-calf-left")).to_be_checked()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(phone) == []
    assert screenshot(phone, "patient-pain-drawing-left-calf").stat().st_size > 0
    answer_safety_no(phone)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Save", exact=True).tap()

    log = PainLog.objects.get()
    assert [a.slug for a in log.areas.all()] == ["back-of-calf-left"]
    assert (log.score, log.side) == (5, "left")
    expect(phone.get_by_text("Back of calf, left")).to_be_visible()

    page = desktop_page
    sign_in(page, live_server, clinician)
    page.goto(live_server.url + reverse("patients:patient_detail", args=[patient.pk]))
    body_map = page.locator("#pain-map")
    expect(body_map.get_by_role("img").first).to_be_visible()
    row = body_map.locator('tr[data-area="back-of-calf-left"]')
    expect(row).to_contain_text("Back of calf, left")
    expect(row.locator("td").first).to_have_text("1")
    expect(body_map.locator('path.is-marked[data-area="back-of-calf-left"]')).to_have_count(1)
    assert serious_violations(page) == []
    body_map.scroll_into_view_if_needed()
    assert screenshot(page, "patient-story-pain-map").stat().st_size > 0


def test_a_patient_marks_the_calf_and_saves_with_the_keyboard_alone(
    live_server, phone_page, people
):
    _, patient = people
    phone = phone_page
    sign_in(phone, live_server, patient.user)
    phone.goto(live_server.url + reverse("patients:pain"))

    tab_to(phone, "#id_score_0")
    for _ in range(5):
        phone.keyboard.press("ArrowRight")
    tab_to(phone, '[role=checkbox][data-area="back-of-calf-left"]')
    phone.keyboard.press("Space")
    expect(phone.locator('[data-area="back-of-calf-left"].chart-area')).to_have_attribute(
        "aria-checked", "true"
    )
    for name in ("calf_swollen_warm_red", "chest_symptoms", "recent_immobilisation"):
        tab_to(phone, f"input[name={name}]")
        phone.keyboard.press("ArrowRight")  # from "Yes" to "No"
        expect(phone.locator(f"input[name={name}][value=False]")).to_be_checked()
    tab_to(phone, "form.pain-form button[type=submit]")
    with phone.expect_navigation():
        phone.keyboard.press("Enter")

    log = PainLog.objects.get()
    assert (log.score, [a.slug for a in log.areas.all()], log.side) == (
        5,
        ["back-of-calf-left"],
        "left",
    )
