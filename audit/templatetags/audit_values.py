from typing import Any

from django import template
from django.utils.translation import gettext as _

from audit.services import MASKED

register = template.Library()


@register.filter
def audit_value(value: Any) -> str:
    """A recorded field value as the office reads it."""
    if value is None or value == "":
        return "–"
    if value is True:
        return _("ja")
    if value is False:
        return _("nein")
    if value == MASKED:
        return _("(Wert nicht protokolliert)")
    return str(value)
