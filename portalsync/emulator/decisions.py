"""How the portal decides about one incoming client snapshot.

Pure functions over rows already loaded: idempotency replay, forced and
validation rejections, version conflicts and the list state a client lands
in. The store loads the rows, calls `decide` once per snapshot in order and
persists whatever it changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portalsync.emulator.database import ClientRow

MSG_INVALID_DATA = "Ungültige Stammdaten."
MSG_VERSION_CONFLICT = "Version ist nicht neuer als die gespeicherte."


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


def canonical_json(fields: Mapping[str, Any]) -> str:
    """Serialise stored fields the one way the content hash is defined on."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(fields: Mapping[str, Any]) -> str:
    """sha256 over the canonical JSON of the stored known fields."""
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


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


def _dump(body: Mapping[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def decide(
    write: WriteRequest,
    fields: dict[str, Any] | None,
    errors: dict[str, list[str]],
    clients: dict[str, ClientRow],
    seen_keys: dict[tuple[str, str], tuple[int, str]],
    forced: Mapping[str, str],
    now: str,
) -> WriteResult:
    """Apply the portal's rules to one snapshot, in the documented order.

    `fields` and `errors` are what `validate_snapshot` made of `write.data`.
    An applied snapshot changes (or adds) its row in `clients`; the caller
    persists it and remembers the answer in `seen_keys`.
    """
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
        return _refusal(
            portal_id,
            422,
            "rejected",
            {"error": message, "fields": {"__all__": [message]}},
            current,
        )
    if fields is None:
        return _refusal(
            portal_id, 422, "rejected", {"error": MSG_INVALID_DATA, "fields": errors}, current
        )
    if current is not None and write.version <= current.version:
        body = {"error": MSG_VERSION_CONFLICT, "version": current.version}
        return _refusal(portal_id, 409, "conflict", body, current)

    state = next_list_state(
        current.list_state if current else None,
        bool(current and current.ever_created),
        fields["portal_enabled"],
    )
    data_text = canonical_json(fields)
    hash_value = hashlib.sha256(data_text.encode("utf-8")).hexdigest()
    if current is None:
        status = 201
        clients[portal_id] = ClientRow(
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


def _refusal(
    portal_id: str,
    status: int,
    outcome: str,
    body: dict[str, Any],
    current: ClientRow | None,
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
