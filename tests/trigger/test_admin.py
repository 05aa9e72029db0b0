"""Content editors maintain the library in the Django admin, and every change is audited."""

import io
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import FileField
from django.urls import reverse
from PIL import Image

from tests.factories import DifferentialFactory, ModuleItemFactory, MuscleFactory
from trigger.models import (
    AssociatedMuscle,
    BodyArea,
    BodyRegion,
    Differential,
    Instrument,
    InstrumentItem,
    Module,
    ModuleItem,
    ModuleItemStep,
    Muscle,
    ReferralZone,
    SectionItem,
    SectionText,
    Source,
)

LIBRARY_MODELS = [
    BodyArea,
    BodyRegion,
    Muscle,
    SectionText,
    SectionItem,
    ReferralZone,
    Differential,
    AssociatedMuscle,
    Module,
    ModuleItem,
    Source,
    # Outcome measures (questionnaires) and their questions.
    Instrument,
    InstrumentItem,
]


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:trigger_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Each test uploads into its own folder, so "nothing was stored" can be checked."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _form_data(response) -> dict:
    """The change form's data as a browser would post it back unchanged.

    Covers the main form, every inline form and each inline's management form, so a
    test can change one value and post the page as an editor would.
    """
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if isinstance(bound.field, FileField) or value is None or value is False:
                continue
            data[bound.html_name] = "on" if value is True else value
    return data


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _upload(name: str, content: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _post_item(client, item: ModuleItem, **changes):
    """Post the exercise's admin form with ``changes`` applied (None clears a value)."""
    url = _url(ModuleItem, "change", item.pk)
    data = _form_data(client.get(url))
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(url, data)


def _stored_images() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "library" / "images"
    return sorted(folder.glob("*")) if folder.exists() else []


# --- What an editor can do ----------------------------------------------------------------


def test_an_editor_sees_every_library_model_in_the_admin_index(client, editor):
    client.force_login(editor)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    apps = {app["app_label"]: app for app in response.context["app_list"]}
    # Besides the library: clinicians' own exercises, to review and promote into it.
    assert set(apps) == {"trigger", "programs"}
    listed = {model["object_name"] for model in apps["trigger"]["models"]}
    assert listed == {model.__name__ for model in LIBRARY_MODELS}
    assert [model["object_name"] for model in apps["programs"]["models"]] == ["OwnExercise"]


@pytest.mark.parametrize("model", LIBRARY_MODELS, ids=lambda m: m.__name__)
def test_an_editor_can_list_search_and_add_every_library_model(client, editor, model):
    MuscleFactory(name="Soleus")
    client.force_login(editor)

    assert client.get(_url(model, "changelist")).status_code == 200
    assert client.get(_url(model, "changelist"), {"q": "soleus"}).status_code == 200
    assert client.get(_url(model, "add")).status_code == 200


def test_an_editor_can_open_a_muscle_page_with_every_section_inline(client, editor, gastrocnemius):
    client.force_login(editor)

    response = client.get(_url(Muscle, "change", gastrocnemius.pk))

    assert response.status_code == 200
    formsets = {
        inline.formset.prefix: inline.formset
        for inline in response.context["inline_admin_formsets"]
    }
    assert set(formsets) == {
        "section_texts",
        "section_items",
        "referral_zones",
        "differentials",
        "associations",
        "modules",
        "sources",
    }
    assert len(formsets["modules"].forms) == gastrocnemius.modules.count() > 0
    assert len(formsets["differentials"].forms) == gastrocnemius.differentials.count() > 0
    orders = [form.instance.order for form in formsets["modules"].forms]
    assert orders == sorted(orders)
    view_on_site = client.get(response.context["absolute_url"])
    assert view_on_site["Location"].endswith("/library/gastrocnemius/")
    assert gastrocnemius.modules.first().name in response.content.decode()


def test_an_editor_can_save_the_shipped_muscle_page_with_one_change(client, editor, gastrocnemius):
    url = _url(Muscle, "change", gastrocnemius.pk)
    client.force_login(editor)
    data = _form_data(client.get(url))
    data["introduction"] = "Rewritten by the editor."
    counts = {name: getattr(gastrocnemius, name).count() for name in ("modules", "sources")}

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    gastrocnemius.refresh_from_db()
    assert gastrocnemius.introduction == "Rewritten by the editor."
    assert {name: getattr(gastrocnemius, name).count() for name in counts} == counts


def test_the_muscle_add_page_fills_the_slug_from_the_name(client, editor):
    client.force_login(editor)

    response = client.get(_url(Muscle, "add"))

    prepopulated = response.context["adminform"].prepopulated_fields
    assert [(p["field"].name, [d.name for d in p["dependencies"]]) for p in prepopulated] == [
        ("slug", ["name"])
    ]


def test_an_editor_can_open_a_module_page_with_its_exercises(client, editor):
    item = ModuleItemFactory(name="Wall calf stretch")
    client.force_login(editor)

    response = client.get(_url(Module, "change", item.module.pk))

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert [form.instance for form in inline.formset.forms] == [item]
    assert response.context["absolute_url"] == item.module.muscle.get_absolute_url()


def test_an_editor_can_change_an_exercise_from_its_module_page(client, editor):
    item = ModuleItemFactory(sets=3)
    url = _url(Module, "change", item.module.pk)
    client.force_login(editor)
    data = _form_data(client.get(url))
    data.update({"name": "Calf stretching", "items-0-sets": "5"})

    response = client.post(url, data)

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.module.name, item.sets) == ("Calf stretching", 5)


def test_a_bad_dosage_on_the_module_page_saves_nothing(client, editor):
    item = ModuleItemFactory(sets=3)
    url = _url(Module, "change", item.module.pk)
    client.force_login(editor)
    data = _form_data(client.get(url))
    data.update({"name": "Calf stretching", "items-0-sets": "21"})

    response = client.post(url, data)

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert "sets" in inline.formset.forms[0].errors
    item.refresh_from_db()
    assert (item.module.name, item.sets) == ("Stretching", 3)


def test_an_editor_can_change_an_exercise_dosage(client, editor):
    item = ModuleItemFactory(sets=3, reps=10, hold_seconds=None)
    client.force_login(editor)

    response = _post_item(
        client,
        item,
        sets="2",
        reps="12",
        hold_seconds="30",
        instructions="Lean into the wall until you feel the calf stretch.",
        dosage_is_default="on",
        dosage_source="Editorial default, to be reviewed.",
    )

    assert response.status_code == 302
    assert response["Location"] == _url(ModuleItem, "changelist")
    item.refresh_from_db()
    assert (item.sets, item.reps, item.hold_seconds) == (2, 12, 30)
    assert item.instructions == "Lean into the wall until you feel the calf stretch."
    assert item.dosage_is_default is True
    assert item.dosage_source == "Editorial default, to be reviewed."


def test_an_editor_can_add_an_image_with_its_description(client, editor):
    item = ModuleItemFactory()
    client.force_login(editor)

    response = _post_item(
        client,
        item,
        image=_upload("calf.png", _png_bytes(), "image/png"),
        image_alt="A person leaning against a wall, back leg straight.",
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.image.name.startswith("library/images/calf")
    assert item.image_alt == "A person leaning against a wall, back leg straight."


def test_an_exercise_page_links_to_its_muscle_on_the_site(client, editor):
    item = ModuleItemFactory()
    client.force_login(editor)

    response = client.get(_url(ModuleItem, "change", item.pk))

    assert response.context["absolute_url"] == item.module.muscle.get_absolute_url()
    assert f'href="{item.module.muscle.get_absolute_url()}"' in response.content.decode()


# --- Bad input: a form error, and nothing saved -----------------------------------------------


def test_a_muscle_without_a_name_is_refused(client, editor):
    muscle = MuscleFactory(name="Soleus")
    url = _url(Muscle, "change", muscle.pk)
    client.force_login(editor)
    data = _form_data(client.get(url))
    data["name"] = ""
    data["introduction"] = "Should not be saved."

    response = client.post(url, data)

    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    muscle.refresh_from_db()
    assert (muscle.name, muscle.introduction) == ("Soleus", "")


def test_a_new_muscle_without_a_name_creates_nothing(client, editor):
    client.force_login(editor)
    data = _form_data(client.get(_url(Muscle, "add")))
    data.update(name="", slug="nameless")

    response = client.post(_url(Muscle, "add"), data)

    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert not Muscle.objects.filter(slug="nameless").exists()


def test_an_invalid_inline_row_saves_nothing_of_the_muscle_page(client, editor):
    differential = DifferentialFactory(name="Baker's cyst")
    muscle = differential.muscle
    url = _url(Muscle, "change", muscle.pk)
    client.force_login(editor)
    data = _form_data(client.get(url))
    data["introduction"] = "Should not be saved."
    data["differentials-0-name"] = ""

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["errors"]
    muscle.refresh_from_db()
    differential.refresh_from_db()
    assert muscle.introduction == ""
    assert differential.name == "Baker's cyst"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sets", "-1"),
        ("sets", "0"),
        ("sets", "21"),
        ("sets", "three"),
        ("reps", "101"),
        ("hold_seconds", "601"),
        ("hold_seconds", "-5"),
        ("rest_seconds", "601"),
        ("times_per_day", "7"),
        ("days_per_week", "8"),
    ],
)
def test_an_out_of_range_dosage_is_refused(client, editor, field, value):
    item = ModuleItemFactory(sets=3, reps=10)
    before = ModuleItem.objects.values().get(pk=item.pk)
    client.force_login(editor)

    response = _post_item(client, item, **{field: value, "name": "Renamed"})

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert ModuleItem.objects.values().get(pk=item.pk) == before


def test_an_image_without_a_description_is_refused(client, editor):
    item = ModuleItemFactory()
    client.force_login(editor)

    response = _post_item(
        client, item, image=_upload("calf.png", _png_bytes(), "image/png"), image_alt=""
    )

    assert response.status_code == 200
    assert "image_alt" in response.context["adminform"].form.errors
    item.refresh_from_db()
    assert not item.image
    assert _stored_images() == []


def test_a_video_without_a_description_is_refused(client, editor):
    item = ModuleItemFactory()
    client.force_login(editor)

    response = _post_item(
        client, item, video=_upload("calf.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    )

    assert response.status_code == 200
    assert "video_description" in response.context["adminform"].form.errors
    item.refresh_from_db()
    assert not item.video


def test_a_default_dosage_without_its_source_is_refused(client, editor):
    item = ModuleItemFactory()
    client.force_login(editor)

    response = _post_item(client, item, dosage_is_default="on", dosage_source="")

    assert response.status_code == 200
    assert "dosage_source" in response.context["adminform"].form.errors
    item.refresh_from_db()
    assert item.dosage_is_default is False


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("calf.png", b"this is plain text, not a picture", "image/png"),
        ("calf.txt", b"this is plain text, not a picture", "text/plain"),
        ("calf.gif", _png_bytes(), "image/gif"),
        ("calf.bmp", _png_bytes(), "image/bmp"),
    ],
    ids=["text-renamed-as-png", "text-file", "png-named-gif", "png-named-bmp"],
)
def test_a_file_that_is_not_an_accepted_image_is_refused(
    client, editor, name, content, content_type
):
    item = ModuleItemFactory()
    client.force_login(editor)

    response = _post_item(
        client,
        item,
        image=_upload(name, content, content_type),
        image_alt="A person stretching.",
    )

    assert response.status_code == 200
    assert "image" in response.context["adminform"].form.errors
    item.refresh_from_db()
    assert not item.image
    assert item.image_alt == ""
    assert _stored_images() == []


def test_a_video_with_a_wrong_extension_is_refused(client, editor):
    item = ModuleItemFactory()
    client.force_login(editor)

    response = _post_item(
        client,
        item,
        video=_upload("calf.avi", b"RIFF....AVI ", "video/x-msvideo"),
        video_description="A person stretching.",
    )

    assert response.status_code == 200
    assert "video" in response.context["adminform"].form.errors
    item.refresh_from_db()
    assert not item.video


def test_an_image_over_the_size_limit_is_refused(client, editor, settings):
    settings.LIBRARY_IMAGE_MAX_BYTES = 10
    item = ModuleItemFactory()
    client.force_login(editor)

    response = _post_item(
        client,
        item,
        image=_upload("calf.png", _png_bytes(), "image/png"),
        image_alt="A person stretching.",
    )

    assert response.status_code == 200
    assert "image" in response.context["adminform"].form.errors
    item.refresh_from_db()
    assert not item.image


# --- Who changed what ---------------------------------------------------------------------------


def test_an_editors_change_is_logged_with_the_editor_as_actor(client, editor):
    item = ModuleItemFactory(sets=3)
    client.force_login(editor)

    _post_item(client, item, sets="4")

    entry = LogEntry.objects.get_for_object(item).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == editor
    assert entry.changes_dict["sets"] == ["3", "4"]


def test_a_change_made_inline_on_the_muscle_page_is_logged_per_row(client, editor):
    differential = DifferentialFactory(name="Baker's cyst")
    url = _url(Muscle, "change", differential.muscle.pk)
    client.force_login(editor)
    data = _form_data(client.get(url))
    data["differentials-0-urgent"] = "on"

    assert client.post(url, data).status_code == 302

    entry = LogEntry.objects.get_for_object(differential).get(action=LogEntry.Action.UPDATE)
    assert entry.actor == editor
    assert "urgent" in entry.changes_dict


def test_an_editor_can_read_an_exercises_audit_history(client, editor):
    item = ModuleItemFactory(sets=3)
    client.force_login(editor)
    _post_item(client, item, sets="4")

    change_page = client.get(_url(ModuleItem, "change", item.pk))
    history = client.get(_url(ModuleItem, "auditlog", item.pk))

    assert _url(ModuleItem, "auditlog", item.pk) in change_page.content.decode()
    assert history.status_code == 200
    assert editor in [entry.actor for entry in history.context["log_entries"]]
    assert str(editor) in history.content.decode()


def test_the_changelist_links_each_row_to_its_audit_history(client, editor):
    item = ModuleItemFactory()
    client.force_login(editor)

    response = client.get(_url(ModuleItem, "changelist"))

    assert _url(ModuleItem, "auditlog", item.pk) in response.content.decode()


def test_an_editor_is_refused_the_site_wide_audit_log(client, editor):
    client.force_login(editor)

    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 403
    app_labels = {app["app_label"] for app in client.get("/admin/").context["app_list"]}
    assert "auditlog" not in app_labels


def test_an_administrator_can_read_the_site_wide_audit_log(client, administrator):
    client.force_login(administrator)

    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 200


# --- Who may not reach content editing --------------------------------------------------------


@pytest.mark.parametrize("persona", ["patient_user", "clinician"])
def test_a_non_staff_user_cannot_change_an_exercise(db, client, request, persona):
    item = ModuleItemFactory(sets=3)
    client.force_login(request.getfixturevalue(persona))
    url = _url(ModuleItem, "change", item.pk)

    response = client.post(url, {"module": item.module_id, "name": "x", "text": "x", "sets": 9})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={url}"
    item.refresh_from_db()
    assert item.sets == 3


def test_an_editor_edits_an_exercises_steps_as_a_list_of_rows(client, editor, gastrocnemius):
    item = ModuleItem.objects.get(module__muscle=gastrocnemius, name="Toe Walking")
    client.force_login(editor)
    response = client.get(_url(ModuleItem, "change", item.pk))
    (steps,) = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is ModuleItemStep
    ]
    assert [form.instance.text for form in steps.formset.forms if form.instance.pk] == (
        item.step_texts
    )
    data = _form_data(response)
    data["steps-0-text"] = "Clear the floor first."
    data["steps-5-order"] = "5"
    data["steps-5-text"] = "Rest for a minute between sets."

    response = client.post(_url(ModuleItem, "change", item.pk), data)

    assert response.status_code == 302
    texts = ModuleItem.objects.get(pk=item.pk).step_texts
    assert texts[0] == "Clear the floor first."
    assert texts[-1] == "Rest for a minute between sets."
    assert len(texts) == 6


def test_default_steps_without_their_source_are_refused(client, editor, gastrocnemius):
    item = ModuleItem.objects.get(module__muscle=gastrocnemius, name="Calf Raises")
    client.force_login(editor)

    response = _post_item(client, item, steps_source="")

    assert response.status_code == 200
    assert "Cite the source of the default steps." in response.content.decode()
    assert ModuleItem.objects.get(pk=item.pk).steps_source


def test_an_unknown_illustration_name_is_refused(client, editor, gastrocnemius):
    item = ModuleItem.objects.get(module__muscle=gastrocnemius, name="Calf Raises")
    client.force_login(editor)

    response = _post_item(client, item, illustration="../../etc/passwd")

    assert response.status_code == 200
    assert "No illustration of that name ships with the project." in response.content.decode()
    assert ModuleItem.objects.get(pk=item.pk).illustration == "calf-raises"


# --- Progressions ---------------------------------------------------------------------------


def test_an_editor_can_set_an_exercises_harder_variant(client, editor):
    item = ModuleItemFactory(name="Calf Raises")
    harder = ModuleItemFactory(module=item.module, name="Calf Raises on One Leg")
    client.force_login(editor)

    response = _post_item(client, item, harder_variant=str(harder.pk))

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.harder_variant == harder
    assert ModuleItem.objects.get(pk=harder.pk).easier == item


def test_a_progression_that_loops_is_refused_in_the_admin(client, editor):
    item = ModuleItemFactory()
    harder = ModuleItemFactory(module=item.module, harder_variant=item)
    client.force_login(editor)

    response = _post_item(client, item, harder_variant=str(harder.pk))

    assert response.status_code == 200
    assert "harder_variant" in response.context["adminform"].form.errors
    item.refresh_from_db()
    assert item.harder_variant is None
