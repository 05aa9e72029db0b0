"""Loading the shipped outcome measures (trigger/content/instruments.toml) into the library.

Idempotent, and careful with editors' work, like the muscle loader: each instrument
stores the fingerprint of what was loaded. Loading again writes nothing when the file
entry is what is in the database, keeps an editor's change when the file did not change,
and refuses (without ``force``) to overwrite an editor's change with a changed file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from .instruments import AnswerOption, Instrument, InstrumentItem
from .services import CONTENT_DIR, ContentError, EditedSinceLoad, _read_toml

INSTRUMENTS_DATA = CONTENT_DIR / "instruments.toml"

INSTRUMENT_FIELDS = (
    "name", "short_name", "instructions", "scoring", "score_min", "score_max", "direction",
    "mcid", "item_mcid", "named_items_min", "named_items_max", "named_item_label", "source",
    "licence_note",
)  # fmt: skip
DECIMAL_FIELDS = {"score_min", "score_max", "mcid", "item_mcid"}
ITEM_FIELDS = ("text", "kind", "min_value", "max_value", "min_label", "max_label")
ITEM_DEFAULTS = {
    "kind": "number",
    "min_value": 0,
    "max_value": 10,
    "min_label": "",
    "max_label": "",
}
OPTIONAL = {"item_mcid": None, "named_items_min": None, "named_items_max": None}


@dataclass
class InstrumentLoadResult:
    instrument: Instrument
    status: str  # "created", "updated", "unchanged" or "kept the editors' changes"


def _decimal(value: object) -> str | None:
    return None if value is None else str(Decimal(str(value)).quantize(Decimal("0.1")))


def _normalised(entry: dict) -> dict:
    """One instrument as plain, comparable data: from the file or from the database."""
    fields = {name: entry.get(name, OPTIONAL.get(name, "")) for name in INSTRUMENT_FIELDS}
    for name in DECIMAL_FIELDS:
        fields[name] = _decimal(fields[name])
    items = []
    for item in entry.get("item", []):
        row = {name: item.get(name, ITEM_DEFAULTS.get(name)) for name in ITEM_FIELDS}
        row["options"] = [
            {"label": option["label"], "value": int(option["value"])}
            for option in item.get("option", [])
        ]
        items.append(row)
    fields["item"] = items
    return fields


def _from_database(instrument: Instrument) -> dict:
    entry: dict = {name: getattr(instrument, name) for name in INSTRUMENT_FIELDS}
    entry["item"] = [
        {
            **{name: getattr(item, name) for name in ITEM_FIELDS},
            "option": [
                {"label": option.label, "value": option.value} for option in item.options.all()
            ],
        }
        for item in instrument.items.prefetch_related("options")
    ]
    return _normalised(entry)


def fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def instrument_fingerprint(instrument: Instrument) -> str:
    """A hash of everything an editor can change about an instrument, items included."""
    return fingerprint(_from_database(instrument))


def _check(entry: dict, path: Path) -> dict:
    slug = entry.get("slug")
    if not slug:
        raise ContentError(f"{path}: an instrument has no slug")
    try:
        data = _normalised(entry)
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise ContentError(f"{path}: instrument {slug!r}: {error}") from error
    if not data["item"]:
        raise ContentError(f"{path}: instrument {slug!r} has no item")
    for name in ("source", "licence_note"):
        if not data[name]:
            raise ContentError(f"{path}: instrument {slug!r} must give its {name}")
    return data


def _write(instrument: Instrument, data: dict) -> None:
    for name in INSTRUMENT_FIELDS:
        value = data[name]
        setattr(instrument, name, Decimal(value) if name in DECIMAL_FIELDS and value else value)
    try:
        instrument.full_clean(exclude=["content_checksum"])
    except ValidationError as error:
        raise ContentError(f"instrument {instrument.slug!r}: {error}") from error
    instrument.save()
    kept = []
    for order, item_data in enumerate(data["item"], start=1):
        options = item_data["options"]
        item, _created = InstrumentItem.objects.update_or_create(
            instrument=instrument,
            order=order,
            defaults={name: item_data[name] for name in ITEM_FIELDS},
        )
        item.options.exclude(value__in=[o["value"] for o in options]).delete()
        for position, option in enumerate(options, start=1):
            AnswerOption.objects.update_or_create(
                item=item,
                value=option["value"],
                defaults={"label": option["label"], "order": position},
            )
        kept.append(item.pk)
    try:
        instrument.items.exclude(pk__in=kept).delete()
    except ProtectedError as error:
        raise ContentError(
            f"instrument {instrument.slug!r}: a question that patients answered cannot be removed"
        ) from error
    Instrument.objects.filter(pk=instrument.pk).update(content_checksum=fingerprint(data))


def instruments_load(
    *, path: Path = INSTRUMENTS_DATA, force: bool = False
) -> list[InstrumentLoadResult]:
    """Load the instruments of ``path``, all or nothing."""
    entries = [_check(entry, path) | {"slug": entry["slug"]} for entry in _instruments(path)]
    results = []
    with transaction.atomic():
        for data in entries:
            slug = data.pop("slug")
            new = fingerprint(data)
            instrument = Instrument.objects.filter(slug=slug).first()
            if instrument is None:
                instrument = Instrument(slug=slug)
                _write(instrument, data)
                results.append(InstrumentLoadResult(instrument, "created"))
                continue
            current = instrument_fingerprint(instrument)
            if current == new:
                status = "unchanged"
            elif new == instrument.content_checksum:
                status = "kept the editors' changes"
            elif current != instrument.content_checksum and not force:
                raise EditedSinceLoad(
                    f"{path}: instrument {slug!r} was changed in the admin since its last "
                    "load; load with --force to overwrite those changes"
                )
            else:
                _write(instrument, data)
                status = "updated"
            results.append(InstrumentLoadResult(instrument, status))
    return results


def _instruments(path: Path) -> list[dict]:
    return list(_read_toml(path).get("instrument", []))
