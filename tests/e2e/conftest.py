"""Browser tests: Playwright driving Chromium against pytest-django's live server.

Debian's Chromium (/usr/bin/chromium, or BROWSER_EXECUTABLE) is used when present;
elsewhere Playwright's own download is (``playwright install chromium``). Every test in
this folder is marked ``browser`` and put in one xdist group, so under
``-n 2 --dist loadgroup`` a single worker runs them all with one Chromium and one live
server.

Tests take ``phone_page`` (390x844, touch) or ``desktop_page`` (1280x900), open
``live_server.url + path`` and use ``@pytest.mark.django_db(transaction=True)``: the
live server's thread must see the rows the test commits.
"""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio loop running in the test thread; without this
# the ORM refuses to run there (SynchronousOnlyOperation). Set at import, before any
# fixture starts Playwright, and for the whole process, since the loop outlives a test.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

HERE = Path(__file__).resolve().parent
DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def pytest_collection_modifyitems(config, items):
    # Conftest collection hooks see every item of the session: only mark ours.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


def browser_executable() -> str | None:
    """BROWSER_EXECUTABLE, else Debian's Chromium, else None (Playwright's own)."""
    configured = os.environ.get("BROWSER_EXECUTABLE")
    if configured:
        return configured
    if os.access(DEBIAN_CHROMIUM, os.X_OK):
        return DEBIAN_CHROMIUM
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options (--headed, --slowmo...) plus ours."""
    launch_args = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    launch_args.setdefault("headless", True)  # --headed still wins
    executable = browser_executable()
    if executable:
        launch_args["executable_path"] = executable
    return launch_args


NO_BROWSER = (
    "No browser to run the browser tests: install Debian's Chromium "
    "(sudo apt-get install chromium), or run `.venv/bin/python -m playwright install chromium` "
    "when online, or set BROWSER_EXECUTABLE to a Chromium binary."
)


@pytest.fixture(scope="session")
def browser(launch_browser):
    """pytest-playwright's browser, but a missing browser fails each browser test with one
    clear line on how to get one (never a skip, never a page of traceback)."""
    from playwright.sync_api import Error as PlaywrightError

    launched, reason = None, ""
    try:
        launched = launch_browser()
    except PlaywrightError as error:
        reason = (str(error).strip().splitlines() or [""])[0]
    if launched is None:
        pytest.fail(f"{NO_BROWSER} ({reason})", pytrace=False)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def phone_context_args():
    """Context options for a phone: patients use the app on one."""
    return dict(PHONE)


@pytest.fixture(scope="session")
def desktop_context_args():
    """Context options for a clinician's desktop."""
    return dict(DESKTOP)


def _open_page(new_context, browser_context_args, context_args):
    # Options given on the command line (--device, --base-url) stay in
    # browser_context_args, which new_context applies; passing the same key twice
    # would be a TypeError, so the command line wins.
    extra = {k: v for k, v in context_args.items() if k not in browser_context_args}
    context = new_context(**extra)
    return context.new_page()


@pytest.fixture
def phone_page(new_context, browser_context_args, phone_context_args):
    """A page in a fresh 390x844 touch context (closed by pytest-playwright)."""
    return _open_page(new_context, browser_context_args, phone_context_args)


@pytest.fixture
def desktop_page(new_context, browser_context_args, desktop_context_args):
    """A page in a fresh 1280x900 context (closed by pytest-playwright)."""
    return _open_page(new_context, browser_context_args, desktop_context_args)


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig) -> Path:
    """test-artifacts/screenshots/ at the repository root (gitignored)."""
    directory = pytestconfig.rootpath / "test-artifacts" / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def screenshot(screenshot_dir):
    """``screenshot(page, name)`` saves a full-page PNG and returns its path."""

    def take(page, name: str) -> Path:
        filename = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "screenshot"
        path = screenshot_dir / f"{filename}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
