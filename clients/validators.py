"""Rules for client master data: pure functions, no database.

Each `clean_<field>` takes what a person typed (or a spreadsheet held) and returns the one
canonical form that is stored, or raises ValidationError with a German message. Cleaning a
canonical value returns it unchanged, so the form, Client.clean() and the CSV import can all
run the same rules one after the other. `format_<field>` gives the usual written form for
display and export. `client_warnings` lists what deserves a second look but is not an error.

Check digits come from python-stdnum; only the Firmenbuch check letter is computed here
because stdnum checks its format alone.
"""

import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _
from stdnum import bic, ean, iban
from stdnum.at import postleitzahl, tin, uid
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError

from clients.enums import COMPANY_REGISTER_FORMS, NATURAL_PERSON_FORMS, Country, LegalForm

_SEPARATORS = re.compile(r"[\s.\-/,]+")


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value)


# Nine digits: fits the integer column of every database (PostgreSQL's ends at 2,147,483,647).
MAX_CLIENT_NUMBER = 999_999_999


def is_ascii_digits(text: str) -> bool:
    """Only 0-9: str.isdigit() also accepts "²" and "١", which int() refuses or misreads."""
    return text.isascii() and text.isdigit()


# --- UID-Nummer -------------------------------------------------------------------------


def clean_vat_id(value: str) -> str:
    """Austrian UID (ATU + 8 digits with check digit) or another EU or Swiss VAT number.

    "ATU 135 856 27", "atu13585627", "U13585627" and "13585627" all become "ATU13585627".
    """
    number = _compact(value).upper()
    if not number:
        return ""
    if is_ascii_digits(number) and len(number) == 8:
        number = "ATU" + number
    elif number.startswith("U") and is_ascii_digits(number[1:]):
        number = "AT" + number
    if number.startswith("AT"):
        try:
            return "AT" + uid.validate(number)
        except InvalidChecksum:
            raise ValidationError(
                _("Die Prüfziffer der UID-Nummer stimmt nicht. Bitte prüfen Sie die Nummer."),
                code="checksum",
            ) from None
        except StdnumError:
            raise ValidationError(
                _(
                    "Eine österreichische UID-Nummer besteht aus „ATU“ und acht Ziffern, "
                    "z. B. ATU13585627."
                ),
                code="invalid",
            ) from None
    try:
        if number.startswith("CHE"):
            return ch_vat.validate(number)
        if number[:2].lower() in eu_vat.MEMBER_STATES or number.startswith("EL"):
            return eu_vat.validate(number)
    except StdnumError:
        raise ValidationError(
            _("Die UID-Nummer ist ungültig. Bitte prüfen Sie Länderkennzeichen und Ziffern."),
            code="invalid",
        ) from None
    raise ValidationError(
        _("Die UID-Nummer beginnt mit dem Länderkennzeichen, z. B. ATU13585627."),
        code="invalid",
    )


def format_vat_id(value: str) -> str:
    if value.startswith("CHE") and ch_vat.is_valid(value):
        return ch_vat.format(value)
    return value


# --- Steuernummer (Abgabenkontonummer) --------------------------------------------------


def clean_tax_number(value: str) -> str:
    """Finanzamtsnummer (2 digits) + Steuernummer (6 digits) + check digit, stored as 9 digits.

    An unknown Finanzamtsnummer is not an error here (see client_warnings): numbers keep
    their old office code since the offices were merged in 2021, and a list can be behind.
    """
    number = _compact(value)
    if not number:
        return ""
    if not is_ascii_digits(number):
        raise ValidationError(
            _(
                "Die Steuernummer enthält nur Ziffern und die üblichen Trennzeichen, "
                "z. B. 59-119/9013."
            ),
            code="invalid",
        )
    if len(number) == 7:
        raise ValidationError(
            _(
                "Bitte geben Sie die Steuernummer mit der zweistelligen Finanzamtsnummer an, "
                "z. B. 59-119/9013."
            ),
            code="no_tax_office",
        )
    if len(number) != 9:
        raise ValidationError(
            _(
                "Die Steuernummer hat neun Ziffern (Finanzamtsnummer, Steuernummer, "
                "Prüfziffer), z. B. 59-119/9013."
            ),
            code="length",
        )
    if tin.calc_check_digit(number) != number[-1]:
        raise ValidationError(
            _("Die Prüfziffer der Steuernummer stimmt nicht. Bitte prüfen Sie die Nummer."),
            code="checksum",
        )
    return number


def format_tax_number(value: str) -> str:
    if len(value) == 9 and is_ascii_digits(value):
        return tin.format(value)
    return value


@lru_cache(maxsize=256)
def tax_office(number: str) -> str:
    """Name of the tax office of a canonical tax number; "" when the code is unknown."""
    return tin.info(number[:2]).get("office", "")


# --- Firmenbuchnummer -------------------------------------------------------------------

_FN_PATTERN = re.compile(r"0*([0-9]{1,6})([a-z])")
_FN_WEIGHTS = (6, 4, 14, 15, 10, 1)
_FN_LETTERS = "abdfghikmpstvwxyz"


def company_register_check_letter(digits: str) -> str:
    """The check letter of a Firmenbuchnummer (weighted sum of the digits modulo 17)."""
    padded = digits.rjust(6, "0")
    total = sum(int(digit) * weight for digit, weight in zip(padded, _FN_WEIGHTS, strict=True))
    return _FN_LETTERS[total % 17]


def clean_company_register_number(value: str) -> str:
    """Up to six digits and a check letter, stored as "122119m" ("FN 122119 M" too)."""
    number = _compact(value).lower()
    if number.startswith("fn"):
        number = number[2:]
    if not number:
        return ""
    match = _FN_PATTERN.fullmatch(number)
    if match is None:
        raise ValidationError(
            _(
                "Die Firmenbuchnummer besteht aus bis zu sechs Ziffern und einem "
                "Prüfbuchstaben, z. B. FN 122119m."
            ),
            code="invalid",
        )
    digits, letter = match.groups()
    if company_register_check_letter(digits) != letter:
        raise ValidationError(
            _(
                "Der Prüfbuchstabe der Firmenbuchnummer stimmt nicht. Bitte vergleichen Sie "
                "die Nummer mit dem Firmenbuchauszug."
            ),
            code="checksum",
        )
    return digits + letter


def format_company_register_number(value: str) -> str:
    return f"FN {value}" if value else ""


# --- IBAN and BIC -----------------------------------------------------------------------


def clean_iban(value: str) -> str:
    number = iban.compact(value)
    if not number:
        return ""
    try:
        # stdnum checks the check digits before the length; a missing digit of an
        # Austrian IBAN deserves the message about its length.
        if number.startswith("AT") and len(number) != 20:
            raise StdnumError()
        return iban.validate(number)
    except InvalidChecksum:
        raise ValidationError(
            _("Die Prüfziffer der IBAN stimmt nicht. Bitte prüfen Sie die Nummer."),
            code="checksum",
        ) from None
    except StdnumError:
        raise ValidationError(
            _(
                "Die IBAN ist ungültig. Eine österreichische IBAN hat 20 Zeichen, "
                "z. B. AT61 1904 3002 3457 3201."
            ),
            code="invalid",
        ) from None


def format_iban(value: str) -> str:
    return iban.format(value) if value else ""


def clean_bic(value: str) -> str:
    code = bic.compact(value)
    if not code:
        return ""
    try:
        return bic.validate(code)
    except StdnumError:
        raise ValidationError(
            _("Der BIC besteht aus 8 oder 11 Zeichen, z. B. BKAUATWW."), code="invalid"
        ) from None


# --- Address and contact ----------------------------------------------------------------

_AT_POSTCODE = re.compile(r"(?:AT?-?)?([0-9]+)")


@lru_cache(maxsize=4096)
def _postcode_exists(code: str) -> bool:
    return bool(postleitzahl.info(code))


def clean_postcode(value: str, country: str) -> str:
    """Austrian postcodes: four digits, no leading zero, known to the post ("A-1010" → "1010").

    Foreign postcodes are kept as typed: their rules are not ours to enforce.
    """
    text = value.strip()
    if country != Country.AT or not text:
        return text
    match = _AT_POSTCODE.fullmatch(re.sub(r"\s+", "", text).upper())
    if match is None or len(match[1]) != 4 or match[1].startswith("0"):
        raise ValidationError(
            _(
                "Eine österreichische Postleitzahl hat vier Ziffern und beginnt nicht mit 0, "
                "z. B. 1010."
            ),
            code="invalid",
        )
    if not _postcode_exists(match[1]):
        raise ValidationError(
            _("Die Postleitzahl %(code)s gibt es in Österreich nicht."),
            code="unknown",
            params={"code": match[1]},
        )
    return match[1]


_email_validator = EmailValidator(
    message=_("Bitte geben Sie eine gültige E-Mail-Adresse an, z. B. office@kanzlei.at.")
)


def clean_email(value: str) -> str:
    """The address without surrounding blanks and with the domain in lower case."""
    address = value.strip()
    if not address:
        return ""
    _email_validator(address)
    local, _at, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


# Calling codes of the countries on the form, to write numbers with a gap after them.
_CALLING_CODES = ("423", "421", "420", "386", "43", "49", "41", "39", "36")
_PHONE_FILLERS = re.compile(r"[\s\-/().]+")


def clean_phone(value: str, country: str) -> str:
    """International form without gaps: "01 234 56 78" in Austria → "+4312345678".

    A national number (leading 0) is read as Austrian only for Austrian clients; other
    countries' trunk prefixes differ, so their numbers need the country code.
    """
    text = value.strip().replace("(0)", "")
    if not text:
        return ""
    number = _PHONE_FILLERS.sub("", text)
    if not re.fullmatch(r"\+?[0-9]+", number):
        raise _invalid_phone()
    if number.startswith("00"):
        number = "+" + number[2:]
    elif number.startswith("0"):
        if country != Country.AT:
            raise ValidationError(
                _(
                    "Bitte geben Sie ausländische Telefonnummern mit Ländervorwahl an, "
                    "z. B. +49 30 1234567."
                ),
                code="country_code",
            )
        number = "+43" + number[1:]
    elif not number.startswith("+"):
        raise ValidationError(
            _(
                "Bitte geben Sie die Telefonnummer mit Vorwahl an, z. B. 01 234 56 78 "
                "oder +43 1 2345678."
            ),
            code="area_code",
        )
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", number):
        raise _invalid_phone()
    return number


def _invalid_phone() -> ValidationError:
    return ValidationError(
        _(
            "Eine Telefonnummer enthält nur Ziffern, Leerzeichen und die Zeichen "
            "+ - / ( ) und hat höchstens 15 Ziffern."
        ),
        code="invalid",
    )


def format_phone(value: str) -> str:
    for code in _CALLING_CODES:
        if value.startswith("+" + code):
            return f"+{code} {value[len(code) + 1 :]}"
    return value


# --- GLN and ZVR-Zahl -------------------------------------------------------------------


def clean_gln(value: str) -> str:
    """Global Location Number: 13 digits, the last a GS1 check digit."""
    number = _compact(value)
    if not number:
        return ""
    if len(number) != 13 or not is_ascii_digits(number):
        raise ValidationError(_("Die GLN besteht aus 13 Ziffern."), code="invalid")
    if not ean.is_valid(number):
        raise ValidationError(
            _("Die Prüfziffer der GLN stimmt nicht. Bitte prüfen Sie die Nummer."),
            code="checksum",
        )
    return number


_ZVR_PREFIX = re.compile(r"^ZVR(?:-?ZAHL)?:?", re.IGNORECASE)


def clean_zvr_number(value: str) -> str:
    """Zentrales Vereinsregister: up to nine digits, stored with leading zeros ("ZVR 1234")."""
    number = _compact(_ZVR_PREFIX.sub("", value.strip()))
    if not number:
        return ""
    if not is_ascii_digits(number) or len(number) > 9:
        raise ValidationError(
            _("Die ZVR-Zahl besteht aus bis zu neun Ziffern, z. B. 123456789."), code="invalid"
        )
    return number.rjust(9, "0")


# --- Rechtsform and period --------------------------------------------------------------


def is_natural_person(legal_form: str) -> bool:
    return legal_form in NATURAL_PERSON_FORMS


def validate_legal_form_change(previous: str | None, new: str) -> None:
    """Refuse a change between a natural person and a company on an existing client.

    `previous` is the stored legal form; None means the client is new.
    """
    if not previous or not new or is_natural_person(previous) == is_natural_person(new):
        return
    raise ValidationError(
        _(
            "Die Rechtsform kann nicht von „%(previous)s“ auf „%(new)s“ geändert werden. "
            "Natürliche Personen (Einzelunternehmen, Privatperson) und Gesellschaften bzw. "
            "juristische Personen sind verschiedene Steuersubjekte: Bitte legen Sie dafür "
            "einen neuen Klienten an."
        ),
        code="legal_form_change",
        params={"previous": _label(LegalForm, previous), "new": _label(LegalForm, new)},
    )


def validate_period(since: date | None, until: date | None) -> None:
    if since and until and until < since:
        raise ValidationError(
            _("„Klient bis“ darf nicht vor „Klient seit“ liegen."), code="until_before_since"
        )


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# --- All rules together -----------------------------------------------------------------

# Rules that need nothing but the field's own value.
FIELD_CLEANERS: dict[str, Callable[[str], str]] = {
    "vat_id": clean_vat_id,
    "tax_number": clean_tax_number,
    "company_register_number": clean_company_register_number,
    "iban": clean_iban,
    "bic": clean_bic,
    "email": clean_email,
    "gln": clean_gln,
    "zvr_number": clean_zvr_number,
}
# Rules that depend on the country of the address.
COUNTRY_CLEANERS: dict[str, Callable[[str, str], str]] = {
    "postcode": clean_postcode,
    "phone": clean_phone,
}
FORMATTERS: dict[str, Callable[[str], str]] = {
    "vat_id": format_vat_id,
    "tax_number": format_tax_number,
    "company_register_number": format_company_register_number,
    "iban": format_iban,
    "phone": format_phone,
}


def display_value(name: str, value: str) -> str:
    """The usual written form of a stored value (the stored value itself if it has none)."""
    formatter = FORMATTERS.get(name)
    return formatter(value) if formatter and value else value


def clean_client_values(
    values: Mapping[str, Any], *, previous_legal_form: str | None = None
) -> dict[str, Any]:
    """Canonical form of `values` (any subset of the client's fields), all rules applied.

    Raises one ValidationError with the messages of every wrong field, keyed by field
    name. `previous_legal_form` is the stored legal form of an existing client (None for
    a new one). Fields not in `values` are neither checked nor returned.
    """
    cleaned = dict(values)
    errors: dict[str, list[ValidationError]] = {}
    for name, cleaner in FIELD_CLEANERS.items():
        value = values.get(name)
        if value:
            try:
                cleaned[name] = cleaner(value)
            except ValidationError as exc:
                errors[name] = [exc]
    country = values.get("country") or Country.AT
    for name, cleaner in COUNTRY_CLEANERS.items():
        value = values.get(name)
        if value:
            try:
                cleaned[name] = cleaner(value, country)
            except ValidationError as exc:
                errors[name] = [exc]
    if "legal_form" in values:
        try:
            validate_legal_form_change(previous_legal_form, values["legal_form"])
        except ValidationError as exc:
            errors["legal_form"] = [exc]
    try:
        validate_period(values.get("client_since"), values.get("client_until"))
    except ValidationError as exc:
        errors["client_until"] = [exc]
    if errors:
        raise ValidationError(errors)
    return cleaned


class FieldWarning(NamedTuple):
    """A hint on one field that does not prevent saving."""

    field: str
    message: str


def client_warnings(values: Mapping[str, Any]) -> list[FieldWarning]:
    """Hints on canonical client values that staff should look at; never blocks saving."""
    warnings: list[FieldWarning] = []
    legal_form = values.get("legal_form") or ""
    register_number = values.get("company_register_number")
    if legal_form in COMPANY_REGISTER_FORMS and not register_number:
        warnings.append(
            FieldWarning(
                "company_register_number",
                str(
                    _(
                        "Die Rechtsform „%(form)s“ wird im Firmenbuch eingetragen, "
                        "die Firmenbuchnummer fehlt aber."
                    )
                    % {"form": _label(LegalForm, legal_form)}
                ),
            )
        )
    if register_number and not values.get("company_register_court"):
        warnings.append(
            FieldWarning(
                "company_register_court",
                str(_("Zur Firmenbuchnummer fehlt das Firmenbuchgericht.")),
            )
        )
    if legal_form == LegalForm.ASSOCIATION and not values.get("zvr_number"):
        warnings.append(
            FieldWarning(
                "zvr_number",
                str(_("Für einen Verein fehlt die ZVR-Zahl aus dem Vereinsregister.")),
            )
        )
    tax_number = values.get("tax_number") or ""
    if len(tax_number) == 9 and is_ascii_digits(tax_number) and not tax_office(tax_number):
        warnings.append(
            FieldWarning(
                "tax_number",
                str(
                    _(
                        "Die Finanzamtsnummer %(code)s ist keinem bekannten Finanzamt "
                        "zugeordnet. Bitte prüfen Sie die Steuernummer."
                    )
                    % {"code": tax_number[:2]}
                ),
            )
        )
    return warnings
