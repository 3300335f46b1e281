"""Marking clients dirty: the outbox half of the sync, run inside the business transaction.

Every function here must be called in the transaction that changes the client, so a
rolled-back edit marks nothing and a committed one is never lost (the sweep finds it even
when the kick below is lost).
"""

import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from clients.models import Client
from portalsync.models import SyncState
from portalsync.payload import client_snapshot, deactivated

logger = logging.getLogger(__name__)


def _bump(enabled: bool, *, force: bool = False) -> dict:
    """Field updates that record one more change to deliver.

    A row already pending keeps its schedule: its next push carries this change too, and a
    backoff after portal errors is not cut short. Otherwise the change goes out now, or
    once the debounce after the last push has passed (the ack sets that time), so a burst
    of saves costs one push and one follow-up.
    """
    now = timezone.now()
    if force:
        # An explicit request ("Erneut senden", full resync) goes out now, backoff or not.
        return {
            "desired_version": F("desired_version") + 1,
            "enabled": enabled,
            "status": SyncState.Status.PENDING,
            "pending_since": Coalesce(F("pending_since"), Value(now)),
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
        }
    pending = Q(status=SyncState.Status.PENDING)
    return {
        "desired_version": F("desired_version") + 1,
        "enabled": enabled,
        "status": SyncState.Status.PENDING,
        "pending_since": Coalesce(F("pending_since"), Value(now)),
        "attempts": Case(When(pending, then=F("attempts")), default=Value(0)),
        "next_attempt_at": Case(
            When(pending, then=F("next_attempt_at")),
            default=Greatest(F("next_attempt_at"), Value(now)),
        ),
        "last_error": "",
    }


def mark_client_changed(client: Client) -> None:
    """Record that `client` changed. One query for a client that is not on the portal."""
    if client.portal_enabled:
        bumped = SyncState.objects.filter(client_id=client.pk).update(**_bump(enabled=True))
        if not bumped:
            SyncState.objects.create(
                client=client,
                portal_number=client.number,
                enabled=True,
                desired_version=1,
                pending_since=timezone.now(),
            )
        request_kick()
    else:
        # Unticking is a change the portal must see (it moves the client to "Inaktiv");
        # later edits of an unticked client are not sent.
        bumped = SyncState.objects.filter(client_id=client.pk, enabled=True).update(
            **_bump(enabled=False)
        )
        if bumped and not forget_never_sent([client.pk]):
            request_kick()


def mark_clients_changed(client_ids: Iterable[int], *, force: bool = False) -> int:
    """Bulk form of mark_client_changed for writes that bypass save(). Returns rows marked.

    With `force` the clients are sent at once, even while they wait out a backoff.
    """
    ids = list(client_ids)
    if not ids:
        return 0
    enabled_ids = set(
        Client.objects.filter(pk__in=ids, portal_enabled=True).values_list("pk", flat=True)
    )
    marked = SyncState.objects.filter(client_id__in=enabled_ids).update(
        **_bump(enabled=True, force=force)
    )
    disabled = SyncState.objects.filter(
        Q(client_id__in=ids) & ~Q(client_id__in=enabled_ids), enabled=True
    ).update(**_bump(enabled=False, force=force))
    if disabled:
        disabled -= forget_never_sent(ids)
    marked += disabled
    with_state = set(
        SyncState.objects.filter(client_id__in=enabled_ids).values_list("client_id", flat=True)
    )
    now = timezone.now()
    new_states = [
        SyncState(
            client_id=pk,
            portal_number=number,
            enabled=True,
            desired_version=1,
            pending_since=now,
        )
        for pk, number in Client.objects.filter(pk__in=enabled_ids - with_state).values_list(
            "pk", "number"
        )
    ]
    SyncState.objects.bulk_create(new_states, batch_size=500)
    if marked or new_states:
        request_kick()
    return marked + len(new_states)


def mark_states_for_resend(state_ids: Iterable[int]) -> int:
    """Send these clients' Board state again because the portal drifted from it.

    Unlike mark_clients_changed this also re-sends unticked and deleted clients (their
    inactive snapshot or tombstone), whose own later edits are not sent. Returns rows marked.
    """
    ids = list(state_ids)
    if not ids:
        return 0
    states = SyncState.objects.filter(pk__in=ids)
    marked = states.filter(client__portal_enabled=True).update(**_bump(enabled=True))
    marked += states.exclude(client__portal_enabled=True).update(**_bump(enabled=False))
    if marked:
        request_kick()
    return marked


def forget_never_sent(client_ids: Iterable[int]) -> int:
    """Drop the sync state of those clients that no worker has picked up yet.

    For an unticked or deleted client this means the portal never saw it: there is
    nothing to move to "Inaktiv", and its data must not go out now. A claimed row (even
    one whose answer was lost) stays, since the portal may hold it. Returns rows dropped.
    """
    _total, by_model = SyncState.objects.filter(
        client_id__in=list(client_ids),
        last_attempt_at__isnull=True,
        lease_token__isnull=True,
        delivered_version=0,
    ).delete()
    return by_model.get(SyncState._meta.label, 0)


def mark_client_deleted(client: Client) -> None:
    """Keep what the portal needs to move a deleted client to "Inaktiv" (never delete remotely)."""
    if forget_never_sent([client.pk]):
        return
    state = SyncState.objects.filter(client_id=client.pk).first()
    # Nothing to tell the portal if it already has the client as inactive.
    if state is None or (not state.enabled and state.delivered_version >= state.desired_version):
        return
    snapshot = deactivated(
        client_snapshot(client, portal_number=state.portal_number, today=timezone.localdate())
    )
    SyncState.objects.filter(pk=state.pk).update(tombstone=snapshot, **_bump(enabled=False))
    request_kick()


def mark_all_enabled_for_resend() -> int:
    """Queue every enabled client again ("Klientenstammdaten synchronisieren")."""
    enabled_ids = Client.objects.filter(portal_enabled=True).values_list("pk", flat=True)
    return mark_clients_changed(enabled_ids, force=True)


def request_kick() -> None:
    """Ask a worker to drain soon after this transaction commits (once per transaction).

    Only latency depends on the kick: if it is lost, the periodic sweep delivers.
    """
    if not connection.in_atomic_block:
        _enqueue_kick()
        return
    already = any(
        callback is _enqueue_kick for _sids, callback, _robust in connection.run_on_commit
    )
    if not already:
        transaction.on_commit(_enqueue_kick)


def _enqueue_kick() -> None:
    from django_q.tasks import async_task

    try:
        async_task("portalsync.tasks.kick")
    except Exception:  # noqa: BLE001 - any broker failure is covered by the sweep
        logger.warning("Could not enqueue the sync kick; the sweep will deliver.", exc_info=True)
