"""The library pages: /library/ (search) and /library/<slug>/ (one muscle's whole content)."""

import io
import re
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags
from PIL import Image

from tests import factories
from trigger.models import (
    AssociatedMuscle,
    Differential,
    Module,
    ModuleItem,
    Muscle,
    ReferralZone,
    SectionItem,
    SectionText,
    Source,
)

SEED = Path(settings.BASE_DIR) / "trigger" / "content" / "gastrocnemius-trigger-points.txt"
# The seed's section headings, as written, in the order it gives them.
SEED_HEADINGS = [
    "Introduction",
    "Name and Area",
    "Indications",
    "Muscle Action",
    "Signs and Symptoms",
    "Perpetuating Factors",
    "Trigger Point Referral Pattern",
    "Differential Diagnosis",
    "Associated Trigger Points",
    "Anatomy and Innervation",
    "Patient Examination",
    "Corrective Actions",
    "Conclusion",
    "Sources:",
]
ANATOMY_HEADER = "Muscle Origin Insertion Innervation"
ANATOMY_CELLS = [
    "Gastrocnemius",
    "Femur (medial and lateral condyles)",
    "Achilles tendon, calcaneus (heel bone)",
    "Tibial nerve (S1–S2)",
]
URGENT_BADGE = "Urgent — needs same-day medical attention"
LIST_URL = "/library/"
GASTROCNEMIUS_URL = "/library/gastrocnemius/"


# --- Reading the seed and the page, independently of the app's parser ------------------


def normalise(text: str) -> str:
    return " ".join(text.split())


def seed_lines() -> list[str]:
    return [
        normalise(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def split_anatomy_row(row: str) -> list[str]:
    """The seed's row: the muscle's name, then cells that each end in a parenthesis."""
    name, _, rest = row.partition(" ")
    return [name, *re.split(r"(?<=\))\s+", rest)]


def seed_statements() -> list[str]:
    """Every statement of the seed, in its order: labels and texts of bullets apart."""
    statements = []
    previous = ""
    for line in seed_lines():
        after_header, previous = previous == ANATOMY_HEADER, line
        if line in SEED_HEADINGS or line == ANATOMY_HEADER or line.startswith("➡"):
            continue
        if line.startswith("•"):
            body = line.removeprefix("•").strip()
            label, colon, text = body.partition(": ")
            if colon and "(" not in label and len(label) <= 60:
                statements += [label, text]
            else:
                statements.append(body)
        elif after_header:
            cells = split_anatomy_row(line)
            assert cells == ANATOMY_CELLS
            statements += cells
        else:
            statements.append(line)
    return [statement.removesuffix(".") for statement in statements]


def main_html(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def visible_text(html: str) -> str:
    return normalise(unescape(strip_tags(html)))


def elements(html: str, tag: str) -> list[str]:
    """The visible text of each <tag> element (for elements that do not nest)."""
    pattern = rf"<{tag}\b[^>]*>(.*?)</{tag}>"
    return [visible_text(inner) for inner in re.findall(pattern, html, flags=re.DOTALL)]


def differentials_on_page(html: str) -> dict[str, tuple[str, str]]:
    """Condition name -> (the classes of its list item, the item's inner HTML)."""
    found = {}
    for classes, inner in re.findall(
        r'<li class="([^"]*\bdifferential\b[^"]*)"[^>]*>(.*?)</li>', html, flags=re.DOTALL
    ):
        name = re.search(r'<span class="differential-name">(.*?)</span>', inner).group(1)
        found[unescape(name)] = (classes.split(), inner)
    return found


def module_cards(html: str) -> dict[str, str]:
    """Module heading -> the card's inner HTML."""
    cards = {}
    for inner in re.findall(r'<section class="card module[^"]*"[^>]*>(.*?)</section>', html, re.S):
        cards[elements(inner, "h3")[0]] = inner
    return cards


# --- The seed, whole, on the gastrocnemius page -----------------------------------------


def test_the_seed_reader_finds_every_heading_and_the_anatomy_row():
    lines = seed_lines()
    assert [line for line in lines if line in SEED_HEADINGS] == SEED_HEADINGS
    assert ANATOMY_HEADER in lines
    assert len(seed_statements()) > 80


def test_every_statement_of_the_seed_appears_on_the_gastrocnemius_page(
    client, clinician, gastrocnemius
):
    client.force_login(clinician)
    response = client.get(GASTROCNEMIUS_URL)

    assert response.status_code == 200
    page = visible_text(main_html(response))
    missing = [statement for statement in seed_statements() if normalise(statement) not in page]
    assert missing == []


def test_the_statements_appear_in_the_order_of_the_document(client, clinician, gastrocnemius):
    client.force_login(clinician)
    page = visible_text(main_html(client.get(GASTROCNEMIUS_URL)))

    position = 0
    for statement in seed_statements():
        found = page.find(normalise(statement), position)
        assert found >= 0, f"out of order: {statement!r}"
        position = found


def test_the_section_headings_appear_in_the_order_of_the_document(client, clinician, gastrocnemius):
    client.force_login(clinician)
    html = main_html(client.get(GASTROCNEMIUS_URL))

    assert elements(html, "h1") == ["Gastrocnemius Trigger Points"]
    assert elements(html, "h2") == [heading.removesuffix(":") for heading in SEED_HEADINGS]
    lines = seed_lines()
    corrective = lines[lines.index("Corrective Actions") + 1 : lines.index("Conclusion")]
    module_headings = [line for line in corrective if not line.startswith("•")]
    assert elements(html, "h3") == module_headings


def test_the_anatomy_is_a_real_table_with_header_cells(client, clinician, gastrocnemius):
    client.force_login(clinician)
    html = main_html(client.get(GASTROCNEMIUS_URL))

    table = re.search(r"<table\b.*?</table>", html, flags=re.DOTALL).group(0)
    assert re.findall(r'<th scope="col">(.*?)</th>', table) == [
        "Muscle",
        "Origin",
        "Insertion",
        "Innervation",
    ]
    assert elements(table, "th")[-1] == "Gastrocnemius"  # the row header
    assert elements(table, "td") == ANATOMY_CELLS[1:]


def test_urgent_differentials_are_marked_and_the_others_are_not(client, clinician, gastrocnemius):
    client.force_login(clinician)
    html = main_html(client.get(GASTROCNEMIUS_URL))
    on_page = differentials_on_page(html)

    assert set(on_page) == set(gastrocnemius.differentials.values_list("name", flat=True))
    for name in ["Deep vein thrombosis", "Compartment syndrome"]:
        classes, inner = on_page[name]
        advice = Differential.objects.get(muscle=gastrocnemius, name=name).urgent_advice
        assert "urgent-flag" in classes
        assert re.search(rf'<span class="badge badge-urgent">{URGENT_BADGE}</span>', inner)
        assert advice and normalise(advice) in visible_text(inner)
    for name in ["Plantar fasciitis", "Achilles tendinitis", "Sciatic nerve compression"]:
        classes, inner = on_page[name]
        assert "urgent-flag" not in classes
        assert URGENT_BADGE not in inner
        assert "badge-urgent" not in inner


def test_modules_say_who_carries_them_out_and_home_items_show_their_dosage(
    client, clinician, gastrocnemius
):
    client.force_login(clinician)
    cards = module_cards(main_html(client.get(GASTROCNEMIUS_URL)))

    assert "Clinic only" in visible_text(cards["Dry Needling"])
    assert "Clinic only" in visible_text(cards["Manual Therapy"])
    assert "Home program" in visible_text(cards["Stretching"])
    stretching = visible_text(cards["Stretching"])
    assert "Calf Stretch: Stand with one foot behind the other" in stretching
    assert "Hold 30 seconds, repeat 3 times, twice a day, every day" in stretching
    assert "Editable default — source: Static calf stretch" in stretching
    strengthening = visible_text(cards["Strengthening Exercises"])
    assert "3 sets of 15, twice a day, every day" in strengthening
    # Toe walking's default comes from the podiatry programme it cites.
    toe_walking = strengthening.split("Toe Walking:")[1].split("Eccentric Heel Drops:")[0]
    assert "3 sets of 20" in toe_walking
    assert "Editable default — source: Podiatry calf strengthening programme" in toe_walking
    assert "Rise onto your toes." in toe_walking
    assert "Steps are an editable default — source: Podiatry" in toe_walking
    # Advice is a tip, with no dosage to set.
    footwear_card = visible_text(cards["Postural and Footwear Adjustments"])
    assert "A tip to keep in mind" in footwear_card
    assert "No default dosage" not in footwear_card
    # A bullet without a label is shown once, not as "Name: Name.".
    footwear = visible_text(cards["Postural and Footwear Adjustments"])
    assert "Wear supportive shoes with proper heel cushioning:" not in footwear
    assert "Wear supportive shoes with proper heel cushioning." in footwear


def test_an_item_image_renders_with_its_alt_text(client, clinician, gastrocnemius):
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), color=(200, 30, 30)).save(buffer, format="PNG")
    item = ModuleItem.objects.get(module__muscle=gastrocnemius, name="Calf Stretch")
    item.image = SimpleUploadedFile("calf-stretch.png", buffer.getvalue(), "image/png")
    item.image_alt = "A person leaning on a wall, back heel down"
    item.full_clean()
    item.save()
    client.force_login(clinician)

    html = main_html(client.get(GASTROCNEMIUS_URL))

    images = [i for i in re.findall(r"<img\b[^>]*>", html) if "calf-stretch" in i]
    # The editor's photo wins over the project's illustration of the same exercise.
    assert len(images) == 1
    assert f'src="{item.image.url}"' in images[0]
    assert 'alt="A person leaning on a wall, back heel down"' in images[0]
    assert "illustrations/calf-stretch.svg" not in html
    assert "illustrations/wall-stretch.svg" in html


def test_an_item_video_renders_with_controls_and_its_description(client, clinician):
    module = factories.ModuleFactory()
    factories.ModuleItemFactory(
        module=module,
        video=SimpleUploadedFile("demo.webm", b"\x1aE\xdf\xa3 not really a video", "video/webm"),
        video_description="Slow heel drop from a step, knee straight",
    )
    client.force_login(clinician)

    html = main_html(client.get(module.muscle.get_absolute_url()))

    assert re.search(r"<video\b[^>]*\bcontrols\b", html)
    assert "Slow heel drop from a step, knee straight" in visible_text(html)


def test_content_with_html_is_escaped_on_the_muscle_page(client, clinician):
    muscle = factories.MuscleFactory(name="<b>Bold</b> muscle", slug="bold-muscle")
    SectionText.objects.create(muscle=muscle, kind="indications", heading="<i>Heading</i>")
    SectionItem.objects.create(
        muscle=muscle, kind="indications", label="<u>L</u>", text="<script>x()</script>"
    )
    client.force_login(clinician)

    html = main_html(client.get("/library/bold-muscle/"))

    assert "<script>x()" not in html
    assert "<b>Bold</b>" not in html
    assert "<i>Heading</i>" not in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "&lt;i&gt;Heading&lt;/i&gt;" in html


def test_an_editors_bullet_in_any_section_is_shown(client, clinician, gastrocnemius):
    SectionItem.objects.create(
        muscle=gastrocnemius, kind="differential", order=99, label="Added", text="By an editor"
    )
    client.force_login(clinician)

    html = main_html(client.get(GASTROCNEMIUS_URL))

    differential = re.search(r'<section [^>]*id="section-differential".*?</section>', html, re.S)
    assert "Added: By an editor" in visible_text(differential.group(0))


# --- Associated muscles ---------------------------------------------------------------


def test_associated_muscles_link_both_ways(client, clinician, gastrocnemius):
    client.force_login(clinician)

    gastrocnemius_page = main_html(client.get(GASTROCNEMIUS_URL))
    soleus_response = client.get("/library/soleus/")

    assert 'href="/library/soleus/">Soleus</a>' in gastrocnemius_page
    assert soleus_response.status_code == 200
    soleus_page = main_html(soleus_response)
    assert 'href="/library/gastrocnemius/">Gastrocnemius</a>' in soleus_page
    assert "stub — not yet written" in visible_text(soleus_page)


# --- Search ----------------------------------------------------------------------------


def listed(response) -> list[str]:
    return [muscle.name for muscle in response.context["muscles"]]


def test_the_list_shows_every_muscle_and_marks_stubs(client, clinician, gastrocnemius):
    client.force_login(clinician)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert set(listed(response)) == set(Muscle.objects.values_list("name", flat=True))
    html = main_html(response)
    items = dict(
        (visible_text(re.search(r"<a [^>]*>(.*?)</a>", li, re.S).group(1)), visible_text(li))
        for li in re.findall(r'<li class="list-group-item">(.*?)</li>', html, flags=re.DOTALL)
    )
    assert "stub — not yet written" not in items["Gastrocnemius"]
    assert "Located on the posterior lower leg" in items["Gastrocnemius"]
    assert "stub — not yet written" in items["Soleus"]


def test_the_search_form_has_visible_labels(client, clinician, gastrocnemius):
    client.force_login(clinician)

    html = main_html(client.get(LIST_URL))

    assert re.search(r'<label[^>]*for="id_q"[^>]*>Muscle or where it hurts</label>', html)
    assert re.search(r'<label[^>]*for="id_region"[^>]*>Refers pain to</label>', html)
    assert '<option value="heel-and-sole">Heel and sole</option>' in html


def test_where_it_hurts_heel_finds_the_gastrocnemius(client, clinician, gastrocnemius):
    client.force_login(clinician)

    response = client.get(LIST_URL, {"q": "heel"})

    assert listed(response) == ["Gastrocnemius"]
    assert f'href="{GASTROCNEMIUS_URL}"' in main_html(response)


def test_elbow_finds_nothing(client, clinician, gastrocnemius):
    client.force_login(clinician)

    response = client.get(LIST_URL, {"q": "elbow"})

    assert listed(response) == []
    assert "No muscle matches this search." in visible_text(main_html(response))


def test_a_body_region_lists_the_muscles_referring_pain_there(client, clinician, gastrocnemius):
    client.force_login(clinician)

    response = client.get(LIST_URL, {"region": "heel-and-sole"})

    assert listed(response) == ["Gastrocnemius"]
    assert '<option value="heel-and-sole" selected>' in main_html(response)


def test_a_muscle_is_listed_once_even_when_several_zones_match(client, clinician, gastrocnemius):
    client.force_login(clinician)

    response = client.get(LIST_URL, {"q": "the"})  # every zone's text starts with "The"

    assert listed(response).count("Gastrocnemius") == 1


def test_the_name_search_finds_the_soleus_stub(client, clinician, gastrocnemius):
    client.force_login(clinician)

    response = client.get(LIST_URL, {"q": "Soleus"})

    assert listed(response) == ["Soleus"]
    assert "stub — not yet written" in visible_text(main_html(response))


def test_search_and_region_combine(client, clinician, gastrocnemius):
    client.force_login(clinician)

    assert listed(client.get(LIST_URL, {"q": "soleus", "region": "heel-and-sole"})) == []
    assert listed(client.get(LIST_URL, {"q": "gastro", "region": "back-of-knee"})) == [
        "Gastrocnemius"
    ]


def test_search_text_with_html_is_escaped(client, clinician, gastrocnemius):
    client.force_login(clinician)

    response = client.get(LIST_URL, {"q": '<script>alert("x")</script>'})

    assert response.status_code == 200
    html = response.content.decode()
    assert '<script>alert("x")' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_an_unknown_region_is_a_form_error_not_a_crash(client, clinician, gastrocnemius):
    client.force_login(clinician)

    response = client.get(LIST_URL, {"region": "elbow", "q": "heel"})

    assert response.status_code == 200
    assert "Select a valid choice" in visible_text(main_html(response))
    assert listed(response) == ["Gastrocnemius"]  # the valid part of the search still applies


# --- Who may see the library --------------------------------------------------------------


@pytest.mark.parametrize("url", [LIST_URL, GASTROCNEMIUS_URL])
def test_anonymous_visitors_are_sent_to_log_in(client, gastrocnemius, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("url", [LIST_URL, GASTROCNEMIUS_URL])
def test_patients_never_browse_the_library(client, patient_user, gastrocnemius, url):
    client.force_login(patient_user)

    assert client.get(url).status_code == 403


@pytest.mark.parametrize("persona", ["clinician", "editor", "administrator"])
@pytest.mark.parametrize("url", [LIST_URL, GASTROCNEMIUS_URL])
def test_clinicians_editors_and_admins_see_the_library(
    client, gastrocnemius, request, persona, url
):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(url).status_code == 200


def test_an_unknown_muscle_is_404(client, clinician, gastrocnemius):
    client.force_login(clinician)

    assert client.get("/library/no-such-muscle/").status_code == 404


def test_the_url_names_are_stable():
    assert reverse("trigger:muscle_list") == LIST_URL
    assert reverse("trigger:muscle_detail", kwargs={"slug": "gastrocnemius"}) == GASTROCNEMIUS_URL


def test_an_editor_sees_a_working_edit_in_admin_link(client, editor, gastrocnemius):
    client.force_login(editor)
    admin_url = reverse("admin:trigger_muscle_change", args=[gastrocnemius.pk])

    html = main_html(client.get(GASTROCNEMIUS_URL))

    assert re.search(rf'<a [^>]*href="{admin_url}"[^>]*>Edit in admin</a>', html)
    assert client.get(admin_url).status_code == 200


def test_a_clinician_sees_no_edit_in_admin_link(client, clinician, gastrocnemius):
    client.force_login(clinician)

    html = main_html(client.get(GASTROCNEMIUS_URL))

    assert "Edit in admin" not in html
    assert "/admin/" not in html


# --- A constant number of queries ---------------------------------------------------------


def build_muscle(name: str, *, rows: int) -> Muscle:
    """A written-up muscle with ``rows`` rows of every kind the page shows."""
    muscle = factories.MuscleFactory(name=name, introduction="Intro.", origin="Femur")
    for kind in SectionText.Kind:
        SectionText.objects.create(muscle=muscle, kind=kind, heading=kind.label, lead="Lead")
    for index in range(rows):
        region = factories.BodyRegionFactory(name=f"{name} region {index}")
        SectionItem.objects.create(muscle=muscle, kind="indications", text=f"Item {index}")
        SectionItem.objects.create(muscle=muscle, kind="examination", label="L", text="T")
        ReferralZone.objects.create(muscle=muscle, region=region, text=f"The zone {index}")
        factories.DifferentialFactory(muscle=muscle, urgent=index % 2 == 0, urgent_advice="Go")
        related = factories.MuscleFactory(name=f"{name} neighbour {index}")
        AssociatedMuscle.objects.create(muscle=muscle, related=related, note="Note")
        module = factories.ModuleFactory(muscle=muscle, name=f"Module {index}")
        for _ in range(rows):
            factories.ModuleItemFactory(module=module, dosage_is_default=True, dosage_source="S")
        Source.objects.create(muscle=muscle, citation=f"Source {index}")
    return muscle


def count_queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def test_a_muscle_page_runs_the_same_queries_for_one_row_or_many(
    client, clinician, django_assert_num_queries
):
    small = build_muscle("Small", rows=1)
    large = build_muscle("Large", rows=8)
    client.force_login(clinician)
    client.get(small.get_absolute_url())  # warm up: the session's first read

    baseline = count_queries(client, small.get_absolute_url())

    # One prefetch per kind of row (the exercise steps included), and the body chart.
    assert baseline <= 14
    with django_assert_num_queries(baseline):
        response = client.get(large.get_absolute_url())
    assert len(response.context["sections"]) == len(SectionText.Kind) + 1  # and the anatomy
    assert Module.objects.filter(muscle=large).count() == 8


def test_the_gastrocnemius_page_runs_as_few_queries_as_a_small_muscle(
    client, clinician, gastrocnemius, django_assert_num_queries
):
    small = build_muscle("Small", rows=1)
    client.force_login(clinician)
    client.get(small.get_absolute_url())

    baseline = count_queries(client, small.get_absolute_url())

    with django_assert_num_queries(baseline):
        client.get(GASTROCNEMIUS_URL)


@pytest.mark.parametrize(
    "params", [{}, {"q": "zone"}, {"region": "first-region"}, {"q": "m", "region": "first-region"}]
)
def test_the_list_runs_the_same_queries_for_one_muscle_or_many(
    client, clinician, django_assert_num_queries, params
):
    region = factories.BodyRegionFactory(name="First region")
    first = factories.MuscleFactory(name="First muscle")
    ReferralZone.objects.create(muscle=first, region=region, text="The zone")
    client.force_login(clinician)
    client.get(LIST_URL)

    baseline = count_queries(client, LIST_URL, params)
    for index in range(15):
        muscle = factories.MuscleFactory(name=f"Muscle {index}")
        for zone in range(3):
            other = factories.BodyRegionFactory(name=f"Region {index}-{zone}")
            ReferralZone.objects.create(muscle=muscle, region=other, text=f"The zone {zone}")
        ReferralZone.objects.create(muscle=muscle, region=region, text="The zone again")

    assert baseline <= 6
    with django_assert_num_queries(baseline):
        response = client.get(LIST_URL, params)
    assert len(response.context["muscles"]) == 16
