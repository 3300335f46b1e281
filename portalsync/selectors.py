"""Read queries of the Klientenportal settings pages."""

from django.db.models import QuerySet

from clients.models import Client


def enabled_clients() -> QuerySet[Client]:
    """Clients ticked for the portal, with their sync state, by number."""
    return (
        Client.objects.filter(portal_enabled=True).select_related("sync_state").order_by("number")
    )
