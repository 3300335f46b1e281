"""The master-data rules: canonical forms, German messages, written forms, warnings."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from clients import validators
from clients.enums import LegalForm


def _message(call: object, *args: object) -> str:
    with pytest.raises(ValidationError) as info:
        call(*args)  # type: ignore[operator]
    return " ".join(info.value.messages)


@pytest.mark.parametrize(
    "typed",
    ["ATU13585627", "atu13585627", "ATU 135 856 27", "AT U13585627", "U13585627", "13585627"],
)
def test_vat_id_is_stored_as_atu_and_eight_digits(typed: str) -> None:
    assert validators.clean_vat_id(typed) == "ATU13585627"


def test_vat_id_with_wrong_check_digit_is_refused() -> None:
    assert _message(validators.clean_vat_id, "ATU13585626") == (
        "Die Prüfziffer der UID-Nummer stimmt nicht. Bitte prüfen Sie die Nummer."
    )


def test_vat_id_with_wrong_length_explains_the_austrian_format() -> None:
    assert _message(validators.clean_vat_id, "ATU1358562") == (
        "Eine österreichische UID-Nummer besteht aus „ATU“ und acht Ziffern, z. B. ATU13585627."
    )


def test_vat_id_of_another_eu_country_is_checked_by_its_own_rules() -> None:
    assert validators.clean_vat_id("de 136 695 976") == "DE136695976"
    assert _message(validators.clean_vat_id, "DE136695977") == (
        "Die UID-Nummer ist ungültig. Bitte prüfen Sie Länderkennzeichen und Ziffern."
    )


def test_empty_values_stay_empty() -> None:
    for cleaner in validators.FIELD_CLEANERS.values():
        assert cleaner("") == ""
        assert cleaner("   ") == ""


@pytest.mark.parametrize("typed", ["59-119/9013", "59 119/9013", "591199013", "59-119-9013"])
def test_tax_number_is_stored_as_nine_digits(typed: str) -> None:
    assert validators.clean_tax_number(typed) == "591199013"


def test_tax_number_is_written_with_dash_and_slash() -> None:
    assert validators.display_value("tax_number", "591199013") == "59-119/9013"


def test_tax_number_with_wrong_check_digit_is_refused() -> None:
    assert _message(validators.clean_tax_number, "59-119/9014") == (
        "Die Prüfziffer der Steuernummer stimmt nicht. Bitte prüfen Sie die Nummer."
    )


def test_tax_number_without_tax_office_asks_for_it() -> None:
    assert _message(validators.clean_tax_number, "119/9013") == (
        "Bitte geben Sie die Steuernummer mit der zweistelligen Finanzamtsnummer an, "
        "z. B. 59-119/9013."
    )


def test_tax_number_with_letters_is_refused() -> None:
    assert _message(validators.clean_tax_number, "59-11A/9013") == (
        "Die Steuernummer enthält nur Ziffern und die üblichen Trennzeichen, z. B. 59-119/9013."
    )


def test_unknown_tax_office_is_a_warning_not_an_error() -> None:
    # 99 is no tax office code; 99-119/9019 has a correct check digit.
    assert validators.clean_tax_number("99-119/9019") == "991199019"

    warnings = validators.client_warnings({"legal_form": "", "tax_number": "991199019"})

    assert warnings == [
        validators.FieldWarning(
            "tax_number",
            "Die Finanzamtsnummer 99 ist keinem bekannten Finanzamt zugeordnet. "
            "Bitte prüfen Sie die Steuernummer.",
        )
    ]


def test_known_tax_office_gives_no_warning() -> None:
    assert validators.client_warnings({"legal_form": "", "tax_number": "591199013"}) == []


@pytest.mark.parametrize("typed", ["FN 122119m", "FN122119M", "122119 m", "fn 122.119m"])
def test_company_register_number_is_stored_without_prefix_in_lower_case(typed: str) -> None:
    assert validators.clean_company_register_number(typed) == "122119m"


def test_company_register_number_is_written_with_fn() -> None:
    assert validators.display_value("company_register_number", "122119m") == "FN 122119m"


def test_company_register_number_with_wrong_check_letter_is_refused() -> None:
    assert _message(validators.clean_company_register_number, "FN 123456a") == (
        "Der Prüfbuchstabe der Firmenbuchnummer stimmt nicht. Bitte vergleichen Sie die "
        "Nummer mit dem Firmenbuchauszug."
    )


def test_company_register_number_without_check_letter_is_refused() -> None:
    assert _message(validators.clean_company_register_number, "FN 1221190") == (
        "Die Firmenbuchnummer besteht aus bis zu sechs Ziffern und einem Prüfbuchstaben, "
        "z. B. FN 122119m."
    )


def test_company_register_check_letters_of_known_companies() -> None:
    assert validators.company_register_check_letter("122119") == "m"
    assert validators.company_register_check_letter("93363") == "z"
    assert validators.company_register_check_letter("33209") == "m"


def test_iban_is_stored_compact_and_written_in_groups_of_four() -> None:
    assert validators.clean_iban("at61 1904 3002 3457 3201") == "AT611904300234573201"
    assert validators.display_value("iban", "AT611904300234573201") == ("AT61 1904 3002 3457 3201")


def test_iban_with_wrong_check_digits_is_refused() -> None:
    assert _message(validators.clean_iban, "AT611904300234573202") == (
        "Die Prüfziffer der IBAN stimmt nicht. Bitte prüfen Sie die Nummer."
    )


def test_iban_with_wrong_length_is_refused() -> None:
    assert _message(validators.clean_iban, "AT6119043002345732") == (
        "Die IBAN ist ungültig. Eine österreichische IBAN hat 20 Zeichen, "
        "z. B. AT61 1904 3002 3457 3201."
    )


def test_bic_is_stored_in_capitals() -> None:
    assert validators.clean_bic("bkau at ww") == "BKAUATWW"
    assert validators.clean_bic("BKAUATWWXXX") == "BKAUATWWXXX"
    assert _message(validators.clean_bic, "BKAU") == (
        "Der BIC besteht aus 8 oder 11 Zeichen, z. B. BKAUATWW."
    )


@pytest.mark.parametrize("typed", ["1010", " 1010 ", "A-1010", "AT-1010", "a 1010"])
def test_austrian_postcode_is_stored_as_four_digits(typed: str) -> None:
    assert validators.clean_postcode(typed, "AT") == "1010"


@pytest.mark.parametrize("typed", ["0123", "123", "10100", "Wien"])
def test_austrian_postcode_in_the_wrong_format_is_refused(typed: str) -> None:
    assert _message(validators.clean_postcode, typed, "AT") == (
        "Eine österreichische Postleitzahl hat vier Ziffern und beginnt nicht mit 0, z. B. 1010."
    )


def test_austrian_postcode_that_does_not_exist_is_refused() -> None:
    assert _message(validators.clean_postcode, "9999", "AT") == (
        "Die Postleitzahl 9999 gibt es in Österreich nicht."
    )


def test_foreign_postcode_is_kept_as_typed() -> None:
    assert validators.clean_postcode(" 80331 ", "DE") == "80331"
    assert validators.clean_postcode("FL-9490", "LI") == "FL-9490"


def test_email_keeps_the_local_part_and_lowers_the_domain() -> None:
    assert validators.clean_email(" Office@Kanzlei.AT ") == "Office@kanzlei.at"
    assert _message(validators.clean_email, "office@") == (
        "Bitte geben Sie eine gültige E-Mail-Adresse an, z. B. office@kanzlei.at."
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("01 234 56 78", "+4312345678"),
        ("+43 (0)1 234 56 78", "+4312345678"),
        ("0043 664 1234567", "+436641234567"),
        ("0664/123 45 67", "+436641234567"),
        ("+4312345678", "+4312345678"),
    ],
)
def test_phone_is_stored_in_international_form(typed: str, stored: str) -> None:
    assert validators.clean_phone(typed, "AT") == stored


def test_phone_is_written_with_a_gap_after_the_country_code() -> None:
    assert validators.display_value("phone", "+4312345678") == "+43 12345678"
    assert validators.display_value("phone", "+423123456") == "+423 123456"


def test_national_phone_number_of_a_foreign_client_needs_the_country_code() -> None:
    assert validators.clean_phone("+49 30 1234567", "DE") == "+49301234567"
    assert _message(validators.clean_phone, "030 1234567", "DE") == (
        "Bitte geben Sie ausländische Telefonnummern mit Ländervorwahl an, z. B. +49 30 1234567."
    )


def test_phone_with_letters_or_too_many_digits_is_refused() -> None:
    expected = (
        "Eine Telefonnummer enthält nur Ziffern, Leerzeichen und die Zeichen + - / ( ) "
        "und hat höchstens 15 Ziffern."
    )
    assert _message(validators.clean_phone, "01 234 DURCHWAHL", "AT") == expected
    assert _message(validators.clean_phone, "+43 1234 5678 9012 345", "AT") == expected
    assert _message(validators.clean_phone, "abc", "AT") == expected


def test_phone_without_area_code_is_asked_for_one() -> None:
    assert _message(validators.clean_phone, "234 56 78", "AT") == (
        "Bitte geben Sie die Telefonnummer mit Vorwahl an, z. B. 01 234 56 78 oder +43 1 2345678."
    )


def test_gln_needs_thirteen_digits_with_check_digit() -> None:
    assert validators.clean_gln("9012345 000004") == "9012345000004"
    assert _message(validators.clean_gln, "9012345000005") == (
        "Die Prüfziffer der GLN stimmt nicht. Bitte prüfen Sie die Nummer."
    )
    assert _message(validators.clean_gln, "901234500000") == "Die GLN besteht aus 13 Ziffern."


def test_zvr_number_is_stored_with_nine_digits() -> None:
    assert validators.clean_zvr_number("ZVR 123456789") == "123456789"
    assert validators.clean_zvr_number("ZVR-Zahl: 62024563") == "062024563"
    assert _message(validators.clean_zvr_number, "1234567890") == (
        "Die ZVR-Zahl besteht aus bis zu neun Ziffern, z. B. 123456789."
    )


def test_cleaning_a_canonical_value_returns_it_unchanged() -> None:
    canonical = {
        "vat_id": "ATU13585627",
        "tax_number": "591199013",
        "company_register_number": "122119m",
        "iban": "AT611904300234573201",
        "bic": "BKAUATWW",
        "email": "office@kanzlei.at",
        "gln": "9012345000004",
        "zvr_number": "062024563",
        "postcode": "1010",
        "phone": "+4312345678",
        "country": "AT",
    }

    assert validators.clean_client_values(canonical) == canonical


def test_clean_client_values_reports_every_wrong_field_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        validators.clean_client_values(
            {"vat_id": "ATU13585626", "iban": "AT611904300234573202", "postcode": "0123"}
        )

    assert sorted(info.value.message_dict) == ["iban", "postcode", "vat_id"]


def test_postcode_rules_follow_the_country_of_the_values() -> None:
    assert validators.clean_client_values({"postcode": "0123", "country": "DE"}) == {
        "postcode": "0123",
        "country": "DE",
    }


def test_change_from_natural_person_to_company_is_refused_with_an_explanation() -> None:
    with pytest.raises(ValidationError) as info:
        validators.clean_client_values(
            {"legal_form": LegalForm.GMBH}, previous_legal_form=LegalForm.SOLE_TRADER
        )

    assert info.value.message_dict["legal_form"] == [
        "Die Rechtsform kann nicht von „Einzelunternehmen“ auf „GmbH“ geändert werden. "
        "Natürliche Personen (Einzelunternehmen, Privatperson) und Gesellschaften bzw. "
        "juristische Personen sind verschiedene Steuersubjekte: Bitte legen Sie dafür einen "
        "neuen Klienten an."
    ]


def test_change_from_company_to_private_person_is_refused() -> None:
    with pytest.raises(ValidationError):
        validators.validate_legal_form_change(LegalForm.AG, LegalForm.PRIVATE_PERSON)


def test_change_within_a_group_and_the_first_legal_form_are_allowed() -> None:
    validators.validate_legal_form_change(LegalForm.SOLE_TRADER, LegalForm.PRIVATE_PERSON)
    validators.validate_legal_form_change(LegalForm.GMBH, LegalForm.FLEXCO)
    validators.validate_legal_form_change(None, LegalForm.GMBH)


def test_client_until_before_client_since_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        validators.clean_client_values(
            {"client_since": date(2024, 5, 1), "client_until": date(2024, 4, 30)}
        )

    assert info.value.message_dict == {
        "client_until": ["„Klient bis“ darf nicht vor „Klient seit“ liegen."]
    }


def test_company_without_company_register_number_gets_a_warning() -> None:
    warnings = validators.client_warnings({"legal_form": LegalForm.GMBH})

    assert warnings == [
        validators.FieldWarning(
            "company_register_number",
            "Die Rechtsform „GmbH“ wird im Firmenbuch eingetragen, die Firmenbuchnummer "
            "fehlt aber.",
        )
    ]


def test_company_register_number_without_court_gets_a_warning() -> None:
    warnings = validators.client_warnings(
        {"legal_form": LegalForm.GMBH, "company_register_number": "122119m"}
    )

    assert warnings == [
        validators.FieldWarning(
            "company_register_court", "Zur Firmenbuchnummer fehlt das Firmenbuchgericht."
        )
    ]


def test_association_without_zvr_number_gets_a_warning() -> None:
    assert validators.client_warnings({"legal_form": LegalForm.ASSOCIATION}) == [
        validators.FieldWarning(
            "zvr_number", "Für einen Verein fehlt die ZVR-Zahl aus dem Vereinsregister."
        )
    ]
    assert (
        validators.client_warnings({"legal_form": LegalForm.ASSOCIATION, "zvr_number": "123456789"})
        == []
    )


def test_sole_trader_and_complete_company_get_no_warning() -> None:
    assert validators.client_warnings({"legal_form": LegalForm.SOLE_TRADER}) == []
    assert (
        validators.client_warnings(
            {
                "legal_form": LegalForm.GMBH,
                "company_register_number": "122119m",
                "company_register_court": "hg_wien",
            }
        )
        == []
    )


@pytest.mark.parametrize(
    ("clean", "typed"),
    [
        (validators.clean_vat_id, "²²²²²²²²"),
        (validators.clean_tax_number, "²²²²²²²²²"),
        (validators.clean_tax_number, "٥٩١١٩٩٠١٣"),
        (validators.clean_company_register_number, "FN ١٢٢١١٩m"),
        (lambda value: validators.clean_postcode(value, "AT"), "١٠١٠"),
        (lambda value: validators.clean_phone(value, "AT"), "٠١ ٢٣٤ ٥٦ ٧٨"),
        (validators.clean_gln, "٤" * 13),
        (validators.clean_zvr_number, "١٢٣٤٥٦٧٨٩"),
    ],
)
def test_digits_other_than_0_to_9_are_refused_not_misread(clean: object, typed: str) -> None:
    with pytest.raises(ValidationError):
        clean(typed)  # type: ignore[operator]
