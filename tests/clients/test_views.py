"""Client pages: list and search, create and edit with tabs, clear form errors."""

import pytest
from django.test import Client as BrowserClient

from clients.models import Client
from tests.factories import make_client
from tests.helpers import client_form_data

pytestmark = pytest.mark.django_db


def _new_client_data(**changes: str) -> dict[str, str]:
    data = {
        "number": "27",
        "short_name": "Streicher Stefan II",
        "name": "Streicher Stefan",
        "legal_form": "gmbh",
        "country": "AT",
    }
    data.update(changes)
    return data


def test_list_search_finds_by_number_short_name_and_name(staff_browser: BrowserClient) -> None:
    make_client(number=3, short_name="Huber Alois", name="Huber Alois")
    make_client(number=27, short_name="Streicher Stefan II", name="Streicher Stefan")
    make_client(number=56, short_name="Wohnen Schöner", name="Wohnen Schöner")

    def found(query: str) -> list[int]:
        page = staff_browser.get("/klienten/", {"q": query}).context["page"]
        return [client.number for client in page]

    assert found("27") == [27]
    assert found("huber") == [3]
    assert found("schöner") == [56]
    assert found("") == [3, 27, 56]
    assert found("niemand") == []


def test_create_saves_the_client_and_redirects_to_it(staff_browser: BrowserClient) -> None:
    response = staff_browser.post("/klienten/neu/", _new_client_data())

    client = Client.objects.get(number=27)
    assert response.status_code == 302
    assert response["Location"] == f"/klienten/{client.pk}/"
    assert (client.short_name, client.name, client.legal_form) == (
        "Streicher Stefan II",
        "Streicher Stefan",
        "gmbh",
    )


def test_duplicate_number_and_short_name_give_clear_errors_and_keep_the_input(
    staff_browser: BrowserClient,
) -> None:
    make_client(number=27, short_name="Streicher Stefan II")

    response = staff_browser.post("/klienten/neu/", _new_client_data(name="Mein Name"))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["number"] == ["Diese Klientennummer ist bereits vergeben."]
    assert form.errors["short_name"] == ["Diese Kurzbezeichnung ist bereits vergeben."]
    assert 'value="Mein Name"' in response.content.decode()


def test_client_until_before_client_since_is_refused(staff_browser: BrowserClient) -> None:
    response = staff_browser.post(
        "/klienten/neu/", _new_client_data(client_since="2024-05-01", client_until="2024-04-30")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["client_until"] == [
        "„Klient bis“ darf nicht vor „Klient seit“ liegen."
    ]
    assert Client.objects.count() == 0


def test_edit_page_has_the_klientenportal_tab_with_the_flag(staff_browser: BrowserClient) -> None:
    client = make_client(number=27)

    page = staff_browser.get(f"/klienten/{client.pk}/").content.decode()

    assert 'href="#tab-klientenportal"' in page
    assert "Klient am Klientenportal anlegen" in page
    assert "Dieser Klient wurde noch nicht an das Klientenportal übertragen." in page


def test_an_invalid_edit_keeps_the_stored_header_and_the_typed_values(
    staff_browser: BrowserClient,
) -> None:
    client = make_client(number=27, short_name="Streicher Stefan II")

    response = staff_browser.post(
        f"/klienten/{client.pk}/", client_form_data(client, name="", city="Wien")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Klient 27 – Streicher Stefan II" in page
    assert 'value="Wien"' in page
    assert response.context["form"].errors["name"] == ["Dieses Feld ist zwingend erforderlich."]


def test_a_reader_sees_the_client_but_cannot_save(reader_user: object) -> None:
    browser = BrowserClient()
    browser.force_login(reader_user)
    client = make_client(number=27)

    assert browser.get(f"/klienten/{client.pk}/").status_code == 200
    response = browser.post(f"/klienten/{client.pk}/", client_form_data(client, name="x"))

    assert response.status_code == 403
    client.refresh_from_db()
    assert client.name == "Klient 27 GmbH"


def test_staff_cannot_open_the_portal_settings(staff_browser: BrowserClient) -> None:
    response = staff_browser.get("/stamm/einstellungen/klientenportal-synchronisation/")

    assert response.status_code == 403
    assert "Keine Berechtigung" in response.content.decode()


def test_anonymous_users_are_sent_to_the_login(client: BrowserClient) -> None:
    response = client.get("/klienten/")

    assert (response.status_code, response["Location"]) == (302, "/anmelden/?next=/klienten/")
