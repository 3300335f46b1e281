import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients import validators
from clients.enums import CompanyRegisterCourt, Country, LegalForm
from clients.signals import clients_bulk_changed


class ClientQuerySet(models.QuerySet):
    """Bulk writes announce the clients they changed, as save() does through post_save.

    Each runs in a transaction so the announcement (the sync outbox) commits or rolls
    back together with the write.
    """

    def update(self, **kwargs: Any) -> int:
        with transaction.atomic(using=self.db):
            # Collected first: the update may change the fields the filter matches on.
            ids = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            _announce(ids, changes=kwargs)
        return count

    def bulk_update(
        self, objs: Iterable["Client"], fields: Any, batch_size: int | None = None
    ) -> int:
        objs = list(objs)
        with transaction.atomic(using=self.db):
            count = super().bulk_update(objs, fields, batch_size=batch_size)
            _announce([obj.pk for obj in objs])
        return count

    def bulk_create(self, objs: Iterable["Client"], *args: Any, **kwargs: Any) -> list["Client"]:
        objs = list(objs)
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            # With update_conflicts the primary keys may be unset: find rows by number.
            numbers = [obj.number for obj in created]
            _announce(
                list(self.model.objects.filter(number__in=numbers).values_list("pk", flat=True))
            )
        return created


def _announce(client_ids: list[int], changes: dict[str, Any] | None = None) -> None:
    """`changes`: the field values a QuerySet.update() set (None for other bulk writes)."""
    if client_ids:
        clients_bulk_changed.send(sender=Client, client_ids=client_ids, changes=changes)


class Client(models.Model):
    """A client of the office (Klient) with its master data (Stammdaten)."""

    number = models.PositiveIntegerField(
        _("Klientennummer"),
        unique=True,
        validators=[MinValueValidator(1), MaxValueValidator(validators.MAX_CLIENT_NUMBER)],
        error_messages={"unique": _("Diese Klientennummer ist bereits vergeben.")},
    )
    short_name = models.CharField(
        _("Kurzbezeichnung"),
        max_length=60,
        unique=True,
        error_messages={"unique": _("Diese Kurzbezeichnung ist bereits vergeben.")},
    )
    name = models.CharField(_("Name"), max_length=200)
    legal_form = models.CharField(_("Rechtsform"), max_length=30, choices=LegalForm.choices)
    client_since = models.DateField(_("Klient seit"), null=True, blank=True)
    client_until = models.DateField(_("Klient bis"), null=True, blank=True)

    street = models.CharField(_("Straße"), max_length=200, blank=True)
    postcode = models.CharField(_("Postleitzahl"), max_length=10, blank=True)
    city = models.CharField(_("Ort"), max_length=100, blank=True)
    country = models.CharField(_("Land"), max_length=2, choices=Country.choices, default=Country.AT)
    email = models.EmailField(_("E-Mail"), blank=True)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    vat_id = models.CharField(_("UID-Nummer"), max_length=20, blank=True)
    tax_number = models.CharField(_("Steuernummer"), max_length=20, blank=True)
    company_register_number = models.CharField(_("Firmenbuchnummer"), max_length=20, blank=True)
    company_register_court = models.CharField(
        _("Firmenbuchgericht"), max_length=30, choices=CompanyRegisterCourt.choices, blank=True
    )
    zvr_number = models.CharField(_("ZVR-Zahl"), max_length=9, blank=True)
    gln = models.CharField(_("GLN"), max_length=13, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)

    portal_enabled = models.BooleanField(_("Klient am Klientenportal anlegen"), default=False)
    receipt_sync_enabled = models.BooleanField(_("Belegsynchronisation"), default=False)

    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("Klient")
        verbose_name_plural = _("Klienten")
        indexes = [
            # The settings page lists the enabled clients ordered by number.
            models.Index(fields=["portal_enabled", "number"], name="client_portal_number_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(client_until__isnull=True)
                | models.Q(client_since__isnull=True)
                | models.Q(client_until__gte=models.F("client_since")),
                name="client_until_not_before_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.short_name}"

    def get_absolute_url(self) -> str:
        return reverse("clients:edit", kwargs={"pk": self.pk})

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> "Client":
        instance = super().from_db(db, field_names, values)
        # The stored legal form: a change between natural and legal person is refused.
        instance._loaded_legal_form = instance.__dict__.get("legal_form")
        return instance

    def clean(self) -> None:
        """Apply the master-data rules of clients.validators and store the canonical forms."""
        values = {name: getattr(self, name) for name in CHECKED_FIELDS}
        previous = getattr(self, "_loaded_legal_form", None) if self.pk else None
        cleaned = validators.clean_client_values(values, previous_legal_form=previous)
        for name in CHECKED_FIELDS:
            setattr(self, name, cleaned[name])

    def warnings(self) -> list[validators.FieldWarning]:
        return validators.client_warnings({name: getattr(self, name) for name in WARNING_FIELDS})

    def display(self, name: str) -> str:
        """The usual written form of a field ("FN 122119m", "59-119/9013")."""
        return validators.display_value(name, getattr(self, name))

    @property
    def vat_id_display(self) -> str:
        return self.display("vat_id")

    @property
    def tax_number_display(self) -> str:
        return self.display("tax_number")

    def is_serviced_on(self, day: date) -> bool:
        """Betreuungsstatus: serviced unless the client relationship ended before `day`."""
        return self.client_until is None or self.client_until >= day

    @property
    def is_serviced(self) -> bool:
        return self.is_serviced_on(timezone.localdate())


# Fields Client.clean() runs through clients.validators.
CHECKED_FIELDS = (
    *validators.FIELD_CLEANERS,
    *validators.COUNTRY_CLEANERS,
    "country",
    "legal_form",
    "client_since",
    "client_until",
)
WARNING_FIELDS = (
    "legal_form",
    "company_register_number",
    "company_register_court",
    "zvr_number",
    "tax_number",
)


class ClientImport(models.Model):
    """An uploaded CSV file between its preview and the user's decision to import it.

    Kept on the server so the confirmation imports exactly the previewed file; only its
    uploader may see or import it. Rows are removed once imported or after a day.
    """

    token = models.UUIDField(_("Kennung"), default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hochgeladen von"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("hochgeladen am"), auto_now_add=True)
    file_name = models.CharField(_("Dateiname"), max_length=255)
    content = models.BinaryField(_("Inhalt"))

    class Meta:
        verbose_name = _("Klientenimport")
        verbose_name_plural = _("Klientenimporte")

    def __str__(self) -> str:
        return self.file_name
