from typing import Any

import pytest
from django.test import Client as BrowserClient

from tests.factories import make_user

ANON, READER, STAFF, ADMIN = "anonymous", "Nur lesen", "Mitarbeiter", "KIS/Board-Administrator"
ROLES = (ANON, READER, STAFF, ADMIN)


@pytest.fixture
def browser_for(db: None) -> Any:
    """A browser logged in with the given role (or anonymous), one user per role."""
    browsers: dict[str, BrowserClient] = {}

    def make(role: str, *, enforce_csrf_checks: bool = False, fresh: bool = False) -> BrowserClient:
        """`fresh`: a new browser with its own session (e.g. for logging out)."""
        key = f"{role}:{enforce_csrf_checks}"
        if key in browsers and not fresh:
            return browsers[key]
        browser = BrowserClient(enforce_csrf_checks=enforce_csrf_checks)
        if role != ANON:
            username = {READER: "leser", STAFF: "mitarbeiter", ADMIN: "kanzlei-admin"}[role]
            browser.force_login(_user(username, role))
        if not fresh:
            browsers[key] = browser
        return browser

    return make


def _user(username: str, role: str) -> Any:
    from django.contrib.auth import get_user_model

    existing = get_user_model().objects.filter(username=username).first()
    return existing or make_user(username, role)
