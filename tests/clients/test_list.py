"""Finding clients: search, filters, sorting, paging and the portal bulk action."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import Client
from portalsync.emulator import EmulatorServer
from portalsync.models import SyncState
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def _numbers(browser: BrowserClient, **params: Any) -> list[int]:
    response = browser.get("/klienten/", params)
    assert response.status_code == 200
    return [client.number for client in response.context["page"]]


def test_search_finds_by_uid_and_tax_number_in_any_written_form(
    staff_browser: BrowserClient,
) -> None:
    make_client(number=1, vat_id="ATU13585627")
    make_client(number=2, tax_number="591199013")
    make_client(number=3)

    assert _numbers(staff_browser, q="ATU 135 856 27") == [1]
    assert _numbers(staff_browser, q="atu13585627") == [1]
    assert _numbers(staff_browser, q="59-119/9013") == [2]
    assert _numbers(staff_browser, q="1199013") == [2]


def test_filter_by_betreuungsstatus(staff_browser: BrowserClient) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    make_client(number=1)
    make_client(number=2, client_since=date(2020, 1, 1), client_until=yesterday)
    make_client(number=3, client_until=timezone.localdate())

    assert _numbers(staff_browser, serviced="betreut") == [1, 3]
    assert _numbers(staff_browser, serviced="nicht-betreut") == [2]


def test_filter_by_legal_form_and_portal_flag(staff_browser: BrowserClient) -> None:
    make_client(number=1, legal_form="gmbh", portal_enabled=True)
    make_client(number=2, legal_form="gmbh")
    make_client(number=3, legal_form="verein", portal_enabled=True)

    assert _numbers(staff_browser, legal_form="gmbh") == [1, 2]
    assert _numbers(staff_browser, portal="ja") == [1, 3]
    assert _numbers(staff_browser, portal="nein") == [2]
    assert _numbers(staff_browser, legal_form="gmbh", portal="ja") == [1]


def test_filter_by_sync_state(staff_browser: BrowserClient) -> None:
    pending = make_client(number=1, portal_enabled=True)
    synced = make_client(number=2, portal_enabled=True)
    failed = make_client(number=3, portal_enabled=True)
    make_client(number=4)
    SyncState.objects.filter(client=synced).update(
        status=SyncState.Status.SYNCED, delivered_version=1
    )
    SyncState.objects.filter(client=failed).update(status=SyncState.Status.FAILED)
    never = make_client(number=5, portal_enabled=True)
    SyncState.objects.filter(client=never).delete()

    assert _numbers(staff_browser, sync="pending") == [pending.number]
    assert _numbers(staff_browser, sync="synced") == [2]
    assert _numbers(staff_browser, sync="failed") == [3]
    # Never on the portal: waiting (1), failing (3), or without a sync row at all (5).
    assert _numbers(staff_browser, sync="never") == [1, 3, 5]


def test_an_unknown_filter_value_is_ignored_not_an_error(staff_browser: BrowserClient) -> None:
    make_client(number=1)

    assert _numbers(staff_browser, legal_form="gibt-es-nicht", sort="passwort") == [1]


def test_sorting_by_name_both_ways_and_by_legal_form_label(
    staff_browser: BrowserClient,
) -> None:
    make_client(number=1, short_name="B", name="Berger", legal_form="verein")
    make_client(number=2, short_name="A", name="Auer", legal_form="gmbh")
    make_client(number=3, short_name="C", name="Chalupa", legal_form="ag")

    assert _numbers(staff_browser, sort="name") == [2, 1, 3]
    assert _numbers(staff_browser, sort="-name") == [3, 1, 2]
    # Aktiengesellschaft (AG) < GmbH < Verein
    assert _numbers(staff_browser, sort="legal_form") == [3, 2, 1]


def test_sort_links_toggle_the_direction_and_keep_the_filters(
    staff_browser: BrowserClient,
) -> None:
    make_client(number=1)

    page = staff_browser.get("/klienten/", {"legal_form": "gmbh", "sort": "name"}).content

    assert b'href="?legal_form=gmbh&amp;sort=-name"' in page
    assert b'href="?legal_form=gmbh&amp;sort=number"' in page


def test_paging_keeps_search_and_filters(staff_browser: BrowserClient) -> None:
    for number in range(1, 53):
        make_client(number=number, legal_form="gmbh")

    first = staff_browser.get("/klienten/", {"legal_form": "gmbh"})
    second = _numbers(staff_browser, legal_form="gmbh", page=2)

    assert len(first.context["page"]) == 50
    assert b'href="?legal_form=gmbh&amp;page=2"' in first.content
    assert second == [51, 52]


def test_the_list_costs_the_same_queries_for_five_and_fifty_clients(
    staff_browser: BrowserClient,
) -> None:
    def queries_for_list() -> int:
        staff_browser.get("/klienten/")  # session and permissions warm
        with CaptureQueriesContext(connection) as captured:
            staff_browser.get("/klienten/")
        return len(captured)

    for number in range(1, 6):
        make_client(number=number, portal_enabled=number % 2 == 0)
    few = queries_for_list()
    for number in range(6, 51):
        make_client(number=number, portal_enabled=number % 2 == 0)

    assert queries_for_list() == few


def test_the_bulk_action_asks_first_and_says_how_many_clients_change(
    staff_browser: BrowserClient,
) -> None:
    first = make_client(number=1)
    second = make_client(number=2)
    already = make_client(number=3, portal_enabled=True)

    response = staff_browser.post(
        "/klienten/klientenportal/",
        {"action": "enable", "selected": [first.pk, second.pk, already.pk], "q": "Klient"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "2 Klienten werden am Klientenportal angelegt." in page
    assert (
        "1 der ausgewählten Klienten ist bereits am Klientenportal angelegt und bleibt "
        "unverändert." in page
    )
    assert 'name="q" value="Klient"' in page
    assert [f"{c.number} {c.short_name}" for c in response.context["change"].examples] == [
        f"1 {first.short_name}",
        f"2 {second.short_name}",
    ]
    assert f"<li>1 {first.short_name}</li><li>2 {second.short_name}</li>" in page
    assert Client.objects.filter(portal_enabled=True).count() == 1


def test_the_bulk_confirmation_names_ten_clients_and_counts_the_rest(
    staff_browser: BrowserClient,
) -> None:
    clients = [make_client(number=n) for n in range(1, 13)]

    response = staff_browser.post(
        "/klienten/klientenportal/", {"action": "enable", "selected": [c.pk for c in clients]}
    )

    assert [c.number for c in response.context["change"].examples] == list(range(1, 11))
    assert '<li class="muted">und 2 weitere Klienten</li>' in response.content.decode()


def test_the_bulk_action_without_selection_explains_what_to_do(
    staff_browser: BrowserClient,
) -> None:
    response = staff_browser.post("/klienten/klientenportal/", {"action": "enable"}, follow=True)

    assert "Bitte wählen Sie zuerst mindestens einen Klienten aus." in response.content.decode()


def test_readers_see_no_selection_and_cannot_use_the_bulk_action(reader_user: Any) -> None:
    browser = BrowserClient()
    browser.force_login(reader_user)
    client = make_client(number=1)

    assert b'form="bulk"' not in browser.get("/klienten/").content
    response = browser.post(
        "/klienten/klientenportal/", {"action": "enable", "selected": [client.pk], "confirm": "1"}
    )

    assert response.status_code == 403
    assert Client.objects.filter(portal_enabled=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_confirmed_bulk_action_puts_clients_on_the_portal_and_takes_them_off(
    connected_portal: EmulatorServer, staff_browser: BrowserClient
) -> None:
    clients = [make_client(number=n, short_name=f"Klient {n}") for n in (27, 28, 29)]
    chosen = [clients[0].pk, clients[2].pk]

    response = staff_browser.post(
        "/klienten/klientenportal/",
        {"action": "enable", "selected": chosen, "confirm": "1", "portal": "ja"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/klienten/?portal=ja"
    assert "2 Klienten werden am Klientenportal angelegt." in response.content.decode()
    assert sorted((c["number"], c["list_state"]) for c in connected_portal.store.all()) == [
        (27, "offered"),
        (29, "offered"),
    ]

    staff_browser.post(
        "/klienten/klientenportal/", {"action": "disable", "selected": chosen, "confirm": "1"}
    )

    assert sorted((c["number"], c["list_state"]) for c in connected_portal.store.all()) == [
        (27, "inactive"),
        (29, "inactive"),
    ]


def test_names_sort_in_german_alphabetical_order(staff_browser: Any) -> None:
    for number, name in enumerate(
        ["Zürcher", "Ärmel", "bauer", "Bäckerei", "Öhlinger", "Ober", "RZL", "Reisebüro"], 1
    ):
        make_client(number=number, short_name=name, name=name)

    page = staff_browser.get("/klienten/", {"sort": "short_name"}).context["page"]

    assert [c.short_name for c in page] == [
        "Ärmel",
        "Bäckerei",
        "bauer",
        "Ober",
        "Öhlinger",
        "Reisebüro",
        "RZL",
        "Zürcher",
    ]


@pytest.mark.parametrize("selected", ["1" + "0" * 30, "²", "١", "-3", "abc"])
def test_a_tampered_bulk_selection_is_refused_with_a_message(
    staff_browser: BrowserClient, selected: str
) -> None:
    response = staff_browser.post(
        "/klienten/klientenportal/",
        {"action": "enable", "selected": [selected], "confirm": "1"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Die Auswahl ist ungültig. Bitte wählen Sie erneut aus." in response.content.decode()
