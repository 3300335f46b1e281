"""CSV export of clients that Excel opens with umlauts intact and the import reads back.

UTF-8 with BOM (without it Excel guesses Windows-1252 and garbles umlauts), semicolons as
Excel uses them in German-speaking countries, the import's column titles, values in their
written form. Export → import is lossless: every value reads back to what is stored.
"""

import csv
from collections.abc import Iterable
from datetime import date
from typing import Any, Protocol

from django.utils.translation import gettext as _

from clients import validators
from clients.importing import BOOLEAN_FIELDS, CHOICE_FIELDS, COLUMNS, column_title, needs_escape
from clients.models import Client

BOM = "\ufeff"


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def escape_cell(text: str) -> str:
    """Keep Excel from running a cell as a formula ("+43 1 …" would become #NAME?).

    Text that starts like a formula, after any apostrophes, gets one more apostrophe in
    front; the import removes exactly that one, so every text reads back unchanged.
    """
    return "'" + text if needs_escape(text) else text


def cell(client: Client, name: str) -> str:
    value = getattr(client, name)
    if name in BOOLEAN_FIELDS:
        return _("ja") if value else _("nein")
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if name in CHOICE_FIELDS:
        return getattr(client, f"get_{name}_display")() if value else ""
    return escape_cell(validators.display_value(name, str(value)))


def write_csv(clients: Iterable[Client], out: Writable) -> int:
    """Write the header and one line per client to `out`; returns the number of clients."""
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([column_title(name) for name in COLUMNS])
    count = 0
    for client in clients:
        writer.writerow([cell(client, name) for name in COLUMNS])
        count += 1
    return count
