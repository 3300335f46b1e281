"""Settings for RZL Board – Klientenportal sync.

Everything that differs between machines comes from the environment (django-environ);
`.env.example` lists every variable. A local `.env.local` (untracked, written by
`run.py` on first start) is read if present, so the embedded default needs no setup.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from rzl_board.log import without_traceback_for_refusals

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
for env_file in (BASE_DIR / ".env", BASE_DIR / ".env.local"):
    if env_file.exists():
        env.read_env(str(env_file), overwrite=False)

# --- Core -------------------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise environ.ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set (run.py writes one to .env.local on first start)."
        )
    SECRET_KEY = "insecure-debug-only-key"  # noqa: S105 - only with DEBUG on, never deployed
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "axes",
    "clients",
    "portalsync",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "rzl_board.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view needs a log-in unless marked @login_not_required (log-in page, /health/).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "rzl_board.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "rzl_board.middleware.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out log-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rzl_board.urls"
WSGI_APPLICATION = "rzl_board.wsgi.application"

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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------

VAR_DIR = BASE_DIR / "var"  # local data of the embedded default (untracked)
if "DATABASE_URL" not in env:
    VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker write concurrently: WAL lets readers run beside the writer, IMMEDIATE
    # takes the write lock at BEGIN (no upgrade deadlock), the timeout waits instead of
    # failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clients:list"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a locked-out log-in before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Failed log-ins are throttled per user name and per address (django-axes, counted in the
# database, so a restart does not reset them).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "rzl_board.middleware.client_ip"
# Successful log-ins are in the audit trail already.
AXES_DISABLE_ACCESS_LOG = True
AXES_COOLOFF_MESSAGE = _(
    "Zu viele fehlgeschlagene Anmeldeversuche. Bitte versuchen Sie es später noch einmal."
)
AXES_PERMALOCK_MESSAGE = _(
    "Zu viele fehlgeschlagene Anmeldeversuche. Bitte wenden Sie sich an Ihre "
    "KIS/Board-Administration."
)

# --- Language and time ------------------------------------------------------------------

# German for everyone, whatever the browser asks for: the product's own texts exist only
# in German, and a mix with Django's English texts would read badly.
LANGUAGE_CODE = "de-at"
LANGUAGES = [("de-at", _("Deutsch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Vienna"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security -----------------------------------------------------------------------------

# Served over HTTPS: redirect to https, HSTS, secure cookies. Opt-in, because TLS usually
# ends at a reverse proxy, which must then set X-Forwarded-Proto (DJANGO_SECURE_PROXY_SSL_
# HEADER), else the redirect loops; `manage.py check --deploy` reports it while off.
HTTPS = env.bool("DJANGO_HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # load balancers probe over plain HTTP
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies in front of the Board whose X-Forwarded-For is trusted (audit, log-in throttling).
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 3600) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
# Preloading is a promise to the browser makers for a whole public domain; an office's
# Board host is not the place to make it by default.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Only the self-hosted assets (static/css/app.css, static/js/app.js): no inline script or
# style, nothing from another origin, no framing.
CONTENT_SECURITY_POLICY = env.str(
    "DJANGO_CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=HTTPS or not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_SECONDS", default=8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: inactivity expiry
CSRF_FAILURE_VIEW = "rzl_board.views.csrf_failure"

# --- Background worker (django-q2) ------------------------------------------------------

Q_BROKER_URL = env.str("Q_BROKER_URL", default="")
Q_CLUSTER = {
    "name": "rzl_board",
    "workers": env.int("Q_WORKERS", default=2),
    # The sweep task runs for up to PORTALSYNC_SWEEP_SECONDS; the timeout must exceed it.
    "timeout": 120,
    "retry": 180,
    # The sync engine retries by itself; a failed task must not be replayed by the broker.
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 200,
    "poll": 0.2,
    "sync": env.bool("Q_SYNC", default=False),
    "label": _("Hintergrundaufgaben"),
}
if Q_BROKER_URL:
    Q_CLUSTER["redis"] = Q_BROKER_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Klientenportal synchronisation ------------------------------------------------------

PORTAL_URL = env.str("PORTAL_URL", default="http://127.0.0.1:8010")
# Comma-separated Fernet keys: the first encrypts, all decrypt (key rotation).
PORTALSYNC_ENCRYPTION_KEY = env.list("PORTALSYNC_ENCRYPTION_KEY", default=[])
PORTALSYNC_CONNECT_TIMEOUT = env.float("PORTALSYNC_CONNECT_TIMEOUT", default=3.0)
PORTALSYNC_READ_TIMEOUT = env.float("PORTALSYNC_READ_TIMEOUT", default=15.0)
PORTALSYNC_BATCH_SIZE = env.int("PORTALSYNC_BATCH_SIZE", default=200)
PORTALSYNC_LEASE_SECONDS = env.float("PORTALSYNC_LEASE_SECONDS", default=60.0)
PORTALSYNC_BACKOFF_SECONDS = [
    float(step)
    for step in env.list("PORTALSYNC_BACKOFF_SECONDS", default=[10, 30, 120, 300, 900, 1800, 3600])
]
PORTALSYNC_BACKOFF_JITTER = env.float("PORTALSYNC_BACKOFF_JITTER", default=0.2)
# After a push, further edits of the same client wait this long and go out as one.
PORTALSYNC_DEBOUNCE_SECONDS = env.float("PORTALSYNC_DEBOUNCE_SECONDS", default=2.0)
PORTALSYNC_PAUSE_SECONDS = env.float("PORTALSYNC_PAUSE_SECONDS", default=30.0)
PORTALSYNC_SWEEP_SECONDS = env.float("PORTALSYNC_SWEEP_SECONDS", default=55.0)
PORTALSYNC_POLL_SECONDS = env.float("PORTALSYNC_POLL_SECONDS", default=2.0)
# The sweep checks the connection when no push or check happened for this long.
PORTALSYNC_CHECK_SECONDS = env.float("PORTALSYNC_CHECK_SECONDS", default=60.0)
PORTALSYNC_HEARTBEAT_STALE_SECONDS = env.float("PORTALSYNC_HEARTBEAT_STALE_SECONDS", default=120.0)
PORTALSYNC_PENDING_WARN_SECONDS = env.float("PORTALSYNC_PENDING_WARN_SECONDS", default=900.0)
PORTALSYNC_LOG_RETENTION_DAYS = env.int("PORTALSYNC_LOG_RETENTION_DAYS", default=90)

# --- Logging ------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {
        "refusals": {
            "()": "django.utils.log.CallbackFilter",
            "callback": without_traceback_for_refusals,
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["refusals"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django_q": {"level": "WARNING"}},
}
