"""The sync API of the emulated portal (/api/v1), as described in openapi.yaml.

Draws the faults for each request, checks the service account, routes to the
client endpoints and writes one request-log record per item. What the portal
decides about a snapshot is the store's business; this module only
translates between HTTP and the store.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import time
from collections.abc import Callable
from typing import Any

from portalsync.emulator.decisions import WriteRequest, WriteResult
from portalsync.emulator.faults import FaultConfig, FaultPlan, RequestLog, RequestRecord
from portalsync.emulator.store import Store
from portalsync.emulator.transport import (
    DIGITS,
    INVALID_JSON,
    MSG_INVALID_JSON,
    MSG_UNKNOWN_PATH,
    Request,
    Response,
    error_response,
    json_response,
    method_not_allowed,
    parse_json,
)
from portalsync.emulator.validation import normalize_portal_id

API_PREFIX = "/api/v1"
SERVICE_USER = "service"
AUTH_REALM = 'Basic realm="Klientenportal", charset="UTF-8"'
PORTAL_NAME = "Klientenportal (Emulator)"
API_VERSION = "1"

MAX_BATCH_ITEMS = 1000
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000
MAX_IDEMPOTENCY_KEY_LENGTH = 200
# SQLite stores signed 64-bit integers; larger versions could not be kept.
MAX_VERSION = 2**63 - 1

MSG_NO_PASSWORD = "Kein Service-Account-Passwort am Portal hinterlegt."  # noqa: S105 - a message, not a secret
MSG_LOGIN_FAILED = "Anmeldung fehlgeschlagen."
MSG_INVALID_ID = "Ungültige Portal-ID – erwartet wird eine UUID."
MSG_CLIENT_NOT_FOUND = "Klient nicht gefunden."
MSG_VERSION_HEADER = "Der Header X-Sync-Version fehlt oder ist keine positive ganze Zahl."
MSG_KEY_HEADER = (
    f"Der Header Idempotency-Key fehlt oder ist länger als {MAX_IDEMPOTENCY_KEY_LENGTH} Zeichen."
)
MSG_BATCH_SHAPE = "Erwartet wird ein JSON-Objekt mit der Liste „items“."
MSG_BATCH_TOO_LARGE = f"Zu viele Einträge: höchstens {MAX_BATCH_ITEMS} pro Anfrage."
MSG_INVALID_ITEM = "Ungültiger Eintrag."
MSG_ITEM_KEY = (
    f"Erwartet wird ein nicht leerer Text mit höchstens {MAX_IDEMPOTENCY_KEY_LENGTH} Zeichen."
)
MSG_THROTTLED = "Zu viele Anfragen – bitte später erneut versuchen."
MSG_UNAVAILABLE = "Das Portal ist vorübergehend nicht verfügbar."
MSG_TIMEOUT = "Zeitüberschreitung im Portal."

_CLIENT_PATH = re.compile(r"^/clients/([^/]+)$")


def _positive_int_header(value: str | None) -> int | None:
    if value is None or not DIGITS.match(value.strip()):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_VERSION else None


def _is_version(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_VERSION


def _basic_credentials(header: str | None) -> tuple[bytes, bytes] | None:
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, separator, password = decoded.partition(b":")
    return (user, password) if separator else None


class SyncApi:
    """Answers the requests below API_PREFIX for one store, fault setting and log."""

    def __init__(
        self,
        store: Store,
        faults: FaultConfig,
        log: RequestLog,
        sleep: Callable[[float], None],
    ) -> None:
        self._store = store
        self._faults = faults
        self._log = log
        # The emulator's sleep, which wakes up early when the server stops.
        self._sleep = sleep

    def handle(self, request: Request) -> Response:
        plan = self._faults.draw()
        if plan.refuses:
            return self._fault_response(request, plan)
        self._sleep(plan.slow_seconds)
        denied = self._authenticate(request)
        if denied is not None:
            self._log_request(request, denied.status, "unauthorized")
            return denied
        response = self._route(request)
        if plan.hang_seconds is not None:
            # The change is stored and logged; the client just never hears of it.
            return Response(0, action="hang", hang_seconds=plan.hang_seconds)
        return response

    def _fault_response(self, request: Request, plan: FaultPlan) -> Response:
        if plan.reset:
            self._log_request(request, 0, "fault")
            return Response(0, action="reset")
        if plan.unauthorized:
            response = error_response(401, MSG_LOGIN_FAILED, [("WWW-Authenticate", AUTH_REALM)])
            self._log_request(request, 401, "unauthorized")
            return response
        if plan.throttle:
            headers = [] if plan.retry_after is None else [("Retry-After", str(plan.retry_after))]
            response = error_response(429, MSG_THROTTLED, headers)
        elif plan.error:
            response = error_response(503, MSG_UNAVAILABLE)
        else:
            self._sleep(plan.timeout_seconds or 0.0)
            response = error_response(504, MSG_TIMEOUT)
        self._log_request(request, response.status, "fault")
        return response

    def _authenticate(self, request: Request) -> Response | None:
        if not self._store.has_password():
            return error_response(401, MSG_NO_PASSWORD)
        credentials = _basic_credentials(request.headers.get("Authorization"))
        if credentials is not None:
            user, password = credentials
            user_ok = hmac.compare_digest(user, SERVICE_USER.encode("utf-8"))
            password_ok = self._store.check_password(password.decode("utf-8", errors="replace"))
            if user_ok and password_ok:
                return None
        return error_response(401, MSG_LOGIN_FAILED, [("WWW-Authenticate", AUTH_REALM)])

    def _route(self, request: Request) -> Response:
        route = request.path[len(API_PREFIX) :]
        method = request.method
        if route == "/status":
            if method != "GET":
                return method_not_allowed("GET")
            return json_response(
                200,
                {"portal": PORTAL_NAME, "api_version": API_VERSION, "clients": self._store.count()},
            )
        if route == "/clients":
            if method != "GET":
                return method_not_allowed("GET")
            return self._list_clients(request)
        if route == "/clients/batch":
            if method != "POST":
                return method_not_allowed("POST")
            return self._batch(request)
        match = _CLIENT_PATH.match(route)
        if match:
            if method == "PUT":
                return self._put_client(request, match.group(1))
            if method == "GET":
                return self._get_client(match.group(1))
            return method_not_allowed("GET, PUT")
        return error_response(404, MSG_UNKNOWN_PATH)

    def _list_clients(self, request: Request) -> Response:
        page = _positive_int_header(request.query.get("page", "1"))
        if page is None:
            return error_response(400, "Der Parameter „page“ muss eine positive ganze Zahl sein.")
        size = _positive_int_header(request.query.get("page_size", str(DEFAULT_PAGE_SIZE)))
        if size is None:
            return error_response(
                400, "Der Parameter „page_size“ muss eine positive ganze Zahl sein."
            )
        size = min(size, MAX_PAGE_SIZE)
        total, items = self._store.page(page, size)
        next_page = page + 1 if page * size < total else None
        return json_response(
            200, {"count": total, "page": page, "next": next_page, "results": items}
        )

    def _get_client(self, raw_id: str) -> Response:
        item = self._store.get(raw_id)
        if item is None:
            return error_response(404, MSG_CLIENT_NOT_FOUND)
        return json_response(200, item)

    def _put_client(self, request: Request, raw_id: str) -> Response:
        portal_id = normalize_portal_id(raw_id)
        version = _positive_int_header(request.headers.get("X-Sync-Version"))
        key = request.headers.get("Idempotency-Key")
        if portal_id is None:
            response = error_response(404, MSG_INVALID_ID)
        elif version is None:
            response = error_response(400, MSG_VERSION_HEADER)
        elif not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
            response = error_response(400, MSG_KEY_HEADER)
        else:
            data = parse_json(request.body)
            if data is INVALID_JSON:
                response = error_response(400, MSG_INVALID_JSON)
            else:
                write = WriteRequest(portal_id, version, key, data)
                result = self._store.apply([write], self._faults.rejected_clients())[0]
                self._log.add(_write_record(request, write, result))
                headers = [("Idempotent-Replayed", "true")] if result.replayed else []
                return Response(result.status, result.body_text.encode("utf-8"), headers=headers)
        self._log_request(request, response.status, "rejected")
        return response

    def _batch(self, request: Request) -> Response:
        payload = parse_json(request.body)
        if payload is INVALID_JSON:
            self._log_request(request, 400, "rejected")
            return error_response(400, MSG_INVALID_JSON)
        if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
            self._log_request(request, 400, "rejected")
            return error_response(400, MSG_BATCH_SHAPE)
        items = payload["items"]
        if len(items) > MAX_BATCH_ITEMS:
            self._log_request(request, 413, "rejected")
            return error_response(413, MSG_BATCH_TOO_LARGE)

        # Items with a broken envelope are answered here; all others go to the
        # store in one call so the whole batch is a single transaction.
        slots: list[dict[str, Any] | int] = []
        writes: list[WriteRequest] = []
        for item in items:
            write, problem = _batch_item(item)
            if write is None:
                slots.append(problem)
            else:
                slots.append(len(writes))
                writes.append(write)
        results = self._store.apply(writes, self._faults.rejected_clients()) if writes else []
        output: list[dict[str, Any]] = []
        records: list[RequestRecord] = []
        for slot in slots:
            if isinstance(slot, dict):
                output.append(slot)
                records.append(_record(request, slot["portal_id"], None, None, 422, "rejected"))
            else:
                output.append(_batch_entry(results[slot]))
                records.append(_write_record(request, writes[slot], results[slot]))
        self._log.extend(records)
        return json_response(200, {"results": output})

    def _log_request(self, request: Request, status: int, outcome: str) -> None:
        """Log a request that was answered as a whole, one record per item it carried."""
        self._log.extend(
            [
                _record(request, *described, status, outcome)
                for described in _describe_items(request)
            ]
        )


def _batch_item(item: object) -> tuple[WriteRequest | None, dict[str, Any]]:
    """The write a batch item asks for, or None and the item's 422 entry."""
    fields: dict[str, list[str]] = {}
    raw_id = item.get("portal_id") if isinstance(item, dict) else None
    if not isinstance(item, dict):
        fields["__all__"] = ["Erwartet wird ein JSON-Objekt."]
    else:
        if normalize_portal_id(raw_id) is None:
            fields["portal_id"] = ["Erwartet wird eine gültige UUID."]
        if not _is_version(item.get("version")):
            fields["version"] = ["Erwartet wird eine ganze Zahl ab 1."]
        key = item.get("idempotency_key")
        if not isinstance(key, str) or not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
            fields["idempotency_key"] = [MSG_ITEM_KEY]
    if not fields:
        assert isinstance(item, dict)
        write = WriteRequest(
            normalize_portal_id(raw_id) or "",
            item["version"],
            item["idempotency_key"],
            item.get("data"),
        )
        return write, {}
    problem = {
        "portal_id": raw_id if isinstance(raw_id, str) else None,
        "status": 422,
        "version": None,
        "list_state": None,
        "content_hash": None,
        "error": MSG_INVALID_ITEM,
        "fields": fields,
    }
    return None, problem


def _batch_entry(result: WriteResult) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "portal_id": result.portal_id,
        "status": result.status,
        "version": result.version,
        "list_state": result.list_state,
        "content_hash": result.content_hash,
    }
    if result.status >= 400:
        entry["error"] = result.body.get("error")
        if "fields" in result.body:
            entry["fields"] = result.body["fields"]
    if result.replayed:
        entry["replayed"] = True
    return entry


# -- request log ---------------------------------------------------------------


def _record(
    request: Request,
    portal_id: str | None,
    version: int | None,
    key: str | None,
    status: int,
    outcome: str,
) -> RequestRecord:
    return {
        "method": request.method,
        "path": request.path,
        "portal_id": portal_id,
        "version": version,
        "idempotency_key": key,
        "started": request.started,
        "ended": time.time(),
        "status": status,
        "outcome": outcome,
    }


def _write_record(request: Request, write: WriteRequest, result: WriteResult) -> RequestRecord:
    return _record(
        request,
        write.portal_id,
        write.version,
        write.idempotency_key,
        result.status,
        result.outcome,
    )


def _describe_items(request: Request) -> list[tuple[str | None, int | None, str | None]]:
    """Best-effort (portal_id, version, key) of the items in a request."""
    route = request.path[len(API_PREFIX) :]
    if route == "/clients/batch" and request.method == "POST":
        payload = parse_json(request.body)
        items = payload.get("items") if isinstance(payload, dict) else None
        if isinstance(items, list) and 0 < len(items) <= MAX_BATCH_ITEMS:
            described = []
            for item in items:
                item = item if isinstance(item, dict) else {}
                portal_id = item.get("portal_id")
                version = item.get("version")
                key = item.get("idempotency_key")
                described.append(
                    (
                        normalize_portal_id(portal_id)
                        or (portal_id if isinstance(portal_id, str) else None),
                        version if _is_version(version) else None,
                        key if isinstance(key, str) else None,
                    )
                )
            return described
    match = _CLIENT_PATH.match(route)
    if match and request.method == "PUT":
        raw_id = match.group(1)
        return [
            (
                normalize_portal_id(raw_id) or raw_id,
                _positive_int_header(request.headers.get("X-Sync-Version")),
                request.headers.get("Idempotency-Key"),
            )
        ]
    return [(None, None, None)]
