"""`manage.py load_trigger_content`: A bad document or defaults file is refused with a clear
error naming the line, and nothing is loaded."""

import pytest
from auditlog.models import LogEntry
from django.core.management.base import CommandError

from tests.trigger.loading import (
    CALF_STRETCH_LINE,
    MINIMAL,
    NAME_AREA,
    SHIPPED,
    TITLE,
    append_to_defaults,
    copy_shipped,
    edit_differential,
    library_snapshot,
    load_documents,
    write_document,
    write_soleus,
)
from trigger.models import (
    BodyRegion,
    ModuleItem,
    Muscle,
)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "the document is empty"),
        ("\n   \n\n", 1, "the document is empty"),
        (
            "Introduction\n\nStatement one about the soleus.\n",
            1,
            "the first line must be the document's title",
        ),
        (
            "Soleus Trigger Points\n\nIntroduction\n\nStatement one about the soleus.\n",
            5,
            "no 'Name and Area' section",
        ),
        (
            "Soleus Trigger Points\n\nName and Area\n\n  • Area: Statement one.\n",
            3,
            "needs a 'Name:' bullet",
        ),
        (
            TITLE + "Statement one about the soleus.\n\n" + NAME_AREA,
            3,
            "text before the first section heading",
        ),
        (
            MINIMAL + "\nCorrective Actions\n\n  • Statement one about the soleus.\n",
            9,
            "a corrective action must follow a module heading",
        ),
        (
            MINIMAL + "\nIndications\n\n  • Indication one\n\nIndications\n\n  • Indication two\n",
            11,
            "the section 'Indications' appears twice",
        ),
        (
            MINIMAL + "\nMuscle Action\n\n  • Action one\n\nMuscle Actions\n\n  • Action two\n",
            11,
            "the section 'Muscle Actions' appears twice",
        ),
        (
            MINIMAL + "\nAnatomy and Innervation\n\nMuscle Origin Insertion Innervation\n"
            "Soleus Tibia Calcaneus Tibial nerve\n",
            10,
            "the anatomy row has 2 cells where the header has 4",
        ),
        (
            MINIMAL + "\nAnatomy and Innervation\n\nMuscle\tOrigin\tInsertion\tInnervation\n"
            "Soleus\tTibia\tTibial nerve (S1–S2)\n",
            10,
            "the anatomy row has 3 cells where the header has 4",
        ),
        (
            MINIMAL + "\nAnatomy and Innervation\n\nMuscle Origin Insertion Innervation\n",
            7,
            "the anatomy section has no table row",
        ),
        (
            MINIMAL + "\nIndications\n\n  • One\n\nClosing paragraph.\n\n  • Two\n",
            13,
            "a bullet after the section's closing paragraph",
        ),
        (
            MINIMAL + "\nCorrective Actions\n\nStretching\n",
            7,
            "the module 'Stretching' has no bullets",
        ),
    ],
    ids=[
        "empty-file",
        "blank-lines-only",
        "heading-as-title",
        "no-name-and-area",
        "no-name-bullet",
        "text-before-first-heading",
        "corrective-bullet-before-module",
        "duplicated-section",
        "duplicated-section-alias",
        "anatomy-row-unsplittable",
        "anatomy-row-too-few-tab-cells",
        "anatomy-without-row",
        "bullet-after-closing-paragraph",
        "module-without-bullets",
    ],
)
def test_a_bad_document_is_refused_naming_the_line_and_nothing_is_loaded(
    db, tmp_path, text, line, message
):
    path = write_document(tmp_path, "soleus-trigger-points.txt", text)

    with pytest.raises(CommandError, match=rf"line {line}: ") as caught:
        load_documents(path)

    assert str(caught.value).startswith(f"{path}: line {line}: ")
    assert message in str(caught.value)
    assert Muscle.objects.count() == 0
    assert BodyRegion.objects.count() == 0
    assert LogEntry.objects.count() == 0


def test_the_minimal_document_used_by_the_bad_document_tests_is_itself_valid(db, tmp_path):
    assert (
        load_documents(write_document(tmp_path, "soleus-trigger-points.txt", MINIMAL))
        == "Soleus: created\n"
    )


def test_an_unreadable_document_is_refused_naming_the_file(db, tmp_path):
    missing = tmp_path / "missing.txt"
    not_text = tmp_path / "binary.txt"
    not_text.write_bytes(b"\xff\xfe\x00binary")

    with pytest.raises(CommandError, match="missing.txt: cannot read the document"):
        load_documents(missing)
    with pytest.raises(CommandError, match="binary.txt: cannot read the document"):
        load_documents(not_text)
    assert Muscle.objects.count() == 0


def test_when_the_second_document_is_bad_the_first_is_not_loaded_either(db, tmp_path):
    bad = write_document(
        tmp_path, "bad.txt", MINIMAL + "\nCorrective Actions\n\n  • Statement one.\n"
    )

    with pytest.raises(CommandError, match="bad.txt: line 9: "):
        load_documents(SHIPPED, bad)

    assert Muscle.objects.count() == 0
    assert ModuleItem.objects.count() == 0
    assert LogEntry.objects.count() == 0


def test_when_the_second_document_fails_while_writing_the_first_is_rolled_back(db, tmp_path):
    bad = copy_shipped(tmp_path, name="other-gastrocnemius.txt")
    append_to_defaults(
        bad,
        '[[item]]\nmodule = "Stretching"\nname = "Statement one stretch"\n'
        'source = "Placeholder source"\n',
    )

    with pytest.raises(CommandError, match="Statement one stretch"):
        load_documents(write_soleus(tmp_path), bad)

    assert Muscle.objects.count() == 0
    assert BodyRegion.objects.count() == 0
    assert LogEntry.objects.count() == 0


def test_when_the_second_document_is_refused_for_an_editors_change_the_first_is_not_loaded(
    gastrocnemius, tmp_path, later
):
    later()
    edit_differential(gastrocnemius)
    changed = copy_shipped(
        tmp_path, {CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch."}
    )
    before = library_snapshot()

    with pytest.raises(CommandError, match="--force"):
        load_documents(write_soleus(tmp_path), changed)

    assert library_snapshot() == before
    assert not Muscle.objects.get(slug="soleus").has_content


def test_a_defaults_file_naming_an_item_the_document_does_not_have_is_refused(db, tmp_path):
    path = copy_shipped(tmp_path)
    append_to_defaults(
        path,
        '[[item]]\nmodule = "Stretching"\nname = "Statement one stretch"\n'
        'source = "Placeholder source"\nreps = 2\n',
    )

    with pytest.raises(CommandError, match="'Statement one stretch': the document has no such"):
        load_documents(path)

    assert Muscle.objects.count() == 0
    assert ModuleItem.objects.count() == 0
    assert LogEntry.objects.count() == 0


def test_a_defaults_error_names_the_defaults_file(db, tmp_path):
    """With several documents, the editor must learn which sidecar to fix."""
    path = copy_shipped(tmp_path)
    append_to_defaults(
        path,
        '[[item]]\nmodule = "Stretching"\nname = "Statement one stretch"\n'
        'source = "Placeholder source"\nreps = 2\n',
    )

    with pytest.raises(CommandError) as caught:
        load_documents(write_soleus(tmp_path), path)

    assert "gastrocnemius-trigger-points.defaults.toml" in str(caught.value)


BAD_DEFAULTS = {
    "item-under-another-module": (
        '[[item]]\nmodule = "Stretching"\nname = "Calf Raises"\n'
        'source = "Placeholder source"\nreps = 2\n',
        "Calf Raises",
    ),
    "out-of-range-dosage": (
        '[[item]]\nmodule = "Strengthening Exercises"\nname = "Toe Walking"\n'
        'source = "Placeholder source"\ntimes_per_day = 9\n',
        "Toe Walking",
    ),
    "no-source": (
        '[[item]]\nmodule = "Strengthening Exercises"\nname = "Toe Walking"\nreps = 2\n',
        "Toe Walking",
    ),
    "not-toml": ("[[item]\n", "gastrocnemius-trigger-points.defaults.toml"),
}


@pytest.mark.parametrize(("appended", "named"), BAD_DEFAULTS.values(), ids=BAD_DEFAULTS.keys())
def test_a_bad_defaults_entry_gives_a_clear_error_and_nothing_is_loaded(
    db, tmp_path, appended, named
):
    path = copy_shipped(tmp_path)
    append_to_defaults(path, appended)

    with pytest.raises(CommandError) as caught:
        load_documents(path)

    assert named in str(caught.value)
    assert Muscle.objects.count() == 0
    assert ModuleItem.objects.count() == 0
