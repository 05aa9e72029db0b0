"""A patient on a phone: signs in, ticks off two exercises, sees progress and history."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import AssignmentItem, ExerciseLog, PainLog
from tests.e2e.browser import PASSWORD, serious_violations
from tests.factories import (
    AssignmentFactory,
    ClinicianFactory,
    PatientFactory,
    PatientUserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.evaluate(
        "window.innerWidth"
    )


@pytest.fixture
def program():
    """A signed-up patient with three exercises due every day and two weeks of pain scores."""
    user = PatientUserFactory(username="pat.phone", first_name="Pat", last_name="Jones")
    patient = PatientFactory(
        user=user, clinician=ClinicianFactory(username="dr.phone"), time_zone="Europe/London"
    )
    assignment = AssignmentFactory(
        patient=patient,
        title="Calf program",
        starts_on=patient.local_today() - datetime.timedelta(days=7),
    )
    items = [
        AssignmentItem.objects.create(
            assignment=assignment,
            name=name,
            instructions=instructions,
            note=note,
            order=order,
            **dosage,
        )
        for order, (name, instructions, note, dosage) in enumerate(
            [
                (
                    "Wall calf stretch",
                    "Stand facing a wall, one foot behind the other.\n\n"
                    "Keep the back heel down and lean forward until you feel the calf stretch.",
                    "Gently: no bouncing.",
                    {"hold_seconds": 30, "reps": 3, "times_per_day": 1},
                ),
                (
                    "Heel drops",
                    "Stand on a step on the balls of your feet and lower your heels slowly.",
                    "",
                    {"sets": 3, "reps": 15},
                ),
                ("Calf raises", "Rise onto your toes, then lower.", "", {"sets": 3, "reps": 10}),
            ]
        )
    ]
    now = timezone.now()
    for days_ago, score in [(14, 6), (10, 6), (7, 5), (4, 4), (2, 4), (1, 3)]:
        PainLog.objects.create(
            patient=patient, score=score, recorded_for=now - datetime.timedelta(days=days_ago)
        )
    return user, items


def test_a_patient_ticks_off_two_exercises_and_sees_them_in_history(
    live_server, phone_page, screenshot, program
):
    user, (stretch, drops, _raises) = program
    page = phone_page

    page.goto(live_server.url + reverse("patients:today"))
    assert urlsplit(page.url).path == reverse("login")
    page.get_by_label(re.compile("Username")).fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(re.compile(r"/me/$"))
    progress = page.locator("#progress-today")
    expect(progress).to_contain_text("0 of 3")
    expect(page.get_by_role("heading", name="Wall calf stretch")).to_be_visible()
    card = page.locator(f"#item-{stretch.pk}")
    # How to do it, and the clinician's note, are one tap away.
    card.locator("summary", has_text="How to do it").click()
    expect(page.get_by_text("Gently: no bouncing.")).to_be_visible()

    # The first: Done, then how hard it was and the pain during it.
    card.get_by_role("button", name=re.compile("^Done")).click()
    expect(progress).to_contain_text("1 of 3")
    card.locator("summary", has_text="How did it go?").click()
    card.locator("label", has_text="About right").click()
    card.get_by_label("Pain during the exercise").select_option("3")
    card.get_by_role("button", name=re.compile("^Save how it went")).click()
    card.locator("summary", has_text="How to do it").click()
    expect(card).to_contain_text("About right · pain 3/10")
    expect(card.locator(".row-complete")).to_contain_text("Done")

    # The second: just done.
    card = page.locator(f"#item-{drops.pk}")
    card.get_by_role("button", name=re.compile("^Done")).click()
    expect(progress).to_contain_text("2 of 3")
    expect(page.locator("#progress-week")).to_contain_text("sessions")
    expect(page.get_by_text("Self-reported", exact=False)).to_be_visible()

    logs = list(ExerciseLog.objects.order_by("item__order"))
    assert [(log.item_id, log.difficulty, log.pain_during) for log in logs] == [
        (stretch.pk, "about_right", 3),
        (drops.pk, "", None),
    ]
    assert no_sideways_scroll(page)
    assert serious_violations(page) == []
    screenshot(page, "patient-today")

    page.get_by_role("link", name="History").click()
    page.wait_for_url(re.compile(r"/me/history/"))
    expect(page.locator("svg[role=img]")).to_be_visible()
    today_row = page.locator("#history-table tbody tr").first
    expect(today_row.locator("td").last).to_have_text("2")
    expect(page.locator("#history-summary")).to_contain_text("Pain from 6 to 3 over 30 days")
    assert no_sideways_scroll(page)
    assert serious_violations(page) == []
    screenshot(page, "patient-history")


def test_a_patient_adds_a_session_for_yesterday_on_a_phone(live_server, phone_page, program):
    user, (stretch, _drops, _raises) = program
    page = phone_page
    page.goto(live_server.url + reverse("login") + "?next=" + reverse("patients:yesterday"))
    page.get_by_label(re.compile("Username")).fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/me/yesterday/$"))

    card = page.locator(f"#item-{stretch.pk}")
    card.locator("summary", has_text="How to do it").click()
    card.get_by_label("Skipping it? Say why:").fill("<b>Calf</b> too sore")
    card.get_by_role("button", name=re.compile("^Skip")).click()

    card.locator("summary", has_text="How to do it").click()
    expect(card).to_contain_text("Skipped: <b>Calf</b> too sore")
    expect(card).to_contain_text("added later")
    log = ExerciseLog.objects.get()
    assert (log.status, log.is_late) == ("skipped", True)
    assert no_sideways_scroll(page)
    assert serious_violations(page) == []
