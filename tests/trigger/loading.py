"""Documents and look-ups shared by the tests of `manage.py load_trigger_content`
(tests/trigger/test_load_content_*.py)."""

import io
import shutil
import tomllib
from pathlib import Path

from django.core.management import call_command

from trigger.models import (
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
)
from trigger.services import CONTENT_DIR, LIBRARY_DATA, defaults_path

SHIPPED = CONTENT_DIR / "gastrocnemius-trigger-points.txt"
SHIPPED_DEFAULTS = defaults_path(SHIPPED)

LIBRARY_MODELS = [
    BodyRegion,
    Muscle,
    SectionText,
    SectionItem,
    ReferralZone,
    Differential,
    AssociatedMuscle,
    Module,
    ModuleItem,
    ModuleItemStep,
    Source,
]

CALF_STRETCH_LINE = (
    "Calf Stretch: Stand with one foot behind the other and lean forward, "
    "keeping the back heel down."
)
TOE_WALKING_LINE = "  • Toe Walking: Improves calf endurance and foot coordination.\n\n"

# Another muscle in the seed's format: neutral placeholder statements, four modules (one
# fewer than the gastrocnemius), three stretches (one more), a "Self-Massage" module and an
# anatomy table whose cells are separated by tabs.
SOLEUS_DOCUMENT = """\
Soleus Trigger Points

Introduction

Statement one about the soleus.

Statement two about the soleus.

Name and Area

  • Name: Soleus

  • Area: Statement three about the soleus.

Indications

Lead-in about the soleus indications:

  • Indication one about the soleus (note on indication one)

  • Indication two about the soleus

Closing paragraph about the soleus indications.

Muscle Action

  • Action One: Statement about action one.

  • Action Two: Statement about action two (note on action two).

Signs and Symptoms

  • Symptom one about the soleus

  • Symptom two about the soleus (note on symptom two)

  • Symptom three about the soleus.

Perpetuating Factors

Lead-in about the soleus factors:

  • Factor one about the soleus

Trigger Point Referral Pattern

  • The heel (Note on the heel zone)

  • The sacroiliac joint (Note on the sacroiliac zone)

Closing paragraph about the soleus referral.

Differential Diagnosis

  • Condition one (description of condition one)

  • Deep vein thrombosis (description of the second condition)

  • Statement about assessing the soleus.

Associated Trigger Points

  • Gastrocnemius (note on the gastrocnemius link)

  • Tibialis posterior (note on the tibialis posterior link)

Anatomy and Innervation

Muscle\tOrigin\tInsertion\tInnervation
Soleus\tOrigin statement (soleus)\tInsertion statement, calcaneus\tTibial nerve (S1–S2)

Statement about the soleus innervation.

Patient Examination

  • Step One: Statement about examination step one.

  • Step Two: Statement about examination step two.

Corrective Actions

Manual Therapy

  • Release One: Statement about manual release.

Stretching

  • Stretch One: Statement about stretch one.

  • Stretch Two: Statement about stretch two.

  • Stretch Three: Statement about stretch three.

Strengthening Exercises

  • Exercise One: Statement about exercise one.

Self-Massage

  • Ball Rolling: Statement about ball rolling.

Conclusion

Statement about the soleus conclusion.

➡️ Further reading about the soleus

Sources:

  • Author, A. (2000). Placeholder source one. Publisher.
"""

SOLEUS_DEFAULTS = """\
[[item]]
module = "Stretching"
name = "Stretch One"
hold_seconds = 20
reps = 2
source = "Placeholder source of the stretch one default"
"""

# The smallest valid document (five lines): the bad-document tests count lines from it.
TITLE = "Soleus Trigger Points\n\n"
NAME_AREA = "Name and Area\n\n  • Name: Soleus\n"
MINIMAL = TITLE + NAME_AREA


def load_documents(*paths: Path, force: bool = False) -> str:
    out = io.StringIO()
    call_command("load_trigger_content", *[str(p) for p in paths], force=force, stdout=out)
    return out.getvalue()


def copy_shipped(
    tmp_path: Path, replace: dict[str, str] | None = None, *, name: str = SHIPPED.name
) -> Path:
    """The shipped document (and its defaults sidecar) in tmp_path, with ``replace`` applied."""
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    shutil.copy(SHIPPED_DEFAULTS, defaults_path(path))
    return path


def write_document(tmp_path: Path, name: str, text: str, defaults: str | None = None) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    if defaults is not None:
        defaults_path(path).write_text(defaults, encoding="utf-8")
    return path


def append_to_defaults(path: Path, text: str) -> None:
    with defaults_path(path).open("a", encoding="utf-8") as defaults:
        defaults.write("\n" + text)


def drop_default(path: Path, name: str) -> None:
    """Remove one item's entry from a document's defaults sidecar."""
    sidecar = defaults_path(path)
    entries = sidecar.read_text(encoding="utf-8").split("[[item]]")
    kept = [entry for entry in entries if f'name = "{name}"' not in entry]
    sidecar.write_text("[[item]]".join(kept), encoding="utf-8")


def write_soleus(tmp_path: Path) -> Path:
    return write_document(tmp_path, "soleus-trigger-points.txt", SOLEUS_DOCUMENT, SOLEUS_DEFAULTS)


def library_snapshot() -> dict[str, list[dict]]:
    """Every library row with every column, so "nothing changed" includes updated_at."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in LIBRARY_MODELS}


def section_items(muscle: Muscle, kind: str) -> list[tuple[str, str, str]]:
    return [
        (item.label, item.text, item.note)
        for item in muscle.section_items.filter(kind=kind).order_by("order")
    ]


def section_text(muscle: Muscle, kind: str) -> tuple[str, str, str]:
    text = muscle.section_texts.get(kind=kind)
    return text.heading, text.lead, text.summary


def module_items(muscle: Muscle) -> dict[str, list[str]]:
    return {
        module.name: [item.name for item in module.items.order_by("order")]
        for module in muscle.modules.order_by("order")
    }


def module_item(muscle: Muscle, name: str) -> ModuleItem:
    return ModuleItem.objects.get(module__muscle=muscle, name=name)


def urgent_flags() -> dict[str, dict]:
    library = tomllib.loads(LIBRARY_DATA.read_text(encoding="utf-8"))
    return {flag["match"]: flag for flag in library["urgent"]}


def shipped_defaults() -> dict[str, dict]:
    defaults = tomllib.loads(SHIPPED_DEFAULTS.read_text(encoding="utf-8"))
    return {item["name"]: item for item in defaults["item"]}


def edit_differential(muscle: Muscle) -> None:
    differential = muscle.differentials.get(name="Plantar fasciitis")
    differential.description = "Rewritten by the editor."
    differential.save()
