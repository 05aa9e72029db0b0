"""Smoke test in a real Chromium: each role signs in on a phone and lands on its own home."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.browser import PASSWORD
from tests.factories import AdminFactory, ClinicianFactory, EditorFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _patient():
    return PatientFactory(user__username="pat.smoke").user


# Who signs in, where they land, and the heading that tells them they are home.
LANDINGS = [
    pytest.param(_patient, "/me/", re.compile(r"^Today\b"), id="patient"),
    pytest.param(
        lambda: ClinicianFactory(username="dr.smoke"), "/clinic/", "My patients", id="clinician"
    ),
    pytest.param(
        lambda: EditorFactory(username="ed.smoke"),
        "/admin/",
        "Site administration",
        id="editor",
    ),
    pytest.param(
        lambda: AdminFactory(username="admin.smoke"),
        "/admin/",
        "Site administration",
        id="admin",
    ),
]


@pytest.mark.parametrize(("make_user", "home", "heading"), LANDINGS)
def test_each_role_signs_in_on_a_phone_and_lands_on_its_own_home(
    live_server, phone_page, screenshot, make_user, home, heading
):
    user = make_user()
    page = phone_page
    login_path = reverse("login")

    page.goto(live_server.url + "/")

    assert urlsplit(page.url).path == login_path
    page.get_by_label("Username").press_sequentially(user.username)
    page.get_by_label("Password").press_sequentially(PASSWORD)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()

    assert navigation.value is not None and navigation.value.status == 200
    assert urlsplit(page.url).path == home
    expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    assert "sessionid" in {cookie["name"] for cookie in page.context.cookies()}
    screenshot(page, f"smoke-{user.role}-home-phone")


def test_the_sign_in_page_does_not_scroll_sideways_on_a_phone(live_server, phone_page):
    page = phone_page

    page.goto(live_server.url + reverse("login"))

    assert page.evaluate("window.innerWidth") == 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
