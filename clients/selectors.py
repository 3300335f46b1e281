"""Read queries for clients."""

import re
from dataclasses import dataclass
from datetime import date

from django.db import models
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.collation import german
from clients.enums import LegalForm
from clients.models import Client
from clients.validators import is_ascii_digits

# Columns the client list can be sorted by (prefix "-" for descending).
SORT_FIELDS = ("number", "short_name", "name", "legal_form", "client_since")


class ServicedFilter(models.TextChoices):
    SERVICED = "betreut", _("betreut")
    NOT_SERVICED = "nicht-betreut", _("nicht betreut")


class SyncFilter(models.TextChoices):
    """Sync state of clients on the portal (portalsync.SyncState.status, or no row yet)."""

    PENDING = "pending", _("ausstehend")
    SYNCED = "synced", _("synchronisiert")
    FAILED = "failed", _("Fehler")
    NEVER = "never", _("noch nicht übertragen")


_SEPARATORS = re.compile(r"[\s.\-/]+")


def search_condition(query: str) -> Q:
    """Number (exact), Kurzbezeichnung and name (contains), UID and Steuernummer (contains).

    UID and Steuernummer are stored compact, so the query is compacted for them:
    "59-119/9013" finds the tax number "591199013", "ATU 135" the UID "ATU13585627".
    """
    condition = Q()
    # SQLite's LIKE ignores case for ASCII only: "MÜLLER" would miss "Müller". Searching the
    # lower- and upper-case spellings too covers what people type.
    for spelling in {query, query.lower(), query.upper()}:
        condition |= Q(short_name__icontains=spelling) | Q(name__icontains=spelling)
    if is_client_number(query):
        condition |= Q(number=int(query))
    compact = _SEPARATORS.sub("", query)
    if len(compact) >= 4:
        condition |= Q(vat_id__icontains=compact)
        if is_client_number(compact):
            condition |= Q(tax_number__contains=compact)
    return condition


def _legal_form_order() -> Case:
    """Rank of the legal form by its label in the active language, for sorting."""
    ranked = sorted(LegalForm.choices, key=lambda choice: str(choice[1]).casefold())
    return Case(
        *[When(legal_form=value, then=Value(rank)) for rank, (value, _label) in enumerate(ranked)],
        default=Value(len(ranked)),
        output_field=models.IntegerField(),
    )


def filter_clients(
    *,
    query: str = "",
    serviced: str | None = None,
    legal_form: str | None = None,
    portal_enabled: bool | None = None,
    sync: str | None = None,
    sort: str = "number",
    today: date | None = None,
) -> QuerySet[Client]:
    """The client list: search, filters and order. None (or "") means "no filter".

    The sync state is joined (select_related), so listing a page costs no query per row.
    """
    clients = Client.objects.select_related("sync_state")
    query = query.strip()
    if query:
        clients = clients.filter(search_condition(query))
    today = today or timezone.localdate()
    if serviced == ServicedFilter.SERVICED:
        clients = clients.filter(Q(client_until__isnull=True) | Q(client_until__gte=today))
    elif serviced == ServicedFilter.NOT_SERVICED:
        clients = clients.filter(client_until__lt=today)
    if legal_form:
        clients = clients.filter(legal_form=legal_form)
    if portal_enabled is not None:
        clients = clients.filter(portal_enabled=portal_enabled)
    if sync == SyncFilter.NEVER:
        # Enabled, but the portal has not received any version yet (waiting or failing).
        clients = clients.filter(
            Q(sync_state__isnull=True) | Q(sync_state__delivered_version=0), portal_enabled=True
        )
    elif sync:
        clients = clients.filter(sync_state__status=sync)
    name = sort.removeprefix("-")
    if name not in SORT_FIELDS:
        name, sort = "number", "number"
    descending = sort.startswith("-")
    if name == "legal_form":
        clients = clients.alias(legal_form_rank=_legal_form_order())
        name = "legal_form_rank"
    # Names sort in German alphabetical order (Ä like A, case ignored), not by bytes.
    column = german(name) if name in ("short_name", "name") else models.F(name)
    order = column.desc(nulls_last=True) if descending else column.asc()
    # The number breaks ties, so paging through equal names is stable.
    return clients.order_by(order, "number")


@dataclass(frozen=True)
class PortalChange:
    """What ticking or unticking the portal flag of the selected clients would do."""

    selected: int
    affected: int
    # The first affected clients by number, so the confirmation can name them.
    examples: list[Client]

    @property
    def unaffected(self) -> int:
        return self.selected - self.affected

    @property
    def more(self) -> int:
        return self.affected - len(self.examples)


def portal_change(*, client_ids: list[int], enabled: bool, examples: int = 10) -> PortalChange:
    selected = Client.objects.filter(pk__in=client_ids)
    affected = selected.exclude(portal_enabled=enabled)
    return PortalChange(
        selected=selected.count(),
        affected=affected.count(),
        examples=list(affected.order_by("number").only("number", "short_name")[:examples]),
    )


def is_client_number(text: str) -> bool:
    """ASCII digits only and short enough for the number column (no "²", no overflow)."""
    return is_ascii_digits(text) and len(text) <= 10


def portal_number_holder(client: Client) -> Client | None:
    """Another client the portal still knows under `client`'s number.

    The portal keeps the number a client was first sent with (number changes are not
    synced), so a number freed in the Board may still be taken on the portal. None when
    `client` is not on the portal or nobody else holds the number there.
    """
    if not client.portal_enabled:
        return None
    return (
        Client.objects.filter(sync_state__portal_number=client.number)
        .exclude(pk=client.pk)
        .only("number", "short_name")
        .first()
    )
