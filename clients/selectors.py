"""Read queries for clients."""

from django.db.models import Q, QuerySet

from clients.models import Client


def search_clients(query: str = "") -> QuerySet[Client]:
    """Clients matching `query` by number (exact), Kurzbezeichnung or name (contains)."""
    clients = Client.objects.select_related("sync_state").order_by("number")
    query = query.strip()
    if not query:
        return clients
    condition = Q(short_name__icontains=query) | Q(name__icontains=query)
    if query.isdigit():
        condition |= Q(number=int(query))
    return clients.filter(condition)
