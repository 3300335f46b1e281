"""The portal emulator as one object: storage, faults, request log and listeners.

`EmulatorServer` is the public entry point. One listener serves the sync API
(/api/v1), the control endpoints (/_emulator) and the HTML pages; an optional
second listener on a control port serves only /_emulator so that tests can
switch the main port off and on again. The transport, the API and the control
endpoints live in their own modules; this one starts and stops the listeners
and routes each request to one of them.
"""

from __future__ import annotations

import logging
import threading

from portalsync.emulator import pages, transport
from portalsync.emulator.api import API_PREFIX, SyncApi
from portalsync.emulator.control import CONTROL_PREFIX, handle_control
from portalsync.emulator.faults import FaultConfig, RequestLog, RequestRecord
from portalsync.emulator.store import Store
from portalsync.emulator.transport import PortalHTTPServer, Request, Response, error_response

logger = logging.getLogger("portalsync.emulator")

MSG_INTERNAL = "Interner Fehler im Portal-Emulator."


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
        self._api = SyncApi(self.store, self.faults, self._log, self.sleep)
        self._requested_port = port
        self._requested_control_port = control_port
        self._port: int | None = None
        self._control_port: int | None = None
        self._main: PortalHTTPServer | None = None
        self._control: PortalHTTPServer | None = None
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
            self._main = transport.listen(self.host, self._requested_port, self, control=False)
            self._port = self._main.server_address[1]
            if self._requested_control_port is not None:
                try:
                    self._control = transport.listen(
                        self.host, self._requested_control_port, self, control=True
                    )
                except OSError:
                    transport.close(self._main)
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
                    transport.close(server)
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
                transport.close(self._main)
                self._main = None
            else:
                assert self._port is not None
                self._main = transport.listen(self.host, self._port, self, control=False)
            self._down = down

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

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
                return handle_control(self, request, on_control_port=control)
            if control:
                return error_response(
                    404, "Am Steuerungs-Port gibt es nur die Pfade unter /_emulator/."
                )
            if request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"):
                return self._api.handle(request)
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
