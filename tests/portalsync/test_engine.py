"""The sync engine against the emulator: coalescing, ordering, errors, pauses, re-sends."""

import uuid
from datetime import timedelta

import pytest
import requests
from django.db import transaction
from django.utils import timezone

from clients.models import Client
from portalsync import engine, services
from portalsync.client import PushResult
from portalsync.emulator import EmulatorServer
from portalsync.models import PortalConnection, SyncAttempt, SyncState
from portalsync.status import function_status
from tests.conftest import PORTAL_PASSWORD
from tests.factories import make_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("engine_mode")]


def _state(client: Client) -> SyncState:
    return SyncState.objects.get(client=client)


def _applied(emulator: EmulatorServer, client: Client) -> list[int]:
    portal_id = str(_state(client).portal_id)
    return [
        record["version"]
        for record in emulator.requests_log
        if record["portal_id"] == portal_id and record["outcome"] == "applied"
    ]


def test_many_saves_in_one_transaction_are_sent_as_one_push(
    connected_portal: EmulatorServer,
) -> None:
    client = make_client(portal_enabled=True)

    with transaction.atomic():
        for index in range(50):
            client.name = f"Name {index}"
            client.save()

    assert _applied(connected_portal, client) == [1, 51]
    assert connected_portal.store.get(str(_state(client).portal_id))["name"] == "Name 49"


def test_a_rolled_back_edit_sends_nothing(connected_portal: EmulatorServer) -> None:
    client = make_client(portal_enabled=True)

    for _ in range(5):
        with pytest.raises(RuntimeError), transaction.atomic():
            client.name = "verworfen"
            client.save()
            raise RuntimeError("rollback")

    assert _applied(connected_portal, client) == [1]
    assert _state(client).desired_version == 1


def test_edits_during_an_outage_coalesce_into_one_push_without_burning_attempts(
    connected_portal: EmulatorServer,
) -> None:
    client = make_client(portal_enabled=True)
    connected_portal.set_down(True)

    for index in range(10):
        client.name = f"Offline {index}"
        client.save()

    state = _state(client)
    assert (state.status, state.attempts, state.desired_version) == ("pending", 0, 11)
    assert PortalConnection.load().health == PortalConnection.Health.UNREACHABLE
    connected_portal.set_down(False)
    PortalConnection.objects.update(paused_until=timezone.now())

    engine.drain()

    assert _applied(connected_portal, client) == [1, 11]
    assert _state(client).status == SyncState.Status.SYNCED


def test_a_rejected_client_shows_the_portal_message_and_does_not_hold_up_others(
    connected_portal: EmulatorServer,
) -> None:
    bad = make_client(portal_enabled=True)
    good = make_client(portal_enabled=True)
    connected_portal.faults.reject = {str(_state(bad).portal_id): "Name enthält ein Steuerzeichen."}

    with transaction.atomic():
        Client.objects.filter(pk__in=[bad.pk, good.pk]).update(name="Neu")
        for client in (bad, good):
            client.refresh_from_db()
            client.save()

    bad_state = _state(bad)
    assert bad_state.status == SyncState.Status.FAILED
    assert bad_state.last_error == "Name enthält ein Steuerzeichen."
    assert bad_state.last_http_status == 422
    assert _state(good).status == SyncState.Status.SYNCED
    assert (function_status().label, function_status().detail) == (
        "Eingeschränkt",
        "1 Klient konnte nicht übertragen werden.",
    )


def test_a_failed_client_is_re_armed_by_the_next_edit(connected_portal: EmulatorServer) -> None:
    client = make_client(portal_enabled=True)
    portal_id = str(_state(client).portal_id)
    connected_portal.faults.reject = {portal_id: "abgelehnt"}
    client.name = "Fehlerhaft"
    client.save()
    assert _state(client).status == SyncState.Status.FAILED
    connected_portal.faults.reject = {}

    client.name = "Korrigiert"
    client.save()

    assert _state(client).status == SyncState.Status.SYNCED
    assert connected_portal.store.get(portal_id)["name"] == "Korrigiert"


def test_a_lost_answer_is_resent_with_the_same_idempotency_key(
    connected_portal: EmulatorServer, settings: object
) -> None:
    settings.PORTALSYNC_READ_TIMEOUT = 0.5
    connected_portal.faults.hang_seconds = 1.0
    connected_portal.faults.apply_then_timeout_rate = 1.0

    client = make_client(portal_enabled=True)

    assert _state(client).attempts == 1
    connected_portal.faults.apply_then_timeout_rate = 0.0
    SyncState.objects.update(next_attempt_at=timezone.now())  # skip the 10 s backoff
    engine.drain()
    portal_id = str(_state(client).portal_id)
    records = [r for r in connected_portal.requests_log if r["portal_id"] == portal_id]
    assert [(r["outcome"], r["idempotency_key"]) for r in records] == [
        ("applied", f"{portal_id}:v1"),
        ("deduplicated", f"{portal_id}:v1"),
    ]
    assert _state(client).status == SyncState.Status.SYNCED


def test_a_rejected_password_pauses_the_target_without_counting_attempts(
    connected_portal: EmulatorServer,
) -> None:
    connected_portal.faults.unauthorized = True

    client = make_client(portal_enabled=True)

    state = _state(client)
    assert (state.status, state.attempts) == (SyncState.Status.PENDING, 0)
    connection = PortalConnection.load()
    assert connection.health == PortalConnection.Health.AUTH_FAILED
    assert connection.is_paused


def test_server_errors_back_off_per_the_schedule(connected_portal: EmulatorServer) -> None:
    connected_portal.faults.error_rate = 1.0
    before = timezone.now()

    client = make_client(portal_enabled=True)

    state = _state(client)
    assert state.attempts == 1
    assert state.last_http_status == 503
    delay = (state.next_attempt_at - before).total_seconds()
    assert 10.0 <= delay < 11.0
    assert engine.backoff_seconds(3) == 120.0
    assert engine.backoff_seconds(99) == 3600.0


def test_throttling_honours_retry_after(connected_portal: EmulatorServer) -> None:
    connected_portal.faults.retry_after = 42
    connected_portal.faults.throttle_rate = 1.0
    before = timezone.now()

    client = make_client(portal_enabled=True)

    state = _state(client)
    assert state.last_http_status == 429
    assert 42.0 <= (state.next_attempt_at - before).total_seconds() < 43.0


def test_a_retry_after_of_zero_still_waits_out_the_backoff_schedule(
    connected_portal: EmulatorServer,
) -> None:
    connected_portal.faults.retry_after = 0
    connected_portal.faults.throttle_rate = 1.0
    before = timezone.now()

    client = make_client(portal_enabled=True)
    engine.drain()

    state = _state(client)
    assert (state.attempts, state.last_http_status) == (1, 429)
    assert 10.0 <= (state.next_attempt_at - before).total_seconds() < 11.0
    assert len(connected_portal.requests_log) == 1


def test_a_portal_holding_a_newer_version_makes_the_board_reassert_its_state(
    connected_portal: EmulatorServer,
) -> None:
    client = make_client(portal_enabled=True)
    portal_id = str(_state(client).portal_id)
    response = requests.put(
        f"{connected_portal.url}/api/v1/clients/{portal_id}",
        json={**connected_portal.store.get(portal_id), "name": "vom Portal"},
        headers={"X-Sync-Version": "5", "Idempotency-Key": "fremd"},
        auth=("service", PORTAL_PASSWORD),
        timeout=5,
    )
    assert response.status_code == 200
    client.name = "Board gewinnt"

    client.save()  # sends v2; the portal holds v5 → 409 → the Board re-sends as v6

    engine.drain()
    remote = connected_portal.store.get(portal_id)
    assert (remote["version"], remote["name"]) == (6, "Board gewinnt")


def test_every_attempt_is_logged(connected_portal: EmulatorServer) -> None:
    client = make_client(portal_enabled=True)

    attempts = list(
        SyncAttempt.objects.filter(sync_state__client=client).values_list(
            "version", "outcome", "http_status"
        )
    )

    assert attempts == [(1, "delivered", 201)]


def test_an_expired_lease_makes_the_client_claimable_again(
    connected_portal: EmulatorServer,
) -> None:
    connected_portal.set_down(True)
    client = make_client(portal_enabled=True)
    connected_portal.set_down(False)
    PortalConnection.objects.update(paused_until=None, health=PortalConnection.Health.OK)
    token, claims = engine.claim_due(limit=10)
    assert [c.client_id for c in claims] == [client.pk]

    assert engine.claim_due(limit=10)[1] == []
    later = timezone.now() + timedelta(seconds=61)

    assert [c.client_id for c in engine.claim_due(limit=10, now=later)[1]] == [client.pk]


def test_unticking_then_deleting_during_an_outage_still_reaches_inactive(
    connected_portal: EmulatorServer,
) -> None:
    client = make_client(portal_enabled=True)
    portal_id = str(_state(client).portal_id)
    connected_portal.set_down(True)
    client.portal_enabled = False
    client.save()
    client.delete()
    connected_portal.set_down(False)
    PortalConnection.objects.update(paused_until=timezone.now())

    report = engine.drain()

    assert report.delivered == 1
    remote = connected_portal.store.get(portal_id)
    assert (remote["list_state"], remote["portal_enabled"]) == ("inactive", False)
    assert SyncState.objects.get(portal_id=portal_id).status == SyncState.Status.SYNCED


def test_manual_retry_sends_a_client_that_waits_out_a_backoff(
    connected_portal: EmulatorServer,
) -> None:
    connected_portal.faults.error_rate = 1.0
    client = make_client(portal_enabled=True)
    state = _state(client)
    assert state.attempts == 1 and state.next_attempt_at > timezone.now()
    connected_portal.faults.error_rate = 0.0

    services.retry_client(state=state)

    state.refresh_from_db()
    assert (state.status, state.attempts, state.delivered_version) == ("synced", 0, 2)


def test_a_successful_check_after_server_errors_rearms_backed_off_clients(
    connected_portal: EmulatorServer,
) -> None:
    connected_portal.faults.error_rate = 1.0
    client = make_client(portal_enabled=True)
    connected_portal.faults.error_rate = 0.0

    services.check_connection()

    assert _state(client).status == SyncState.Status.SYNCED


def test_a_late_conflict_from_an_expired_lease_does_not_trigger_a_push(
    connected_portal: EmulatorServer,
) -> None:
    client = make_client(portal_enabled=True)
    client.name = "v2"
    client.save()
    stale_claim = engine.Claim(
        state_id=_state(client).pk,
        client_id=client.pk,
        portal_id=_state(client).portal_id,
        portal_number=client.number,
        version=1,
        tombstone=None,
    )
    result = PushResult(
        portal_id=stale_claim.portal_id,
        status=409,
        version=2,
        list_state="offered",
        content_hash="",
        error="",
    )

    engine._ack_all(uuid.uuid4(), [(stale_claim, result, "")], timezone.now())

    assert (_state(client).desired_version, _state(client).status) == (2, "synced")


def test_a_huge_retry_after_is_capped_at_an_hour(
    connected_portal: EmulatorServer,
) -> None:
    connected_portal.faults.retry_after = 10**12
    connected_portal.faults.throttle_rate = 1.0
    before = timezone.now()

    client = make_client(portal_enabled=True)

    delay = (_state(client).next_attempt_at - before).total_seconds()
    assert 3600 <= delay < 3601
    assert PortalConnection.load().health == PortalConnection.Health.OK


def test_a_portal_url_that_answers_html_pauses_with_a_clear_message(
    connected_portal: EmulatorServer, settings: object
) -> None:
    settings.PORTAL_URL = connected_portal.url + "/einstellungen?"

    connection = services.check_connection()

    assert connection.health == PortalConnection.Health.UNREACHABLE
    assert connection.health_detail == (
        "Die Antwort ist keine Antwort der Portal-Schnittstelle (kein JSON); bitte die "
        "Klientenportal URL prüfen."
    )


def test_a_client_unticked_before_any_push_is_never_sent(
    connected_portal: EmulatorServer, no_inline_kick: None
) -> None:
    client = make_client(portal_enabled=True)
    client.portal_enabled = False
    client.save()

    engine.drain()

    assert connected_portal.requests_log == []
    assert not SyncState.objects.exists()


def test_a_client_deleted_before_any_push_is_never_sent(
    connected_portal: EmulatorServer, no_inline_kick: None
) -> None:
    make_client(portal_enabled=True).delete()

    engine.drain()

    assert connected_portal.requests_log == []
    assert not SyncState.objects.exists()


def test_a_client_unticked_after_a_claim_still_goes_inactive(
    connected_portal: EmulatorServer, no_inline_kick: None
) -> None:
    client = make_client(portal_enabled=True)
    connected_portal.set_down(True)
    engine.drain()  # claimed: the request may have reached the portal
    connected_portal.set_down(False)
    PortalConnection.objects.update(paused_until=timezone.now())
    client.portal_enabled = False
    client.save()

    engine.drain()

    remote = connected_portal.store.get(str(_state(client).portal_id))
    assert (remote["portal_enabled"], remote["list_state"]) == (False, "inactive")
