"""programs.services: what a program is made of, whatever page calls it."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from patients.models import Assignment
from programs import services, weekdays
from programs.models import Program, ProgramItem
from tests.factories import (
    AssignmentFactory,
    ModuleFactory,
    ModuleItemFactory,
    ProgramFactory,
    ProgramItemFactory,
)
from trigger.models import Module
from trigger.selectors import home_items

STARTER_NAMES = [
    "Calf Stretch",
    "Wall Stretch",
    "Calf Raises",
    "Toe Walking",
    "Eccentric Heel Drops",
    "Wear supportive shoes with proper heel cushioning",
    "Use custom orthotics to improve foot and ankle alignment",
    "Avoid prolonged standing without proper movement or support",
]


def test_the_gastrocnemius_starter_has_its_home_items_in_a_sensible_order(clinician, gastrocnemius):
    program = services.program_create_from_muscle(owner=clinician, muscle=gastrocnemius)
    assert program.title == "Gastrocnemius starter"
    assert program.owner == clinician
    assert program.muscle == gastrocnemius
    assert list(program.items.values_list("name", flat=True)) == STARTER_NAMES
    kinds = list(program.items.values_list("module_kind", flat=True))
    assert kinds == ["stretching"] * 2 + ["strengthening"] * 3 + ["posture_footwear"] * 3


def test_the_gastrocnemius_starter_has_no_clinic_only_item(clinician, gastrocnemius):
    program = services.program_create_from_muscle(owner=clinician, muscle=gastrocnemius)
    names = " ".join(program.items.values_list("name", flat=True)).lower()
    for clinic_only in ("dry needling", "trigger point release", "massage therapy"):
        assert clinic_only not in names
    assert not program.items.filter(module_kind__in=["dry_needling", "manual_therapy"]).exists()


def test_the_starter_copies_each_items_default_dosage(clinician, gastrocnemius):
    program = services.program_create_from_muscle(owner=clinician, muscle=gastrocnemius)
    dosage = {
        item.name: (item.sets, item.reps, item.hold_seconds, item.times_per_day, item.weekdays)
        for item in program.items.all()
    }
    assert dosage["Calf Stretch"] == (None, 3, 30, 2, weekdays.ALL_DAYS)
    assert dosage["Calf Raises"] == (3, 10, None, 1, weekdays.ALL_DAYS)
    assert dosage["Eccentric Heel Drops"] == (3, 15, None, 2, weekdays.ALL_DAYS)
    for item in program.items.select_related("library_item"):
        assert item.instructions == (item.library_item.instructions or item.library_item.text)
        assert item.library_updated_at == item.library_item.updated_at
        assert not item.is_outdated


def test_a_clinic_only_item_cannot_be_added_to_a_program(clinician):
    program = ProgramFactory(owner=clinician)
    needling = ModuleItemFactory(
        name="Dry needling",
        module=ModuleFactory(kind=Module.Kind.DRY_NEEDLING, setting=Module.Setting.CLINIC),
    )
    with pytest.raises(ValidationError) as error:
        services.program_add_item(program=program, library_item=needling)
    assert error.value.code == "clinic_only"
    assert not program.items.exists()
    assert needling not in home_items()


def test_added_items_go_to_the_end_of_the_program(clinician):
    program = ProgramFactory(owner=clinician)
    first, second = ModuleItemFactory(), ModuleItemFactory()
    services.program_add_item(program=program, library_item=first)
    services.program_add_item(program=program, library_item=second)
    assert list(program.items.values_list("library_item", flat=True)) == [first.pk, second.pk]


def test_an_item_already_in_the_program_is_added_again_only_when_confirmed(clinician):
    program = ProgramFactory(owner=clinician)
    stretch = ModuleItemFactory()
    services.program_add_item(program=program, library_item=stretch)

    with pytest.raises(services.AlreadyInProgram):
        services.program_add_item(program=program, library_item=stretch)
    assert program.items.count() == 1

    services.program_add_item(program=program, library_item=stretch, again=True)
    assert program.items.count() == 2


def test_cloning_copies_the_items_with_their_dosage_and_notes(clinician):
    program = ProgramFactory(owner=clinician, title="Calf rehab")
    ProgramItemFactory(program=program, sets=4, reps=8, note="Slowly.", weekdays=0b101)
    copy = services.program_clone(program=program, owner=clinician)
    assert copy.title == "Copy of Calf rehab"
    assert copy.based_on == program
    assert list(copy.items.values_list("sets", "reps", "note", "weekdays")) == [
        (4, 8, "Slowly.", 0b101)
    ]
    assert ProgramItem.objects.count() == 2


def test_saving_as_a_template_keeps_the_title_and_is_private(clinician):
    program = ProgramFactory(owner=clinician, title="Calf rehab")
    template = services.program_clone(program=program, owner=clinician, as_template=True)
    assert (template.title, template.is_template, template.shared_with_practice) == (
        "Calf rehab",
        True,
        False,
    )
    assert Program.objects.get(pk=program.pk).is_template is False


def test_moving_and_reordering_items(clinician):
    program = ProgramFactory(owner=clinician)
    a, b, c = (ProgramItemFactory(program=program, name=name) for name in "ABC")
    services.program_item_move(item=a, offset=1)
    assert list(program.items.values_list("name", flat=True)) == ["B", "A", "C"]
    services.program_item_move(item=c, offset=1)  # already last
    assert list(program.items.values_list("name", flat=True)) == ["B", "A", "C"]
    services.program_items_reorder(program=program, item_ids=[c.pk, b.pk, a.pk])
    assert list(program.items.values_list("name", flat=True)) == ["C", "B", "A"]
    with pytest.raises(ValidationError):
        services.program_items_reorder(program=program, item_ids=[c.pk, b.pk])


def test_refreshing_an_item_takes_the_library_text_and_keeps_the_note(clinician):
    library_item = ModuleItemFactory(text="Old text.", instructions="Old text.", sets=2)
    program = ProgramFactory(owner=clinician)
    item = services.program_add_item(program=program, library_item=library_item)
    item.note = "My note."
    item.sets = 5
    item.save()
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):
        library_item.instructions = "New text."
        library_item.sets = 4
        library_item.save()
    item.refresh_from_db()
    assert item.is_outdated
    assert item.instructions == "Old text."
    services.program_item_refresh(item=item)
    item.refresh_from_db()
    assert (item.instructions, item.sets, item.note) == ("New text.", 4, "My note.")
    assert not item.is_outdated


def test_the_starter_copies_each_exercises_steps_stop_line_and_illustration(
    clinician, gastrocnemius
):
    program = services.program_create_from_muscle(owner=clinician, muscle=gastrocnemius)

    for item in program.items.select_related("library_item"):
        library = item.library_item
        assert item.steps == library.step_texts
        assert item.stop_if == library.stop_if
        assert item.is_advice == library.is_advice
        assert item.illustration_path == library.illustration_path
        if not item.is_advice:
            assert item.steps and item.illustration_path, item.name


def test_the_starter_copies_footwear_items_as_advice(clinician, gastrocnemius):
    program = services.program_create_from_muscle(owner=clinician, muscle=gastrocnemius)

    advice = set(program.items.filter(is_advice=True).values_list("module_kind", flat=True))
    assert advice == {Module.Kind.POSTURE_FOOTWEAR}
    assert program.items.filter(is_advice=True).count() == 3


def test_a_library_step_edited_later_does_not_change_a_programs_copy(clinician, gastrocnemius):
    program = services.program_create_from_muscle(owner=clinician, muscle=gastrocnemius)
    copy = program.items.get(name="Calf Raises")
    step = copy.library_item.steps.order_by("order").first()
    original = list(copy.steps)
    step.text = "A different first step."
    step.save()

    copy.refresh_from_db()
    assert copy.steps == original
    assert "A different first step." not in copy.steps


def test_a_template_is_shared_with_the_practice_and_made_private_again(clinician):
    template = ProgramFactory(owner=clinician, is_template=True)

    services.program_share(program=template, shared=True)
    assert Program.objects.get(pk=template.pk).shared_with_practice
    assert template.shared_with_practice

    services.program_share(program=template, shared=False)
    assert not Program.objects.get(pk=template.pk).shared_with_practice


def test_a_program_that_is_not_a_template_cannot_be_shared(clinician, caplog):
    program = ProgramFactory(owner=clinician, is_template=False)

    with pytest.raises(ValidationError) as refused:
        services.program_share(program=program, shared=True)

    assert refused.value.code == "not_a_template"
    assert not Program.objects.get(pk=program.pk).shared_with_practice
    assert f"Program {program.pk} (owner {clinician.pk}) not shared" in caplog.text


def test_deleting_a_program_keeps_the_patients_copies_made_from_it(clinician):
    item = ProgramItemFactory(program=ProgramFactory(owner=clinician), name="Wall stretch")
    assignment = AssignmentFactory(patient__clinician=clinician, program=item.program)
    assignment.items.create(**item.copied_fields())

    services.program_delete(program=item.program)

    assert not Program.objects.filter(pk=item.program_id).exists()
    assert not ProgramItem.objects.filter(pk=item.pk).exists()
    kept = Assignment.objects.get(pk=assignment.pk)
    assert kept.program is None
    assert list(kept.items.values_list("name", flat=True)) == ["Wall stretch"]
