"""Settings for the trigger-point home exercise app, read from the environment.

One settings module for every environment. Development defaults are safe (SQLite,
console email, a file-system broker); production sets DATABASE_URL, REDIS_URL,
EMAIL_URL, SECRET_KEY and ALLOWED_HOSTS. See README.md for the table of variables.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is read when present (never committed; see .env.example).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 40):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 40 characters when DEBUG is "
        "off. For local development set DEBUG=true (make run does this)."
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "template_partials",
    "auditlog",
    "phonenumber_field",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "users",
    "trigger",
    "programs",
    "patients",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL character in the address is a 400 (PostgreSQL cannot compare text holding one).
    "users.request_guards.RefuseNulBytesMiddleware",
    # A body larger than REQUEST_BODY_MAX_BYTES (the admin's uploads: more) is a 413.
    "users.request_guards.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # No page is stored by a browser or proxy unless it says so itself (users.middleware).
    "users.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "users.middleware.SessionExpiryMiddleware",
    "users.middleware.MfaRequiredMiddleware",
    "users.middleware.PracticeTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # auditlog's middleware with the trusted client address, plus reads and exports of
    # patient records (patients/audit.py).
    "patients.audit.AuditMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
# SQLite by default (web, worker and beat write together: IMMEDIATE transactions, WAL
# and a busy timeout keep them from failing with "database is locked").
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The pages' repeated reads are prepared statements (patients/compiled.py; Django's own
    # queries never are). Off behind a pooler that cannot keep them: docs/operations.md.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users ----------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Accounts and sessions --------------------------------------------------------------
# django-allauth: sign in by username or email + password, or by a 6-digit code sent by
# email; no public signup (clinicians are created by administrators, patients come by
# invitation); rate limits kept in the default cache (Redis when REDIS_URL is set).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "users.adapter.AccountAdapter"
# The login form with a length limit on the name (a huge one was a 500 on SQLite).
# The code request and the password reset find the one account an address designates
# (users.addresses): never a second, unverified address, never a guess between several.
ACCOUNT_FORMS = {
    "login": "users.forms.LoginForm",
    "request_login_code": "users.forms.RequestLoginCodeForm",
    "reset_password": "users.forms.ResetPasswordForm",
}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# A confirmed new address replaces the old one (a clinician's change of a patient's address
# takes effect once the new address confirms it: patients.services.assignments).
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = env.int("LOGIN_BY_CODE_TIMEOUT_SECONDS", default=5 * 60)
# No "remember me" box: the session lengths below decide (patients long, staff idle 30 min).
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Behind a reverse proxy, the number of proxies whose X-Forwarded-For may be trusted
# (rate limits are per client address).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Failed sign-ins: after LOGIN_FAILED_LIMIT failures for one account (or 4x that from one
# address) within the window, even the right password is refused until it passes.
LOGIN_FAILED_LIMIT = env.int("LOGIN_FAILED_LIMIT", default=5)
LOGIN_FAILED_WINDOW_MINUTES = env.int("LOGIN_FAILED_WINDOW_MINUTES", default=15)
# The lockout that holds (users.lockout): after LOGIN_DAILY_FAILED_LIMIT failed passwords,
# sign-in codes and two-factor codes for one account within LOGIN_DAILY_FAILED_WINDOW_HOURS,
# the account is locked (on the user row, not in the cache) until its owner resets the
# password by email or the clinic unlocks it. 0 turns the long window off.
LOGIN_DAILY_FAILED_LIMIT = env.int("LOGIN_DAILY_FAILED_LIMIT", default=20)
LOGIN_DAILY_FAILED_WINDOW_HOURS = env.int("LOGIN_DAILY_FAILED_WINDOW_HOURS", default=24)
# Invitation links: wrong tokens posted from one address before it is refused (429).
INVITATION_FAILED_LIMIT = env.int("INVITATION_FAILED_LIMIT", default=10)
INVITATION_FAILED_WINDOW_MINUTES = env.int("INVITATION_FAILED_WINDOW_MINUTES", default=15)
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{4 * LOGIN_FAILED_LIMIT}/{LOGIN_FAILED_WINDOW_MINUTES}m/ip,"
        f"{LOGIN_FAILED_LIMIT}/{LOGIN_FAILED_WINDOW_MINUTES}m/key"
    ),
    # Our own action, consumed by the invitation view (patients.views.invitations).
    "invitation_failed": f"{INVITATION_FAILED_LIMIT}/{INVITATION_FAILED_WINDOW_MINUTES}m/ip",
}
# Two-factor authentication, required for the roles in MFA_REQUIRED_ROLES: by default
# clinicians, editors and administrators when DEBUG is off (each reaches patient data or
# the admin). MFA_REQUIRED_ROLES=none (or empty) turns it off: the system check
# users.W002 then says so at every start (users/checks.py).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Home exercise")
MFA_REQUIRED_ROLES = [
    role
    for role in env.list(
        "MFA_REQUIRED_ROLES", default=[] if DEBUG else ["clinician", "editor", "admin"]
    )
    if role != "none"
]
if unknown_roles := set(MFA_REQUIRED_ROLES) - {"patient", "clinician", "editor", "admin"}:
    raise ImproperlyConfigured(
        f"MFA_REQUIRED_ROLES lists unknown roles: {', '.join(sorted(unknown_roles))}. "
        "Use patient, clinician, editor and/or admin."
    )
# Sessions: patients stay signed in on their own phone; clinicians, editors and
# administrators are signed out after 30 minutes without a request (users.middleware).
PATIENT_SESSION_SECONDS = env.int("PATIENT_SESSION_SECONDS", default=30 * 24 * 3600)
CLINICIAN_IDLE_SECONDS = env.int("CLINICIAN_IDLE_SECONDS", default=30 * 60)
SESSION_COOKIE_AGE = PATIENT_SESSION_SECONDS
# Invitations (patients.services.invitations): how long a one-time sign-in link works.
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)

# --- Internationalisation and time ----------------------------------------------------
# British English by default: dates read "2 Dec 2026, 14:05" (Django's format localisation,
# with the project's own en_GB formats in config/formats). Templates use named formats
# (DATE_FORMAT, DATETIME_FORMAT, TIME_FORMAT), never hand-written ones.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English"))]
FORMAT_MODULE_PATH = ["config.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# How uploaded media leave the server (config/media.py): through the reverse proxy when
# one of these is set, else streamed by the app itself.
MEDIA_ACCEL_REDIRECT_PREFIX = env.str("MEDIA_ACCEL_REDIRECT_PREFIX", default="")
MEDIA_SENDFILE_HEADER = env.str("MEDIA_SENDFILE_HEADER", default="")
if MEDIA_SENDFILE_HEADER not in {"", "X-Sendfile", "X-LIGHTTPD-send-file"}:
    raise ImproperlyConfigured("MEDIA_SENDFILE_HEADER must be X-Sendfile or X-LIGHTTPD-send-file.")
# Library media uploaded by editors: what the admin accepts.
LIBRARY_IMAGE_MAX_BYTES = env.int("LIBRARY_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
LIBRARY_VIDEO_MAX_BYTES = env.int("LIBRARY_VIDEO_MAX_BYTES", default=50 * 1024 * 1024)
# Request bodies (users.request_guards): larger ones are answered 413 before anything reads
# them. Every form of the app fits in far less; the admin's library uploads get their own.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=1024 * 1024)
ADMIN_REQUEST_BODY_MAX_BYTES = env.int(
    "ADMIN_REQUEST_BODY_MAX_BYTES",
    default=2 * (LIBRARY_IMAGE_MAX_BYTES + LIBRARY_VIDEO_MAX_BYTES) + REQUEST_BODY_MAX_BYTES,
)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES

# --- Email ----------------------------------------------------------------------------
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Home exercise <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# With DEBUG off, a console, in-memory, dummy or file email backend (or a console or
# in-memory SMS backend) is a system check error and the app refuses to start, unless this
# is on (a test server that must not deliver). See users/checks.py.
ALLOW_CONSOLE_BACKENDS = env.bool("ALLOW_CONSOLE_BACKENDS", default=False)
# A reminder is sent holding its patient's row lock: a mail server that hangs must not
# hold it for long (the SMS backend has its own 10-second limit).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT_SECONDS", default=30)

# --- Celery ---------------------------------------------------------------------------
# With REDIS_URL: Redis. Without: Kombu's file-system transport, which needs no server
# and works with a worker and beat on one machine (make run).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_FILESYSTEM_DIR = Path(env.str("CELERY_FILESYSTEM_DIR", default=str(BASE_DIR / ".broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # "localhost" names no server: the file-system transport ignores it, and without it Kombu
    # warns "No hostname was supplied" on every connection.
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_FILESYSTEM_DIR / "celerybeat-schedule")

# --- Caches ---------------------------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }

# --- Forms ----------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# Exempt the health check from the HTTPS redirect: load balancers probe it over HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp): every script is a vendored or own static file, so
# no inline script runs. Inline styles stay allowed (Bootstrap and the admin set some).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "media-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Audit trail (django-auditlog; patients/audit.py, users/audit.py): who changed or read
# what, when, from which address. Only the models registered there are logged.
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# Logs (config/logging.py): one line per event on standard error, readable text or one
# JSON object per line (LOG_FORMAT=json); Django's own messages once.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
# The worker and beat write through the same configuration instead of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="GB")

# --- Reminders ------------------------------------------------------------------------
# Absolute links in emails and text messages.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SMS_BACKEND = env.str("SMS_BACKEND", default="patients.sms.ConsoleSmsBackend")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="https://api.twilio.com")
# At most this many reminders reach one patient in one local day.
REMINDER_DAILY_CAP = env.int("REMINDER_DAILY_CAP", default=4)
# A reminder found more than this late (dispatcher down) is skipped, not sent stale.
REMINDER_MAX_LATENESS_MINUTES = env.int("REMINDER_MAX_LATENESS_MINUTES", default=120)
# Pending deliveries older than this are queued again by the sweep (lost broker message).
REMINDER_SWEEP_AFTER_SECONDS = env.int("REMINDER_SWEEP_AFTER_SECONDS", default=180)
# Deliveries per worker task (patients/reminders.py, send_batches). Emails share one mail
# connection per batch, and a repeat after a killed worker carries the same Message-ID;
# text messages go one per task, so a killed worker can repeat at most one.
REMINDER_EMAIL_BATCH_SIZE = env.int("REMINDER_EMAIL_BATCH_SIZE", default=50)
REMINDER_SMS_BATCH_SIZE = env.int("REMINDER_SMS_BATCH_SIZE", default=1)
# --- Retention (patients/services/retention.py; `manage.py prune`, daily from beat) -----
# Days a record is kept; 0 keeps it for ever. Expired sessions always go.
PRUNE_DELIVERIES_AFTER_DAYS = env.int("PRUNE_DELIVERIES_AFTER_DAYS", default=400)
PRUNE_SIGN_IN_EVENTS_AFTER_DAYS = env.int("PRUNE_SIGN_IN_EVENTS_AFTER_DAYS", default=2 * 365)
PRUNE_AUDIT_AFTER_DAYS = env.int("PRUNE_AUDIT_AFTER_DAYS", default=8 * 365 + 2)

CELERY_BEAT_SCHEDULE = {
    "dispatch-due-reminders": {
        "task": "patients.tasks.dispatch_due_reminders",
        "schedule": 60.0,
    },
    "sweep-reminders": {"task": "patients.tasks.sweep_reminders", "schedule": 120.0},
    # Computed alerts (pain rising, no activity, too hard, program ending): raised and
    # resolved for every patient; idempotent, so a late or doubled run is harmless.
    "evaluate-alerts": {"task": "patients.tasks.evaluate_alerts", "schedule": 15 * 60.0},
    # Retention: once a day, at a quiet hour (UTC).
    "prune-records": {
        "task": "patients.tasks.prune_records",
        "schedule": crontab(hour=3, minute=30),
    },
}
