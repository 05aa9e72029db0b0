"""The clinician's day in a real Chromium at 1280x800: a new patient assigned a program
and invited from the next-step panel in under ten actions; the time-zone search; the
builder's focus after every in-place change, the duplicate-add prompt and drag and drop."""

import re
import time
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from patients.models import Assignment, Invitation, Patient
from programs.services import program_create_from_muscle
from tests.e2e.browser import PASSWORD
from tests.factories import ClinicianFactory
from trigger.models import Muscle

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORT = {"width": 1280, "height": 800}
FOCUSED_CARD = (
    "(() => { const a = document.activeElement;"
    " const card = a && a.closest('.program-item');"
    " return [card ? card.id : null, a ? a.tagName : null, a ? a.className : ''] })()"
)


@pytest.fixture
def clinician():
    call_command("load_trigger_content", verbosity=0)
    return ClinicianFactory(
        username="dr.day", first_name="Dana", last_name="Day", password=PASSWORD
    )


@pytest.fixture
def program(clinician):
    return program_create_from_muscle(
        owner=clinician,
        muscle=Muscle.objects.get(slug="gastrocnemius"),
        title="Gastrocnemius – runners",
    )


@pytest.fixture
def page(new_context, browser_context_args, live_server, clinician):
    context = new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(clinician.username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert urlsplit(page.url).path != reverse("login")
    return page


class Actions:
    """Counts what the clinician does: each click, fill or choice is one action."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, locator, verb: str = "click", *args, navigates: bool = False, page=None):
        self.count += 1
        if navigates:
            with page.expect_navigation():
                getattr(locator, verb)(*args)
        else:
            getattr(locator, verb)(*args)


def test_new_patient_assign_and_invite_from_the_next_step_panel_in_under_ten_actions(
    page, live_server, clinician, program, screenshot, mailoutbox
):
    act = Actions()
    page.goto(live_server.url + reverse("patients:clinic"))
    act(page.get_by_role("link", name="Add patient", exact=True), navigates=True, page=page)
    act(page.get_by_label("First name"), "fill", "Robin")
    act(page.get_by_label("Last name"), "fill", "Runner")
    act(page.get_by_label("Email"), "fill", "robin@example.org")
    screenshot(page, "clinician-day-1-add-patient")
    act(page.get_by_role("button", name="Add and assign a program"), navigates=True, page=page)
    patient = Patient.objects.get(user__email="robin@example.org")
    assert urlsplit(page.url).path == reverse("patients:assign", args=[patient.pk])
    # The Assign list tells programs apart: items and last change.
    option = page.get_by_label("Program").locator(f'option[value="{program.pk}"]')
    expect(option).to_have_text(re.compile(r"Gastrocnemius – runners · 8 items · changed \d"))
    act(page.get_by_label("Program"), "select_option", str(program.pk))
    screenshot(page, "clinician-day-2-assign")
    act(page.get_by_role("button", name="Assign", exact=True), navigates=True, page=page)
    assignment = Assignment.objects.get(patient=patient)
    assert urlsplit(page.url).path == assignment.get_absolute_url()

    panel = page.get_by_test_id("next-step")
    expect(panel).to_contain_text("has not been invited to the app yet")
    expect(panel).to_contain_text("by email to robin@example.org")
    screenshot(page, "clinician-day-3-next-step-invite")
    act(panel.get_by_role("button", name="Send invitation"), navigates=True, page=page)

    assert act.count < 10, act.count
    assert Invitation.objects.filter(patient=patient, channel="email").count() == 1
    assert mailoutbox[-1].to == ["robin@example.org"]
    panel = page.get_by_test_id("next-step")
    expect(panel).to_contain_text("Invitation sent")
    expect(panel.get_by_role("button", name="Send again")).to_be_visible()
    screenshot(page, "clinician-day-4-invited")


def test_the_time_zone_search_narrows_the_list_and_saves_the_zone(
    page, live_server, clinician, screenshot
):
    page.goto(live_server.url + reverse("patients:patient_create"))
    zone = page.locator("select[name=time_zone]")
    expect(zone).to_have_value("Europe/London")  # the practice's zone first
    search = page.get_by_label("Search time zones")
    search.fill("auckl")
    expect(zone).to_have_value("Pacific/Auckland")
    visible = zone.locator("option:not([hidden])")
    expect(visible).to_have_count(1)
    screenshot(page, "clinician-day-time-zone-search")
    search.fill("new york")
    expect(zone).to_have_value("America/New_York")
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("York")
    page.get_by_label("Email").fill("nia@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Add patient", exact=True).click()
    assert str(Patient.objects.get(user__email="nia@example.org").time_zone) == "America/New_York"


def wait_until(page, expression: str, timeout: float = 5.0) -> None:
    """Poll ``expression`` until true: page.wait_for_function would eval a string, which
    the CSP (script-src 'self') refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"!!({expression})"):
        assert time.monotonic() < deadline, f"never true: {expression}"
        page.wait_for_timeout(50)


def card_ids(page) -> list[str]:
    return page.locator("#items > li.program-item").evaluate_all("els => els.map(e => e.id)")


def test_focus_returns_to_the_card_after_every_swap_and_moves_are_announced(
    page, live_server, program, screenshot
):
    page.goto(live_server.url + program.get_absolute_url())
    items = list(program.items.order_by("order", "id"))
    first, second = items[0], items[1]

    # Save a dosage in place: focus on the same card's heading.
    edited = next(item for item in items if item.sets)
    card = page.locator(f"#item-{edited.pk}")
    card.locator("summary", has_text="Edit dosage and note").click()
    card.get_by_label("Sets").fill("4")
    card.get_by_role("button", name=re.compile(r"^Save\b")).click()
    expect(page.locator("#builder-messages")).to_contain_text(f"Saved {edited.name}.")
    wait_until(
        page, f"document.activeElement && document.activeElement.closest('#item-{edited.pk}')"
    )
    assert page.evaluate(FOCUSED_CARD)[:2] == [f"item-{edited.pk}", "H3"]

    # Move the first down with the keyboard's button: focus stays on that button.
    page.get_by_role("button", name=f"Move {first.name} down").click()
    wait_until(page, f"document.querySelectorAll('#items > li')[1].id === 'item-{first.pk}'")
    wait_until(
        page, f"document.activeElement && document.activeElement.closest('#item-{first.pk}')"
    )
    focused = page.evaluate(FOCUSED_CARD)
    assert focused[0] == f"item-{first.pk}"
    assert "btn-move-down" in focused[2]
    expect(page.locator("#builder-status")).to_contain_text(
        f"{first.name} moved to position 2 of {len(items)}"
    )

    # Remove: focus on the neighbour that took its place.
    before = card_ids(page)
    removed = before.index(f"item-{second.pk}")
    neighbour = before[removed + 1]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Remove {second.name}").click()
    expect(page.locator(f"#item-{second.pk}")).to_have_count(0)
    wait_until(page, f"document.activeElement && document.activeElement.closest('#{neighbour}')")
    assert page.evaluate(FOCUSED_CARD)[:2] == [neighbour, "H3"]
    screenshot(page, "clinician-day-builder-focus")


def test_adding_an_exercise_twice_asks_first(page, live_server, program, screenshot):
    already = program.items.order_by("order", "id").first()
    count = program.items.count()
    page.goto(live_server.url + program.get_absolute_url() + f"?q={already.library_item.name}")
    add = page.locator("#library-results").get_by_role(
        "button", name=f"Add {already.library_item.name}", exact=True
    )
    add.click()
    prompt = page.get_by_test_id("duplicate-prompt")
    expect(prompt).to_contain_text(f"{already.library_item.name} is already in this program")
    expect(prompt.get_by_role("button", name="Add it again")).to_be_focused()
    screenshot(page, "clinician-day-duplicate-prompt")
    prompt.get_by_role("link", name="Don't add").click()
    expect(prompt).to_have_count(0)
    expect(add).to_be_focused()
    assert program.items.count() == count

    add.click()
    page.get_by_test_id("duplicate-prompt").get_by_role("button", name="Add it again").click()
    expect(page.locator("#items > li.program-item")).to_have_count(count + 1)
    assert program.items.count() == count + 1
    newest = program.items.order_by("-order", "-id").first()
    wait_until(
        page, f"document.activeElement && document.activeElement.closest('#item-{newest.pk}')"
    )


def test_the_skip_link_leads_to_the_library_search_and_drag_and_drop_reorders(
    page, live_server, program
):
    page.goto(live_server.url + program.get_absolute_url())
    skip = page.get_by_test_id("skip-to-library")
    skip.focus()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    assert urlsplit(page.url).fragment == "library-search"

    ids = [item.pk for item in program.items.order_by("order", "id")]
    # A screen tall enough to show the first cards whole (each holds a picture), then the
    # hand's gesture: press on the first card's title, move in small steps onto the lower
    # half of the next card, release. The first exercise goes after it.
    page.set_viewport_size({"width": 1280, "height": 2400})
    page.evaluate("window.scrollTo(0, 0)")
    # The cards take a drag once builder.js has made them draggable (a loaded machine can
    # be slower to run it than the test is to press).
    expect(page.locator('#items[data-drag-ready="1"]')).to_have_count(1)
    source = page.locator(f"#item-{ids[0]} h3").bounding_box()
    target = page.locator(f"#item-{ids[1]}").bounding_box()
    page.mouse.move(source["x"] + 20, source["y"] + source["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 40, target["y"] + target["height"] - 15, steps=12)
    page.mouse.up()
    wait_until(page, f"document.querySelectorAll('#items > li')[0].id === 'item-{ids[1]}'")
    expect(page.locator("#builder-status")).to_contain_text("moved to position")
    order = list(program.items.order_by("order", "id").values_list("pk", flat=True))
    assert order[:3] == [ids[1], ids[2], ids[0]] or order[:3] == [ids[1], ids[0], ids[2]]
    assert order[0] == ids[1]
