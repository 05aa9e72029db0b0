"""The body chart is data: its areas are loaded once from trigger/content/body_chart.toml,
each referral zone of a muscle document is placed on it from data (no code per muscle), and a
zone the loader cannot place is reported by name for an editor to place in the admin."""

import io
import logging
from pathlib import Path

from django.core.management import call_command
from django.urls import reverse

from tests.trigger.loading import SOLEUS_DEFAULTS, SOLEUS_DOCUMENT
from trigger.chart import muscles_for_areas, read_chart
from trigger.models import BodyArea, BodyRegion, Muscle

SOLEUS_ZONES = (
    "  • The heel (Note on the heel zone)\n\n"
    "  • The sacroiliac joint (Note on the sacroiliac zone)\n"
)
SECOND_MUSCLE_ZONES = (
    "  • The heel (Note on the heel zone)\n\n"
    "  • The front of the shin (Note on the shin zone)\n\n"
    "  • The inner ear (Note on a zone the chart has no area for)\n"
)


def _load(*paths: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "load_trigger_content", *[str(p) for p in paths], stdout=out, stderr=err, verbosity=1
    )
    return out.getvalue(), err.getvalue()


def _second_muscle(tmp_path: Path) -> Path:
    assert SOLEUS_ZONES in SOLEUS_DOCUMENT
    path = tmp_path / "soleus-trigger-points.txt"
    path.write_text(SOLEUS_DOCUMENT.replace(SOLEUS_ZONES, SECOND_MUSCLE_ZONES), encoding="utf-8")
    path.with_suffix(".defaults.toml").write_text(SOLEUS_DEFAULTS, encoding="utf-8")
    return path


def _placed(slug: str) -> list[str]:
    return sorted(BodyRegion.objects.get(slug=slug).areas.values_list("slug", flat=True))


def test_the_chart_has_front_and_back_areas_with_sides_each_with_an_outline(db):
    _load()
    areas = list(BodyArea.objects.all())
    entries = read_chart()
    assert len(areas) == sum(len(entry.sides) for entry in entries) >= 45
    assert {area.view for area in areas} == {"front", "back"}
    assert {area.side for area in areas} == {"left", "right", "midline"}
    assert all(area.outline.startswith("M") and area.outline.endswith("Z") for area in areas)
    calf = {a.side: a for a in areas if a.name == "Back of calf"}
    assert set(calf) == {"left", "right"}
    # The right calf is the left one mirrored across the middle of the 200-wide view.
    assert calf["left"].outline == "M72,326 L95,326 L92,392 L78,392 Z"
    assert calf["right"].outline == "M128,326 L105,326 L108,392 L122,392 Z"
    assert str(calf["left"]) == "Back of calf, left"


def test_the_area_data_is_loaded_once_and_a_second_load_changes_nothing(db):
    _load()
    before = list(BodyArea.objects.order_by("slug").values())
    placed = {r.slug: _placed(r.slug) for r in BodyRegion.objects.all()}
    _load()
    assert list(BodyArea.objects.order_by("slug").values()) == before
    assert {r.slug: _placed(r.slug) for r in BodyRegion.objects.all()} == placed


def test_an_editors_change_to_an_area_is_kept_by_a_reload(db):
    _load()
    BodyArea.objects.filter(slug="back-of-calf-left").update(name="Calf (back)")
    _load()
    assert BodyArea.objects.get(slug="back-of-calf-left").name == "Calf (back)"


def test_the_seeds_three_zones_are_placed_on_both_sides_of_their_areas(gastrocnemius):
    zones = list(gastrocnemius.referral_zones.select_related("region").order_by("order"))
    assert [_placed(zone.region.slug) for zone in zones] == [
        ["back-of-calf-left", "back-of-calf-right"],
        ["heel-and-sole-left", "heel-and-sole-right"],
        ["back-of-knee-left", "back-of-knee-right"],
    ]
    assert all(area.view == "back" for zone in zones for area in zone.region.areas.all())


def test_the_seed_loads_with_no_unplaced_zone_reported(db):
    out, err = _load()
    assert "Gastrocnemius: created" in out
    assert err == ""


def test_a_second_muscle_places_its_zones_with_no_code_change_and_names_the_one_it_cannot(
    db, tmp_path, caplog
):
    _load()
    with caplog.at_level(logging.WARNING, logger="trigger.services"):
        out, err = _load(_second_muscle(tmp_path))
    soleus = Muscle.objects.get(slug="soleus")
    regions = {zone.text: zone.region for zone in soleus.referral_zones.select_related("region")}
    # The heel shares the gastrocnemius' region; the shin is placed by the chart's own words.
    assert regions["The heel"].slug == "heel-and-sole"
    assert _placed(regions["The front of the shin"].slug) == ["shin-left", "shin-right"]
    assert regions["The front of the shin"].lateral is True
    assert not regions["The inner ear"].areas.exists()
    # The editor is told which zone, of which muscle, and where to place it.
    assert "Soleus: the referral zone “The inner ear” is not on the body chart" in err
    assert "admin" in err
    assert "The heel" not in err and "shin" not in err
    assert f"muscle_id={soleus.pk} zone='The inner ear'" in caplog.text


def test_a_zone_an_editor_placed_in_the_admin_is_found_and_no_longer_reported(db, tmp_path):
    _load()
    path = _second_muscle(tmp_path)
    _load(path)
    ear = BodyRegion.objects.get(zones__text="The inner ear")
    ear.areas.set(BodyArea.objects.filter(slug="head-and-face"))
    soleus = Muscle.objects.get(slug="soleus")

    matches = muscles_for_areas(list(BodyArea.objects.filter(slug="head-and-face")))
    assert [m.muscle for m in matches] == [soleus]
    # Reloading a changed document keeps the editor's placement and reports nothing.
    path.write_text(path.read_text().replace("Statement one", "Statement 1"), encoding="utf-8")
    out, err = _load(path)
    assert "Soleus: updated" in out
    assert err == ""
    assert _placed(ear.slug) == ["head-and-face"]


def test_an_editor_places_an_unplaced_region_on_the_chart_in_the_admin(client, editor, db):
    _load()
    region = BodyRegion.objects.create(slug="inner-ear", name="Inner ear", order=100)
    head = BodyArea.objects.get(slug="head-and-face")
    client.force_login(editor)
    changelist = reverse("admin:trigger_bodyregion_changelist")

    listed = client.get(changelist, {"placed": "no"})
    assert [r.slug for r in listed.context["cl"].result_list] == ["inner-ear"]
    assert "not placed yet" in listed.content.decode()

    response = client.post(
        reverse("admin:trigger_bodyregion_change", args=[region.pk]),
        {"slug": "inner-ear", "name": "Inner ear", "order": 100, "areas": [head.pk]},
    )

    assert response.status_code == 302
    assert _placed("inner-ear") == ["head-and-face"]
    assert "Head and face" in client.get(changelist).content.decode()


def test_a_muscle_page_shows_its_referral_pattern_on_the_chart_beside_the_text(
    client, clinician, gastrocnemius
):
    client.force_login(clinician)

    response = client.get(gastrocnemius.get_absolute_url())

    views = {view.view: view for view in response.context["chart"]}
    assert sorted(area.slug for area in views["back"].marked) == [
        "back-of-calf-left",
        "back-of-calf-right",
        "back-of-knee-left",
        "back-of-knee-right",
        "heel-and-sole-left",
        "heel-and-sole-right",
    ]
    assert views["front"].marked == []
    page = response.content.decode()
    section = page[page.index('id="section-referral"') :]
    section = section[: section.index("</section>")]
    # A picture with a text alternative naming the zones, inside the referral section.
    assert 'role="img"' in section
    assert "the areas Gastrocnemius refers pain to are shaded: The back of the calf;" in section
    assert section.count('class="chart-area is-marked"') == 6
