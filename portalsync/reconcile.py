"""Reconciliation: find clients whose portal copy differs from the Board and re-mark them.

- local: the client's current snapshot hash vs the hash last delivered; catches writes
  that bypassed every hook (raw SQL) and the Betreuungsstatus turning with the calendar;
- remote: the portal's list vs our delivered state; catches changes and deletions made
  directly on the portal (drift).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clients.models import Client
from portalsync import crypto, outbox, target
from portalsync.client import AuthError, PortalError, UnreachableError
from portalsync.models import SyncState
from portalsync.payload import client_snapshot, snapshot_hash

CHUNK = 1000
INACTIVE = "inactive"


@dataclass(frozen=True)
class ReconcileReport:
    """How many clients were compared and how many re-marked; `error` says why it stopped."""

    checked: int
    marked: int
    error: str = ""


def reconcile_local() -> ReconcileReport:
    """Re-mark synced clients whose current data no longer matches what was delivered."""
    today = timezone.localdate()
    states = SyncState.objects.filter(
        status=SyncState.Status.SYNCED, client__isnull=False
    ).values_list("client_id", "portal_number", "delivered_hash")
    checked, stale_ids = 0, []
    for offset in range(0, states.count(), CHUNK):
        chunk = list(states.order_by("pk")[offset : offset + CHUNK])
        clients = Client.objects.in_bulk([client_id for client_id, _n, _h in chunk])
        for client_id, portal_number, delivered_hash in chunk:
            client = clients.get(client_id)
            if client is None:
                continue
            checked += 1
            current = snapshot_hash(
                client_snapshot(client, portal_number=portal_number, today=today)
            )
            if current != delivered_hash:
                stale_ids.append(client_id)
    with transaction.atomic():
        marked = outbox.mark_clients_changed(stale_ids) if stale_ids else 0
    return ReconcileReport(checked=checked, marked=marked)


def reconcile_remote() -> ReconcileReport:
    """Re-mark clients the portal lacks or holds with other content than we delivered."""
    try:
        portal = target.open_portal_client()
    except crypto.EncryptionKeyError as exc:
        return ReconcileReport(checked=0, marked=0, error=str(exc))
    if portal is None:
        return ReconcileReport(checked=0, marked=0)
    try:
        with portal:
            remote = {item["portal_id"]: item for item in portal.list_clients()}
    except PortalError as exc:
        target.record_failure(exc, pause=isinstance(exc, (AuthError, UnreachableError)))
        return ReconcileReport(checked=0, marked=0, error=exc.message)
    # Every client the portal has received, deleted ones (their tombstone) included.
    states = (
        SyncState.objects.filter(delivered_version__gt=0)
        .filter(Q(client__isnull=False) | Q(tombstone__isnull=False))
        .values_list("pk", "portal_id", "delivered_hash", "delivered_version", "enabled")
    )
    drifted = []
    for state_id, portal_id, delivered_hash, delivered_version, enabled in states.iterator(
        chunk_size=CHUNK
    ):
        item = remote.get(str(portal_id))
        if (
            item is None
            or item.get("content_hash") != delivered_hash
            or item.get("version") != delivered_version
            # The list is the portal's own, but only an unticked client belongs in „Inaktiv“.
            or (item.get("list_state") == INACTIVE) == enabled
        ):
            drifted.append(state_id)
    with transaction.atomic():
        # A re-mark raises the version above the portal's, so the Board's state wins.
        marked = outbox.mark_states_for_resend(drifted)
    return ReconcileReport(checked=len(remote), marked=marked)
