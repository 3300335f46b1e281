"""Scenarios with real worker processes: crash between send and ack, concurrent workers."""

import itertools
import time
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.utils import timezone

from clients.models import Client
from portalsync import engine
from portalsync.emulator import EmulatorServer
from portalsync.models import SyncState
from tests.factories import make_client
from tests.helpers import wait_for
from tests.workers import start_worker, stop_workers

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_killed_after_the_portal_applied_is_taken_over_with_the_same_key(
    connected_portal: EmulatorServer, no_inline_kick: None, record_property: Any
) -> None:
    client = make_client(portal_enabled=True)
    portal_id = str(SyncState.objects.get(client=client).portal_id)
    connected_portal.faults.hang_seconds = 30.0
    connected_portal.faults.apply_then_timeout_rate = 1.0
    worker = start_worker(
        portal_url=connected_portal.url, seconds=30, lease_seconds=1, read_timeout=20
    )
    try:
        wait_for(
            lambda: any(r["portal_id"] == portal_id for r in connected_portal.requests_log),
            timeout=15,
        )
        worker.kill()  # SIGKILL: no chance to ack or to release the lease
        worker.wait()
    finally:
        stop_workers([worker])
    connected_portal.faults.apply_then_timeout_rate = 0.0
    state = SyncState.objects.get(client=client)
    assert (state.delivered_version, state.leased_until is not None) == (0, True)

    time.sleep(max(0.0, (state.leased_until - timezone.now()).total_seconds()) + 0.1)
    engine.drain()

    records = [r for r in connected_portal.requests_log if r["portal_id"] == portal_id]
    record_property("requests", [(r["outcome"], r["idempotency_key"]) for r in records])
    assert [(r["outcome"], r["idempotency_key"]) for r in records] == [
        ("applied", f"{portal_id}:v1"),
        ("deduplicated", f"{portal_id}:v1"),
    ]
    state.refresh_from_db()
    assert (state.status, state.delivered_version) == (SyncState.Status.SYNCED, 1)


def test_four_workers_send_each_client_version_exactly_once(
    connected_portal: EmulatorServer, no_inline_kick: None, record_property: Any
) -> None:
    count = 5000
    Client.objects.bulk_create(
        Client(
            number=n, short_name=f"K{n}", name=f"Klient {n}", legal_form="gmbh", portal_enabled=True
        )
        for n in range(1, count + 1)
    )
    assert SyncState.objects.filter(status=SyncState.Status.PENDING).count() == count

    workers = [
        start_worker(portal_url=connected_portal.url, seconds=120, batch_size=100) for _ in range(4)
    ]
    started = time.monotonic()
    try:
        wait_for(
            lambda: not SyncState.objects.exclude(status=SyncState.Status.SYNCED).exists(),
            timeout=120,
            interval=0.5,
        )
        record_property("drain_seconds", round(time.monotonic() - started, 2))
    finally:
        stop_workers(workers)

    log = connected_portal.requests_log
    record_property("requests", len(log))
    assert Counter(r["outcome"] for r in log) == {"applied": count}
    sends = Counter((r["portal_id"], r["version"]) for r in log)
    assert len(sends) == count and set(sends.values()) == {1}
    intervals = defaultdict(list)
    for record in log:
        intervals[record["portal_id"]].append((record["started"], record["ended"]))
    for spans in intervals.values():
        spans.sort()
        assert all(end <= start for (_s, end), (start, _e) in itertools.pairwise(spans))
