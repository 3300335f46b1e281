"""Log-in: required everywhere but the log-in page and /health/, throttled per user name
and per address (django-axes, counted in the database), sessions expire after inactivity."""

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client as BrowserClient
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from tests.factories import make_user
from tests.security.conftest import READER, STAFF

pytestmark = pytest.mark.django_db

PASSWORD = "richtig-123"


def _log_in(username: str, password: str, address: str) -> Any:
    return BrowserClient(REMOTE_ADDR=address).post(
        reverse("login"), {"username": username, "password": password}
    )


def test_the_health_endpoint_answers_anonymously_and_reveals_only_ok() -> None:
    response = BrowserClient().get(reverse("health"))

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_an_unknown_page_asks_an_anonymous_visitor_to_log_in_first() -> None:
    response = BrowserClient().get("/klienten/999/")

    assert (response.status_code, response["Location"]) == (
        302,
        "/anmelden/?next=/klienten/999/",
    )


def test_a_correct_log_in_works_and_is_audited() -> None:
    make_user("mitarbeiter", STAFF, password=PASSWORD)

    response = _log_in("mitarbeiter", PASSWORD, "10.0.0.1")

    assert (response.status_code, response["Location"]) == (302, "/klienten/")
    assert list(AuditEntry.objects.values_list("action", "actor_name", "ip_address")) == [
        ("login", "mitarbeiter", "10.0.0.1")
    ]


def test_a_wrong_password_says_so_in_german() -> None:
    make_user("mitarbeiter", STAFF, password=PASSWORD)

    response = _log_in("mitarbeiter", "falsch", "10.0.0.1")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Benutzername oder Passwort ist falsch. Bitte achten Sie auf Groß- und Kleinschreibung."
    ]


def test_failed_log_ins_lock_the_user_name_from_every_address() -> None:
    make_user("mitarbeiter", STAFF, password=PASSWORD)
    statuses = [
        _log_in("mitarbeiter", "falsch", "10.0.0.1").status_code
        for _attempt in range(settings.AXES_FAILURE_LIMIT)
    ]

    response = _log_in("mitarbeiter", PASSWORD, "10.0.0.2")

    assert statuses == [200, 200, 200, 200, 429]
    assert response.status_code == 429
    assert "<h1>Anmeldung vorübergehend gesperrt</h1>" in response.content.decode()
    assert "in 15 Minuten noch einmal" in response.content.decode()
    assert "_auth_user_id" not in response.client.session
    assert AuditEntry.objects.filter(action="login_failed", actor_name="mitarbeiter").count() == 6


def test_failed_log_ins_lock_the_address_for_every_user_name() -> None:
    make_user("leser", READER, password=PASSWORD)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _log_in(f"rate-{attempt}", "falsch", "10.0.0.3")

    from_locked_address = _log_in("leser", PASSWORD, "10.0.0.3")
    from_other_address = _log_in("leser", PASSWORD, "10.0.0.4")

    assert from_locked_address.status_code == 429
    assert from_other_address.status_code == 302


def test_failed_log_ins_are_counted_in_the_database_not_in_memory() -> None:
    for _attempt in range(2):
        _log_in("mitarbeiter", "falsch", "10.0.0.5")

    assert list(
        AccessAttempt.objects.values_list("username", "ip_address", "failures_since_start")
    ) == [("mitarbeiter", "10.0.0.5", 2)]
    assert "falsch" not in repr(list(AccessAttempt.objects.values()))


def test_a_failed_log_in_is_audited_with_the_name_typed_and_without_the_password() -> None:
    _log_in("jemand", "Sehr-Geheim-1", "10.0.0.6")

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.actor_name, entry.ip_address) == (
        "login_failed",
        None,
        "jemand",
        "10.0.0.6",
    )
    assert "Sehr-Geheim-1" not in repr(list(AuditEntry.objects.values()))


def test_the_session_cookie_is_renewed_on_every_request_with_the_inactivity_age() -> None:
    make_user("mitarbeiter", STAFF, password=PASSWORD)
    browser = BrowserClient()
    browser.post(reverse("login"), {"username": "mitarbeiter", "password": PASSWORD})

    response = browser.get(reverse("clients:list"))

    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert response.cookies["sessionid"]["max-age"] == 8 * 3600
    assert response.cookies["sessionid"]["httponly"] is True


def test_an_inactive_session_has_expired_and_asks_to_log_in_again() -> None:
    make_user("mitarbeiter", STAFF, password=PASSWORD)
    browser = BrowserClient()
    browser.post(reverse("login"), {"username": "mitarbeiter", "password": PASSWORD})
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = browser.get(reverse("clients:list"))

    assert (response.status_code, response["Location"]) == (302, "/anmelden/?next=/klienten/")


def test_an_administrator_can_lift_a_lock_in_the_admin() -> None:
    admin = make_user("kanzlei-admin", "KIS/Board-Administrator")
    admin.is_staff = True
    admin.save()
    browser = BrowserClient()
    browser.force_login(admin)

    assert browser.get("/admin/axes/accessattempt/").status_code == 200
