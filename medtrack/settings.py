"""MedTrack settings: one file, driven by environment variables.

Every variable is listed in ``.env.example`` and in the README. Development
(``DEBUG=true``, which ``make run`` sets) and the test suite get safe local
defaults; production (``DEBUG`` off) refuses to start without ``SECRET_KEY``
and ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sys
from pathlib import Path

import dj_database_url
import pghistory
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from medtrack.env import env_bool, env_int, env_list, env_secret, env_str
from medtrack.storage import s3_options, s3_origins

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MEDTRACK_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
TESTING = "pytest" in sys.modules
#: Local defaults (a generated secret, mail to var/mail, plain HTTP) apply.
DEVELOPMENT = DEBUG or TESTING


def _development_secret_key() -> str:
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# Production without these refuses to start: the WSGI/ASGI entry points,
# migrate and check --deploy stop with medtrack.E006/E007. Tooling that needs
# neither (makemigrations) still works.
SECRET_KEY = env_secret("SECRET_KEY") or (_development_secret_key() if DEVELOPMENT else "")
#: (Django refuses to even read an empty SECRET_KEY, so the check reads this.)
SECRET_KEY_MISSING = not SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEVELOPMENT else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # First, so its migrate/flush overrides (run as the owner role) win.
    "medtrack",
    "accounts",
    "patients",
    "caregivers",
    "audit",
    "medications",
    "doses",
    "measurements",
    "journal",
    "appointments",
    "notifications",
    "files",
    "exports",
    "sync",
    "dashboard",
    "medtrack.admin_site.MedTrackAdminConfig",  # django.contrib.admin, two-step only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "django_htmx",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    # First: the request id and one log line per request (medtrack/logs.py).
    "medtrack.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "medtrack.middleware.PermissionsPolicyMiddleware",
    # /healthz, before anything that needs a session or the database (medtrack/health.py).
    "medtrack.health.HealthCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "medtrack.middleware.UserLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.session_limits.SessionLimitsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # One transaction per request, app.user_id for row level security, history context.
    "medtrack.middleware.DatabaseContextMiddleware",
    "medtrack.middleware.HistoryContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout into the "try again at" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "medtrack.urls"
WSGI_APPLICATION = "medtrack.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread",
                "accounts.session_limits.context",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# -- Database -----------------------------------------------------------------
# DATABASE_URL names the server and the app's login role (medtrack_app). When
# it is unset, the make targets start the embedded PostgreSQL and write its
# URL to var/database_url; settings only read it, they never start a server.
_EMBEDDED_URL_FILE = VAR_DIR / "database_url"
DATABASE_URL = env_str("DATABASE_URL")
EMBEDDED_DATABASE = not DATABASE_URL
if EMBEDDED_DATABASE and _EMBEDDED_URL_FILE.exists():
    DATABASE_URL = _EMBEDDED_URL_FILE.read_text().strip()
if not DATABASE_URL:
    # A system check (medtrack.E001) explains how to start the embedded server.
    DATABASE_URL = "postgres://medtrack_app@localhost/medtrack"

DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        # Tests: live-server request threads must not keep connections open.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0 if TESTING else 60),
        conn_health_checks=True,
    )
}
DATABASES["default"]["OPTIONS"] = {
    # Safe behind a transaction-mode pooler (pgbouncer): no prepared
    # statements; the per-request settings are transaction-local.
    "prepare_threshold": None,
    "application_name": "medtrack",
}
DATABASES["default"]["TEST"] = {"NAME": env_str("DATABASE_TEST_NAME") or None}
#: The NOLOGIN role that owns the schema; migrations and system work SET ROLE to it.
DATABASE_OWNER_ROLE = env_str("DATABASE_OWNER_ROLE", "medtrack_owner")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- Accounts -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account or address is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Hashing is not what the tests measure; Argon2 is tested in test_passwords.
    PASSWORD_HASHERS.insert(0, "django.contrib.auth.hashers.MD5PasswordHasher")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60 * 3)
#: Signed out after this long without activity (a warning comes first) ...
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
#: ... and this long after signing in, whatever happens (accounts.session_limits).
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
SESSION_IDLE_WARNING_SECONDS = 120
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 60 * 60
#: Days a form draft kept at sign-out waits for its owner to come back.
FORM_DRAFT_KEEP_DAYS = env_int("FORM_DRAFT_KEEP_DAYS", 7)
#: Days a revoked or expired personal token stays listed (greyed) before it is deleted.
API_TOKEN_KEEP_DAYS = env_int("API_TOKEN_KEEP_DAYS", 30)
#: The demo account (``manage.py seed_demo``); it is only ever created when DEBUG is on.
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "medtrack-demo"  # noqa: S105 - documented demo login, DEBUG only

# -- Patients and audit ----------------------------------------------------------
#: Days a deleted patient can be restored before purge_deleted_patients removes it.
PATIENT_RETENTION_DAYS = env_int("PATIENT_RETENTION_DAYS", 30)
#: Days an invitation to a care team stays valid.
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7)
#: Minutes a staff member's emergency access to one patient lasts (docs/security.md).
BREAK_GLASS_MINUTES = env_int("BREAK_GLASS_MINUTES", 60)
#: The public address of this site, for links in e-mails sent outside a request.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEVELOPMENT else "")
#: A dose taken more than this many minutes after its time is "late".
DOSE_LATE_MINUTES = env_int("DOSE_LATE_MINUTES", 60)
#: A pending dose not recorded this many hours after its time becomes "missed".
DOSE_MISSED_HOURS = env_int("DOSE_MISSED_HOURS", 4)
#: Days ahead for which scheduled doses are materialised.
DOSE_WINDOW_DAYS = env_int("DOSE_WINDOW_DAYS", 14)
#: Seconds between rounds of ``manage.py run_jobs`` (loop mode).
JOBS_INTERVAL_SECONDS = env_int("JOBS_INTERVAL_SECONDS", 60)
#: Region assumed for phone numbers written without a +country code.
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "US")
PGHISTORY_APPEND_ONLY = True
# The time of each change, not of its transaction: events written together
# (a patient and its first caregiver) keep their order on the Activity page.
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"
PGHISTORY_DEFAULT_TRACKERS = (
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
)
PGHISTORY_ADMIN_MODEL = "pghistory.MiddlewareEvents"
#: History in the admin shows only patients the staff member has emergency access to.
PGHISTORY_ADMIN_CLASS = "audit.breakglass.GrantedEventsAdmin"

# -- Internationalisation and time ---------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# -- Static files ---------------------------------------------------------------
STATIC_URL = "/static/"
# Production serves what `collectstatic` gathered at build time; development
# and tests serve straight from the apps and static/ through whitenoise.
STATIC_ROOT = None if DEVELOPMENT else Path(env_str("STATIC_ROOT") or BASE_DIR / "var" / "static")
WHITENOISE_USE_FINDERS = DEVELOPMENT
WHITENOISE_AUTOREFRESH = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
# Documents and photos are private: a local directory (no MEDIA_URL is served),
# or an S3 bucket when S3_BUCKET is set; either way they are reached only
# through the access-checked views of the files app (docs/files.md).
S3_BUCKET = env_str("S3_BUCKET")
_FILES_STORAGE: dict[str, object] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {
        "location": Path(env_str("MEDIA_ROOT") or VAR_DIR / "media"),
        "base_url": None,
        "directory_permissions_mode": 0o700,
        "file_permissions_mode": 0o600,
    },
}
if S3_BUCKET:
    _FILES_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_options(
            S3_BUCKET,
            lambda name: env_secret(name) if name.endswith("_KEY") else env_str(name),
            expire_seconds=env_int("S3_URL_EXPIRE_SECONDS", 300),
            encrypt=env_bool("S3_ENCRYPT", True),
        ),
    }
STORAGES = {
    "default": _FILES_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEVELOPMENT
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# -- E-mail -------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "MedTrack <no-reply@medtrack.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_MAIL_BACKEND = env_str("MAIL_BACKEND", "file" if DEVELOPMENT else "smtp")
if _MAIL_BACKEND == "file":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
elif _MAIL_BACKEND == "console":
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
elif _MAIL_BACKEND == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("SMTP_HOST", "localhost"),
                "port": env_int("SMTP_PORT", 587),
                "username": env_str("SMTP_USERNAME"),
                "password": env_secret("SMTP_PASSWORD"),
                "use_tls": env_bool("SMTP_USE_TLS", True),
                "timeout": 10,
            },
        }
    }
else:
    raise ImproperlyConfigured(f"MAIL_BACKEND={_MAIL_BACKEND!r}: use file, console or smtp.")

# -- Files ----------------------------------------------------------------------
#: The largest file one may upload, and what one patient's files may add up to.
FILE_MAX_MB = env_int("FILE_MAX_MB", 20)
FILE_PATIENT_QUOTA_MB = env_int("FILE_PATIENT_QUOTA_MB", 1024)
#: Uploads land on disk above this size, not in memory; a file over FILE_MAX_MB
#: is not received beyond the limit (files.upload_handlers.SizeLimit).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "files.upload_handlers.SizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
#: Images above this many pixels are refused (decompression bombs).
FILE_MAX_PIXELS = env_int("FILE_MAX_PIXELS", 50_000_000)
#: At most this many files in one upload.
FILE_MAX_PER_UPLOAD = 20
DATA_UPLOAD_MAX_NUMBER_FILES = FILE_MAX_PER_UPLOAD

# -- Exports -------------------------------------------------------------------
#: Days an export's file is kept before the expiry job deletes it.
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7)
#: Requests one sync token may make per minute (then 429 with Retry-After).
SYNC_RATE_LIMIT_PER_MINUTE = env_int("SYNC_RATE_LIMIT_PER_MINUTE", 120)

# -- Sign-in throttling (django-axes) ---------------------------------------------
#: Failed logins before an account, and separately an address, is locked out.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
#: How long a lockout lasts (a timedelta: django-axes reads hours).
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
#: The e-mail as typed on the login form, lower-cased (so "Alice@" counts as "alice@").
AXES_USERNAME_CALLABLE = "accounts.throttle.username"
AXES_RESET_ON_SUCCESS = True
#: Proxies in front of the app that append to X-Forwarded-For (a load balancer: 1).
#: Without it, every visitor behind one would share the proxy's address (and lockouts).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "medtrack.net.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
# Our own access_log records logins and failures; axes keeps only its counters.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# -- Cache -------------------------------------------------------------------------
# In the database (no extra server): rate limits and lockout counters are shared
# by every app host. The table is made by accounts.0005 as the owner role.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "django_cache",
    }
}

# -- Background tasks -----------------------------------------------------------
# E-mail goes through django.tasks; the queue is a table in our database and
# `manage.py db_worker` runs it (DESIGN.md §A "Jobs", STACK.md "Tasks").
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
#: A notification e-mail that fails is tried again after these many minutes.
EMAIL_RETRY_MINUTES = [1, 5, 30, 120]

# -- Security -----------------------------------------------------------------
# docs/security.md lists every header and why. Production cookies carry the
# __Host- prefix (Secure, Path=/, no Domain: no subdomain can plant or read them);
# development serves plain HTTP, where browsers refuse such cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
#: Browser features no page of ours uses, switched off for every page (and any
#: script that might sneak into one).
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
    "interest-cohort=()"
)
# Django's own Content-Security-Policy: our origin only, no inline script or
# style anywhere (medtrack/tests/test_security_headers.py checks the templates,
# test_browser_csp the pages in Chromium), images also from the S3 bucket's
# origin, whose presigned URLs the file views redirect to.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    # The nonce is for the admin's change lists (Django's own template has one
    # <style> with it); it is sent only on a page that uses it. Ours use none.
    "style-src": [CSP.SELF, CSP.NONCE],
    # data: for the stylesheet's small SVG icons (Pico's chevrons); an image cannot run script.
    "img-src": [CSP.SELF, "data:", *(s3_origins(S3_BUCKET, env_str) if S3_BUCKET else [])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
# Load balancers probe app hosts over plain HTTP; a redirect would fail them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if not DEVELOPMENT:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # On by default so check --deploy has nothing to say; turn it off before
    # the first deploy if a subdomain cannot serve HTTPS yet (README).
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Logs go to stdout for the process manager or the platform to collect: JSON
# lines in production, plain lines in development; every record made during a
# request carries its request id and user id (medtrack/logs.py).
LOG_FORMAT = env_str("LOG_FORMAT") or ("text" if DEVELOPMENT else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "medtrack.logs.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "medtrack.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
