"""Shared test data of the emulator tests."""

import hashlib
import json
from typing import Any

ID_A = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
ID_B = "0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"


def snapshot(number: int = 1, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": number,
        "short_name": f"Klient {number}",
        "name": f"Klient {number} GmbH",
        "legal_form": "GmbH",
        "is_serviced": True,
        "receipt_sync_enabled": False,
        "portal_enabled": True,
        "client_since": "2020-01-01",
        "client_until": None,
        "street": "Hauptstraße 1",
        "postcode": "1010",
        "city": "Wien",
        "country": "AT",
        "email": "office@example.at",
        "phone": None,
        "vat_id": "ATU12345678",
        "tax_number": None,
        "company_register_number": None,
    }
    data.update(overrides)
    return data


def expected_hash(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
