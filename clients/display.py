"""Client field values as the office reads them: labels, dates, usual written forms."""

from datetime import date
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import DateField
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clients.models import Client
from clients.validators import display_value


def written_value(name: str, value: Any) -> str:
    """Value `value` of client field `name`: labels instead of codes, dates as 15.01.2024,
    numbers in their usual written form, "–" for nothing. ISO date strings are accepted."""
    if value is None or value == "":
        return "–"
    if value is True:
        return _("ja")
    if value is False:
        return _("nein")
    try:
        model_field = Client._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(str(value), value))
    if isinstance(model_field, DateField):
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return date_format(day, "SHORT_DATE_FORMAT")
    return display_value(name, str(value))
