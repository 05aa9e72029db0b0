"""Test configuration: production settings with test-only speed-ups.

The real settings module is imported unchanged; only what makes tests fast or
hermetic is overridden here, never as a switch in config/settings.py.
"""

import atexit
import os
import shutil
import tempfile


def _temporary_folder(variable: str, prefix: str) -> str:
    """A temporary folder shared through the environment with the processes this one starts
    (xdist workers, Celery workers), removed when the process that made it exits."""
    if variable not in os.environ:
        path = tempfile.mkdtemp(prefix=prefix)
        os.environ[variable] = path
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return os.environ[variable]


os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
_temporary_folder("CELERY_FILESYSTEM_DIR", "trigger-broker-")

from config.settings import *  # noqa: E402,F403
from config.settings import BASE_DIR, DATABASES, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Plain static storage: tests render {% static %} without running collectstatic first.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = _temporary_folder("TRIGGER_TEST_MEDIA_ROOT", "trigger-media-")
# Tests deliver nothing (in-memory email, console SMS) with DEBUG off, in this process and
# in the Celery workers they start; tests/security/test_deploy_check.py checks the refusal.
ALLOW_CONSOLE_BACKENDS = True
SILENCED_SYSTEM_CHECKS = ["users.W001", "patients.W001"]  # "allowed, but delivers nothing"
# Production requires two-factor for clinicians, editors and administrators (DEBUG is off
# here too); the personas sign in without it, and tests/users/test_mfa.py sets the roles
# it checks. The warning that it is off (users.W002) is expected here.
MFA_REQUIRED_ROLES: list[str] = []
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "users.W002"]
# Browser tests use plain-HTTP live servers.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# Each xdist worker has its own Celery queue, so real-worker tests running in parallel
# never take each other's messages on a shared broker.
CELERY_TASK_DEFAULT_QUEUE = "test-" + os.environ.get("PYTEST_XDIST_WORKER", "main")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: a Celery worker started by a test opens the same database.
    _artifacts = BASE_DIR / "test-artifacts"
    _artifacts.mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(_artifacts / f"test-{os.getpid()}.sqlite3")}
