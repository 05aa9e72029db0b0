"""A library item's image and video follow it: builder, print view, the patient's phone."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from patients.models import AssignmentItem
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def library_item():
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), color=(200, 30, 30)).save(buffer, format="PNG")
    return factories.ModuleItemFactory(
        name="Calf Stretch",
        image=SimpleUploadedFile("calf.png", buffer.getvalue(), "image/png"),
        image_alt="A person leaning on a wall, back heel down",
        video=SimpleUploadedFile("calf.webm", b"\x1aE\xdf\xa3 webm", "video/webm"),
        video_description="Thirty seconds of the stretch, shown from the side",
    )


def test_the_builder_and_print_view_show_the_items_image(client, library_item):
    item = factories.ProgramItemFactory(library_item=library_item)
    client.force_login(item.program.owner)

    builder = client.get(f"/programs/{item.program.pk}/").text
    printed = client.get(f"/programs/{item.program.pk}/print/").text

    assert 'alt="A person leaning on a wall, back heel down"' in builder
    assert "Thirty seconds of the stretch, shown from the side" in builder
    assert 'alt="A person leaning on a wall, back heel down"' in printed


def test_the_patients_phone_shows_the_image_and_the_video_with_its_description(
    client, library_item
):
    assignment = factories.AssignmentFactory()
    program_item = factories.ProgramItemFactory(
        program=assignment.program, library_item=library_item
    )
    AssignmentItem.objects.create(assignment=assignment, **program_item.copied_fields())
    client.force_login(assignment.patient.user)

    page = client.get("/me/").text

    assert 'alt="A person leaning on a wall, back heel down"' in page
    assert "<video" in page
    assert "Thirty seconds of the stretch, shown from the side" in page
