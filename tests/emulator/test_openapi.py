"""The OpenAPI document agrees with the emulator that implements it and the Board that uses it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from portalsync import payload
from portalsync.emulator import EmulatorServer, validation
from tests.emulator.helpers import ID_A, snapshot

PASSWORD = "Portal-Passwort-1"
DOCUMENT = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "portalsync" / "openapi.yaml").read_text("utf-8")
)
METHODS = ("get", "put", "post", "patch", "delete")
OPERATIONS = [
    (method, path)
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in METHODS
]


@pytest.fixture
def portal() -> Iterator[EmulatorServer]:
    """The emulator with its control endpoints on a port of their own (so "down" can answer)."""
    server = EmulatorServer(
        host="127.0.0.1", port=0, data_path=":memory:", password=PASSWORD, control_port=0
    )
    server.start()
    yield server
    server.stop()


def _schema(reference: dict[str, Any]) -> dict[str, Any]:
    name = reference["$ref"].rsplit("/", 1)[-1]
    return DOCUMENT["components"]["schemas"][name]


def test_the_snapshot_schema_lists_the_fields_the_board_sends_and_the_portal_checks() -> None:
    documented = tuple(_schema({"$ref": "#/ClientSnapshot"})["properties"])

    assert documented == payload.SNAPSHOT_FIELDS
    assert documented == validation.SNAPSHOT_FIELDS


@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS]
)
def test_every_documented_operation_answers_with_a_documented_status(
    portal: EmulatorServer, method: str, path: str
) -> None:
    session = requests.Session()
    session.auth = ("service", PASSWORD)
    headers = {"X-Sync-Version": "1", "Idempotency-Key": f"{ID_A}:v1"}
    created = session.put(
        f"{portal.url}/api/v1/clients/{ID_A}", json=snapshot(), headers=headers, timeout=5
    )
    operation = DOCUMENT["paths"][path][method]
    base = portal.control_url if path.startswith("/_emulator") else portal.url
    # An empty object where a body is expected: a documented answer (often 400/422) is due.
    body = {} if "requestBody" in operation else None

    response = session.request(
        method, base + path.replace("{portal_id}", ID_A), json=body, timeout=5
    )

    assert created.status_code == 201
    assert str(response.status_code) in operation["responses"], response.text
