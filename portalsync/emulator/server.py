"""HTTP front end of the portal emulator.

One `ThreadingHTTPServer` serves the sync API (/api/v1), the control
endpoints (/_emulator) and the HTML pages; an optional second listener on a
control port serves only /_emulator so that tests can switch the main port
off and on again.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from portalsync.emulator import pages
from portalsync.emulator.decisions import WriteRequest, WriteResult
from portalsync.emulator.faults import (
    FaultConfig,
    FaultConfigError,
    FaultPlan,
    RequestLog,
    RequestRecord,
)
from portalsync.emulator.store import ClientNotFound, InvalidListState, Store
from portalsync.emulator.validation import normalize_portal_id

logger = logging.getLogger("portalsync.emulator")

API_PREFIX = "/api/v1"
CONTROL_PREFIX = "/_emulator"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
SERVICE_USER = "service"
AUTH_REALM = 'Basic realm="Klientenportal", charset="UTF-8"'
PORTAL_NAME = "Klientenportal (Emulator)"
API_VERSION = "1"

MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_BATCH_ITEMS = 1000
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000
MAX_IDEMPOTENCY_KEY_LENGTH = 200
# SQLite stores signed 64-bit integers; larger versions could not be kept.
MAX_VERSION = 2**63 - 1
# Idle keep-alive connections are dropped after this many seconds so that
# forgotten client sessions do not pin handler threads forever.
IDLE_TIMEOUT_SECONDS = 300
# How often serve_forever looks for a shutdown request; bounds how long
# stop() and set_down(True) take.
POLL_INTERVAL_SECONDS = 0.05

MSG_NO_PASSWORD = "Kein Service-Account-Passwort am Portal hinterlegt."  # noqa: S105 - a message, not a secret
MSG_LOGIN_FAILED = "Anmeldung fehlgeschlagen."
MSG_INVALID_JSON = "Ungültiges JSON."
MSG_INTERNAL = "Interner Fehler im Portal-Emulator."
MSG_UNKNOWN_PATH = "Unbekannter Pfad."
MSG_METHOD = "Diese Methode ist für diesen Pfad nicht erlaubt."
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
MSG_BODY_TOO_LARGE = "Die Anfrage ist zu groß."
MSG_LENGTH_REQUIRED = "Bitte die Anfrage mit Content-Length senden."

_INVALID_JSON = object()
_DIGITS = re.compile(r"^[0-9]{1,19}$")
_CLIENT_PATH = re.compile(r"^/clients/([^/]+)$")
_CONTROL_CLIENT_PATH = re.compile(r"^/clients/([^/]+)(/create)?$")
_REASONS = {status.value: status.phrase for status in HTTPStatus}


@dataclass
class Request:
    """A fully read HTTP request, independent of the socket it came from."""

    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    started: float


@dataclass
class Response:
    """What to do with the connection: answer, reset it, or hang then close."""

    status: int
    body: bytes = b""
    content_type: str | None = JSON_CONTENT_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    action: str = "send"
    hang_seconds: float = 0.0
    after: Callable[[], None] | None = None


def json_response(
    status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, headers=headers or [])


def error_response(
    status: int, message: str, headers: list[tuple[str, str]] | None = None
) -> Response:
    return json_response(status, {"error": message}, headers)


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _INVALID_JSON


def _positive_int_header(value: str | None) -> int | None:
    if value is None or not _DIGITS.match(value.strip()):
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


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, lets the EmulatorServer decide, writes the answer."""

    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY a keep-alive answer waits ~40 ms for the client's
    # delayed ACK; that alone would cap single PUTs at ~25 per second.
    disable_nagle_algorithm = True
    server_version = "Klientenportal-Emulator/1"
    sys_version = ""
    timeout = IDLE_TIMEOUT_SECONDS
    error_content_type = JSON_CONTENT_TYPE
    error_message_format = '{"error": "Ungültige HTTP-Anfrage (%(code)d)."}'
    server: _PortalHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.untrack(self.connection)

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:
            # The client went away, or set_down()/stop() closed the socket.
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)

    def _serve(self) -> None:
        started = time.time()
        body = self._read_body()
        if isinstance(body, Response):
            self._deliver(body)
            return
        target = urlsplit(self.path)
        query = {
            key: values[0] for key, values in parse_qs(target.query, keep_blank_values=True).items()
        }
        request = Request(
            self.command, unquote(target.path) or "/", query, self.headers, body, started
        )
        self._deliver(self.server.app.handle(request, control=self.server.control))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _read_body(self) -> bytes | Response:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return error_response(411, MSG_LENGTH_REQUIRED)
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            return b""
        if not _DIGITS.match(raw_length.strip()):
            self.close_connection = True
            return error_response(400, "Ungültige Content-Length.")
        length = int(raw_length)
        if length > MAX_BODY_BYTES:
            # The body stays unread, so the connection cannot be reused.
            self.close_connection = True
            return error_response(413, MSG_BODY_TOO_LARGE)
        body = self.rfile.read(length)
        if len(body) < length:
            raise ConnectionError("request body truncated")
        return body

    def _deliver(self, response: Response) -> None:
        if response.action == "reset":
            self._reset_connection()
            return
        if response.action == "hang":
            self.server.app.sleep(response.hang_seconds)
            self.close_connection = True
            return
        self._write(response)
        if response.after is not None:
            response.after()

    def _write(self, response: Response) -> None:
        # Status line, headers and body go out in a single write: one segment
        # for small answers, and no chance of a partial header on the wire.
        lines = [
            f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Status')}",
            f"Date: {self.date_time_string()}",
            f"Server: {self.server_version}",
        ]
        if response.content_type:
            lines.append(f"Content-Type: {response.content_type}")
        lines.append(f"Content-Length: {len(response.body)}")
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + response.body)

    def _reset_connection(self) -> None:
        # SO_LINGER with a zero timeout turns close() into a TCP RST, which is
        # exactly what a crashing load balancer looks like to the client.
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # The buffered reader holds a reference to the socket; only when
            # both are closed does the kernel release it (and send the RST).
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass


class _PortalHTTPServer(ThreadingHTTPServer):
    """Listening socket plus bookkeeping of open connections."""

    daemon_threads = True
    # Handler threads may be sleeping in a fault; closing must not wait for them.
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: EmulatorServer, *, control: bool) -> None:
        self.app = app
        self.control = control
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can
        # take seconds on badly configured machines; the name is not needed.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def drop_connections(self) -> None:
        """Cut all open keep-alive connections, as a crashed server would."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.exception("Unerwarteter Fehler bei der Verbindung von %s", client_address)


class EmulatorServer:
    """The emulated client portal: storage, faults, request log and HTTP listeners."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        data_path: str = ":memory:",
        password: str | None = None,
        control_port: int | None = None,
    ) -> None:
        self.host = host
        self.store = Store(data_path)
        if password:
            self.store.set_password(password)
        self.faults = FaultConfig()
        self._log = RequestLog()
        self._requested_port = port
        self._requested_control_port = control_port
        self._port: int | None = None
        self._control_port: int | None = None
        self._main: _PortalHTTPServer | None = None
        self._control: _PortalHTTPServer | None = None
        self._down = False
        self._started = False
        self._stopped = False
        self._lifecycle = threading.RLock()
        # Set on stop(): wakes every fault sleep so shutdown never waits 30 s.
        self._wake = threading.Event()

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> EmulatorServer:
        """Bind, listen and serve in daemon threads; returns once listening."""
        with self._lifecycle:
            if self._stopped:
                raise RuntimeError("Der Emulator wurde bereits beendet.")
            if self._started:
                return self
            self._main = self._listen(self._requested_port, control=False)
            self._port = self._main.server_address[1]
            if self._requested_control_port is not None:
                try:
                    self._control = self._listen(self._requested_control_port, control=True)
                except OSError:
                    self._close(self._main)
                    raise
                self._control_port = self._control.server_address[1]
            self._started = True
        return self

    def serve_forever(self) -> None:
        """Blocking variant: serve until stop() or KeyboardInterrupt."""
        self.start()
        try:
            while not self._wake.wait(0.5):
                pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Shut down all listeners and connections; safe to call repeatedly.

        The store stays open so that tests can still inspect what the portal
        holds after an "outage"; its connection closes with the object.
        """
        with self._lifecycle:
            if self._stopped:
                return
            self._stopped = True
            self._wake.set()
            for server in (self._main, self._control):
                if server is not None:
                    self._close(server)
            self._main = self._control = None

    def set_down(self, down: bool) -> None:
        """Close or re-open the main listening socket on the same port."""
        with self._lifecycle:
            if not self._started or self._stopped:
                raise RuntimeError("Der Emulator läuft nicht.")
            if down == self._down:
                return
            if down:
                assert self._main is not None
                self._close(self._main)
                self._main = None
            else:
                assert self._port is not None
                self._main = self._listen(self._port, control=False)
            self._down = down

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _listen(self, port: int, *, control: bool) -> _PortalHTTPServer:
        server = _PortalHTTPServer((self.host, port), self, control=control)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL_SECONDS},
            name=f"portal-emulator-{'control' if control else 'main'}-{server.server_address[1]}",
            daemon=True,
        )
        thread.start()
        return server

    @staticmethod
    def _close(server: _PortalHTTPServer) -> None:
        server.shutdown()
        server.server_close()
        server.drop_connections()

    def sleep(self, seconds: float) -> None:
        """Sleep for a fault, but wake up immediately when the server stops."""
        if seconds > 0:
            self._wake.wait(seconds)

    # -- addresses and state -------------------------------------------------

    def _url_for(self, port: int | None) -> str:
        if port is None:
            raise RuntimeError("Der Emulator wurde noch nicht gestartet.")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}"

    @property
    def port(self) -> int | None:
        return self._port

    @property
    def url(self) -> str:
        return self._url_for(self._port)

    @property
    def control_url(self) -> str:
        if self._requested_control_port is None:
            return self.url
        return self._url_for(self._control_port)

    @property
    def is_down(self) -> bool:
        return self._down

    @property
    def requests_log(self) -> list[RequestRecord]:
        return self._log.snapshot()

    def clear_log(self) -> None:
        self._log.clear()

    # -- request handling ------------------------------------------------------

    def handle(self, request: Request, *, control: bool) -> Response:
        """Route one request; never lets an exception reach the client."""
        is_control = request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/")
        try:
            if is_control:
                return self._control_endpoint(request, on_control_port=control)
            if control:
                return error_response(
                    404, "Am Steuerungs-Port gibt es nur die Pfade unter /_emulator/."
                )
            if request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"):
                return self._api(request)
            return self._page(request)
        except Exception:
            logger.exception("Fehler bei %s %s", request.method, request.path)
            if is_control or control or request.path.startswith(API_PREFIX):
                return error_response(500, MSG_INTERNAL)
            return Response(500, pages.error_page().encode("utf-8"), pages.HTML_CONTENT_TYPE)

    # -- HTML pages ------------------------------------------------------------

    def _page(self, request: Request) -> Response:
        result = pages.handle_page(
            self.store, request.method, request.path, request.query, request.body
        )
        if result is None:
            return Response(404, pages.not_found_page().encode("utf-8"), pages.HTML_CONTENT_TYPE)
        headers = list(result.headers)
        if result.location:
            headers.append(("Location", result.location))
        content_type = result.content_type if result.body else None
        return Response(result.status, result.body.encode("utf-8"), content_type, headers)

    # -- sync API ----------------------------------------------------------------

    def _api(self, request: Request) -> Response:
        plan = self.faults.draw()
        if plan.refuses:
            return self._fault_response(request, plan)
        self.sleep(plan.slow_seconds)
        denied = self._authenticate(request)
        if denied is not None:
            self._log_request(request, denied.status, "unauthorized")
            return denied
        response = self._api_route(request)
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
            self.sleep(plan.timeout_seconds or 0.0)
            response = error_response(504, MSG_TIMEOUT)
        self._log_request(request, response.status, "fault")
        return response

    def _authenticate(self, request: Request) -> Response | None:
        if not self.store.has_password():
            return error_response(401, MSG_NO_PASSWORD)
        credentials = _basic_credentials(request.headers.get("Authorization"))
        if credentials is not None:
            user, password = credentials
            user_ok = hmac.compare_digest(user, SERVICE_USER.encode("utf-8"))
            password_ok = self.store.check_password(password.decode("utf-8", errors="replace"))
            if user_ok and password_ok:
                return None
        return error_response(401, MSG_LOGIN_FAILED, [("WWW-Authenticate", AUTH_REALM)])

    def _api_route(self, request: Request) -> Response:
        route = request.path[len(API_PREFIX) :]
        method = request.method
        if route == "/status":
            if method != "GET":
                return self._method_not_allowed("GET")
            return json_response(
                200,
                {"portal": PORTAL_NAME, "api_version": API_VERSION, "clients": self.store.count()},
            )
        if route == "/clients":
            if method != "GET":
                return self._method_not_allowed("GET")
            return self._list_clients(request)
        if route == "/clients/batch":
            if method != "POST":
                return self._method_not_allowed("POST")
            return self._batch(request)
        match = _CLIENT_PATH.match(route)
        if match:
            if method == "PUT":
                return self._put_client(request, match.group(1))
            if method == "GET":
                return self._get_client(match.group(1))
            return self._method_not_allowed("GET, PUT")
        return error_response(404, MSG_UNKNOWN_PATH)

    @staticmethod
    def _method_not_allowed(allowed: str) -> Response:
        return error_response(405, MSG_METHOD, [("Allow", allowed)])

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
        total, items = self.store.page(page, size)
        next_page = page + 1 if page * size < total else None
        return json_response(
            200, {"count": total, "page": page, "next": next_page, "results": items}
        )

    def _get_client(self, raw_id: str) -> Response:
        item = self.store.get(raw_id)
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
            data = _parse_json(request.body)
            if data is _INVALID_JSON:
                response = error_response(400, MSG_INVALID_JSON)
            else:
                write = WriteRequest(portal_id, version, key, data)
                result = self.store.apply([write], self.faults.rejected_clients())[0]
                self._log_results(request, [(write, result)])
                headers = [("Idempotent-Replayed", "true")] if result.replayed else []
                return Response(result.status, result.body_text.encode("utf-8"), headers=headers)
        self._log_request(request, response.status, "rejected")
        return response

    def _batch(self, request: Request) -> Response:
        payload = _parse_json(request.body)
        if payload is _INVALID_JSON:
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
            write, problem = self._batch_item(item)
            if write is None:
                slots.append(problem)
            else:
                slots.append(len(writes))
                writes.append(write)
        results = self.store.apply(writes, self.faults.rejected_clients()) if writes else []
        output: list[dict[str, Any]] = []
        records: list[RequestRecord] = []
        for slot in slots:
            if isinstance(slot, dict):
                output.append(slot)
                records.append(
                    self._record(request, slot["portal_id"], None, None, 422, "rejected")
                )
            else:
                write, result = writes[slot], results[slot]
                output.append(self._batch_entry(result))
                records.append(
                    self._record(
                        request,
                        write.portal_id,
                        write.version,
                        write.idempotency_key,
                        result.status,
                        result.outcome,
                    )
                )
        self._log.extend(records)
        return json_response(200, {"results": output})

    @staticmethod
    def _batch_item(item: object) -> tuple[WriteRequest | None, dict[str, Any]]:
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

    @staticmethod
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
        self,
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

    def _log_results(self, request: Request, pairs: list[tuple[WriteRequest, WriteResult]]) -> None:
        self._log.extend(
            [
                self._record(
                    request,
                    write.portal_id,
                    write.version,
                    write.idempotency_key,
                    result.status,
                    result.outcome,
                )
                for write, result in pairs
            ]
        )

    def _log_request(self, request: Request, status: int, outcome: str) -> None:
        """Log a request that was answered as a whole, one record per item it carried."""
        self._log.extend(
            [
                self._record(request, *described, status, outcome)
                for described in self._describe_items(request)
            ]
        )

    @staticmethod
    def _describe_items(request: Request) -> list[tuple[str | None, int | None, str | None]]:
        """Best-effort (portal_id, version, key) of the items in a request."""
        route = request.path[len(API_PREFIX) :]
        if route == "/clients/batch" and request.method == "POST":
            payload = _parse_json(request.body)
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

    # -- control endpoints -------------------------------------------------------------

    def _control_endpoint(self, request: Request, *, on_control_port: bool) -> Response:
        route = request.path[len(CONTROL_PREFIX) :].rstrip("/") or "/"
        method = request.method
        if route in ("/", "/status") and method == "GET":
            return json_response(200, self._status())
        if route == "/faults":
            return self._control_faults(request)
        if route == "/reset" and method == "POST":
            self.store.reset()
            self._log.clear()
            self.faults.reset()
            return json_response(200, {"reset": True})
        if route == "/requests":
            if method == "GET":
                records = self._log.snapshot()
                return json_response(200, {"count": len(records), "requests": records})
            if method == "DELETE":
                self._log.clear()
                return json_response(200, {"cleared": True})
            return self._method_not_allowed("GET, DELETE")
        if route in ("/down", "/up") and method == "POST":
            return self._control_down(route == "/down", on_control_port)
        if route == "/password" and method == "PUT":
            return self._control_password(request)
        if route == "/clients" and method == "GET":
            items = self.store.all()
            return json_response(200, {"count": len(items), "results": items})
        match = _CONTROL_CLIENT_PATH.match(route)
        if match:
            return self._control_client(request, match.group(1), create=bool(match.group(2)))
        return error_response(404, MSG_UNKNOWN_PATH)

    def _status(self) -> dict[str, Any]:
        return {
            "portal": PORTAL_NAME,
            "url": self.url,
            "control_url": self.control_url,
            "down": self._down,
            "password_set": self.store.has_password(),
            "clients": self.store.count(),
            "list_states": self.store.counts_by_list_state(),
        }

    def _control_faults(self, request: Request) -> Response:
        if request.method == "GET":
            return json_response(200, self.faults.to_dict())
        if request.method not in ("PUT", "PATCH"):
            return self._method_not_allowed("GET, PUT, PATCH")
        data = _parse_json(request.body)
        if data is _INVALID_JSON:
            return error_response(400, MSG_INVALID_JSON)
        try:
            if request.method == "PUT":
                self.faults.replace(data)
            else:
                self.faults.update(data)
        except FaultConfigError as error:
            return error_response(400, str(error))
        return json_response(200, self.faults.to_dict())

    def _control_down(self, down: bool, on_control_port: bool) -> Response:
        if down and not on_control_port:
            # Answer first, then cut the port from another thread; doing it
            # inline would kill the very connection carrying this answer.
            def go_down() -> None:
                threading.Thread(target=self._set_down_quietly, args=(True,), daemon=True).start()

            response = json_response(200, {"down": True})
            response.after = go_down
            return response
        self.set_down(down)
        return json_response(200, {"down": down})

    def _set_down_quietly(self, down: bool) -> None:
        try:
            self.set_down(down)
        except RuntimeError:
            pass

    def _control_password(self, request: Request) -> Response:
        data = _parse_json(request.body)
        password = data.get("password", "") if isinstance(data, dict) else ""
        if password is None:
            self.store.clear_password()
        elif isinstance(password, str) and password:
            self.store.set_password(password)
        else:
            return error_response(400, 'Erwartet wird {"password": "…"} oder {"password": null}.')
        return json_response(200, {"password_set": self.store.has_password()})

    def _control_client(self, request: Request, raw_id: str, *, create: bool) -> Response:
        method = request.method
        try:
            if create:
                if method != "POST":
                    return self._method_not_allowed("POST")
                return json_response(200, self.store.create(raw_id))
            if method == "GET":
                item = self.store.get(raw_id)
                return (
                    json_response(200, item) if item else error_response(404, MSG_CLIENT_NOT_FOUND)
                )
            if method == "DELETE":
                if not self.store.delete(raw_id):
                    return error_response(404, MSG_CLIENT_NOT_FOUND)
                return json_response(200, {"deleted": raw_id.lower()})
            if method == "PATCH":
                data = _parse_json(request.body)
                if not isinstance(data, dict):
                    return error_response(
                        400, "Erwartet wird ein JSON-Objekt mit den zu ändernden Feldern."
                    )
                return json_response(200, self.store.tamper(raw_id, **data))
        except ClientNotFound:
            return error_response(404, MSG_CLIENT_NOT_FOUND)
        except InvalidListState as error:
            return error_response(409, str(error))
        except ValueError as error:
            return error_response(400, str(error))
        return self._method_not_allowed("GET, PATCH, DELETE")
