"""The function status (Funktionsstatus) of the sync, most severe condition first."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portalsync import crypto
from portalsync.models import PortalConnection, SyncState, WorkerHeartbeat


class Code:
    NOT_CONFIGURED = "not_configured"
    AUTH_FAILED = "auth_failed"
    UNREACHABLE = "unreachable"
    WORKER_DOWN = "worker_down"
    DEGRADED = "degraded"
    ACTIVE = "active"


LABELS = {
    Code.NOT_CONFIGURED: gettext_lazy("Nicht eingerichtet"),
    Code.AUTH_FAILED: gettext_lazy("Anmeldung fehlgeschlagen"),
    Code.UNREACHABLE: gettext_lazy("Portal nicht erreichbar"),
    Code.WORKER_DOWN: gettext_lazy("Hintergrunddienst läuft nicht"),
    Code.DEGRADED: gettext_lazy("Eingeschränkt"),
    Code.ACTIVE: gettext_lazy("Aktiv"),
}


@dataclass(frozen=True)
class SyncCounts:
    """`synced` counts enabled clients only: an unticked client synced as „Inaktiv“ is done,
    but it is not among the clients the settings table lists."""

    pending: int
    failed: int
    synced: int
    oldest_pending_since: datetime | None


@dataclass(frozen=True)
class FunctionStatus:
    code: str
    detail: str
    counts: SyncCounts
    last_push_at: datetime | None
    last_heartbeat_at: datetime | None
    paused_until: datetime | None
    health_checked_at: datetime | None
    at: datetime  # when the status was taken

    @property
    def label(self) -> str:
        return str(LABELS[self.code])

    @property
    def is_active(self) -> bool:
        return self.code == Code.ACTIVE

    @property
    def transfer(self) -> str:
        """Whether clients are being sent now (the „Übertragung“ line), and if not, why."""
        if self.code == Code.NOT_CONFIGURED:
            return _("angehalten, bis die Verbindung eingerichtet ist")
        if self.code == Code.WORKER_DOWN:
            return _("angehalten – der Hintergrunddienst läuft nicht")
        if self.paused_until is None:
            return _("läuft")
        if self.paused_until > self.at:
            text = _("pausiert, nächster Versuch um %(time)s") % {
                "time": timezone.localtime(self.paused_until).strftime("%H:%M:%S")
            }
        else:
            text = _("pausiert, die Verbindung wird beim nächsten Durchlauf geprüft")
        return f"{text} – {self.detail}" if self.detail else text


def sync_counts() -> SyncCounts:
    row = SyncState.objects.aggregate(
        pending=Count("pk", filter=Q(status=SyncState.Status.PENDING)),
        failed=Count("pk", filter=Q(status=SyncState.Status.FAILED)),
        synced=Count("pk", filter=Q(status=SyncState.Status.SYNCED, client__portal_enabled=True)),
        oldest=Min("pending_since", filter=Q(status=SyncState.Status.PENDING)),
    )
    return SyncCounts(row["pending"], row["failed"], row["synced"], row["oldest"])


def function_status(
    now: datetime | None = None, *, connection: PortalConnection | None = None
) -> FunctionStatus:
    """The current status; pass `connection` if the caller has loaded it already."""
    now = now or timezone.now()
    conn = connection or PortalConnection.load()
    counts = sync_counts()
    heartbeat = WorkerHeartbeat.objects.aggregate(last=Max("beat_at"))["last"]
    code, detail = _classify(conn, counts, heartbeat, now)
    return FunctionStatus(
        code=code,
        detail=detail,
        counts=counts,
        last_push_at=conn.last_push_at,
        last_heartbeat_at=heartbeat,
        paused_until=conn.paused_until if conn.is_paused else None,
        health_checked_at=conn.health_checked_at,
        at=now,
    )


def _classify(
    conn: PortalConnection, counts: SyncCounts, heartbeat: datetime | None, now: datetime
) -> tuple[str, str]:
    if not conn.has_password:
        return Code.NOT_CONFIGURED, _("Es ist noch kein Service-Account Passwort hinterlegt.")
    try:
        crypto.decrypt(conn.password_encrypted)
    except crypto.EncryptionKeyError as exc:
        return Code.NOT_CONFIGURED, str(exc)
    stale_after = timedelta(seconds=settings.PORTALSYNC_HEARTBEAT_STALE_SECONDS)
    worker_down = heartbeat is None or now - heartbeat > stale_after
    # The worker is what re-checks the portal: without it, an old verdict is out of date
    # (the portal may long be back), and the missing worker is the news.
    verdict_is_current = (
        conn.health_checked_at is not None and now - conn.health_checked_at <= stale_after
    )
    if not worker_down or verdict_is_current:
        if conn.health == PortalConnection.Health.AUTH_FAILED:
            return Code.AUTH_FAILED, conn.health_detail
        if conn.health == PortalConnection.Health.UNREACHABLE:
            return Code.UNREACHABLE, conn.health_detail
    if worker_down:
        return Code.WORKER_DOWN, _(
            "Seit über %(minutes)d Minuten kein Lebenszeichen des Hintergrunddienstes (qcluster)."
        ) % {"minutes": round(stale_after.total_seconds() / 60)}
    if counts.failed:
        return Code.DEGRADED, ngettext(
            "%(count)d Klient konnte nicht übertragen werden.",
            "%(count)d Klienten konnten nicht übertragen werden.",
            counts.failed,
        ) % {"count": counts.failed}
    warn_after = timedelta(seconds=settings.PORTALSYNC_PENDING_WARN_SECONDS)
    if counts.oldest_pending_since and now - counts.oldest_pending_since > warn_after:
        return Code.DEGRADED, _(
            "Die älteste ausstehende Änderung wartet seit über %(minutes)d Minuten."
        ) % {"minutes": round(warn_after.total_seconds() / 60)}
    return Code.ACTIVE, ""
