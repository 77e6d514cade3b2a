"""The controlled vocabularies a published dataset speaks: the EU data themes, frequencies and
licences of the Publications Office (what DCAT-AP 3 requires), and the High-Value Dataset
categories of Implementing Regulation (EU) 2023/138."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

EU = "http://publications.europa.eu/resource/authority/"
HVD_LEGISLATION = "http://data.europa.eu/eli/reg_impl/2023/138/oj"


class Theme(models.TextChoices):
    """EU data themes (authority table data-theme)."""

    AGRI = "AGRI", _("Agriculture, fisheries, forestry and food")
    ECON = "ECON", _("Economy and finance")
    EDUC = "EDUC", _("Education, culture and sport")
    ENER = "ENER", _("Energy")
    ENVI = "ENVI", _("Environment")
    GOVE = "GOVE", _("Government and public sector")
    HEAL = "HEAL", _("Health")
    INTR = "INTR", _("International issues")
    JUST = "JUST", _("Justice, legal system and public safety")
    REGI = "REGI", _("Regions and cities")
    SOCI = "SOCI", _("Population and society")
    TECH = "TECH", _("Science and technology")
    TRAN = "TRAN", _("Transport")


class HvdCategory(models.TextChoices):
    """High-value dataset categories (EU vocabulary, Implementing Regulation 2023/138)."""

    NONE = "", _("Not a high-value dataset")
    GEOSPATIAL = "c_ac64a52d", _("Geospatial")
    EARTH = "c_dd313021", _("Earth observation and environment")
    METEO = "c_164e0bf5", _("Meteorological")
    STATISTICS = "c_e1da4e07", _("Statistics")
    COMPANIES = "c_a9135398", _("Companies and company ownership")
    MOBILITY = "c_b79e35eb", _("Mobility")


HVD_ROOT = "http://data.europa.eu/bna/"

# Frequencies of the catalog (pilotis.catalog.models.Frequency) → EU frequency authority table.
FREQUENCY_URI = {
    "daily": EU + "frequency/DAILY",
    "weekly": EU + "frequency/WEEKLY",
    "monthly": EU + "frequency/MONTHLY",
    "quarterly": EU + "frequency/QUARTERLY",
    "yearly": EU + "frequency/ANNUAL",
    "irregular": EU + "frequency/IRREG",
}

# Licences of the catalog → their canonical URIs (the ones data.gouv.fr recognises).
LICENCE_URI = {
    "etalab-2.0": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "odbl-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "other": "",
}
LICENCE_TITLE = {
    "etalab-2.0": "Licence Ouverte / Open Licence version 2.0",
    "odbl-1.0": "Open Data Commons Open Database License (ODbL) 1.0",
    "other": "",
}


def theme_uri(code: str) -> str:
    return f"{EU}data-theme/{code}"


def hvd_uri(code: str) -> str:
    return f"{HVD_ROOT}{code}"
