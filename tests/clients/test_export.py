"""CSV export: Excel-friendly, filtered like the list, and lossless when read back."""

from datetime import date

import pytest
from django.test import Client as BrowserClient

from clients import importing
from clients.importing import COLUMNS
from clients.models import Client
from portalsync.emulator import EmulatorServer
from tests.factories import make_client

pytestmark = pytest.mark.django_db

FULL_CLIENT = {
    "number": 50,
    "short_name": "Müller & Söhne",
    "name": "Müller & Söhne GmbH",
    "legal_form": "gmbh",
    "client_since": date(2020, 3, 1),
    "client_until": date(2030, 12, 31),
    "street": "Weißgerberlände 12",
    "postcode": "1030",
    "city": "Wien",
    "country": "AT",
    "email": "office@mueller-soehne.at",
    "phone": "+4312345678",
    "vat_id": "ATU13585627",
    "tax_number": "591199013",
    "company_register_number": "122119m",
    "company_register_court": "hg_wien",
    "zvr_number": "",
    "gln": "9012345000004",
    "iban": "AT611904300234573201",
    "bic": "BKAUATWW",
    "portal_enabled": True,
    "receipt_sync_enabled": True,
}


def _export(browser: BrowserClient, **params: str) -> str:
    response = browser.get("/klienten/export/", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response.content.decode("utf-8")


def test_export_starts_with_a_bom_and_uses_semicolons_and_written_forms(
    staff_browser: BrowserClient,
) -> None:
    make_client(**FULL_CLIENT)

    text = _export(staff_browser)

    assert text.startswith("\ufeffKlientennummer;Kurzbezeichnung;Name;Rechtsform;")
    lines = text.removeprefix("\ufeff").split("\r\n")
    assert lines[1] == (
        "50;Müller & Söhne;Müller & Söhne GmbH;GmbH;01.03.2020;31.12.2030;"
        "Weißgerberlände 12;1030;Wien;Österreich;office@mueller-soehne.at;'+43 12345678;"
        "ATU13585627;59-119/9013;FN 122119m;Handelsgericht Wien;;9012345000004;"
        "AT61 1904 3002 3457 3201;BKAUATWW;ja;ja"
    )
    assert lines[2] == ""


def test_export_has_the_list_filters(staff_browser: BrowserClient) -> None:
    make_client(number=1, short_name="Huber", legal_form="einzelunternehmen")
    make_client(number=2, short_name="Testfall", legal_form="gmbh")

    text = _export(staff_browser, legal_form="gmbh")

    assert [line.split(";")[0] for line in text.split("\r\n")[1:-1]] == ["2"]


def test_export_then_import_is_lossless(staff_browser: BrowserClient) -> None:
    make_client(**FULL_CLIENT)
    make_client(
        number=7,
        short_name="=SUMME(A1)",
        name="'-Strich GmbH",
        legal_form="verein",
        zvr_number="062024563",
        country="DE",
        postcode="80331",
        phone="+49301234567",
        street='Straße "am Eck"; Hof 2',
    )
    make_client(number=8, short_name="Leer", name="Leer", legal_form="privatperson")
    stored = {
        client.number: [getattr(client, name) for name in COLUMNS]
        for client in Client.objects.all()
    }
    content = staff_browser.get("/klienten/export/").content

    same_database = importing.plan_import(content)
    Client.objects.all().delete()
    importing.apply_plan(importing.plan_import(content), valid_only=False)

    assert [row.action for row in same_database.rows] == ["unchanged"] * 3
    assert {
        client.number: [getattr(client, name) for name in COLUMNS]
        for client in Client.objects.all()
    } == stored


def test_readers_may_export(reader_user: object) -> None:
    browser = BrowserClient()
    browser.force_login(reader_user)
    make_client(number=1)

    assert browser.get("/klienten/export/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_umlauts_survive_form_database_portal_and_export(
    connected_portal: EmulatorServer, staff_browser: BrowserClient
) -> None:
    response = staff_browser.post(
        "/klienten/neu/",
        {
            "number": "50",
            "short_name": "Müller & Söhne",
            "name": "Müller & Söhne GmbH",
            "legal_form": "gmbh",
            "street": "Weißgerberlände 12",
            "postcode": "1030",
            "city": "Wien",
            "country": "AT",
            "portal_enabled": "on",
        },
    )
    assert response.status_code == 302

    stored = Client.objects.get(number=50)
    remote = [client for client in connected_portal.store.all() if client["number"] == 50]
    exported = _export(staff_browser).split("\r\n")[1].split(";")

    assert (stored.name, stored.street) == ("Müller & Söhne GmbH", "Weißgerberlände 12")
    assert [(client["name"], client["street"]) for client in remote] == [
        ("Müller & Söhne GmbH", "Weißgerberlände 12")
    ]
    assert (exported[2], exported[6]) == ("Müller & Söhne GmbH", "Weißgerberlände 12")
