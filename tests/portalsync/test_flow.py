"""The guide's flow end to end: Board edits reach the emulator over real HTTP."""

from datetime import timedelta

import pytest
from django.test import Client as BrowserClient
from django.utils import timezone

from clients.models import Client
from portalsync import engine, target
from portalsync.emulator import EmulatorServer
from portalsync.models import PortalConnection, SyncState, WorkerHeartbeat
from portalsync.status import Code, function_status
from tests.conftest import PORTAL_PASSWORD
from tests.factories import make_client, make_user
from tests.helpers import client_form_data, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("engine_mode")]


@pytest.fixture
def staff(connected_portal: EmulatorServer) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(make_user("mitarbeiter", "Mitarbeiter"))
    return browser


@pytest.fixture
def streicher() -> Client:
    return make_client(number=27, short_name="Streicher Stefan II", name="Streicher Stefan")


def _portal_client(emulator: EmulatorServer, client: Client) -> dict:
    return emulator.store.get(str(SyncState.objects.get(client=client).portal_id))


def _save(browser: BrowserClient, client: Client, **changes: object) -> None:
    response = browser.post(f"/klienten/{client.pk}/", client_form_data(client, **changes))
    assert response.status_code == 302, response.content.decode()
    client.refresh_from_db()


def test_ticking_the_portal_flag_offers_the_client_on_the_portal(
    staff: BrowserClient, streicher: Client, connected_portal: EmulatorServer
) -> None:
    _save(staff, streicher, portal_enabled=True)

    remote = _portal_client(connected_portal, streicher)
    assert (remote["number"], remote["short_name"], remote["name"], remote["legal_form"]) == (
        27,
        "Streicher Stefan II",
        "Streicher Stefan",
        "gmbh",
    )
    assert remote["list_state"] == "offered"
    assert remote["version"] == 1
    assert SyncState.objects.get(client=streicher).status == SyncState.Status.SYNCED


def test_a_name_change_reaches_the_portal(
    staff: BrowserClient, streicher: Client, connected_portal: EmulatorServer
) -> None:
    _save(staff, streicher, portal_enabled=True)

    _save(staff, streicher, name="Streicher Stefan Bau")

    remote = _portal_client(connected_portal, streicher)
    assert (remote["name"], remote["version"]) == ("Streicher Stefan Bau", 2)


def test_a_number_change_is_not_synced_and_flagged(
    staff: BrowserClient, streicher: Client, connected_portal: EmulatorServer
) -> None:
    _save(staff, streicher, portal_enabled=True)

    response = staff.post(
        f"/klienten/{streicher.pk}/", client_form_data(streicher, number=127), follow=True
    )
    streicher.refresh_from_db()

    assert _portal_client(connected_portal, streicher)["number"] == 27
    assert [str(m) for m in response.context["messages"]][-2:] == [
        "Die Änderungen wurden gespeichert.",
        "Die Klientennummer wird nicht an das Klientenportal übertragen. Nummer am Portal: "
        "27 – im Board: 127; bitte am Portal manuell ändern.",
    ]
    page = staff.get(f"/klienten/{streicher.pk}/").content.decode()
    # Once in the „Bitte prüfen Sie“ box at the top, once on the Klientenportal tab.
    assert page.count("Nummer am Portal: 27 – im Board: 127; bitte am Portal manuell ändern.") == 2


def test_a_new_client_with_a_number_the_portal_still_uses_is_warned_about(
    staff: BrowserClient, streicher: Client, connected_portal: EmulatorServer
) -> None:
    _save(staff, streicher, portal_enabled=True)
    _save(staff, streicher, number=127)
    newcomer = make_client(number=27, short_name="Bäckerei Groß", portal_enabled=True)

    page = staff.get(f"/klienten/{newcomer.pk}/").content.decode()

    assert (
        "Am Klientenportal trägt noch der Klient „Streicher Stefan II“ (im Board jetzt 127) "
        "die Nummer 27: Das Portal führt damit zwei Klienten unter dieser Nummer. Bitte ändern "
        "Sie dessen Nummer am Portal."
    ) in page
    assert "trägt noch der Klient" not in staff.get(f"/klienten/{streicher.pk}/").content.decode()


def test_unticking_moves_the_client_to_inactive(
    staff: BrowserClient, streicher: Client, connected_portal: EmulatorServer
) -> None:
    _save(staff, streicher, portal_enabled=True)

    _save(staff, streicher, portal_enabled=False)

    remote = _portal_client(connected_portal, streicher)
    assert (remote["list_state"], remote["portal_enabled"], remote["version"]) == (
        "inactive",
        False,
        2,
    )


def test_edits_of_an_unticked_client_are_not_sent(
    staff: BrowserClient, streicher: Client, connected_portal: EmulatorServer
) -> None:
    _save(staff, streicher, portal_enabled=True)
    _save(staff, streicher, portal_enabled=False)

    _save(staff, streicher, name="Nur im Board")

    assert _portal_client(connected_portal, streicher)["name"] == "Streicher Stefan"


def test_reticking_brings_a_created_client_back_to_the_portal_list(
    staff: BrowserClient, streicher: Client, connected_portal: EmulatorServer
) -> None:
    _save(staff, streicher, portal_enabled=True)
    portal_id = str(SyncState.objects.get(client=streicher).portal_id)
    connected_portal.store.create(portal_id)
    _save(staff, streicher, portal_enabled=False)

    _save(staff, streicher, portal_enabled=True)

    assert connected_portal.store.get(portal_id)["list_state"] == "created"


def test_deleting_a_client_moves_it_to_inactive_on_the_portal(
    streicher: Client, connected_portal: EmulatorServer
) -> None:
    streicher.portal_enabled = True
    streicher.save()
    portal_id = str(SyncState.objects.get(client=streicher).portal_id)

    streicher.delete()

    remote = connected_portal.store.get(portal_id)
    assert (remote["list_state"], remote["name"]) == ("inactive", "Streicher Stefan")


def test_status_is_active_after_the_password_is_saved(connected_portal: EmulatorServer) -> None:
    # The inline kick after saving the password is this test's worker: it left a heartbeat.
    assert WorkerHeartbeat.objects.count() == 1

    assert function_status().code == Code.ACTIVE


def test_wrong_password_shows_login_failed(
    admin_browser: BrowserClient, emulator: EmulatorServer
) -> None:
    response = admin_browser.post(
        "/stamm/einstellungen/klientenportal-synchronisation/passwort/",
        {"password": "falsch"},
        follow=True,
    )

    page = response.content.decode()
    assert 'data-status="auth_failed">Anmeldung fehlgeschlagen<' in page
    assert [(m.level_tag, m.message) for m in response.context["messages"]] == [
        ("warning", "Das Service-Account Passwort wurde gespeichert, aber noch nicht bestätigt."),
        (
            "error",
            "Anmeldung fehlgeschlagen: Das Klientenportal lehnt das Passwort ab. Bitte prüfen "
            "Sie das Passwort, das am Portal unter Stammdaten / Portal / Sonstige Einstellungen "
            "festgelegt ist, und geben Sie es hier erneut ein.",
        ),
    ]
    assert function_status().code == Code.AUTH_FAILED


def test_the_right_password_is_confirmed_in_one_message(
    admin_browser: BrowserClient, emulator: EmulatorServer
) -> None:
    response = admin_browser.post(
        "/stamm/einstellungen/klientenportal-synchronisation/passwort/",
        {"password": PORTAL_PASSWORD},
        follow=True,
    )

    assert [(m.level_tag, m.message) for m in response.context["messages"]] == [
        (
            "success",
            "Das Service-Account Passwort wurde gespeichert. Die Verbindung zum Klientenportal "
            "funktioniert.",
        )
    ]


def test_stopped_portal_shows_not_reachable(
    staff: BrowserClient, streicher: Client, connected_portal: EmulatorServer
) -> None:
    connected_portal.stop()

    _save(staff, streicher, portal_enabled=True)

    assert function_status().code == Code.UNREACHABLE
    state = SyncState.objects.get(client=streicher)
    assert (state.status, state.attempts) == (SyncState.Status.PENDING, 0)


def test_stale_heartbeat_shows_worker_not_running(connected_portal: EmulatorServer) -> None:
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - timedelta(minutes=3))

    status = function_status()

    assert (status.code, status.label) == (Code.WORKER_DOWN, "Hintergrunddienst läuft nicht")


def test_a_throttled_connection_check_is_not_reported_as_working(
    connected_portal: EmulatorServer,
) -> None:
    connected_portal.faults.throttle_rate = 1.0

    connection = target.check_connection()

    assert (connection.health, connection.health_detail, connection.is_paused) == (
        "unreachable",
        "Das Portal drosselt die Anfragen.",
        False,
    )
    assert function_status().code == Code.UNREACHABLE


def test_an_old_outage_verdict_gives_way_to_the_stopped_worker(
    connected_portal: EmulatorServer,
) -> None:
    long_ago = timezone.now() - timedelta(minutes=3)
    WorkerHeartbeat.objects.update(beat_at=long_ago)
    connected_portal.stop()
    target.check_connection()  # e.g. „Verbindung prüfen“ in the browser

    just_checked = function_status()
    paused_until = timezone.localtime(PortalConnection.load().paused_until)
    PortalConnection.objects.update(health_checked_at=long_ago, paused_until=long_ago)
    nobody_rechecked = function_status()

    assert (just_checked.code, just_checked.transfer) == (
        Code.UNREACHABLE,
        f"pausiert, nächster Versuch um {paused_until:%H:%M:%S} – Das Portal ist nicht erreichbar.",
    )
    assert (nobody_rechecked.code, nobody_rechecked.transfer) == (
        Code.WORKER_DOWN,
        "angehalten – der Hintergrunddienst läuft nicht",
    )


def test_a_pause_that_is_over_says_the_next_run_checks_again(
    connected_portal: EmulatorServer,
) -> None:
    connected_portal.stop()
    target.check_connection()
    PortalConnection.objects.update(paused_until=timezone.now() - timedelta(seconds=1))

    assert function_status().transfer == (
        "pausiert, die Verbindung wird beim nächsten Durchlauf geprüft – "
        "Das Portal ist nicht erreichbar."
    )


def test_portal_recovers_after_outage_within_the_pause(
    staff: BrowserClient, streicher: Client, connected_portal: EmulatorServer
) -> None:
    connected_portal.set_down(True)
    _save(staff, streicher, portal_enabled=True)
    connected_portal.set_down(False)

    wait_for(lambda: engine.drain().delivered == 1, timeout=3)

    assert _portal_client(connected_portal, streicher)["version"] == 1
    assert function_status().code != Code.UNREACHABLE
