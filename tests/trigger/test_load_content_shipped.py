"""`manage.py load_trigger_content`: The shipped gastrocnemius document loads completely, in
document order."""

from tests.trigger.loading import (
    load_documents,
    section_items,
    section_text,
    urgent_flags,
)
from trigger.models import (
    BodyRegion,
    Differential,
    Module,
    Muscle,
)


def test_the_shipped_document_creates_the_gastrocnemius_and_reports_it(db):
    output = load_documents()

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
    assert section_items(gastrocnemius, "indications") == [
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
    assert section_text(gastrocnemius, "indications") == (
        "Indications",
        "Gastrocnemius trigger points may contribute to:",
        "Pain from this muscle is often mistaken for Achilles tendinitis, nerve compression, "
        "or circulatory issues.",
    )


def test_the_muscle_actions_are_loaded_in_order_with_their_labels(gastrocnemius):
    assert section_items(gastrocnemius, "actions") == [
        (
            "Plantarflexes the Foot",
            "Pushes the foot downward",
            "essential for walking, running, and jumping",
        ),
        ("Assists in Knee Flexion", "Helps bend the knee joint.", ""),
        ("Supports Postural Stability", "Works with the soleus and foot muscles for balance.", ""),
    ]
    assert section_text(gastrocnemius, "actions") == (
        "Muscle Action",
        "",
        "The gastrocnemius is essential for explosive movements, such as sprinting and "
        "jumping, and supports the lower leg during walking and standing.",
    )


def test_the_signs_and_symptoms_are_loaded_in_order(gastrocnemius):
    assert section_items(gastrocnemius, "symptoms") == [
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
    assert section_text(gastrocnemius, "symptoms") == (
        "Signs and Symptoms",
        "Individuals with gastrocnemius trigger points often report:",
        "",
    )


def test_the_perpetuating_factors_are_loaded_in_order(gastrocnemius):
    assert section_items(gastrocnemius, "perpetuating") == [
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
    assert section_text(gastrocnemius, "perpetuating") == (
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
    assert section_text(gastrocnemius, "referral") == (
        "Trigger Point Referral Pattern",
        "Trigger points in the gastrocnemius refer pain to:",
        "Pain from this muscle is often confused with plantar fasciitis, Achilles tendinitis, "
        "or nerve entrapment.",
    )


def test_the_differentials_are_loaded_in_order_with_urgent_ones_flagged(gastrocnemius):
    flags = urgent_flags()
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

    assert section_text(gastrocnemius, "differential") == (
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
    assert section_text(gastrocnemius, "associated") == (
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
    assert section_items(gastrocnemius, "examination") == [
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
    assert section_text(gastrocnemius, "examination") == (
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
    assert section_text(gastrocnemius, "corrective") == ("Corrective Actions", "", "")
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
