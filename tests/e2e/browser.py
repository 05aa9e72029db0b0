"""What the browser tests share: the test users' password, signing in through the form,
and axe-core's serious and critical findings."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

# The password every browser test gives the users it signs in as.
PASSWORD = "correct horse battery"
SERIOUS = {"serious", "critical"}


def sign_in(page, live_server, user, path: str | None = None) -> None:
    """Sign in as ``user`` (a user, or a username) through the sign-in form and check it
    took: off the sign-in page, with a session cookie. With ``path``, the form is opened
    on its way there (``?next=``) and the test waits to land on it."""
    username = user if isinstance(user, str) else user.username
    login = live_server.url + reverse("login")
    page.goto(login + (f"?next={path}" if path else ""))
    page.get_by_label(re.compile("Username")).fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    if path:
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(re.escape(path) + "$"))
    else:
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
    assert urlsplit(page.url).path != reverse("login")
    assert "sessionid" in {cookie["name"] for cookie in page.context.cookies()}


def serious_violations(page, context: str | None = None) -> list[str]:
    """axe-core's serious and critical findings on the page (on ``context``, a selector,
    if given), one readable line each: an empty list is a pass."""
    violations = Axe().run(page, context=context).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} {[node['target'] for node in v['nodes']]}"
        for v in violations
        if v.get("impact") in SERIOUS
    ]
