from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One thing somebody did that matters: who, what, when, to which client.

    Append-only: an existing entry cannot be saved again, and neither the audit page nor
    the admin offers to change or delete one. Secret values are never stored
    (see audit.services.record).
    """

    class Action(models.TextChoices):
        LOGIN = "login", _("Anmeldung")
        LOGIN_FAILED = "login_failed", _("Anmeldung fehlgeschlagen")
        LOGOUT = "logout", _("Abmeldung")
        PORTAL_PASSWORD_SET = "portal_password_set", _("Service-Account Passwort hinterlegt")
        PORTAL_PASSWORD_CHANGED = "portal_password_changed", _("Service-Account Passwort geändert")
        PORTAL_KEY_ROTATED = "portal_key_rotated", _("Passwort neu verschlüsselt")
        PORTAL_CONNECTION_CHECKED = "portal_connection_checked", _("Verbindung geprüft")
        PORTAL_FULL_RESYNC = "portal_full_resync", _("Vollständige Synchronisation gestartet")
        PORTAL_RETRY = "portal_retry", _("Klient erneut gesendet")
        PORTAL_ENABLED = "portal_enabled", _("Klientenportal-Häkchen gesetzt")
        PORTAL_DISABLED = "portal_disabled", _("Klientenportal-Häkchen entfernt")
        CLIENT_CREATED = "client_created", _("Klient angelegt")
        CLIENT_CHANGED = "client_changed", _("Klient geändert")
        CLIENT_DELETED = "client_deleted", _("Klient gelöscht")
        CLIENTS_IMPORTED = "clients_imported", _("Klienten importiert")
        CLIENTS_BULK_CHANGED = "clients_bulk_changed", _("Klient in Sammeländerung geändert")

    created_at = models.DateTimeField(_("Zeitpunkt"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Benutzer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The name as it was, kept when the user is deleted; for failed log-ins the name typed
    # in; empty for the system itself.
    actor_name = models.CharField(_("Benutzername"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP-Adresse"), null=True, blank=True)
    action = models.CharField(_("Aktion"), max_length=40, choices=Action.choices)
    # The client as it was: a plain id (no foreign key), so entries outlive the client.
    client_ref = models.PositiveBigIntegerField(_("Klient-ID"), null=True, blank=True)
    client_number = models.PositiveIntegerField(_("Klientennummer"), null=True, blank=True)
    client_name = models.CharField(_("Kurzbezeichnung"), max_length=60, blank=True)
    # [{"field": name, "label": verbose name, "old": value, "new": value}, ...]
    changes = models.JSONField(_("Änderungen"), default=list, blank=True)
    detail = models.TextField(_("Details"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Änderungsprotokoll")
        indexes = [
            # audit.selectors.audit_entries: filter by action, newest first.
            models.Index(fields=["action", "created_at"], name="audit_action_time_idx"),
            # audit.selectors.audit_entries: filter by client number, newest first.
            models.Index(fields=["client_number", "created_at"], name="audit_client_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name or '-'} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    @property
    def client_label(self) -> str:
        if self.client_number is None:
            return ""
        return f"{self.client_number} {self.client_name}".strip()
