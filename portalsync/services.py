"""Write actions of the Klientenportal settings, one transaction each."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

from audit.models import AuditEntry
from audit.services import record as audit
from portalsync import crypto, outbox, target
from portalsync.models import PortalConnection, SyncState


@sensitive_variables("password")
def set_service_password(*, password: str, user: AbstractBaseUser | None) -> PortalConnection:
    """Store the service password encrypted, then check it against the portal at once.

    A new password ends any pause, so waiting clients go out with the next drain.
    """
    with transaction.atomic():
        had_password = PortalConnection.load().has_password
        PortalConnection.objects.filter(pk=1).update(
            password_encrypted=crypto.encrypt(password),
            password_changed_at=timezone.now(),
            password_changed_by=user if user is not None and user.pk else None,
            health=PortalConnection.Health.UNKNOWN,
            health_detail="",
            paused_until=None,
        )
        # The fact, never the value.
        audit(
            action=AuditEntry.Action.PORTAL_PASSWORD_CHANGED
            if had_password
            else AuditEntry.Action.PORTAL_PASSWORD_SET,
            user=user,
        )
    connection = target.check_connection()
    if connection.health == PortalConnection.Health.OK:
        outbox.request_kick()
    return connection


def check_connection() -> PortalConnection:
    connection = target.check_connection()
    if connection.health == PortalConnection.Health.OK:
        outbox.request_kick()
    audit(
        action=AuditEntry.Action.PORTAL_CONNECTION_CHECKED,
        detail=" ".join(filter(None, [connection.get_health_display(), connection.health_detail])),
    )
    return connection


@transaction.atomic
def start_full_resync() -> int:
    """Send every enabled client again. Returns how many clients were queued."""
    count = outbox.mark_all_enabled_for_resend()
    audit(
        action=AuditEntry.Action.PORTAL_FULL_RESYNC,
        detail=ngettext("%(count)d Klient", "%(count)d Klienten", count) % {"count": count},
    )
    return count


@transaction.atomic
def retry_client(*, state: SyncState) -> None:
    """Re-arm one client ("Erneut senden"): a new version, sent as soon as possible."""
    audit(
        action=AuditEntry.Action.PORTAL_RETRY,
        client=state.client,
        detail=""
        if state.client
        else _("Nummer am Portal: %(number)d") % {"number": state.portal_number},
    )
    if state.client_id is not None:
        outbox.mark_clients_changed([state.client_id], force=True)
    else:
        SyncState.objects.filter(pk=state.pk).update(
            status=SyncState.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        outbox.request_kick()


@transaction.atomic
def rotate_encryption_key() -> bool:
    """Re-encrypt the stored service password with the newest key (the first of
    PORTALSYNC_ENCRYPTION_KEY). Returns False when no password is stored.

    Raises crypto.EncryptionKeyError when no configured key decrypts it; nothing changes then.
    """
    token = (
        PortalConnection.objects.select_for_update()
        .filter(pk=1)
        .values_list("password_encrypted", flat=True)
        .first()
    )
    if not token:
        return False
    PortalConnection.objects.filter(pk=1).update(password_encrypted=crypto.rotate(token))
    audit(action=AuditEntry.Action.PORTAL_KEY_ROTATED)
    return True
