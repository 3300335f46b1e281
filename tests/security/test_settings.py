"""Hardened settings: `check --deploy` is clean in production, security headers are set,
templates need no inline script or style (the Content-Security-Policy forbids them)."""

import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import Client as BrowserClient
from django.urls import reverse

BASE_DIR = Path(settings.BASE_DIR)


def _production_env(**overrides: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "PORTAL", "Q_", "DATABASE_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "rzl_board.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "board.kanzlei.example",
            "DJANGO_HTTPS": "1",
            # Set explicitly: a local .env.local (run.py) may turn them off for plain http.
            "DJANGO_SECURE_COOKIES": "1",
            "PORTAL_URL": "https://portal.kanzlei.example",
            "PORTALSYNC_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        }
    )
    env.update(overrides)
    return env


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings() -> None:
    result = _check_deploy(_production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (1 silenced)."


def test_check_deploy_reports_a_site_served_without_https() -> None:
    result = _check_deploy(_production_env(DJANGO_HTTPS="0"))

    assert result.returncode == 1
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W008" in result.stderr  # no redirect to https


@pytest.mark.django_db
def test_every_response_carries_the_security_headers() -> None:
    response = BrowserClient().get(reverse("login"))

    assert response["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_hsts_is_sent_over_https_when_the_site_is_served_over_https(settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000

    response = BrowserClient().get(reverse("login"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_no_template_has_inline_script_or_style() -> None:
    offending = []
    for template in sorted((BASE_DIR / "templates").rglob("*.html")):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", text):
            offending.append(template.relative_to(BASE_DIR).as_posix())

    assert offending == []


def test_a_refused_page_is_logged_in_one_line_without_traceback(
    staff_browser: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = staff_browser.get("/stamm/einstellungen/klientenportal-synchronisation/")

    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == (
        "Forbidden (Permission denied): /stamm/einstellungen/klientenportal-synchronisation/"
    )
    [console] = [h for h in logging.getLogger().handlers if h.filters]
    assert console.filter(record)
    assert "\n" not in console.format(record)
    assert console.format(record).endswith(
        "WARNING django.request: Forbidden (Permission denied): "
        "/stamm/einstellungen/klientenportal-synchronisation/"
    )


def test_a_request_for_another_host_gets_a_german_page() -> None:
    response = BrowserClient(HTTP_HOST="fremd.example").get("/anmelden/")

    assert response.status_code == 400
    assert "<h1>Ungültige Anfrage</h1>" in response.content.decode()


@pytest.mark.django_db
def test_opening_the_address_of_a_button_explains_itself(staff_browser: Any) -> None:
    response = staff_browser.get("/abmelden/")

    assert (response.status_code, response["Allow"]) == (405, "POST, OPTIONS")
    assert "<h1>Aktion nicht möglich</h1>" in response.content.decode()
