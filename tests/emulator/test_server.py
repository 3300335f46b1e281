"""The portal emulator over real HTTP on loopback, talked to with `requests`."""

from __future__ import annotations

import http.client
import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from clients.enums import LegalForm
from portalsync.emulator import EmulatorServer
from portalsync.emulator.pages import LEGAL_FORM_LABELS
from tests.emulator.helpers import ID_A, ID_B, expected_hash, snapshot

PASSWORD = "Portal-Passwort-1"
ID_C = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"
INVALID_DATA = "Ungültige Stammdaten."
CONFLICT = "Version ist nicht neuer als die gespeicherte."


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    emulator = EmulatorServer(host="127.0.0.1", port=0, data_path=":memory:", password=PASSWORD)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def api(server: EmulatorServer) -> Iterator[requests.Session]:
    session = requests.Session()
    session.auth = ("service", PASSWORD)
    yield session
    session.close()


def put(
    session: requests.Session,
    server: EmulatorServer,
    portal_id: str,
    version: int,
    data: Any,
    key: str | None = None,
    timeout: float = 5.0,
) -> requests.Response:
    return session.put(
        f"{server.url}/api/v1/clients/{portal_id}",
        json=data,
        headers={"X-Sync-Version": str(version), "Idempotency-Key": key or f"k-{version}"},
        timeout=timeout,
    )


def batch(session: requests.Session, server: EmulatorServer, items: list[Any]) -> requests.Response:
    return session.post(f"{server.url}/api/v1/clients/batch", json={"items": items}, timeout=5)


def item(portal_id: str, version: int, data: Any, key: str | None = None) -> dict[str, Any]:
    return {
        "portal_id": portal_id,
        "version": version,
        "idempotency_key": key or f"{portal_id}-{version}",
        "data": data,
    }


# -- authentication --------


def test_without_password_on_the_portal_every_api_call_is_refused() -> None:
    with EmulatorServer() as emulator:
        response = requests.get(
            f"{emulator.url}/api/v1/status", auth=("service", "irgendwas"), timeout=5
        )

    assert response.status_code == 401
    assert response.json() == {"error": "Kein Service-Account-Passwort am Portal hinterlegt."}


@pytest.mark.parametrize(
    "auth", [("service", "falsch"), ("admin", PASSWORD), None], ids=["password", "user", "none"]
)
def test_wrong_credentials_are_refused_with_basic_challenge(
    server: EmulatorServer, auth: tuple[str, str] | None
) -> None:
    response = requests.get(f"{server.url}/api/v1/status", auth=auth, timeout=5)

    assert response.status_code == 401
    assert response.json() == {"error": "Anmeldung fehlgeschlagen."}
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Klientenportal", charset="UTF-8"'


def test_status_with_correct_credentials(server: EmulatorServer, api: requests.Session) -> None:
    put(api, server, ID_A, 1, snapshot())

    response = api.get(f"{server.url}/api/v1/status")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "portal": "Klientenportal (Emulator)",
        "api_version": "1",
        "clients": 1,
    }


# -- single PUT --------


def test_put_creates_then_updates(server: EmulatorServer, api: requests.Session) -> None:
    created = put(api, server, ID_A, 1, snapshot())
    updated = put(api, server, ID_A, 2, snapshot(name="Neuer Name GmbH"))

    assert created.status_code == 201
    assert created.json() == {
        "portal_id": ID_A,
        "version": 1,
        "list_state": "offered",
        "content_hash": expected_hash(snapshot()),
    }
    assert updated.status_code == 200
    assert updated.json() == {
        "portal_id": ID_A,
        "version": 2,
        "list_state": "offered",
        "content_hash": expected_hash(snapshot(name="Neuer Name GmbH")),
    }
    assert server.store.get(ID_A)["name"] == "Neuer Name GmbH"  # type: ignore[index]


@pytest.mark.parametrize("version", [2, 3])
def test_stale_version_is_a_conflict_with_the_stored_version(
    server: EmulatorServer, api: requests.Session, version: int
) -> None:
    put(api, server, ID_A, 3, snapshot(), key="first")

    response = put(api, server, ID_A, version, snapshot(name="Alt"), key="second")

    assert response.status_code == 409
    assert response.json() == {"error": CONFLICT, "version": 3}


def test_idempotent_replay_answers_identically_and_changes_nothing(
    server: EmulatorServer, api: requests.Session
) -> None:
    first = put(api, server, ID_A, 1, snapshot(), key="schluessel-1")
    put(api, server, ID_A, 2, snapshot(name="Zwei"), key="schluessel-2")

    replay = put(api, server, ID_A, 1, snapshot(name="Anders"), key="schluessel-1")

    assert (replay.status_code, replay.content) == (first.status_code, first.content)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert server.store.get(ID_A)["name"] == "Zwei"  # type: ignore[index]
    assert [r["outcome"] for r in server.requests_log] == ["applied", "applied", "deduplicated"]


def test_invalid_snapshot_lists_the_fields(server: EmulatorServer, api: requests.Session) -> None:
    response = put(api, server, ID_A, 1, snapshot(name="", number=0, portal_enabled="ja"))

    assert response.status_code == 422
    assert response.json() == {
        "error": INVALID_DATA,
        "fields": {
            "number": ["Erwartet wird eine ganze Zahl ab 1."],
            "name": ["Dieses Feld darf nicht leer sein."],
            "portal_enabled": ["Erwartet wird ein Wahrheitswert (true oder false)."],
        },
    }
    assert server.store.get(ID_A) is None


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            {"Idempotency-Key": "k"},
            "Der Header X-Sync-Version fehlt oder ist keine positive ganze Zahl.",
        ),
        (
            {"Idempotency-Key": "k", "X-Sync-Version": "0"},
            "Der Header X-Sync-Version fehlt oder ist keine positive ganze Zahl.",
        ),
        (
            {"Idempotency-Key": "k", "X-Sync-Version": "zwei"},
            "Der Header X-Sync-Version fehlt oder ist keine positive ganze Zahl.",
        ),
        (
            {"X-Sync-Version": "1"},
            "Der Header Idempotency-Key fehlt oder ist länger als 200 Zeichen.",
        ),
    ],
)
def test_missing_or_invalid_headers_are_400(
    server: EmulatorServer, api: requests.Session, headers: dict[str, str], message: str
) -> None:
    response = api.put(f"{server.url}/api/v1/clients/{ID_A}", json=snapshot(), headers=headers)

    assert (response.status_code, response.json()) == (400, {"error": message})
    assert server.requests_log[-1]["outcome"] == "rejected"


def test_invalid_json_is_400(server: EmulatorServer, api: requests.Session) -> None:
    response = api.put(
        f"{server.url}/api/v1/clients/{ID_A}",
        data=b'{"number": 1,',
        headers={"X-Sync-Version": "1", "Idempotency-Key": "k"},
    )

    assert (response.status_code, response.json()) == (400, {"error": "Ungültiges JSON."})


def test_portal_id_must_be_a_uuid(server: EmulatorServer, api: requests.Session) -> None:
    response = put(api, server, "kein-uuid", 1, snapshot())

    assert response.status_code == 404
    assert response.json() == {"error": "Ungültige Portal-ID – erwartet wird eine UUID."}


def test_unknown_route_and_wrong_method(server: EmulatorServer, api: requests.Session) -> None:
    unknown = api.get(f"{server.url}/api/v1/gibt-es-nicht")
    wrong = api.delete(f"{server.url}/api/v1/status")

    assert (unknown.status_code, unknown.json()) == (404, {"error": "Unbekannter Pfad."})
    assert (wrong.status_code, wrong.headers["Allow"]) == (405, "GET")
    assert wrong.json() == {"error": "Diese Methode ist für diesen Pfad nicht erlaubt."}


def test_a_bug_becomes_a_json_500(
    server: EmulatorServer, api: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> int:
        raise RuntimeError("kaputt")

    monkeypatch.setattr(server.store, "count", broken)

    response = api.get(f"{server.url}/api/v1/status")

    assert (response.status_code, response.json()) == (
        500,
        {"error": "Interner Fehler im Portal-Emulator."},
    )
    assert "kaputt" not in response.text


# -- list states --------


def test_list_states_over_the_api(server: EmulatorServer, api: requests.Session) -> None:
    assert put(api, server, ID_A, 1, snapshot()).json()["list_state"] == "offered"
    server.store.create(ID_A)
    disabled = put(api, server, ID_A, 2, snapshot(portal_enabled=False))
    reenabled = put(api, server, ID_A, 3, snapshot())
    arriving_disabled = put(api, server, ID_B, 1, snapshot(2, portal_enabled=False))
    never_created = put(api, server, ID_B, 2, snapshot(2))

    assert disabled.json()["list_state"] == "inactive"
    assert server.store.get(ID_A)["version"] == 3  # type: ignore[index]
    assert reenabled.json()["list_state"] == "created"
    assert (arriving_disabled.status_code, arriving_disabled.json()["list_state"]) == (
        201,
        "inactive",
    )
    assert never_created.json()["list_state"] == "offered"


# -- batch --------


def test_batch_answers_every_item_in_order(server: EmulatorServer, api: requests.Session) -> None:
    put(api, server, ID_B, 5, snapshot(2), key="b-5")

    response = batch(
        api,
        server,
        [
            item(ID_A, 1, snapshot(1), key="a-1"),
            item(ID_B, 4, snapshot(2), key="b-4"),
            item(ID_C, 1, snapshot(3, name=""), key="c-1"),
            item(ID_A, 2, snapshot(1, name="Zweite Fassung"), key="a-2"),
            item(ID_B, 5, snapshot(2), key="b-5"),
            {"portal_id": "x", "version": 0, "data": snapshot()},
        ],
    )

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "portal_id": ID_A,
                "status": 201,
                "version": 1,
                "list_state": "offered",
                "content_hash": expected_hash(snapshot(1)),
            },
            {
                "portal_id": ID_B,
                "status": 409,
                "version": 5,
                "list_state": "offered",
                "content_hash": expected_hash(snapshot(2)),
                "error": CONFLICT,
            },
            {
                "portal_id": ID_C,
                "status": 422,
                "version": None,
                "list_state": None,
                "content_hash": None,
                "error": INVALID_DATA,
                "fields": {"name": ["Dieses Feld darf nicht leer sein."]},
            },
            {
                "portal_id": ID_A,
                "status": 200,
                "version": 2,
                "list_state": "offered",
                "content_hash": expected_hash(snapshot(1, name="Zweite Fassung")),
            },
            {
                "portal_id": ID_B,
                "status": 201,
                "version": 5,
                "list_state": "offered",
                "content_hash": expected_hash(snapshot(2)),
                "replayed": True,
            },
            {
                "portal_id": "x",
                "status": 422,
                "version": None,
                "list_state": None,
                "content_hash": None,
                "error": "Ungültiger Eintrag.",
                "fields": {
                    "portal_id": ["Erwartet wird eine gültige UUID."],
                    "version": ["Erwartet wird eine ganze Zahl ab 1."],
                    "idempotency_key": [
                        "Erwartet wird ein nicht leerer Text mit höchstens 200 Zeichen."
                    ],
                },
            },
        ]
    }
    outcomes = [(r["portal_id"], r["outcome"]) for r in server.requests_log[1:]]
    assert outcomes == [
        (ID_A, "applied"),
        (ID_B, "conflict"),
        (ID_C, "rejected"),
        (ID_A, "applied"),
        (ID_B, "deduplicated"),
        ("x", "rejected"),
    ]


def test_batch_key_is_shared_with_single_put(server: EmulatorServer, api: requests.Session) -> None:
    batch(api, server, [item(ID_A, 1, snapshot(), key="gemeinsam")])

    replay = put(api, server, ID_A, 1, snapshot(), key="gemeinsam")

    assert (replay.status_code, replay.headers["Idempotent-Replayed"]) == (201, "true")


def test_batch_rejects_bad_envelopes(server: EmulatorServer, api: requests.Session) -> None:
    too_many = batch(api, server, [item(str(uuid.UUID(int=n)), 1, snapshot()) for n in range(1001)])
    not_a_list = api.post(f"{server.url}/api/v1/clients/batch", json={"items": {}})
    no_json = api.post(f"{server.url}/api/v1/clients/batch", data=b"items")
    empty = batch(api, server, [])

    assert (too_many.status_code, too_many.json()) == (
        413,
        {"error": "Zu viele Einträge: höchstens 1000 pro Anfrage."},
    )
    assert (not_a_list.status_code, not_a_list.json()) == (
        400,
        {"error": "Erwartet wird ein JSON-Objekt mit der Liste „items“."},
    )
    assert (no_json.status_code, no_json.json()) == (400, {"error": "Ungültiges JSON."})
    assert (empty.status_code, empty.json()) == (200, {"results": []})
    assert server.store.count() == 0


def test_batch_of_1000_is_accepted(server: EmulatorServer, api: requests.Session) -> None:
    items = [item(str(uuid.UUID(int=n + 1)), 1, snapshot(n + 1)) for n in range(1000)]

    response = batch(api, server, items)

    assert [r["status"] for r in response.json()["results"]] == [201] * 1000
    assert server.store.count() == 1000
    assert len(server.requests_log) == 1000


# -- listing --------


def test_list_is_paged_and_ordered_by_number(server: EmulatorServer, api: requests.Session) -> None:
    ids = [str(uuid.UUID(int=n)) for n in range(1, 6)]
    numbers = [30, 10, 50, 20, 40]
    batch(api, server, [item(i, 1, snapshot(n)) for i, n in zip(ids, numbers, strict=True)])

    first = api.get(f"{server.url}/api/v1/clients", params={"page": 1, "page_size": 2}).json()
    last = api.get(f"{server.url}/api/v1/clients", params={"page": 3, "page_size": 2}).json()
    everything = api.get(f"{server.url}/api/v1/clients").json()

    assert (first["count"], first["page"], first["next"]) == (5, 1, 2)
    assert [r["number"] for r in first["results"]] == [10, 20]
    assert (last["page"], last["next"], [r["number"] for r in last["results"]]) == (3, None, [50])
    assert [r["number"] for r in everything["results"]] == [10, 20, 30, 40, 50]
    assert everything["results"][0] == server.store.get(ids[1])
    assert list(everything["results"][0]) == [
        "portal_id",
        "version",
        "list_state",
        "content_hash",
        *snapshot(),
        "updated_at",
    ]


def test_list_rejects_invalid_paging(server: EmulatorServer, api: requests.Session) -> None:
    response = api.get(f"{server.url}/api/v1/clients", params={"page": "0"})

    assert response.status_code == 400
    assert response.json() == {"error": "Der Parameter „page“ muss eine positive ganze Zahl sein."}


def test_page_size_is_capped_at_1000(server: EmulatorServer, api: requests.Session) -> None:
    batch(api, server, [item(str(uuid.UUID(int=n + 1)), 1, snapshot(n + 1)) for n in range(1000)])
    put(api, server, str(uuid.UUID(int=5000)), 1, snapshot(5000))

    body = api.get(f"{server.url}/api/v1/clients", params={"page_size": 5000}).json()

    assert (body["count"], len(body["results"]), body["next"]) == (1001, 1000, 2)


# -- persistence and connections --------


def test_data_and_password_survive_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "emulator.sqlite3")
    with EmulatorServer(data_path=path, password=PASSWORD) as first:
        session = requests.Session()
        session.auth = ("service", PASSWORD)
        put(session, first, ID_A, 4, snapshot(name="Dauerhaft GmbH"), key="bleibt")

    with EmulatorServer(data_path=path) as second:
        session = requests.Session()
        session.auth = ("service", PASSWORD)
        listed = session.get(f"{second.url}/api/v1/clients").json()
        replay = put(session, second, ID_A, 4, snapshot(), key="bleibt")

    assert [(r["portal_id"], r["version"], r["name"]) for r in listed["results"]] == [
        (ID_A, 4, "Dauerhaft GmbH")
    ]
    assert (replay.status_code, replay.headers["Idempotent-Replayed"]) == (201, "true")


def test_keep_alive_reuses_one_connection(server: EmulatorServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    headers = {"Authorization": requests.auth._basic_auth_str("service", PASSWORD)}
    sockets = []
    for _ in range(3):
        connection.request("GET", "/api/v1/status", headers=headers)
        response = connection.getresponse()
        assert (response.status, response.version) == (200, 11)
        assert response.getheader("Content-Length") == str(len(response.read()))
        sockets.append(connection.sock)
    connection.close()

    assert sockets[0] is not None and sockets.count(sockets[0]) == 3


def test_stop_is_idempotent_and_keeps_the_store_readable() -> None:
    emulator = EmulatorServer(password=PASSWORD).start()
    session = requests.Session()
    session.auth = ("service", PASSWORD)
    put(session, emulator, ID_A, 1, snapshot())
    url = emulator.url

    emulator.stop()
    emulator.stop()

    with pytest.raises(requests.ConnectionError):
        session.get(f"{url}/api/v1/status", timeout=2)
    assert emulator.store.get(ID_A)["version"] == 1  # type: ignore[index]


# -- faults --------


def test_down_refuses_connections_and_up_reopens_the_same_port(
    server: EmulatorServer, api: requests.Session
) -> None:
    assert api.get(f"{server.url}/api/v1/status").status_code == 200
    url = server.url

    server.set_down(True)
    with pytest.raises(requests.ConnectionError):
        api.get(f"{url}/api/v1/status", timeout=2)
    server.set_down(False)

    assert server.url == url
    assert api.get(f"{url}/api/v1/status").status_code == 200


def test_down_and_up_via_the_control_port() -> None:
    with EmulatorServer(password=PASSWORD, control_port=0) as emulator:
        assert emulator.control_url != emulator.url
        down = requests.post(f"{emulator.control_url}/_emulator/down", timeout=5)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{emulator.url}/api/v1/status", timeout=2)
        up = requests.post(f"{emulator.control_url}/_emulator/up", timeout=5)
        status = requests.get(
            f"{emulator.url}/api/v1/status", auth=("service", PASSWORD), timeout=5
        )
        on_control = requests.get(f"{emulator.control_url}/api/v1/status", timeout=5)

    assert (down.json(), up.json(), status.status_code) == ({"down": True}, {"down": False}, 200)
    assert on_control.status_code == 404


def test_reset_fault_resets_the_connection(server: EmulatorServer, api: requests.Session) -> None:
    server.faults.reset_rate = 1.0

    with pytest.raises(requests.ConnectionError) as caught:
        put(api, server, ID_A, 1, snapshot())

    assert "ConnectionResetError" in repr(caught.value)
    assert server.store.get(ID_A) is None
    assert [(r["status"], r["outcome"]) for r in server.requests_log] == [(0, "fault")]


def test_throttle_answers_429_with_retry_after(
    server: EmulatorServer, api: requests.Session
) -> None:
    server.faults.retry_after = 7
    server.faults.throttle_rate = 1.0

    response = put(api, server, ID_A, 1, snapshot())

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json() == {"error": "Zu viele Anfragen – bitte später erneut versuchen."}
    assert server.store.get(ID_A) is None


def test_error_rate_answers_503(server: EmulatorServer, api: requests.Session) -> None:
    server.faults.error_rate = 1.0

    response = api.get(f"{server.url}/api/v1/status")

    assert response.status_code == 503
    assert response.json() == {"error": "Das Portal ist vorübergehend nicht verfügbar."}


def test_seeded_error_rate_is_reproducible(server: EmulatorServer, api: requests.Session) -> None:
    server.faults.error_rate = 0.5
    server.faults.seed = 42
    dice = random.Random(42)  # noqa: S311 - mirrors the emulator's fault dice
    expected = [503 if dice.random() < 0.5 else 200 for _ in range(12)]

    statuses = [api.get(f"{server.url}/api/v1/status").status_code for _ in range(12)]

    assert statuses == expected
    assert 200 in statuses and 503 in statuses


def test_unauthorized_fault_refuses_valid_credentials(
    server: EmulatorServer, api: requests.Session
) -> None:
    server.faults.unauthorized = True

    response = put(api, server, ID_A, 1, snapshot())

    assert (response.status_code, response.json()) == (401, {"error": "Anmeldung fehlgeschlagen."})
    assert server.requests_log[0]["outcome"] == "unauthorized"


def test_timeout_fault_exceeds_the_read_timeout_without_storing(
    server: EmulatorServer, api: requests.Session
) -> None:
    server.faults.slow_seconds = 2.0
    server.faults.timeout_rate = 1.0

    with pytest.raises(requests.ReadTimeout):
        put(api, server, ID_A, 1, snapshot(), timeout=0.3)

    assert server.store.get(ID_A) is None


def test_slow_answers_still_apply(server: EmulatorServer, api: requests.Session) -> None:
    server.faults.slow_seconds = 0.3
    started = time.monotonic()

    response = put(api, server, ID_A, 1, snapshot())

    assert response.status_code == 201
    assert time.monotonic() - started >= 0.3


def test_apply_then_timeout_stores_the_change_but_never_answers(
    server: EmulatorServer, api: requests.Session
) -> None:
    server.faults.hang_seconds = 5.0
    server.faults.apply_then_timeout_rate = 1.0

    with pytest.raises(requests.ReadTimeout):
        put(api, server, ID_A, 1, snapshot(), key="einmal", timeout=0.5)
    server.faults.apply_then_timeout_rate = 0.0
    retry = put(api, server, ID_A, 1, snapshot(), key="einmal")

    assert server.store.get(ID_A)["version"] == 1  # type: ignore[index]
    assert (retry.status_code, retry.headers["Idempotent-Replayed"]) == (201, "true")
    assert [r["outcome"] for r in server.requests_log] == ["applied", "deduplicated"]


def test_reject_fault_refuses_listed_clients_per_item(
    server: EmulatorServer, api: requests.Session
) -> None:
    server.faults.reject = {ID_B.upper(): "Klient im Portal gesperrt."}

    single = put(api, server, ID_B, 1, snapshot(2))
    results = batch(api, server, [item(ID_A, 1, snapshot()), item(ID_B, 1, snapshot(2))]).json()

    expected = {
        "error": "Klient im Portal gesperrt.",
        "fields": {"__all__": ["Klient im Portal gesperrt."]},
    }
    assert (single.status_code, single.json()) == (422, expected)
    assert [r["status"] for r in results["results"]] == [201, 422]
    assert results["results"][1]["fields"] == expected["fields"]


def test_faults_hit_a_batch_as_a_whole(server: EmulatorServer, api: requests.Session) -> None:
    server.faults.error_rate = 1.0

    response = batch(api, server, [item(ID_A, 1, snapshot()), item(ID_B, 1, snapshot(2))])

    assert response.status_code == 503
    assert [(r["portal_id"], r["status"], r["outcome"]) for r in server.requests_log] == [
        (ID_A, 503, "fault"),
        (ID_B, 503, "fault"),
    ]


def test_faults_do_not_touch_pages_or_control(server: EmulatorServer) -> None:
    server.faults.error_rate = 1.0

    assert requests.get(f"{server.url}/", timeout=5).status_code == 200
    assert requests.get(f"{server.url}/_emulator/faults", timeout=5).status_code == 200


# -- control endpoints --------


def test_fault_config_over_http(server: EmulatorServer) -> None:
    control = f"{server.control_url}/_emulator/faults"

    replaced = requests.put(control, json={"error_rate": 0.25, "retry_after": 3}, timeout=5)
    patched = requests.patch(control, json={"reject": {ID_A: "Nein."}}, timeout=5)
    unknown = requests.put(control, json={"explode": True}, timeout=5)
    out_of_range = requests.put(control, json={"error_rate": 2}, timeout=5)

    assert replaced.json() == {
        "unauthorized": False,
        "error_rate": 0.25,
        "slow_seconds": 0.0,
        "timeout_rate": 0.0,
        "reset_rate": 0.0,
        "apply_then_timeout_rate": 0.0,
        "hang_seconds": 30.0,
        "retry_after": 3,
        "throttle_rate": 0.0,
        "reject": {},
        "seed": None,
    }
    assert (patched.json()["error_rate"], patched.json()["reject"]) == (0.25, {ID_A: "Nein."})
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"error": "Unbekannte Einstellungen: explode."},
    )
    assert (out_of_range.status_code, out_of_range.json()) == (
        400,
        {"error": "„error_rate“ muss eine Zahl zwischen 0 und 1 sein."},
    )
    assert requests.get(control, timeout=5).json()["error_rate"] == 0.25
    assert server.faults.reject == {ID_A: "Nein."}


def test_request_log_records(server: EmulatorServer, api: requests.Session) -> None:
    before = time.time()
    put(api, server, ID_A, 3, snapshot(), key="k-log")

    log = requests.get(f"{server.url}/_emulator/requests", timeout=5).json()
    cleared = requests.delete(f"{server.url}/_emulator/requests", timeout=5)

    [record] = log["requests"]
    assert log["count"] == 1
    assert {k: v for k, v in record.items() if k not in ("started", "ended")} == {
        "method": "PUT",
        "path": f"/api/v1/clients/{ID_A}",
        "portal_id": ID_A,
        "version": 3,
        "idempotency_key": "k-log",
        "status": 201,
        "outcome": "applied",
    }
    assert before <= record["started"] <= record["ended"] <= time.time()
    assert cleared.status_code == 200
    assert server.requests_log == []


def test_reset_clears_everything_but_the_password(
    server: EmulatorServer, api: requests.Session
) -> None:
    put(api, server, ID_A, 1, snapshot(), key="k")
    server.faults.error_rate = 0.5

    response = requests.post(f"{server.url}/_emulator/reset", timeout=5)

    assert response.json() == {"reset": True}
    assert (server.store.count(), server.requests_log, server.faults.error_rate) == (0, [], 0.0)
    assert put(api, server, ID_A, 1, snapshot(), key="k").status_code == 201


def test_client_control_endpoints(server: EmulatorServer, api: requests.Session) -> None:
    put(api, server, ID_A, 2, snapshot())
    base = f"{server.url}/_emulator/clients/{ID_A}"

    created = requests.post(f"{base}/create", timeout=5)
    again = requests.post(f"{base}/create", timeout=5)
    tampered = requests.patch(base, json={"name": "Im Portal geändert"}, timeout=5)
    bad_field = requests.patch(base, json={"farbe": "rot"}, timeout=5)
    deleted = requests.delete(base, timeout=5)
    missing = requests.delete(base, timeout=5)

    assert (created.status_code, created.json()["list_state"]) == (200, "created")
    assert again.status_code == 409
    assert (tampered.json()["name"], tampered.json()["version"]) == ("Im Portal geändert", 2)
    assert tampered.json()["content_hash"] == expected_hash(snapshot(name="Im Portal geändert"))
    assert (bad_field.status_code, bad_field.json()) == (400, {"error": "Unbekannte Felder: farbe"})
    assert (deleted.status_code, deleted.json()) == (200, {"deleted": ID_A})
    assert (missing.status_code, missing.json()) == (404, {"error": "Klient nicht gefunden."})


def test_control_status(server: EmulatorServer, api: requests.Session) -> None:
    put(api, server, ID_A, 1, snapshot())

    body = requests.get(f"{server.url}/_emulator/status", timeout=5).json()

    assert body == {
        "portal": "Klientenportal (Emulator)",
        "url": server.url,
        "control_url": server.url,
        "down": False,
        "password_set": True,
        "clients": 1,
        "list_states": {"offered": 1, "created": 0, "inactive": 0},
    }


# -- HTML pages --------


def test_settings_page_sets_the_password() -> None:
    with EmulatorServer() as emulator:
        page = requests.get(f"{emulator.url}/einstellungen", timeout=5)
        mismatch = requests.post(
            f"{emulator.url}/einstellungen",
            data={"password": "Neu-1", "password_confirm": "Neu-2"},
            timeout=5,
        )
        empty = requests.post(
            f"{emulator.url}/einstellungen",
            data={"password": "", "password_confirm": ""},
            timeout=5,
        )
        unchanged = emulator.store.has_password()
        saved = requests.post(
            f"{emulator.url}/einstellungen",
            data={"password": "Neu-Geheim-1", "password_confirm": "Neu-Geheim-1"},
            timeout=5,
        )
        status = requests.get(
            f"{emulator.url}/api/v1/status", auth=("service", "Neu-Geheim-1"), timeout=5
        )

    assert page.status_code == 200
    assert "Stammdaten / Portal / Sonstige Einstellungen" in page.text
    assert "Service-Account Passwort" in page.text
    assert "noch keines hinterlegt" in page.text
    assert mismatch.status_code == 400
    assert "Die beiden Passwörter stimmen nicht überein." in mismatch.text
    assert "Bitte ein Passwort eingeben." in empty.text
    assert unchanged is False
    assert [r.status_code for r in saved.history] == [303]
    assert saved.url == f"{emulator.url}/einstellungen?gespeichert=1"
    assert "Das Service-Account Passwort wurde gespeichert." in saved.text
    assert "zuletzt geändert am" in saved.text
    assert "Neu-Geheim-1" not in saved.text
    assert status.status_code == 200


def test_list_page_shows_three_lists_and_escapes_html(
    server: EmulatorServer, api: requests.Session
) -> None:
    hostile = '<script>alert("x")</script>'
    put(api, server, ID_A, 1, snapshot(1, name=hostile, short_name="A&B"))
    put(api, server, ID_B, 1, snapshot(2, is_serviced=False, receipt_sync_enabled=True))
    server.store.create(ID_B)
    put(api, server, ID_C, 1, snapshot(3, portal_enabled=False))

    page = requests.get(f"{server.url}/", timeout=5)

    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    text = page.text
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "A&amp;B" in text
    for heading in ('Board <span class="count">(1)', 'Portal <span class="count">(1)'):
        assert heading in text
    assert 'Inaktiv <span class="count">(1)' in text
    for column in ("Nummer", "Kurzbezeichnung", "Rechtsform", "Betreuungsstatus", "Belegsync"):
        assert f"<th>{column}</th>" in text
    assert "<th>zuletzt geändert</th>" in text
    assert text.count("Im Portal anlegen") == 1
    assert "nicht betreut" in text
    assert '<meta http-equiv="refresh" content="5">' in text
    assert 'href="/einstellungen"' in text


def test_create_button_moves_the_client_to_the_portal_list(
    server: EmulatorServer, api: requests.Session
) -> None:
    put(api, server, ID_A, 1, snapshot(short_name="Muster & Co"))

    response = requests.post(f"{server.url}/clients/{ID_A}/create", timeout=5)
    again = requests.post(f"{server.url}/clients/{ID_A}/create", timeout=5)

    assert [r.status_code for r in response.history] == [303]
    assert "„Muster &amp; Co“ wurde im Portal angelegt." in response.text
    assert server.store.get(ID_A)["list_state"] == "created"  # type: ignore[index]
    assert "kann daher nicht angelegt werden" in again.text


def test_stylesheet_and_unknown_page(server: EmulatorServer) -> None:
    css = requests.get(f"{server.url}/_static/emulator.css", timeout=5)
    missing = requests.get(f"{server.url}/nirgendwo", timeout=5)

    assert (css.status_code, css.headers["Content-Type"]) == (200, "text/css; charset=utf-8")
    assert ".topbar" in css.text
    assert missing.status_code == 404
    assert "Seite nicht gefunden" in missing.text


def test_list_page_names_legal_forms_instead_of_codes(
    server: EmulatorServer, api: requests.Session
) -> None:
    put(api, server, ID_A, 1, snapshot(1, legal_form="gmbh_co_kg"))
    put(api, server, ID_B, 1, snapshot(2, legal_form="unbekannt"))

    text = requests.get(f"{server.url}/", timeout=5).text

    assert "<td>GmbH &amp; Co KG</td>" in text
    assert "<td>unbekannt</td>" in text


def test_the_portal_knows_a_name_for_every_legal_form_of_the_board() -> None:
    assert set(LEGAL_FORM_LABELS) == set(LegalForm.values)
