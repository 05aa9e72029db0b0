"""Without a browser, `make test` still runs every other test, and each browser test fails
with one line saying how to get a browser: never a skip, never a silent pass."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.timeout(180)
def test_without_a_browser_browser_tests_fail_with_one_clear_line_and_the_rest_runs():
    env = {**os.environ, "BROWSER_EXECUTABLE": "/nonexistent/chromium"}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_XDIST_TESTRUNUID", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "tests/e2e/test_smoke.py",
            "tests/users/test_newcomer.py",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
    )
    output = result.stdout + result.stderr

    assert result.returncode != 0
    assert "skipped" not in output
    # The non-browser tests in the same run pass.
    assert "4 passed" in output, output[-2000:]
    # Each browser test (four roles signing in, and the sign-in page) fails with an error at
    # setup, with the one line on how to get a browser.
    assert "5 errors" in output, output[-2000:]
    assert output.count("No browser to run the browser tests: install Debian's Chromium") >= 5
