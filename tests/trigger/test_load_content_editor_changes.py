"""`manage.py load_trigger_content`: An editor's later change is never overwritten without
--force."""

import pytest
from auditlog.models import LogEntry
from django.core.management.base import CommandError

from tests.trigger.loading import (
    CALF_STRETCH_LINE,
    SHIPPED,
    SOLEUS_DOCUMENT,
    copy_shipped,
    edit_differential,
    library_snapshot,
    load_documents,
    module_item,
    write_document,
)
from trigger.models import (
    Module,
    ModuleItem,
    Muscle,
)


def test_a_changed_document_is_refused_after_an_editors_change_and_nothing_changes(
    gastrocnemius, tmp_path, later
):
    later()
    item = module_item(gastrocnemius, "Calf Stretch")
    item.instructions = "The editor's plain-words instructions."
    item.save()
    changed = copy_shipped(
        tmp_path, {CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch."}
    )
    before = library_snapshot()
    log_entries = LogEntry.objects.count()

    with pytest.raises(CommandError, match="--force") as caught:
        load_documents(changed)

    assert "Gastrocnemius" in str(caught.value)
    assert library_snapshot() == before
    assert LogEntry.objects.count() == log_entries
    item.refresh_from_db()
    assert item.instructions == "The editor's plain-words instructions."
    assert not ModuleItem.objects.filter(text__contains="Statement one").exists()


def test_force_lets_the_changed_documents_text_win(gastrocnemius, tmp_path, later):
    later()
    item = module_item(gastrocnemius, "Calf Stretch")
    item.instructions = "The editor's plain-words instructions."
    item.save()
    changed = copy_shipped(
        tmp_path, {CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch."}
    )

    output = load_documents(changed, force=True)

    assert output == "Gastrocnemius: updated\n"
    reloaded = module_item(gastrocnemius, "Calf Stretch")
    assert reloaded.pk == item.pk
    assert reloaded.text == "Statement one about the calf stretch."
    assert reloaded.instructions == "Statement one about the calf stretch."
    assert reloaded.dosage_is_default is True
    # The next plain run sees the forced document as loaded, with nothing edited since.
    assert load_documents(changed) == "Gastrocnemius: unchanged\n"


def test_reloading_the_unchanged_document_keeps_the_editors_change(gastrocnemius, later):
    later()
    item = module_item(gastrocnemius, "Calf Stretch")
    item.instructions = "The editor's plain-words instructions."
    item.save()
    before = library_snapshot()

    output = load_documents()

    assert output == "Gastrocnemius: unchanged\n"
    assert library_snapshot() == before
    item.refresh_from_db()
    assert item.instructions == "The editor's plain-words instructions."


def _edit_muscle(muscle: Muscle) -> None:
    muscle.introduction = "Rewritten by the editor."
    muscle.save()


def _edit_section_text(muscle: Muscle) -> None:
    text = muscle.section_texts.get(kind="indications")
    text.lead = "Rewritten by the editor."
    text.save()


def _edit_section_item(muscle: Muscle) -> None:
    item = muscle.section_items.filter(kind="symptoms").first()
    item.note = "Rewritten by the editor."
    item.save()


def _edit_referral_zone(muscle: Muscle) -> None:
    zone = muscle.referral_zones.first()
    zone.mimics = "Rewritten by the editor."
    zone.save()


def _edit_association(muscle: Muscle) -> None:
    association = muscle.associations.first()
    association.note = "Rewritten by the editor."
    association.save()


def _edit_module(muscle: Muscle) -> None:
    module = muscle.modules.get(name="Manual Therapy")
    module.setting = Module.Setting.HOME
    module.save()


def _edit_source(muscle: Muscle) -> None:
    source = muscle.sources.first()
    source.citation = "Rewritten by the editor."
    source.save()


def _add_module_item(muscle: Muscle) -> None:
    ModuleItem.objects.create(
        module=muscle.modules.get(name="Stretching"),
        name="Editor's stretch",
        text="Added by the editor.",
        order=9,
    )


@pytest.mark.parametrize(
    "edit",
    [
        _edit_muscle,
        _edit_section_text,
        _edit_section_item,
        _edit_referral_zone,
        edit_differential,
        _edit_association,
        _edit_module,
        _edit_source,
        _add_module_item,
    ],
    ids=lambda edit: edit.__name__.lstrip("_"),
)
def test_an_editors_change_to_any_row_blocks_a_changed_document(
    gastrocnemius, tmp_path, later, edit
):
    later()
    edit(gastrocnemius)
    changed = copy_shipped(
        tmp_path, {CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch."}
    )
    before = library_snapshot()

    with pytest.raises(CommandError, match="--force"):
        load_documents(changed)

    assert library_snapshot() == before


def test_an_editors_deletion_blocks_a_changed_document(gastrocnemius, tmp_path, later):
    """An exercise the editor deleted (on its own admin page) must not silently come back."""
    later()
    module_item(gastrocnemius, "Toe Walking").delete()
    changed = copy_shipped(
        tmp_path, {CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch."}
    )

    with pytest.raises(CommandError, match="--force"):
        load_documents(changed)

    assert not ModuleItem.objects.filter(name="Toe Walking").exists()


def test_loading_one_muscle_never_makes_another_look_edited(db, tmp_path):
    """Only an editor's change blocks a reload, not the back-link another document writes."""
    soleus_text = SOLEUS_DOCUMENT.replace(
        "  • Gastrocnemius (note on the gastrocnemius link)\n\n", ""
    )
    load_documents(SHIPPED)
    soleus = write_document(tmp_path, "soleus-trigger-points.txt", soleus_text)
    load_documents(soleus)
    load_documents(
        copy_shipped(
            tmp_path, {CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch."}
        )
    )

    soleus.write_text(soleus_text.replace("Statement one", "Statement one, changed"))
    output = load_documents(soleus)

    assert output == "Soleus: updated\n"
    assert Muscle.objects.get(slug="soleus").introduction.startswith(
        "Statement one, changed about the soleus."
    )
