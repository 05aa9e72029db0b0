"""The patient's pages load no Bootstrap script (the first load stays under 50 KB gzipped):
on a phone the top menu still opens, says so to a screen reader, and signs out."""

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.browser import PASSWORD
from tests.factories import AssignmentFactory, PatientFactory, PatientUserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_patient_on_a_phone_opens_the_menu_and_signs_out(live_server, phone_page, screenshot):
    user = PatientUserFactory(username="menu.patient", first_name="Mo")
    AssignmentFactory(patient=PatientFactory(user=user, time_zone="Europe/London"))
    page = phone_page
    page.goto(live_server.url + reverse("patients:today"))
    page.get_by_label(re.compile("Username")).fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/me/$"))
    scripts = page.eval_on_selector_all("script[src]", "nodes => nodes.map(n => n.src)")
    assert not [src for src in scripts if "bootstrap" in src]

    toggler = page.get_by_role("button", name="Toggle navigation")
    sign_out = page.get_by_role("button", name="Sign out")
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(sign_out).to_be_hidden()
    box = toggler.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44

    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(sign_out).to_be_visible()
    screenshot(page, "patient-menu-open-390")
    violations = [
        v["id"]
        for v in Axe().run(page).response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]
    assert violations == []

    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(sign_out).to_be_hidden()
    toggler.click()
    sign_out.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path != reverse("patients:today")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
