"""State of the emulated client portal and the transactions around it.

The store applies the Board's snapshots (`apply`, one transaction per
request), the portal-side changes made through the HTML pages and control
endpoints (create, tamper, delete, reset) and the service-account password.
The verdict on one snapshot lives in `decisions`, the field rules in
`validation` and the SQLite queries in `database`; the HTTP layer only
translates between requests and the store.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from portalsync.emulator import database
from portalsync.emulator.database import ClientRow, Database
from portalsync.emulator.decisions import (
    WriteRequest,
    WriteResult,
    canonical_json,
    content_hash,
    decide,
)
from portalsync.emulator.validation import (
    SNAPSHOT_FIELDS,
    is_int,
    normalize_portal_id,
    validate_snapshot,
)

LIST_STATES: tuple[str, ...] = ("offered", "created", "inactive")

# The portal promises to remember at least the last 20 keys per client. Pruning
# only once twice as many have piled up keeps the hot path free of deletes.
KEYS_KEPT_PER_CLIENT = 20
KEYS_PRUNE_THRESHOLD = 2 * KEYS_KEPT_PER_CLIENT


class ClientNotFound(KeyError):
    """Raised when a portal_id is not known to the portal."""


class InvalidListState(ValueError):
    """Raised when a list transition is not allowed from the current state."""


def utc_now() -> str:
    """Timestamp format used for updated_at and settings."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    """SQLite-backed state of the emulated portal, safe to share between threads."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._db = Database(self.path)
        with self._db.reading() as db:
            self._password: tuple[str, str] | None = database.password_hash(db)

    def close(self) -> None:
        self._db.close()

    # -- service-account password --------------------------------------

    @staticmethod
    def _hash_password(salt: str, password: str) -> str:
        # A salted sha256 keeps the password out of the database file while
        # staying cheap enough to check on every API request.
        return hashlib.sha256((salt + password).encode("utf-8")).hexdigest()

    def set_password(self, password: str) -> None:
        """Set the service-account password the Board has to authenticate with."""
        if not isinstance(password, str) or not password:
            raise ValueError("Das Passwort darf nicht leer sein.")
        salt = secrets.token_hex(16)
        digest = self._hash_password(salt, password)
        with self._db.transaction() as db:
            database.save_password_hash(db, salt, digest, utc_now())
            self._password = (salt, digest)

    def clear_password(self) -> None:
        """Remove the password; the API then refuses every call."""
        with self._db.transaction() as db:
            database.delete_password(db)
            self._password = None

    def has_password(self) -> bool:
        return self._password is not None

    def password_changed_at(self) -> str | None:
        with self._db.reading() as db:
            return database.password_changed_at(db)

    def check_password(self, password: str) -> bool:
        stored = self._password
        if stored is None:
            return False
        salt, digest = stored
        return hmac.compare_digest(self._hash_password(salt, password), digest)

    # -- reading ----------------------------------------------------------

    def count(self) -> int:
        with self._db.reading() as db:
            return database.count_clients(db)

    def get(self, portal_id: str) -> dict[str, Any] | None:
        """The client as the API lists it, or None if unknown."""
        normalized = normalize_portal_id(portal_id)
        if normalized is None:
            return None
        with self._db.reading() as db:
            return database.item_by_id(db, normalized)

    def all(self) -> list[dict[str, Any]]:
        """All clients ordered by number, then portal_id."""
        with self._db.reading() as db:
            return database.all_items(db)

    def page(self, page: int, page_size: int) -> tuple[int, list[dict[str, Any]]]:
        """Total count and one page of clients (pages start at 1)."""
        offset = (page - 1) * page_size
        # Count and page are read under one lock so that they agree.
        with self._db.reading() as db:
            return database.count_clients(db), database.item_page(db, page_size, offset)

    def by_list_state(self, list_state: str, limit: int) -> list[dict[str, Any]]:
        with self._db.reading() as db:
            return database.items_by_state(db, list_state, limit)

    def counts_by_list_state(self) -> dict[str, int]:
        counts = dict.fromkeys(LIST_STATES, 0)
        with self._db.reading() as db:
            counts.update(database.counts_by_state(db))
        return counts

    def idempotency_key_count(self, portal_id: str) -> int:
        """How many keys are remembered for a client (used by tests)."""
        with self._db.reading() as db:
            return database.key_count(db, portal_id.lower())

    # -- portal-side changes ---------------------------------------------

    def create(self, portal_id: str) -> dict[str, Any]:
        """Create an offered client in the portal (the "Board" list -> "Portal" list)."""
        normalized = self._require_id(portal_id)
        with self._db.transaction() as db:
            state = database.list_state_of(db, normalized)
            if state is None:
                raise ClientNotFound(portal_id)
            if state != "offered":
                raise InvalidListState(
                    f"Der Klient ist nicht im Board angeboten (Status: {state})."
                )
            database.mark_created(db, normalized, utc_now())
        return self._get_existing(normalized)

    def tamper(self, portal_id: str, /, **fields: Any) -> dict[str, Any]:
        """Change stored data behind the Board's back, as a portal user would.

        The version is deliberately left alone so that the Board can only
        notice the drift by comparing content. The content hash is recomputed
        because it always describes what the portal actually stores.
        Besides snapshot fields, `list_state` and `version` may be forced.
        """
        normalized = self._require_id(portal_id)
        allowed = set(SNAPSHOT_FIELDS) | {"list_state", "version"}
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise ValueError(f"Unbekannte Felder: {', '.join(unknown)}")
        if "list_state" in fields and fields["list_state"] not in LIST_STATES:
            raise ValueError(f"Unbekannter Listenstatus: {fields['list_state']}")
        if "version" in fields and not (is_int(fields["version"]) and fields["version"] >= 1):
            raise ValueError("Die Version muss eine ganze Zahl ab 1 sein.")
        if "number" in fields and not is_int(fields["number"]):
            raise ValueError("Die Klientennummer muss eine ganze Zahl sein.")
        with self._db.transaction() as db:
            client = database.client_by_id(db, normalized)
            if client is None:
                raise ClientNotFound(portal_id)
            data = json.loads(client.data)
            for name in SNAPSHOT_FIELDS:
                if name in fields:
                    data[name] = fields[name]
            client.data = canonical_json(data)
            client.content_hash = content_hash(data)
            client.number = data["number"]
            client.version = fields.get("version", client.version)
            client.list_state = fields.get("list_state", client.list_state)
            client.ever_created = client.ever_created or client.list_state == "created"
            client.updated_at = utc_now()
            database.upsert_clients(db, [client])
        return self._get_existing(normalized)

    def delete(self, portal_id: str) -> bool:
        """Remove a client and its idempotency keys; True if it existed."""
        normalized = normalize_portal_id(portal_id)
        if normalized is None:
            return False
        with self._db.transaction() as db:
            return database.delete_client(db, normalized)

    def reset(self) -> None:
        """Forget all clients and idempotency keys; the password stays."""
        with self._db.transaction() as db:
            database.delete_all_clients(db)

    def _require_id(self, portal_id: str) -> str:
        normalized = normalize_portal_id(portal_id)
        if normalized is None:
            raise ClientNotFound(portal_id)
        return normalized

    def _get_existing(self, portal_id: str) -> dict[str, Any]:
        item = self.get(portal_id)
        if item is None:  # pragma: no cover - only if deleted concurrently
            raise ClientNotFound(portal_id)
        return item

    # -- the sync rules ----------------------------------------------------

    def apply(
        self,
        writes: Sequence[WriteRequest],
        forced_rejections: Mapping[str, str] | None = None,
    ) -> list[WriteResult]:
        """Decide about and persist a sequence of snapshots in one transaction.

        Items are processed strictly in order, so a portal_id that appears
        twice sees the effect of its earlier occurrence.
        """
        forced = forced_rejections or {}
        # Validation is pure and runs outside the lock so that concurrent
        # requests only serialise on the database work.
        checked = [(write, *validate_snapshot(write.data)) for write in writes]
        now = utc_now()
        with self._db.transaction() as db:
            ids = list(dict.fromkeys(write.portal_id for write in writes))
            clients = database.clients_by_ids(db, ids)
            seen_keys = database.stored_answers(
                db, ((write.portal_id, write.idempotency_key) for write in writes)
            )
            new_keys: list[tuple[str, str, int, str]] = []
            dirty: dict[str, ClientRow] = {}
            results: list[WriteResult] = []
            for write, fields, errors in checked:
                result = decide(write, fields, errors, clients, seen_keys, forced, now)
                results.append(result)
                if result.outcome == "applied":
                    client = clients[write.portal_id]
                    client.key_count += 1
                    dirty[write.portal_id] = client
                    seen_keys[(write.portal_id, write.idempotency_key)] = (
                        result.status,
                        result.body_text,
                    )
                    new_keys.append(
                        (write.portal_id, write.idempotency_key, result.status, result.body_text)
                    )
            if dirty:
                database.upsert_clients(db, list(dirty.values()))
                database.insert_answers(db, new_keys)
                database.prune_keys(
                    db,
                    [
                        client
                        for client in dirty.values()
                        if client.key_count > KEYS_PRUNE_THRESHOLD
                    ],
                    KEYS_KEPT_PER_CLIENT,
                )
        return results
