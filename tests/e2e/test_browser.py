"""The guide's flow in a real browser: log in, connect the portal, offer a client.

Q_CLUSTER runs sync in tests, so the kick after each commit runs inline in the live
server's thread: once a response has arrived, the emulator already holds the data.
"""

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from portalsync.emulator import EmulatorServer
from portalsync.roles import ADMIN
from tests.conftest import PORTAL_PASSWORD
from tests.factories import make_client, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN_PASSWORD = "Kanzlei-Anmeldung-2026"
SETTINGS_LINK = "STAMM / Einstellungen / Klientenportal Synchronisation"
# /tmp/settings.png here: a look at the finished settings page for a human reviewer.
SCREENSHOT = Path(tempfile.gettempdir()) / "settings.png"


def test_an_administrator_connects_the_portal_and_offers_a_client_in_the_browser(
    page: Page, live_server: LiveServer, emulator: EmulatorServer
) -> None:
    make_user("kanzlei-admin", ADMIN, password=ADMIN_PASSWORD)
    make_client(number=27, short_name="Streicher Stefan II", name="Streicher Stefan")

    # Log in.
    page.goto(live_server.url + "/anmelden/")
    page.get_by_label("Benutzername", exact=True).fill("kanzlei-admin")
    page.get_by_label("Passwort", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.get_by_role("link", name=SETTINGS_LINK, exact=True)).to_be_visible()

    # Store the service-account password: the inline kick checks it and beats the heartbeat.
    page.get_by_role("link", name=SETTINGS_LINK, exact=True).click()
    # Not exact: the label's text ends in the required marker " *" (aria-hidden).
    page.get_by_label("Service-Account Passwort").fill(PORTAL_PASSWORD)
    page.get_by_role("button", name="Passwort speichern", exact=True).click()
    expect(page.locator("[data-status]")).to_have_text("Aktiv")
    expect(
        page.get_by_text(
            "Das Service-Account Passwort wurde gespeichert. Die Verbindung zum Klientenportal "
            "funktioniert.",
            exact=True,
        )
    ).to_be_visible()
    assert PORTAL_PASSWORD not in page.content()

    # Tick the portal box on the client's "Klientenportal" tab.
    page.get_by_role("link", name="Klienten", exact=True).click()
    page.get_by_role("link", name="Streicher Stefan II", exact=True).click()
    portal_box = page.get_by_label("Klient am Klientenportal anlegen", exact=True)
    expect(portal_box).to_be_hidden()
    page.get_by_role("tab", name="Klientenportal", exact=True).click()
    expect(portal_box).to_be_visible()
    portal_box.check()
    page.get_by_role("button", name="Speichern", exact=True).click()
    expect(page.get_by_text("Die Änderungen wurden gespeichert.", exact=True)).to_be_visible()

    remote = [client for client in emulator.store.all() if client["number"] == 27]
    assert [(client["name"], client["list_state"]) for client in remote] == [
        ("Streicher Stefan", "offered")
    ]

    # The settings page lists the client as synced.
    page.get_by_role("link", name=SETTINGS_LINK, exact=True).click()
    row = page.locator('#enabled-clients tr[data-number="27"]')
    expect(row).to_contain_text("Streicher Stefan II")
    expect(row).to_contain_text("synchronisiert")
    page.screenshot(path=SCREENSHOT, full_page=True)
