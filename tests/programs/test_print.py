"""/programs/<id>/print/: the program as a patient reads it on paper."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from programs import services, weekdays
from tests.factories import ModuleItemFactory, ProgramFactory, ProgramItemFactory


@pytest.fixture
def program(clinician):
    program = ProgramFactory(owner=clinician, title="Calf rehab", description="For 4 weeks.")
    ProgramItemFactory(
        program=program,
        name="Eccentric Heel Drops",
        instructions="Lower the heel slowly over a step.",
        sets=3,
        reps=15,
        times_per_day=2,
        weekdays=weekdays.to_mask([0, 2, 4]),
        note="Stop if the pain goes above 5 out of 10.",
    )
    return program


def print_url(program) -> str:
    return reverse("programs:print", args=[program.pk])


def test_the_print_page_shows_each_item_with_its_dosage_in_words_days_and_note(
    client, clinician, program
):
    client.force_login(clinician)
    response = client.get(print_url(program))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Calf rehab" in page
    assert "For 4 weeks." in page
    assert "Eccentric Heel Drops" in page
    assert "Lower the heel slowly over a step." in page
    assert "3 sets of 15, twice a day" in page
    assert "Mon, Wed, Fri" in page
    assert "Stop if the pain goes above 5 out of 10." in page


def test_the_print_page_has_no_navigation_and_explains_how_to_save_a_pdf(
    client, clinician, program
):
    client.force_login(clinician)
    page = client.get(print_url(program)).content.decode()
    assert "navbar" not in page
    assert "Sign out" not in page
    assert "Save as PDF" in page
    assert "data-print" in page
    # No inline script: the CSP allows only files from our own origin.
    assert "<script>" not in page
    assert "onclick" not in page


def test_html_in_a_note_is_printed_as_text(client, clinician, program):
    program.items.update(note="<b>bold</b> & <script>x()</script>")
    client.force_login(clinician)
    page = client.get(print_url(program)).content.decode()
    assert "<b>bold</b>" not in page
    assert "<script>x()" not in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;x()&lt;/script&gt;" in page


def test_the_library_items_image_is_printed_with_its_description(
    client, clinician, program, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    library_item = ModuleItemFactory(
        image=SimpleUploadedFile("calf.png", buffer.getvalue(), content_type="image/png"),
        image_alt="A person leaning against a wall, back heel down.",
    )
    ProgramItemFactory(program=program, library_item=library_item, name="Calf Stretch")
    client.force_login(clinician)
    page = client.get(print_url(program)).content.decode()
    assert library_item.image.url in page
    assert 'alt="A person leaning against a wall, back heel down."' in page


def test_advice_without_a_dosage_prints_without_a_made_up_one(client, clinician, program):
    ProgramItemFactory(
        program=program,
        name="Wear supportive shoes",
        instructions="Wear supportive shoes.",
        sets=None,
        reps=None,
        times_per_day=1,
    )
    client.force_login(clinician)
    page = client.get(print_url(program)).content.decode()
    assert "Wear supportive shoes" in page
    assert page.count("How much:") == 1


def test_another_clinician_cannot_print_the_program(client, other_clinician, program):
    client.force_login(other_clinician)
    assert client.get(print_url(program)).status_code == 404


def test_a_patient_cannot_print_a_clinicians_program(client, patient_user, program):
    client.force_login(patient_user)
    assert client.get(print_url(program)).status_code == 403


def test_the_printed_program_shows_each_exercises_picture_and_steps_and_advice_as_tips(
    client, clinician, gastrocnemius
):
    program = services.program_create_from_muscle(owner=clinician, muscle=gastrocnemius)
    client.force_login(clinician)

    text = client.get(reverse("programs:print", args=[program.pk])).text

    for name in ("calf-stretch", "wall-stretch", "calf-raises", "toe-walking", "heel-drops"):
        assert f"/static/illustrations/{name}.svg" in text
    assert "Rise onto your toes." in text
    assert "Stop if:" in text
    assert text.count("Keep in mind (advice, nothing to tick off)") == 3
