"""Read queries of the audit page."""

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditEntry
from clients.selectors import is_client_number


def audit_entries(
    *,
    user: str = "",
    action: str = "",
    client: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    """Entries, newest first. `user` matches the user name exactly (case-insensitive),
    `client` a client number exactly or a part of the Kurzbezeichnung; the dates are
    inclusive days in the office's time zone."""
    entries = AuditEntry.objects.order_by("-created_at", "-id")
    if user.strip():
        entries = entries.filter(actor_name__iexact=user.strip())
    if action in AuditEntry.Action.values:
        entries = entries.filter(action=action)
    client = client.strip()
    if client:
        condition = Q(client_name__icontains=client)
        if is_client_number(client):
            condition |= Q(client_number=int(client))
        entries = entries.filter(condition)
    if date_from is not None:
        entries = entries.filter(created_at__gte=_start_of(date_from))
    if date_to is not None:
        entries = entries.filter(created_at__lt=_start_of(date_to + datetime.timedelta(days=1)))
    return entries


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def actor_names() -> list[str]:
    """Every name that appears in the trail, for the user filter's suggestions."""
    return list(
        AuditEntry.objects.exclude(actor_name="")
        .order_by("actor_name")
        .values_list("actor_name", flat=True)
        .distinct()
    )
