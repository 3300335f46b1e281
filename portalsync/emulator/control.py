"""The control endpoints of the emulator (/_emulator), for tests and demos.

They set faults, read and clear the request log, take the main port down and
up again, set the service-account password and change clients behind the
Board's back. They are never subject to faults or authentication.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from portalsync.emulator.api import MSG_CLIENT_NOT_FOUND, PORTAL_NAME
from portalsync.emulator.faults import FaultConfigError
from portalsync.emulator.store import ClientNotFound, InvalidListState
from portalsync.emulator.transport import (
    INVALID_JSON,
    MSG_INVALID_JSON,
    MSG_UNKNOWN_PATH,
    error_response,
    json_response,
    method_not_allowed,
    parse_json,
)

if TYPE_CHECKING:
    # Needed for type hints only; the server cannot be imported at runtime
    # because it imports this module to route to it.
    from portalsync.emulator.server import EmulatorServer
    from portalsync.emulator.transport import Request, Response

CONTROL_PREFIX = "/_emulator"

_CONTROL_CLIENT_PATH = re.compile(r"^/clients/([^/]+)(/create)?$")


def handle_control(
    emulator: EmulatorServer, request: Request, *, on_control_port: bool
) -> Response:
    """Answer one request below CONTROL_PREFIX."""
    route = request.path[len(CONTROL_PREFIX) :].rstrip("/") or "/"
    method = request.method
    if route in ("/", "/status") and method == "GET":
        return json_response(200, _status(emulator))
    if route == "/faults":
        return _faults(emulator, request)
    if route == "/reset" and method == "POST":
        emulator.store.reset()
        emulator.clear_log()
        emulator.faults.reset()
        return json_response(200, {"reset": True})
    if route == "/requests":
        if method == "GET":
            records = emulator.requests_log
            return json_response(200, {"count": len(records), "requests": records})
        if method == "DELETE":
            emulator.clear_log()
            return json_response(200, {"cleared": True})
        return method_not_allowed("GET, DELETE")
    if route in ("/down", "/up") and method == "POST":
        return _down(emulator, route == "/down", on_control_port)
    if route == "/password" and method == "PUT":
        return _password(emulator, request)
    if route == "/clients" and method == "GET":
        items = emulator.store.all()
        return json_response(200, {"count": len(items), "results": items})
    match = _CONTROL_CLIENT_PATH.match(route)
    if match:
        return _client(emulator, request, match.group(1), create=bool(match.group(2)))
    return error_response(404, MSG_UNKNOWN_PATH)


def _status(emulator: EmulatorServer) -> dict[str, Any]:
    return {
        "portal": PORTAL_NAME,
        "url": emulator.url,
        "control_url": emulator.control_url,
        "down": emulator.is_down,
        "password_set": emulator.store.has_password(),
        "clients": emulator.store.count(),
        "list_states": emulator.store.counts_by_list_state(),
    }


def _faults(emulator: EmulatorServer, request: Request) -> Response:
    faults = emulator.faults
    if request.method == "GET":
        return json_response(200, faults.to_dict())
    if request.method not in ("PUT", "PATCH"):
        return method_not_allowed("GET, PUT, PATCH")
    data = parse_json(request.body)
    if data is INVALID_JSON:
        return error_response(400, MSG_INVALID_JSON)
    try:
        if request.method == "PUT":
            faults.replace(data)
        else:
            faults.update(data)
    except FaultConfigError as error:
        return error_response(400, str(error))
    return json_response(200, faults.to_dict())


def _down(emulator: EmulatorServer, down: bool, on_control_port: bool) -> Response:
    if down and not on_control_port:
        # Answer first, then cut the port from another thread; doing it
        # inline would kill the very connection carrying this answer.
        def go_down() -> None:
            threading.Thread(target=_set_down_quietly, args=(emulator, True), daemon=True).start()

        response = json_response(200, {"down": True})
        response.after = go_down
        return response
    emulator.set_down(down)
    return json_response(200, {"down": down})


def _set_down_quietly(emulator: EmulatorServer, down: bool) -> None:
    try:
        emulator.set_down(down)
    except RuntimeError:
        # The emulator was stopped in the meantime; there is no port left to cut.
        pass


def _password(emulator: EmulatorServer, request: Request) -> Response:
    data = parse_json(request.body)
    password = data.get("password", "") if isinstance(data, dict) else ""
    if password is None:
        emulator.store.clear_password()
    elif isinstance(password, str) and password:
        emulator.store.set_password(password)
    else:
        return error_response(400, 'Erwartet wird {"password": "…"} oder {"password": null}.')
    return json_response(200, {"password_set": emulator.store.has_password()})


def _client(emulator: EmulatorServer, request: Request, raw_id: str, *, create: bool) -> Response:
    store = emulator.store
    method = request.method
    try:
        if create:
            if method != "POST":
                return method_not_allowed("POST")
            return json_response(200, store.create(raw_id))
        if method == "GET":
            item = store.get(raw_id)
            return json_response(200, item) if item else error_response(404, MSG_CLIENT_NOT_FOUND)
        if method == "DELETE":
            if not store.delete(raw_id):
                return error_response(404, MSG_CLIENT_NOT_FOUND)
            return json_response(200, {"deleted": raw_id.lower()})
        if method == "PATCH":
            data = parse_json(request.body)
            if not isinstance(data, dict):
                return error_response(
                    400, "Erwartet wird ein JSON-Objekt mit den zu ändernden Feldern."
                )
            return json_response(200, store.tamper(raw_id, **data))
    except ClientNotFound:
        return error_response(404, MSG_CLIENT_NOT_FOUND)
    except InvalidListState as error:
        return error_response(409, str(error))
    except ValueError as error:
        return error_response(400, str(error))
    return method_not_allowed("GET, PATCH, DELETE")
