"""The body chart: its areas (loaded from trigger/content/body_chart.toml), where each
body region is on it, and the clinician's question "it hurts here: which muscles refer
pain there?".

A tool that answers the question, never a diagnosis: the muscles are ranked by how many of
the chosen areas their referral patterns cover, and the urgent differentials come first.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import BodyArea, BodyRegion, Differential, Module, ModuleItem, Muscle, ReferralZone

logger = logging.getLogger(__name__)

CHART_DATA = Path(__file__).resolve().parent / "content" / "body_chart.toml"
VIEW_WIDTH = 200
_NUMBER_PAIR = re.compile(r"(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)")
_WORDS = re.compile(r"[^a-z0-9]+")


class ChartError(Exception):
    """The chart's data file cannot be used; the message says where."""


@dataclass(frozen=True)
class AreaEntry:
    """One [[area]] of the data file: a place on the body, with one chart area per side."""

    key: str
    name: str
    view: str
    sides: tuple[str, ...]
    path: str
    phrases: tuple[str, ...]
    order: int
    always_show: str = ""

    def slug(self, side: str) -> str:
        return self.key if side == BodyArea.Side.MIDLINE else f"{self.key}-{side}"

    def outline(self, side: str) -> str:
        """The path for that side: drawn on the viewer's left, mirrored for the other."""
        viewer_left = BodyArea.Side.RIGHT if self.view == BodyArea.View.FRONT else "left"
        if side in (BodyArea.Side.MIDLINE, viewer_left):
            return self.path
        return mirror_path(self.path)


def mirror_path(path: str) -> str:
    """Reflect a polygon's path data across the view's vertical centre line."""
    return _NUMBER_PAIR.sub(
        lambda m: f"{_number(VIEW_WIDTH - float(m.group(1)))},{m.group(2)}", path
    )


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _normalise(text: str) -> str:
    """Lower case, words only, without "the": "The back of the knee" -> "back of knee"."""
    words = [w for w in _WORDS.split(text.lower()) if w and w != "the"]
    return " ".join(words)


def read_chart(path: Path = CHART_DATA) -> list[AreaEntry]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ChartError(f"{path}: {error}") from error
    entries, seen = [], set()
    for order, raw in enumerate(data.get("area", [])):
        name = str(raw.get("name", "")).strip()
        where = f"{path}: area {name or order!r}"
        key = slugify(name)
        if not key or key in seen:
            raise ChartError(f"{where}: each area needs a name of its own")
        sides = tuple(raw.get("sides", []))
        if sides not in (("midline",), ("left", "right")):
            raise ChartError(f'{where}: sides must be ["left", "right"] or ["midline"]')
        if raw.get("view") not in BodyArea.View.values:
            raise ChartError(f'{where}: view must be "front" or "back"')
        if not str(raw.get("path", "")).startswith("M"):
            raise ChartError(f"{where}: path must be SVG path data starting with M")
        seen.add(key)
        entries.append(
            AreaEntry(
                key=key,
                name=name,
                view=raw["view"],
                sides=sides,
                path=raw["path"],
                phrases=tuple(_normalise(p) for p in [name, *raw.get("phrases", [])]),
                order=order,
                always_show=str(raw.get("always_show", "")),
            )
        )
    return entries


def chart_checksum_bytes() -> bytes:
    return CHART_DATA.read_bytes() if CHART_DATA.exists() else b""


@transaction.atomic
def body_chart_load(*, entries: list[AreaEntry] | None = None, force: bool = False) -> int:
    """Create the chart's areas that do not exist yet; returns how many were created.

    Areas an editor has changed are kept as they are unless ``force``; running it again
    changes nothing.
    """
    entries = read_chart() if entries is None else entries
    existing = {area.slug: area for area in BodyArea.objects.all()}
    created = 0
    for entry in entries:
        for side in entry.sides:
            values = {
                "name": entry.name,
                "view": entry.view,
                "side": side,
                "outline": entry.outline(side),
                "order": entry.order,
                "always_show": entry.always_show,
            }
            area = existing.get(entry.slug(side))
            if area is None:
                BodyArea.objects.create(slug=entry.slug(side), **values)
                created += 1
            elif force and any(getattr(area, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(area, key, value)
                area.save()
    return created


def areas_for_zone(text: str, entries: list[AreaEntry]) -> AreaEntry | None:
    """The chart area a zone's words name (the longest phrase found wins), or None."""
    words = f" {_normalise(text)} "
    best: tuple[int, AreaEntry] | None = None
    for entry in entries:
        for phrase in entry.phrases:
            if phrase and f" {phrase} " in words and (best is None or len(phrase) > best[0]):
                best = (len(phrase), entry)
    return best[1] if best else None


def region_place(
    *, region: BodyRegion, zone_text: str, area_keys: list[str], entries: list[AreaEntry]
) -> bool:
    """Put a region on the chart if it is not there yet; False when nothing fits.

    ``area_keys`` come from the region's entry in library.toml; with none, the zone's
    words are matched against the chart's phrases. A region an editor placed is kept.
    """
    if region.areas.exists():
        return True
    keys = list(area_keys)
    if not keys:
        entry = areas_for_zone(zone_text, entries) or areas_for_zone(region.name, entries)
        keys = [entry.key] if entry else []
    slugs = [e.slug(side) for e in entries if e.key in keys for side in e.sides]
    areas = list(BodyArea.objects.filter(slug__in=slugs))
    if not areas:
        return False
    region.areas.add(*areas)
    if any(area.lateral for area in areas) and not region.lateral:
        region.lateral = True
        region.save(update_fields=["lateral", "updated_at"])
    return True


def unplaced_zones(muscle: Muscle) -> list[str]:
    """The muscle's referral zones whose region is not on the chart, as written."""
    return list(
        muscle.referral_zones.filter(region__areas__isnull=True)
        .order_by("order", "id")
        .values_list("text", flat=True)
    )


# --- "Where does it hurt?" -----------------------------------------------------------------


def chart_areas() -> QuerySet[BodyArea]:
    return BodyArea.objects.order_by("view", "order", "side", "slug")


@dataclass
class MuscleMatch:
    """A muscle whose referral pattern covers some of the chosen areas."""

    muscle: Muscle
    explained: list[BodyArea]
    zones: list[ReferralZone]
    urgent: list[Differential] = field(default_factory=list)
    others: list[Differential] = field(default_factory=list)


def muscles_for_areas(areas: list[BodyArea]) -> list[MuscleMatch]:
    """Muscles referring pain to any of ``areas``, those explaining the most areas first
    (then by name). Two queries, however many muscles match."""
    if not areas:
        return []
    chosen = {area.pk: area for area in areas}
    zones = ReferralZone.objects.select_related("region").prefetch_related("region__areas")
    muscles = (
        Muscle.objects.filter(referral_zones__region__areas__in=list(chosen))
        .distinct()
        .annotate(
            has_home_items=Exists(
                ModuleItem.objects.filter(
                    module__muscle=OuterRef("pk"), module__setting=Module.Setting.HOME
                )
            )
        )
        .prefetch_related(
            Prefetch("referral_zones", queryset=zones.order_by("order", "id")),
            Prefetch("differentials", queryset=Differential.objects.order_by("order", "id")),
        )
    )
    matches = []
    for muscle in muscles:
        explained_ids: set[int] = set()
        matched_zones = []
        for zone in muscle.referral_zones.all():
            covered = {a.pk for a in zone.region.areas.all()} & set(chosen)
            if covered:
                explained_ids |= covered
                matched_zones.append(zone)
        differentials = list(muscle.differentials.all())
        matches.append(
            MuscleMatch(
                muscle=muscle,
                explained=[chosen[pk] for pk in chosen if pk in explained_ids],
                zones=matched_zones,
                urgent=[d for d in differentials if d.urgent],
                others=[d for d in differentials if not d.urgent],
            )
        )
    matches.sort(key=lambda m: (-len(m.explained), m.muscle.name.lower()))
    return matches


def always_shown_differentials(areas: list[BodyArea]) -> list[Differential]:
    """The library's urgent differentials the chosen areas always call for (deep vein
    thrombosis for a calf), one per condition, whichever muscle files them."""
    names = {area.always_show.strip().lower() for area in areas if area.always_show.strip()}
    if not names:
        return []
    wanted = Q()
    for name in names:
        wanted |= Q(name__icontains=name)
    seen: set[str] = set()
    differentials = []
    for differential in Differential.objects.filter(wanted, urgent=True).order_by("order", "id"):
        key = differential.name.strip().lower()
        if key not in seen:
            seen.add(key)
            differentials.append(differential)
    return differentials


# --- Drawing the chart ---------------------------------------------------------------------


@dataclass
class ChartArea:
    """One area as the chart template draws it."""

    slug: str
    label: str
    outline: str
    side: str
    marked: bool = False
    href: str = ""
    count: int = 0


@dataclass
class ChartView:
    view: str
    label: str
    areas: list[ChartArea]
    # The person's sides as the viewer sees them: their right is on the viewer's left
    # in the front view.
    viewer_left: str = ""
    viewer_right: str = ""

    @property
    def marked(self) -> list[ChartArea]:
        return [area for area in self.areas if area.marked]


def chart_views(
    areas: list[BodyArea],
    *,
    marked: set[str] | None = None,
    href=None,
    counts: dict[str, int] | None = None,
) -> list[ChartView]:
    """The front and back views with their areas, ``marked`` (slugs) highlighted.

    ``href(area)`` gives each area a link (the clinician's search); ``counts`` how often
    each area was marked (the patient's map)."""
    marked = marked or set()
    counts = counts or {}
    sides = {"left": _("Left"), "right": _("Right")}
    views = []
    for view, label in BodyArea.View.choices:
        front = view == BodyArea.View.FRONT
        views.append(
            ChartView(
                view=view,
                label=str(label),
                areas=[
                    ChartArea(
                        slug=area.slug,
                        label=area.label,
                        outline=area.outline,
                        side=area.side,
                        marked=area.slug in marked,
                        href=href(area) if href else "",
                        count=counts.get(area.slug, 0),
                    )
                    for area in areas
                    if area.view == view
                ],
                viewer_left=sides["right"] if front else sides["left"],
                viewer_right=sides["left"] if front else sides["right"],
            )
        )
    return views


def muscle_chart(muscle: Muscle) -> list[ChartView]:
    """The chart with the muscle's referral pattern marked (one query)."""
    through = BodyRegion.areas.through
    areas = list(
        chart_areas().annotate(
            referred=Exists(
                through.objects.filter(bodyarea_id=OuterRef("pk"), bodyregion__zones__muscle=muscle)
            )
        )
    )
    return chart_views(areas, marked={area.slug for area in areas if area.referred})


def area_pairs(areas: list[BodyArea], chosen: set[str]) -> list[dict]:
    """The chart's areas as a list, one row per place with a control per side."""
    rows: dict[tuple[str, str], dict] = {}
    for area in areas:
        row = rows.setdefault(
            (area.view, area.name),
            {"name": area.name, "view": area.get_view_display(), "areas": []},
        )
        row["areas"].append({"area": area, "chosen": area.slug in chosen})
    order = {"left": 0, "midline": 1, "right": 2}
    for row in rows.values():
        row["areas"].sort(key=lambda a: order[a["area"].side])
    return list(rows.values())
