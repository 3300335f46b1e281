from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.enums import Country, LegalForm
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
            _announce(ids)
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


def _announce(client_ids: list[int]) -> None:
    if client_ids:
        clients_bulk_changed.send(sender=Client, client_ids=client_ids)


class Client(models.Model):
    """A client of the office (Klient) with its master data (Stammdaten)."""

    number = models.PositiveIntegerField(
        _("Klientennummer"),
        unique=True,
        validators=[MinValueValidator(1)],
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

    def clean(self) -> None:
        if self.client_since and self.client_until and self.client_until < self.client_since:
            raise ValidationError(
                {"client_until": _("„Klient bis“ darf nicht vor „Klient seit“ liegen.")}
            )

    def is_serviced_on(self, day: date) -> bool:
        """Betreuungsstatus: serviced unless the client relationship ended before `day`."""
        return self.client_until is None or self.client_until >= day

    @property
    def is_serviced(self) -> bool:
        return self.is_serviced_on(timezone.localdate())
