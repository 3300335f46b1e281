"""Writing the audit trail. `record` is the one entry point for every app.

Entries are written in the caller's transaction: a rolled-back change leaves no entry.
Secret values never reach an entry: changes of a field whose name looks secret are
recorded as "changed" without old or new value.
"""

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

from audit import context
from audit.models import AuditEntry
from clients.models import Client
from rzl_board.middleware import client_ip

Action = AuditEntry.Action
SECRET_FIELD = re.compile(r"password|passwort|secret|token|key", re.IGNORECASE)
MASKED = "***"


def plain(value: Any) -> Any:
    """A JSON-safe, readable form of a field value."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def change(field: str, label: str, old: Any, new: Any) -> dict[str, Any]:
    """One entry of `changes`; the values of secret fields are masked."""
    if SECRET_FIELD.search(field):
        return {"field": field, "label": label, "old": MASKED, "new": MASKED}
    return {"field": field, "label": label, "old": plain(old), "new": plain(new)}


def _actor(
    user: AbstractBaseUser | AnonymousUser | None, actor_name: str, request: HttpRequest | None
) -> tuple[AbstractBaseUser | None, str, str | None]:
    acting = context.current()
    request = request or acting.request
    if user is None and request is not None and not actor_name:
        user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    name = user.get_username() if user is not None else (actor_name or acting.label)
    ip = client_ip(request) if request is not None else None
    return user, name[:150], ip


def record(
    *,
    action: str,
    user: AbstractBaseUser | AnonymousUser | None = None,
    actor_name: str = "",
    request: HttpRequest | None = None,
    client: Client | None = None,
    changes: list[dict[str, Any]] | None = None,
    detail: str = "",
) -> AuditEntry:
    """Append one entry. Without `user`, the user of the current request is recorded
    (see audit.context); `actor_name` names an actor that is no user (a failed log-in's
    name, a management command)."""
    actor, name, ip = _actor(user, actor_name, request)
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        actor_name=name,
        ip_address=ip,
        client_ref=client.pk if client is not None else None,
        client_number=client.number if client is not None else None,
        client_name=client.short_name if client is not None else "",
        changes=[change(c["field"], c["label"], c["old"], c["new"]) for c in changes or []],
        detail=detail,
    )


def record_clients(*, action: str, client_ids: Iterable[int], detail: str = "") -> int:
    """One entry per client for a write that touched many clients at once (bulk update,
    import). Returns the number of entries written."""
    actor, name, ip = _actor(None, "", None)
    clients = Client.objects.filter(pk__in=list(client_ids)).values_list(
        "pk", "number", "short_name"
    )
    entries = [
        AuditEntry(
            action=action,
            actor=actor,
            actor_name=name,
            ip_address=ip,
            client_ref=pk,
            client_number=number,
            client_name=short_name,
            detail=detail,
        )
        for pk, number, short_name in clients.order_by("number").iterator(chunk_size=2000)
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)


# Public names for the other apps: `with audit.services.operation(Action.CLIENTS_IMPORTED,
# detail="klienten.csv"): ...` labels the writes of an import.
operation = context.operation
acting = context.acting
