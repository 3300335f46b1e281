"""Persistent storage and business rules of the emulated client portal.

The store is the only place that knows how the portal decides about an
incoming client snapshot: idempotency replay, validation, version conflicts
and the list state ("offered", "created", "inactive"). The HTTP layer only
translates between requests and these decisions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
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

LIST_STATES: tuple[str, ...] = ("offered", "created", "inactive")

# The portal promises to remember at least the last 20 keys per client. Pruning
# only once twice as many have piled up keeps the hot path free of deletes.
KEYS_KEPT_PER_CLIENT = 20
KEYS_PRUNE_THRESHOLD = 2 * KEYS_KEPT_PER_CLIENT

_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UUID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)

MSG_INVALID_DATA = "Ungültige Stammdaten."
MSG_VERSION_CONFLICT = "Version ist nicht neuer als die gespeicherte."
MSG_REQUIRED = "Dieses Feld ist erforderlich."
MSG_EMPTY = "Dieses Feld darf nicht leer sein."
MSG_TOO_LONG = f"Dieses Feld darf höchstens {MAX_NAME_LENGTH} Zeichen lang sein."
MSG_NUMBER = "Erwartet wird eine ganze Zahl ab 1."
MSG_BOOLEAN = "Erwartet wird ein Wahrheitswert (true oder false)."
MSG_TEXT = "Erwartet wird ein Text."
MSG_TEXT_OR_NULL = "Erwartet wird ein Text oder null."
MSG_DATE = "Erwartet wird ein Datum im Format JJJJ-MM-TT oder null."
MSG_NOT_AN_OBJECT = "Erwartet wird ein JSON-Objekt mit den Stammdaten."

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    portal_id TEXT PRIMARY KEY,
    number INTEGER NOT NULL,
    version INTEGER NOT NULL,
    list_state TEXT NOT NULL,
    ever_created INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    key_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS clients_by_number ON clients (number, portal_id);
CREATE INDEX IF NOT EXISTS clients_by_state ON clients (list_state, number, portal_id);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    seq INTEGER PRIMARY KEY,
    portal_id TEXT NOT NULL,
    key TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (portal_id, key)
);
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# The queries are spelled out in full (no string building) so that every
# statement is visible at a glance and only values are ever bound.
_SQL_ITEM_BY_ID = (
    "SELECT portal_id, version, list_state, content_hash, data, updated_at"
    " FROM clients WHERE portal_id = ?"
)
_SQL_ALL_ITEMS = (
    "SELECT portal_id, version, list_state, content_hash, data, updated_at"
    " FROM clients ORDER BY number, portal_id"
)
_SQL_ITEM_PAGE = (
    "SELECT portal_id, version, list_state, content_hash, data, updated_at"
    " FROM clients ORDER BY number, portal_id LIMIT ? OFFSET ?"
)
_SQL_ITEMS_BY_STATE = (
    "SELECT portal_id, version, list_state, content_hash, data, updated_at"
    " FROM clients WHERE list_state = ? ORDER BY number, portal_id LIMIT ?"
)
_SQL_CLIENT_BY_ID = (
    "SELECT portal_id, number, version, list_state, ever_created, content_hash, data,"
    " updated_at, key_count FROM clients WHERE portal_id = ?"
)
_SQL_CLIENTS_BY_IDS = (
    "SELECT portal_id, number, version, list_state, ever_created, content_hash, data,"
    " updated_at, key_count FROM clients WHERE portal_id IN (SELECT value FROM json_each(?))"
)
_SQL_UPSERT_CLIENT = """
    INSERT INTO clients (
        portal_id, number, version, list_state, ever_created, content_hash, data,
        updated_at, key_count
    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (portal_id) DO UPDATE SET
        number = excluded.number,
        version = excluded.version,
        list_state = excluded.list_state,
        ever_created = excluded.ever_created,
        content_hash = excluded.content_hash,
        data = excluded.data,
        updated_at = excluded.updated_at,
        key_count = excluded.key_count
"""
_SQL_INSERT_KEY = (
    "INSERT OR REPLACE INTO idempotency_keys (portal_id, key, status, body) VALUES (?, ?, ?, ?)"
)
_SQL_KEY = "SELECT status, body FROM idempotency_keys WHERE portal_id = ? AND key = ?"
_SQL_MARK_CREATED = (
    "UPDATE clients SET list_state = 'created', ever_created = 1, updated_at = ?"
    " WHERE portal_id = ?"
)


class ClientNotFound(KeyError):
    """Raised when a portal_id is not known to the portal."""


class InvalidListState(ValueError):
    """Raised when a list transition is not allowed from the current state."""


def normalize_portal_id(value: object) -> str | None:
    """Return the canonical lowercase UUID string, or None if it is not one.

    Only the hyphenated 36-character form is accepted so that one client
    cannot appear under two spellings.
    """
    if not isinstance(value, str) or not _UUID_PATTERN.match(value):
        return None
    return value.lower()


def canonical_json(fields: Mapping[str, Any]) -> str:
    """Serialise stored fields the one way the content hash is defined on."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(fields: Mapping[str, Any]) -> str:
    """sha256 over the canonical JSON of the stored known fields."""
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def utc_now() -> str:
    """Timestamp format used for updated_at and settings."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_int(value: object) -> bool:
    # bool is a subclass of int in Python, but true/false is no client number.
    return isinstance(value, int) and not isinstance(value, bool)


def _check_field(name: str, value: object) -> str | None:
    """Return the German error for one present field, or None if it is valid."""
    if name == "number":
        return None if _is_int(value) and value >= 1 else MSG_NUMBER
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


def next_list_state(current_state: str | None, ever_created: bool, portal_enabled: bool) -> str:
    """Where a client lands in the portal's lists after an accepted snapshot."""
    if not portal_enabled:
        # The portal never deletes a client the Board disables; it only hides it.
        return "inactive"
    if current_state is None:
        return "offered"
    if current_state == "inactive":
        return "created" if ever_created else "offered"
    return current_state


@dataclass(frozen=True)
class WriteRequest:
    """One client snapshot the Board wants to apply (a PUT or a batch item)."""

    portal_id: str
    version: int
    idempotency_key: str
    data: object


@dataclass(frozen=True)
class WriteResult:
    """The portal's decision about one WriteRequest.

    `body` is the JSON body a single PUT answers with; `body_text` is its exact
    serialisation so that a replay can answer byte for byte identically.
    `version`, `list_state` and `content_hash` describe the stored client as
    far as it exists (None for unknown clients).
    """

    portal_id: str
    status: int
    outcome: str
    body: dict[str, Any]
    body_text: str
    version: int | None
    list_state: str | None
    content_hash: str | None
    replayed: bool = False


@dataclass
class _ClientRow:
    portal_id: str
    number: int
    version: int
    list_state: str
    ever_created: bool
    content_hash: str
    data: str
    updated_at: str
    key_count: int

    def as_params(self) -> tuple[Any, ...]:
        return (
            self.portal_id,
            self.number,
            self.version,
            self.list_state,
            int(self.ever_created),
            self.content_hash,
            self.data,
            self.updated_at,
            self.key_count,
        )


def _row_to_item(row: Sequence[Any]) -> dict[str, Any]:
    portal_id, version, list_state, hash_value, data_text, updated_at = row
    data = json.loads(data_text)
    item: dict[str, Any] = {
        "portal_id": portal_id,
        "version": version,
        "list_state": list_state,
        "content_hash": hash_value,
    }
    for name in SNAPSHOT_FIELDS:
        item[name] = data.get(name)
    item["updated_at"] = updated_at
    return item


def _dump(body: Mapping[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class Store:
    """SQLite-backed state of the emulated portal, safe to share between threads."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by all handler threads; the lock serialises
        # access, which is simpler and faster than a connection per thread.
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable enough for an emulator and keeps commits cheap.
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._password: tuple[str, str] | None = self._load_password()

    # -- infrastructure -------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- service-account password --------------------------------------

    def _load_password(self) -> tuple[str, str] | None:
        rows = dict(
            self._db.execute(
                "SELECT name, value FROM settings WHERE name LIKE 'password_%'"
            ).fetchall()
        )
        if "password_hash" in rows and "password_salt" in rows:
            return rows["password_salt"], rows["password_hash"]
        return None

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
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
                [
                    ("password_salt", salt),
                    ("password_hash", digest),
                    ("password_changed_at", utc_now()),
                ],
            )
            self._password = (salt, digest)

    def clear_password(self) -> None:
        """Remove the password; the API then refuses every call."""
        with self._transaction() as db:
            db.execute("DELETE FROM settings WHERE name LIKE 'password_%'")
            self._password = None

    def has_password(self) -> bool:
        return self._password is not None

    def password_changed_at(self) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM settings WHERE name = 'password_changed_at'"
            ).fetchone()
        return row[0] if row else None

    def check_password(self, password: str) -> bool:
        stored = self._password
        if stored is None:
            return False
        salt, digest = stored
        return hmac.compare_digest(self._hash_password(salt, password), digest)

    # -- reading ----------------------------------------------------------

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM clients").fetchone()[0]

    def get(self, portal_id: str) -> dict[str, Any] | None:
        """The client as the API lists it, or None if unknown."""
        normalized = normalize_portal_id(portal_id)
        if normalized is None:
            return None
        with self._lock:
            row = self._db.execute(_SQL_ITEM_BY_ID, (normalized,)).fetchone()
        return _row_to_item(row) if row else None

    def all(self) -> list[dict[str, Any]]:
        """All clients ordered by number, then portal_id."""
        with self._lock:
            rows = self._db.execute(_SQL_ALL_ITEMS).fetchall()
        return [_row_to_item(row) for row in rows]

    def page(self, page: int, page_size: int) -> tuple[int, list[dict[str, Any]]]:
        """Total count and one page of clients (pages start at 1)."""
        offset = (page - 1) * page_size
        with self._lock:
            total = self._db.execute("SELECT COUNT(*) FROM clients").fetchone()[0]
            rows = self._db.execute(
                _SQL_ITEM_PAGE,
                (page_size, offset),
            ).fetchall()
        return total, [_row_to_item(row) for row in rows]

    def by_list_state(self, list_state: str, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                _SQL_ITEMS_BY_STATE,
                (list_state, limit),
            ).fetchall()
        return [_row_to_item(row) for row in rows]

    def counts_by_list_state(self) -> dict[str, int]:
        counts = dict.fromkeys(LIST_STATES, 0)
        with self._lock:
            for state, amount in self._db.execute(
                "SELECT list_state, COUNT(*) FROM clients GROUP BY list_state"
            ):
                counts[state] = amount
        return counts

    # -- portal-side changes ---------------------------------------------

    def create(self, portal_id: str) -> dict[str, Any]:
        """Create an offered client in the portal (the "Board" list -> "Portal" list)."""
        normalized = self._require_id(portal_id)
        with self._transaction() as db:
            row = db.execute(
                "SELECT list_state FROM clients WHERE portal_id = ?", (normalized,)
            ).fetchone()
            if row is None:
                raise ClientNotFound(portal_id)
            if row[0] != "offered":
                raise InvalidListState(
                    f"Der Klient ist nicht im Board angeboten (Status: {row[0]})."
                )
            db.execute(
                _SQL_MARK_CREATED,
                (utc_now(), normalized),
            )
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
        if "version" in fields and not (_is_int(fields["version"]) and fields["version"] >= 1):
            raise ValueError("Die Version muss eine ganze Zahl ab 1 sein.")
        if "number" in fields and not _is_int(fields["number"]):
            raise ValueError("Die Klientennummer muss eine ganze Zahl sein.")
        with self._transaction() as db:
            row = db.execute(_SQL_CLIENT_BY_ID, (normalized,)).fetchone()
            if row is None:
                raise ClientNotFound(portal_id)
            client = _ClientRow(*row)
            data = json.loads(client.data)
            for name in SNAPSHOT_FIELDS:
                if name in fields:
                    data[name] = fields[name]
            client.data = canonical_json(data)
            client.content_hash = content_hash(data)
            client.number = data["number"]
            client.version = fields.get("version", client.version)
            client.list_state = fields.get("list_state", client.list_state)
            client.ever_created = bool(client.ever_created) or client.list_state == "created"
            client.updated_at = utc_now()
            self._upsert(db, [client])
        return self._get_existing(normalized)

    def delete(self, portal_id: str) -> bool:
        """Remove a client and its idempotency keys; True if it existed."""
        normalized = normalize_portal_id(portal_id)
        if normalized is None:
            return False
        with self._transaction() as db:
            deleted = db.execute("DELETE FROM clients WHERE portal_id = ?", (normalized,)).rowcount
            db.execute("DELETE FROM idempotency_keys WHERE portal_id = ?", (normalized,))
        return deleted > 0

    def reset(self) -> None:
        """Forget all clients and idempotency keys; the password stays."""
        with self._transaction() as db:
            db.execute("DELETE FROM clients")
            db.execute("DELETE FROM idempotency_keys")

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
        with self._transaction() as db:
            ids = list(dict.fromkeys(write.portal_id for write in writes))
            clients = self._load_clients(db, ids)
            seen_keys = self._load_keys(db, writes)
            new_keys: list[tuple[str, str, int, str]] = []
            dirty: dict[str, _ClientRow] = {}
            results: list[WriteResult] = []
            for write, fields, errors in checked:
                result = self._decide(write, fields, errors, clients, seen_keys, forced, now)
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
                self._upsert(db, list(dirty.values()))
                db.executemany(
                    _SQL_INSERT_KEY,
                    new_keys,
                )
                self._prune_keys(
                    db,
                    [
                        client
                        for client in dirty.values()
                        if client.key_count > KEYS_PRUNE_THRESHOLD
                    ],
                )
        return results

    def _decide(
        self,
        write: WriteRequest,
        fields: dict[str, Any] | None,
        errors: dict[str, list[str]],
        clients: dict[str, _ClientRow],
        seen_keys: dict[tuple[str, str], tuple[int, str]],
        forced: Mapping[str, str],
        now: str,
    ) -> WriteResult:
        """Apply the portal's rules to one snapshot, in the documented order."""
        portal_id = write.portal_id
        current = clients.get(portal_id)
        replay = seen_keys.get((portal_id, write.idempotency_key))
        if replay is not None:
            status, body_text = replay
            body = json.loads(body_text)
            return WriteResult(
                portal_id,
                status,
                "deduplicated",
                body,
                body_text,
                body.get("version"),
                body.get("list_state"),
                body.get("content_hash"),
                replayed=True,
            )
        if portal_id in forced:
            message = forced[portal_id]
            return self._refusal(
                portal_id,
                422,
                "rejected",
                {"error": message, "fields": {"__all__": [message]}},
                current,
            )
        if fields is None:
            return self._refusal(
                portal_id, 422, "rejected", {"error": MSG_INVALID_DATA, "fields": errors}, current
            )
        if current is not None and write.version <= current.version:
            body = {"error": MSG_VERSION_CONFLICT, "version": current.version}
            return self._refusal(portal_id, 409, "conflict", body, current)

        state = next_list_state(
            current.list_state if current else None,
            bool(current and current.ever_created),
            fields["portal_enabled"],
        )
        data_text = canonical_json(fields)
        hash_value = hashlib.sha256(data_text.encode("utf-8")).hexdigest()
        if current is None:
            status = 201
            clients[portal_id] = _ClientRow(
                portal_id,
                fields["number"],
                write.version,
                state,
                False,
                hash_value,
                data_text,
                now,
                0,
            )
        else:
            status = 200
            current.number = fields["number"]
            current.version = write.version
            current.list_state = state
            current.content_hash = hash_value
            current.data = data_text
            current.updated_at = now
        body = {
            "portal_id": portal_id,
            "version": write.version,
            "list_state": state,
            "content_hash": hash_value,
        }
        return WriteResult(
            portal_id, status, "applied", body, _dump(body), write.version, state, hash_value
        )

    @staticmethod
    def _refusal(
        portal_id: str,
        status: int,
        outcome: str,
        body: dict[str, Any],
        current: _ClientRow | None,
    ) -> WriteResult:
        return WriteResult(
            portal_id,
            status,
            outcome,
            body,
            _dump(body),
            current.version if current else None,
            current.list_state if current else None,
            current.content_hash if current else None,
        )

    @staticmethod
    def _load_clients(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, _ClientRow]:
        # The ids travel as one JSON array parameter, which sidesteps SQLite's
        # limit on bound parameters for batches of any size.
        clients: dict[str, _ClientRow] = {}
        for row in db.execute(_SQL_CLIENTS_BY_IDS, (json.dumps(list(ids)),)):
            client = _ClientRow(*row)
            client.ever_created = bool(client.ever_created)
            clients[client.portal_id] = client
        return clients

    @staticmethod
    def _load_keys(
        db: sqlite3.Connection, writes: Sequence[WriteRequest]
    ) -> dict[tuple[str, str], tuple[int, str]]:
        # Point lookups on the (portal_id, key) unique index stay cheap no
        # matter how many older keys a client has accumulated.
        found: dict[tuple[str, str], tuple[int, str]] = {}
        for pair in dict.fromkeys((write.portal_id, write.idempotency_key) for write in writes):
            row = db.execute(_SQL_KEY, pair).fetchone()
            if row is not None:
                found[pair] = (row[0], row[1])
        return found

    @staticmethod
    def _upsert(db: sqlite3.Connection, clients: Sequence[_ClientRow]) -> None:
        db.executemany(_SQL_UPSERT_CLIENT, [client.as_params() for client in clients])

    @staticmethod
    def _prune_keys(db: sqlite3.Connection, clients: Sequence[_ClientRow]) -> None:
        for client in clients:
            db.execute(
                """
                DELETE FROM idempotency_keys WHERE portal_id = ? AND seq NOT IN (
                    SELECT seq FROM idempotency_keys WHERE portal_id = ? ORDER BY seq DESC LIMIT ?
                )
                """,
                (client.portal_id, client.portal_id, KEYS_KEPT_PER_CLIENT),
            )
            client.key_count = KEYS_KEPT_PER_CLIENT
            db.execute(
                "UPDATE clients SET key_count = ? WHERE portal_id = ?",
                (KEYS_KEPT_PER_CLIENT, client.portal_id),
            )

    def idempotency_key_count(self, portal_id: str) -> int:
        """How many keys are remembered for a client (used by tests)."""
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(*) FROM idempotency_keys WHERE portal_id = ?", (portal_id.lower(),)
            ).fetchone()[0]
