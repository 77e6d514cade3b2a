"""The main navigation: one entry per capability of Pilotis, with the right it requires.

A capability whose app has not landed yet shows an honest empty state saying what will come;
when its app lands, it sets `url_name` to its own page and the empty state disappears.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pilotis.tenants.roles import Perm


@dataclass(frozen=True)
class Capability:
    slug: str
    label: str | Promise
    perm: Perm
    promise: str | Promise  # what the page will offer, shown while it is not built
    url_name: str = ""  # the app's own page, once it exists


CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        "tableau-de-bord",
        _("Steering dashboard"),
        Perm.VIEW_DASHBOARDS,
        _(
            "The key indicators of every domain — requests, finance, HR, online services — with "
            "their trend, target and a plain-French summary of what changed since last month."
        ),
        url_name="home:index",
    ),
    Capability(
        "finances",
        _("Budget and finances"),
        Perm.VIEW_DASHBOARDS,
        _(
            "Where the money goes, how the budget is executed and how the collectivité compares "
            "with similar ones: M14 and M57 accounts from the DGFiP balances, the budget "
            "documents and the finance software."
        ),
        url_name="finance:index",
    ),
    Capability(
        "tableaux",
        _("Self-service dashboards"),
        Perm.VIEW_DASHBOARDS,
        _(
            "Pages built from the registered indicators — indicator, breakdown, filters, chart — "
            "without writing any query, shared within the collectivité and exported to Excel, "
            "PDF or JSON."
        ),
        url_name="dashboards:index",
    ),
    Capability(
        "alertes",
        _("Alerts"),
        Perm.VIEW_DASHBOARDS,
        _(
            "Thresholds on any indicator, checked after each load and every morning, with an "
            "e-mail and a notification when crossed and when back to normal."
        ),
        url_name="alerts:index",
    ),
    Capability(
        "demandes",
        _("Citizen requests"),
        Perm.VIEW_DASHBOARDS,
        _(
            "How many requests and complaints, how fast they are handled, what citizens are "
            "unhappy "
            "about and when: from the request-management software, forms and Open311 apps."
        ),
        url_name="requests:index",
    ),
    Capability(
        "stationnement",
        _("Paid parking"),
        Perm.VIEW_DASHBOARDS,
        _(
            "Occupancy and revenue by zone and hour, price elasticity, and a what-if simulator to "
            "change tariffs without losing too much revenue."
        ),
        url_name="parking:index",
    ),
    Capability(
        "rh",
        _("Human resources"),
        Perm.VIEW_DASHBOARDS,
        _(
            "Headcount by service, category and status, full-time equivalents, absences by "
            "reason, turnover and training: aggregates only, never an individual agent."
        ),
        url_name="hr:index",
    ),
    Capability(
        "demarches",
        _("Online services"),
        Perm.VIEW_DASHBOARDS,
        _(
            "How many procedures citizens do online rather than at the counter, procedure by "
            "procedure and month by month, and which ones to put online first."
        ),
        url_name="online:index",
    ),
    Capability(
        "projets",
        _("Digital projects"),
        Perm.VIEW_DASHBOARDS,
        _(
            "The portfolio of digital projects with their value analysis, prioritisation under "
            "budget, usage adoption and the digital maturity self-assessment."
        ),
        url_name="portfolio:index",
    ),
    Capability(
        "donnees",
        _("Data sources and catalog"),
        Perm.VIEW_DATA,
        _(
            "Connect the exports of your programs (CSV, Excel, APIs, databases), see what was "
            "rejected and why, and describe each dataset: owner, sensitivity, quality, lineage."
        ),
        url_name="connectors:index",
    ),
    Capability(
        "publication",
        _("Open data"),
        Perm.VIEW_DASHBOARDS,
        _(
            "The datasets this collectivité publishes: anonymised, checked against national "
            "schemas "
            "and harvestable by data.gouv.fr."
        ),
        url_name="opendata_manage:index",
    ),
)


def capability_url(capability: Capability, tenant_code: str) -> str:
    """The page of `capability` in a tenant: the app's own, or the shell's empty state."""
    name = capability.url_name or f"shell:{capability.slug}"
    return reverse(name, kwargs={"tenant_code": tenant_code})
