"""The patient's handout in a real Chromium: the gastrocnemius starter, every exercise with a
picture, opened from Today on a phone, then printed to PDF: at most two A4 pages, with the
pictures in it. axe-core finds nothing serious."""

import datetime
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from patients.services import assignment_create
from programs.services import program_create_from_muscle
from tests.e2e.browser import serious_violations, sign_in
from tests.factories import ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def picture(name: str, lean: int) -> SimpleUploadedFile:
    """A stand-in line drawing (a figure on a step, leaning a little more in each)."""
    image = Image.new("RGB", (240, 240), "white")
    draw = ImageDraw.Draw(image)
    draw.line([(60, 200), (180, 200)], fill="black", width=6)
    draw.ellipse([(105 + lean, 30), (135 + lean, 60)], outline="black", width=5)
    draw.line([(120 + lean, 60), (120, 140), (100, 200)], fill="black", width=5)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(f"{name}.png", buffer.getvalue(), "image/png")


@pytest.fixture
def patient(gastrocnemius):
    clinician = ClinicianFactory(
        username="dr.handout",
        first_name="Maria",
        last_name="Lopez",
        email="maria.lopez@clinic.example",
        practice__name="Riverside Physio",
    )
    patient = PatientFactory(
        clinician=clinician,
        user__username="pat.handout",
        user__first_name="Pat",
        user__last_name="Zeller",
        time_zone="Europe/London",
    )
    starter = program_create_from_muscle(owner=clinician, muscle=gastrocnemius)
    for lean, item in enumerate(starter.items.select_related("library_item")):
        library_item = item.library_item
        library_item.image = picture(f"exercise-{library_item.pk}", lean * 4)
        library_item.image_alt = f"How to do {library_item.name}"
        library_item.save()
    assignment_create(
        program=starter,
        patient=patient,
        assigned_by=clinician,
        starts_on=timezone.localdate() - datetime.timedelta(days=3),
        reminder_times=[datetime.time(18)],
    )
    return patient


def serve_media(page, live_server) -> None:
    """The live server does not serve uploads (DEBUG is off): answer them from MEDIA_ROOT."""
    root = Path(settings.MEDIA_ROOT)

    def fulfil(route):
        path = urlsplit(route.request.url).path.removeprefix(settings.MEDIA_URL)
        route.fulfill(path=str(root / path))

    page.route(re.compile(re.escape(live_server.url + settings.MEDIA_URL) + ".*"), fulfil)


def test_the_handout_prints_on_at_most_two_pages_with_its_pictures(
    live_server, phone_page, screenshot, patient
):
    page = phone_page
    serve_media(page, live_server)
    sign_in(page, live_server, patient.user)

    with page.expect_navigation():
        page.get_by_role("link", name="Your handout to print or keep").click()
    assert urlsplit(page.url).path == reverse("patients:my_handout")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your home exercises")
    expect(page.locator("main")).to_contain_text("Maria Lopez, Riverside Physio")
    pictures = page.locator("img.handout-picture")
    count = pictures.count()
    assert count >= 5
    # Every picture loaded (a broken image has no natural width).
    page.wait_for_load_state("networkidle")
    widths = pictures.evaluate_all("(images) => images.map((image) => image.naturalWidth)")
    assert all(width > 0 for width in widths), widths
    start = patient.assignments.get().starts_on
    expect(page.get_by_test_id("handout-start")).to_have_text(
        f"{start.day} {start:%b} {start.year}"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(page) == []
    screenshot(page, "handout-phone")

    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    images = len(re.findall(rb"/Subtype\s*/Image", pdf))
    assert 1 <= pages <= 2, f"{pages} pages"
    assert images >= count, f"{images} images in the PDF for {count} pictures"
    artifacts = Path(screenshot(page, "handout-print")).parent
    (artifacts / "handout.pdf").write_bytes(pdf)
