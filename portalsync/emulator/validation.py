"""The portal's field rules for client snapshots and portal ids.

Pure functions without any state: they say whether a snapshot the Board sends
is acceptable and, if not, give the German message per field that the portal
answers with.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

SNAPSHOT_FIELDS: tuple[str, ...] = (
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
BOOLEAN_FIELDS: frozenset[str] = frozenset(
    {"is_serviced", "receipt_sync_enabled", "portal_enabled"}
)
REQUIRED_TEXT_FIELDS: frozenset[str] = frozenset({"short_name", "name", "legal_form"})
LENGTH_LIMITED_FIELDS: frozenset[str] = frozenset({"short_name", "name"})
DATE_FIELDS: frozenset[str] = frozenset({"client_since", "client_until"})
MAX_NAME_LENGTH = 200

_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UUID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)

MSG_REQUIRED = "Dieses Feld ist erforderlich."
MSG_EMPTY = "Dieses Feld darf nicht leer sein."
MSG_TOO_LONG = f"Dieses Feld darf höchstens {MAX_NAME_LENGTH} Zeichen lang sein."
MSG_NUMBER = "Erwartet wird eine ganze Zahl ab 1."
MSG_BOOLEAN = "Erwartet wird ein Wahrheitswert (true oder false)."
MSG_TEXT = "Erwartet wird ein Text."
MSG_TEXT_OR_NULL = "Erwartet wird ein Text oder null."
MSG_DATE = "Erwartet wird ein Datum im Format JJJJ-MM-TT oder null."
MSG_NOT_AN_OBJECT = "Erwartet wird ein JSON-Objekt mit den Stammdaten."


def normalize_portal_id(value: object) -> str | None:
    """Return the canonical lowercase UUID string, or None if it is not one.

    Only the hyphenated 36-character form is accepted so that one client
    cannot appear under two spellings.
    """
    if not isinstance(value, str) or not _UUID_PATTERN.match(value):
        return None
    return value.lower()


def is_int(value: object) -> bool:
    # bool is a subclass of int in Python, but true/false is no client number.
    return isinstance(value, int) and not isinstance(value, bool)


def _check_field(name: str, value: object) -> str | None:
    """Return the German error for one present field, or None if it is valid."""
    if name == "number":
        return None if is_int(value) and value >= 1 else MSG_NUMBER
    if name in BOOLEAN_FIELDS:
        return None if isinstance(value, bool) else MSG_BOOLEAN
    if name in REQUIRED_TEXT_FIELDS:
        if not isinstance(value, str):
            return MSG_TEXT
        if not value.strip():
            return MSG_EMPTY
        if name in LENGTH_LIMITED_FIELDS and len(value) > MAX_NAME_LENGTH:
            return MSG_TOO_LONG
        return None
    if value is None:
        return None
    if not isinstance(value, str):
        return MSG_TEXT_OR_NULL
    if name in DATE_FIELDS:
        if not _DATE_PATTERN.match(value):
            return MSG_DATE
        try:
            date.fromisoformat(value)
        except ValueError:
            return MSG_DATE
    return None


def validate_snapshot(data: object) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Check a client snapshot against the portal's rules.

    Returns the fields to store (only the known ones, missing optional fields
    as None) and an empty error dict, or None and the errors per field.
    """
    if not isinstance(data, dict):
        return None, {"__all__": [MSG_NOT_AN_OBJECT]}
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {}
    for name in SNAPSHOT_FIELDS:
        if name not in data:
            required = name == "number" or name in BOOLEAN_FIELDS or name in REQUIRED_TEXT_FIELDS
            if required:
                errors[name] = [MSG_REQUIRED]
            fields[name] = None
            continue
        value = data[name]
        problem = _check_field(name, value)
        if problem:
            errors[name] = [problem]
        fields[name] = value
    if errors:
        return None, errors
    return fields, {}
