"""`manage.py load_trigger_content`: Another muscle's document in the seed's format loads as
completely as the first."""

from tests.trigger.loading import (
    load_documents,
    module_item,
    module_items,
    section_items,
    section_text,
    write_soleus,
)
from trigger.models import (
    Module,
    Muscle,
)


def test_a_second_document_fills_in_the_stub_its_name_created(gastrocnemius, tmp_path):
    stub = Muscle.objects.get(slug="soleus")
    assert not stub.has_content

    output = load_documents(write_soleus(tmp_path))

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
    load_documents(write_soleus(tmp_path))
    soleus = Muscle.objects.get(slug="soleus")

    assert section_items(soleus, "indications") == [
        ("", "Indication one about the soleus", "note on indication one"),
        ("", "Indication two about the soleus", ""),
    ]
    assert section_text(soleus, "indications") == (
        "Indications",
        "Lead-in about the soleus indications:",
        "Closing paragraph about the soleus indications.",
    )
    assert section_items(soleus, "actions") == [
        ("Action One", "Statement about action one.", ""),
        ("Action Two", "Statement about action two", "note on action two"),
    ]
    assert section_items(soleus, "symptoms") == [
        ("", "Symptom one about the soleus", ""),
        ("", "Symptom two about the soleus", "note on symptom two"),
        ("", "Symptom three about the soleus.", ""),
    ]
    assert section_items(soleus, "perpetuating") == [("", "Factor one about the soleus", "")]
    assert section_text(soleus, "perpetuating")[1] == "Lead-in about the soleus factors:"
    assert section_items(soleus, "examination") == [
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
    assert section_text(soleus, "referral")[2] == "Closing paragraph about the soleus referral."
    assert [(d.name, d.description, d.urgent) for d in soleus.differentials.order_by("order")] == [
        ("Condition one", "description of condition one", False),
        ("Deep vein thrombosis", "description of the second condition", True),
    ]
    assert section_text(soleus, "differential")[2] == "Statement about assessing the soleus."
    assert list(soleus.sources.values_list("citation", flat=True)) == [
        "Author, A. (2000). Placeholder source one. Publisher."
    ]


def test_a_second_document_reads_an_anatomy_table_separated_by_tabs(gastrocnemius, tmp_path):
    load_documents(write_soleus(tmp_path))
    soleus = Muscle.objects.get(slug="soleus")

    assert soleus.origin == "Origin statement (soleus)"
    assert soleus.insertion == "Insertion statement, calcaneus"
    assert (soleus.innervation, soleus.nerve_roots) == ("Tibial nerve", "S1–S2")
    assert soleus.anatomy_note == "Statement about the soleus innervation."


def test_a_second_document_has_its_own_modules_items_and_defaults(gastrocnemius, tmp_path):
    load_documents(write_soleus(tmp_path))
    soleus = Muscle.objects.get(slug="soleus")

    assert [(m.name, m.kind, m.setting) for m in soleus.modules.order_by("order")] == [
        ("Manual Therapy", Module.Kind.MANUAL_THERAPY, Module.Setting.CLINIC),
        ("Stretching", Module.Kind.STRETCHING, Module.Setting.HOME),
        ("Strengthening Exercises", Module.Kind.STRENGTHENING, Module.Setting.HOME),
        ("Self-Massage", Module.Kind.SELF_MASSAGE, Module.Setting.HOME),
    ]
    assert module_items(soleus) == {
        "Manual Therapy": ["Release One"],
        "Stretching": ["Stretch One", "Stretch Two", "Stretch Three"],
        "Strengthening Exercises": ["Exercise One"],
        "Self-Massage": ["Ball Rolling"],
    }
    assert module_item(soleus, "Ball Rolling").text == "Statement about ball rolling."
    stretch_one = module_item(soleus, "Stretch One")
    assert (stretch_one.hold_seconds, stretch_one.reps, stretch_one.sets) == (20, 2, None)
    assert stretch_one.dosage_is_default is True
    assert stretch_one.dosage_source == "Placeholder source of the stretch one default"
    assert module_item(soleus, "Stretch Two").dosage_is_default is False
    # The gastrocnemius's modules are its own and untouched.
    assert module_items(gastrocnemius)["Stretching"] == ["Calf Stretch", "Wall Stretch"]
    assert gastrocnemius.modules.count() == 5


def test_a_second_document_links_its_associated_muscles_without_duplicates(gastrocnemius, tmp_path):
    tibialis = Muscle.objects.get(slug="tibialis-posterior")

    load_documents(write_soleus(tmp_path))
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
    load_documents(write_soleus(tmp_path))
    stub = Muscle.objects.get(slug="gastrocnemius")
    assert not stub.has_content

    output = load_documents()

    assert output.startswith("Gastrocnemius: ")
    gastrocnemius = Muscle.objects.get(slug="gastrocnemius")
    assert gastrocnemius.pk == stub.pk
    assert gastrocnemius.origin == "Femur (medial and lateral condyles)"
    assert gastrocnemius.modules.count() == 5
