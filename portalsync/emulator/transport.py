"""HTTP transport of the portal emulator, built on the standard library's http.server.

Turns bytes on a socket into a `Request`, hands it to the application and
writes the `Response` back, or resets or hangs the connection when a fault
asks for it. Also keeps track of open connections so that an outage can cut
them. Knows nothing about routes; `EmulatorServer` decides what to answer.
"""

from __future__ import annotations

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
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger("portalsync.emulator")

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
MAX_BODY_BYTES = 64 * 1024 * 1024
# Idle keep-alive connections are dropped after this many seconds so that
# forgotten client sessions do not pin handler threads forever.
IDLE_TIMEOUT_SECONDS = 300
# How often serve_forever looks for a shutdown request; bounds how long
# stop() and set_down(True) take.
POLL_INTERVAL_SECONDS = 0.05

MSG_INVALID_JSON = "Ungültiges JSON."
MSG_UNKNOWN_PATH = "Unbekannter Pfad."
MSG_METHOD = "Diese Methode ist für diesen Pfad nicht erlaubt."
MSG_BODY_TOO_LARGE = "Die Anfrage ist zu groß."
MSG_LENGTH_REQUIRED = "Bitte die Anfrage mit Content-Length senden."

# What parse_json returns for a body that is not JSON, so that a JSON null
# stays distinguishable from garbage.
INVALID_JSON = object()
# Plain decimal digits, at most as many as a signed 64-bit integer has; used
# for Content-Length and for the API's numeric headers and parameters.
DIGITS = re.compile(r"^[0-9]{1,19}$")
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


def method_not_allowed(allowed: str) -> Response:
    return error_response(405, MSG_METHOD, [("Allow", allowed)])


def parse_json(body: bytes) -> Any:
    """The decoded body, or INVALID_JSON if it is not UTF-8 JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return INVALID_JSON


class App(Protocol):
    """What the transport needs from the emulator behind it."""

    def handle(self, request: Request, *, control: bool) -> Response: ...

    def sleep(self, seconds: float) -> None: ...


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, lets the application decide, writes the answer."""

    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY a keep-alive answer waits ~40 ms for the client's
    # delayed ACK; that alone would cap single PUTs at ~25 per second.
    disable_nagle_algorithm = True
    server_version = "Klientenportal-Emulator/1"
    sys_version = ""
    timeout = IDLE_TIMEOUT_SECONDS
    error_content_type = JSON_CONTENT_TYPE
    error_message_format = '{"error": "Ungültige HTTP-Anfrage (%(code)d)."}'
    server: PortalHTTPServer

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
        if not DIGITS.match(raw_length.strip()):
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


class PortalHTTPServer(ThreadingHTTPServer):
    """Listening socket plus bookkeeping of open connections."""

    daemon_threads = True
    # Handler threads may be sleeping in a fault; closing must not wait for them.
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: App, *, control: bool) -> None:
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


def listen(host: str, port: int, app: App, *, control: bool) -> PortalHTTPServer:
    """Bind `host:port` and serve it in a daemon thread; returns once listening."""
    server = PortalHTTPServer((host, port), app, control=control)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": POLL_INTERVAL_SECONDS},
        name=f"portal-emulator-{'control' if control else 'main'}-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return server


def close(server: PortalHTTPServer) -> None:
    """Stop listening and cut the connections that are still open."""
    server.shutdown()
    server.server_close()
    server.drop_connections()
