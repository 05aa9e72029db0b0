"""Test configuration: production settings with test-only speed-ups.

The real settings module is imported unchanged; only what makes tests fast or
hermetic is overridden here, never as a switch in config/settings.py.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("CELERY_FILESYSTEM_DIR", tempfile.mkdtemp(prefix="trigger-broker-"))

from config.settings import *  # noqa: E402,F403
from config.settings import BASE_DIR, DATABASES, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Plain static storage: tests render {% static %} without running collectstatic first.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = tempfile.mkdtemp(prefix="trigger-media-")
# Production requires two-factor for clinicians, editors and administrators (DEBUG is off
# here too); the personas sign in without it, and tests/users/test_mfa.py sets the roles
# it checks. (The default and its warning: tests/users/test_mfa.py.)
MFA_REQUIRED_ROLES: list[str] = []
# ... so the warning about it (users.W001) is expected here, and kept out of test output.
SILENCED_SYSTEM_CHECKS = ["users.W001"]
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
