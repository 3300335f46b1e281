"""Fault scenarios of the sync promise: lost kicks, rollbacks, rejected passwords."""

import time

import pytest
from django.db import transaction
from django_q.conf import Conf

from portalsync import engine, services
from portalsync.emulator import EmulatorServer
from portalsync.models import PortalConnection, SyncState
from portalsync.status import Code, function_status
from tests.factories import make_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("engine_mode")]


def _broker_down(*args: object, **kwargs: object) -> None:
    raise ConnectionError("broker down")


def test_a_lost_kick_is_delivered_by_the_sweep_within_one_poll(
    connected_portal: EmulatorServer, monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    monkeypatch.setattr("django_q.tasks.async_task", _broker_down)
    client = make_client(portal_enabled=True)  # the enqueue fails; the commit stands
    state = SyncState.objects.get(client=client)
    assert (state.status, state.desired_version) == (SyncState.Status.PENDING, 1)

    started = time.monotonic()
    report = engine.sweep(seconds=settings.PORTALSYNC_POLL_SECONDS)

    assert report.delivered == 1
    assert time.monotonic() - started < settings.PORTALSYNC_POLL_SECONDS + 1
    assert connected_portal.store.get(str(state.portal_id))["version"] == 1


def test_a_hundred_rolled_back_transactions_push_nothing(
    connected_portal: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(portal_enabled=True)
    connected_portal.clear_log()
    monkeypatch.setattr(Conf, "SYNC", False)

    for index in range(100):
        with pytest.raises(RuntimeError), transaction.atomic():
            client.name = f"verworfen {index}"
            client.save()
            raise RuntimeError("rollback")
    engine.drain()

    assert connected_portal.requests_log == []
    assert SyncState.objects.get(client=client).desired_version == 1


def test_a_rejected_password_pauses_everything_until_the_right_one_is_saved(
    connected_portal: EmulatorServer,
) -> None:
    clients = [make_client(portal_enabled=True) for _ in range(3)]
    connected_portal.store.set_password("am Portal geändert")
    for client in clients:
        client.name = "nach dem Passwortwechsel"
        client.save()

    assert function_status().code == Code.AUTH_FAILED
    assert list(SyncState.objects.values_list("status", "attempts")) == [("pending", 0)] * 3
    assert engine.drain().paused

    services.set_service_password(password="am Portal geändert", user=None)

    assert PortalConnection.load().health == PortalConnection.Health.OK
    assert list(SyncState.objects.values_list("status", flat=True)) == ["synced"] * 3
    assert {item["name"] for item in connected_portal.store.all()} == {"nach dem Passwortwechsel"}
