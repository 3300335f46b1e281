"""Write actions of the Klientenportal settings, one transaction each."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from portalsync import crypto, engine, outbox
from portalsync.models import PortalConnection, SyncState


@sensitive_variables("password")
def set_service_password(*, password: str, user: AbstractBaseUser | None) -> PortalConnection:
    """Store the service password encrypted, then check it against the portal at once.

    A new password ends any pause, so waiting clients go out with the next drain.
    """
    with transaction.atomic():
        PortalConnection.load()
        PortalConnection.objects.filter(pk=1).update(
            password_encrypted=crypto.encrypt(password),
            password_changed_at=timezone.now(),
            password_changed_by=user if user is not None and user.pk else None,
            health=PortalConnection.Health.UNKNOWN,
            health_detail="",
            paused_until=None,
        )
    connection = engine.check_connection()
    if connection.health == PortalConnection.Health.OK:
        outbox.request_kick()
    return connection


def check_connection() -> PortalConnection:
    connection = engine.check_connection()
    if connection.health == PortalConnection.Health.OK:
        outbox.request_kick()
    return connection


@transaction.atomic
def start_full_resync() -> int:
    """Send every enabled client again. Returns how many clients were queued."""
    return outbox.mark_all_enabled_for_resend()


@transaction.atomic
def retry_client(*, state: SyncState) -> None:
    """Re-arm one client ("Erneut senden"): a new version, sent as soon as possible."""
    if state.client_id is not None:
        outbox.mark_clients_changed([state.client_id])
    else:
        SyncState.objects.filter(pk=state.pk).update(
            status=SyncState.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        outbox.request_kick()
