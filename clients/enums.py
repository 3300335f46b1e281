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


class CompanyRegisterCourt(models.TextChoices):
    """The courts that keep the Austrian Firmenbuch (Firmenbuchgerichte)."""

    VIENNA = "hg_wien", _("Handelsgericht Wien")
    ST_POELTEN = "lg_st_poelten", _("Landesgericht St. Pölten")
    KORNEUBURG = "lg_korneuburg", _("Landesgericht Korneuburg")
    KREMS = "lg_krems", _("Landesgericht Krems an der Donau")
    WIENER_NEUSTADT = "lg_wiener_neustadt", _("Landesgericht Wiener Neustadt")
    EISENSTADT = "lg_eisenstadt", _("Landesgericht Eisenstadt")
    LINZ = "lg_linz", _("Landesgericht Linz")
    RIED = "lg_ried", _("Landesgericht Ried im Innkreis")
    STEYR = "lg_steyr", _("Landesgericht Steyr")
    WELS = "lg_wels", _("Landesgericht Wels")
    SALZBURG = "lg_salzburg", _("Landesgericht Salzburg")
    GRAZ = "lg_graz", _("Landesgericht für ZRS Graz")
    LEOBEN = "lg_leoben", _("Landesgericht Leoben")
    KLAGENFURT = "lg_klagenfurt", _("Landesgericht Klagenfurt")
    INNSBRUCK = "lg_innsbruck", _("Landesgericht Innsbruck")
    FELDKIRCH = "lg_feldkirch", _("Landesgericht Feldkirch")


# Natural persons; every other legal form is a partnership or a legal person. A client
# cannot move between the two groups: it would be a different taxpayer.
NATURAL_PERSON_FORMS = frozenset({LegalForm.SOLE_TRADER, LegalForm.PRIVATE_PERSON})

# Legal forms that come into being by their entry in the Firmenbuch.
COMPANY_REGISTER_FORMS = frozenset(
    {
        LegalForm.OG,
        LegalForm.KG,
        LegalForm.GMBH_CO_KG,
        LegalForm.GMBH,
        LegalForm.FLEXCO,
        LegalForm.AG,
        LegalForm.SE,
        LegalForm.COOPERATIVE,
        LegalForm.PRIVATE_FOUNDATION,
    }
)
