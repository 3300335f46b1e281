"""German alphabetical order (DIN 5007-1) for sorting names in the database.

PostgreSQL has it as the ICU collation "de-AT-x-icu"; SQLite compares bytes, so a
collation of the same name is registered on every SQLite connection.
"""

from typing import Any

from django.db.backends.signals import connection_created
from django.db.models import F
from django.db.models.functions import Collate

GERMAN = "de-AT-x-icu"
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


def german_sort_key(text: str) -> str:
    """DIN 5007-1: umlauts sort like their base letter, case is ignored."""
    return text.casefold().translate(_FOLD)


def _compare(left: str, right: str) -> int:
    left_key, right_key = german_sort_key(left), german_sort_key(right)
    if left_key == right_key:
        return (left > right) - (left < right)  # a stable tie-break for equal keys
    return (left_key > right_key) - (left_key < right_key)


def register_sqlite_collation(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_collation(GERMAN, _compare)


def german(field: str) -> Collate:
    """`field` in German alphabetical order, for order_by()."""
    return Collate(F(field), GERMAN)


connection_created.connect(register_sqlite_collation, dispatch_uid="clients_german_collation")
