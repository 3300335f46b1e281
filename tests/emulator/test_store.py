"""The portal's business rules, checked directly on the Store (no HTTP)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from portalsync.emulator.decisions import WriteRequest
from portalsync.emulator.store import ClientNotFound, InvalidListState, Store
from portalsync.emulator.validation import validate_snapshot
from tests.emulator.helpers import ID_A, ID_B, expected_hash, snapshot


def write(portal_id: str, version: int, data: Any, key: str | None = None) -> WriteRequest:
    return WriteRequest(portal_id, version, key or f"key-{portal_id}-{version}", data)


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


def test_new_client_is_created_with_status_201_in_the_board_list(store: Store) -> None:
    [result] = store.apply([write(ID_A, 1, snapshot())])

    assert (result.status, result.outcome) == (201, "applied")
    assert result.body == {
        "portal_id": ID_A,
        "version": 1,
        "list_state": "offered",
        "content_hash": expected_hash(snapshot()),
    }
    assert json.loads(result.body_text) == result.body


def test_stored_item_has_all_fields_in_the_api_shape(store: Store) -> None:
    store.apply([write(ID_A, 3, snapshot(7, phone="+43 1 234 56"))])

    item = store.get(ID_A)

    assert item is not None
    assert list(item) == [
        "portal_id",
        "version",
        "list_state",
        "content_hash",
        *snapshot(),
        "updated_at",
    ]
    assert {key: item[key] for key in snapshot()} == snapshot(7, phone="+43 1 234 56")
    assert (item["version"], item["list_state"]) == (3, "offered")
    assert item["content_hash"] == expected_hash(snapshot(7, phone="+43 1 234 56"))
    assert item["updated_at"].endswith("Z")


def test_unknown_fields_are_not_stored_and_missing_optional_fields_are_null(store: Store) -> None:
    data = {
        key: value
        for key, value in snapshot().items()
        if key not in ("street", "phone", "client_since")
    }
    data["favourite_colour"] = "grün"

    store.apply([write(ID_A, 1, data)])

    item = store.get(ID_A)
    assert item is not None
    assert "favourite_colour" not in item
    assert (item["street"], item["phone"], item["client_since"]) == (None, None, None)
    assert item["content_hash"] == expected_hash(
        snapshot(street=None, phone=None, client_since=None)
    )


def test_update_with_higher_version_answers_200(store: Store) -> None:
    store.apply([write(ID_A, 1, snapshot())])

    [result] = store.apply([write(ID_A, 5, snapshot(name="Neu GmbH"))])

    assert (result.status, result.body["version"]) == (200, 5)
    item = store.get(ID_A)
    assert item is not None
    assert (item["version"], item["name"]) == (5, "Neu GmbH")


@pytest.mark.parametrize("version", [1, 2])
def test_version_not_newer_is_a_conflict_with_the_stored_version(
    store: Store, version: int
) -> None:
    store.apply([write(ID_A, 2, snapshot())])

    [result] = store.apply([write(ID_A, version, snapshot(name="Älter"), key="other")])

    assert (result.status, result.outcome) == (409, "conflict")
    assert result.body == {"error": "Version ist nicht neuer als die gespeicherte.", "version": 2}
    item = store.get(ID_A)
    assert item is not None
    assert item["name"] == "Klient 1 GmbH"


def test_known_key_replays_the_original_answer_and_changes_nothing(store: Store) -> None:
    [first] = store.apply([write(ID_A, 1, snapshot(), key="k-1")])
    store.apply([write(ID_A, 2, snapshot(name="Zwei"), key="k-2")])

    [again] = store.apply([write(ID_A, 9, snapshot(name="Ignoriert"), key="k-1")])

    assert (again.status, again.outcome, again.replayed) == (201, "deduplicated", True)
    assert again.body_text == first.body_text
    item = store.get(ID_A)
    assert item is not None
    assert (item["version"], item["name"]) == (2, "Zwei")


def test_same_key_for_another_client_is_independent(store: Store) -> None:
    store.apply([write(ID_A, 1, snapshot(), key="shared")])

    [result] = store.apply([write(ID_B, 1, snapshot(2), key="shared")])

    assert (result.status, result.outcome) == (201, "applied")


def test_rejected_and_conflicting_answers_are_not_remembered_as_keys(store: Store) -> None:
    [invalid] = store.apply([write(ID_A, 1, snapshot(name=""), key="k")])
    [fixed] = store.apply([write(ID_A, 1, snapshot(), key="k")])

    assert (invalid.status, fixed.status) == (422, 201)


def test_validation_lists_every_broken_field_in_german() -> None:
    data = snapshot(
        number=0,
        name="",
        short_name="x" * 201,
        legal_form=None,
        is_serviced="ja",
        city=12,
        client_since="01.02.2020",
    )
    del data["portal_enabled"]

    fields, errors = validate_snapshot(data)

    assert fields is None
    assert errors == {
        "number": ["Erwartet wird eine ganze Zahl ab 1."],
        "short_name": ["Dieses Feld darf höchstens 200 Zeichen lang sein."],
        "name": ["Dieses Feld darf nicht leer sein."],
        "legal_form": ["Erwartet wird ein Text."],
        "is_serviced": ["Erwartet wird ein Wahrheitswert (true oder false)."],
        "portal_enabled": ["Dieses Feld ist erforderlich."],
        "client_since": ["Erwartet wird ein Datum im Format JJJJ-MM-TT oder null."],
        "city": ["Erwartet wird ein Text oder null."],
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"number": True}, "number"),
        ({"number": 1.5}, "number"),
        ({"legal_form": "   "}, "legal_form"),
        ({"client_until": "2024-02-30"}, "client_until"),
        ({"receipt_sync_enabled": None}, "receipt_sync_enabled"),
    ],
)
def test_single_invalid_values_are_reported(overrides: dict[str, Any], field: str) -> None:
    fields, errors = validate_snapshot(snapshot(**overrides))

    assert (fields, list(errors)) == (None, [field])


def test_a_non_object_snapshot_is_rejected_as_a_whole(store: Store) -> None:
    [result] = store.apply([write(ID_A, 1, ["kein", "Objekt"])])

    assert (result.status, result.outcome) == (422, "rejected")
    assert result.body == {
        "error": "Ungültige Stammdaten.",
        "fields": {"__all__": ["Erwartet wird ein JSON-Objekt mit den Stammdaten."]},
    }


def test_exactly_200_characters_are_allowed() -> None:
    fields, errors = validate_snapshot(snapshot(name="n" * 200, short_name="s" * 200))

    assert errors == {}
    assert fields is not None and fields["name"] == "n" * 200


def test_forced_rejection_wins_over_valid_data(store: Store) -> None:
    [result] = store.apply(
        [write(ID_A, 1, snapshot())], forced_rejections={ID_A: "Klient gesperrt."}
    )

    assert (result.status, result.outcome) == (422, "rejected")
    assert result.body == {"error": "Klient gesperrt.", "fields": {"__all__": ["Klient gesperrt."]}}
    assert store.get(ID_A) is None


def test_list_states_follow_the_portal_enabled_flag(store: Store) -> None:
    store.apply([write(ID_A, 1, snapshot())])
    assert store.get(ID_A)["list_state"] == "offered"  # type: ignore[index]

    store.create(ID_A)
    assert store.get(ID_A)["list_state"] == "created"  # type: ignore[index]

    store.apply([write(ID_A, 2, snapshot(portal_enabled=False, name="Bleibt"))])
    item = store.get(ID_A)
    assert item is not None
    assert (item["list_state"], item["name"]) == ("inactive", "Bleibt")

    store.apply([write(ID_A, 3, snapshot())])
    assert store.get(ID_A)["list_state"] == "created"  # type: ignore[index]


def test_reenabled_client_that_was_never_created_returns_to_the_board(store: Store) -> None:
    store.apply([write(ID_A, 1, snapshot())])
    store.apply([write(ID_A, 2, snapshot(portal_enabled=False))])

    [result] = store.apply([write(ID_A, 3, snapshot())])

    assert result.body["list_state"] == "offered"


def test_new_client_arriving_disabled_is_inactive(store: Store) -> None:
    [result] = store.apply([write(ID_A, 1, snapshot(portal_enabled=False))])

    assert (result.status, result.body["list_state"]) == (201, "inactive")


def test_create_only_moves_offered_clients(store: Store) -> None:
    store.apply([write(ID_A, 1, snapshot(portal_enabled=False))])

    with pytest.raises(InvalidListState):
        store.create(ID_A)
    with pytest.raises(ClientNotFound):
        store.create(ID_B)


def test_duplicate_ids_in_one_call_are_processed_in_order(store: Store) -> None:
    results = store.apply(
        [
            write(ID_A, 1, snapshot(), key="a"),
            write(ID_A, 2, snapshot(name="Zwei"), key="b"),
            write(ID_A, 2, snapshot(name="Nochmal"), key="c"),
            write(ID_A, 7, snapshot(), key="a"),
        ]
    )

    assert [(r.status, r.outcome) for r in results] == [
        (201, "applied"),
        (200, "applied"),
        (409, "conflict"),
        (201, "deduplicated"),
    ]
    assert results[2].version == 2
    item = store.get(ID_A)
    assert item is not None
    assert (item["version"], item["name"]) == (2, "Zwei")


def test_old_idempotency_keys_are_pruned_but_the_last_20_are_kept(store: Store) -> None:
    for version in range(1, 46):
        store.apply([write(ID_A, version, snapshot(), key=f"k{version}")])

    assert 20 <= store.idempotency_key_count(ID_A) <= 40
    [recent] = store.apply([write(ID_A, 99, snapshot(), key="k26")])
    [forgotten] = store.apply([write(ID_A, 1, snapshot(), key="k1")])
    assert (recent.outcome, recent.body["version"]) == ("deduplicated", 26)
    assert (forgotten.status, forgotten.outcome) == (409, "conflict")


def test_tamper_changes_content_and_hash_but_not_the_version(store: Store) -> None:
    store.apply([write(ID_A, 4, snapshot())])

    item = store.tamper(ID_A, name="Im Portal geändert", city="Graz")

    assert (item["version"], item["name"], item["city"]) == (4, "Im Portal geändert", "Graz")
    assert item["content_hash"] == expected_hash(snapshot(name="Im Portal geändert", city="Graz"))
    with pytest.raises(ValueError, match="Unbekannte Felder: colour"):
        store.tamper(ID_A, colour="rot")
    with pytest.raises(ClientNotFound):
        store.tamper(ID_B, name="x")


def test_delete_forgets_client_and_keys(store: Store) -> None:
    store.apply([write(ID_A, 1, snapshot(), key="k")])

    assert store.delete(ID_A) is True
    assert store.delete(ID_A) is False
    assert store.get(ID_A) is None
    [again] = store.apply([write(ID_A, 1, snapshot(), key="k")])
    assert (again.status, again.outcome) == (201, "applied")


def test_ids_are_case_insensitive(store: Store) -> None:
    store.apply([write(ID_A, 1, snapshot())])

    item = store.get(ID_A.upper())

    assert item is not None and item["portal_id"] == ID_A


def test_all_and_page_order_by_number_then_portal_id(store: Store) -> None:
    ids = sorted(str(uuid.UUID(int=n)) for n in range(1, 4))
    store.apply(
        [
            write(ids[2], 1, snapshot(5)),
            write(ids[1], 1, snapshot(2)),
            write(ids[0], 1, snapshot(5)),
        ]
    )

    assert [(i["number"], i["portal_id"]) for i in store.all()] == [
        (2, ids[1]),
        (5, ids[0]),
        (5, ids[2]),
    ]
    total, page = store.page(2, 2)
    assert (total, [i["portal_id"] for i in page]) == (3, [ids[2]])


def test_password_is_checked_and_never_stored_in_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "portal.sqlite3"
    store = Store(path)

    assert store.has_password() is False
    store.set_password("Geheim-123")
    assert (store.check_password("Geheim-123"), store.check_password("geheim-123")) == (True, False)
    store.close()

    assert b"Geheim-123" not in path.read_bytes()
    reopened = Store(path)
    assert reopened.check_password("Geheim-123") is True
    assert reopened.password_changed_at() is not None
    with pytest.raises(ValueError):
        reopened.set_password("")
    reopened.close()


def test_data_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "portal.sqlite3"
    first = Store(path)
    first.apply([write(ID_A, 3, snapshot(), key="k")])
    first.create(ID_A)
    first.close()

    second = Store(path)

    item = second.get(ID_A)
    assert item is not None
    assert (item["version"], item["list_state"]) == (3, "created")
    [replay] = second.apply([write(ID_A, 3, snapshot(), key="k")])
    assert (replay.status, replay.outcome) == (201, "deduplicated")
    second.close()


def test_reset_keeps_the_password(store: Store) -> None:
    store.set_password("pw")
    store.apply([write(ID_A, 1, snapshot())])

    store.reset()

    assert (store.count(), store.has_password()) == (0, True)


def test_counts_by_list_state(store: Store) -> None:
    store.apply([write(ID_A, 1, snapshot()), write(ID_B, 1, snapshot(portal_enabled=False))])

    assert store.counts_by_list_state() == {"offered": 1, "created": 0, "inactive": 1}
