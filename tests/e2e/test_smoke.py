"""Smoke test in a real Chromium: sign in on a phone."""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.factories import ClinicianFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


def test_a_clinician_is_sent_to_sign_in_and_signs_in_on_a_phone(
    live_server, phone_page, screenshot
):
    user = ClinicianFactory(username="dr.smoke", password=PASSWORD)
    page = phone_page
    login_path = reverse("login")

    page.goto(live_server.url + "/")

    assert urlsplit(page.url).path == login_path
    username = page.get_by_label("Username")
    password = page.get_by_label("Password")
    username.press_sequentially(user.username)
    password.press_sequentially(PASSWORD)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()

    response = navigation.value
    assert response is not None
    assert response.status == 200
    assert urlsplit(page.url).path != login_path
    assert "sessionid" in {cookie["name"] for cookie in page.context.cookies()}
    assert screenshot(page, "smoke-signed-in-phone").stat().st_size > 0


def test_the_sign_in_page_does_not_scroll_sideways_on_a_phone(live_server, phone_page):
    page = phone_page

    page.goto(live_server.url + reverse("login"))

    assert page.evaluate("window.innerWidth") == 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
