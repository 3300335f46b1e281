from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry


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
        label=_("von"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    bis = forms.DateField(
        label=_("bis"), required=False, widget=forms.DateInput(attrs={"type": "date"})
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
