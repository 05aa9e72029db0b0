"""A clinician's own exercises: written, checked by content, private or shared with the
practice, used in programs like a library item and marked as the clinician's own wherever
they show; never listed in the reviewed library; an editor may promote one into it."""

import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from patients.models import AssignmentItem
from patients.services import assignment_create
from programs.models import OwnExercise, ProgramItem
from programs.services import own_exercise_promote, program_add_own_exercise
from tests.factories import (
    ClinicianFactory,
    ModuleFactory,
    PatientFactory,
    ProgramFactory,
)
from trigger.models import Module, ModuleItem

pytestmark = pytest.mark.django_db

LIST_URL = reverse("programs:exercise_list")
NEW_URL = reverse("programs:exercise_new")


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


MP4_HEAD = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32
WEBM_HEAD = b"\x1a\x45\xdf\xa3" + b"\x00" * 32


def exercise_data(**changes) -> dict:
    data = {
        "name": "Seated heel raises",
        "instructions": "Sit tall.\nLift both heels.\nLower slowly.",
        "sets": "3",
        "reps": "12",
        "hold_seconds": "",
        "rest_seconds": "",
        "times_per_day": "1",
        "weekdays": ["0", "1", "2", "3", "4", "5", "6"],
        "image_alt": "",
        "video_description": "",
        "source": "My practice's knee class",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def make(owner, **fields) -> OwnExercise:
    values = {
        "name": "Seated heel raises",
        "instructions": "Sit tall and lift both heels.",
        "source": "Clinic handout",
        "sets": 3,
        "reps": 12,
        **fields,
    }
    return OwnExercise.objects.create(owner=owner, **values)


@pytest.fixture
def colleague(clinician):
    return ClinicianFactory(username="colleague", practice=clinician.practice)


# --- writing one ------------------------------------------------------------


def test_a_clinician_writes_an_exercise_with_a_picture(client, clinician):
    client.force_login(clinician)
    picture = SimpleUploadedFile("heel.png", png_bytes(), content_type="image/png")

    response = client.post(
        NEW_URL, exercise_data(image=picture, image_alt="Heels lifted off the floor")
    )

    exercise = OwnExercise.objects.get()
    assert response.status_code == 302
    assert response["Location"] == exercise.get_absolute_url()
    assert (exercise.owner, exercise.name, exercise.sets, exercise.reps) == (
        clinician,
        "Seated heel raises",
        3,
        12,
    )
    assert exercise.image.name.startswith("own/images/")
    assert exercise.shared_with_practice is False
    page = client.get(exercise.get_absolute_url()).content.decode()
    assert "Heels lifted off the floor" in page
    assert "My practice&#x27;s knee class" in page


@pytest.mark.parametrize(
    ("name", "content"),
    [("clip.mp4", MP4_HEAD), ("clip.webm", WEBM_HEAD)],
    ids=["mp4", "webm"],
)
def test_a_real_mp4_or_webm_video_is_accepted(client, clinician, name, content):
    client.force_login(clinician)
    video = SimpleUploadedFile(name, content, content_type="video/mp4")

    response = client.post(
        NEW_URL, exercise_data(video=video, video_description="Both heels rise and fall")
    )

    assert response.status_code == 302
    assert OwnExercise.objects.get().video.name.startswith("own/videos/")


@pytest.mark.parametrize(
    ("field", "upload", "message"),
    [
        ("image", ("heel.png", b"plain text, not a picture"), "image"),
        ("image", ("heel.gif", None), "extension"),
        ("video", ("clip.mp4", b"plain text pretending to be a video"), "not an MP4 or WebM"),
        ("video", ("clip.mp4", WEBM_HEAD), "not an MP4 or WebM"),
        ("video", ("clip.avi", MP4_HEAD), "not an MP4 or WebM"),
    ],
    ids=["text-as-png", "gif", "text-as-mp4", "webm-named-mp4", "avi"],
)
def test_an_upload_that_is_not_what_it_claims_is_refused_and_nothing_saved(
    client, clinician, field, upload, message, caplog
):
    client.force_login(clinician)
    name, content = upload
    file = SimpleUploadedFile(name, content if content is not None else png_bytes())
    describe = {"image": "image_alt", "video": "video_description"}[field]

    with caplog.at_level(logging.INFO):
        response = client.post(NEW_URL, exercise_data(**{field: file, describe: "Described"}))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert "Nothing was saved" in response.content.decode()
    assert not OwnExercise.objects.exists()
    assert f"owner={clinician.pk}" in caplog.text


def test_a_double_submit_creates_one_exercise(client, clinician):
    client.force_login(clinician)
    data = exercise_data(once="0123456789abcdef0123456789abcdef")

    first = client.post(NEW_URL, data)
    second = client.post(NEW_URL, data)

    assert OwnExercise.objects.count() == 1
    assert second["Location"] == first["Location"]


def test_a_picture_without_a_description_is_refused(client, clinician):
    client.force_login(clinician)
    picture = SimpleUploadedFile("heel.png", png_bytes(), content_type="image/png")

    response = client.post(NEW_URL, exercise_data(image=picture))

    assert response.status_code == 200
    assert "image_alt" in response.context["form"].errors
    assert not OwnExercise.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"instructions": ""}, "instructions"),
        ({"source": ""}, "source"),
        ({"sets": "50"}, "sets"),
        ({"times_per_day": "0"}, "times_per_day"),
        ({"weekdays": None}, "weekdays"),
    ],
)
def test_bad_input_gets_a_clear_error_and_saves_nothing(client, clinician, changes, field):
    client.force_login(clinician)

    response = client.post(NEW_URL, exercise_data(**changes))

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not OwnExercise.objects.exists()


def test_the_name_is_shown_escaped(client, clinician):
    exercise = make(clinician, name="<script>alert(1)</script>")
    client.force_login(clinician)

    html = client.get(exercise.get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_owner_edits_it_and_may_share_it_with_the_practice(client, clinician):
    exercise = make(clinician)
    client.force_login(clinician)

    response = client.post(
        reverse("programs:exercise_edit", args=[exercise.pk]),
        exercise_data(name="Heel raises, seated", shared_with_practice="on"),
    )

    assert response.status_code == 302
    exercise.refresh_from_db()
    assert (exercise.name, exercise.shared_with_practice) == ("Heel raises, seated", True)


# --- who sees it ------------------------------------------------------------


def test_a_private_exercise_is_a_404_for_another_clinician_even_a_colleague(
    client, clinician, colleague, other_clinician
):
    exercise = make(clinician)
    for someone in (colleague, other_clinician):
        client.force_login(someone)
        assert client.get(exercise.get_absolute_url()).status_code == 404
        assert client.get(reverse("programs:exercise_edit", args=[exercise.pk])).status_code == 404
        assert exercise.name not in client.get(LIST_URL).content.decode()


def test_a_shared_exercise_is_readable_by_colleagues_but_editable_only_by_its_owner(
    client, clinician, colleague, other_clinician
):
    exercise = make(clinician, shared_with_practice=True)
    edit_url = reverse("programs:exercise_edit", args=[exercise.pk])
    client.force_login(colleague)

    page = client.get(exercise.get_absolute_url())
    assert page.status_code == 200
    assert "read-only" in page.content.decode()
    assert edit_url not in page.content.decode()
    assert exercise.name in client.get(LIST_URL).content.decode()
    assert client.post(edit_url, exercise_data(name="Changed")).status_code == 404
    exercise.refresh_from_db()
    assert exercise.name == "Seated heel raises"

    client.force_login(other_clinician)  # another practice
    assert client.get(exercise.get_absolute_url()).status_code == 404


def test_the_reviewed_library_never_lists_an_own_exercise(client, clinician, gastrocnemius):
    make(clinician, name="Seated heel raises", shared_with_practice=True)
    client.force_login(clinician)

    for url in (reverse("trigger:muscle_list"), gastrocnemius.get_absolute_url()):
        assert "Seated heel raises" not in client.get(url).content.decode()
    program = ProgramFactory(owner=clinician)
    builder = client.get(reverse("programs:detail", args=[program.pk]) + "?q=heel")
    results = builder.content.decode().split('id="library-results"')[1].split("</div>\n")[0]
    assert "Seated heel raises" not in results


# --- in programs ------------------------------------------------------------


def test_adding_it_to_a_program_copies_it_marked_as_own(client, clinician, colleague):
    exercise = make(colleague, shared_with_practice=True)
    program = ProgramFactory(owner=clinician)
    client.force_login(clinician)

    builder = client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    assert "Add one of your own exercises" in builder
    assert exercise.name in builder
    response = client.post(
        reverse("programs:item_add_own", args=[program.pk]), {"exercise": exercise.pk}
    )

    item = program.items.get()
    assert response.status_code == 302
    assert (item.own_exercise, item.library_item, item.is_own) == (exercise, None, True)
    assert (item.name, item.sets, item.reps) == (exercise.name, 3, 12)
    builder = client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    assert "Clinician's own – not in the reviewed library" in builder
    printed = client.get(reverse("programs:print", args=[program.pk])).content.decode()
    assert "clinician's own exercise, not in the reviewed library" in printed


def test_another_clinicians_private_exercise_cannot_be_added(client, clinician, colleague):
    exercise = make(colleague)
    program = ProgramFactory(owner=clinician)
    client.force_login(clinician)

    response = client.post(
        reverse("programs:item_add_own", args=[program.pk]), {"exercise": exercise.pk}, follow=True
    )

    assert not program.items.exists()
    assert "no longer available" in response.content.decode()


def test_the_patient_sees_it_marked_as_their_clinicians_own_with_its_picture(
    client, clinician, tmp_path
):
    exercise = make(clinician)
    exercise.image = SimpleUploadedFile("heel.png", png_bytes())
    exercise.image_alt = "Heels lifted"
    exercise.save()
    program = ProgramFactory(owner=clinician)
    program_add_own_exercise(program=program, exercise=exercise)
    patient = PatientFactory(clinician=clinician)
    assignment = assignment_create(
        program=program, patient=patient, assigned_by=clinician, starts_on=patient.local_today()
    )
    assert AssignmentItem.objects.get(assignment=assignment).own_exercise == exercise
    client.force_login(patient.user)

    html = client.get(reverse("patients:today")).content.decode()

    assert "Your clinician's own exercise" in html
    assert exercise.image.url in html
    assert 'alt="Heels lifted"' in html


def test_a_program_item_never_points_to_both_a_library_item_and_an_own_exercise(clinician):
    from django.db import IntegrityError

    program = ProgramFactory(owner=clinician)
    library_item = ModuleFactory().items.create(name="x", text="x")
    with pytest.raises(IntegrityError):
        ProgramItem.objects.create(
            program=program,
            name="x",
            instructions="x",
            library_item=library_item,
            own_exercise=make(clinician),
        )


# --- promotion ------------------------------------------------------------


def test_an_editor_promotes_an_exercise_into_a_home_module(client, editor, clinician):
    exercise = make(clinician, source="Knee class handout, 2024")
    module = ModuleFactory(setting=Module.Setting.HOME)
    client.force_login(editor)
    url = reverse("admin:programs_ownexercise_changelist")

    ask = client.post(url, {"action": "promote", "_selected_action": [exercise.pk]})
    assert ask.status_code == 200
    assert "Library module" in ask.content.decode()
    done = client.post(
        url, {"action": "promote", "_selected_action": [exercise.pk], "module": module.pk}
    )

    assert done.status_code == 302
    item = ModuleItem.objects.get(module=module)
    assert (item.name, item.instructions, item.sets, item.reps) == (
        exercise.name,
        exercise.instructions,
        3,
        12,
    )
    assert item.is_default_item is True
    assert "Knee class handout, 2024" in item.item_source
    exercise.refresh_from_db()
    assert exercise.promoted_to == item


def test_an_exercise_cannot_be_promoted_into_a_clinic_only_module(clinician):
    from django.core.exceptions import ValidationError

    exercise = make(clinician)
    module = ModuleFactory(setting=Module.Setting.CLINIC)

    with pytest.raises(ValidationError):
        own_exercise_promote(exercise=exercise, module=module)
    assert not ModuleItem.objects.exists()


def test_a_clinician_cannot_reach_the_promotion(client, clinician):
    make(clinician)
    client.force_login(clinician)

    response = client.get(reverse("admin:programs_ownexercise_changelist"))

    assert response.status_code in (302, 403)
