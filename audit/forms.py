import datetime
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry

# Days far outside the trail (0001-01-01, 9999-12-31) cannot be turned into the office's
# midnight in UTC; nothing was recorded then anyway.
FIRST_DAY, LAST_DAY = datetime.date(2000, 1, 1), datetime.date(2999, 12, 31)
DAY_RANGE = [
    MinValueValidator(FIRST_DAY, message=_("Bitte ein Datum ab dem 1.1.2000 angeben.")),
    MaxValueValidator(LAST_DAY, message=_("Bitte ein Datum bis zum 31.12.2999 angeben.")),
]


class AuditFilterForm(forms.Form):
    benutzer = forms.CharField(
        label=_("Benutzer"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"list": "audit-actor-names"}),
    )
    aktion = forms.ChoiceField(
        label=_("Aktion"),
        required=False,
        choices=[("", _("alle")), *AuditEntry.Action.choices],
    )
    klient = forms.CharField(
        label=_("Klient (Nummer oder Kurzbezeichnung)"), required=False, max_length=60
    )
    von = forms.DateField(
        label=_("von"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "min": FIRST_DAY, "max": LAST_DAY}),
        validators=DAY_RANGE,
    )
    bis = forms.DateField(
        label=_("bis"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "min": FIRST_DAY, "max": LAST_DAY}),
        validators=DAY_RANGE,
    )

    def filters(self) -> dict[str, Any]:
        """The valid filters as keyword arguments of selectors.audit_entries; a wrong
        field (a mistyped date) is left out, the others still apply."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        return {
            "user": data.get("benutzer") or "",
            "action": data.get("aktion") or "",
            "client": data.get("klient") or "",
            "date_from": data.get("von"),
            "date_to": data.get("bis"),
        }
