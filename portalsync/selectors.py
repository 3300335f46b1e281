"""Read queries of the Klientenportal settings pages."""

from django.db.models import Q, QuerySet

from clients.models import Client
from clients.selectors import is_client_number
from portalsync.models import SyncAttempt


def enabled_clients() -> QuerySet[Client]:
    """Clients ticked for the portal, with their sync state, by number."""
    return (
        Client.objects.filter(portal_enabled=True).select_related("sync_state").order_by("number")
    )


def sync_log(*, client_query: str = "", outcome: str = "") -> QuerySet[SyncAttempt]:
    """Attempts, newest first, filtered by client (number or Kurzbezeichnung) and outcome."""
    attempts = SyncAttempt.objects.select_related("sync_state__client").order_by(
        "-created_at", "-id"
    )
    client_query = client_query.strip()
    if client_query:
        condition = Q(sync_state__client__short_name__icontains=client_query)
        if is_client_number(client_query):
            condition |= Q(sync_state__client__number=int(client_query)) | Q(
                sync_state__portal_number=int(client_query)
            )
        attempts = attempts.filter(condition)
    if outcome in SyncAttempt.Outcome.values:
        attempts = attempts.filter(outcome=outcome)
    return attempts
