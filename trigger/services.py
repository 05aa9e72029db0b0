"""Writing muscle documents into the library."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from .chart import AreaEntry, body_chart_load, chart_checksum_bytes, read_chart, region_place
from .chart import unplaced_zones as _unplaced_zones
from .models import (
    AssociatedMuscle,
    BodyRegion,
    Differential,
    Module,
    ModuleItem,
    ModuleItemStep,
    Muscle,
    ReferralZone,
    SectionItem,
    SectionText,
    Source,
    illustration_static_path,
)
from .parser import LIST_SECTIONS, Bullet, MuscleDocument, ParseError, parse_document

MUSCLE_FIELDS = (
    "name", "slug", "title", "area", "introduction", "conclusion", "further_reading",
    "origin", "insertion", "innervation", "nerve_roots", "anatomy_note",
)  # fmt: skip
ITEM_FIELDS = (
    "name", "text", "instructions", "sets", "reps", "hold_seconds", "rest_seconds",
    "times_per_day", "days_per_week", "dosage_is_default", "dosage_source", "image",
    "image_alt", "video", "video_description", "order", "is_advice", "stop_if",
    "steps_are_default", "steps_source", "illustration", "illustration_alt",
)  # fmt: skip
logger = logging.getLogger(__name__)
CONTENT_DIR = Path(__file__).resolve().parent / "content"
DEFAULT_DOCUMENTS = [CONTENT_DIR / "gastrocnemius-trigger-points.txt"]
LIBRARY_DATA = CONTENT_DIR / "library.toml"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Module heading keywords -> (kind, who carries it out). Format knowledge, not content:
# an unknown heading becomes "other", clinic-only, until an editor decides.
MODULE_KINDS: list[tuple[str, str, str]] = [
    ("dry needling", Module.Kind.DRY_NEEDLING, Module.Setting.CLINIC),
    ("manual therapy", Module.Kind.MANUAL_THERAPY, Module.Setting.CLINIC),
    ("self-massage", Module.Kind.SELF_MASSAGE, Module.Setting.HOME),
    ("self massage", Module.Kind.SELF_MASSAGE, Module.Setting.HOME),
    ("stretch", Module.Kind.STRETCHING, Module.Setting.HOME),
    ("strength", Module.Kind.STRENGTHENING, Module.Setting.HOME),
    ("footwear", Module.Kind.POSTURE_FOOTWEAR, Module.Setting.HOME),
    ("postur", Module.Kind.POSTURE_FOOTWEAR, Module.Setting.HOME),
]
DOSAGE_FIELDS = ("sets", "reps", "hold_seconds", "rest_seconds", "times_per_day", "days_per_week")
SECTION_KINDS = {kind.value for kind in SectionText.Kind}


class ContentError(Exception):
    """A document that cannot be loaded; the message names the file and the line."""


class EditedSinceLoad(ContentError):
    """The muscle was changed by an editor after its last load; --force overwrites."""


@dataclass
class LoadResult:
    muscle: Muscle
    status: str  # "created", "updated" or "unchanged"
    # Referral zones (as written) not on the body chart: an editor places their region.
    unplaced: list[str] = dataclasses.field(default_factory=list)


def _module_kind(heading: str) -> tuple[str, str]:
    lowered = heading.lower()
    for keyword, kind, setting in MODULE_KINDS:
        if keyword in lowered:
            return kind, setting
    return Module.Kind.OTHER, Module.Setting.CLINIC


def _item_name(bullet: Bullet) -> str:
    return (bullet.label or bullet.text.rstrip("."))[:200]


def _statement(bullet: Bullet) -> str:
    return f"{bullet.text} ({bullet.note})" if bullet.note else bullet.text


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{path}: {error}") from error


def defaults_path(document_path: Path) -> Path:
    """The optional sidecar with editable default dosages for a document."""
    return document_path.with_suffix(".defaults.toml")


def muscle_content_fingerprint(muscle: Muscle) -> str:
    """A hash of everything an editor can change about a muscle, its rows included.

    Stored after each load: a different value later means an editor added, changed or
    deleted something since, whatever the timestamps say.
    """
    by_pk = ("pk",)
    parts = [
        Muscle.objects.filter(pk=muscle.pk).values_list(*MUSCLE_FIELDS),
        muscle.section_texts.order_by(*by_pk).values_list("kind", "heading", "lead", "summary"),
        muscle.section_items.order_by(*by_pk).values_list("kind", "order", "label", "text", "note"),
        muscle.referral_zones.order_by(*by_pk).values_list(
            "region__slug", "text", "mimics", "order"
        ),
        muscle.differentials.order_by(*by_pk).values_list(
            "name", "description", "urgent", "urgent_advice", "urgent_source", "order"
        ),
        muscle.associations.order_by(*by_pk).values_list("related__slug", "note", "order"),
        muscle.modules.order_by(*by_pk).values_list("name", "kind", "setting", "order"),
        ModuleItem.objects.filter(module__muscle=muscle)
        .order_by(*by_pk)
        .values_list("module__name", *ITEM_FIELDS),
        ModuleItemStep.objects.filter(item__module__muscle=muscle)
        .order_by(*by_pk)
        .values_list("item_id", "order", "text"),
        muscle.sources.order_by(*by_pk).values_list("citation", "order"),
    ]
    # Progressions and default items count only where some are set, so a library loaded
    # before they existed keeps its fingerprint (a reload does not take it for edited).
    progressions = list(
        ModuleItem.objects.filter(module__muscle=muscle)
        .filter(Q(harder_variant__isnull=False) | Q(is_default_item=True))
        .order_by(*by_pk)
        .values_list("pk", "harder_variant_id", "is_default_item", "item_source")
    )
    if progressions:
        parts.append(progressions)
    digest = hashlib.sha256()
    for rows in parts:
        digest.update(json.dumps(list(rows), default=str).encode())
    return digest.hexdigest()


def _stamp(muscle: Muscle, **fields: object) -> None:
    Muscle.objects.filter(pk=muscle.pk).update(
        content_checksum=muscle_content_fingerprint(muscle), **fields
    )


def library_load_documents(*, paths: list[Path], force: bool = False) -> list[LoadResult]:
    """Load muscle documents into the library, all or nothing.

    A document whose text (and defaults) is unchanged since its last load is skipped
    without writing. A changed document replaces the muscle's rows, unless an editor
    changed them since that load: then nothing is written without ``force``.
    """
    library = _read_toml(LIBRARY_DATA)
    parsed: list[tuple[MuscleDocument, str, dict]] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ContentError(f"{path}: cannot read the document ({error})") from error
        try:
            document = parse_document(text)
        except ParseError as error:
            raise ContentError(f"{path}: {error}") from error
        defaults_file = defaults_path(path)
        defaults = _read_toml(defaults_file)
        _check_defaults(defaults.get("item", []), document, defaults_file)
        _check_variants(defaults.get("variant", []), document, defaults_file)
        checksum = hashlib.sha256(
            text.encode()
            + (defaults_file.read_bytes() if defaults_file.exists() else b"")
            + LIBRARY_DATA.read_bytes()
            + chart_checksum_bytes()
        ).hexdigest()
        parsed.append((document, checksum, defaults))

    chart = read_chart()
    results = []
    with transaction.atomic():
        body_chart_load(entries=chart, force=force)
        for document, checksum, defaults in parsed:
            results.append(
                _load_one(
                    document=document,
                    checksum=checksum,
                    defaults=defaults,
                    library=library,
                    chart=chart,
                    force=force,
                )
            )
    for result in results:
        result.unplaced = _unplaced_zones(result.muscle)
        for zone in result.unplaced:
            logger.warning(
                "referral zone not on the body chart: muscle_id=%s zone=%r",
                result.muscle.pk,
                zone,
            )
    return results


def _check_defaults(entries: list[dict], document: MuscleDocument, path: Path) -> None:
    """Every default names an item of the document, cites a source and is in range."""
    section = document.section("corrective")
    items = {
        (heading, _item_name(bullet))
        for heading, bullets in (section.modules if section else [])
        for bullet in bullets
    }
    for entry in entries:
        where = f"{path}: default for {entry.get('module')!r} / {entry.get('name')!r}"
        if (entry.get("module"), entry.get("name")) not in items:
            raise ContentError(f"{where}: the document has no such item in that module")
        if not str(entry.get("source", "")).strip():
            raise ContentError(f"{where}: a default dosage must cite its source")
        _check_steps(entry, where)
        for field in DOSAGE_FIELDS:
            value = entry.get(field)
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                raise ContentError(f"{where}: {field} must be a whole number")
            try:
                ModuleItem._meta.get_field(field).run_validators(value)
            except ValidationError as error:
                raise ContentError(f"{where}: {field}: {' '.join(error.messages)}") from error


def _check_steps(entry: dict, where: str) -> None:
    """Steps are a list of sentences with their source; an illustration is a shipped one."""
    steps = entry.get("steps", [])
    if not isinstance(steps, list) or not all(
        isinstance(step, str) and step.strip() and len(step) <= 500 for step in steps
    ):
        raise ContentError(f"{where}: steps must be a list of sentences (500 characters at most)")
    if steps and not str(entry.get("steps_source", "")).strip():
        raise ContentError(f"{where}: default steps must cite their source")
    for field in ("stop_if", "steps_source", "illustration", "illustration_alt"):
        if not isinstance(entry.get(field, ""), str):
            raise ContentError(f"{where}: {field} must be text")
    illustration = entry.get("illustration", "")
    if illustration:
        path = illustration_static_path(illustration)
        if not path or not (STATIC_DIR / path).exists():
            raise ContentError(f"{where}: no illustration named {illustration!r} in static/")
        if not entry.get("illustration_alt", "").strip():
            raise ContentError(f"{where}: the illustration needs a description (alt text)")


def _check_variants(entries: list[dict], document: MuscleDocument, path: Path) -> None:
    """Every variant goes into a module of the document, progresses from an exercise named
    before it, cites a source, has instructions, and its dosage is in range."""
    section = document.section("corrective")
    modules = {heading: bullets for heading, bullets in (section.modules if section else [])}
    known = {(heading, _item_name(b)) for heading, bullets in modules.items() for b in bullets}
    for entry in entries:
        module, name = entry.get("module"), str(entry.get("name", "")).strip()
        where = f"{path}: variant {module!r} / {name!r}"
        if module not in modules:
            raise ContentError(f"{where}: the document has no such module")
        if not name or (module, name) in known:
            raise ContentError(f"{where}: a variant needs a name of its own")
        if (module, entry.get("easier")) not in known:
            raise ContentError(
                f"{where}: it must progress from an exercise of that module named before it"
            )
        if any(
            other.get("easier") == entry.get("easier") and other is not entry
            for other in entries
            if other.get("module") == module
        ):
            raise ContentError(f"{where}: an exercise has one harder variant only")
        if not str(entry.get("source", "")).strip():
            raise ContentError(f"{where}: a variant must cite its source")
        if not str(entry.get("instructions", "")).strip():
            raise ContentError(f"{where}: a variant needs instructions")
        _check_steps(entry, where)
        for field in DOSAGE_FIELDS:
            value = entry.get(field)
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                raise ContentError(f"{where}: {field} must be a whole number")
            try:
                ModuleItem._meta.get_field(field).run_validators(value)
            except ValidationError as error:
                raise ContentError(f"{where}: {field}: {' '.join(error.messages)}") from error
        known.add((module, name))


def _load_one(
    *,
    document: MuscleDocument,
    checksum: str,
    defaults: dict,
    library: dict,
    chart: list[AreaEntry],
    force: bool,
) -> LoadResult:
    slug = slugify(document.name)
    muscle = Muscle.objects.filter(slug=slug).first()
    if muscle is not None:
        if muscle.source_checksum == checksum and not force:
            return LoadResult(muscle=muscle, status="unchanged")
        if not force and muscle.content_checksum != muscle_content_fingerprint(muscle):
            raise EditedSinceLoad(
                f"{muscle.name} was changed in the admin since it was last loaded; "
                "nothing was loaded. Run again with --force to overwrite those changes."
            )
        status = "updated"
    else:
        muscle = Muscle(slug=slug)
        status = "created"

    anatomy = document.section("anatomy")
    origin = insertion = innervation = roots = ""
    if anatomy is not None:
        header = [cell.lower() for cell in anatomy.table[0]]
        row = dict(zip(header, anatomy.table[1], strict=True))
        origin, insertion = row.get("origin", ""), row.get("insertion", "")
        innervation, roots = _split_nerve(row.get("innervation", ""))

    muscle.name = document.name
    muscle.title = document.title
    muscle.area = document.area
    muscle.introduction = document.introduction
    conclusion = document.section("conclusion")
    muscle.conclusion = "\n\n".join(conclusion.lead if conclusion else [])
    muscle.further_reading = document.further_reading
    muscle.origin, muscle.insertion = origin, insertion
    muscle.innervation, muscle.nerve_roots = innervation, roots
    muscle.anatomy_note = "\n\n".join(anatomy.summary) if anatomy else ""
    muscle.source_checksum = checksum
    muscle.save()

    _replace_sections(muscle, document)
    _replace_referrals(muscle, document, library.get("region", []), chart)
    _replace_differentials(muscle, document, library.get("urgent", []))
    _replace_associations(muscle, document)
    _replace_modules(muscle, document, defaults.get("item", []), defaults.get("variant", []))
    muscle.sources.all().delete()
    Source.objects.bulk_create(
        Source(muscle=muscle, citation=citation, order=index)
        for index, citation in enumerate(document.sources)
    )
    _stamp(muscle, loaded_at=timezone.now())
    muscle.refresh_from_db()
    return LoadResult(muscle=muscle, status=status)


def _split_nerve(cell: str) -> tuple[str, str]:
    text, _, roots = cell.partition("(")
    return text.strip(), roots.rstrip(")").strip()


def _replace_sections(muscle: Muscle, document: MuscleDocument) -> None:
    muscle.section_texts.all().delete()
    muscle.section_items.all().delete()
    texts, items = [], []
    for section in document.sections.values():
        if section.key not in SECTION_KINDS:
            continue
        lead, summary = list(section.lead), list(section.summary)
        if section.key == "differential":
            # A sentence among the conditions ("A thorough ... assessment is necessary")
            # is advice about the whole list: it closes the section.
            summary = [_statement(b) for b in section.bullets if _is_sentence(b)] + summary
        texts.append(
            SectionText(
                muscle=muscle,
                kind=section.key,
                heading=section.heading,
                lead="\n\n".join(lead),
                summary="\n\n".join(summary),
            )
        )
        if section.key in LIST_SECTIONS:
            items.extend(
                SectionItem(
                    muscle=muscle,
                    kind=section.key,
                    order=index,
                    label=bullet.label,
                    text=bullet.text,
                    note=bullet.note,
                )
                for index, bullet in enumerate(section.bullets)
            )
    SectionText.objects.bulk_create(texts)
    SectionItem.objects.bulk_create(items)


def _is_sentence(bullet: Bullet) -> bool:
    return not bullet.note and not bullet.label and bullet.text.endswith(".")


def _region_for(text: str, regions: list[dict], chart: list[AreaEntry] | None = None) -> BodyRegion:
    """The zone's region (library.toml's, else one named after the zone), placed on the
    body chart when its words allow (trigger.chart.region_place)."""
    lowered = text.lower()
    for order, region in enumerate(regions):
        if any(phrase in lowered for phrase in region["phrases"]):
            obj, _ = BodyRegion.objects.get_or_create(
                slug=region["slug"],
                defaults={
                    "name": region["name"],
                    "order": order,
                    "lateral": bool(region.get("lateral", False)),
                },
            )
            region_place(
                region=obj, zone_text=text, area_keys=region.get("areas", []), entries=chart or []
            )
            return obj
    name = text[4:] if lowered.startswith("the ") else text
    obj, _ = BodyRegion.objects.get_or_create(
        slug=slugify(name)[:80], defaults={"name": name[:1].upper() + name[1:], "order": 100}
    )
    region_place(region=obj, zone_text=text, area_keys=[], entries=chart or [])
    return obj


def _replace_referrals(
    muscle: Muscle, document: MuscleDocument, regions: list[dict], chart: list[AreaEntry]
) -> None:
    muscle.referral_zones.all().delete()
    section = document.section("referral")
    if section is None:
        return
    ReferralZone.objects.bulk_create(
        ReferralZone(
            muscle=muscle,
            region=_region_for(bullet.text, regions, chart),
            text=bullet.text,
            mimics=bullet.note,
            order=index,
        )
        for index, bullet in enumerate(section.bullets)
    )


def _replace_differentials(muscle: Muscle, document: MuscleDocument, urgent: list[dict]) -> None:
    muscle.differentials.all().delete()
    section = document.section("differential")
    if section is None:
        return
    rows = []
    for index, bullet in enumerate(b for b in section.bullets if not _is_sentence(b)):
        flag = next((u for u in urgent if u["match"] in bullet.text.lower()), None)
        rows.append(
            Differential(
                muscle=muscle,
                name=bullet.text,
                description=bullet.note,
                urgent=flag is not None,
                urgent_advice=flag["advice"] if flag else "",
                urgent_source=flag["source"] if flag else "",
                order=index,
            )
        )
    Differential.objects.bulk_create(rows)


def _replace_associations(muscle: Muscle, document: MuscleDocument) -> None:
    muscle.associations.all().delete()
    section = document.section("associated")
    if section is None:
        return
    for index, bullet in enumerate(section.bullets):
        # A muscle not in the library yet gets a stub entry for an editor to fill in; its
        # page links back here through the reverse relation (linked both ways).
        related, created = Muscle.objects.get_or_create(
            slug=slugify(bullet.text), defaults={"name": bullet.text}
        )
        if created:
            _stamp(related)
        AssociatedMuscle.objects.create(
            muscle=muscle, related=related, note=bullet.note, order=index
        )


def _replace_modules(
    muscle: Muscle, document: MuscleDocument, defaults: list[dict], variants: list[dict]
) -> None:
    """Modules and items are updated in place (matched by name), so programs that copied
    an item keep their link to it; rows the document no longer has are removed.

    Variants (progressions the document does not name) follow their module's items, each
    linked as the harder variant of the exercise it progresses from."""
    section = document.section("corrective")
    modules = section.modules if section else []
    # The chain is rebuilt from the defaults: unlink first (each link is one-to-one).
    ModuleItem.objects.filter(module__muscle=muscle).update(harder_variant=None)
    keep_modules = []
    for module_index, (heading, bullets) in enumerate(modules):
        kind, setting = _module_kind(heading)
        module, _ = Module.objects.update_or_create(
            muscle=muscle,
            name=heading,
            defaults={"kind": kind, "setting": setting, "order": module_index},
        )
        keep_modules.append(module.pk)
        keep_items = []
        for item_index, bullet in enumerate(bullets):
            name = _item_name(bullet)
            dosage = next(
                (d for d in defaults if d.get("module") == heading and d.get("name") == name),
                None,
            )
            entry = dosage or {}
            steps = entry.get("steps", [])
            has_dosage = any(entry.get(f) is not None for f in DOSAGE_FIELDS)
            values = {
                "text": _statement(bullet),
                "instructions": _statement(bullet),
                "order": item_index,
                "dosage_is_default": has_dosage,
                "dosage_source": entry.get("source", "") if has_dosage else "",
                **{f: entry.get(f) for f in DOSAGE_FIELDS},
                # The footwear and posture module gives advice to keep in mind, not exercises.
                "is_advice": kind == Module.Kind.POSTURE_FOOTWEAR,
                "stop_if": entry.get("stop_if", ""),
                "steps_are_default": bool(steps),
                "steps_source": entry.get("steps_source", "") if steps else "",
                "illustration": entry.get("illustration", ""),
                "illustration_alt": entry.get("illustration_alt", ""),
            }
            item, _ = ModuleItem.objects.update_or_create(module=module, name=name, defaults=values)
            item.steps.all().delete()
            ModuleItemStep.objects.bulk_create(
                ModuleItemStep(item=item, order=index, text=text.strip())
                for index, text in enumerate(steps)
            )
            keep_items.append(item.pk)
        by_name = {item.name: item for item in module.items.filter(pk__in=keep_items)}
        for variant_index, entry in enumerate(v for v in variants if v["module"] == heading):
            instructions = entry["instructions"].strip()
            variant, _ = ModuleItem.objects.update_or_create(
                module=module,
                name=entry["name"],
                defaults={
                    "text": instructions,
                    "instructions": instructions,
                    "order": len(bullets) + variant_index,
                    "is_default_item": True,
                    "item_source": entry["source"],
                    "dosage_is_default": True,
                    "dosage_source": entry["source"],
                    **{f: entry.get(f) for f in DOSAGE_FIELDS},
                    "stop_if": entry.get("stop_if", ""),
                    "steps_are_default": bool(entry.get("steps")),
                    "steps_source": entry.get("steps_source", "") if entry.get("steps") else "",
                    "illustration": entry.get("illustration", ""),
                    "illustration_alt": entry.get("illustration_alt", ""),
                },
            )
            variant.steps.all().delete()
            ModuleItemStep.objects.bulk_create(
                ModuleItemStep(item=variant, order=index, text=text.strip())
                for index, text in enumerate(entry.get("steps", []))
            )
            easier = by_name[entry["easier"]]
            easier.harder_variant = variant
            easier.save(update_fields=["harder_variant", "updated_at"])
            by_name[variant.name] = variant
            keep_items.append(variant.pk)
        module.items.exclude(pk__in=keep_items).delete()
    muscle.modules.exclude(pk__in=keep_modules).delete()
