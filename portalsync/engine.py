"""The sync engine: claim due clients, send their current state, record the outcome.

Contract (see design.md, "Rules that make this trustworthy"):
- a claim is a lease: while it holds, no other worker sends the client; when it expires
  (worker crash), the row is claimable again and the re-send carries the same
  idempotency key if nothing changed meanwhile;
- the data sent is read at send time, so any number of edits coalesce into one push;
- transient failures back off per client; an unreachable portal or a rejected password
  pauses the whole target without counting attempts against any client (`target`).
"""

import logging
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clients.models import Client
from portalsync import crypto, target
from portalsync.client import (
    AuthError,
    PermanentError,
    PortalClient,
    PushItem,
    PushResult,
    TransientError,
    UnreachableError,
)
from portalsync.models import PortalConnection, SyncAttempt, SyncState, WorkerHeartbeat
from portalsync.payload import client_snapshot, snapshot_hash

logger = logging.getLogger(__name__)
Outcome = SyncAttempt.Outcome


@dataclass(frozen=True)
class Claim:
    state_id: int
    client_id: int | None
    portal_id: uuid.UUID
    portal_number: int
    version: int
    tombstone: dict[str, Any] | None


@dataclass
class DrainReport:
    """What one drain did; `paused` tells that it stopped because the target is paused."""

    sent: int = 0
    delivered: int = 0
    rejected: int = 0
    retrying: int = 0
    paused: bool = False
    errors: list[str] = field(default_factory=list)

    def add(self, other: "DrainReport") -> None:
        self.sent += other.sent
        self.delivered += other.delivered
        self.rejected += other.rejected
        self.retrying += other.retrying
        self.paused = self.paused or other.paused
        self.errors.extend(other.errors)


# --- Claims ---------------------------------------------------------------------------------


def claim_due(*, limit: int, now: datetime | None = None) -> tuple[uuid.UUID, list[Claim]]:
    """Lease up to `limit` due clients to this worker, oldest due first.

    On PostgreSQL concurrent claimers skip each other's locked rows; on SQLite the
    IMMEDIATE transaction serialises claimers.
    """
    now = now or timezone.now()
    token = uuid.uuid4()
    lease_end = now + timedelta(seconds=settings.PORTALSYNC_LEASE_SECONDS)
    with transaction.atomic():
        due = (
            SyncState.objects.filter(status=SyncState.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .order_by("next_attempt_at", "pk")
        )
        if db_connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(
            due.values_list(
                "pk", "client_id", "portal_id", "portal_number", "desired_version", "tombstone"
            )[:limit]
        )
        if not rows:
            return token, []
        SyncState.objects.filter(pk__in=[row[0] for row in rows]).update(
            lease_token=token, leased_until=lease_end, last_attempt_at=now
        )
    return token, [Claim(*row) for row in rows]


def _release(token: uuid.UUID, claims: list[Claim]) -> None:
    """Give claims back untouched: the target is paused, no attempt is counted."""
    SyncState.objects.filter(pk__in=[c.state_id for c in claims], lease_token=token).update(
        lease_token=None, leased_until=None
    )


# --- Outcomes ---------------------------------------------------------------------------------


def backoff_seconds(attempts: int, *, retry_after: float | None = None) -> float:
    """Delay before attempt number `attempts + 1`: the schedule with ± jitter.

    A Retry-After of the portal is honoured as the least delay, never as a shortcut: a
    portal answering "Retry-After: 0" to every request would otherwise be hammered.
    """
    steps = settings.PORTALSYNC_BACKOFF_SECONDS
    base = steps[min(max(attempts, 1), len(steps)) - 1]
    jitter = settings.PORTALSYNC_BACKOFF_JITTER
    scheduled = base * random.uniform(1 - jitter, 1 + jitter)  # noqa: S311 - jitter, not crypto
    return max(scheduled, retry_after or 0.0)


def _db_value(name: str, value: Any) -> Any:
    """`value` as the database stores SyncState.`name` (e.g. a UUID is hex text on SQLite)."""
    field = SyncState._meta.get_field(name)
    return field.get_db_prep_value(value, db_connection, prepared=False)


def _update_rows(
    assignments: str, params: list[Any], rows: list[tuple[Any, ...]], token: uuid.UUID
) -> None:
    """One UPDATE of many SyncState rows, each with its own values, guarded by the lease.

    `rows` are (id, value 2, value 3, …); `assignments` names them v.column2, v.column3, …
    (SQLite and PostgreSQL both call the columns of a VALUES list so) and takes `params`
    for its %s. Only rows that still hold the lease `token` change. Per-row ORM updates
    spend most of a batch compiling the same query again and again; this is one statement
    per batch (UPDATE … FROM needs SQLite 3.33 or newer).
    """
    if not rows:
        return
    table = db_connection.ops.quote_name(SyncState._meta.db_table)
    row_sql = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
    sql = (
        f"UPDATE {table} SET {assignments}"  # noqa: S608 - fixed names and placeholders only
        f" FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v"
        f" WHERE {table}.id = v.column1 AND {table}.lease_token = %s"
    )
    values = [value for row in rows for value in row]
    with db_connection.cursor() as cursor:
        cursor.execute(sql, [*params, *values, _db_value("lease_token", token)])


# Edits made while the push was in flight (desired_version above the sent one) stay
# pending: they coalesce into one follow-up.
_ACK_ASSIGNMENTS = (
    "delivered_version = v.column2, delivered_hash = v.column3,"
    " list_state = COALESCE(v.column4, list_state),"
    " status = CASE WHEN desired_version > v.column2 THEN %s ELSE %s END,"
    " pending_since = CASE WHEN desired_version > v.column2 THEN pending_since ELSE NULL END,"
    " attempts = 0, next_attempt_at = %s, lease_token = NULL, leased_until = NULL,"
    " last_success_at = %s, last_http_status = CAST(v.column5 AS INTEGER), last_error = ''"
)
_REJECT_ASSIGNMENTS = (
    "status = CASE WHEN desired_version > v.column2 THEN %s ELSE %s END,"
    " attempts = attempts + 1, next_attempt_at = %s, lease_token = NULL, leased_until = NULL,"
    " last_http_status = CAST(v.column3 AS INTEGER), last_error = v.column4"
)
_RETRY_ASSIGNMENTS = (
    "attempts = v.column2, next_attempt_at = v.column3, lease_token = NULL,"
    " leased_until = NULL, last_http_status = %s, last_error = %s"
)


def _portal_is_ahead(claim: Claim, result: PushResult) -> bool:
    return result.status == 409 and result.version is not None and result.version > claim.version


def _reassert(token: uuid.UUID, claim: Claim, portal_version: int, now: datetime) -> None:
    """The portal holds a newer version than we sent (e.g. the Board was restored from a
    backup): re-assert the Board's current state above the portal's version.

    Only the lease holder may: a late answer of a worker whose lease expired says nothing
    about the current state.
    """
    SyncState.objects.filter(
        pk=claim.state_id, lease_token=token, desired_version__lte=portal_version
    ).update(desired_version=portal_version + 1, status=SyncState.Status.PENDING, pending_since=now)


def _ack_all(token: uuid.UUID, acks: list[tuple[Claim, PushResult, str]], now: datetime) -> None:
    """Ack many claims with one statement, guarded by the lease: a worker whose lease
    expired acks nothing."""
    for claim, result, _sent_hash in acks:
        if _portal_is_ahead(claim, result):
            _reassert(token, claim, result.version, now)  # rare; before the ack clears the lease
    # Edits within the debounce after this push coalesce into one follow-up.
    follow_up = now + timedelta(seconds=settings.PORTALSYNC_DEBOUNCE_SECONDS)
    _update_rows(
        _ACK_ASSIGNMENTS,
        [
            SyncState.Status.PENDING.value,
            SyncState.Status.SYNCED.value,
            _db_value("next_attempt_at", follow_up),
            _db_value("last_success_at", now),
        ],
        [
            (claim.state_id, claim.version, sent_hash, result.list_state or None, result.status)
            for claim, result, sent_hash in acks
        ],
        token,
    )


def _reject(token: uuid.UUID, rejects: list[tuple[Claim, int | None, str]], now: datetime) -> None:
    """Permanent error: the client waits for the next edit or a manual retry.

    `rejects` are (claim, HTTP status, the portal's message). A client edited while the
    push was in flight stays pending instead.
    """
    _update_rows(
        _REJECT_ASSIGNMENTS,
        [
            SyncState.Status.PENDING.value,
            SyncState.Status.FAILED.value,
            _db_value("next_attempt_at", now),
        ],
        [(claim.state_id, claim.version, status, message) for claim, status, message in rejects],
        token,
    )


def _retry_later(
    token: uuid.UUID, claims: list[Claim], error: TransientError, now: datetime
) -> None:
    attempts_by_id = dict(
        SyncState.objects.filter(pk__in=[c.state_id for c in claims]).values_list("pk", "attempts")
    )
    rows = []
    for claim in claims:
        attempts = attempts_by_id.get(claim.state_id, 0) + 1
        delay = backoff_seconds(attempts, retry_after=error.retry_after)
        next_at = _db_value("next_attempt_at", now + timedelta(seconds=delay))
        rows.append((claim.state_id, attempts, next_at))
    _update_rows(_RETRY_ASSIGNMENTS, [error.http_status, error.message], rows, token)


# --- Sending ----------------------------------------------------------------------------------


def _snapshots(claims: list[Claim]) -> dict[int, dict[str, Any]]:
    """Current snapshot per claimed state; a claim whose client vanished gets none."""
    clients = Client.objects.in_bulk([c.client_id for c in claims if c.client_id is not None])
    today = timezone.localdate()
    snapshots: dict[int, dict[str, Any]] = {}
    for claim in claims:
        client = clients.get(claim.client_id) if claim.client_id is not None else None
        if client is not None:
            snapshots[claim.state_id] = client_snapshot(
                client, portal_number=claim.portal_number, today=today
            )
        elif claim.tombstone is not None:
            snapshots[claim.state_id] = claim.tombstone
    return snapshots


def _settle_vanished(token: uuid.UUID, claims: list[Claim]) -> None:
    """Claims whose client is gone without a tombstone: nothing can be sent any more.

    (A deletion always writes a tombstone; this only happens when the client row was
    removed behind the Board's back.)
    """
    if claims:
        SyncState.objects.filter(
            pk__in=[c.state_id for c in claims],
            lease_token=token,
            client__isnull=True,
            tombstone__isnull=True,
        ).update(status=SyncState.Status.SYNCED, lease_token=None, leased_until=None)
        _release(token, claims)


def send_claims(portal: PortalClient, token: uuid.UUID, claims: list[Claim]) -> DrainReport:
    """Push one batch of claims and record every outcome. Never raises PortalError."""
    report = DrainReport()
    snapshots = _snapshots(claims)
    _settle_vanished(token, [c for c in claims if c.state_id not in snapshots])
    claims = [c for c in claims if c.state_id in snapshots]
    if not claims:
        return report
    items = [PushItem(c.portal_id, c.version, snapshots[c.state_id]) for c in claims]
    started = time.monotonic()
    now = timezone.now()
    log: list[SyncAttempt] = []

    def attempt(
        claim: Claim, outcome: str, status: int | None, error: str, duration_ms: int
    ) -> SyncAttempt:
        return SyncAttempt(
            created_at=now,
            sync_state_id=claim.state_id,
            version=claim.version,
            outcome=outcome,
            http_status=status,
            error=error,
            duration_ms=duration_ms,
        )

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    def log_all(outcome: str, status: int | None, error: str) -> None:
        duration_ms = elapsed_ms()
        log.extend(attempt(c, outcome, status, error, duration_ms) for c in claims)

    report.sent = len(claims)
    try:
        results = portal.push_batch(items) if len(items) > 1 else [portal.push(items[0])]
    except (AuthError, UnreachableError) as exc:
        with transaction.atomic():
            _release(token, claims)
            target.record_failure(exc, pause=True)
            log_all(Outcome.PAUSED, exc.http_status, exc.message)
            SyncAttempt.objects.bulk_create(log)
        report.paused = True
        report.errors.append(exc.message)
        return report
    except TransientError as exc:
        with transaction.atomic():
            _retry_later(token, claims, exc, now)
            target.record_failure(exc, pause=False)
            log_all(Outcome.TRANSIENT, exc.http_status, exc.message)
            SyncAttempt.objects.bulk_create(log)
        report.retrying = len(claims)
        report.errors.append(exc.message)
        return report
    except PermanentError as exc:
        with transaction.atomic():
            _reject(token, [(c, exc.http_status, exc.message) for c in claims], now)
            log_all(Outcome.REJECTED, exc.http_status, exc.message)
            SyncAttempt.objects.bulk_create(log)
        report.rejected = len(claims)
        report.errors.append(exc.message)
        return report

    duration_ms = elapsed_ms()
    acks: list[tuple[Claim, PushResult, str]] = []
    rejects: list[tuple[Claim, int | None, str]] = []
    with transaction.atomic():
        for claim, item, result in zip(claims, items, results, strict=True):
            if result.stored:
                acks.append((claim, result, snapshot_hash(item.data)))
                outcome = Outcome.DELIVERED if result.status != 409 else Outcome.ALREADY_CURRENT
                report.delivered += 1
            else:
                rejects.append((claim, result.status, result.error))
                outcome = Outcome.REJECTED
                report.rejected += 1
            log.append(attempt(claim, outcome, result.status, result.error, duration_ms))
        _ack_all(token, acks, now)
        _reject(token, rejects, now)
        SyncAttempt.objects.bulk_create(log)
        target.record_healthy(pushed=True)
    return report


def drain(*, deadline: float | None = None) -> DrainReport:
    """Send due clients batch by batch until none is due, the target pauses or time is up."""
    total = DrainReport()
    now = timezone.now()
    if not target.is_ready(now):
        total.paused = PortalConnection.load().is_paused
        return total
    try:
        portal = target.open_portal_client()
    except crypto.EncryptionKeyError as exc:
        total.errors.append(str(exc))
        return total
    if portal is None:
        return total
    with portal:
        while deadline is None or time.monotonic() < deadline:
            token, claims = claim_due(limit=settings.PORTALSYNC_BATCH_SIZE)
            if not claims:
                break
            try:
                report = send_claims(portal, token, claims)
            except Exception as exc:  # noqa: BLE001 - one bad batch must not stop the worker
                logger.exception("Sending a batch to the portal failed unexpectedly.")
                _retry_later(token, claims, TransientError(f"Interner Fehler: {exc}"), now)
                total.errors.append(str(exc))
                break
            total.add(report)
            if report.paused or not report.sent:
                break
    return total


# --- Worker loop ------------------------------------------------------------------------------


def beat() -> None:
    """Record that a worker of this host is alive."""
    WorkerHeartbeat.objects.update_or_create(
        name=socket.gethostname(), defaults={"beat_at": timezone.now()}
    )


def _check_if_quiet() -> None:
    """Check the connection when nothing else did for a while, so the status stays true
    even when no client changes."""
    conn = PortalConnection.load()
    quiet_since = timezone.now() - timedelta(seconds=settings.PORTALSYNC_CHECK_SECONDS)
    if (
        conn.has_password
        and not conn.is_paused
        and (conn.health_checked_at is None or conn.health_checked_at < quiet_since)
    ):
        target.check_connection()


def _seconds_until_next_due() -> float | None:
    """Seconds until the earliest pending client is due (0 if overdue), None if none."""
    due = (
        SyncState.objects.filter(status=SyncState.Status.PENDING, leased_until__isnull=True)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if due is None:
        return None
    return max(0.0, (due - timezone.now()).total_seconds())


def kick() -> DrainReport:
    """Drain now, and stay for follow-ups that fall due within the debounce.

    Bounded so the task stays well inside django-q2's timeout; anything later is the
    sweep's.
    """
    beat()
    deadline = time.monotonic() + settings.PORTALSYNC_SWEEP_SECONDS
    total = drain(deadline=deadline)
    while not total.paused and time.monotonic() < deadline:
        wait = _seconds_until_next_due()
        if wait is None or wait > settings.PORTALSYNC_DEBOUNCE_SECONDS:
            break
        time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
        total.add(drain(deadline=deadline))
    return total


def sweep(*, seconds: float | None = None) -> DrainReport:
    """Drain repeatedly for `seconds`, polling for due retries, and keep the heartbeat fresh.

    Scheduled once a minute: the scheduler cannot run more often, but retries and lost kicks
    must not wait that long.
    """
    seconds = settings.PORTALSYNC_SWEEP_SECONDS if seconds is None else seconds
    end = time.monotonic() + seconds
    total = DrainReport()
    _check_if_quiet()
    while True:
        beat()
        total.add(drain(deadline=end))
        remaining = end - time.monotonic()
        if remaining <= 0:
            return total
        time.sleep(min(settings.PORTALSYNC_POLL_SECONDS, remaining))


def prune_log(*, now: datetime | None = None) -> int:
    """Delete log rows older than the retention; returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PORTALSYNC_LOG_RETENTION_DAYS)
    deleted, _by_model = SyncAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
