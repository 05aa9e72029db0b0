"""`manage.py load_trigger_content`: Default dosages, steps and stop lines come from the
document's defaults sidecar, with their source."""

import pytest
from django.core.management.base import CommandError

from tests.trigger.loading import (
    copy_shipped,
    load_documents,
    module_item,
    shipped_defaults,
)
from trigger.models import (
    Module,
    ModuleItem,
    Muscle,
)
from trigger.services import defaults_path


@pytest.mark.parametrize(
    ("name", "dosage"),
    [
        ("Calf Stretch", {"hold_seconds": 30, "reps": 3, "times_per_day": 2, "days_per_week": 7}),
        ("Wall Stretch", {"hold_seconds": 30, "reps": 3, "times_per_day": 2, "days_per_week": 7}),
        ("Calf Raises", {"sets": 3, "reps": 10}),
        ("Toe Walking", {"sets": 3, "reps": 20}),
        (
            "Eccentric Heel Drops",
            {"sets": 3, "reps": 15, "times_per_day": 2, "days_per_week": 7},
        ),
    ],
)
def test_a_home_item_without_a_dosage_in_the_document_carries_the_cited_default(
    gastrocnemius, name, dosage
):
    item = module_item(gastrocnemius, name)
    every_field = dict.fromkeys(
        ("sets", "reps", "hold_seconds", "rest_seconds", "times_per_day", "days_per_week")
    )

    assert {field: getattr(item, field) for field in every_field} == {**every_field, **dosage}
    assert item.dosage_is_default is True
    assert item.dosage_source == shipped_defaults()[name]["source"]
    assert item.dosage_source
    item.full_clean()


@pytest.mark.parametrize(
    "name",
    [
        "Wear supportive shoes with proper heel cushioning",
        "Use custom orthotics to improve foot and ankle alignment",
        "Avoid prolonged standing without proper movement or support",
        "Trigger Point Release",
    ],
)
def test_an_item_without_a_default_has_no_dosage(gastrocnemius, name):
    item = module_item(gastrocnemius, name)

    assert (
        item.sets,
        item.reps,
        item.hold_seconds,
        item.rest_seconds,
        item.times_per_day,
        item.days_per_week,
    ) == (None,) * 6
    assert item.dosage_is_default is False
    assert item.dosage_source == ""


HOME_EXERCISES = [
    "Calf Stretch",
    "Wall Stretch",
    "Calf Raises",
    "Toe Walking",
    "Eccentric Heel Drops",
]
ADVICE = [
    "Wear supportive shoes with proper heel cushioning",
    "Use custom orthotics to improve foot and ankle alignment",
    "Avoid prolonged standing without proper movement or support",
]


def test_every_home_exercise_of_the_seed_is_loaded_with_steps_a_stop_line_and_their_source(
    gastrocnemius,
):
    # The document's own exercises; the progressions it does not name are defaults of their
    # own, with steps too (tests/trigger/test_progressions.py).
    exercises = ModuleItem.objects.filter(
        module__muscle=gastrocnemius,
        module__setting=Module.Setting.HOME,
        is_advice=False,
        is_default_item=False,
    )
    assert sorted(exercises.values_list("name", flat=True)) == sorted(HOME_EXERCISES)
    for item in exercises:
        shipped = shipped_defaults()[item.name]
        assert item.step_texts == shipped["steps"], item.name
        assert len(item.step_texts) >= 3, item.name
        assert item.stop_if == shipped["stop_if"]
        assert "Stop" in item.stop_if
        assert item.steps_are_default is True
        assert item.steps_source == shipped["steps_source"] and item.steps_source
        # The seed's own sentence stays: what the exercise is for.
        assert item.instructions == item.text
        assert item.illustration_path == f"illustrations/{shipped['illustration']}.svg"
        assert item.illustration_alt
        item.full_clean()


def test_the_steps_are_written_in_plain_words_from_their_sources(gastrocnemius):
    heel_drops = module_item(gastrocnemius, "Eccentric Heel Drops")
    assert heel_drops.instructions == "Helps prevent Achilles tendinitis and improves flexibility."
    assert "Alfredson" in heel_drops.steps_source
    assert "below the level of the step" in " ".join(heel_drops.step_texts)
    assert "discomfort" in heel_drops.stop_if
    assert "Rise onto your toes." in module_item(gastrocnemius, "Toe Walking").step_texts


@pytest.mark.parametrize("name", ADVICE)
def test_the_footwear_module_is_advice_without_steps_or_dosage(gastrocnemius, name):
    item = module_item(gastrocnemius, name)

    assert item.is_advice is True
    assert item.step_texts == []
    assert item.dosage_is_default is False
    assert item.illustration == ""


def test_exercises_and_clinic_treatments_are_not_advice(gastrocnemius):
    not_advice = ModuleItem.objects.filter(module__muscle=gastrocnemius).exclude(name__in=ADVICE)
    # The document's 8 exercises and clinic treatments, and the 2 calf-raise progressions.
    assert not_advice.count() == 10
    assert not not_advice.filter(is_advice=True).exists()


def test_an_editors_change_to_a_step_blocks_a_changed_document(gastrocnemius, tmp_path, later):
    step = module_item(gastrocnemius, "Calf Raises").steps.order_by("order").first()
    step.text = "Rise onto your toes, slowly."
    step.save()
    path = copy_shipped(tmp_path, {"Toe Walking: Improves": "Toe Walking: Builds"})

    with pytest.raises(CommandError, match="changed in the admin"):
        load_documents(path)

    step.refresh_from_db()
    assert step.text == "Rise onto your toes, slowly."


BAD_STEPS = {
    "steps-without-source": (
        'steps = ["Stand up."]\n',
        "default steps must cite their source",
    ),
    "steps-not-a-list": (
        'steps = "Stand up."\nsteps_source = "A source"\n',
        "steps must be a list",
    ),
    "unknown-illustration": (
        'illustration = "no-such-drawing"\nillustration_alt = "A drawing"\n',
        "no illustration named 'no-such-drawing'",
    ),
    "illustration-without-alt": ('illustration = "calf-raises"\n', "needs a description"),
}


@pytest.mark.parametrize(("extra", "message"), BAD_STEPS.values(), ids=BAD_STEPS.keys())
def test_bad_steps_or_illustrations_in_the_defaults_are_refused_and_nothing_is_loaded(
    db, tmp_path, extra, message
):
    path = copy_shipped(tmp_path)
    defaults = defaults_path(path)
    # Replace the calf raises' entry's steps, source and drawing by the bad ones.
    text = defaults.read_text(encoding="utf-8")
    start = text.index('name = "Calf Raises"')
    end = text.index("[[item]]", start)
    entry = text[start:end]
    kept = "\n".join(
        line for line in entry.splitlines() if line.startswith(("name", "sets", "reps", "source"))
    )
    defaults.write_text(text[:start] + kept + "\n" + extra + "\n" + text[end:], encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        load_documents(path)

    assert Muscle.objects.count() == 0
    assert ModuleItem.objects.count() == 0
