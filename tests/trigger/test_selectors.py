"""trigger.selectors: what the library and the builder's library browser choose to show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import BodyRegionFactory, ModuleFactory, ModuleItemFactory, MuscleFactory
from trigger import selectors
from trigger.models import Module, ReferralZone

pytestmark = pytest.mark.django_db


@pytest.fixture
def library():
    calf, thigh, shin = (MuscleFactory(name=name) for name in ("Calf", "Thigh", "Shin"))
    heel = BodyRegionFactory(name="Heel")
    ReferralZone.objects.create(muscle=calf, region=heel, text="back of the heel")
    stretching = ModuleFactory(muscle=calf, kind=Module.Kind.STRETCHING)
    needling = ModuleFactory(
        muscle=shin, kind=Module.Kind.DRY_NEEDLING, setting=Module.Setting.CLINIC
    )
    ModuleItemFactory(module=stretching, name="Wall lean", text="Lean on a wall.")
    ModuleItemFactory(module=needling, name="Needle release", text="Needle.")
    ModuleItemFactory(
        module=ModuleFactory(muscle=thigh, kind=Module.Kind.STRENGTHENING),
        name="Thigh raise",
        text="Rise up.",
    )
    return {"calf": calf, "thigh": thigh, "shin": shin, "heel": heel}


def names(items) -> list[str]:
    return [item.name for item in items]


def test_a_clinic_only_item_is_never_a_home_item(library):
    assert names(selectors.home_items_matching()) == ["Wall lean", "Thigh raise"]
    assert names(selectors.home_items_matching(q="needle")) == []


def test_the_home_items_filter_by_words_muscle_kind_and_where_pain_is_referred(library):
    assert names(selectors.home_items_matching(q="wall")) == ["Wall lean"]
    assert names(selectors.home_items_matching(muscle=library["thigh"])) == ["Thigh raise"]
    assert names(selectors.home_items_matching(kind=Module.Kind.STRENGTHENING)) == ["Thigh raise"]
    assert names(selectors.home_items_matching(region=library["heel"])) == ["Wall lean"]


def test_only_muscles_with_a_home_item_are_offered_for_a_starter(library):
    assert names(selectors.muscles_with_home_items()) == ["Calf", "Thigh"]


def test_a_muscle_is_found_by_its_name_or_by_where_it_hurts(library):
    assert names(selectors.muscles_matching(q="thig")) == ["Thigh"]
    assert names(selectors.muscles_matching(q="heel")) == ["Calf"]
    assert names(selectors.muscles_matching(region=library["heel"])) == ["Calf"]


def test_a_muscles_whole_content_takes_the_same_queries_however_many_rows(library):
    for index in range(5):
        ReferralZone.objects.create(muscle=library["calf"], region=library["heel"], order=index)

    def queries_for(slug: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            muscle = selectors.muscles_with_content().get(slug=slug)
            list(muscle.referral_zones.all())
            for module in muscle.modules.all():
                list(module.items.all())
        return len(captured)

    assert queries_for(library["calf"].slug) == queries_for(library["thigh"].slug)
