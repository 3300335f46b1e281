"""Pure mapping from a client to the snapshot the portal stores (no I/O)."""

import hashlib
import json
from datetime import date
from typing import Any

from clients.models import Client

# The fields of the portal's client snapshot, in the order of the sync API.
SNAPSHOT_FIELDS = (
    "number",
    "short_name",
    "name",
    "legal_form",
    "is_serviced",
    "receipt_sync_enabled",
    "portal_enabled",
    "client_since",
    "client_until",
    "street",
    "postcode",
    "city",
    "country",
    "email",
    "phone",
    "vat_id",
    "tax_number",
    "company_register_number",
)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def client_snapshot(client: Client, *, portal_number: int, today: date) -> dict[str, Any]:
    """The client's current master data as the portal receives it.

    `number` is the number the portal first received (`portal_number`): a later change of
    the client number is deliberately not synced.
    """
    return {
        "number": portal_number,
        "short_name": client.short_name,
        "name": client.name,
        "legal_form": client.legal_form,
        "is_serviced": client.is_serviced_on(today),
        "receipt_sync_enabled": client.receipt_sync_enabled,
        "portal_enabled": client.portal_enabled,
        "client_since": _iso(client.client_since),
        "client_until": _iso(client.client_until),
        "street": client.street,
        "postcode": client.postcode,
        "city": client.city,
        "country": client.country,
        "email": client.email,
        "phone": client.phone,
        "vat_id": client.vat_id,
        "tax_number": client.tax_number,
        "company_register_number": client.company_register_number,
    }


def deactivated(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot of a client the Board no longer offers (unticked or deleted)."""
    return {**snapshot, "portal_enabled": False}


def snapshot_hash(snapshot: dict[str, Any]) -> str:
    """Content hash as the portal computes it (sorted keys, compact, UTF-8)."""
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
