"""SQLite persistence of the portal emulator: schema, connection and every query.

Nothing here decides anything; the functions read and write rows for the
store, which holds the portal's rules. Each query function takes the
connection handed out by `Database.reading()` or `Database.transaction()`, so
the store chooses which statements share one lock or one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portalsync.emulator.validation import SNAPSHOT_FIELDS

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
_SQL_PRUNE_KEYS = """
    DELETE FROM idempotency_keys WHERE portal_id = ? AND seq NOT IN (
        SELECT seq FROM idempotency_keys WHERE portal_id = ? ORDER BY seq DESC LIMIT ?
    )
"""


@dataclass
class ClientRow:
    """One row of the clients table, changed in place while a write is decided."""

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


class Database:
    """One SQLite connection shared by all handler threads, behind a lock."""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by all handler threads; the lock serialises
        # access, which is simpler and faster than a connection per thread.
        self._lock = threading.RLock()
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if path != ":memory:":
            self._connection.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable enough for an emulator and keeps commits cheap.
            self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.executescript(_SCHEMA)

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection for reads, held exclusively until the block ends."""
        with self._lock:
            yield self._connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside BEGIN … COMMIT; any exception rolls back."""
        with self._lock:
            self._connection.execute("BEGIN")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._connection.close()


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


# -- clients as the API lists them ------------------------------------------


def count_clients(db: sqlite3.Connection) -> int:
    return db.execute("SELECT COUNT(*) FROM clients").fetchone()[0]


def item_by_id(db: sqlite3.Connection, portal_id: str) -> dict[str, Any] | None:
    row = db.execute(_SQL_ITEM_BY_ID, (portal_id,)).fetchone()
    return _row_to_item(row) if row else None


def all_items(db: sqlite3.Connection) -> list[dict[str, Any]]:
    return [_row_to_item(row) for row in db.execute(_SQL_ALL_ITEMS).fetchall()]


def item_page(db: sqlite3.Connection, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = db.execute(_SQL_ITEM_PAGE, (limit, offset)).fetchall()
    return [_row_to_item(row) for row in rows]


def items_by_state(db: sqlite3.Connection, list_state: str, limit: int) -> list[dict[str, Any]]:
    rows = db.execute(_SQL_ITEMS_BY_STATE, (list_state, limit)).fetchall()
    return [_row_to_item(row) for row in rows]


def counts_by_state(db: sqlite3.Connection) -> dict[str, int]:
    """Clients per list state; states without clients are missing."""
    return dict(db.execute("SELECT list_state, COUNT(*) FROM clients GROUP BY list_state"))


# -- client rows for writing ----------------------------------------------------


def client_by_id(db: sqlite3.Connection, portal_id: str) -> ClientRow | None:
    row = db.execute(_SQL_CLIENT_BY_ID, (portal_id,)).fetchone()
    return _client_row(row) if row else None


def clients_by_ids(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, ClientRow]:
    # The ids travel as one JSON array parameter, which sidesteps SQLite's
    # limit on bound parameters for batches of any size.
    rows = db.execute(_SQL_CLIENTS_BY_IDS, (json.dumps(list(ids)),))
    clients = (_client_row(row) for row in rows)
    return {client.portal_id: client for client in clients}


def _client_row(row: Sequence[Any]) -> ClientRow:
    client = ClientRow(*row)
    client.ever_created = bool(client.ever_created)
    return client


def list_state_of(db: sqlite3.Connection, portal_id: str) -> str | None:
    """The client's list state, or None if it is unknown."""
    row = db.execute("SELECT list_state FROM clients WHERE portal_id = ?", (portal_id,)).fetchone()
    return row[0] if row else None


def upsert_clients(db: sqlite3.Connection, clients: Sequence[ClientRow]) -> None:
    db.executemany(_SQL_UPSERT_CLIENT, [client.as_params() for client in clients])


def mark_created(db: sqlite3.Connection, portal_id: str, now: str) -> None:
    db.execute(_SQL_MARK_CREATED, (now, portal_id))


def delete_client(db: sqlite3.Connection, portal_id: str) -> bool:
    """Remove a client and its idempotency keys; True if it existed."""
    deleted = db.execute("DELETE FROM clients WHERE portal_id = ?", (portal_id,)).rowcount
    db.execute("DELETE FROM idempotency_keys WHERE portal_id = ?", (portal_id,))
    return deleted > 0


def delete_all_clients(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM clients")
    db.execute("DELETE FROM idempotency_keys")


# -- idempotency keys -------------------------------------------------------------


def stored_answers(
    db: sqlite3.Connection, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, str]]:
    """Status and body text remembered per (portal_id, key); unknown pairs are missing."""
    # Point lookups on the (portal_id, key) unique index stay cheap no
    # matter how many older keys a client has accumulated.
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for pair in dict.fromkeys(pairs):
        row = db.execute(_SQL_KEY, pair).fetchone()
        if row is not None:
            found[pair] = (row[0], row[1])
    return found


def insert_answers(db: sqlite3.Connection, answers: Sequence[tuple[str, str, int, str]]) -> None:
    """Remember (portal_id, key, status, body text) rows for later replays."""
    db.executemany(_SQL_INSERT_KEY, answers)


def prune_keys(db: sqlite3.Connection, clients: Sequence[ClientRow], keep: int) -> None:
    """Keep only the newest `keep` keys of each client."""
    for client in clients:
        db.execute(_SQL_PRUNE_KEYS, (client.portal_id, client.portal_id, keep))
        client.key_count = keep
        db.execute("UPDATE clients SET key_count = ? WHERE portal_id = ?", (keep, client.portal_id))


def key_count(db: sqlite3.Connection, portal_id: str) -> int:
    return db.execute(
        "SELECT COUNT(*) FROM idempotency_keys WHERE portal_id = ?", (portal_id,)
    ).fetchone()[0]


# -- service-account password -------------------------------------------------------


def password_hash(db: sqlite3.Connection) -> tuple[str, str] | None:
    """The stored (salt, hash), or None if no password is set."""
    rows = dict(
        db.execute("SELECT name, value FROM settings WHERE name LIKE 'password_%'").fetchall()
    )
    if "password_hash" in rows and "password_salt" in rows:
        return rows["password_salt"], rows["password_hash"]
    return None


def save_password_hash(db: sqlite3.Connection, salt: str, digest: str, changed_at: str) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
        [
            ("password_salt", salt),
            ("password_hash", digest),
            ("password_changed_at", changed_at),
        ],
    )


def delete_password(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM settings WHERE name LIKE 'password_%'")


def password_changed_at(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE name = 'password_changed_at'").fetchone()
    return row[0] if row else None
