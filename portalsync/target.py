"""The portal as the sync's target: its HTTP client, its health and the pause.

An unreachable portal or a rejected password pauses the whole target (circuit breaker):
no client spends an attempt while it holds, and the first successful check ends it and
sends the clients that were waiting out a backoff.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from portalsync import crypto
from portalsync.client import AuthError, PortalClient, PortalError, UnreachableError
from portalsync.models import PortalConnection, SyncState

Health = PortalConnection.Health


def open_portal_client(*, read_timeout: float | None = None) -> PortalClient | None:
    """A client for the configured portal, or None when no password is stored."""
    token = PortalConnection.load().password_encrypted
    if not token:
        return None
    return PortalClient(
        base_url=settings.PORTAL_URL,
        password=crypto.decrypt(token),
        connect_timeout=settings.PORTALSYNC_CONNECT_TIMEOUT,
        read_timeout=read_timeout or settings.PORTALSYNC_READ_TIMEOUT,
    )


def record_healthy(*, pushed: bool) -> None:
    now = timezone.now()
    updates: dict[str, Any] = {
        "health": Health.OK,
        "health_detail": "",
        "health_checked_at": now,
        "paused_until": None,
    }
    if pushed:
        updates["last_push_at"] = now
    PortalConnection.objects.filter(pk=1).update(**updates)


def record_failure(error: PortalError, *, pause: bool, throttling_counts: bool = False) -> None:
    """Remember why the portal failed; with `pause`, stop sending for a while.

    A 429 answer to a push is the portal working as intended (the client backs off), not
    an outage; only with `throttling_counts` (a connection check) is it recorded.
    """
    if error.http_status == 429 and not throttling_counts:
        return
    now = timezone.now()
    health = Health.AUTH_FAILED if isinstance(error, AuthError) else Health.UNREACHABLE
    PortalConnection.objects.filter(pk=1).update(
        health=health,
        health_detail=error.message,
        health_checked_at=now,
        paused_until=now + timedelta(seconds=settings.PORTALSYNC_PAUSE_SECONDS) if pause else None,
    )


def check_connection() -> PortalConnection:
    """Ask the portal whether it accepts the stored password; record and return the result."""
    try:
        client = open_portal_client(read_timeout=settings.PORTALSYNC_CONNECT_TIMEOUT + 5)
    except crypto.EncryptionKeyError as exc:
        PortalConnection.objects.filter(pk=1).update(
            health=Health.UNKNOWN, health_detail=str(exc), health_checked_at=timezone.now()
        )
        return PortalConnection.load()
    if client is None:
        return PortalConnection.load()
    was_healthy = PortalConnection.load().health == Health.OK
    with client:
        try:
            client.check()
        except (AuthError, UnreachableError) as exc:
            record_failure(exc, pause=True)
        except PortalError as exc:
            # A throttled check has not shown that the portal works: say so, do not pause.
            record_failure(exc, pause=False, throttling_counts=True)
        else:
            record_healthy(pushed=False)
            if not was_healthy:
                rearm_backed_off(timezone.now())
    return PortalConnection.load()


def rearm_backed_off(now: datetime) -> None:
    """The portal is back: clients waiting out a backoff after its errors go out now."""
    SyncState.objects.filter(
        status=SyncState.Status.PENDING, attempts__gt=0, next_attempt_at__gt=now
    ).update(next_attempt_at=now)


def is_ready(now: datetime) -> bool:
    """False while paused; once the pause is over, probe the portal to end it."""
    conn = PortalConnection.load()
    if not conn.has_password:
        return False
    if not conn.is_paused:
        return True
    if conn.paused_until > now:
        return False
    return not check_connection().is_paused
