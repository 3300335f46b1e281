"""Every way of writing a client reaches the portal (design rule 4) and drift is repaired."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from clients.models import Client
from portalsync import engine, reconcile
from portalsync.emulator import EmulatorServer
from portalsync.models import SyncState
from tests.factories import make_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("engine_mode")]


def _remote(emulator: EmulatorServer, client: Client) -> dict:
    return emulator.store.get(str(SyncState.objects.get(client=client).portal_id))


def test_queryset_update_reaches_the_portal(connected_portal: EmulatorServer) -> None:
    client = make_client(portal_enabled=True)

    Client.objects.filter(pk=client.pk).update(name="per update()")

    assert _remote(connected_portal, client)["name"] == "per update()"


def test_bulk_create_reaches_the_portal(connected_portal: EmulatorServer) -> None:
    Client.objects.bulk_create(
        [
            Client(
                number=number,
                short_name=f"Bulk {number}",
                name=f"Bulk {number}",
                legal_form="gmbh",
                portal_enabled=True,
            )
            for number in (701, 702, 703)
        ]
    )

    assert sorted(item["number"] for item in connected_portal.store.all()) == [701, 702, 703]


def test_bulk_update_reaches_the_portal(connected_portal: EmulatorServer) -> None:
    clients = [make_client(portal_enabled=True) for _ in range(3)]
    for client in clients:
        client.name = f"neu {client.number}"

    Client.objects.bulk_update(clients, ["name"])

    assert [_remote(connected_portal, c)["name"] for c in clients] == [
        f"neu {c.number}" for c in clients
    ]


def test_loaddata_reaches_the_portal(connected_portal: EmulatorServer, tmp_path: object) -> None:
    fixture = tmp_path / "clients.json"  # type: ignore[operator]
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "clients.client",
                    "pk": 900,
                    "fields": {
                        "number": 900,
                        "short_name": "Fixture",
                        "name": "Aus Fixture",
                        "legal_form": "ag",
                        "portal_enabled": True,
                        "created_at": "2026-01-01T00:00:00Z",
                        "updated_at": "2026-01-01T00:00:00Z",
                    },
                }
            ]
        )
    )

    call_command("loaddata", str(fixture), verbosity=0)

    remote = _remote(connected_portal, Client.objects.get(pk=900))
    assert (remote["number"], remote["name"], remote["legal_form"]) == (900, "Aus Fixture", "ag")


def test_raw_sql_is_caught_by_the_local_reconcile(connected_portal: EmulatorServer) -> None:
    client = make_client(portal_enabled=True)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE clients_client SET name = %s WHERE id = %s", ["per SQL", client.pk])

    report = reconcile.reconcile_local()
    engine.drain()

    assert (report.checked, report.marked) == (1, 1)
    assert _remote(connected_portal, client)["name"] == "per SQL"


def test_drift_on_the_portal_is_repaired_in_one_run(connected_portal: EmulatorServer) -> None:
    altered, removed, untouched = (make_client(portal_enabled=True) for _ in range(3))
    connected_portal.store.tamper(
        str(SyncState.objects.get(client=altered).portal_id), name="am Portal geändert"
    )
    connected_portal.store.delete(str(SyncState.objects.get(client=removed).portal_id))

    report = reconcile.reconcile_remote()
    engine.drain()

    assert (report.checked, report.marked) == (2, 2)
    assert _remote(connected_portal, altered)["name"] == altered.name
    assert _remote(connected_portal, removed)["name"] == removed.name
    assert _remote(connected_portal, untouched)["version"] == 1
    assert reconcile.reconcile_remote().marked == 0


def test_drift_of_unticked_deleted_and_listed_clients_is_repaired(
    connected_portal: EmulatorServer,
) -> None:
    unticked, deleted, hidden = (make_client(portal_enabled=True) for _ in range(3))
    unticked.portal_enabled = False
    unticked.save()
    deleted_id = str(SyncState.objects.get(client=deleted).portal_id)
    deleted.delete()
    hidden_id = str(SyncState.objects.get(client=hidden).portal_id)
    unticked_id = str(SyncState.objects.get(client=unticked).portal_id)
    # A portal user re-activates the two inactive clients and hides the active one.
    connected_portal.store.tamper(unticked_id, portal_enabled=True, list_state="created")
    connected_portal.store.tamper(deleted_id, portal_enabled=True, list_state="created")
    connected_portal.store.tamper(hidden_id, list_state="inactive")

    report = reconcile.reconcile_remote()
    engine.drain()

    assert (report.checked, report.marked) == (3, 3)
    assert [
        (
            connected_portal.store.get(portal_id)["portal_enabled"],
            connected_portal.store.get(portal_id)["list_state"],
        )
        for portal_id in (unticked_id, deleted_id, hidden_id)
    ] == [(False, "inactive"), (False, "inactive"), (True, "offered")]
    assert reconcile.reconcile_remote().marked == 0


def test_reconcile_command_reports_how_many_were_repaired(
    connected_portal: EmulatorServer,
) -> None:
    clients = [make_client(portal_enabled=True) for _ in range(3)]
    for client in clients[:2]:
        connected_portal.store.tamper(
            str(SyncState.objects.get(client=client).portal_id), name="verändert"
        )
    out = io.StringIO()

    call_command("portal_reconcile", stdout=out)

    assert out.getvalue().splitlines() == [
        "Board: 3 Klienten geprüft, 0 neu eingereiht.",
        "Klientenportal: 3 Klienten geprüft, 2 neu eingereiht.",
    ]


def test_remote_reconcile_reports_an_unreachable_portal(connected_portal: EmulatorServer) -> None:
    make_client(portal_enabled=True)
    connected_portal.stop()

    report = reconcile.reconcile_remote()

    assert (report.checked, report.marked, report.error) == (
        0,
        0,
        "Das Portal ist nicht erreichbar.",
    )
