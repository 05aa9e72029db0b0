"""`manage.py load_trigger_content` loads muscle documents completely, in order, once.

It never overwrites an editor's later change without --force, keeps module items that
programs link to, and refuses a bad document (naming the line) without loading anything.
"""

import io
import shutil
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.factories import ProgramItemFactory
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


# --- Helpers ---------------------------------------------------------------------------------


def _load(*paths: Path, force: bool = False) -> str:
    out = io.StringIO()
    call_command("load_trigger_content", *[str(p) for p in paths], force=force, stdout=out)
    return out.getvalue()


def _copy_shipped(
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


def _write(tmp_path: Path, name: str, text: str, defaults: str | None = None) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    if defaults is not None:
        defaults_path(path).write_text(defaults, encoding="utf-8")
    return path


def _append_to_defaults(path: Path, text: str) -> None:
    with defaults_path(path).open("a", encoding="utf-8") as defaults:
        defaults.write("\n" + text)


def _drop_default(path: Path, name: str) -> None:
    """Remove one item's entry from a document's defaults sidecar."""
    sidecar = defaults_path(path)
    entries = sidecar.read_text(encoding="utf-8").split("[[item]]")
    kept = [entry for entry in entries if f'name = "{name}"' not in entry]
    sidecar.write_text("[[item]]".join(kept), encoding="utf-8")


def _soleus(tmp_path: Path) -> Path:
    return _write(tmp_path, "soleus-trigger-points.txt", SOLEUS_DOCUMENT, SOLEUS_DEFAULTS)


def _snapshot() -> dict[str, list[dict]]:
    """Every library row with every column, so "nothing changed" includes updated_at."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in LIBRARY_MODELS}


def _items(muscle: Muscle, kind: str) -> list[tuple[str, str, str]]:
    return [
        (item.label, item.text, item.note)
        for item in muscle.section_items.filter(kind=kind).order_by("order")
    ]


def _section_text(muscle: Muscle, kind: str) -> tuple[str, str, str]:
    text = muscle.section_texts.get(kind=kind)
    return text.heading, text.lead, text.summary


def _module_items(muscle: Muscle) -> dict[str, list[str]]:
    return {
        module.name: [item.name for item in module.items.order_by("order")]
        for module in muscle.modules.order_by("order")
    }


def _item(muscle: Muscle, name: str) -> ModuleItem:
    return ModuleItem.objects.get(module__muscle=muscle, name=name)


def _urgent_flags() -> dict[str, dict]:
    library = tomllib.loads(LIBRARY_DATA.read_text(encoding="utf-8"))
    return {flag["match"]: flag for flag in library["urgent"]}


def _shipped_defaults() -> dict[str, dict]:
    defaults = tomllib.loads(SHIPPED_DEFAULTS.read_text(encoding="utf-8"))
    return {item["name"]: item for item in defaults["item"]}


@pytest.fixture
def later(time_machine):
    """Move the clock on, as an editor's change in the admin comes after the load."""

    def move() -> None:
        time_machine.move_to(timezone.now() + timedelta(minutes=5))

    return move


# --- 1. The shipped document loads completely, in document order ---------------------------


def test_the_shipped_document_creates_the_gastrocnemius_and_reports_it(db):
    output = _load()

    assert output == "Gastrocnemius: created\n"
    muscle = Muscle.objects.get(slug="gastrocnemius")
    assert muscle.name == "Gastrocnemius"
    assert muscle.title == "Gastrocnemius Trigger Points"
    assert muscle.has_content
    assert muscle.source_checksum
    assert muscle.loaded_at is not None


def test_the_name_area_introduction_conclusion_and_further_reading_are_loaded(gastrocnemius):
    assert gastrocnemius.area == (
        "Located on the posterior lower leg, running from the femur to the Achilles tendon, "
        "forming the bulk of the calf muscle."
    )
    assert gastrocnemius.introduction == (
        "The gastrocnemius is a key calf muscle responsible for ankle plantarflexion and knee "
        "flexion. When trigger points develop in this muscle, they can cause calf pain, heel "
        "pain, and Achilles tendon discomfort, often mimicking Achilles tendinitis, plantar "
        "fasciitis, or deep vein thrombosis (DVT)."
    )
    assert gastrocnemius.conclusion == (
        "The gastrocnemius plays a crucial role in ankle plantarflexion, knee flexion, and "
        "postural stability, but trigger points in this muscle can cause significant calf, "
        "heel, and Achilles pain. By incorporating dry needling, manual therapy, stretching, "
        "and strengthening exercises, individuals can reduce pain, improve mobility, and "
        "prevent future dysfunction."
    )
    assert gastrocnemius.further_reading == "Learn more about Trigger Points"


def test_the_indications_are_loaded_in_order_with_their_notes(gastrocnemius):
    assert _items(gastrocnemius, "indications") == [
        ("", "Pain in the calf and heel", "mistaken for Achilles tendinitis or plantar fasciitis"),
        (
            "",
            "Pain that extends to the knee or behind the shin",
            "can mimic sciatic nerve pain or compartment syndrome",
        ),
        ("", "Calf cramping or tightness", "especially at night or after exercise"),
        ("", "Pain when walking, running, or climbing stairs", ""),
        (
            "",
            "Heaviness or fatigue in the legs",
            "common in athletes, runners, and those who stand for long periods",
        ),
        ("", "Difficulty raising onto the toes or pushing off while walking", ""),
    ]
    assert _section_text(gastrocnemius, "indications") == (
        "Indications",
        "Gastrocnemius trigger points may contribute to:",
        "Pain from this muscle is often mistaken for Achilles tendinitis, nerve compression, "
        "or circulatory issues.",
    )


def test_the_muscle_actions_are_loaded_in_order_with_their_labels(gastrocnemius):
    assert _items(gastrocnemius, "actions") == [
        (
            "Plantarflexes the Foot",
            "Pushes the foot downward",
            "essential for walking, running, and jumping",
        ),
        ("Assists in Knee Flexion", "Helps bend the knee joint.", ""),
        ("Supports Postural Stability", "Works with the soleus and foot muscles for balance.", ""),
    ]
    assert _section_text(gastrocnemius, "actions") == (
        "Muscle Action",
        "",
        "The gastrocnemius is essential for explosive movements, such as sprinting and "
        "jumping, and supports the lower leg during walking and standing.",
    )


def test_the_signs_and_symptoms_are_loaded_in_order(gastrocnemius):
    assert _items(gastrocnemius, "symptoms") == [
        ("", "Pain in the calf that feels like a deep ache or cramping", ""),
        (
            "",
            "Pain that extends to the heel or sole of the foot",
            "can resemble plantar fasciitis or heel spurs",
        ),
        ("", "Calf tightness that worsens after rest or exercise", ""),
        ("", "Difficulty pushing off while walking or running", "weakness in plantarflexion"),
        ("", "Pain when stretching the calf or standing on the toes", ""),
        (
            "",
            "Burning or tingling sensation in the lower leg",
            "can be mistaken for nerve issues or circulatory problems",
        ),
        ("", "Pain worsens with prolonged standing, walking, or wearing improper footwear.", ""),
    ]
    assert _section_text(gastrocnemius, "symptoms") == (
        "Signs and Symptoms",
        "Individuals with gastrocnemius trigger points often report:",
        "",
    )


def test_the_perpetuating_factors_are_loaded_in_order(gastrocnemius):
    assert _items(gastrocnemius, "perpetuating") == [
        ("", "Running or sprinting without proper warm-up or stretching", ""),
        ("", "Wearing high heels or shoes with poor arch support", ""),
        ("", "Overuse from jumping, dancing, or explosive movements", ""),
        (
            "",
            "Standing for long periods",
            "common in nurses, retail workers, and factory workers",
        ),
        ("", "Dehydration or electrolyte imbalances", "leading to increased muscle cramping"),
        (
            "",
            "Tight hamstrings or weak glute muscles",
            "forcing the calves to overcompensate for stability",
        ),
    ]
    assert _section_text(gastrocnemius, "perpetuating") == (
        "Perpetuating Factors",
        "Common causes of gastrocnemius trigger points include:",
        "",
    )


def test_the_referral_zones_are_loaded_in_order_each_with_its_region_and_mimics(gastrocnemius):
    zones = [
        (zone.region.slug, zone.text, zone.mimics)
        for zone in gastrocnemius.referral_zones.order_by("order")
    ]

    assert zones == [
        (
            "back-of-calf",
            "The back of the calf",
            "Can Mimic Sciatic Nerve Pain or Deep Vein Thrombosis (DVT)",
        ),
        (
            "heel-and-sole",
            "The heel and sole of the foot",
            "Often Misdiagnosed as Plantar Fasciitis or Heel Spurs",
        ),
        ("back-of-knee", "The back of the knee", "Mistaken for Hamstring Strain or Baker’s Cyst"),
    ]
    assert list(BodyRegion.objects.values_list("slug", "name")) == [
        ("back-of-calf", "Back of calf"),
        ("heel-and-sole", "Heel and sole"),
        ("back-of-knee", "Back of knee"),
    ]
    assert _section_text(gastrocnemius, "referral") == (
        "Trigger Point Referral Pattern",
        "Trigger points in the gastrocnemius refer pain to:",
        "Pain from this muscle is often confused with plantar fasciitis, Achilles tendinitis, "
        "or nerve entrapment.",
    )


def test_the_differentials_are_loaded_in_order_with_urgent_ones_flagged(gastrocnemius):
    flags = _urgent_flags()
    rows = [
        (d.name, d.description, d.urgent, d.urgent_advice, d.urgent_source)
        for d in gastrocnemius.differentials.order_by("order")
    ]

    assert rows == [
        (
            "Plantar fasciitis",
            "sharp pain in the heel and arch, worse in the morning",
            False,
            "",
            "",
        ),
        (
            "Achilles tendinitis",
            "pain and stiffness at the Achilles tendon, especially after activity",
            False,
            "",
            "",
        ),
        (
            "Deep vein thrombosis",
            "swelling, warmth, and pain in the calf, often in one leg only",
            True,
            flags["deep vein thrombosis"]["advice"],
            flags["deep vein thrombosis"]["source"],
        ),
        (
            "Sciatic nerve compression",
            "pain that extends from the lower back to the calf and foot",
            False,
            "",
            "",
        ),
        (
            "Compartment syndrome",
            "severe tightness and pain in the lower leg that worsens with activity",
            True,
            flags["compartment syndrome"]["advice"],
            flags["compartment syndrome"]["source"],
        ),
    ]
    assert all(advice and source for *_, urgent, advice, source in rows if urgent)


def test_the_assessment_sentence_closes_the_differential_section_and_is_no_condition(
    gastrocnemius,
):
    sentence = (
        "A thorough lower leg, foot, and circulatory assessment is necessary to rule out "
        "these conditions."
    )

    assert _section_text(gastrocnemius, "differential") == (
        "Differential Diagnosis",
        "Gastrocnemius trigger points may be mistaken for:",
        sentence,
    )
    assert not Differential.objects.filter(name__startswith="A thorough").exists()


def test_the_associated_muscles_are_created_as_stubs_and_linked_both_ways(gastrocnemius):
    links = [
        (link.related.name, link.related.slug, link.note)
        for link in gastrocnemius.associations.order_by("order")
    ]

    assert links == [
        ("Soleus", "soleus", "heel and ankle pain, can contribute to foot fatigue and weakness"),
        (
            "Tibialis posterior",
            "tibialis-posterior",
            "inner ankle and foot pain, affects arch support and stability",
        ),
        (
            "Peroneus longus and brevis",
            "peroneus-longus-and-brevis",
            "lateral foot and ankle pain, can affect balance and gait",
        ),
        (
            "Hamstrings",
            "hamstrings",
            "posterior knee pain and stiffness, affects leg flexibility and strength",
        ),
    ]
    stubs = Muscle.objects.exclude(pk=gastrocnemius.pk)
    assert stubs.count() == 4
    for stub in stubs:
        assert not stub.has_content
        assert stub.loaded_at is None
        # Linked both ways through the reverse relation, no row written into the stub.
        assert [link.muscle for link in stub.associated_from.all()] == [gastrocnemius]
        assert not stub.associations.exists()
    assert _section_text(gastrocnemius, "associated") == (
        "Associated Trigger Points",
        "Gastrocnemius trigger points often co-exist with:",
        "",
    )


def test_the_anatomy_table_and_its_note_are_loaded(gastrocnemius):
    assert gastrocnemius.origin == "Femur (medial and lateral condyles)"
    assert gastrocnemius.insertion == "Achilles tendon, calcaneus (heel bone)"
    assert gastrocnemius.innervation == "Tibial nerve"
    assert gastrocnemius.nerve_roots == "S1–S2"
    assert gastrocnemius.anatomy_note == (
        "The gastrocnemius is innervated by the tibial nerve, which also controls foot "
        "plantarflexion and lower leg stability."
    )


def test_the_examination_steps_are_loaded_in_order(gastrocnemius):
    assert _items(gastrocnemius, "examination") == [
        ("Palpation", "Identify tender nodules along the calf and near the Achilles tendon.", ""),
        (
            "Toe Raise Strength Testing",
            "Assess pain and weakness when lifting onto the toes against resistance.",
            "",
        ),
        (
            "Gait Analysis",
            "Look for toe-off weakness or abnormal foot movement patterns while walking or "
            "running.",
            "",
        ),
        ("Circulatory Assessment", "Rule out deep vein thrombosis (DVT) or vascular issues.", ""),
    ]
    assert _section_text(gastrocnemius, "examination") == (
        "Patient Examination",
        "A comprehensive examination should include:",
        "",
    )


def test_every_section_has_its_heading_text_and_nothing_else(gastrocnemius):
    headings = dict(gastrocnemius.section_texts.values_list("kind", "heading"))

    assert headings == {
        "indications": "Indications",
        "actions": "Muscle Action",
        "symptoms": "Signs and Symptoms",
        "perpetuating": "Perpetuating Factors",
        "referral": "Trigger Point Referral Pattern",
        "differential": "Differential Diagnosis",
        "associated": "Associated Trigger Points",
        "examination": "Patient Examination",
        "corrective": "Corrective Actions",
    }
    assert _section_text(gastrocnemius, "corrective") == ("Corrective Actions", "", "")
    counts = {
        kind: gastrocnemius.section_items.filter(kind=kind).count()
        for kind in ("indications", "actions", "symptoms", "perpetuating", "examination")
    }
    assert counts == {
        "indications": 6,
        "actions": 3,
        "symptoms": 7,
        "perpetuating": 6,
        "examination": 4,
    }
    assert gastrocnemius.section_items.count() == sum(counts.values())


def test_the_modules_are_loaded_in_order_with_kind_and_setting(gastrocnemius):
    modules = [(m.name, m.kind, m.setting) for m in gastrocnemius.modules.order_by("order")]

    assert modules == [
        ("Dry Needling", Module.Kind.DRY_NEEDLING, Module.Setting.CLINIC),
        ("Manual Therapy", Module.Kind.MANUAL_THERAPY, Module.Setting.CLINIC),
        ("Stretching", Module.Kind.STRETCHING, Module.Setting.HOME),
        ("Strengthening Exercises", Module.Kind.STRENGTHENING, Module.Setting.HOME),
        ("Postural and Footwear Adjustments", Module.Kind.POSTURE_FOOTWEAR, Module.Setting.HOME),
    ]


def test_the_module_items_are_loaded_in_order_with_their_statements(gastrocnemius):
    items = {
        module.name: [
            (i.name, i.text, i.instructions)
            for i in module.items.filter(is_default_item=False).order_by("order")
        ]
        for module in gastrocnemius.modules.order_by("order")
    }

    def same(name: str, text: str) -> tuple[str, str, str]:
        return name, text, text

    dry_needling = (
        "Dry needling can release trigger points in the gastrocnemius, reducing muscle "
        "tightness and improving mobility."
    )
    assert items == {
        "Dry Needling": [same(dry_needling.rstrip("."), dry_needling)],
        "Manual Therapy": [
            same(
                "Trigger Point Release",
                "Apply direct pressure to tight spots in the calf and near the Achilles tendon.",
            ),
            same("Massage Therapy", "Helps improve circulation and reduce calf muscle tension."),
        ],
        "Stretching": [
            same(
                "Calf Stretch",
                "Stand with one foot behind the other and lean forward, keeping the back "
                "heel down.",
            ),
            same(
                "Wall Stretch",
                "Press the toes against a wall while keeping the heel on the ground.",
            ),
        ],
        "Strengthening Exercises": [
            same("Calf Raises", "Strengthens the gastrocnemius and foot stabilizers."),
            same("Toe Walking", "Improves calf endurance and foot coordination."),
            same(
                "Eccentric Heel Drops",
                "Helps prevent Achilles tendinitis and improves flexibility.",
            ),
        ],
        "Postural and Footwear Adjustments": [
            same(
                "Wear supportive shoes with proper heel cushioning",
                "Wear supportive shoes with proper heel cushioning.",
            ),
            same(
                "Use custom orthotics to improve foot and ankle alignment",
                "Use custom orthotics to improve foot and ankle alignment.",
            ),
            same(
                "Avoid prolonged standing without proper movement or support",
                "Avoid prolonged standing without proper movement or support.",
            ),
        ],
    }


def test_the_sources_are_loaded_in_order(gastrocnemius):
    assert list(gastrocnemius.sources.order_by("order").values_list("citation", flat=True)) == [
        "Travell, J. G., & Simons, D. G. (1983). Myofascial Pain and Dysfunction: The Trigger "
        "Point Manual (2nd ed.). Williams & Wilkins.",
        "Simons, D., & Travell, J. (1999). The Trigger Point Manual, Volume 2: The Lower "
        "Extremities. Williams & Wilkins.",
    ]


# --- 2. Default dosages from the sidecar ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "dosage"),
    [
        ("Calf Stretch", {"hold_seconds": 30, "reps": 3, "times_per_day": 2, "days_per_week": 7}),
        ("Wall Stretch", {"hold_seconds": 30, "reps": 3, "times_per_day": 2, "days_per_week": 7}),
        ("Calf Raises", {"sets": 3, "reps": 10}),
        ("Toe Walking", {"sets": 3, "reps": 20}),
        (
            "Eccentric Heel Drops",
            {"sets": 3, "reps": 15, "times_per_day": 2, "days_per_week": 7},
        ),
    ],
)
def test_a_home_item_without_a_dosage_in_the_document_carries_the_cited_default(
    gastrocnemius, name, dosage
):
    item = _item(gastrocnemius, name)
    every_field = dict.fromkeys(
        ("sets", "reps", "hold_seconds", "rest_seconds", "times_per_day", "days_per_week")
    )

    assert {field: getattr(item, field) for field in every_field} == {**every_field, **dosage}
    assert item.dosage_is_default is True
    assert item.dosage_source == _shipped_defaults()[name]["source"]
    assert item.dosage_source
    item.full_clean()


@pytest.mark.parametrize(
    "name",
    [
        "Wear supportive shoes with proper heel cushioning",
        "Use custom orthotics to improve foot and ankle alignment",
        "Avoid prolonged standing without proper movement or support",
        "Trigger Point Release",
    ],
)
def test_an_item_without_a_default_has_no_dosage(gastrocnemius, name):
    item = _item(gastrocnemius, name)

    assert (
        item.sets,
        item.reps,
        item.hold_seconds,
        item.rest_seconds,
        item.times_per_day,
        item.days_per_week,
    ) == (None,) * 6
    assert item.dosage_is_default is False
    assert item.dosage_source == ""


HOME_EXERCISES = [
    "Calf Stretch",
    "Wall Stretch",
    "Calf Raises",
    "Toe Walking",
    "Eccentric Heel Drops",
]
ADVICE = [
    "Wear supportive shoes with proper heel cushioning",
    "Use custom orthotics to improve foot and ankle alignment",
    "Avoid prolonged standing without proper movement or support",
]


def test_every_home_exercise_of_the_seed_is_loaded_with_steps_a_stop_line_and_their_source(
    gastrocnemius,
):
    # The document's own exercises; the progressions it does not name are defaults of their
    # own, with steps too (tests/trigger/test_progressions.py).
    exercises = ModuleItem.objects.filter(
        module__muscle=gastrocnemius,
        module__setting=Module.Setting.HOME,
        is_advice=False,
        is_default_item=False,
    )
    assert sorted(exercises.values_list("name", flat=True)) == sorted(HOME_EXERCISES)
    for item in exercises:
        shipped = _shipped_defaults()[item.name]
        assert item.step_texts == shipped["steps"], item.name
        assert len(item.step_texts) >= 3, item.name
        assert item.stop_if == shipped["stop_if"]
        assert "Stop" in item.stop_if
        assert item.steps_are_default is True
        assert item.steps_source == shipped["steps_source"] and item.steps_source
        # The seed's own sentence stays: what the exercise is for.
        assert item.instructions == item.text
        assert item.illustration_path == f"illustrations/{shipped['illustration']}.svg"
        assert item.illustration_alt
        item.full_clean()


def test_the_steps_are_written_in_plain_words_from_their_sources(gastrocnemius):
    heel_drops = _item(gastrocnemius, "Eccentric Heel Drops")
    assert heel_drops.instructions == "Helps prevent Achilles tendinitis and improves flexibility."
    assert "Alfredson" in heel_drops.steps_source
    assert "below the level of the step" in " ".join(heel_drops.step_texts)
    assert "discomfort" in heel_drops.stop_if
    assert "Rise onto your toes." in _item(gastrocnemius, "Toe Walking").step_texts


@pytest.mark.parametrize("name", ADVICE)
def test_the_footwear_module_is_advice_without_steps_or_dosage(gastrocnemius, name):
    item = _item(gastrocnemius, name)

    assert item.is_advice is True
    assert item.step_texts == []
    assert item.dosage_is_default is False
    assert item.illustration == ""


def test_exercises_and_clinic_treatments_are_not_advice(gastrocnemius):
    not_advice = ModuleItem.objects.filter(module__muscle=gastrocnemius).exclude(name__in=ADVICE)
    # The document's 8 exercises and clinic treatments, and the 2 calf-raise progressions.
    assert not_advice.count() == 10
    assert not not_advice.filter(is_advice=True).exists()


def test_an_editors_change_to_a_step_blocks_a_changed_document(gastrocnemius, tmp_path, later):
    step = _item(gastrocnemius, "Calf Raises").steps.order_by("order").first()
    step.text = "Rise onto your toes, slowly."
    step.save()
    path = _copy_shipped(tmp_path, {"Toe Walking: Improves": "Toe Walking: Builds"})

    with pytest.raises(CommandError, match="changed in the admin"):
        _load(path)

    step.refresh_from_db()
    assert step.text == "Rise onto your toes, slowly."


BAD_STEPS = {
    "steps-without-source": (
        'steps = ["Stand up."]\n',
        "default steps must cite their source",
    ),
    "steps-not-a-list": (
        'steps = "Stand up."\nsteps_source = "A source"\n',
        "steps must be a list",
    ),
    "unknown-illustration": (
        'illustration = "no-such-drawing"\nillustration_alt = "A drawing"\n',
        "no illustration named 'no-such-drawing'",
    ),
    "illustration-without-alt": ('illustration = "calf-raises"\n', "needs a description"),
}


@pytest.mark.parametrize(("extra", "message"), BAD_STEPS.values(), ids=BAD_STEPS.keys())
def test_bad_steps_or_illustrations_in_the_defaults_are_refused_and_nothing_is_loaded(
    db, tmp_path, extra, message
):
    path = _copy_shipped(tmp_path)
    defaults = defaults_path(path)
    # Replace the calf raises' entry's steps, source and drawing by the bad ones.
    text = defaults.read_text(encoding="utf-8")
    start = text.index('name = "Calf Raises"')
    end = text.index("[[item]]", start)
    entry = text[start:end]
    kept = "\n".join(
        line for line in entry.splitlines() if line.startswith(("name", "sets", "reps", "source"))
    )
    defaults.write_text(text[:start] + kept + "\n" + extra + "\n" + text[end:], encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        _load(path)

    assert Muscle.objects.count() == 0
    assert ModuleItem.objects.count() == 0


# --- 3. Idempotent ----------------------------------------------------------------------------


def test_running_the_command_twice_changes_nothing(db):
    assert _load() == "Gastrocnemius: created\n"
    before = _snapshot()
    log_entries = LogEntry.objects.count()

    output = _load()

    assert output == "Gastrocnemius: unchanged\n"
    assert _snapshot() == before
    assert LogEntry.objects.count() == log_entries
    assert log_entries > 0


def test_running_the_command_twice_with_two_documents_changes_neither(db, tmp_path):
    soleus = _soleus(tmp_path)
    _load(SHIPPED, soleus)
    before = _snapshot()
    log_entries = LogEntry.objects.count()

    output = _load(SHIPPED, soleus)

    assert output == "Gastrocnemius: unchanged\nSoleus: unchanged\n"
    assert _snapshot() == before
    assert LogEntry.objects.count() == log_entries


def test_a_copy_of_the_shipped_document_elsewhere_is_the_same_document(gastrocnemius, tmp_path):
    before = _snapshot()

    assert _load(_copy_shipped(tmp_path)) == "Gastrocnemius: unchanged\n"
    assert _snapshot() == before


# --- 4. Another document in the seed's format -------------------------------------------------


def test_a_second_document_fills_in_the_stub_its_name_created(gastrocnemius, tmp_path):
    stub = Muscle.objects.get(slug="soleus")
    assert not stub.has_content

    output = _load(_soleus(tmp_path))

    assert output.startswith("Soleus: ")
    soleus = Muscle.objects.get(slug="soleus")
    assert soleus.pk == stub.pk
    assert soleus.has_content
    assert soleus.loaded_at is not None
    assert Muscle.objects.filter(name="Soleus").count() == 1
    assert (soleus.name, soleus.title) == ("Soleus", "Soleus Trigger Points")
    assert soleus.area == "Statement three about the soleus."
    assert (
        soleus.introduction == "Statement one about the soleus.\n\nStatement two about the soleus."
    )
    assert soleus.conclusion == "Statement about the soleus conclusion."
    assert soleus.further_reading == "Further reading about the soleus"


def test_a_second_document_loads_every_section_in_order(gastrocnemius, tmp_path):
    _load(_soleus(tmp_path))
    soleus = Muscle.objects.get(slug="soleus")

    assert _items(soleus, "indications") == [
        ("", "Indication one about the soleus", "note on indication one"),
        ("", "Indication two about the soleus", ""),
    ]
    assert _section_text(soleus, "indications") == (
        "Indications",
        "Lead-in about the soleus indications:",
        "Closing paragraph about the soleus indications.",
    )
    assert _items(soleus, "actions") == [
        ("Action One", "Statement about action one.", ""),
        ("Action Two", "Statement about action two", "note on action two"),
    ]
    assert _items(soleus, "symptoms") == [
        ("", "Symptom one about the soleus", ""),
        ("", "Symptom two about the soleus", "note on symptom two"),
        ("", "Symptom three about the soleus.", ""),
    ]
    assert _items(soleus, "perpetuating") == [("", "Factor one about the soleus", "")]
    assert _section_text(soleus, "perpetuating")[1] == "Lead-in about the soleus factors:"
    assert _items(soleus, "examination") == [
        ("Step One", "Statement about examination step one.", ""),
        ("Step Two", "Statement about examination step two.", ""),
    ]
    assert [
        (z.region.slug, z.region.name, z.text, z.mimics)
        for z in soleus.referral_zones.order_by("order")
    ] == [
        ("heel-and-sole", "Heel and sole", "The heel", "Note on the heel zone"),
        (
            "sacroiliac-joint",
            "Sacroiliac joint",
            "The sacroiliac joint",
            "Note on the sacroiliac zone",
        ),
    ]
    assert _section_text(soleus, "referral")[2] == "Closing paragraph about the soleus referral."
    assert [(d.name, d.description, d.urgent) for d in soleus.differentials.order_by("order")] == [
        ("Condition one", "description of condition one", False),
        ("Deep vein thrombosis", "description of the second condition", True),
    ]
    assert _section_text(soleus, "differential")[2] == "Statement about assessing the soleus."
    assert list(soleus.sources.values_list("citation", flat=True)) == [
        "Author, A. (2000). Placeholder source one. Publisher."
    ]


def test_a_second_document_reads_an_anatomy_table_separated_by_tabs(gastrocnemius, tmp_path):
    _load(_soleus(tmp_path))
    soleus = Muscle.objects.get(slug="soleus")

    assert soleus.origin == "Origin statement (soleus)"
    assert soleus.insertion == "Insertion statement, calcaneus"
    assert (soleus.innervation, soleus.nerve_roots) == ("Tibial nerve", "S1–S2")
    assert soleus.anatomy_note == "Statement about the soleus innervation."


def test_a_second_document_has_its_own_modules_items_and_defaults(gastrocnemius, tmp_path):
    _load(_soleus(tmp_path))
    soleus = Muscle.objects.get(slug="soleus")

    assert [(m.name, m.kind, m.setting) for m in soleus.modules.order_by("order")] == [
        ("Manual Therapy", Module.Kind.MANUAL_THERAPY, Module.Setting.CLINIC),
        ("Stretching", Module.Kind.STRETCHING, Module.Setting.HOME),
        ("Strengthening Exercises", Module.Kind.STRENGTHENING, Module.Setting.HOME),
        ("Self-Massage", Module.Kind.SELF_MASSAGE, Module.Setting.HOME),
    ]
    assert _module_items(soleus) == {
        "Manual Therapy": ["Release One"],
        "Stretching": ["Stretch One", "Stretch Two", "Stretch Three"],
        "Strengthening Exercises": ["Exercise One"],
        "Self-Massage": ["Ball Rolling"],
    }
    assert _item(soleus, "Ball Rolling").text == "Statement about ball rolling."
    stretch_one = _item(soleus, "Stretch One")
    assert (stretch_one.hold_seconds, stretch_one.reps, stretch_one.sets) == (20, 2, None)
    assert stretch_one.dosage_is_default is True
    assert stretch_one.dosage_source == "Placeholder source of the stretch one default"
    assert _item(soleus, "Stretch Two").dosage_is_default is False
    # The gastrocnemius's modules are its own and untouched.
    assert _module_items(gastrocnemius)["Stretching"] == ["Calf Stretch", "Wall Stretch"]
    assert gastrocnemius.modules.count() == 5


def test_a_second_document_links_its_associated_muscles_without_duplicates(gastrocnemius, tmp_path):
    tibialis = Muscle.objects.get(slug="tibialis-posterior")

    _load(_soleus(tmp_path))
    soleus = Muscle.objects.get(slug="soleus")

    assert [(a.related, a.note) for a in soleus.associations.order_by("order")] == [
        (gastrocnemius, "note on the gastrocnemius link"),
        (tibialis, "note on the tibialis posterior link"),
    ]
    assert gastrocnemius.associations.filter(related=soleus).count() == 1
    assert tibialis.associated_from.filter(muscle=soleus).count() == 1
    assert Muscle.objects.filter(slug="tibialis-posterior").count() == 1
    assert Muscle.objects.count() == 5


def test_the_shipped_document_fills_in_a_stub_a_second_document_created(db, tmp_path):
    _load(_soleus(tmp_path))
    stub = Muscle.objects.get(slug="gastrocnemius")
    assert not stub.has_content

    output = _load()

    assert output.startswith("Gastrocnemius: ")
    gastrocnemius = Muscle.objects.get(slug="gastrocnemius")
    assert gastrocnemius.pk == stub.pk
    assert gastrocnemius.origin == "Femur (medial and lateral condyles)"
    assert gastrocnemius.modules.count() == 5


# --- 5. An editor's later change is never overwritten without --force ------------------------


def test_a_changed_document_is_refused_after_an_editors_change_and_nothing_changes(
    gastrocnemius, tmp_path, later
):
    later()
    item = _item(gastrocnemius, "Calf Stretch")
    item.instructions = "The editor's plain-words instructions."
    item.save()
    changed = _copy_shipped(
        tmp_path, {CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch."}
    )
    before = _snapshot()
    log_entries = LogEntry.objects.count()

    with pytest.raises(CommandError, match="--force") as caught:
        _load(changed)

    assert "Gastrocnemius" in str(caught.value)
    assert _snapshot() == before
    assert LogEntry.objects.count() == log_entries
    item.refresh_from_db()
    assert item.instructions == "The editor's plain-words instructions."
    assert not ModuleItem.objects.filter(text__contains="Statement one").exists()


def test_force_lets_the_changed_documents_text_win(gastrocnemius, tmp_path, later):
    later()
    item = _item(gastrocnemius, "Calf Stretch")
    item.instructions = "The editor's plain-words instructions."
    item.save()
    changed = _copy_shipped(
        tmp_path, {CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch."}
    )

    output = _load(changed, force=True)

    assert output == "Gastrocnemius: updated\n"
    reloaded = _item(gastrocnemius, "Calf Stretch")
    assert reloaded.pk == item.pk
    assert reloaded.text == "Statement one about the calf stretch."
    assert reloaded.instructions == "Statement one about the calf stretch."
    assert reloaded.dosage_is_default is True
    # The next plain run sees the forced document as loaded, with nothing edited since.
    assert _load(changed) == "Gastrocnemius: unchanged\n"


def test_reloading_the_unchanged_document_keeps_the_editors_change(gastrocnemius, later):
    later()
    item = _item(gastrocnemius, "Calf Stretch")
    item.instructions = "The editor's plain-words instructions."
    item.save()
    before = _snapshot()

    output = _load()

    assert output == "Gastrocnemius: unchanged\n"
    assert _snapshot() == before
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


def _edit_differential(muscle: Muscle) -> None:
    differential = muscle.differentials.get(name="Plantar fasciitis")
    differential.description = "Rewritten by the editor."
    differential.save()


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
        _edit_differential,
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
    changed = _copy_shipped(
        tmp_path, {CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch."}
    )
    before = _snapshot()

    with pytest.raises(CommandError, match="--force"):
        _load(changed)

    assert _snapshot() == before


def test_an_editors_deletion_blocks_a_changed_document(gastrocnemius, tmp_path, later):
    """An exercise the editor deleted (on its own admin page) must not silently come back."""
    later()
    _item(gastrocnemius, "Toe Walking").delete()
    changed = _copy_shipped(
        tmp_path, {CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch."}
    )

    with pytest.raises(CommandError, match="--force"):
        _load(changed)

    assert not ModuleItem.objects.filter(name="Toe Walking").exists()


def test_loading_one_muscle_never_makes_another_look_edited(db, tmp_path):
    """Only an editor's change blocks a reload, not the back-link another document writes."""
    soleus_text = SOLEUS_DOCUMENT.replace(
        "  • Gastrocnemius (note on the gastrocnemius link)\n\n", ""
    )
    _load(SHIPPED)
    soleus = _write(tmp_path, "soleus-trigger-points.txt", soleus_text)
    _load(soleus)
    _load(
        _copy_shipped(
            tmp_path, {CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch."}
        )
    )

    soleus.write_text(soleus_text.replace("Statement one", "Statement one, changed"))
    output = _load(soleus)

    assert output == "Soleus: updated\n"
    assert Muscle.objects.get(slug="soleus").introduction.startswith(
        "Statement one, changed about the soleus."
    )


# --- 6. A changed document keeps the items that still exist ----------------------------------


def test_a_changed_document_keeps_the_primary_keys_of_items_that_still_exist(
    gastrocnemius, tmp_path
):
    before = {
        (item.module.name, item.name): item.pk
        for item in ModuleItem.objects.filter(module__muscle=gastrocnemius)
    }
    modules_before = dict(gastrocnemius.modules.values_list("name", "pk"))
    calf_stretch_copy = ProgramItemFactory(library_item=_item(gastrocnemius, "Calf Stretch"))
    toe_walking_copy = ProgramItemFactory(library_item=_item(gastrocnemius, "Toe Walking"))
    changed = _copy_shipped(
        tmp_path,
        {
            CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch.",
            TOE_WALKING_LINE: "",
        },
    )
    _drop_default(changed, "Toe Walking")

    output = _load(changed)

    assert output == "Gastrocnemius: updated\n"
    after = {
        (item.module.name, item.name): item.pk
        for item in ModuleItem.objects.filter(module__muscle=gastrocnemius)
    }
    assert after == {
        key: pk for key, pk in before.items() if key != ("Strengthening Exercises", "Toe Walking")
    }
    assert dict(gastrocnemius.modules.values_list("name", "pk")) == modules_before
    assert _module_items(gastrocnemius)["Strengthening Exercises"] == [
        "Calf Raises",
        "Eccentric Heel Drops",
        "Calf Raises on One Leg",
        "Calf Raises on a Step",
    ]
    assert _item(gastrocnemius, "Calf Stretch").text == "Statement one about the calf stretch."
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
    wall_stretch = _item(gastrocnemius, "Wall Stretch")
    changed = _copy_shipped(
        tmp_path,
        {
            "Dry Needling\n\n  • Dry needling can release trigger points in the gastrocnemius, "
            "reducing muscle tightness and improving mobility.\n\n": "",
            "keeping the heel on the ground.\n": "keeping the heel on the ground.\n\n"
            "  • Seated Stretch: Statement one about a seated stretch.\n",
        },
    )

    _load(changed)

    assert list(gastrocnemius.modules.order_by("order").values_list("name", flat=True)) == [
        "Manual Therapy",
        "Stretching",
        "Strengthening Exercises",
        "Postural and Footwear Adjustments",
    ]
    assert not Module.objects.filter(pk=dry_needling.pk).exists()
    assert not ModuleItem.objects.filter(pk__in=dry_needling_items).exists()
    assert _module_items(gastrocnemius)["Stretching"] == [
        "Calf Stretch",
        "Wall Stretch",
        "Seated Stretch",
    ]
    assert _item(gastrocnemius, "Wall Stretch").pk == wall_stretch.pk
    seated = _item(gastrocnemius, "Seated Stretch")
    assert (seated.dosage_is_default, seated.hold_seconds) == (False, None)


# --- 7. Bad documents: a clear error naming the line, and nothing loaded ---------------------


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
    path = _write(tmp_path, "soleus-trigger-points.txt", text)

    with pytest.raises(CommandError, match=rf"line {line}: ") as caught:
        _load(path)

    assert str(caught.value).startswith(f"{path}: line {line}: ")
    assert message in str(caught.value)
    assert Muscle.objects.count() == 0
    assert BodyRegion.objects.count() == 0
    assert LogEntry.objects.count() == 0


def test_the_minimal_document_used_by_the_bad_document_tests_is_itself_valid(db, tmp_path):
    assert _load(_write(tmp_path, "soleus-trigger-points.txt", MINIMAL)) == "Soleus: created\n"


def test_an_unreadable_document_is_refused_naming_the_file(db, tmp_path):
    missing = tmp_path / "missing.txt"
    not_text = tmp_path / "binary.txt"
    not_text.write_bytes(b"\xff\xfe\x00binary")

    with pytest.raises(CommandError, match="missing.txt: cannot read the document"):
        _load(missing)
    with pytest.raises(CommandError, match="binary.txt: cannot read the document"):
        _load(not_text)
    assert Muscle.objects.count() == 0


def test_when_the_second_document_is_bad_the_first_is_not_loaded_either(db, tmp_path):
    bad = _write(tmp_path, "bad.txt", MINIMAL + "\nCorrective Actions\n\n  • Statement one.\n")

    with pytest.raises(CommandError, match="bad.txt: line 9: "):
        _load(SHIPPED, bad)

    assert Muscle.objects.count() == 0
    assert ModuleItem.objects.count() == 0
    assert LogEntry.objects.count() == 0


def test_when_the_second_document_fails_while_writing_the_first_is_rolled_back(db, tmp_path):
    bad = _copy_shipped(tmp_path, name="other-gastrocnemius.txt")
    _append_to_defaults(
        bad,
        '[[item]]\nmodule = "Stretching"\nname = "Statement one stretch"\n'
        'source = "Placeholder source"\n',
    )

    with pytest.raises(CommandError, match="Statement one stretch"):
        _load(_soleus(tmp_path), bad)

    assert Muscle.objects.count() == 0
    assert BodyRegion.objects.count() == 0
    assert LogEntry.objects.count() == 0


def test_when_the_second_document_is_refused_for_an_editors_change_the_first_is_not_loaded(
    gastrocnemius, tmp_path, later
):
    later()
    _edit_differential(gastrocnemius)
    changed = _copy_shipped(
        tmp_path, {CALF_STRETCH_LINE: "Calf Stretch: Statement one about the calf stretch."}
    )
    before = _snapshot()

    with pytest.raises(CommandError, match="--force"):
        _load(_soleus(tmp_path), changed)

    assert _snapshot() == before
    assert not Muscle.objects.get(slug="soleus").has_content


def test_a_defaults_file_naming_an_item_the_document_does_not_have_is_refused(db, tmp_path):
    path = _copy_shipped(tmp_path)
    _append_to_defaults(
        path,
        '[[item]]\nmodule = "Stretching"\nname = "Statement one stretch"\n'
        'source = "Placeholder source"\nreps = 2\n',
    )

    with pytest.raises(CommandError, match="'Statement one stretch': the document has no such"):
        _load(path)

    assert Muscle.objects.count() == 0
    assert ModuleItem.objects.count() == 0
    assert LogEntry.objects.count() == 0


def test_a_defaults_error_names_the_defaults_file(db, tmp_path):
    """With several documents, the editor must learn which sidecar to fix."""
    path = _copy_shipped(tmp_path)
    _append_to_defaults(
        path,
        '[[item]]\nmodule = "Stretching"\nname = "Statement one stretch"\n'
        'source = "Placeholder source"\nreps = 2\n',
    )

    with pytest.raises(CommandError) as caught:
        _load(_soleus(tmp_path), path)

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
    path = _copy_shipped(tmp_path)
    _append_to_defaults(path, appended)

    with pytest.raises(CommandError) as caught:
        _load(path)

    assert named in str(caught.value)
    assert Muscle.objects.count() == 0
    assert ModuleItem.objects.count() == 0
