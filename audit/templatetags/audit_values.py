from typing import Any

from django import template
from django.utils.translation import gettext as _

from audit.services import MASKED
from clients.display import written_value

register = template.Library()


@register.filter
def audit_value(value: Any, field: str = "") -> str:
    """A recorded value of client field `field` as the office reads it (see written_value);
    a value that was not recorded says so."""
    if value == MASKED:
        return _("(Wert nicht protokolliert)")
    return written_value(field, value)
