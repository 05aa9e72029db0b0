"""`manage.py load_trigger_content`: A changed document keeps the module items that still
exist, so programs keep their links."""

from tests.factories import ProgramItemFactory
from tests.trigger.loading import (
    CALF_STRETCH_LINE,
    TOE_WALKING_LINE,
    copy_shipped,
    drop_default,
    load_documents,
    module_item,
    module_items,
)
from trigger.models import (
    Module,
    ModuleItem,
)


def test_a_changed_document_keeps_the_primary_keys_of_items_that_still_exist(
    gastrocnemius, tmp_path
):
    before = {
        (item.module.name, item.name): item.pk
        for item in ModuleItem.objects.filter(module__muscle=gastrocnemius)
    }
    modules_before = dict(gastrocnemius.modules.values_list("name", "pk"))
    calf_stretch_copy = ProgramItemFactory(library_item=module_item(gastrocnemius, "Calf Stretch"))
    toe_walking_copy = ProgramItemFactory(library_item=module_item(gastrocnemius, "Toe Walking"))
    changed = copy_shipped(
        tmp_path,
        {
            CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch.",
            TOE_WALKING_LINE: "",
        },
    )
    drop_default(changed, "Toe Walking")

    output = load_documents(changed)

    assert output == "Gastrocnemius: updated\n"
    after = {
        (item.module.name, item.name): item.pk
        for item in ModuleItem.objects.filter(module__muscle=gastrocnemius)
    }
    assert after == {
        key: pk for key, pk in before.items() if key != ("Strengthening Exercises", "Toe Walking")
    }
    assert dict(gastrocnemius.modules.values_list("name", "pk")) == modules_before
    assert module_items(gastrocnemius)["Strengthening Exercises"] == [
        "Calf Raises",
        "Eccentric Heel Drops",
        "Calf Raises on One Leg",
        "Calf Raises on a Step",
    ]
    assert (
        module_item(gastrocnemius, "Calf Stretch").text == "Statement one about the calf stretch."
    )
    assert not ModuleItem.objects.filter(name="Toe Walking").exists()
    calf_stretch_copy.refresh_from_db()
    toe_walking_copy.refresh_from_db()
    assert calf_stretch_copy.library_item_id == before[("Stretching", "Calf Stretch")]
    assert toe_walking_copy.library_item is None


def test_a_changed_document_adds_a_new_item_and_removes_a_module_it_no_longer_has(
    gastrocnemius, tmp_path
):
    dry_needling = gastrocnemius.modules.get(name="Dry Needling")
    dry_needling_items = list(dry_needling.items.values_list("pk", flat=True))
    wall_stretch = module_item(gastrocnemius, "Wall Stretch")
    changed = copy_shipped(
        tmp_path,
        {
            "Dry Needling\n\n  • Dry needling can release trigger points in the gastrocnemius, "
            "reducing muscle tightness and improving mobility.\n\n": "",
            "keeping the heel on the ground.\n": "keeping the heel on the ground.\n\n"
            "  • Seated Stretch: Statement one about a seated stretch.\n",
        },
    )

    load_documents(changed)

    assert list(gastrocnemius.modules.order_by("order").values_list("name", flat=True)) == [
        "Manual Therapy",
        "Stretching",
        "Strengthening Exercises",
        "Postural and Footwear Adjustments",
    ]
    assert not Module.objects.filter(pk=dry_needling.pk).exists()
    assert not ModuleItem.objects.filter(pk__in=dry_needling_items).exists()
    assert module_items(gastrocnemius)["Stretching"] == [
        "Calf Stretch",
        "Wall Stretch",
        "Seated Stretch",
    ]
    assert module_item(gastrocnemius, "Wall Stretch").pk == wall_stretch.pk
    seated = module_item(gastrocnemius, "Seated Stretch")
    assert (seated.dosage_is_default, seated.hold_seconds) == (False, None)
