"""Outcome measures are data: the PSFS is loaded from trigger/content/instruments.toml
once, scored by its rule (the mean), and judged against its MCID in both directions."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from trigger.instruments_load import INSTRUMENTS_DATA, instruments_load
from trigger.models import AnswerOption, Instrument, InstrumentItem
from trigger.services import ContentError, EditedSinceLoad

pytestmark = pytest.mark.django_db


def test_the_psfs_is_loaded_with_its_rule_range_mcid_and_source(psfs):
    assert psfs.scoring == Instrument.Scoring.MEAN
    assert (psfs.score_min, psfs.score_max) == (Decimal("0"), Decimal("10"))
    assert psfs.higher_is_better
    assert psfs.mcid == Decimal("2") and psfs.item_mcid == Decimal("3")
    assert (psfs.named_items_min, psfs.named_items_max) == (3, 5)
    assert "Physiotherapy Canada 1995;47:258-263" in psfs.source
    assert "own words" in psfs.licence_note
    item = psfs.items.get()
    assert (item.min_value, item.max_value) == (0, 10)
    assert item.min_label.startswith("0 =") and item.max_label.startswith("10 =")


def test_loading_again_changes_nothing(psfs):
    before = list(Instrument.objects.values()), list(InstrumentItem.objects.values())
    results = instruments_load()
    assert [r.status for r in results] == ["unchanged"]
    assert (list(Instrument.objects.values()), list(InstrumentItem.objects.values())) == before


def test_the_command_loads_the_instruments_with_the_library(db):
    out = io.StringIO()
    call_command("load_trigger_content", verbosity=2, stdout=out)
    assert "Patient-Specific Functional Scale: created" in out.getvalue()
    out = io.StringIO()
    call_command("load_trigger_content", verbosity=2, stdout=out)
    assert "Patient-Specific Functional Scale: unchanged" in out.getvalue()


def test_an_editors_change_is_kept_and_a_changed_file_does_not_overwrite_it(psfs, tmp_path):
    psfs.mcid = Decimal("2.5")
    psfs.save()
    assert [r.status for r in instruments_load()] == ["kept the editors' changes"]
    psfs.refresh_from_db()
    assert psfs.mcid == Decimal("2.5")

    changed = tmp_path / "instruments.toml"
    changed.write_text(INSTRUMENTS_DATA.read_text().replace("item_mcid = 3", "item_mcid = 4"))
    with pytest.raises(EditedSinceLoad, match="--force"):
        instruments_load(path=changed)
    instruments_load(path=changed, force=True)
    psfs.refresh_from_db()
    assert psfs.mcid == Decimal("2") and psfs.item_mcid == Decimal("4")


def test_a_clinic_enters_a_choice_instrument_with_answer_options(tmp_path: Path):
    data = tmp_path / "instruments.toml"
    data.write_text(
        """
[[instrument]]
slug = "clinic-scale"
name = "Clinic scale"
short_name = "CS"
instructions = "Answer both."
scoring = "sum"
score_min = 0
score_max = 4
direction = "lower"
mcid = 1
source = "The clinic's licensed copy"
licence_note = "Licensed to the clinic"

[[instrument.item]]
text = "First"
kind = "choice"
min_value = 0
max_value = 2
[[instrument.item.option]]
label = "Never"
value = 0
[[instrument.item.option]]
label = "Always"
value = 2

[[instrument.item]]
text = "Second"
min_value = 0
max_value = 2
"""
    )
    [result] = instruments_load(path=data)
    scale = result.instrument
    assert [i.text for i in scale.items.all()] == ["First", "Second"]
    assert list(AnswerOption.objects.values_list("label", "value")) == [
        ("Never", 0),
        ("Always", 2),
    ]
    assert scale.items.first().allowed_values() == [0, 2]
    assert scale.score([2, 1]) == Decimal("3")
    # Lower is better: down by the MCID is an improvement.
    assert scale.change(baseline=Decimal("3"), score=Decimal("2")) == "improved"
    assert scale.change(baseline=Decimal("2"), score=Decimal("3")) == "worse"


def test_a_file_without_a_source_is_refused(tmp_path: Path):
    data = tmp_path / "instruments.toml"
    data.write_text(INSTRUMENTS_DATA.read_text().replace('source = "Stratford', 'sauce = "x'))
    with pytest.raises(ContentError, match="source"):
        instruments_load(path=data)
    assert not Instrument.objects.exists()


@pytest.mark.parametrize(
    ("ratings", "score"),
    [([3, 4, 5], "4.0"), ([2, 3, 3], "2.7"), ([0, 0, 0, 1], "0.3"), ([10, 9, 8, 7, 6], "8.0")],
)
def test_the_psfs_score_is_the_mean_of_the_activities_to_one_decimal(psfs, ratings, score):
    assert psfs.score(ratings) == Decimal(score)


@pytest.mark.parametrize(
    ("baseline", "score", "change"),
    [
        ("3.0", "5.0", "improved"),  # up by exactly the MCID of 2
        ("3.0", "4.9", ""),  # just short of it
        ("6.0", "4.0", "worse"),  # down by 2
        ("6.0", "4.1", ""),
        ("2.0", "9.0", "improved"),
    ],
)
def test_a_change_of_the_psfs_mean_is_marked_when_it_reaches_two_points(
    psfs, baseline, score, change
):
    assert psfs.change(baseline=Decimal(baseline), score=Decimal(score)) == change


def test_one_activity_is_judged_against_three_points(psfs):
    assert psfs.change(baseline=Decimal(2), score=Decimal(4), mcid=psfs.item_mcid) == ""
    assert psfs.change(baseline=Decimal(2), score=Decimal(5), mcid=psfs.item_mcid) == "improved"
    assert psfs.change(baseline=Decimal(7), score=Decimal(4), mcid=psfs.item_mcid) == "worse"
