"""The audit trail: who did what and when, read-only, filterable, only for administrators."""

import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client as BrowserClient
from django.urls import reverse
from django.utils import timezone

from audit import services
from audit.admin import AuditEntryAdmin
from audit.context import acting, operation
from audit.models import AuditEntry
from audit.templatetags.audit_values import audit_value
from clients import importing
from clients.models import Client
from clients.services import clients_set_portal_enabled
from tests.factories import make_client
from tests.helpers import client_form_data
from tests.security.conftest import ADMIN, STAFF

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action


def _rows() -> list[tuple]:
    """The entries in order, without the log-ins of the test browsers."""
    return list(
        AuditEntry.objects.exclude(action=Action.LOGIN)
        .order_by("id")
        .values_list("action", "actor_name", "client_number", "changes")
    )


def test_a_client_created_through_the_page_is_audited_with_its_values(browser_for: Any) -> None:
    browser = browser_for(STAFF)
    data = {
        "number": "27",
        "short_name": "Huber",
        "name": "Huber Bau GmbH",
        "legal_form": "gmbh",
        "country": "AT",
    }

    browser.post(reverse("clients:create"), data)

    entry = AuditEntry.objects.get(action=Action.CLIENT_CREATED)
    assert (entry.actor.username, entry.actor_name, entry.client_number, entry.client_name) == (
        "mitarbeiter",
        "mitarbeiter",
        27,
        "Huber",
    )
    assert {c["field"]: c["new"] for c in entry.changes} == {
        "number": 27,
        "short_name": "Huber",
        "name": "Huber Bau GmbH",
        "legal_form": "gmbh",
        "country": "AT",
    }


def test_a_change_records_the_changed_fields_old_and_new(browser_for: Any) -> None:
    client = make_client(number=27, short_name="Huber", name="Huber GmbH", city="Linz")
    AuditEntry.objects.all().delete()

    browser_for(STAFF).post(
        reverse("clients:edit", args=[client.pk]),
        client_form_data(client, name="Huber Bau GmbH", city="Wels"),
    )

    assert _rows() == [
        (
            "client_changed",
            "mitarbeiter",
            27,
            [
                {"field": "name", "label": "Name", "old": "Huber GmbH", "new": "Huber Bau GmbH"},
                {"field": "city", "label": "Ort", "old": "Linz", "new": "Wels"},
            ],
        )
    ]


def test_ticking_and_unticking_the_portal_flag_is_audited_per_client(browser_for: Any) -> None:
    client = make_client(number=27)
    AuditEntry.objects.all().delete()
    browser = browser_for(STAFF)

    browser.post(
        reverse("clients:edit", args=[client.pk]), client_form_data(client, portal_enabled=True)
    )
    client.refresh_from_db()
    browser.post(
        reverse("clients:edit", args=[client.pk]), client_form_data(client, portal_enabled=False)
    )

    assert _rows() == [
        ("portal_enabled", "mitarbeiter", 27, []),
        ("portal_disabled", "mitarbeiter", 27, []),
    ]


def test_a_deleted_client_is_audited_with_its_number_and_name() -> None:
    client = make_client(number=27, short_name="Huber")
    AuditEntry.objects.all().delete()

    with acting(label="manage.py shell"):
        client.delete()

    assert list(AuditEntry.objects.values_list("action", "actor_name", "client_name")) == [
        ("client_deleted", "manage.py shell", "Huber")
    ]


def test_bulk_writes_and_imports_are_audited_per_client() -> None:
    first, second = make_client(number=1), make_client(number=2)
    AuditEntry.objects.all().delete()

    Client.objects.filter(pk=first.pk).update(city="Graz")
    with operation(Action.CLIENTS_IMPORTED, detail="klienten.csv"):
        Client.objects.filter(pk__in=[first.pk, second.pk]).update(city="Wien")

    assert list(
        AuditEntry.objects.order_by("id").values_list("action", "client_number", "detail")
    ) == [
        ("clients_bulk_changed", 1, "Ort = Graz"),
        ("clients_imported", 1, "klienten.csv"),
        ("clients_imported", 2, "klienten.csv"),
    ]


def test_a_bulk_update_names_yes_and_no_in_german_and_leaves_out_bookkeeping() -> None:
    client = make_client(number=1)
    AuditEntry.objects.all().delete()

    Client.objects.filter(pk=client.pk).update(receipt_sync_enabled=True, updated_at=timezone.now())

    assert list(AuditEntry.objects.values_list("action", "detail")) == [
        ("clients_bulk_changed", "Belegsynchronisation = ja")
    ]


def test_the_bulk_portal_action_is_audited_like_ticking_one_client() -> None:
    first, second = make_client(number=1), make_client(number=2)
    AuditEntry.objects.all().delete()

    clients_set_portal_enabled(client_ids=[first.pk, second.pk], enabled=True)
    clients_set_portal_enabled(client_ids=[second.pk], enabled=False)

    assert list(AuditEntry.objects.order_by("id").values_list("action", "client_number")) == [
        ("portal_enabled", 1),
        ("portal_enabled", 2),
        ("portal_disabled", 2),
    ]


def test_an_import_is_audited_as_import_with_its_file_name() -> None:
    csv = "Klientennummer;Kurzbezeichnung;Name;Rechtsform\n7;Sieben;Sieben GmbH;GmbH\n"
    plan = importing.plan_import(csv.encode("utf-8"))

    importing.apply_plan(plan, valid_only=False, file_name="neu.csv")

    assert list(AuditEntry.objects.values_list("action", "client_number", "detail")) == [
        ("clients_imported", 7, "neu.csv"),
    ]


def test_a_rolled_back_change_leaves_no_entry() -> None:
    client = make_client(number=27)
    AuditEntry.objects.all().delete()

    with pytest.raises(RuntimeError), transaction.atomic():
        client.name = "Nie gespeichert"
        client.save()
        raise RuntimeError

    assert AuditEntry.objects.count() == 0


def test_secret_fields_are_recorded_as_changed_without_their_values() -> None:
    entry = services.record(
        action=Action.CLIENT_CHANGED,
        changes=[{"field": "portal_password", "label": "Passwort", "old": "alt", "new": "neu"}],
    )

    assert entry.changes == [
        {"field": "portal_password", "label": "Passwort", "old": "***", "new": "***"}
    ]


def test_the_portal_actions_are_audited_with_the_administrator(
    browser_for: Any, connected_portal: Any
) -> None:
    client = make_client(number=27, portal_enabled=True)
    browser = browser_for(ADMIN)
    AuditEntry.objects.all().delete()

    browser.post(reverse("portalsync:check_connection"))
    browser.post(reverse("portalsync:full_resync"))
    browser.post(reverse("portalsync:retry", args=[client.sync_state.pk]))

    assert list(
        AuditEntry.objects.order_by("id").values_list("action", "actor_name", "detail")
    ) == [
        ("portal_connection_checked", "kanzlei-admin", "erreichbar"),
        ("portal_full_resync", "kanzlei-admin", "1 Klient"),
        ("portal_retry", "kanzlei-admin", ""),
    ]


def test_log_in_and_log_out_are_audited() -> None:
    get_user_model().objects.create_user(username="leser", password="richtig-123")
    browser = BrowserClient()

    browser.post(reverse("login"), {"username": "leser", "password": "richtig-123"})
    browser.post(reverse("logout"))

    assert list(AuditEntry.objects.order_by("id").values_list("action", "actor_name")) == [
        ("login", "leser"),
        ("logout", "leser"),
    ]


def test_the_audit_page_filters_by_user_action_client_and_date(browser_for: Any) -> None:
    browser = browser_for(ADMIN)
    make_client(number=27, short_name="Huber")
    make_client(number=28, short_name="Maier")
    AuditEntry.objects.update(actor_name="mitarbeiter")
    old = services.record(action=Action.LOGIN, actor_name="kanzlei-admin")
    AuditEntry.objects.filter(pk=old.pk).update(
        created_at=timezone.make_aware(datetime.datetime(2026, 1, 15, 9, 0))
    )

    def shown(**query: str) -> list[str]:
        page = browser.get(reverse("audit:log"), query).context["page"]
        return [f"{e.action} {e.actor_name} {e.client_number}" for e in page]

    assert shown(aktion="client_created") == [
        "client_created mitarbeiter 28",
        "client_created mitarbeiter 27",
    ]
    assert shown(klient="27") == ["client_created mitarbeiter 27"]
    assert shown(klient="mai") == ["client_created mitarbeiter 28"]
    assert shown(benutzer="Kanzlei-Admin", von="2026-01-01", bis="2026-01-15") == [
        "login kanzlei-admin None"
    ]
    assert shown(bis="2026-01-14") == []
    assert shown(von="kein Datum", klient="27") == ["client_created mitarbeiter 27"]


def test_the_audit_page_refuses_far_away_days_and_odd_digits_without_error(
    browser_for: Any,
) -> None:
    browser = browser_for(ADMIN)
    make_client(number=2, short_name="Zwei")

    far = browser.get(reverse("audit:log"), {"von": "0001-01-01", "bis": "9999-12-31"})
    superscript = browser.get(reverse("audit:log"), {"klient": "²"})

    assert (far.status_code, superscript.status_code) == (200, 200)
    assert far.context["form"].errors == {
        "von": ["Bitte ein Datum ab dem 1.1.2000 angeben."],
        "bis": ["Bitte ein Datum bis zum 31.12.2999 angeben."],
    }
    assert len(far.context["page"]) == AuditEntry.objects.count()
    assert list(superscript.context["page"]) == []


def test_the_audit_page_shows_changes_in_german(browser_for: Any) -> None:
    client = make_client(number=27, name="Huber GmbH")
    with acting(label="Import"):
        client.name = "Huber Bau GmbH"
        client.receipt_sync_enabled = True
        client.save()

    page = browser_for(ADMIN).get(reverse("audit:log")).content.decode()

    assert "<li>Name: Huber GmbH → Huber Bau GmbH</li>" in page
    assert "<li>Belegsynchronisation: nein → ja</li>" in page
    assert '<a href="/aenderungsprotokoll/">Änderungsprotokoll</a>' in page


def test_entries_cannot_be_changed_or_deleted_not_even_in_the_admin() -> None:
    entry = services.record(action=Action.LOGIN, actor_name="kanzlei-admin")
    superuser = get_user_model().objects.create_superuser("root", password="x-123456789")
    browser = BrowserClient()
    browser.force_login(superuser)
    url = reverse("admin:audit_auditentry_change", args=[entry.pk])

    page = browser.get(url)
    posted = browser.post(url, {"actor_name": "jemand anderer"})
    deleted = browser.post(
        reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (posted.status_code, deleted.status_code) == (403, 403)
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == "kanzlei-admin"
    entry.detail = "geändert"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    assert AuditEntryAdmin.has_add_permission(AuditEntryAdmin(AuditEntry, None), None) is False


def test_recorded_values_are_shown_in_their_written_form() -> None:
    assert audit_value("gmbh", "legal_form") == "GmbH"
    assert audit_value("AT", "country") == "Österreich"
    assert audit_value("591199013", "tax_number") == "59-119/9013"
    assert audit_value("122119m", "company_register_number") == "FN 122119m"
    assert audit_value("2024-01-15", "client_since") == "15.01.2024"
    assert audit_value("Wien", "city") == "Wien"
    assert audit_value(True, "portal_enabled") == "ja"
