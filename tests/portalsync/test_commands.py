"""Operator commands: portal_password, portal_status, portal_sync."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portalsync.emulator import EmulatorServer
from portalsync.models import PortalConnection, SyncState
from tests.conftest import PORTAL_PASSWORD
from tests.factories import make_client

pytestmark = pytest.mark.django_db(transaction=True)


def _status_json() -> tuple[dict, int]:
    out = io.StringIO()
    try:
        call_command("portal_status", "--json", stdout=out)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code)
    return json.loads(out.getvalue()), code


def test_portal_status_exits_non_zero_when_not_configured() -> None:
    status, code = _status_json()

    assert (status["status"], status["label"], code) == ("not_configured", "Nicht eingerichtet", 1)
    assert (status["pending"], status["failed"], status["synced"]) == (0, 0, 0)


def test_portal_password_reads_stdin_and_status_becomes_active(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PORTAL_PASSWORD + "\n"))
    out = io.StringIO()

    call_command("portal_password", stdout=out)
    make_client(portal_enabled=True)

    assert "Verbindung zum Klientenportal: erfolgreich." in out.getvalue()
    status, code = _status_json()
    assert (status["status"], status["synced"], code) == ("active", 1, 0)


def test_portal_password_with_a_wrong_password_fails_loudly(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("falsch\n"))

    with pytest.raises(CommandError, match="Anmeldung fehlgeschlagen"):
        call_command("portal_password", stdout=io.StringIO())

    assert PortalConnection.load().health == PortalConnection.Health.AUTH_FAILED


def test_portal_password_refuses_empty_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))

    with pytest.raises(CommandError, match="kein Passwort"):
        call_command("portal_password")

    assert not PortalConnection.load().has_password


def test_portal_sync_all_sends_every_enabled_client_again(
    connected_portal: EmulatorServer,
) -> None:
    clients = [make_client(portal_enabled=True) for _ in range(3)]
    out = io.StringIO()

    call_command("portal_sync", "--all", stdout=out)

    assert out.getvalue().splitlines()[0] == "3 Klienten zur erneuten Übertragung eingereiht."
    assert sorted(
        SyncState.objects.filter(client__in=clients).values_list("delivered_version", flat=True)
    ) == [2, 2, 2]


def test_portal_password_refuses_input_that_is_not_utf8(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"Gr\xfc\xdfe\n")))

    with pytest.raises(CommandError) as error:
        call_command("portal_password")

    assert str(error.value) == (
        "Das Passwort ist kein UTF-8-Text; bitte die Eingabe in UTF-8 übergeben. "
        "Nichts wurde geändert."
    )
    assert not PortalConnection.load().has_password
