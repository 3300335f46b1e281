"""Settings page and sync log as the administrator sees them."""

from datetime import timedelta

import pytest
from django.test import Client as BrowserClient
from django.utils import timezone

from portalsync import engine
from portalsync.emulator import EmulatorServer
from portalsync.models import SyncAttempt, SyncState
from tests.factories import make_client
from tests.helpers import client_form_data

pytestmark = pytest.mark.django_db(transaction=True)

SETTINGS_URL = "/stamm/einstellungen/klientenportal-synchronisation/"


def test_settings_page_lists_enabled_clients_with_the_required_columns(
    admin_browser: BrowserClient, connected_portal: EmulatorServer
) -> None:
    make_client(
        number=27,
        short_name="Streicher Stefan II",
        name="Streicher Stefan",
        portal_enabled=True,
        receipt_sync_enabled=True,
    )
    make_client(number=3, short_name="Huber Alois")

    response = admin_browser.get(SETTINGS_URL)

    page = response.content.decode()
    for column in (
        "Stammdatensync",
        "Belegsync",
        "Nummer",
        "Kurzbezeichnung",
        "Name",
        "Betreuungsstatus",
        "Rechtsform",
    ):
        assert f'<th scope="col">{column}</th>' in page
    assert [c.number for c in response.context["page"]] == [27]
    assert f"<code>{connected_portal.url}</code>" in page


def test_full_resync_button_queues_every_enabled_client(
    admin_browser: BrowserClient, connected_portal: EmulatorServer
) -> None:
    for _ in range(2):
        make_client(portal_enabled=True)

    response = admin_browser.post(SETTINGS_URL + "synchronisieren/", follow=True)

    assert "2 Klienten werden erneut an das Klientenportal übertragen." in response.content.decode()
    assert list(SyncState.objects.values_list("delivered_version", flat=True)) == [2, 2]


def test_retry_button_resends_a_failed_client(
    admin_browser: BrowserClient, connected_portal: EmulatorServer
) -> None:
    client = make_client(portal_enabled=True)
    state = SyncState.objects.get(client=client)
    connected_portal.faults.reject = {str(state.portal_id): "abgelehnt"}
    admin_browser.post(f"/klienten/{client.pk}/", client_form_data(client, name="x"))
    assert SyncState.objects.get(pk=state.pk).status == SyncState.Status.FAILED
    connected_portal.faults.reject = {}

    admin_browser.post(SETTINGS_URL + f"status/{state.pk}/erneut-senden/")

    state.refresh_from_db()
    assert (state.status, state.delivered_version) == (SyncState.Status.SYNCED, 3)


def test_sync_log_filters_by_client_and_outcome(
    admin_browser: BrowserClient, connected_portal: EmulatorServer
) -> None:
    first = make_client(number=27, short_name="Streicher", portal_enabled=True)
    make_client(number=3, short_name="Huber", portal_enabled=True)
    connected_portal.faults.reject = {
        str(SyncState.objects.get(client=first).portal_id): "Ungültig"
    }
    first.name = "x"
    first.save()

    def rows(**query: str) -> list[tuple[int, str]]:
        page = admin_browser.get(SETTINGS_URL + "protokoll/", query).context["page"]
        return [(a.sync_state.portal_number, a.outcome) for a in page]

    assert rows(klient="27") == [(27, "rejected"), (27, "delivered")]
    assert rows(ergebnis="rejected") == [(27, "rejected")]
    assert rows(klient="Huber") == [(3, "delivered")]


def test_old_log_rows_are_pruned(connected_portal: EmulatorServer, settings: object) -> None:
    settings.PORTALSYNC_LOG_RETENTION_DAYS = 30
    make_client(portal_enabled=True)
    SyncAttempt.objects.update(created_at=timezone.now() - timedelta(days=31))
    make_client(portal_enabled=True)

    assert engine.prune_log() == 1
    assert SyncAttempt.objects.count() == 1


def test_settings_page_says_when_and_why_the_transfer_is_paused(
    admin_browser: BrowserClient, connected_portal: EmulatorServer
) -> None:
    running = admin_browser.get(SETTINGS_URL).content.decode()
    connected_portal.set_down(True)
    make_client(portal_enabled=True)

    paused = admin_browser.get(SETTINGS_URL).content.decode()

    assert '<dd data-paused="0">läuft</dd>' in running
    assert '<dd data-paused="1">pausiert, nächster Versuch um ' in paused
    assert " – Das Portal ist nicht erreichbar.</dd>" in paused


def test_settings_page_counts_only_enabled_clients_as_synchronised(
    admin_browser: BrowserClient, connected_portal: EmulatorServer
) -> None:
    make_client(portal_enabled=True)
    make_client(portal_enabled=True)
    unticked = make_client(portal_enabled=True)
    unticked.portal_enabled = False
    unticked.save()

    page = admin_browser.get(SETTINGS_URL).content.decode()

    assert '<dd data-count="synced">2</dd>' in page
    assert '<dd data-count="pending">0</dd>' in page


def test_settings_page_without_password_says_the_transfer_waits_for_it(
    admin_browser: BrowserClient,
) -> None:
    page = admin_browser.get(SETTINGS_URL).content.decode()

    assert 'data-status="not_configured">Nicht eingerichtet<' in page
    assert '<dd data-paused="0">angehalten, bis die Verbindung eingerichtet ist</dd>' in page
