"""A burst of saves costs one push and one follow-up (send-state coalescing + debounce)."""

import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_q.conf import Conf

from portalsync import engine
from portalsync.emulator import EmulatorServer
from portalsync.models import SyncState
from tests.factories import make_client

pytestmark = pytest.mark.django_db(transaction=True)


def _worker(stop: threading.Event) -> None:
    """A background worker: kicks the engine until told to stop."""
    try:
        while not stop.is_set():
            engine.kick()
            time.sleep(0.05)
    finally:
        connection.close()


def test_fifty_saves_within_two_seconds_cost_at_most_two_pushes(
    connected_portal: EmulatorServer,
    settings: object,
    monkeypatch: pytest.MonkeyPatch,
    record_property: Any,
) -> None:
    settings.PORTALSYNC_DEBOUNCE_SECONDS = 2.0
    settings.PORTALSYNC_SWEEP_SECONDS = 0.5
    client = make_client(portal_enabled=True)
    SyncState.objects.update(next_attempt_at=timezone.now())  # the last push is long past
    connected_portal.clear_log()
    monkeypatch.setattr(Conf, "SYNC", False)  # kicks are queued; the thread is the worker
    stop = threading.Event()
    worker = threading.Thread(target=_worker, args=(stop,))
    worker.start()
    try:
        started = time.monotonic()
        for index in range(50):
            client.name = f"Fassung {index}"
            client.save()
            time.sleep(max(0.0, started + (index + 1) * 0.038 - time.monotonic()))
        saves_took = time.monotonic() - started
        portal_id = str(SyncState.objects.get(client=client).portal_id)
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            if connected_portal.store.get(portal_id)["version"] == 51:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join()

    applied = [r["version"] for r in connected_portal.requests_log if r["outcome"] == "applied"]
    record_property("saves_seconds", round(saves_took, 2))
    record_property("applied_versions", applied)
    record_property("converged_seconds", round(time.monotonic() - started, 2))
    assert len(applied) <= 2
    assert applied[-1] == 51
    assert connected_portal.store.get(portal_id)["name"] == "Fassung 49"
    assert SyncState.objects.get(client=client).status == SyncState.Status.SYNCED
