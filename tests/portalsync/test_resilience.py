"""Outage and flaky-portal scenarios: everything committed converges, once, in order."""

import random
import time
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.utils import timezone
from django_q.conf import Conf

from clients.models import Client
from portalsync import engine
from portalsync.emulator import EmulatorServer
from portalsync.models import PortalConnection, SyncAttempt, SyncState
from portalsync.payload import SNAPSHOT_FIELDS, client_snapshot
from tests.factories import make_client

pytestmark = pytest.mark.django_db(transaction=True)


def _random_edit(rng: random.Random, client: Client, numbers: list[int]) -> None:
    action = rng.choice(["name", "name", "city", "enable", "disable", "renumber"])
    if action == "name":
        client.name = f"Name {rng.randrange(10**6)}"
    elif action == "city":
        client.city = rng.choice(["Wien", "Graz", "Linz", "Innsbruck", "Klagenfurt"])
    elif action == "enable":
        client.portal_enabled = True
    elif action == "disable":
        client.portal_enabled = False
    else:
        numbers[0] += 1
        client.number = numbers[0]
    client.save()


def drain_until_quiet(timeout: float = 30.0) -> None:
    """Drain repeatedly, waiting out pauses and backoffs, until nothing is pending."""
    deadline = time.monotonic() + timeout
    while SyncState.objects.filter(status=SyncState.Status.PENDING).exists():
        assert time.monotonic() < deadline, "the sync did not converge"
        engine.drain(deadline=deadline)
        time.sleep(0.05)


def assert_portal_equals_board(emulator: EmulatorServer) -> None:
    """Every enabled client's portal copy is its current data at its current version."""
    today = timezone.localdate()
    states = SyncState.objects.select_related("client").exclude(client=None)
    assert states.exists()
    for state in states:
        remote = emulator.store.get(str(state.portal_id))
        expected = client_snapshot(state.client, portal_number=state.portal_number, today=today)
        versions = (remote["version"], state.desired_version, state.delivered_version)
        detail = (state.status, state.last_http_status, state.last_error, state.attempts)
        assert versions == (state.desired_version,) * 3, detail
        if state.client.portal_enabled:
            assert {name: remote[name] for name in SNAPSHOT_FIELDS} == expected, versions
        else:
            # Unticked: the portal keeps the data of the moment of unticking, as inactive.
            assert (remote["portal_enabled"], remote["list_state"]) == (False, "inactive")


def assert_applied_in_order_and_once(emulator: EmulatorServer) -> None:
    applied = [r for r in emulator.requests_log if r["outcome"] == "applied"]
    pairs = Counter((r["portal_id"], r["version"]) for r in applied)
    assert all(count == 1 for count in pairs.values()), "a version was applied twice"
    versions = defaultdict(list)
    for record in sorted(applied, key=lambda r: r["started"]):
        versions[record["portal_id"]].append(record["version"])
    for sequence in versions.values():
        assert sequence == sorted(sequence) and len(set(sequence)) == len(sequence)


@pytest.mark.parametrize("batch_size", [1, 200], ids=["single", "batch"])
def test_an_outage_with_a_thousand_edits_converges_with_one_push_per_client(
    connected_portal: EmulatorServer, settings: object, batch_size: int, record_property: Any
) -> None:
    settings.PORTALSYNC_BATCH_SIZE = batch_size
    rng = random.Random(20261203)
    clients = [make_client(number=n, portal_enabled=n % 2 == 0) for n in range(1, 201)]
    numbers = [1000]
    connected_portal.set_down(True)

    for _ in range(1000):
        _random_edit(rng, rng.choice(clients), numbers)

    assert not SyncState.objects.exclude(attempts=0).exists(), "attempts burned while paused"
    assert not SyncState.objects.filter(status=SyncState.Status.FAILED).exists()
    before_recovery = len(connected_portal.requests_log)
    waiting = {
        str(portal_id)
        for portal_id in SyncState.objects.filter(status=SyncState.Status.PENDING).values_list(
            "portal_id", flat=True
        )
    }
    connected_portal.set_down(False)
    PortalConnection.objects.update(paused_until=timezone.now())
    started = time.monotonic()

    drain_until_quiet()

    converged_after = time.monotonic() - started
    assert converged_after < 10
    assert_portal_equals_board(connected_portal)
    assert_applied_in_order_and_once(connected_portal)
    recovery = connected_portal.requests_log[before_recovery:]
    per_client = Counter(r["portal_id"] for r in recovery)
    record_property("recovery_pushes", len(recovery))
    record_property("convergence_seconds", round(converged_after, 2))
    assert set(per_client) == waiting
    assert set(per_client.values()) == {1}


def test_a_flaky_portal_converges_without_duplicate_effects(
    connected_portal: EmulatorServer,
    settings: object,
    monkeypatch: pytest.MonkeyPatch,
    record_property: Any,
) -> None:
    settings.PORTALSYNC_BATCH_SIZE = 5
    settings.PORTALSYNC_READ_TIMEOUT = 0.3
    settings.PORTALSYNC_BACKOFF_SECONDS = [0.05, 0.1, 0.2]
    settings.PORTALSYNC_BACKOFF_JITTER = 0.2
    rng = random.Random(7)
    clients = [make_client(number=n, portal_enabled=True) for n in range(1, 41)]
    faults = connected_portal.faults
    faults.seed = 11
    faults.slow_seconds = 0.5
    faults.hang_seconds = 0.5
    faults.error_rate, faults.timeout_rate, faults.reset_rate = 0.20, 0.05, 0.05
    faults.apply_then_timeout_rate = 0.02
    # The worker drains between edits, in short bounded runs, instead of after each commit.
    monkeypatch.setattr(Conf, "SYNC", False)

    for index in range(300):
        _random_edit(rng, rng.choice(clients), [10_000 + index])
        if index % 10 == 9:
            engine.drain(deadline=time.monotonic() + 0.2)
    faults.reset()
    PortalConnection.objects.update(paused_until=timezone.now())

    drain_until_quiet()

    assert not SyncState.objects.filter(status=SyncState.Status.FAILED).exists()
    assert_portal_equals_board(connected_portal)
    assert_applied_in_order_and_once(connected_portal)
    outcomes = Counter(r["outcome"] for r in connected_portal.requests_log)
    record_property("portal_outcomes", dict(outcomes))
    record_property("attempts_logged", SyncAttempt.objects.count())
    assert outcomes["fault"] > 0 and outcomes["applied"] > 0
    _assert_retry_delays_follow_the_schedule(settings.PORTALSYNC_BACKOFF_SECONDS, 0.2)


def _assert_retry_delays_follow_the_schedule(steps: list[float], jitter: float) -> None:
    """After the k-th consecutive transient failure the next attempt waits ≥ step k − jitter."""
    checked = 0
    for state_id in SyncAttempt.objects.values_list("sync_state_id", flat=True).distinct():
        attempts = list(
            SyncAttempt.objects.filter(sync_state_id=state_id)
            .order_by("created_at", "id")
            .values_list("created_at", "outcome")
        )
        failures = 0
        for (at, outcome), (next_at, _next) in zip(attempts, attempts[1:], strict=False):
            if outcome == SyncAttempt.Outcome.TRANSIENT:
                failures += 1
                minimum = steps[min(failures, len(steps)) - 1] * (1 - jitter)
                assert (next_at - at).total_seconds() >= minimum - 0.01
                checked += 1
            elif outcome != SyncAttempt.Outcome.PAUSED:
                failures = 0
    assert checked > 0
