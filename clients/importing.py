"""CSV import of clients: read, check every row, then write all rows in bulk.

A file is read as Austrian offices produce it: semicolon-separated, UTF-8 with or without
BOM, or Windows-1252 as Excel saves it; the first line names the columns as the client
form does ("Klientennummer", "Kurzbezeichnung", …). `plan_import` checks every row with the
rules of clients.validators and against the database (a fixed number of queries per 500
rows, none per row) and writes nothing. `apply_plan` writes the plan with bulk_create and
bulk_update, which announce the changed clients to the sync outbox in the same transaction
(one kick per transaction, no request per row).
"""

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.context import operation as audit_operation
from audit.models import AuditEntry
from clients import validators
from clients.enums import CompanyRegisterCourt, Country, LegalForm
from clients.models import Client

MAX_FILE_BYTES = 10_000_000
BATCH_SIZE = 500

# The columns of import and export, in the order of the client form.
COLUMNS = (
    "number",
    "short_name",
    "name",
    "legal_form",
    "client_since",
    "client_until",
    "street",
    "postcode",
    "city",
    "country",
    "email",
    "phone",
    "vat_id",
    "tax_number",
    "company_register_number",
    "company_register_court",
    "zvr_number",
    "gln",
    "iban",
    "bic",
    "portal_enabled",
    "receipt_sync_enabled",
)
MAX_LENGTHS = {
    name: Client._meta.get_field(name).max_length
    for name in COLUMNS
    if Client._meta.get_field(name).max_length
}
REQUIRED_COLUMNS = ("number",)
REQUIRED_FOR_NEW = ("number", "short_name", "name", "legal_form")
DATE_FIELDS = ("client_since", "client_until")
BOOLEAN_FIELDS = ("portal_enabled", "receipt_sync_enabled")
CHOICE_FIELDS = {
    "legal_form": LegalForm,
    "country": Country,
    "company_register_court": CompanyRegisterCourt,
}
# Short column names offices use besides the form's labels (compared case-insensitively).
HEADER_ALIASES = {
    "nummer": "number",
    "klientennr": "number",
    "klientennr.": "number",
    "plz": "postcode",
    "uid": "vat_id",
    "uid-nr.": "vat_id",
    "email": "email",
    "fn": "company_register_number",
    "klientenportal": "portal_enabled",
    "belegsync": "receipt_sync_enabled",
}
TRUE_WORDS = frozenset({"ja", "j", "x", "1", "wahr", "true", "yes"})
FALSE_WORDS = frozenset({"", "nein", "n", "0", "falsch", "false", "no"})

# Excel runs a cell starting with one of these as a formula; the export puts an
# apostrophe in front (see clients.exporting) and the import takes it away again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def column_title(name: str) -> str:
    return str(Client._meta.get_field(name).verbose_name)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def decode(content: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252."""
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        # Five byte values are unassigned in Windows-1252; they cannot come from Excel.
        return content.decode("cp1252", errors="replace")


def needs_escape(text: str) -> bool:
    """True for text that starts like a formula, after any apostrophes (see escape_cell)."""
    return text.lstrip("'").startswith(FORMULA_STARTS)


def unescape_cell(text: str) -> str:
    """Undo clients.exporting.escape_cell: drop the one apostrophe it put in front."""
    return text[1:] if text.startswith("'") and needs_escape(text) else text


@dataclass
class RowResult:
    """One data row of the file: what would happen to it, or why it cannot be imported."""

    line: int
    number: int | None = None
    short_name: str = ""
    action: str = ""  # "create", "update", "unchanged" or "error"
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column title, message)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    fields_with_errors: set[str] = field(default_factory=set)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def add_error(self, name: str | None, message: str) -> None:
        if name:
            self.fields_with_errors.add(name)
        self.errors.append((column_title(name) if name else "", message))


@dataclass
class ImportPlan:
    """The checked file. Nothing has been written when a plan exists."""

    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    existing: dict[int, Client] = field(default_factory=dict)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def count_create(self) -> int:
        return self.count("create")

    @property
    def count_update(self) -> int:
        return self.count("update")

    @property
    def count_unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def count_error(self) -> int:
        return self.count("error")

    @property
    def error_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(row.errors for row in self.rows)

    @property
    def can_import(self) -> bool:
        """Something to write (valid rows that create or change a client) and no file error."""
        return not self.file_errors and any(row.action in ("create", "update") for row in self.rows)

    @property
    def column_titles(self) -> list[str]:
        return [column_title(name) for name in self.columns]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    def summary(self) -> str:
        """ "2 Klienten angelegt, 0 geändert, 0 unverändert, 1 fehlerhafte Zeile ausgelassen"."""
        created = ngettext(
            "%(count)d Klient angelegt", "%(count)d Klienten angelegt", self.created
        ) % {"count": self.created}
        skipped = ngettext(
            "%(count)d fehlerhafte Zeile ausgelassen",
            "%(count)d fehlerhafte Zeilen ausgelassen",
            self.skipped,
        ) % {"count": self.skipped}
        return _("%(created)s, %(updated)d geändert, %(unchanged)d unverändert, %(skipped)s") % {
            "created": created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": skipped,
        }


# --- Reading cells ----------------------------------------------------------------------


class _ChoiceLookup:
    """Finds a choice by its stored value, its label or the short form in its label's
    parentheses ("AG" for "Aktiengesellschaft (AG)"), in German and the active language."""

    def __init__(self, choices: Any) -> None:
        self.by_key: dict[str, str] = {}
        languages = {"de-at", translation.get_language() or "de-at"}
        for language in languages:
            with translation.override(language):
                for value, label in choices.choices:
                    label = str(label)
                    self.by_key.setdefault(_key(value), value)
                    self.by_key.setdefault(_key(label), value)
                    short = re.search(r"\(([^)]+)\)$", label)
                    if short:
                        self.by_key.setdefault(_key(short[1]), value)
                    for long, abbreviation in (
                        ("Landesgericht ", "LG "),
                        ("Handelsgericht ", "HG "),
                    ):
                        if label.startswith(long):
                            self.by_key.setdefault(_key(abbreviation + label[len(long) :]), value)

    def find(self, text: str) -> str | None:
        return self.by_key.get(_key(text))


def _parse_date(text: str) -> date:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


class _RowReader:
    """Turns the text cells of one row into model values; errors go to the row."""

    def __init__(self) -> None:
        self.lookups = {name: _ChoiceLookup(choices) for name, choices in CHOICE_FIELDS.items()}

    def read(self, cells: dict[str, str], row: RowResult) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, raw in cells.items():
            text = unescape_cell(raw.strip())
            if "\x00" in text:
                # As the form refuses it: PostgreSQL cannot store it, pages cannot show it.
                row.add_error(name, _("Nullzeichen sind nicht erlaubt."))
                continue
            try:
                values[name] = self._value(name, text)
            except ValueError as exc:
                row.add_error(name, str(exc))
        return values

    def _value(self, name: str, text: str) -> Any:
        if name == "number":
            if not text:
                return None
            if (
                not validators.is_ascii_digits(text)
                or not 1 <= int(text) <= validators.MAX_CLIENT_NUMBER
            ):
                raise ValueError(_("Die Klientennummer ist eine ganze Zahl von 1 bis 999999999."))
            return int(text)
        if name in DATE_FIELDS:
            if not text:
                return None
            try:
                return _parse_date(text)
            except ValueError:
                raise ValueError(
                    _("„%(text)s“ ist kein Datum. Bitte im Format TT.MM.JJJJ angeben.")
                    % {"text": text}
                ) from None
        if name in BOOLEAN_FIELDS:
            word = text.casefold()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise ValueError(_("Bitte „ja“ oder „nein“ angeben."))
        if name in self.lookups:
            if not text:
                return Country.AT if name == "country" else ""
            value = self.lookups[name].find(text)
            if value is None:
                raise ValueError(_("„%(text)s“ ist kein gültiger Wert.") % {"text": text})
            return value
        return text


# --- Checking the file ------------------------------------------------------------------


def _chunks(items: list[Any], size: int = BATCH_SIZE) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _header(names: list[str], plan: ImportPlan) -> list[str | None]:
    by_title = {_key(column_title(name)): name for name in COLUMNS}
    by_title.update(HEADER_ALIASES)
    fields: list[str | None] = []
    for raw in names:
        name = by_title.get(_key(raw.lstrip("\ufeff")))
        if name is None or name in fields:
            if raw.strip():
                plan.ignored_columns.append(raw.strip())
            fields.append(None)
        else:
            fields.append(name)
    plan.columns = [name for name in COLUMNS if name in fields]
    return fields


def _stored_values(client: Client) -> dict[str, Any]:
    return {name: getattr(client, name) for name in COLUMNS}


def _new_values() -> dict[str, Any]:
    values: dict[str, Any] = {name: "" for name in COLUMNS}
    values.update(
        number=None, client_since=None, client_until=None, country=Country.AT, legal_form=""
    )
    values.update(dict.fromkeys(BOOLEAN_FIELDS, False))
    return values


def plan_import(content: bytes) -> ImportPlan:
    """Check the whole file and say what importing it would do. Writes nothing."""
    plan = ImportPlan()
    if b"\x00" in content[:4096]:
        # A workbook (.xlsx is a zip file) or another binary file, not text.
        plan.file_errors.append(
            _(
                "Die Datei ist keine CSV-Datei. Bitte speichern Sie die Tabelle in Excel als "
                "„CSV (Trennzeichen-getrennt)“."
            )
        )
        return plan
    text = decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        header = next(reader)
        # Excel writes and reads a first line "sep=;" that names the separator.
        if len(header) <= 2 and header[0].lower().startswith("sep="):
            header = next(reader)
    except StopIteration:
        plan.file_errors.append(_("Die Datei ist leer."))
        return plan
    except csv.Error:
        plan.file_errors.append(_("Die Datei ist keine lesbare CSV-Datei."))
        return plan
    fields = _header(header, plan)
    if len(header) == 1 and "," in header[0]:
        plan.file_errors.append(
            _(
                "Die Spalten sind nicht durch Strichpunkte getrennt. Bitte speichern Sie die "
                "Datei als CSV mit Strichpunkt als Trennzeichen."
            )
        )
        return plan
    missing = [column_title(name) for name in REQUIRED_COLUMNS if name not in plan.columns]
    if missing:
        plan.file_errors.append(
            _("Die Spalte „%(column)s“ fehlt in der ersten Zeile.") % {"column": missing[0]}
        )
        return plan

    row_reader = _RowReader()
    parsed: list[tuple[RowResult, dict[str, Any]]] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            row = RowResult(line=reader.line_num)
            if len(cells) > len(fields):
                if any(cell.strip() for cell in cells[len(fields) :]):
                    row.add_error(None, _("Die Zeile hat mehr Spalten als die erste Zeile."))
            by_name = {
                name: cells[index] if index < len(cells) else ""
                for index, name in enumerate(fields)
                if name is not None
            }
            parsed.append((row, row_reader.read(by_name, row)))
    except csv.Error as exc:
        plan.file_errors.append(
            _("Die Datei kann ab Zeile %(line)d nicht gelesen werden (%(reason)s).")
            % {"line": reader.line_num, "reason": exc}
        )
        return plan

    numbers = [values["number"] for _row, values in parsed if values.get("number")]
    for chunk in _chunks(numbers):
        for client in Client.objects.filter(number__in=chunk):
            plan.existing[client.number] = client
    short_names = [values["short_name"] for _row, values in parsed if values.get("short_name")]
    owner_of_short_name: dict[str, int] = {}
    for chunk in _chunks(short_names):
        owner_of_short_name.update(
            Client.objects.filter(short_name__in=chunk).values_list("short_name", "number")
        )

    first_line_of_number: dict[int, int] = {}
    first_line_of_short_name: dict[str, int] = {}
    for row, values in parsed:
        _check_row(row, values, plan, owner_of_short_name)
        if row.number is not None:
            if row.number in first_line_of_number:
                row.add_error(
                    "number",
                    _("Die Klientennummer %(number)d steht schon in Zeile %(line)d.")
                    % {"number": row.number, "line": first_line_of_number[row.number]},
                )
            else:
                first_line_of_number[row.number] = row.line
        short_name = row.values.get("short_name")
        if short_name:
            if short_name in first_line_of_short_name:
                row.add_error(
                    "short_name",
                    _("Die Kurzbezeichnung „%(name)s“ steht schon in Zeile %(line)d.")
                    % {"name": short_name, "line": first_line_of_short_name[short_name]},
                )
            else:
                first_line_of_short_name[short_name] = row.line
        if row.errors:
            row.action = "error"
            row.warnings = []
        plan.rows.append(row)
    return plan


def _check_row(
    row: RowResult,
    values: dict[str, Any],
    plan: ImportPlan,
    owner_of_short_name: dict[str, int],
) -> None:
    number = values.get("number")
    row.number = number
    if number is None and "number" in values:
        row.add_error("number", _("Die Klientennummer fehlt."))
    existing = plan.existing.get(number) if number else None
    merged = _stored_values(existing) if existing else _new_values()
    merged.update(values)
    row.short_name = merged.get("short_name") or ""
    required = REQUIRED_FOR_NEW if existing is None else REQUIRED_FOR_NEW[1:]
    for name in required:
        missing = not merged.get(name) and name not in row.fields_with_errors
        if missing and (name in values or existing is None):
            row.add_error(name, _("Dieses Feld darf nicht leer sein."))
    try:
        merged = validators.clean_client_values(
            merged, previous_legal_form=existing.legal_form if existing else None
        )
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            for message in errors:
                row.add_error(name, message)
    for name, limit in MAX_LENGTHS.items():
        length = len(merged.get(name) or "")
        if length > limit and name not in row.fields_with_errors:
            row.add_error(
                name,
                _("Höchstens %(limit)d Zeichen erlaubt (hier %(length)d).")
                % {"limit": limit, "length": length},
            )
    owner = owner_of_short_name.get(row.short_name)
    if owner is not None and owner != number:
        row.add_error(
            "short_name",
            _("Die Kurzbezeichnung „%(name)s“ hat bereits der Klient %(number)d.")
            % {"name": row.short_name, "number": owner},
        )
    row.values = merged
    if row.errors:
        return
    row.warnings = [
        (column_title(warning.field), warning.message)
        for warning in validators.client_warnings(merged)
    ]
    if existing is None:
        row.action = "create"
        return
    row.changed = [name for name in COLUMNS if merged[name] != getattr(existing, name)]
    row.action = "update" if row.changed else "unchanged"


# --- Writing ----------------------------------------------------------------------------


@transaction.atomic
def apply_plan(plan: ImportPlan, *, valid_only: bool, file_name: str = "") -> ImportResult:
    """Write the plan in one transaction: all rows, or with `valid_only` the valid ones.

    Raises ValueError when the plan has errors and `valid_only` is False: then nothing is
    written. Unchanged rows are not written, so they cause no push to the portal. The
    audit trail records the writes as an import of `file_name`.
    """
    if plan.file_errors or (plan.has_errors and not valid_only):
        raise ValueError("the import plan has errors")
    with (
        transaction.atomic(),
        audit_operation(AuditEntry.Action.CLIENTS_IMPORTED, detail=file_name),
    ):
        return _write_plan(plan)


def _write_plan(plan: ImportPlan) -> ImportResult:
    result = ImportResult(unchanged=plan.count("unchanged"), skipped=len(plan.error_rows))
    new_clients = [Client(**row.values) for row in plan.rows if row.action == "create"]
    for chunk in _chunks(new_clients):
        Client.objects.bulk_create(chunk)
    result.created = len(new_clients)

    now = timezone.now()
    changed_fields: set[str] = set()
    updated: list[Client] = []
    for row in plan.rows:
        if row.action != "update":
            continue
        client = plan.existing[row.number]
        for name in row.changed:
            setattr(client, name, row.values[name])
        client.updated_at = now  # bulk_update does not apply auto_now
        changed_fields.update(row.changed)
        updated.append(client)
    fields = [name for name in COLUMNS if name in changed_fields] + ["updated_at"]
    for chunk in _chunks(updated):
        Client.objects.bulk_update(chunk, fields)
    result.updated = len(updated)
    return result


def error_lines(plan: ImportPlan) -> Iterable[str]:
    """The plan's errors as text lines ("Zeile 3, Spalte „UID-Nummer“: …")."""
    for message in plan.file_errors:
        yield message
    for row in plan.rows:
        for column, message in row.errors:
            if column:
                yield _("Zeile %(line)d, Spalte „%(column)s“: %(message)s") % {
                    "line": row.line,
                    "column": column,
                    "message": message,
                }
            else:
                yield _("Zeile %(line)d: %(message)s") % {"line": row.line, "message": message}
