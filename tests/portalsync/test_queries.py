"""What the benchmark's targets rest on, guarded without timings: the query count of the
pages does not grow with the number of clients, the query cost of a save with the portal
flag, and a batch of acks behaves per row exactly like single acks."""

import uuid

import pytest
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients import services
from clients.models import Client
from portalsync import engine, target
from portalsync.emulator import EmulatorServer
from portalsync.models import SyncAttempt, SyncState
from tests.factories import make_client

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["clients:list", "portalsync:settings", "portalsync:log"]


def _add_clients(first: int, last: int) -> None:
    """Enabled clients with a sync state and one log row each, as after a full sync."""
    Client.objects.bulk_create(
        Client(
            number=n, short_name=f"K{n}", name=f"Klient {n}", legal_form="gmbh", portal_enabled=True
        )
        for n in range(first, last + 1)
    )
    SyncAttempt.objects.bulk_create(
        SyncAttempt(sync_state=state, version=1, outcome=SyncAttempt.Outcome.DELIVERED)
        for state in SyncState.objects.filter(portal_number__range=(first, last))
    )


def _queries(browser: BrowserClient, url: str) -> int:
    browser.get(url)  # the first view creates the singleton rows (portal connection)
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", PAGES)
def test_page_query_count_does_not_grow_with_the_number_of_clients(
    admin_browser: BrowserClient, no_inline_kick: None, page: str
) -> None:
    url = reverse(page)
    _add_clients(1, 5)
    with_five = _queries(admin_browser, url)

    _add_clients(6, 50)
    with_fifty = _queries(admin_browser, url)

    assert with_five > 0
    assert with_fifty == with_five


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")


def _save_statements(client: Client) -> list[str]:
    """The statements of a save through the service, without transaction control (which
    differs between SQLite and PostgreSQL), each as its verb and table."""
    with CaptureQueriesContext(connection) as queries:
        services.client_update(client=client, data={"name": f"{client.name} neu"})
    statements = [q["sql"] for q in queries.captured_queries]
    return [
        " ".join(sql.replace('"', "").split()[:3])
        for sql in statements
        if not sql.startswith(TRANSACTION_CONTROL)
    ]


def test_a_save_with_the_portal_flag_costs_one_query_more_and_sends_nothing(
    connected_portal: EmulatorServer, no_inline_kick: None
) -> None:
    on = make_client(portal_enabled=True)
    off = make_client(portal_enabled=False)
    requests_before = len(connected_portal.requests_log)

    with_flag, without_flag = _save_statements(on), _save_statements(off)

    assert without_flag == [
        "SELECT 1 AS",  # number unique
        "SELECT 1 AS",  # short name unique
        "SELECT 1 AS",  # check constraint
        "SELECT clients_client.name AS",  # audit: old values
        "UPDATE clients_client SET",
        "UPDATE portalsync_syncstate SET",  # unticked: nothing to tell the portal, no row
        "INSERT INTO audit_auditentry",
    ]
    # The flag adds the kick for the worker, queued after commit; nothing goes to the portal.
    assert with_flag == [*without_flag, "INSERT INTO django_q_ormq"]
    assert len(connected_portal.requests_log) == requests_before


def _claim_three(emulator: EmulatorServer) -> tuple[list[Client], uuid.UUID, list[engine.Claim]]:
    clients = [make_client(portal_enabled=True) for _ in range(3)]
    token, claims = engine.claim_due(limit=10)
    assert len(claims) == 3
    return clients, token, claims


def _versions(clients: list[Client]) -> list[tuple[str, int, int]]:
    states = {s.client_id: s for s in SyncState.objects.filter(client__in=clients)}
    return [
        (states[c.pk].status, states[c.pk].desired_version, states[c.pk].delivered_version)
        for c in clients
    ]


def test_a_batch_ack_keeps_a_client_edited_in_flight_pending(
    connected_portal: EmulatorServer, no_inline_kick: None
) -> None:
    clients, token, claims = _claim_three(connected_portal)
    clients[1].name = "während der Übertragung geändert"
    clients[1].save()

    with target.open_portal_client() as portal:
        report = engine.send_claims(portal, token, claims)

    assert report.delivered == 3
    assert _versions(clients) == [("synced", 1, 1), ("pending", 2, 1), ("synced", 1, 1)]
    assert not SyncState.objects.exclude(lease_token=None).exists()


def test_a_batch_ack_after_the_lease_was_taken_over_changes_nothing(
    connected_portal: EmulatorServer, no_inline_kick: None
) -> None:
    clients, token, claims = _claim_three(connected_portal)
    SyncState.objects.update(lease_token=uuid.uuid4())  # another worker holds them now

    with target.open_portal_client() as portal:
        engine.send_claims(portal, token, claims)

    assert _versions(clients) == [("pending", 1, 0)] * 3
    assert SyncAttempt.objects.count() == 3


def test_a_batch_with_a_rejected_client_fails_only_that_client(
    connected_portal: EmulatorServer, no_inline_kick: None
) -> None:
    clients, token, claims = _claim_three(connected_portal)
    rejected = str(SyncState.objects.get(client=clients[2]).portal_id)
    connected_portal.faults.reject = {rejected: "Ungültige Daten."}

    with target.open_portal_client() as portal:
        report = engine.send_claims(portal, token, claims)

    assert (report.delivered, report.rejected) == (2, 1)
    assert _versions(clients) == [("synced", 1, 1), ("synced", 1, 1), ("failed", 1, 0)]
    failed = SyncState.objects.get(client=clients[2])
    assert (failed.attempts, failed.last_http_status) == (1, 422)
    assert failed.last_error.startswith("Ungültige Daten.")
