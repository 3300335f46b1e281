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
def emulator(settings: Any) -> Iterator[EmulatorServer]:
    """The portal emulator over real HTTP on loopback, with a service password set."""
    server = EmulatorServer(
        host="127.0.0.1", port=0, data_path=":memory:", password=PORTAL_PASSWORD
    )
    server.start()
    settings.PORTAL_URL = server.url
    yield server
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
