"""Client pages: list and search, create and edit with tabs, clear form errors."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError
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


def test_a_number_with_letters_is_refused_and_shown_as_typed(
    staff_browser: BrowserClient,
) -> None:
    response = staff_browser.post("/klienten/neu/", _new_client_data(number="12ab"))

    assert response.context["form"].errors["number"] == [
        "Die Klientennummer besteht nur aus Ziffern, z. B. 127."
    ]
    assert 'inputmode="numeric"' in response.content.decode()
    assert 'value="12ab"' in response.content.decode()
    assert Client.objects.count() == 0


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


def test_typed_numbers_are_stored_canonically_and_shown_in_written_form(
    staff_browser: BrowserClient,
) -> None:
    staff_browser.post(
        "/klienten/neu/",
        _new_client_data(
            vat_id="atu 135 856 27",
            tax_number="59 119 9013",
            company_register_number="fn 122119 M",
            company_register_court="hg_wien",
            iban="at61 1904 3002 3457 3201",
            phone="01 234 56 78",
            postcode="A-1010",
        ),
    )

    client = Client.objects.get(number=27)
    assert (
        client.vat_id,
        client.tax_number,
        client.company_register_number,
        client.iban,
        client.phone,
        client.postcode,
    ) == ("ATU13585627", "591199013", "122119m", "AT611904300234573201", "+4312345678", "1010")
    page = staff_browser.get(f"/klienten/{client.pk}/").content.decode()
    assert 'value="59-119/9013"' in page
    assert 'value="FN 122119m"' in page
    assert 'value="AT61 1904 3002 3457 3201"' in page
    assert 'value="+43 12345678"' in page


def test_saving_the_written_form_again_changes_nothing(staff_browser: BrowserClient) -> None:
    staff_browser.post("/klienten/neu/", _new_client_data(tax_number="59-119/9013"))
    client = Client.objects.get(number=27)
    updated_at = client.updated_at

    staff_browser.post(
        f"/klienten/{client.pk}/", client_form_data(client, tax_number="59-119/9013")
    )

    client.refresh_from_db()
    assert (client.tax_number, client.updated_at) == ("591199013", updated_at)


def test_invalid_numbers_are_errors_on_their_field_and_keep_all_input(
    staff_browser: BrowserClient,
) -> None:
    response = staff_browser.post(
        "/klienten/neu/",
        _new_client_data(
            vat_id="ATU13585626",
            tax_number="59-119/9014",
            company_register_number="FN 123456a",
            iban="AT611904300234573202",
            postcode="0123",
            city="Wien",
        ),
    )

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert errors["vat_id"] == [
        "Die Prüfziffer der UID-Nummer stimmt nicht. Bitte prüfen Sie die Nummer."
    ]
    assert errors["tax_number"] == [
        "Die Prüfziffer der Steuernummer stimmt nicht. Bitte prüfen Sie die Nummer."
    ]
    assert errors["company_register_number"] == [
        "Der Prüfbuchstabe der Firmenbuchnummer stimmt nicht. Bitte vergleichen Sie die "
        "Nummer mit dem Firmenbuchauszug."
    ]
    assert errors["iban"] == ["Die Prüfziffer der IBAN stimmt nicht. Bitte prüfen Sie die Nummer."]
    assert errors["postcode"] == [
        "Eine österreichische Postleitzahl hat vier Ziffern und beginnt nicht mit 0, z. B. 1010."
    ]
    page = response.content.decode()
    for typed in ("ATU13585626", "59-119/9014", "FN 123456a", "0123", "Wien"):
        assert f'value="{typed}"' in page
    assert Client.objects.count() == 0


def test_a_foreign_address_keeps_its_postcode(staff_browser: BrowserClient) -> None:
    staff_browser.post("/klienten/neu/", _new_client_data(country="DE", postcode="01067"))

    assert Client.objects.get(number=27).postcode == "01067"


def test_changing_a_company_into_a_sole_trader_is_refused(staff_browser: BrowserClient) -> None:
    client = make_client(number=27, legal_form="gmbh")

    response = staff_browser.post(
        f"/klienten/{client.pk}/", client_form_data(client, legal_form="einzelunternehmen")
    )

    assert response.context["form"].errors["legal_form"] == [
        "Die Rechtsform kann nicht von „GmbH“ auf „Einzelunternehmen“ geändert werden. "
        "Natürliche Personen (Einzelunternehmen, Privatperson) und Gesellschaften bzw. "
        "juristische Personen sind verschiedene Steuersubjekte: Bitte legen Sie dafür einen "
        "neuen Klienten an."
    ]
    client.refresh_from_db()
    assert client.legal_form == "gmbh"


def test_changing_between_companies_is_allowed(staff_browser: BrowserClient) -> None:
    client = make_client(number=27, legal_form="gmbh")

    staff_browser.post(f"/klienten/{client.pk}/", client_form_data(client, legal_form="flexco"))

    client.refresh_from_db()
    assert client.legal_form == "flexco"


def test_warnings_are_shown_on_the_page_after_saving(staff_browser: BrowserClient) -> None:
    response = staff_browser.post(
        "/klienten/neu/", _new_client_data(legal_form="verein"), follow=True
    )

    page = response.content.decode()
    assert "Klient 27 Streicher Stefan II wurde angelegt." in page
    assert "Bitte prüfen Sie:" in page
    assert "Für einen Verein fehlt die ZVR-Zahl aus dem Vereinsregister." in page
    assert Client.objects.get(number=27).legal_form == "verein"


def test_the_model_applies_the_same_rules_as_the_form() -> None:
    client = Client(number=1, short_name="A", name="A", legal_form="gmbh", vat_id="atu13585627")

    client.full_clean()

    assert client.vat_id == "ATU13585627"
    client.save()
    stored = Client.objects.get(pk=client.pk)
    stored.legal_form = "privatperson"
    with pytest.raises(ValidationError) as info:
        stored.full_clean()
    assert list(info.value.message_dict) == ["legal_form"]


def test_garbage_input_gives_form_errors_never_a_server_error(
    staff_browser: BrowserClient,
) -> None:
    response = staff_browser.post(
        "/klienten/neu/",
        _new_client_data(
            number="x",
            client_since="31.02.2024",
            phone="☎☎☎",
            email="@@",
            gln="abc",
            zvr_number="ZVR-Zahl: eins",
            bic="?",
            country="ZZ",
            company_register_court="mond",
        ),
    )

    assert response.status_code == 200
    assert sorted(response.context["form"].errors) == [
        "bic",
        "client_since",
        "company_register_court",
        "country",
        "email",
        "gln",
        "number",
        "phone",
        "zvr_number",
    ]


def test_search_ignores_the_case_of_umlauts(staff_browser: BrowserClient) -> None:
    make_client(number=56, short_name="Wohnen Schöner", name="Müller & Söhne GmbH")

    def found(query: str) -> list[int]:
        return [c.number for c in staff_browser.get("/klienten/", {"q": query}).context["page"]]

    assert found("MÜLLER") == [56]
    assert found("SCHÖNER") == [56]
    assert found("müller") == [56]


def test_tabs_with_errors_are_marked(staff_browser: BrowserClient) -> None:
    client = make_client(number=27)

    response = staff_browser.post(
        f"/klienten/{client.pk}/", client_form_data(client, name="", postcode="0123")
    )

    page = response.content.decode()
    assert page.count('class="tab tab-error"') == 2
    assert page.count("(enthält Fehler)") == 2


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "Die Klientennummer ist mindestens 1."),
        ("-1", "Die Klientennummer besteht nur aus Ziffern, z. B. 127."),
        ("١٢٣", "Die Klientennummer besteht nur aus Ziffern, z. B. 127."),
        ("²", "Die Klientennummer besteht nur aus Ziffern, z. B. 127."),
        ("1000000000", "Die Klientennummer hat höchstens neun Stellen."),
        ("1" + "0" * 30, "Die Klientennummer hat höchstens neun Stellen."),
    ],
)
def test_a_number_outside_one_to_nine_digits_is_refused_with_one_kind_of_message(
    staff_browser: BrowserClient, typed: str, message: str
) -> None:
    response = staff_browser.post("/klienten/neu/", _new_client_data(number=typed))

    assert response.status_code == 200
    assert response.context["form"].errors["number"] == [message]
    assert Client.objects.count() == 0


def _loaded_form(browser: BrowserClient, client: Client) -> dict[str, str]:
    """What the browser posts back unchanged: the fields, their hidden initial values and
    the load time, as the page rendered them."""
    form = browser.get(f"/klienten/{client.pk}/").context["form"]
    data: dict[str, str] = {}
    for name in form._meta.fields:
        value = form[name].value()
        hidden = "" if value is None else str(value)
        data[form.add_initial_prefix(name)] = hidden
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = hidden
    data["loaded_at"] = form["loaded_at"].value()
    return data


def test_a_save_after_someone_else_changed_other_fields_keeps_both_changes(
    staff_browser: BrowserClient, admin_browser: BrowserClient
) -> None:
    client = make_client(number=1, street="", city="Wien", portal_enabled=True)
    stale = _loaded_form(staff_browser, client)
    admin_browser.post(
        f"/klienten/{client.pk}/",
        {**_loaded_form(admin_browser, client), "street": "Neue Gasse 1", "portal_enabled": ""},
    )

    response = staff_browser.post(f"/klienten/{client.pk}/", {**stale, "city": "Graz"})

    client.refresh_from_db()
    assert response.status_code == 302
    assert (client.street, client.city, client.portal_enabled) == ("Neue Gasse 1", "Graz", False)


def _edit_city_after_admin_changed_it(
    staff_browser: BrowserClient, admin_browser: BrowserClient, client: Client
) -> Any:
    """Staff loads the page; the admin saves street and city; staff then saves city."""
    stale = _loaded_form(staff_browser, client)
    admin_browser.post(
        f"/klienten/{client.pk}/",
        {**_loaded_form(admin_browser, client), "street": "Neue Gasse 1", "city": "Linz"},
    )
    return staff_browser.post(f"/klienten/{client.pk}/", {**stale, "city": "Graz"})


def test_a_save_over_someone_elses_change_of_the_same_field_is_refused_and_keeps_the_input(
    staff_browser: BrowserClient, admin_browser: BrowserClient
) -> None:
    client = make_client(number=1, street="", city="Wien")

    response = _edit_city_after_admin_changed_it(staff_browser, admin_browser, client)

    client.refresh_from_db()
    assert response.status_code == 200
    assert (client.street, client.city) == ("Neue Gasse 1", "Linz")
    assert response.context["form"].non_field_errors() == [
        "Dieser Klient wurde inzwischen von jemand anderem geändert, auch in Feldern, die Sie "
        "geändert haben. Jetzt gespeichert ist: Ort „Linz“. Die übrigen Änderungen der "
        "anderen Person sind unten übernommen, Ihre Eingaben sind erhalten; prüfen Sie sie "
        "und speichern Sie erneut, um sie zu übernehmen."
    ]
    page = response.content.decode()
    assert 'name="city" value="Graz"' in page
    assert 'name="street" value="Neue Gasse 1"' in page


def test_saving_again_after_the_conflict_takes_the_input_and_keeps_the_others(
    staff_browser: BrowserClient, admin_browser: BrowserClient
) -> None:
    client = make_client(number=1, street="", city="Wien")
    refused = _edit_city_after_admin_changed_it(staff_browser, admin_browser, client)

    response = staff_browser.post(f"/klienten/{client.pk}/", refused.context["form"].data)

    client.refresh_from_db()
    assert response.status_code == 302
    assert (client.street, client.city) == ("Neue Gasse 1", "Graz")


def test_a_tampered_load_time_is_treated_as_outdated(staff_browser: BrowserClient) -> None:
    client = make_client(number=1, city="Wien")

    response = staff_browser.post(
        f"/klienten/{client.pk}/",
        {**client_form_data(client, city="Graz"), "loaded_at": "gestern"},
    )

    client.refresh_from_db()
    assert response.status_code == 200
    assert client.city == "Wien"


def test_readers_see_the_client_greyed_out_and_told_it_is_view_only(
    reader_user: object,
) -> None:
    client = make_client(number=1)
    browser = BrowserClient()
    browser.force_login(reader_user)

    response = browser.get(f"/klienten/{client.pk}/")

    page = response.content.decode()
    assert all(field.disabled for field in response.context["form"].fields.values())
    assert "Nur Ansicht: Sie dürfen Klienten ansehen, aber nicht ändern." in page
    assert "Speichern</button>" not in page


def test_the_legal_form_change_hint_is_shown_only_for_existing_clients(
    staff_browser: BrowserClient,
) -> None:
    hint = "Ein Wechsel zwischen natürlicher Person und Gesellschaft"
    client = make_client(number=1)

    assert hint not in staff_browser.get("/klienten/neu/").content.decode()
    assert hint in staff_browser.get(f"/klienten/{client.pk}/").content.decode()
