"""dosage_in_words: one dosage always reads the same, in the library and the builder."""

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from trigger.dosage import dosage_in_words, duration_in_words
from trigger.models import ModuleItem

NOTHING = {
    "sets": None,
    "reps": None,
    "hold_seconds": None,
    "rest_seconds": None,
    "times_per_day": None,
    "days_per_week": None,
}


def words(**given_fields) -> str:
    return dosage_in_words(**{**NOTHING, **given_fields})


def test_it_says_nothing_when_nothing_is_set():
    assert words() == ""


def test_zero_counts_as_not_set():
    assert words(sets=0, reps=0, hold_seconds=0, rest_seconds=0) == ""


def test_it_refuses_a_negative_number():
    with pytest.raises(ValueError, match="reps"):
        words(reps=-1)


def test_it_reads_sets_of_reps_twice_a_day():
    assert words(sets=3, reps=15, times_per_day=2) == "3 sets of 15, twice a day"


def test_it_reads_a_held_stretch_repeated_every_day():
    assert (
        words(hold_seconds=30, reps=3, times_per_day=2, days_per_week=7)
        == "hold 30 seconds, repeat 3 times, twice a day, every day"
    )


def test_it_reads_the_seed_eccentric_heel_drop_default():
    assert (
        words(sets=3, reps=15, times_per_day=2, days_per_week=7)
        == "3 sets of 15, twice a day, every day"
    )


@pytest.mark.parametrize(
    ("times", "expected"),
    [(1, "once a day"), (2, "twice a day"), (3, "3 times a day"), (6, "6 times a day")],
)
def test_it_names_how_often_a_day(times, expected):
    assert words(times_per_day=times) == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [(1, "1 day a week"), (5, "5 days a week"), (7, "every day")],
)
def test_it_names_how_many_days_a_week(days, expected):
    assert words(days_per_week=days) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"sets": 1, "reps": 10}, "1 set of 10"),
        ({"sets": 2}, "2 sets"),
        ({"sets": 1}, "1 set"),
        ({"reps": 10}, "repeat 10 times"),
        ({"reps": 1}, "one repetition"),
        ({"hold_seconds": 1}, "hold 1 second"),
        ({"hold_seconds": 90}, "hold 90 seconds"),
        ({"hold_seconds": 120}, "hold 2 minutes"),
        ({"hold_seconds": 60}, "hold 1 minute"),
    ],
)
def test_it_uses_singular_and_plural_forms(fields, expected):
    assert words(**fields) == expected


def test_with_sets_the_hold_follows_the_volume():
    assert words(sets=3, reps=10, hold_seconds=5) == "3 sets of 10, hold 5 seconds"


def test_rest_is_between_sets_when_there_are_several():
    assert (
        words(sets=3, reps=10, rest_seconds=60, times_per_day=1)
        == "3 sets of 10, rest 1 minute between sets, once a day"
    )


def test_rest_is_between_repetitions_without_sets():
    assert (
        words(hold_seconds=30, reps=3, rest_seconds=15)
        == "hold 30 seconds, repeat 3 times, rest 15 seconds between repetitions"
    )


def test_a_lone_rest_is_still_said():
    assert words(rest_seconds=45) == "rest 45 seconds"


def test_duration_in_words_keeps_odd_seconds_in_seconds():
    assert duration_in_words(61) == "61 seconds"
    assert duration_in_words(600) == "10 minutes"


def test_every_phrase_goes_through_the_translation_catalogue(monkeypatch):
    """Fake catalogues bracket what they translate: nothing is said outside a bracket."""
    import trigger.dosage as dosage

    separators = []
    monkeypatch.setattr(dosage, "gettext", lambda message: f"[{message}]")
    monkeypatch.setattr(
        dosage,
        "ngettext",
        lambda singular, plural, number: f"[{singular if number == 1 else plural}]",
    )
    monkeypatch.setattr(
        dosage, "pgettext", lambda context, message: separators.append(message) or " / "
    )

    result = words(
        sets=3, reps=15, hold_seconds=5, rest_seconds=30, times_per_day=2, days_per_week=5
    )

    assert result == (
        "[3 sets of 15] / [hold [5 seconds]] / [rest [30 seconds] between sets]"
        " / [twice a day] / [5 days a week]"
    )
    assert separators == [", "]


dosage_numbers = st.one_of(st.none(), st.integers(min_value=0, max_value=600))


@given(
    sets=dosage_numbers,
    reps=dosage_numbers,
    hold_seconds=dosage_numbers,
    rest_seconds=dosage_numbers,
    times_per_day=dosage_numbers,
    days_per_week=dosage_numbers,
)
def test_it_is_empty_exactly_when_nothing_is_set(**fields):
    with translation.override("en"):
        result = dosage_in_words(**fields)
    assert (result == "") == (not any(fields.values()))
    assert not result.startswith(", ")
    assert not result.endswith(", ")
    assert ", , " not in result


def test_the_template_filter_renders_a_module_items_dosage_escaped():
    item = ModuleItem(name="Calf Stretch", text="Stand.", hold_seconds=30, reps=3, times_per_day=2)
    rendered = Template("{% load library %}{{ item|dosage_words }}").render(Context({"item": item}))
    assert rendered == "hold 30 seconds, repeat 3 times, twice a day"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("Calf Stretch", "Stand with one foot behind the other.", "Calf Stretch"),
        ("Wear supportive shoes", "Wear supportive shoes.", ""),
        ("x" * 200, "x" * 250 + ".", ""),
    ],
)
def test_an_item_named_after_its_own_statement_has_no_heading(name, text, expected):
    item = ModuleItem(name=name, text=text)
    rendered = Template("{% load library %}{{ item|item_heading }}").render(Context({"item": item}))
    assert rendered == expected
