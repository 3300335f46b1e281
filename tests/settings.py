"""Test settings: the production settings with fixed, test-only secrets.

DATABASE_URL selects PostgreSQL (CI runs the suite twice); without it SQLite is used.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production")
# A fixed, valid Fernet key that exists only for tests.
os.environ.setdefault("PORTALSYNC_ENCRYPTION_KEY", "dGVzdC1vbmx5LWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=")
os.environ.setdefault("DJANGO_DEBUG", "0")

from rzl_board.settings import *  # noqa: E402, F403 - test settings extend the real ones

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast log-ins in tests
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# The kick runs inline right after commit, so a test sees the push without a worker.
Q_CLUSTER["sync"] = True  # noqa: F405
PORTALSYNC_BACKOFF_JITTER = 0.0
PORTALSYNC_CONNECT_TIMEOUT = 1.0
PORTALSYNC_READ_TIMEOUT = 2.0
PORTALSYNC_PAUSE_SECONDS = 0.5
# Inline kicks (Q sync) would wait out a debounce inside the saving request; tests that
# are about coalescing set it themselves.
PORTALSYNC_DEBOUNCE_SECONDS = 0.0
PORTALSYNC_SWEEP_SECONDS = 1.0
PORTALSYNC_POLL_SECONDS = 0.1
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
