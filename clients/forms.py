from datetime import UTC, date, datetime
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from clients import validators
from clients.display import written_value
from clients.enums import LegalForm
from clients.importing import MAX_FILE_BYTES
from clients.models import CHECKED_FIELDS, Client
from clients.selectors import SORT_FIELDS, ServicedFilter, SyncFilter

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
    (
        "steuer",
        _("Steuer und Firmenbuch"),
        (
            "vat_id",
            "tax_number",
            "company_register_number",
            "company_register_court",
            "zvr_number",
            "gln",
        ),
    ),
    ("bank", _("Bankverbindung"), ("iban", "bic")),
    ("klientenportal", _("Klientenportal"), ("portal_enabled", "receipt_sync_enabled")),
)


NUMBER_MESSAGES = {
    "invalid": _("Die Klientennummer besteht nur aus Ziffern, z. B. 127."),
    "min_value": _("Die Klientennummer ist mindestens 1."),
    "max_value": _("Die Klientennummer hat höchstens neun Stellen."),
}


class ClientNumberField(forms.IntegerField):
    """Klientennummer as typed: digits 0-9 only (int() would read "١٢٣" as 123)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(min_value=1, max_value=validators.MAX_CLIENT_NUMBER)
        super().__init__(**kwargs)
        self.error_messages.update(NUMBER_MESSAGES)

    def to_python(self, value: Any) -> int | None:
        text = "" if value in self.empty_values else str(value).strip()
        if text and not validators.is_ascii_digits(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(text)


class ClientForm(forms.ModelForm):
    """The client's master data. Rules live in clients.validators; shown in written form."""

    # When the editor loaded the client (its updated_at): a save by someone else since
    # then is reported instead of being overwritten.
    loaded_at = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Client
        fields = [name for _key, _title, names in TABS for name in names]
        field_classes = {"number": ClientNumberField}
        widgets = {
            # Text, not type=number: a browser silently drops what a number field cannot
            # hold ("12ab" becomes 12), so a typo would renumber the client unseen.
            "number": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "client_since": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "client_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "portal_enabled": _(
                "Die Stammdaten werden automatisch an das Klientenportal übertragen. "
                "Eine spätere Änderung der Klientennummer wird nicht übertragen."
            ),
            "client_until": _("Leer lassen, solange der Klient betreut wird."),
            "legal_form": _(
                "Ein Wechsel zwischen natürlicher Person und Gesellschaft ist bei einem "
                "bestehenden Klienten nicht möglich."
            ),
            "vat_id": _("z. B. ATU13585627"),
            "tax_number": _("Finanzamtsnummer, Steuernummer und Prüfziffer, z. B. 59-119/9013"),
            "company_register_number": _("z. B. FN 122119m"),
            "zvr_number": _("Für Vereine: die Zahl aus dem Zentralen Vereinsregister"),
            "gln": _("Global Location Number, 13 Ziffern"),
            "iban": _("z. B. AT61 1904 3002 3457 3201"),
            "phone": _("z. B. 01 234 56 78 oder +43 1 2345678"),
            "postcode": _("In Österreich vier Ziffern, z. B. 1010"),
        }

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["loaded_at"] = self.instance.updated_at.isoformat()
        else:
            # A new client has no legal form to change yet.
            self.fields["legal_form"].help_text = ""
        # Readers see the fields greyed out, not as inputs that silently go nowhere.
        self.read_only = read_only
        for name, field in self.fields.items():
            field.disabled = field.disabled or read_only
            # The page carries the values as loaded, so changed_data is what this user
            # changed, not every difference to a row someone else saved meanwhile. A post
            # without them (a script) is compared with the stored row instead.
            field.show_hidden_initial = name in self._meta.fields and (
                not self.is_bound or self.add_initial_prefix(name) in self.data
            )
        # Show stored numbers the way they are usually written; typed input stays as typed.
        if not self.is_bound:
            for name in validators.FORMATTERS:
                value = self.initial.get(name)
                if value:
                    self.initial[name] = validators.display_value(name, value)

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        values = {name: cleaned_data[name] for name in CHECKED_FIELDS if name in cleaned_data}
        previous = self.instance.legal_form if self.instance.pk else None
        try:
            cleaned_data.update(
                validators.clean_client_values(values, previous_legal_form=previous)
            )
        except ValidationError as exc:
            for name, errors in exc.error_dict.items():
                self.add_error(name, errors)
        return cleaned_data

    def client_values(self, *, changed_only: bool = False) -> dict[str, Any]:
        """The cleaned master data (all fields, or those the user changed)."""
        names = self.changed_data if changed_only else self._meta.fields
        return {name: self.cleaned_data[name] for name in names if name in self._meta.fields}

    @property
    def has_field_errors(self) -> bool:
        return any(name != NON_FIELD_ERRORS for name in self.errors)

    def loaded_version(self) -> datetime | None:
        """The updated_at the editor saw; None when the form did not say (no check).

        A value that is not a timestamp was tampered with: it can match no save."""
        text = self.cleaned_data.get("loaded_at") or ""
        if not text:
            return None
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return datetime.min.replace(tzinfo=UTC)

    def changed_by_both(self, current: Client) -> list[str]:
        """Fields this user changed that someone else also changed since the page was
        loaded (`current` is the row as stored now)."""
        stored = ClientForm(instance=current).initial
        return [
            name
            for name in self.changed_data
            if name in self._meta.fields
            and self.fields[name].has_changed(
                stored.get(name),
                self.fields[name]
                .hidden_widget()
                .value_from_datadict(self.data, self.files, self.add_initial_prefix(name)),
            )
        ]

    def report_changed_meanwhile(self, current: Client, fields: list[str]) -> None:
        """Both this user and someone else changed `fields`: show the other's values, take
        theirs into the fields this user left alone, and rebase the page on `current`, so
        the next save writes exactly what this user changed."""
        stored = ClientForm(instance=current).initial
        data = self.data.copy()
        for name in self._meta.fields:
            text = _as_posted(stored.get(name))
            if name not in self.changed_data:
                _set_posted(data, self.add_prefix(name), text)
            data[self.add_initial_prefix(name)] = _as_hidden(stored.get(name))
        data[self.add_prefix("loaded_at")] = current.updated_at.isoformat()
        self.data = data
        self.add_error(
            None,
            _(
                "Dieser Klient wurde inzwischen von jemand anderem geändert, auch in Feldern, "
                "die Sie geändert haben. Jetzt gespeichert ist: %(stored)s. Die übrigen "
                "Änderungen der anderen Person sind unten übernommen, Ihre Eingaben sind "
                "erhalten; prüfen Sie sie und speichern Sie erneut, um sie zu übernehmen."
            )
            % {
                "stored": "; ".join(
                    f"{self[name].label} „{written_value(name, getattr(current, name))}“"
                    for name in fields
                )
            },
        )

    def field_warnings(self) -> dict[str, list[str]]:
        """Hints on the stored client, by field (none while the user is correcting input)."""
        if self.is_bound or not self.instance.pk:
            return {}
        by_field: dict[str, list[str]] = {}
        for warning in self.instance.warnings():
            by_field.setdefault(warning.field, []).append(warning.message)
        return by_field

    def warnings(self) -> list[str]:
        return [message for messages in self.field_warnings().values() for message in messages]

    def tabs(self) -> list[tuple[str, str, list[tuple[forms.BoundField, list[str]]], bool]]:
        """Per tab: key, title, (field, warnings) pairs and whether a field has an error."""
        warnings = self.field_warnings()
        return [
            (
                key,
                title,
                [(self[name], warnings.get(name, [])) for name in names],
                any(name in self.errors for name in names),
            )
            for key, title, names in TABS
        ]


def _as_posted(value: Any) -> str | bool:
    """A stored value as the browser would post it (True/False for a checkbox)."""
    if isinstance(value, bool):
        return value
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def _as_hidden(value: Any) -> str:
    return "" if value is None else str(value)


def _set_posted(data: Any, key: str, value: str | bool) -> None:
    """Put `value` into POST data; an unticked checkbox is one that is not posted."""
    if value is False:
        data.pop(key, None)
    else:
        data[key] = "on" if value is True else value


def _choices(blank: str, choices: Any) -> list[tuple[str, str]]:
    return [("", blank), *choices]


class ClientFilterForm(forms.Form):
    """Search, filters and sort order of the client list (all optional, from the URL)."""

    q = forms.CharField(label=_("Suche"), required=False)
    serviced = forms.ChoiceField(
        label=_("Betreuungsstatus"),
        required=False,
        choices=_choices(_("alle"), ServicedFilter.choices),
    )
    legal_form = forms.ChoiceField(
        label=_("Rechtsform"), required=False, choices=_choices(_("alle"), LegalForm.choices)
    )
    portal = forms.ChoiceField(
        label=_("Klientenportal"),
        required=False,
        choices=[("", _("alle")), ("ja", _("am Klientenportal")), ("nein", _("nicht am Portal"))],
    )
    sync = forms.ChoiceField(
        label=_("Synchronisation"), required=False, choices=_choices(_("alle"), SyncFilter.choices)
    )
    sort = forms.ChoiceField(
        label=_("Sortierung"),
        required=False,
        choices=[(key, key) for name in SORT_FIELDS for key in (name, "-" + name)],
    )

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for selectors.filter_clients; invalid choices count as unset."""
        data = self.cleaned_data if self.is_valid() else {}
        portal = data.get("portal") or ""
        return {
            "query": data.get("q") or "",
            "serviced": data.get("serviced") or None,
            "legal_form": data.get("legal_form") or None,
            "portal_enabled": {"ja": True, "nein": False}.get(portal),
            "sync": data.get("sync") or None,
            "sort": data.get("sort") or "number",
        }


class BulkPortalForm(forms.Form):
    """The bulk action of the client list on the selected clients."""

    ENABLE = "enable"
    DISABLE = "disable"

    action = forms.ChoiceField(
        choices=[
            (ENABLE, _("Am Klientenportal anlegen")),
            (DISABLE, _("Vom Klientenportal nehmen")),
        ]
    )
    selected = forms.Field(
        widget=forms.MultipleHiddenInput,
        error_messages={"required": _("Bitte wählen Sie zuerst mindestens einen Klienten aus.")},
    )

    def clean_selected(self) -> list[int]:
        values = self.cleaned_data["selected"]
        # Ids as the list renders them; anything else (or a number no id can reach) is
        # a tampered or stale form.
        if not isinstance(values, list) or not all(
            validators.is_ascii_digits(value) and len(value) <= 18 for value in values
        ):
            raise ValidationError(_("Die Auswahl ist ungültig. Bitte wählen Sie erneut aus."))
        return sorted({int(value) for value in values})

    @property
    def enable(self) -> bool:
        return self.cleaned_data["action"] == self.ENABLE


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV-Datei"),
        help_text=_(
            "Strichpunkt als Trennzeichen, erste Zeile mit den Spaltennamen wie im "
            "Klientenformular (z. B. „Klientennummer“, „Kurzbezeichnung“, „Name“, "
            "„Rechtsform“). UTF-8 oder die Windows-Codierung von Excel."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(
                _("Die Datei ist zu groß (höchstens %(megabytes)s MB)."),
                params={"megabytes": MAX_FILE_BYTES // 1_000_000},
            )
        return upload


class ImportConfirmForm(forms.Form):
    valid_only = forms.BooleanField(
        label=_("Nur die gültigen Zeilen importieren, fehlerhafte Zeilen auslassen"),
        required=False,
    )
