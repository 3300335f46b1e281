from datetime import date
from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db.models import DateField
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.services import MASKED
from clients.models import Client
from clients.validators import display_value

register = template.Library()


@register.filter
def audit_value(value: Any, field: str = "") -> str:
    """A recorded value of client field `field` as the office reads it: labels instead of
    codes, dates as 15.01.2024, numbers in their usual written form."""
    if value is None or value == "":
        return "–"
    if value is True:
        return _("ja")
    if value is False:
        return _("nein")
    if value == MASKED:
        return _("(Wert nicht protokolliert)")
    text = str(value)
    try:
        model_field = Client._meta.get_field(field)
    except FieldDoesNotExist:
        return text
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(text, text))
    if isinstance(model_field, DateField):
        try:
            return date_format(date.fromisoformat(text), "SHORT_DATE_FORMAT")
        except ValueError:
            return text
    return display_value(field, text)
