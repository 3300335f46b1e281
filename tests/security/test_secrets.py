"""The service password: never shown, logged, queued, audited or put in an error report;
readable after a key rotation; a missing or wrong key is reported, never a crash."""

import io
import logging
import sys
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter
from django_q.models import Task

from audit.models import AuditEntry
from portalsync import crypto, services, target, views
from portalsync.client import InsecureURLError, PortalClient, plain_http_refused
from portalsync.emulator import EmulatorServer
from portalsync.models import PortalConnection, SyncAttempt
from portalsync.status import Code, function_status
from tests.conftest import PORTAL_PASSWORD
from tests.factories import make_client, make_user
from tests.helpers import client_form_data
from tests.security.conftest import ADMIN, STAFF
from tests.security.test_permissions import EXPECTED

pytestmark = pytest.mark.django_db(transaction=True)

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def _everything_stored(model: type) -> str:
    return "\n".join(repr(row) for row in model.objects.values())


def test_the_password_is_in_no_page_log_line_task_sync_log_or_audit_entry(
    browser_for: Any, emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(number=27)
    admin = browser_for(ADMIN)
    admin.post(reverse("portalsync:set_password"), {"password": PORTAL_PASSWORD})
    admin.post(reverse("portalsync:set_password"), {"password": PORTAL_PASSWORD})
    admin.post(
        reverse("clients:edit", args=[client.pk]), client_form_data(client, portal_enabled=True)
    )
    admin.post(reverse("portalsync:check_connection"))
    admin.post(reverse("portalsync:full_resync"))
    pages = [
        browser.get(
            reverse(row.name, kwargs={"pk": client.pk} if row.name == "clients:edit" else None)
        )
        for browser in (admin, browser_for(STAFF))
        for row in EXPECTED
        if row.method == "get" and row.name != "clients:import_preview"
    ]

    assert [p.status_code for p in pages if p.status_code >= 500] == []
    for page in pages:
        assert PORTAL_PASSWORD not in page.content.decode(errors="replace")
    assert PORTAL_PASSWORD not in caplog.text
    assert PORTAL_PASSWORD not in _everything_stored(Task)
    assert PORTAL_PASSWORD not in _everything_stored(SyncAttempt)
    assert PORTAL_PASSWORD not in _everything_stored(AuditEntry)
    assert list(
        AuditEntry.objects.filter(action__startswith="portal_password").values_list(
            "action", "actor_name", "changes", "detail"
        )
    ) == [
        ("portal_password_changed", "kanzlei-admin", [], ""),
        ("portal_password_set", "kanzlei-admin", [], ""),
    ]


def test_an_error_report_from_storing_the_password_hides_it(settings: Any) -> None:
    settings.PORTALSYNC_ENCRYPTION_KEY = []
    try:
        services.set_service_password(password=PORTAL_PASSWORD, user=None)
    except crypto.EncryptionKeyError:
        report = ExceptionReporter(None, *sys.exc_info()).get_traceback_text()

    assert "set_service_password" in report
    assert PORTAL_PASSWORD not in report
    assert "********" in report


def test_an_error_report_of_the_password_page_hides_the_posted_password(settings: Any) -> None:
    settings.PORTALSYNC_ENCRYPTION_KEY = []
    request = RequestFactory().post(
        reverse("portalsync:set_password"), {"password": PORTAL_PASSWORD}
    )
    request.user = make_user("kanzlei-admin", ADMIN)
    request._dont_enforce_csrf_checks = True

    views.set_password(request)
    report = ExceptionReporter(
        request, ValueError, ValueError("Beispiel"), None
    ).get_traceback_text()

    assert PORTAL_PASSWORD not in report
    assert "password = '********************'" in report


def test_an_error_report_from_the_portal_client_hides_the_password() -> None:
    portal = PortalClient(
        base_url="http://portal.kanzlei.example",
        password=PORTAL_PASSWORD,
        connect_timeout=1,
        read_timeout=1,
        allow_plain_http=False,
    )
    try:
        portal.check()
    except InsecureURLError:
        report = ExceptionReporter(None, *sys.exc_info()).get_traceback_text()

    assert PORTAL_PASSWORD not in report


def test_rotating_the_key_keeps_the_password_readable(
    settings: Any, emulator: EmulatorServer
) -> None:
    settings.PORTALSYNC_ENCRYPTION_KEY = [KEY_A]
    services.set_service_password(password=PORTAL_PASSWORD, user=None)
    settings.PORTALSYNC_ENCRYPTION_KEY = [KEY_B, KEY_A]

    call_command("portal_rotate_key", stdout=io.StringIO())
    settings.PORTALSYNC_ENCRYPTION_KEY = [KEY_B]
    token = PortalConnection.load().password_encrypted

    assert Fernet(KEY_B.encode()).decrypt(token.encode()).decode() == PORTAL_PASSWORD
    assert target.check_connection().health == PortalConnection.Health.OK
    assert list(AuditEntry.objects.values_list("action", "actor_name").order_by("id")) == [
        ("portal_password_set", ""),
        ("portal_key_rotated", "manage.py portal_rotate_key"),
    ]


def test_rotating_with_a_wrong_key_changes_nothing_and_says_why(settings: Any) -> None:
    settings.PORTALSYNC_ENCRYPTION_KEY = [KEY_A]
    services.set_service_password(password=PORTAL_PASSWORD, user=None)
    before = PortalConnection.load().password_encrypted
    settings.PORTALSYNC_ENCRYPTION_KEY = [KEY_B]

    with pytest.raises(CommandError) as raised:
        call_command("portal_rotate_key")

    assert str(raised.value) == crypto.WRONG_KEY
    assert PortalConnection.load().password_encrypted == before


def test_a_wrong_key_is_reported_by_the_status_the_page_and_the_system_check(
    settings: Any, browser_for: Any, emulator: EmulatorServer
) -> None:
    settings.PORTALSYNC_ENCRYPTION_KEY = [KEY_A]
    services.set_service_password(password=PORTAL_PASSWORD, user=None)
    settings.PORTALSYNC_ENCRYPTION_KEY = [KEY_B]
    emulator.clear_log()

    status = function_status()
    page = browser_for(ADMIN).get(reverse("portalsync:settings")).content.decode()
    connection = target.check_connection()
    errors = [m.id for m in run_checks(databases=["default"])]

    assert (status.code, status.detail) == (Code.NOT_CONFIGURED, crypto.WRONG_KEY)
    assert 'data-status="not_configured">Nicht eingerichtet<' in page
    assert "lässt sich mit keinem Schlüssel aus PORTALSYNC_ENCRYPTION_KEY entschlüsseln" in page
    assert connection.health_detail == crypto.WRONG_KEY
    assert emulator.requests_log == []  # no request with an empty or garbled password
    assert "portalsync.E002" in errors


def test_a_missing_key_is_a_system_check_error_and_no_crash(
    settings: Any, browser_for: Any
) -> None:
    settings.PORTALSYNC_ENCRYPTION_KEY = []

    errors = [(m.id, m.msg) for m in run_checks()]
    response = browser_for(ADMIN).post(
        reverse("portalsync:set_password"), {"password": PORTAL_PASSWORD}
    )

    assert ("portalsync.E001", crypto.MISSING_KEY) in errors
    assert response.status_code == 200
    assert "PORTALSYNC_ENCRYPTION_KEY ist nicht gesetzt" in response.content.decode()
    assert PortalConnection.load().password_encrypted == ""


@pytest.mark.parametrize(
    ("url", "debug", "refused"),
    [
        ("http://portal.kanzlei.example", False, True),
        ("http://portal.kanzlei.example", True, False),
        ("https://portal.kanzlei.example", False, False),
        ("http://127.0.0.1:8010", False, False),
        ("http://localhost:8010", False, False),
        ("http://[::1]:8010", False, False),
    ],
)
def test_plain_http_is_refused_unless_loopback_or_debug(
    url: str, debug: bool, refused: bool
) -> None:
    assert plain_http_refused(url, debug=debug) is refused


def test_a_plain_http_portal_url_is_refused_and_shown_on_the_settings_page(
    settings: Any, browser_for: Any, emulator: EmulatorServer
) -> None:
    services.set_service_password(password=PORTAL_PASSWORD, user=None)
    settings.PORTAL_URL = "http://portal.kanzlei.example"

    connection = services.check_connection()
    page = browser_for(ADMIN).get(reverse("portalsync:settings")).content.decode()
    warnings = [m.id for m in run_checks()]

    assert connection.health == PortalConnection.Health.UNREACHABLE
    assert connection.health_detail.startswith(
        "Die Klientenportal URL verwendet unverschlüsseltes HTTP zu einem entfernten Rechner"
    )
    assert 'data-warning="plain-http"' in page
    assert 'data-status="unreachable">Portal nicht erreichbar<' in page
    assert "portalsync.W001" in warnings
