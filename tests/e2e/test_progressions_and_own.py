"""In a real Chromium at 1280x800: a progression suggested on the dashboard and applied
from the patient's page, then seen by the patient on their phone (390x844); and a
clinician's own exercise with a picture, written, then used in a program. axe-core finds
no serious or critical violation in the new pages' content and the new sections (the
shared navigation bar's contrast is fixed apart, with the other clinician pages)."""

import datetime
import io
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from patients.models import AssignmentItem, ExerciseLog
from programs.models import OwnExercise
from programs.services import library_item_copy
from tests.e2e.browser import serious_violations, sign_in
from tests.factories import AssignmentFactory, ClinicianFactory, PatientFactory, ProgramFactory
from trigger.models import ModuleItem

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP_800 = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def desk(new_context, browser_context_args):
    extra = {k: v for k, v in DESKTOP_800.items() if k not in browser_context_args}
    return new_context(**extra).new_page()


@pytest.fixture
def calf_raises_too_easy():
    """A patient doing the library's calf raises, reported too easy twice this week."""
    call_command("load_trigger_content", verbosity=0)
    clinician = ClinicianFactory(username="dr.prog", first_name="Maria", last_name="Lopez")
    patient = PatientFactory(
        clinician=clinician,
        user__username="pat.prog",
        user__first_name="Pat",
        user__last_name="Quinn",
        time_zone="Europe/London",
    )
    today = patient.local_today()
    assignment = AssignmentFactory(
        patient=patient, title="Calf program", starts_on=today - datetime.timedelta(days=10)
    )
    calf_raises = ModuleItem.objects.get(name="Calf Raises")
    item = AssignmentItem.objects.create(assignment=assignment, **library_item_copy(calf_raises))
    for days in (1, 3):
        ExerciseLog.objects.create(
            patient=patient,
            assignment=assignment,
            item=item,
            performed_on=today - datetime.timedelta(days=days),
            status=ExerciseLog.Status.DONE,
            difficulty=ExerciseLog.Difficulty.TOO_EASY,
        )
    return clinician, patient, item


def test_a_progression_is_suggested_applied_and_seen_on_the_patients_phone(
    live_server, desk, phone_page, screenshot, calf_raises_too_easy
):
    clinician, patient, item = calf_raises_too_easy

    # The dashboard suggests it.
    sign_in(desk, live_server, clinician)
    desk.goto(live_server.url + reverse("patients:clinic"))
    suggestion = desk.get_by_test_id("suggestion")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("Pat Quinn")
    expect(suggestion).to_contain_text("“Calf Raises” was reported too easy 2 times")
    assert serious_violations(desk, "#suggestions") == []
    screenshot(desk, "progression-suggested-on-the-dashboard")

    # One click on the patient's page applies it.
    desk.goto(live_server.url + reverse("patients:patient_detail", args=[patient.pk]))
    button = desk.get_by_role("button", name="Progress to “Calf Raises on One Leg”")
    with desk.expect_navigation():
        button.click()
    expect(desk.get_by_text("now does “Calf Raises on One Leg” instead of")).to_be_visible()
    expect(desk.get_by_test_id("suggestion")).to_have_count(0)
    expect(desk.get_by_text("replaced on").first).to_be_visible()
    screenshot(desk, "progression-applied-on-the-patient-page")
    item.refresh_from_db()
    assert item.replaced_by.name == "Calf Raises on One Leg"

    # The patient sees the harder exercise and the note on their phone.
    sign_in(phone_page, live_server, patient.user)
    phone_page.goto(live_server.url + reverse("patients:today"))
    card = phone_page.locator(f"#item-{item.replaced_by_id}")
    expect(card).to_contain_text("Calf Raises on One Leg")
    expect(card.get_by_test_id("exercise-change")).to_contain_text(
        "Your clinician made this exercise harder."
    )
    expect(phone_page.locator(f"#item-{item.pk}")).to_have_count(0)
    assert serious_violations(phone_page, f"#item-{item.replaced_by_id}") == []
    screenshot(phone_page, "progression-seen-on-the-phone")


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_clinicians_own_exercise_with_a_picture_is_used_in_a_program(
    live_server, desk, screenshot
):
    clinician = ClinicianFactory(username="dr.own", first_name="Maria", last_name="Lopez")
    program = ProgramFactory(owner=clinician, title="Knee class")
    sign_in(desk, live_server, clinician)

    desk.goto(live_server.url + reverse("programs:exercise_list"))
    assert serious_violations(desk, "#main") == []
    with desk.expect_navigation():
        desk.get_by_role("link", name="New exercise").click()
    assert serious_violations(desk, "#main") == []
    desk.get_by_label("Name").fill("Seated heel raises")
    desk.get_by_label("Steps").fill("Sit tall on a firm chair.\nLift both heels.\nLower slowly.")
    desk.get_by_label("Sets").fill("3")
    desk.get_by_label("Repetitions").fill("12")
    desk.get_by_label("Picture", exact=True).set_input_files(
        {"name": "heels.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    desk.get_by_label("Picture description (alt text)").fill("Both heels lifted off the floor")
    desk.get_by_label("Where it comes from").fill("Our knee class handout")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Save").click()

    exercise = OwnExercise.objects.get()
    assert urlsplit(desk.url).path == exercise.get_absolute_url()
    expect(desk.get_by_role("img", name="Both heels lifted off the floor")).to_be_visible()
    expect(desk.get_by_test_id("own-badge")).to_be_visible()
    assert serious_violations(desk, "#main") == []
    screenshot(desk, "own-exercise-with-a-picture")

    desk.goto(live_server.url + reverse("programs:detail", args=[program.pk]))
    section = desk.locator("#own-exercises")
    with desk.expect_navigation():
        section.get_by_role("button", name="Add Seated heel raises").click()
    card = desk.locator(".program-item", has_text="Seated heel raises")
    expect(card.get_by_test_id("own-badge")).to_contain_text("Clinician's own")
    expect(card.get_by_role("img", name="Both heels lifted off the floor")).to_be_visible()
    assert serious_violations(desk, "#own-exercises") == []
    card.scroll_into_view_if_needed()
    screenshot(desk, "own-exercise-in-the-builder")
    assert program.items.get().own_exercise == exercise
