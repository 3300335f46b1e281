"""Every URL pattern × every role gets exactly the expected status, and no 500.

The patterns are found by walking the URL resolver: a new view without an entry in
EXPECTED fails `test_every_url_pattern_has_expected_statuses_for_every_role`, so nobody
can add a page without deciding who may see it.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client as BrowserClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, UUIDConverter

from clients.models import Client
from portalsync.models import SyncState
from tests.factories import make_client
from tests.security.conftest import ADMIN, ANON, READER, ROLES, STAFF

LOGIN = "login-redirect"  # 302 to /anmelden/?next=…


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    anonymous: Any
    reader: Any
    staff: Any
    admin: Any

    def expected(self, role: str) -> Any:
        return {ANON: self.anonymous, READER: self.reader, STAFF: self.staff, ADMIN: self.admin}[
            role
        ]


# name, method, then the status for: anonymous, Nur lesen, Mitarbeiter, KIS/Board-Administrator
EXPECTED = [
    Row("home", "get", LOGIN, 302, 302, 302),
    Row("login", "get", 200, 200, 200, 200),
    Row("logout", "post", LOGIN, 302, 302, 302),
    Row("health", "get", 200, 200, 200, 200),
    Row("favicon", "get", 302, 302, 302, 302),
    Row("clients:list", "get", LOGIN, 200, 200, 200),
    Row("clients:create", "get", LOGIN, 403, 200, 200),
    Row("clients:create", "post", LOGIN, 403, 200, 200),
    Row("clients:edit", "get", LOGIN, 200, 200, 200),
    Row("clients:edit", "post", LOGIN, 403, 200, 200),
    Row("clients:export", "get", LOGIN, 200, 200, 200),
    Row("clients:bulk_portal", "post", LOGIN, 403, 302, 302),
    Row("clients:import", "get", LOGIN, 403, 200, 200),
    Row("clients:import_preview", "get", LOGIN, 403, 404, 404),
    Row("portalsync:settings", "get", LOGIN, 403, 403, 200),
    Row("portalsync:set_password", "post", LOGIN, 403, 403, 200),
    Row("portalsync:check_connection", "post", LOGIN, 403, 403, 302),
    Row("portalsync:full_resync", "post", LOGIN, 403, 403, 302),
    Row("portalsync:retry", "post", LOGIN, 403, 403, 302),
    Row("portalsync:log", "get", LOGIN, 403, 403, 200),
    Row("audit:log", "get", LOGIN, 403, 403, 200),
]


def walk(
    patterns: list[Any] | None = None, namespace: str = "", converters: dict | None = None
) -> Iterator[tuple[str | None, str, dict[str, Any]]]:
    """(qualified name, namespace, {kwarg: converter or None}) of every URL pattern."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        found = {**(converters or {}), **_converters(entry.pattern)}
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from walk(entry.url_patterns, inner, found)
        elif isinstance(entry, URLPattern):
            name = ":".join(filter(None, [namespace, entry.name])) if entry.name else None
            yield name, namespace, found


def _converters(pattern: Any) -> dict[str, Any]:
    converters = dict(getattr(pattern, "converters", {}))
    regex = getattr(pattern, "regex", None)
    for group in regex.groupindex if regex is not None else ():
        converters.setdefault(group, None)
    return converters


def _kwargs(name: str, converters: dict[str, Any], client: Client, state: SyncState) -> dict:
    values: dict[str, Any] = {}
    for key, converter in converters.items():
        if isinstance(converter, UUIDConverter):
            values[key] = uuid.UUID(int=7)
        elif key == "app_label":
            values[key] = "clients"
        elif isinstance(converter, IntConverter):
            values[key] = state.pk if name == "portalsync:retry" else client.pk
        else:
            values[key] = str(client.pk)
    return values


@pytest.fixture
def targets(db: None) -> tuple[Client, SyncState]:
    client = make_client(number=4711, short_name="Geheim-Klient", portal_enabled=True)
    return client, SyncState.objects.get(client=client)


def _call(browser: BrowserClient, method: str, url: str) -> Any:
    return browser.post(url) if method == "post" else browser.get(url)


def test_every_url_pattern_has_expected_statuses_for_every_role(
    browser_for: Any, targets: tuple[Client, SyncState]
) -> None:
    client, state = targets
    rows = {row.name: [r for r in EXPECTED if r.name == row.name] for row in EXPECTED}
    unexpected, missing = [], []

    for name, namespace, converters in walk():
        if namespace == "admin":
            continue  # Django's admin site: see test_the_admin_site_is_closed_to_every_role
        if name is None or name not in rows:
            missing.append(name)
            continue
        url = reverse(name, kwargs=_kwargs(name, converters, client, state))
        for row in rows[name]:
            for role in ROLES:
                # Logging out ends the session: that browser must not be shared.
                browser = browser_for(role, fresh=name == "logout")
                response = _call(browser, row.method, url)
                expected = row.expected(role)
                actual: Any = response.status_code
                if actual == 302 and response["Location"].startswith("/anmelden/?next="):
                    actual = LOGIN
                if actual != expected:
                    unexpected.append((name, row.method, role, expected, actual))

    assert missing == [], "Views without an entry in EXPECTED (decide who may use them)"
    assert unexpected == [], "\n".join(map(str, unexpected))


def test_a_denied_page_is_the_friendly_german_page_without_data(
    browser_for: Any, targets: tuple[Client, SyncState]
) -> None:
    client, state = targets

    responses = [
        browser_for(READER).post(reverse("clients:edit", kwargs={"pk": client.pk})),
        browser_for(STAFF).get(reverse("portalsync:settings")),
        browser_for(STAFF).post(reverse("portalsync:retry", kwargs={"pk": state.pk})),
        browser_for(READER).get(reverse("audit:log")),
    ]

    for response in responses:
        page = response.content.decode()
        assert response.status_code == 403
        assert "<h1>Keine Berechtigung</h1>" in page
        assert "Geheim-Klient" not in page
        assert "4711" not in page


def test_a_denied_retry_does_not_reveal_whether_the_state_exists(browser_for: Any) -> None:
    response = browser_for(STAFF).post(reverse("portalsync:retry", kwargs={"pk": 999999}))

    assert response.status_code == 403


def test_the_admin_site_is_closed_to_every_role(
    browser_for: Any, targets: tuple[Client, SyncState]
) -> None:
    client, state = targets
    statuses = {}

    for name, namespace, converters in walk():
        if namespace != "admin" or name is None:
            continue
        url = reverse(name, kwargs=_kwargs(name, converters, client, state))
        for role in ROLES:
            response = browser_for(role).get(url)
            location = response.get("Location", "")
            statuses[(name, role)] = (response.status_code, location.split("?")[0])

    for (name, role), (status, location) in statuses.items():
        if name == "admin:login":
            assert status == 200, (name, role)
        elif role == ANON:
            # Either log-in page: the Board's (login required) or the admin's own.
            assert status == 302 and location in ("/anmelden/", "/admin/login/"), (name, role)
        elif name == "admin:logout":
            assert status == 302 and location in ("/admin/", "/admin/login/"), (name, role)
        else:
            assert (status, location) == (302, "/admin/login/"), (name, role)
