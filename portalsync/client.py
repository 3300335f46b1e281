"""HTTP client of the portal's sync API. Translates every failure into PortalError.

It knows HTTP and the API's shapes only; what to do about an error is the engine's call.
"""

import ipaddress
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError

API_PREFIX = "/api/v1"
SERVICE_USER = "service"


class PortalError(Exception):
    """Base of every failure talking to the portal; `message` is German, for the UI."""

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status


class TransientError(PortalError):
    """Worth retrying later: timeout, reset, 5xx, 429."""

    def __init__(
        self, message: str, *, http_status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, http_status=http_status)
        self.retry_after = retry_after


class UnreachableError(TransientError):
    """No connection could be made at all: the whole target is down."""


class InsecureURLError(UnreachableError):
    """The Board refuses to send the service password over plain HTTP to a remote host."""


class AuthError(PortalError):
    """The portal rejects the service password (401/403)."""


class PermanentError(PortalError):
    """The request itself is wrong (400/404/413/422); retrying the same data cannot help."""


@dataclass(frozen=True)
class PushItem:
    portal_id: UUID
    version: int
    data: dict[str, Any]

    @property
    def idempotency_key(self) -> str:
        return f"{self.portal_id}:v{self.version}"


@dataclass(frozen=True)
class PushResult:
    """The portal's answer for one client.

    status 200/201: stored; 409: the portal already holds `version` (≥ the sent one);
    422/400: rejected with `error` (German text from the portal).
    """

    portal_id: UUID
    status: int
    version: int | None
    list_state: str
    content_hash: str
    error: str

    @property
    def stored(self) -> bool:
        return self.status in (200, 201, 409)


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_refused(url: str, *, debug: bool) -> bool:
    """True when `url` is plain HTTP to a remote host: the password would travel unencrypted.

    Plain HTTP is allowed to loopback (the local emulator) and with DEBUG on.
    """
    return urlsplit(url).scheme == "http" and not (is_loopback_url(url) or debug)


MAX_RETRY_AFTER_SECONDS = 3600.0


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds (number or HTTP date), clamped to an hour; None if absent."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds() if when.tzinfo else 0.0
    if not math.isfinite(seconds):
        return MAX_RETRY_AFTER_SECONDS
    return min(max(0.0, seconds), MAX_RETRY_AFTER_SECONDS)


def _json(response: requests.Response) -> Any:
    """The decoded body; a non-JSON answer means PORTAL_URL points to something else."""
    try:
        return response.json()
    except ValueError as exc:
        raise UnreachableError(
            "Die Antwort ist keine Antwort der Portal-Schnittstelle (kein JSON); bitte die "
            "Klientenportal URL prüfen.",
            http_status=response.status_code,
        ) from exc


def _format_error(body: dict[str, Any]) -> str:
    """The portal's German message, followed by its field errors."""
    message = str(body.get("error") or "")
    fields = body.get("fields")
    if isinstance(fields, dict) and fields:
        parts = []
        for name, errors in fields.items():
            text = " ".join(map(str, errors)) if isinstance(errors, list) else str(errors)
            if name == "__all__":  # errors of the whole record: no field to name
                if text != message:
                    parts.append(text)
            else:
                parts.append(f"{name}: {text}")
        details = "; ".join(parts)
        if details:
            message = f"{message} ({details})" if message else details
    return message[:1000]


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    return _format_error(body) if isinstance(body, dict) else str(body)[:500]


class PortalClient:
    """One keep-alive session to the portal. Not thread-safe; use one per worker loop."""

    @sensitive_variables("password")
    def __init__(
        self,
        *,
        base_url: str,
        password: str,
        connect_timeout: float,
        read_timeout: float,
        allow_plain_http: bool | None = None,
    ) -> None:
        """`allow_plain_http` None means: only when DEBUG is on (loopback is always allowed)."""
        self.base_url = base_url.rstrip("/")
        self.allow_plain_http = settings.DEBUG if allow_plain_http is None else allow_plain_http
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        # UTF-8 as RFC 7617 asks; requests would encode a str as Latin-1, breaking umlauts.
        self.session.auth = (SERVICE_USER.encode(), password.encode("utf-8"))
        self.session.headers["Accept"] = "application/json"
        # Retrying is the engine's job: it knows about versions and backoff.
        self.session.mount("http://", HTTPAdapter(max_retries=0, pool_maxsize=2))
        self.session.mount("https://", HTTPAdapter(max_retries=0, pool_maxsize=2))

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "PortalClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if plain_http_refused(self.base_url, debug=self.allow_plain_http):
            raise InsecureURLError(
                "Die Klientenportal URL verwendet unverschlüsseltes HTTP zu einem entfernten "
                "Rechner; das Board sendet das Passwort dorthin nicht. Bitte eine https://-"
                "Adresse als PORTAL_URL eintragen."
            )
        try:
            # Redirects are never followed: they could carry the credentials elsewhere.
            response = self.session.request(
                method,
                self.base_url + API_PREFIX + path,
                timeout=self.timeout,
                allow_redirects=False,
                **kwargs,
            )
        except requests.ConnectTimeout as exc:
            raise UnreachableError("Zeitüberschreitung beim Verbindungsaufbau zum Portal.") from exc
        except requests.exceptions.SSLError as exc:
            raise UnreachableError(
                "Die TLS-Verbindung zum Portal ist fehlgeschlagen (Zertifikat prüfen)."
            ) from exc
        except requests.ReadTimeout as exc:
            raise TransientError("Das Portal hat nicht rechtzeitig geantwortet.") from exc
        except requests.ConnectionError as exc:
            if _is_refused(exc):
                raise UnreachableError("Das Portal ist nicht erreichbar.") from exc
            raise TransientError("Die Verbindung zum Portal wurde unterbrochen.") from exc
        except requests.RequestException as exc:
            raise TransientError("Fehler bei der Verbindung zum Portal.") from exc
        return self._check_status(response)

    def _check_status(self, response: requests.Response) -> requests.Response:
        status = response.status_code
        if status in (401, 403):
            raise AuthError("Das Portal lehnt das Service-Account Passwort ab.", http_status=status)
        if status == 429:
            raise TransientError(
                "Das Portal drosselt die Anfragen.",
                http_status=status,
                retry_after=_retry_after(response),
            )
        if status >= 500:
            raise TransientError(
                f"Das Portal meldet einen Serverfehler (HTTP {status}).",
                http_status=status,
                retry_after=_retry_after(response),
            )
        if 300 <= status < 400:
            raise PermanentError(
                f"Das Portal leitet um (HTTP {status}); bitte die Portal-URL prüfen.",
                http_status=status,
            )
        return response

    def check(self) -> dict[str, Any]:
        """GET /status: proves reachability and the password. Returns the portal's info."""
        response = self._request("GET", "/status")
        if response.status_code != 200:
            raise PermanentError(_error_text(response), http_status=response.status_code)
        return _json(response)

    def push(self, item: PushItem) -> PushResult:
        response = self._request(
            "PUT",
            f"/clients/{item.portal_id}",
            json=item.data,
            headers={
                "X-Sync-Version": str(item.version),
                "Idempotency-Key": item.idempotency_key,
            },
        )
        return self._result(item.portal_id, response.status_code, response)

    def push_batch(self, items: list[PushItem]) -> list[PushResult]:
        response = self._request(
            "POST",
            "/clients/batch",
            json={
                "items": [
                    {
                        "portal_id": str(item.portal_id),
                        "version": item.version,
                        "idempotency_key": item.idempotency_key,
                        "data": item.data,
                    }
                    for item in items
                ]
            },
        )
        if response.status_code != 200:
            raise PermanentError(_error_text(response), http_status=response.status_code)
        body = _json(response)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list) or len(results) != len(items):
            raise TransientError("Das Portal hat eine unvollständige Antwort geliefert.")
        return [
            PushResult(
                portal_id=item.portal_id,
                status=int(result["status"]),
                version=result.get("version"),
                list_state=result.get("list_state") or "",
                content_hash=result.get("content_hash") or "",
                error=_batch_error_text(result),
            )
            for item, result in zip(items, results, strict=True)
        ]

    def _result(self, portal_id: UUID, status: int, response: requests.Response) -> PushResult:
        if status in (200, 201, 409):
            body = _json(response)
            if not isinstance(body, dict):
                raise UnreachableError("Das Portal hat eine unerwartete Antwort geliefert.")
            return PushResult(
                portal_id=portal_id,
                status=status,
                version=body.get("version"),
                list_state=body.get("list_state") or "",
                content_hash=body.get("content_hash") or "",
                error="",
            )
        return PushResult(
            portal_id=portal_id,
            status=status,
            version=None,
            list_state="",
            content_hash="",
            error=_error_text(response) or f"HTTP {status}",
        )

    def list_clients(self, *, page_size: int = 500) -> Iterator[dict[str, Any]]:
        """Every client the portal holds, page by page."""
        page: int | None = 1
        while page is not None:
            response = self._request(
                "GET", "/clients", params={"page": page, "page_size": page_size}
            )
            if response.status_code != 200:
                raise PermanentError(_error_text(response), http_status=response.status_code)
            body = _json(response)
            yield from body["results"]
            page = body.get("next")


def _batch_error_text(result: dict[str, Any]) -> str:
    if int(result.get("status", 0)) in (200, 201, 409):
        return ""
    return _format_error(result) or f"HTTP {result.get('status')}"


def _is_refused(exc: requests.ConnectionError) -> bool:
    """True when no TCP connection was made (refused, no route, DNS failure).

    urllib3 reports those as NewConnectionError inside MaxRetryError; a connection that
    broke after it was made (reset) arrives as a ProtocolError instead.
    """
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)
