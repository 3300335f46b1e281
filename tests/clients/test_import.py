"""CSV import: preview by row and column, all-or-nothing or valid rows only, encodings."""

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client as BrowserClient

from clients import importing
from clients.models import Client, ClientImport
from portalsync.emulator import EmulatorServer
from tests.factories import make_client, make_user

pytestmark = pytest.mark.django_db

HEADER = "Klientennummer;Kurzbezeichnung;Name;Rechtsform;UID-Nummer;Postleitzahl;Ort"
GOOD_ROWS = [
    "27;Streicher Stefan II;Streicher Stefan;Einzelunternehmen;ATU13585627;1010;Wien",
    "56;Wohnen Schöner;Wohnen Schöner GmbH;GmbH;;1030;Wien",
]
BAD_ROW = "57;Fehlerhaft;Fehlerhaft GmbH;GmbH;ATU13585626;0123;Wien"


def _csv(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


def _upload(browser: BrowserClient, content: bytes, name: str = "klienten.csv") -> Any:
    return browser.post(
        "/klienten/import/",
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
        follow=True,
    )


def test_the_preview_lists_every_row_with_its_errors_by_line_and_column(
    staff_browser: BrowserClient,
) -> None:
    response = _upload(staff_browser, _csv(*GOOD_ROWS, BAD_ROW))

    plan = response.context["plan"]
    assert [(row.line, row.number, row.action) for row in plan.rows] == [
        (2, 27, "create"),
        (3, 56, "create"),
        (4, 57, "error"),
    ]
    assert plan.rows[2].errors == [
        (
            "UID-Nummer",
            "Die Prüfziffer der UID-Nummer stimmt nicht. Bitte prüfen Sie die Nummer.",
        ),
        (
            "Postleitzahl",
            "Eine österreichische Postleitzahl hat vier Ziffern und beginnt nicht mit 0, "
            "z. B. 1010.",
        ),
    ]
    page = response.content.decode()
    assert 'data-line="4"' in page
    assert "Nur die gültigen Zeilen importieren, fehlerhafte Zeilen auslassen" in page
    assert Client.objects.count() == 0


def test_the_preview_shows_warnings_without_blocking(staff_browser: BrowserClient) -> None:
    response = _upload(staff_browser, _csv(GOOD_ROWS[1]))

    plan = response.context["plan"]
    assert plan.rows[0].warnings == [
        (
            "Firmenbuchnummer",
            "Die Rechtsform „GmbH“ wird im Firmenbuch eingetragen, die Firmenbuchnummer "
            "fehlt aber.",
        )
    ]
    assert plan.has_errors is False


def test_a_file_with_errors_writes_nothing_unless_valid_rows_are_chosen(
    staff_browser: BrowserClient,
) -> None:
    preview = _upload(staff_browser, _csv(*GOOD_ROWS, BAD_ROW))
    url = preview.redirect_chain[-1][0]

    response = staff_browser.post(url, {}, follow=True)

    assert Client.objects.count() == 0
    assert "Es wurde nichts importiert: Die Datei enthält Fehler." in response.content.decode()
    assert ClientImport.objects.count() == 1


def test_importing_only_the_valid_rows_skips_the_wrong_ones(
    staff_browser: BrowserClient,
) -> None:
    preview = _upload(staff_browser, _csv(*GOOD_ROWS, BAD_ROW))
    url = preview.redirect_chain[-1][0]

    response = staff_browser.post(url, {"valid_only": "on"}, follow=True)

    assert list(Client.objects.values_list("number", "short_name", "vat_id", "postcode")) == [
        (27, "Streicher Stefan II", "ATU13585627", "1010"),
        (56, "Wohnen Schöner", "", "1030"),
    ]
    assert (
        "Import abgeschlossen: 2 Klienten angelegt, 0 geändert, 0 unverändert, "
        "1 fehlerhafte Zeile ausgelassen." in response.content.decode()
    )
    assert ClientImport.objects.count() == 0


def test_existing_clients_are_matched_by_number_and_only_the_given_columns_change(
    staff_browser: BrowserClient,
) -> None:
    make_client(number=27, short_name="Alt", name="Alter Name", legal_form="einzelunternehmen")
    make_client(number=3, short_name="Huber Alois", name="Huber Alois", city="Graz")
    content = _csv(
        "27;Neu;Neuer Name",
        "3;Huber Alois;Huber Alois",
        header="Klientennummer;Kurzbezeichnung;Name",
    )

    preview = _upload(staff_browser, content)
    assert [row.action for row in preview.context["plan"].rows] == ["update", "unchanged"]
    staff_browser.post(preview.redirect_chain[-1][0], {})

    assert list(Client.objects.values_list("number", "short_name", "name", "city")) == [
        (3, "Huber Alois", "Huber Alois", "Graz"),
        (27, "Neu", "Neuer Name", ""),
    ]


def test_a_clean_file_needs_no_choice_and_is_imported_in_full(
    staff_browser: BrowserClient,
) -> None:
    preview = _upload(staff_browser, _csv(*GOOD_ROWS))
    assert "valid_only" not in preview.content.decode()

    staff_browser.post(preview.redirect_chain[-1][0], {})

    assert Client.objects.count() == 2


def test_a_file_that_changes_nothing_says_so(staff_browser: BrowserClient) -> None:
    staff_browser.post(_upload(staff_browser, _csv(*GOOD_ROWS)).redirect_chain[-1][0], {})

    again = _upload(staff_browser, _csv(*GOOD_ROWS))

    assert [row.action for row in again.context["plan"].rows] == ["unchanged", "unchanged"]
    assert (
        "Alle Zeilen entsprechen bereits den gespeicherten Klienten – es gibt nichts zu "
        "importieren." in again.content.decode()
    )
    assert "Import bestätigen" not in again.content.decode()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1252"])
def test_utf8_with_and_without_bom_and_windows_1252_keep_umlauts_and_sharp_s(
    encoding: str,
) -> None:
    content = _csv(
        "1;Müller;Müller & Söhne GmbH;GmbH;Weißgerberlände 12",
        header="Klientennummer;Kurzbezeichnung;Name;Rechtsform;Straße",
        encoding=encoding,
    )

    plan = importing.plan_import(content)

    assert plan.has_errors is False
    assert (plan.rows[0].values["name"], plan.rows[0].values["street"]) == (
        "Müller & Söhne GmbH",
        "Weißgerberlände 12",
    )


def test_values_are_stored_in_canonical_form() -> None:
    content = _csv(
        "1;A;A GmbH;Aktiengesellschaft (AG);atu 135 856 27;A-1010;Wien;59-119/9013;"
        "FN 122119 M;HG Wien;at61 1904 3002 3457 3201;01 234 56 78;01.03.2024;ja",
        header=HEADER + ";Steuernummer;Firmenbuchnummer;Firmenbuchgericht;IBAN;Telefon;"
        "Klient seit;Klient am Klientenportal anlegen",
    )

    plan = importing.plan_import(content)
    importing.apply_plan(plan, valid_only=False)

    client = Client.objects.get(number=1)
    assert (
        client.legal_form,
        client.vat_id,
        client.postcode,
        client.tax_number,
        client.company_register_number,
        client.company_register_court,
        client.iban,
        client.phone,
        client.client_since.isoformat(),
        client.portal_enabled,
    ) == (
        "ag",
        "ATU13585627",
        "1010",
        "591199013",
        "122119m",
        "hg_wien",
        "AT611904300234573201",
        "+4312345678",
        "2024-03-01",
        True,
    )


def test_duplicates_and_taken_short_names_are_errors_of_their_row() -> None:
    make_client(number=8, short_name="Testfall")
    content = _csv(
        "27;Streicher;Streicher Stefan;GmbH",
        "27;Streicher 2;Streicher Stefan;GmbH",
        "28;Streicher;Streicher Stefan;GmbH",
        "29;Testfall;Testfall GesmbH;GmbH",
        header="Klientennummer;Kurzbezeichnung;Name;Rechtsform",
    )

    plan = importing.plan_import(content)

    assert [(row.line, row.errors) for row in plan.error_rows] == [
        (3, [("Klientennummer", "Die Klientennummer 27 steht schon in Zeile 2.")]),
        (4, [("Kurzbezeichnung", "Die Kurzbezeichnung „Streicher“ steht schon in Zeile 2.")]),
        (
            5,
            [("Kurzbezeichnung", "Die Kurzbezeichnung „Testfall“ hat bereits der Klient 8.")],
        ),
    ]


def test_new_clients_need_short_name_name_and_a_known_legal_form() -> None:
    content = _csv(
        "27;;Streicher Stefan;Kapitalgesellschaft",
        header="Klientennummer;Kurzbezeichnung;Name;Rechtsform",
    )

    plan = importing.plan_import(content)

    assert plan.rows[0].errors == [
        ("Rechtsform", "„Kapitalgesellschaft“ ist kein gültiger Wert."),
        ("Kurzbezeichnung", "Dieses Feld darf nicht leer sein."),
    ]


def test_the_legal_form_rule_applies_to_imported_changes() -> None:
    make_client(number=27, short_name="Streicher", legal_form="einzelunternehmen")

    plan = importing.plan_import(_csv("27;GmbH", header="Klientennummer;Rechtsform"))

    assert plan.rows[0].errors[0][0] == "Rechtsform"
    assert (
        plan.rows[0]
        .errors[0][1]
        .startswith("Die Rechtsform kann nicht von „Einzelunternehmen“ auf „GmbH“ geändert werden.")
    )


def test_wrong_dates_and_yes_no_values_name_their_column() -> None:
    content = _csv(
        "1;A;A;GmbH;2024-13-01;vielleicht",
        header="Klientennummer;Kurzbezeichnung;Name;Rechtsform;Klient seit;Belegsynchronisation",
    )

    plan = importing.plan_import(content)

    assert plan.rows[0].errors == [
        ("Klient seit", "„2024-13-01“ ist kein Datum. Bitte im Format TT.MM.JJJJ angeben."),
        ("Belegsynchronisation", "Bitte „ja“ oder „nein“ angeben."),
    ]


def test_headers_are_matched_loosely_and_unknown_columns_are_named() -> None:
    content = _csv("1;A;A;GmbH;x", header="KLIENTENNUMMER; kurzbezeichnung ;Name;Rechtsform;Notiz")

    plan = importing.plan_import(content)

    assert plan.columns == ["number", "short_name", "name", "legal_form"]
    assert plan.ignored_columns == ["Notiz"]
    assert plan.has_errors is False


def test_a_file_without_number_column_or_with_commas_is_refused_as_a_whole() -> None:
    assert importing.plan_import(b"Name;Ort\r\nA;Wien\r\n").file_errors == [
        "Die Spalte „Klientennummer“ fehlt in der ersten Zeile."
    ]
    assert importing.plan_import(b"Klientennummer,Name\r\n1,A\r\n").file_errors == [
        "Die Spalten sind nicht durch Strichpunkte getrennt. Bitte speichern Sie die Datei "
        "als CSV mit Strichpunkt als Trennzeichen."
    ]
    assert importing.plan_import(b"").file_errors == ["Die Datei ist leer."]


def test_an_excel_separator_line_is_skipped() -> None:
    plan = importing.plan_import(b"sep=;\r\nKlientennummer;Name\r\n1;A\r\n")

    assert (plan.file_errors, plan.columns, [row.line for row in plan.rows]) == (
        [],
        ["number", "name"],
        [3],
    )


def test_an_excel_workbook_instead_of_csv_gets_a_message_not_a_server_error(
    staff_browser: BrowserClient,
) -> None:
    workbook = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml\x00\x00"

    response = _upload(staff_browser, workbook, name="klienten.xlsx")

    assert response.status_code == 200
    assert response.context["plan"].file_errors == [
        "Die Datei ist keine CSV-Datei. Bitte speichern Sie die Tabelle in Excel als "
        "„CSV (Trennzeichen-getrennt)“."
    ]


def test_checking_a_file_costs_the_same_queries_for_ten_and_four_hundred_rows(
    django_assert_num_queries: Any,
) -> None:
    def rows(count: int) -> bytes:
        return _csv(*[f"{n};K {n};K {n} GmbH;GmbH" for n in range(1, count + 1)])

    with django_assert_num_queries(2):
        importing.plan_import(rows(10))
    with django_assert_num_queries(2):
        importing.plan_import(rows(400))


def test_the_preview_belongs_to_the_user_who_uploaded_it(staff_browser: BrowserClient) -> None:
    preview = _upload(staff_browser, _csv(*GOOD_ROWS))
    other = BrowserClient()
    other.force_login(make_user("kollegin", "Mitarbeiter"))

    assert other.get(preview.redirect_chain[-1][0]).status_code == 404
    assert other.post(preview.redirect_chain[-1][0], {}).status_code == 404
    assert Client.objects.count() == 0


def test_readers_cannot_import(reader_user: Any) -> None:
    browser = BrowserClient()
    browser.force_login(reader_user)

    assert browser.get("/klienten/import/").status_code == 403


def test_the_command_refuses_a_file_with_errors_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "klienten.csv"
    path.write_bytes(_csv(*GOOD_ROWS, BAD_ROW))
    err = StringIO()

    with pytest.raises(CommandError, match="Es wurde nichts importiert"):
        call_command("import_clients", str(path), stdout=StringIO(), stderr=err)

    assert Client.objects.count() == 0
    assert err.getvalue().splitlines() == [
        "Zeile 4, Spalte „UID-Nummer“: Die Prüfziffer der UID-Nummer stimmt nicht. "
        "Bitte prüfen Sie die Nummer.",
        "Zeile 4, Spalte „Postleitzahl“: Eine österreichische Postleitzahl hat vier Ziffern "
        "und beginnt nicht mit 0, z. B. 1010.",
    ]


def test_the_command_imports_the_valid_rows_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "klienten.csv"
    path.write_bytes(_csv(*GOOD_ROWS, BAD_ROW))
    out = StringIO()

    call_command("import_clients", str(path), "--valid-only", stdout=out, stderr=StringIO())

    assert sorted(Client.objects.values_list("number", flat=True)) == [27, 56]
    assert out.getvalue().splitlines()[-1] == (
        "Importiert: 2 Klienten angelegt, 0 geändert, 0 unverändert, "
        "1 fehlerhafte Zeile ausgelassen."
    )


@pytest.mark.django_db(transaction=True)
def test_imported_clients_with_the_portal_flag_reach_the_portal(
    connected_portal: EmulatorServer, tmp_path: Path
) -> None:
    path = tmp_path / "klienten.csv"
    path.write_bytes(
        _csv(
            "27;Streicher;Streicher Stefan;GmbH;ja",
            "28;Huber;Huber Alois;Einzelunternehmen;nein",
            "29;Müller;Müller & Söhne GmbH;GmbH;ja",
            header="Klientennummer;Kurzbezeichnung;Name;Rechtsform;"
            "Klient am Klientenportal anlegen",
        )
    )

    call_command("import_clients", str(path), stdout=StringIO(), stderr=StringIO())

    remote = sorted(
        (client["number"], client["name"], client["list_state"])
        for client in connected_portal.store.all()
    )
    assert remote == [
        (27, "Streicher Stefan", "offered"),
        (29, "Müller & Söhne GmbH", "offered"),
    ]


@pytest.mark.parametrize("number", ["1" + "0" * 30, "1000000000", "²", "١٢", "0"])
def test_a_number_outside_one_to_nine_digits_is_an_error_of_its_row(number: str) -> None:
    plan = importing.plan_import(_csv(f"{number};A;A;GmbH;;1010;Wien", GOOD_ROWS[0]))

    assert [row.action for row in plan.rows] == ["error", "create"]
    assert plan.rows[0].errors == [
        ("Klientennummer", "Die Klientennummer ist eine ganze Zahl von 1 bis 999999999.")
    ]


def test_a_null_character_in_a_cell_is_an_error_of_its_row() -> None:
    # Two hundred rows first: a NUL within the first 4 KB would mean a binary file.
    rows = [f"{n};K{n};Klient {n};GmbH;;1010;Wien" for n in range(1, 201)]
    plan = importing.plan_import(_csv(*rows, "201;N\x00ul;Nul;GmbH;;1010;Wien"))

    assert [row.action for row in plan.rows] == ["create"] * 200 + ["error"]
    assert plan.rows[200].errors == [("Kurzbezeichnung", "Nullzeichen sind nicht erlaubt.")]
