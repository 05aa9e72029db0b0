"""The program builder in a real Chromium, at desktop size.

A clinician signs in, starts a program from the gastrocnemius starter, changes a dosage in
place (htmx, no page load), moves an item up, assigns the program to their patient, and
prints it (print view, print media, a PDF). The same builder works without JavaScript:
plain form posts and redirects.
"""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from patients.models import Assignment
from programs.models import Program
from tests.e2e.browser import PASSWORD, sign_in
from tests.factories import ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)

MARKER = "window.__marker"


@pytest.fixture
def library():
    """The shipped library (gastrocnemius included), committed for the live server."""
    call_command("load_trigger_content", verbosity=0)


@pytest.fixture
def clinician(library):
    return ClinicianFactory(
        username="dr.builder", first_name="Dana", last_name="Builder", password=PASSWORD
    )


@pytest.fixture
def patient(clinician):
    return PatientFactory(
        clinician=clinician,
        user__username="pat.patient",
        user__first_name="Pat",
        user__last_name="Patient",
        user__email="pat.patient@example.org",
    )


def create_gastrocnemius_starter(page, live_server, clinician) -> Program:
    """From /programs/: "From a muscle", Gastrocnemius, and land in the builder."""
    page.goto(live_server.url + reverse("programs:list"))
    starter_form = page.locator("form").filter(has=page.get_by_label("Muscle"))
    starter_form.get_by_label("Muscle").select_option(label="Gastrocnemius")
    with page.expect_navigation():
        starter_form.get_by_role("button", name="Create starter").click()
    # The title is asked for, prefilled with the muscle.
    expect(page.get_by_label("Title")).to_have_value("Gastrocnemius starter")
    with page.expect_navigation():
        page.get_by_role("button", name="Create starter").click()

    program = Program.objects.get(owner=clinician)
    assert urlsplit(page.url).path == program.get_absolute_url()
    expect(page.get_by_role("heading", level=1)).to_contain_text(program.title)
    return program


def item_names_on_page(page) -> list[str]:
    return [name.strip() for name in page.locator("#items > li.program-item h3").all_inner_texts()]


def db_items(program: Program) -> list:
    return list(program.items.order_by("order", "id"))


def first_item_with_sets(program: Program):
    """An item counted in sets (a strengthening exercise of the starter) to change to 4."""
    return next(item for item in db_items(program) if item.sets and item.sets != 4)


def change_sets_to_four(page, item) -> None:
    card = page.locator(f"#item-{item.pk}")
    card.locator("summary", has_text="Edit dosage and note").click()
    sets = card.get_by_label("Sets")
    expect(sets).to_be_visible()
    sets.fill("4")
    card.get_by_role("button", name=re.compile(r"^Save\b")).click()


def test_build_from_the_gastrocnemius_starter_edit_reorder_assign_and_print(
    live_server, desktop_page, clinician, patient, screenshot, screenshot_dir
):
    page = desktop_page
    sign_in(page, live_server, clinician)

    # New program "from a muscle": the gastrocnemius starter, in the builder.
    program = create_gastrocnemius_starter(page, live_server, clinician)
    items = db_items(program)
    assert len(items) >= 3, [item.name for item in items]
    assert item_names_on_page(page) == [item.name for item in items]
    # Stretching first, then strengthening, footwear advice last; no clinic-only item.
    kinds = [item.module_kind for item in items]
    assert kinds[0] == "stretching", kinds
    assert kinds[-1] == "posture_footwear", kinds
    assert kinds.index("strengthening") > max(
        i for i, kind in enumerate(kinds) if kind == "stretching"
    ), kinds
    assert not {"dry_needling", "manual_therapy"} & set(kinds), kinds
    expect(page.locator("#items")).to_be_visible()

    # --- A dosage changed in place: htmx swaps the item, the page is not reloaded. ---
    page.evaluate(f"{MARKER} = 1")
    edited = first_item_with_sets(program)
    old_words = edited.dosage_words
    with page.expect_response(
        lambda r: (
            r.url.endswith(reverse("programs:item_edit", args=[program.pk, edited.pk]))
            and r.request.method == "POST"
        )
    ) as posted:
        change_sets_to_four(page, edited)
    assert posted.value.status == 200
    assert posted.value.request.headers.get("hx-request") == "true"

    card = page.locator(f"#item-{edited.pk}")
    expect(card.locator(".item-dosage")).to_contain_text("4 sets")
    edited.refresh_from_db()
    assert edited.sets == 4
    assert edited.dosage_words != old_words
    assert edited.dosage_words.startswith("4 sets"), edited.dosage_words
    expect(card.locator(".item-dosage")).to_contain_text(edited.dosage_words)
    # The swapped fragment shows the item closed again, and the success message.
    expect(card.locator("details", has_text="Edit dosage and note")).not_to_have_attribute(
        "open", ""
    )
    expect(page.locator("#builder-messages")).to_contain_text(f"Saved {edited.name}.")
    assert page.evaluate(MARKER) == 1, "the page was reloaded"
    screenshot(page, "builder")

    # --- Reorder: the second item moves up, on the page and in the database. ---
    before = db_items(program)
    moved = before[1]
    expected_order = [before[1].pk, before[0].pk, *[item.pk for item in before[2:]]]
    with page.expect_response(
        lambda r: r.url.endswith(reverse("programs:item_move", args=[program.pk, moved.pk]))
    ) as posted:
        page.get_by_role("button", name=f"Move {moved.name} up").click()
    assert posted.value.status == 200
    names = {item.pk: item.name for item in before}
    expected_names = [names[pk] for pk in expected_order]
    expect(page.locator("#items > li.program-item h3")).to_have_text(expected_names)
    assert [
        int(element_id.removeprefix("item-"))
        for element_id in page.locator("#items > li.program-item").evaluate_all(
            "items => items.map(item => item.id)"
        )
    ] == expected_order
    assert [item.pk for item in db_items(program)] == expected_order
    assert page.evaluate(MARKER) == 1, "the page was reloaded"
    # The dosage edited before the move is still shown after the list was re-rendered.
    expect(page.locator(f"#item-{edited.pk} .item-dosage")).to_contain_text(edited.dosage_words)

    # --- Assign it to the patient: start today, a reminder at 08:00. ---
    today = patient.local_today()
    page.goto(live_server.url + reverse("patients:assign", args=[patient.pk]))
    page.get_by_label("Program").select_option(value=str(program.pk))
    page.get_by_label("Starts on").fill(today.isoformat())
    page.get_by_label("Reminder times").fill("08:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Assign").click()

    assignment = Assignment.objects.get(patient=patient)
    assert urlsplit(page.url).path == assignment.get_absolute_url()
    expect(page.get_by_role("status").first).to_contain_text("was assigned to Pat Patient")
    assert assignment.program_id == program.pk
    assert assignment.title == program.title
    assert assignment.starts_on == today
    assert assignment.ends_on is None
    assert assignment.assigned_by_id == clinician.pk
    assert assignment.status == Assignment.Status.ACTIVE
    program_items = db_items(program)
    assigned_items = list(assignment.items.order_by("order", "id"))
    assert [item.name for item in assigned_items] == [item.name for item in program_items]
    assert [item.dosage_words for item in assigned_items] == [
        item.dosage_words for item in program_items
    ]
    assigned_edit = next(item for item in assigned_items if item.name == edited.name)
    assert assigned_edit.sets == 4
    assert [schedule.local_time for schedule in assignment.reminder_schedules.all()] == [
        datetime.time(8, 0)
    ]

    # --- The print view: names and dosages in words, no navigation. ---
    page.goto(live_server.url + reverse("programs:print", args=[program.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text(program.title)
    printed = page.locator(".print-item")
    expect(printed).to_have_count(len(program_items))
    for position, item in enumerate(program_items):
        entry = printed.nth(position)
        expect(entry.get_by_role("heading")).to_contain_text(item.name)
        if item.is_advice:
            # Advice is a tip to keep in mind: no dosage, no days.
            expect(entry).to_contain_text("Keep in mind")
            continue
        if item.dosage_words:
            expect(entry).to_contain_text(item.dosage_words)
        expect(entry).to_contain_text(item.days_words)
    edited_position = [item.pk for item in program_items].index(edited.pk)
    expect(printed.nth(edited_position)).to_contain_text("4 sets")
    assert page.get_by_role("navigation").count() == 0
    assert page.locator(".navbar").count() == 0
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    # With JavaScript the print button is shown; the toolbar is screen-only.
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    screenshot(page, "print-view")

    # --- Print media and a PDF, as "Save as PDF" would make it. ---
    page.emulate_media(media="print")
    expect(page.locator(".print-toolbar")).to_be_hidden()
    expect(printed.first).to_be_visible()
    pdf = screenshot_dir / "print-view.pdf"
    pdf.unlink(missing_ok=True)
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.exists()
    assert pdf.stat().st_size > 1024
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    # With each exercise's picture, steps and stop line, the starter prints on at most two
    # pages (it fitted on one with names and dosages only).
    assert len(re.findall(rb"/Type\s*/Page\b", content)) <= 2
    expect(page.locator("img.print-item-illustration")).to_have_count(5)


def test_the_builder_works_without_javascript(
    live_server, new_context, browser_context_args, desktop_context_args, clinician
):
    options = {**desktop_context_args, "java_script_enabled": False}
    context = new_context(**{k: v for k, v in options.items() if k not in browser_context_args})
    page = context.new_page()
    sign_in(page, live_server, clinician)
    program = create_gastrocnemius_starter(page, live_server, clinician)

    # A dosage change: a plain form post, then a redirect back to the item in the builder.
    edited = first_item_with_sets(program)
    with page.expect_navigation() as navigation:
        change_sets_to_four(page, edited)
    assert navigation.value is not None and navigation.value.status == 200
    assert navigation.value.request.redirected_from is not None
    assert navigation.value.request.redirected_from.method == "POST"
    assert urlsplit(page.url).path == program.get_absolute_url()
    assert urlsplit(page.url).fragment == f"item-{edited.pk}"
    edited.refresh_from_db()
    assert edited.sets == 4
    card = page.locator(f"#item-{edited.pk}")
    expect(card.locator(".item-dosage")).to_contain_text(edited.dosage_words)
    expect(card.locator(".item-dosage")).to_contain_text("4 sets")
    expect(page.get_by_role("status").first).to_contain_text(f"Saved {edited.name}.")

    # Moving an item up works the same way.
    before = db_items(program)
    moved = before[1]
    with page.expect_navigation():
        page.get_by_role("button", name=f"Move {moved.name} up").click()
    expected = [before[1], before[0], *before[2:]]
    assert [item.pk for item in db_items(program)] == [item.pk for item in expected]
    assert item_names_on_page(page) == [item.name for item in expected]
