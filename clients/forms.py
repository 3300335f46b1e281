from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Client

# Tabs of the client form, in order: (key, title, fields).
TABS = (
    (
        "stammdaten",
        _("Stammdaten"),
        ("number", "short_name", "name", "legal_form", "client_since", "client_until"),
    ),
    (
        "adresse",
        _("Adresse und Kontakt"),
        ("street", "postcode", "city", "country", "email", "phone"),
    ),
    ("steuer", _("Steuer und Firmenbuch"), ("vat_id", "tax_number", "company_register_number")),
    ("klientenportal", _("Klientenportal"), ("portal_enabled", "receipt_sync_enabled")),
)


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = [name for _key, _title, names in TABS for name in names]
        widgets = {
            "client_since": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "client_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "portal_enabled": _(
                "Die Stammdaten werden automatisch an das Klientenportal übertragen. "
                "Eine spätere Änderung der Klientennummer wird nicht übertragen."
            ),
            "client_until": _("Leer lassen, solange der Klient betreut wird."),
        }

    def tabs(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [(key, title, [self[name] for name in names]) for key, title, names in TABS]
