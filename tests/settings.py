"""Test settings: the production settings with fixed, test-only secrets and short intervals.

DATABASE_URL selects PostgreSQL (CI runs the suite twice); without it SQLite is used, in a
file so that worker processes started by tests share the test database. Every interval is
taken from the environment (with the test default below), so a worker process started by
a test can be given other values.
"""

import os

TEST_DEFAULTS = {
    "DJANGO_SECRET_KEY": "test-secret-key-not-for-production",
    # A fixed, valid Fernet key that exists only for tests.
    "PORTALSYNC_ENCRYPTION_KEY": "dGVzdC1vbmx5LWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECURE_COOKIES": "0",
    "LOG_LEVEL": "WARNING",
    # The kick runs inline right after commit, so a test sees the push without a worker.
    "Q_SYNC": "1",
    "PORTALSYNC_BACKOFF_JITTER": "0",
    "PORTALSYNC_CONNECT_TIMEOUT": "1",
    "PORTALSYNC_READ_TIMEOUT": "2",
    "PORTALSYNC_PAUSE_SECONDS": "0.5",
    # Inline kicks would wait out a debounce inside the saving request; tests that are
    # about coalescing set it themselves.
    "PORTALSYNC_DEBOUNCE_SECONDS": "0",
    "PORTALSYNC_SWEEP_SECONDS": "1",
    "PORTALSYNC_POLL_SECONDS": "0.1",
}
for _name, _value in TEST_DEFAULTS.items():
    os.environ.setdefault(_name, _value)

from rzl_board.settings import *  # noqa: E402, F403 - test settings extend the real ones

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast log-ins in tests
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# One test database per test run: runs in parallel (CI beside a developer) must not meet.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_rzl_board_{os.getpid()}"}  # noqa: F405
