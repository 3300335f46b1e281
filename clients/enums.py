from django.db import models
from django.utils.translation import gettext_lazy as _


class LegalForm(models.TextChoices):
    """Austrian legal forms (Rechtsformen) as the office records them."""

    SOLE_TRADER = "einzelunternehmen", _("Einzelunternehmen")
    PRIVATE_PERSON = "privatperson", _("Privatperson")
    GESBR = "gesbr", _("Gesellschaft bürgerlichen Rechts (GesbR)")
    OG = "og", _("Offene Gesellschaft (OG)")
    KG = "kg", _("Kommanditgesellschaft (KG)")
    GMBH_CO_KG = "gmbh_co_kg", _("GmbH & Co KG")
    GMBH = "gmbh", _("GmbH")
    FLEXCO = "flexco", _("Flexible Kapitalgesellschaft (FlexCo)")
    AG = "ag", _("Aktiengesellschaft (AG)")
    SE = "se", _("Europäische Gesellschaft (SE)")
    COOPERATIVE = "genossenschaft", _("Genossenschaft")
    PRIVATE_FOUNDATION = "privatstiftung", _("Privatstiftung")
    ASSOCIATION = "verein", _("Verein")


class Country(models.TextChoices):
    """Countries an Austrian office's clients commonly live in (ISO 3166-1 alpha-2)."""

    AT = "AT", _("Österreich")
    DE = "DE", _("Deutschland")
    CH = "CH", _("Schweiz")
    LI = "LI", _("Liechtenstein")
    IT = "IT", _("Italien")
    SI = "SI", _("Slowenien")
    HU = "HU", _("Ungarn")
    SK = "SK", _("Slowakei")
    CZ = "CZ", _("Tschechien")
    OTHER = "XX", _("Anderes Land")
