import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client as BrowserClient

from portalsync import services
from portalsync.emulator import EmulatorServer
from portalsync.roles import ADMIN, READ_ONLY, STAFF
from tests.factories import make_user

PORTAL_PASSWORD = "Portal-Geheimnis-2026"


@pytest.fixture
def emulator(settings: Any, record_property: Any) -> Iterator[EmulatorServer]:
    """The portal emulator over real HTTP on loopback, with a service password set.

    After the test, what the portal saw is recorded as test properties (requests by
    outcome, test duration), so `--junitxml` reports carry each scenario's figures.
    """
    server = EmulatorServer(
        host="127.0.0.1", port=0, data_path=":memory:", password=PORTAL_PASSWORD
    )
    server.start()
    settings.PORTAL_URL = server.url
    started = time.monotonic()
    yield server
    record_property("test_seconds", round(time.monotonic() - started, 2))
    outcomes = Counter(record["outcome"] for record in server.requests_log)
    record_property("portal_requests", sum(outcomes.values()))
    record_property("portal_outcomes", dict(sorted(outcomes.items())))
    server.stop()


@pytest.fixture
def connected_portal(emulator: EmulatorServer, transactional_db: None) -> EmulatorServer:
    """The emulator with the Board's service password stored and checked."""
    services.set_service_password(password=PORTAL_PASSWORD, user=None)
    return emulator


@pytest.fixture
def admin_user(db: None) -> Any:
    return make_user("kanzlei-admin", ADMIN)


@pytest.fixture
def staff_user(db: None) -> Any:
    return make_user("mitarbeiter", STAFF)


@pytest.fixture
def reader_user(db: None) -> Any:
    return make_user("leser", READ_ONLY)


@pytest.fixture
def admin_browser(admin_user: Any) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(admin_user)
    return browser


@pytest.fixture
def staff_browser(staff_user: Any) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(staff_user)
    return browser


@pytest.fixture(scope="session", autouse=True)
def _close_stray_database_sessions(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """End sessions that server threads left open, so the test database can be dropped.

    (The live server's request threads may still hold a PostgreSQL connection when the
    session ends; dropping the database would then fail and leave it behind.)
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
