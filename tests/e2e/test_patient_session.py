"""The gastrocnemius starter on a phone: Today as a checklist, the tips, and a full guided
session with the follow-along timer (time controlled with Playwright's clock)."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from patients.models import AssignmentItem, ExerciseLog
from programs.services import program_create_from_muscle
from tests.e2e.browser import serious_violations, sign_in
from tests.factories import AssignmentFactory, ClinicianFactory, PatientFactory, PatientUserFactory
from trigger.models import Muscle

pytestmark = pytest.mark.django_db(transaction=True)

SCREEN = 844  # the phone's viewport height


@pytest.fixture
def starter():
    """A patient with the gastrocnemius starter assigned: 5 exercises and 3 tips."""
    call_command("load_trigger_content", verbosity=0)
    clinician = ClinicianFactory(username="dr.session")
    user = PatientUserFactory(username="pat.session", first_name="Pat", last_name="Lee")
    patient = PatientFactory(user=user, clinician=clinician, time_zone="Europe/London")
    program = program_create_from_muscle(
        owner=clinician, muscle=Muscle.objects.get(slug="gastrocnemius")
    )
    assignment = AssignmentFactory(
        patient=patient,
        program=program,
        title=program.title,
        starts_on=patient.local_today() - datetime.timedelta(days=3),
    )
    AssignmentItem.objects.bulk_create(
        AssignmentItem(assignment=assignment, **item.copied_fields())
        for item in program.items.all()
    )
    return user, assignment


def test_today_is_a_checklist_with_the_first_done_on_the_first_screen(
    live_server, phone_page, screenshot, screenshot_dir, starter
):
    user, assignment = starter
    page = phone_page
    sign_in(page, live_server, user, reverse("patients:today"))

    rows = page.locator(".checklist-row")
    expect(rows).to_have_count(5)
    first_done = rows.first.get_by_role("button", name=re.compile("^Done"))
    box = first_done.bounding_box()
    assert box["y"] + box["height"] <= SCREEN, f"first Done ends at {box['y'] + box['height']}"
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"Today, gastrocnemius starter at 390x844: {height} px ({height / SCREEN:.2f} screens)")
    assert height <= 2 * SCREEN, f"Today is {height} px, more than two screens"
    expect(page.get_by_role("link", name="Start today's exercises")).to_be_visible()
    # Every row has its picture; the tips have none of the exercise controls.
    expect(page.locator(".row-thumb img[src*='/static/illustrations/']")).to_have_count(5)
    tips = page.locator(".tips-card")
    expect(tips.locator("li")).to_have_count(3)
    expect(tips).to_contain_text("Wear supportive shoes with proper heel cushioning.")
    assert tips.get_by_role("button").count() == 0
    # How hard and how painful are not asked before Done.
    expect(page.get_by_text("How hard was it?")).to_have_count(0)
    for target in page.locator(".btn-done, .row-details > summary").all():
        size = target.bounding_box()
        assert size["height"] >= 44 and size["width"] >= 44, size
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(page) == []
    screenshot(page, "today-checklist-starter")
    tips.screenshot(path=str(screenshot_dir / "today-tips-card.png"))

    # Done, then how it went one tap away.
    first_done.click()
    expect(page.locator("#progress-line")).to_contain_text("1 of 8")
    row = rows.first
    row.locator("summary", has_text="How did it go?").click()
    row.locator("label", has_text="Too easy").click()
    row.get_by_role("button", name=re.compile("^Save how it went")).click()
    expect(page.locator("#progress-line")).to_contain_text("1 of 8")
    log = ExerciseLog.objects.get()
    assert (log.item.name, log.difficulty) == ("Calf Stretch", "too_easy")
    assert serious_violations(page) == []


def test_a_full_guided_session_with_the_timer(live_server, phone_page, screenshot, starter):
    user, assignment = starter
    page = phone_page
    page.clock.install()
    # Record what the timer asks of the phone: a buzz at each change, the screen kept on.
    page.add_init_script(
        """
        window.__phone = {buzz: 0, awake: 0, released: 0};
        navigator.vibrate = function () { window.__phone.buzz += 1; return true; };
        Object.defineProperty(navigator, "wakeLock", {value: {request: function () {
            window.__phone.awake += 1;
            var lock = {addEventListener: function () {},
                        release: function () { window.__phone.released += 1; }};
            return Promise.resolve(lock);
        }}});
        """
    )
    sign_in(page, live_server, user, reverse("patients:today"))

    page.get_by_role("link", name="Start today's exercises").click()
    # From here the page's time moves only when the test says so (run_for), however busy
    # the machine is.
    page.wait_for_url(re.compile(r"/me/session/\d+/$"))
    page.clock.pause_at(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(seconds=5))

    # 1. Calf Stretch: hold 30 seconds, 3 times, twice a day.
    expect(page.get_by_role("heading", name="Calf Stretch", level=1)).to_be_visible()
    expect(page.get_by_text("Exercise 1 of 5")).to_be_visible()
    expect(page.locator("img[src$='/static/illustrations/calf-stretch.svg']")).to_be_visible()
    expect(page.locator(".how-to-steps li")).to_have_count(5)
    timer = page.locator("#timer")
    expect(timer).to_be_visible()
    phase, clock = timer.locator("[data-timer=phase]"), timer.locator("[data-timer=clock]")
    timer.get_by_role("button", name="Start").click()
    expect(phase).to_contain_text("Hold · Repetition 1 of 3")
    expect(clock).to_have_text("0:30")
    page.clock.run_for(10_000)
    expect(clock).to_have_text("0:20")
    screenshot(page, "session-timer-running")
    # Pause: time passes, the hold does not.
    timer.get_by_role("button", name="Pause").click()
    page.clock.run_for(60_000)
    expect(clock).to_have_text("0:20")
    timer.get_by_role("button", name="Resume").click()
    page.clock.run_for(20_500)
    expect(phase).to_have_text("Ready?")
    timer.get_by_role("button", name="Continue").click()
    expect(phase).to_contain_text("Repetition 2 of 3")
    page.clock.run_for(30_500)
    timer.get_by_role("button", name="Continue").click()
    page.clock.run_for(30_500)
    expect(phase).to_contain_text("All sets finished")
    # The rest of the session waits for taps, not time: let the clock flow again (axe-core
    # needs its timers).
    page.clock.resume()
    phone = page.evaluate("window.__phone")
    assert phone["buzz"] >= 3  # the end of each hold
    assert phone["awake"] >= 1 and phone["released"] >= 1  # kept on while timing only
    assert serious_violations(page) == []
    page.locator("summary", has_text="How did it go?").click()
    page.locator("label", has_text="About right").click()
    page.get_by_label("Pain during the exercise").select_option("2")
    page.get_by_role("button", name=re.compile("^Done: session 1 of 2")).click()

    # 2. Wall Stretch: skipped, with a reason.
    expect(page.get_by_role("heading", name="Wall Stretch", level=1)).to_be_visible()
    page.locator("summary", has_text="Skip this one").click()
    page.get_by_label("Why are you skipping it?").fill("No wall free at work")
    page.get_by_role("button", name="Skip and go on").click()

    # 3. Calf Raises: 3 sets of 10, each set ticked off, ready between sets.
    expect(page.get_by_role("heading", name="Calf Raises", level=1)).to_be_visible()
    timer.get_by_role("button", name="Start").click()
    expect(timer.locator("[data-timer=set]")).to_have_text("Set 1 of 3")
    expect(phase).to_contain_text("Do 10 repetitions")
    for _ in range(2):
        timer.get_by_role("button", name="Set done").click()
        expect(phase).to_have_text("Ready?")
        timer.get_by_role("button", name="Continue").click()
    expect(timer.locator("[data-timer=set]")).to_have_text("Set 3 of 3")
    timer.get_by_role("button", name="Set done").click()
    expect(phase).to_contain_text("All sets finished")
    screenshot(page, "session-calf-raises")
    page.get_by_role("button", name=re.compile("^Done")).click()

    # 4 and 5: Toe Walking and Eccentric Heel Drops, straight to Done.
    expect(page.get_by_role("heading", name="Toe Walking", level=1)).to_be_visible()
    expect(page.locator(".how-to-steps")).to_contain_text("Rise onto your toes.")
    page.get_by_role("button", name=re.compile("^Done")).click()
    expect(page.get_by_role("heading", name="Eccentric Heel Drops", level=1)).to_be_visible()
    expect(page.locator(".stop-if")).to_contain_text("Mild to moderate discomfort")
    assert serious_violations(page) == []
    page.get_by_role("button", name=re.compile("^Done: session 1 of 2")).click()

    # The summary.
    page.wait_for_url(re.compile(r"/me/session/summary/$"))
    expect(page.locator("#session-summary")).to_have_text("You did 4 of 5 exercises today.")
    assert serious_violations(page) == []
    screenshot(page, "session-summary")
    logs = {log.item.name: log for log in ExerciseLog.objects.select_related("item")}
    assert set(logs) == {
        "Calf Stretch",
        "Wall Stretch",
        "Calf Raises",
        "Toe Walking",
        "Eccentric Heel Drops",
    }
    assert (logs["Calf Stretch"].difficulty, logs["Calf Stretch"].pain_during) == (
        "about_right",
        2,
    )
    assert logs["Wall Stretch"].skip_reason == "No wall free at work"
    assert not ExerciseLog.objects.filter(item__is_advice=True).exists()
