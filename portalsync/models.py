import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PortalConnection(models.Model):
    """The one portal target (singleton, pk=1): service password and circuit-breaker state."""

    class Health(models.TextChoices):
        UNKNOWN = "unknown", _("noch nicht geprüft")
        OK = "ok", _("erreichbar")
        AUTH_FAILED = "auth_failed", _("Anmeldung fehlgeschlagen")
        UNREACHABLE = "unreachable", _("Portal nicht erreichbar")

    password_encrypted = models.TextField(_("Service-Account Passwort (verschlüsselt)"), blank=True)
    password_changed_at = models.DateTimeField(_("Passwort geändert am"), null=True, blank=True)
    password_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Passwort geändert von"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    health = models.CharField(
        _("Verbindung"), max_length=20, choices=Health.choices, default=Health.UNKNOWN
    )
    health_detail = models.TextField(_("Details zur Verbindung"), blank=True)
    health_checked_at = models.DateTimeField(_("zuletzt geprüft"), null=True, blank=True)
    # While set and in the future, no client is sent: the target is paused (circuit breaker).
    paused_until = models.DateTimeField(_("pausiert bis"), null=True, blank=True)
    last_push_at = models.DateTimeField(_("letzte erfolgreiche Übertragung"), null=True, blank=True)

    class Meta:
        verbose_name = _("Klientenportal-Verbindung")
        verbose_name_plural = _("Klientenportal-Verbindung")
        permissions = [
            ("manage_portal_sync", _("Kann die Klientenportal Synchronisation verwalten")),
        ]

    def __str__(self) -> str:
        return str(_("Klientenportal-Verbindung"))

    @classmethod
    def load(cls) -> "PortalConnection":
        connection, _created = cls.objects.get_or_create(pk=1)
        return connection

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    @property
    def is_paused(self) -> bool:
        return self.health in (self.Health.AUTH_FAILED, self.Health.UNREACHABLE) and (
            self.paused_until is not None
        )


class SyncState(models.Model):
    """Outbox row of one client: what the portal should have vs. what it acknowledged.

    `desired_version` is bumped in the same transaction as the client change; the engine
    sends the client's *current* data labelled with the version it claimed, and acks by
    raising `delivered_version`. The row outlives a deleted client (client = NULL) so the
    deletion can still reach the portal as "inactive" (`tombstone`).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("ausstehend")
        SYNCED = "synced", _("synchronisiert")
        FAILED = "failed", _("Fehler")

    client = models.OneToOneField(
        "clients.Client",
        verbose_name=_("Klient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sync_state",
    )
    portal_id = models.UUIDField(_("Portal-ID"), unique=True, default=uuid.uuid4, editable=False)
    # The number the portal knows the client by; later number changes are not synced.
    portal_number = models.PositiveIntegerField(_("Nummer am Portal"))
    enabled = models.BooleanField(_("am Portal aktiv"), default=True)
    desired_version = models.PositiveIntegerField(_("Soll-Version"), default=0)
    delivered_version = models.PositiveIntegerField(_("übertragene Version"), default=0)
    delivered_hash = models.CharField(
        _("Prüfsumme der übertragenen Daten"), max_length=64, blank=True
    )
    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    pending_since = models.DateTimeField(_("ausstehend seit"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("fehlgeschlagene Versuche"), default=0)
    next_attempt_at = models.DateTimeField(_("nächster Versuch"), default=timezone.now)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    leased_until = models.DateTimeField(null=True, blank=True, editable=False)
    list_state = models.CharField(_("Liste am Portal"), max_length=10, blank=True)
    last_attempt_at = models.DateTimeField(_("letzter Versuch"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("zuletzt erfolgreich"), null=True, blank=True)
    last_http_status = models.PositiveSmallIntegerField(_("HTTP-Status"), null=True, blank=True)
    last_error = models.TextField(_("letzter Fehler"), blank=True)
    tombstone = models.JSONField(_("letzter Stand des gelöschten Klienten"), null=True, blank=True)

    class Meta:
        verbose_name = _("Synchronisationsstatus")
        verbose_name_plural = _("Synchronisationsstatus")
        indexes = [
            # engine.claim_due: pending rows whose next attempt is due, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="syncstate_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.portal_number} v{self.desired_version}/{self.delivered_version}"

    @property
    def number_differs(self) -> bool:
        return self.client is not None and self.client.number != self.portal_number


class SyncAttempt(models.Model):
    """One attempt to deliver one client version (the Synchronisationsprotokoll)."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", _("übertragen")
        ALREADY_CURRENT = "already_current", _("am Portal bereits aktuell")
        TRANSIENT = "transient", _("vorübergehender Fehler")
        REJECTED = "rejected", _("vom Portal abgelehnt")
        PAUSED = "paused", _("pausiert")

    created_at = models.DateTimeField(_("Zeitpunkt"), default=timezone.now, db_index=True)
    sync_state = models.ForeignKey(
        SyncState,
        verbose_name=_("Synchronisationsstatus"),
        on_delete=models.CASCADE,
        related_name="attempts_log",
    )
    version = models.PositiveIntegerField(_("Version"))
    outcome = models.CharField(_("Ergebnis"), max_length=20, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(_("HTTP-Status"), null=True, blank=True)
    error = models.TextField(_("Fehlermeldung"), blank=True)
    duration_ms = models.PositiveIntegerField(_("Dauer (ms)"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Übertragungsversuch")
        verbose_name_plural = _("Synchronisationsprotokoll")

    def __str__(self) -> str:
        return f"{self.sync_state_id} v{self.version} {self.outcome}"


class WorkerHeartbeat(models.Model):
    """Liveness of the background workers, written by the running sweep.

    django-q2's own Stat lives in the (per-process) cache, so the web process cannot see it.
    """

    name = models.CharField(max_length=100, unique=True)
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Lebenszeichen des Hintergrunddienstes")
        verbose_name_plural = _("Lebenszeichen des Hintergrunddienstes")

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"
