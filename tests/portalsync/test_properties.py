"""Property-based: random edits, rollbacks, faults, crashes and outages never break the
sync's promises, and after healing the portal equals the Board."""

import itertools
import time
import uuid
from collections import Counter
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from clients.models import Client
from portalsync import engine, reconcile
from portalsync.emulator import EmulatorServer
from portalsync.models import PortalConnection, SyncAttempt, SyncState
from tests.factories import make_client
from tests.portalsync.test_resilience import (
    assert_applied_in_order_and_once,
    assert_portal_equals_board,
    drain_until_quiet,
)

pytestmark = pytest.mark.django_db(transaction=True)

FAULTS = {
    "none": {},
    "server_error": {"error_rate": 1.0},
    "reset": {"reset_rate": 1.0},
    "timeout": {"timeout_rate": 1.0, "slow_seconds": 0.3},
    "apply_then_timeout": {"apply_then_timeout_rate": 1.0, "hang_seconds": 0.3},
    "unauthorized": {"unauthorized": True},
    "throttled": {"throttle_rate": 1.0, "retry_after": 0},
}


# Names as the client form lets them through (never blank): a blank name is the portal's
# 422 case, which the engine tests cover.
NAMES = st.text("abcäöüßÄÖÜ &-", min_size=1, max_size=30).filter(str.strip)


class _Rollback(Exception):
    pass


class SyncMachine(RuleBasedStateMachine):
    emulator: EmulatorServer  # set by the test before the machine runs
    rules_run: Counter[str] = Counter()  # proof that the histories were not trivial

    clients = Bundle("clients")

    def __init__(self) -> None:
        super().__init__()
        with connection.cursor() as cursor:
            for table in ("portalsync_syncattempt", "portalsync_syncstate", "clients_client"):
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        self.emulator.faults.reset()
        self.emulator.set_down(False)
        self.emulator.store.reset()
        self.emulator.clear_log()
        PortalConnection.objects.update(
            health=PortalConnection.Health.OK, paused_until=None, health_detail=""
        )
        self.numbers = itertools.count(1)

    # --- Board actions ---------------------------------------------------------------------

    @rule(target=clients, enabled=st.booleans())
    def create(self, enabled: bool) -> int:
        self.rules_run["create"] += 1
        return make_client(number=next(self.numbers) * 10, portal_enabled=enabled).pk

    @rule(pk=clients, name=NAMES, commit=st.booleans())
    def edit(self, pk: int, name: str, commit: bool) -> None:
        self.rules_run["edit" if commit else "rollback"] += 1
        try:
            with transaction.atomic():
                client = Client.objects.get(pk=pk)
                client.name = name
                client.save()
                if not commit:
                    raise _Rollback
        except _Rollback:
            pass

    @rule(pk=clients, enabled=st.booleans())
    def tick(self, pk: int, enabled: bool) -> None:
        client = Client.objects.get(pk=pk)
        client.portal_enabled = enabled
        client.save()

    @rule(pk=clients)
    def renumber(self, pk: int) -> None:
        client = Client.objects.get(pk=pk)
        client.number = next(self.numbers) * 10 + 1
        client.save()

    # --- Worker and portal behaviour -----------------------------------------------------------

    @rule(fault=st.sampled_from(sorted(FAULTS)))
    def drain_with_fault(self, fault: str) -> None:
        self.rules_run[f"drain:{fault}"] += 1
        self.emulator.faults.update(FAULTS[fault])
        try:
            engine.drain(deadline=time.monotonic() + 0.5)
        finally:
            self.emulator.faults.reset()

    @rule()
    def crash_mid_send(self) -> None:
        """A worker claims and dies: its lease (0 s here) expires at once."""
        self.rules_run["crash"] += 1
        engine.claim_due(limit=3)

    @rule(down=st.booleans())
    def outage(self, down: bool) -> None:
        self.rules_run["outage" if down else "recovery"] += 1
        self.emulator.set_down(down)

    @rule()
    def run_reconcile(self) -> None:
        reconcile.reconcile_local()
        reconcile.reconcile_remote()

    # --- Promises ------------------------------------------------------------------------------

    @invariant()
    def portal_never_holds_a_newer_version_than_the_board(self) -> None:
        desired = dict(SyncState.objects.values_list("portal_id", "desired_version"))
        for item in self.emulator.store.all():
            assert item["version"] <= desired[uuid.UUID(item["portal_id"])]

    @invariant()
    def at_most_one_request_per_client_in_flight(self) -> None:
        """Seen from the Board: a client's attempts never overlap.

        (The portal may still be busy with a request the Board gave up on after its read
        timeout; versions make that harmless, so the portal's own log is not the measure.)
        """
        spans: dict[int, list[tuple[float, float]]] = {}
        for state_id, started, duration_ms in SyncAttempt.objects.values_list(
            "sync_state_id", "created_at", "duration_ms"
        ):
            begin = started.timestamp()
            spans.setdefault(state_id, []).append((begin, begin + duration_ms / 1000))
        for client_spans in spans.values():
            client_spans.sort()
            assert all(
                end <= start + 0.005 for (_s, end), (start, _e) in itertools.pairwise(client_spans)
            )

    def teardown(self) -> None:
        self.emulator.faults.reset()
        self.emulator.set_down(False)
        PortalConnection.objects.update(paused_until=timezone.now())
        drain_until_quiet()
        if SyncState.objects.exclude(client=None).exists():
            assert_portal_equals_board(self.emulator)
        assert_applied_in_order_and_once(self.emulator)


def test_random_histories_keep_the_sync_promises(
    connected_portal: EmulatorServer, settings: Any
) -> None:
    settings.PORTALSYNC_LEASE_SECONDS = 0.0
    settings.PORTALSYNC_READ_TIMEOUT = 0.2
    settings.PORTALSYNC_PAUSE_SECONDS = 0.05
    settings.PORTALSYNC_BACKOFF_SECONDS = [0.01, 0.02]
    settings.PORTALSYNC_BATCH_SIZE = 3
    SyncMachine.emulator = connected_portal

    run_state_machine_as_test(
        SyncMachine,
        settings=hypothesis_settings(
            max_examples=40,
            derandomize=True,  # the same histories in every run: CI must not turn red by luck
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )

    ran = SyncMachine.rules_run
    assert ran["create"] >= 10 and ran["edit"] >= 10 and ran["rollback"] >= 1
    assert sum(count for name, count in ran.items() if name.startswith("drain:")) >= 10
    assert ran["outage"] >= 1 and ran["crash"] >= 1, dict(ran)
