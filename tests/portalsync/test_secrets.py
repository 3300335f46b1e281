"""The service password never leaves the encrypted column: not in pages, logs or tasks."""

import logging

import pytest
from django.test import Client as BrowserClient
from django_q.conf import Conf
from django_q.models import OrmQ, Task
from django_q.signing import SignedPackage

from portalsync.emulator import EmulatorServer
from portalsync.models import PortalConnection, SyncAttempt
from tests.conftest import PORTAL_PASSWORD
from tests.factories import make_client
from tests.helpers import client_form_data

pytestmark = pytest.mark.django_db(transaction=True)

SETTINGS_URL = "/stamm/einstellungen/klientenportal-synchronisation/"


def _set_password_through_the_page(browser: BrowserClient) -> str:
    response = browser.post(SETTINGS_URL + "passwort/", {"password": PORTAL_PASSWORD}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_the_password_is_in_no_page_log_line_or_task(
    admin_browser: BrowserClient, emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(number=27)

    pages = [_set_password_through_the_page(admin_browser)]
    admin_browser.post(f"/klienten/{client.pk}/", client_form_data(client, portal_enabled=True))
    for url in (SETTINGS_URL, "/klienten/", f"/klienten/{client.pk}/"):
        pages.append(admin_browser.get(url).content.decode())
    admin_browser.post(SETTINGS_URL + "verbindung-pruefen/")

    assert 'data-status="active">Aktiv<' in pages[0]
    for page in pages:
        assert PORTAL_PASSWORD not in page
    assert PORTAL_PASSWORD not in caplog.text
    stored = PortalConnection.load().password_encrypted
    assert stored and PORTAL_PASSWORD not in stored
    for task in Task.objects.all():
        assert PORTAL_PASSWORD not in repr((task.func, task.args, task.kwargs, task.result))
    for attempt in SyncAttempt.objects.all():
        assert PORTAL_PASSWORD not in attempt.error


def test_queued_tasks_carry_no_arguments(
    admin_browser: BrowserClient, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a real broker the kick is a queued message: inspect what would travel.
    monkeypatch.setattr(Conf, "SYNC", False)
    client = make_client(number=27)

    _set_password_through_the_page(admin_browser)
    admin_browser.post(f"/klienten/{client.pk}/", client_form_data(client, portal_enabled=True))

    packages = [SignedPackage.loads(message.payload) for message in OrmQ.objects.all()]
    assert [(p["func"], p["args"], p["kwargs"]) for p in packages] == [
        ("portalsync.tasks.kick", (), {}),
        ("portalsync.tasks.kick", (), {}),
    ]


def test_the_password_field_is_never_filled_in(
    admin_browser: BrowserClient, emulator: EmulatorServer
) -> None:
    _set_password_through_the_page(admin_browser)

    page = admin_browser.get(SETTINGS_URL).content.decode()

    assert 'name="password"' in page
    assert 'name="password" value' not in page
    assert "hinterlegt (zuletzt geändert am" in page
