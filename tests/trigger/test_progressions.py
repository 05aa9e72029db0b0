"""Progressions: a library exercise names its harder variant (its easier one is the reverse).

The shipped calf raises progress from both legs to one leg, then to the edge of a step;
the document does not name those variants, so they are editable defaults with a source.
"""

import io
import shutil
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from programs.services import program_create_from_muscle
from tests.factories import ClinicianFactory, ModuleItemFactory
from trigger.models import ModuleItem, Muscle
from trigger.services import CONTENT_DIR, defaults_path, muscle_content_fingerprint

SHIPPED = CONTENT_DIR / "gastrocnemius-trigger-points.txt"


def _load(*paths: Path, force: bool = False) -> str:
    out = io.StringIO()
    call_command("load_trigger_content", *[str(p) for p in paths], force=force, stdout=out)
    return out.getvalue()


def _copy_with_defaults(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / SHIPPED.name
    shutil.copy(SHIPPED, path)
    defaults_path(path).write_text(
        defaults_path(SHIPPED).read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8"
    )
    return path


def _item(muscle: Muscle, name: str) -> ModuleItem:
    return ModuleItem.objects.get(module__muscle=muscle, name=name)


def test_calf_raises_progress_from_both_legs_to_one_leg_then_to_a_step(gastrocnemius):
    both = _item(gastrocnemius, "Calf Raises")

    one_leg = both.harder_variant
    step = one_leg.harder_variant

    assert (one_leg.name, step.name) == ("Calf Raises on One Leg", "Calf Raises on a Step")
    assert step.harder_variant is None
    assert step.easier == one_leg
    assert one_leg.easier == both
    assert both.easier is None


def test_the_variants_are_home_items_marked_as_defaults_with_their_source(gastrocnemius):
    for name in ("Calf Raises on One Leg", "Calf Raises on a Step"):
        variant = _item(gastrocnemius, name)

        assert variant.module.name == "Strengthening Exercises"
        assert variant.module.is_home
        assert variant.is_default_item is True
        assert "Dr C. Grant" in variant.item_source
        assert variant.dosage_is_default is True
        assert (variant.sets, variant.reps) == (3, 10)
        variant.full_clean()


def test_the_variants_steps_teach_the_movement(gastrocnemius):
    one_leg = _item(gastrocnemius, "Calf Raises on One Leg")
    step = _item(gastrocnemius, "Calf Raises on a Step")
    one_leg_steps, step_steps = " ".join(one_leg.step_texts), " ".join(step.step_texts)

    assert "balance only" in one_leg_steps
    assert "one foot off the floor" in one_leg_steps
    assert "about 3 seconds" in one_leg_steps
    assert "edge of a step" in step_steps
    assert "below the level of the step" in step_steps
    for variant in (one_leg, step):
        assert "Stop" in variant.stop_if
        assert variant.steps_are_default and "Grant" in variant.steps_source


def test_the_other_exercises_of_the_seed_have_no_variant(gastrocnemius):
    linked = ModuleItem.objects.filter(module__muscle=gastrocnemius, harder_variant__isnull=False)

    assert sorted(linked.values_list("name", flat=True)) == [
        "Calf Raises",
        "Calf Raises on One Leg",
    ]


def test_loading_twice_keeps_the_same_variants_and_chain(gastrocnemius):
    one_leg = _item(gastrocnemius, "Calf Raises on One Leg")

    assert _load() == "Gastrocnemius: unchanged\n"
    assert _load(force=True) == "Gastrocnemius: updated\n"

    assert _item(gastrocnemius, "Calf Raises").harder_variant_id == one_leg.pk
    assert ModuleItem.objects.filter(name__startswith="Calf Raises").count() == 3


def test_an_editors_change_to_a_progression_blocks_a_changed_document(gastrocnemius, tmp_path):
    both = _item(gastrocnemius, "Calf Raises")
    both.harder_variant = None
    both.save()
    changed = _copy_with_defaults(tmp_path, "# a comment changes the checksum\n")

    with pytest.raises(CommandError, match="--force"):
        _load(changed)

    both.refresh_from_db()
    assert both.harder_variant is None


def test_a_library_without_progressions_keeps_its_fingerprint(db):
    item = ModuleItemFactory()
    muscle = item.module.muscle
    before = muscle_content_fingerprint(muscle)

    harder = ModuleItemFactory(module=item.module)

    assert muscle_content_fingerprint(muscle) != before  # a new row is a change
    plain = muscle_content_fingerprint(muscle)
    item.harder_variant = harder
    item.save()
    assert muscle_content_fingerprint(muscle) != plain


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            'module = "Stretching"\nname = "Harder Stretch"\neasier = "No Such Item"\n'
            'instructions = "Do it."\nsource = "A book"',
            "progress from an exercise",
        ),
        (
            'module = "Stretching"\nname = "Harder Stretch"\neasier = "Calf Stretch"\n'
            'instructions = "Do it."',
            "cite its source",
        ),
        (
            'module = "Stretching"\nname = "Harder Stretch"\neasier = "Calf Stretch"\n'
            'source = "A book"',
            "needs instructions",
        ),
        (
            'module = "Stretching"\nname = "Harder Stretch"\neasier = "Calf Stretch"\n'
            'instructions = "Do it."\nsource = "A book"\nsets = 50',
            "sets",
        ),
        (
            'module = "Nowhere"\nname = "Harder Stretch"\neasier = "Calf Stretch"\n'
            'instructions = "Do it."\nsource = "A book"',
            "no such module",
        ),
    ],
)
def test_a_bad_variant_is_refused_with_its_name_and_nothing_is_loaded(db, tmp_path, entry, message):
    path = _copy_with_defaults(tmp_path, f"[[variant]]\n{entry}\n")

    with pytest.raises(CommandError, match=message):
        _load(path)

    assert not ModuleItem.objects.exists()


def test_a_muscles_starter_begins_at_the_easiest_variant(gastrocnemius):
    program = program_create_from_muscle(owner=ClinicianFactory(), muscle=gastrocnemius)

    names = list(program.items.values_list("name", flat=True))
    assert "Calf Raises" in names
    assert "Calf Raises on One Leg" not in names
    assert "Calf Raises on a Step" not in names


def test_an_exercise_cannot_be_its_own_harder_variant(db):
    item = ModuleItemFactory()
    item.harder_variant = item

    with pytest.raises(ValidationError, match="own harder variant"):
        item.full_clean()


def test_a_progression_that_loops_is_refused(db):
    first = ModuleItemFactory()
    second = ModuleItemFactory(module=first.module, harder_variant=None)
    first.harder_variant = second
    first.save()
    second.harder_variant = first

    with pytest.raises(ValidationError, match="loop"):
        second.full_clean()


def test_the_muscle_page_shows_the_progression_and_the_variants_source(
    client, clinician, gastrocnemius
):
    client.force_login(clinician)

    html = client.get(gastrocnemius.get_absolute_url()).content.decode()

    one_leg = _item(gastrocnemius, "Calf Raises on One Leg")
    assert f'Harder variant: <a href="#item-{one_leg.pk}">Calf Raises on One Leg</a>' in html
    assert "Progresses from:" in html
    assert "Not in the source document — an editable default; source: Dr C. Grant" in html
