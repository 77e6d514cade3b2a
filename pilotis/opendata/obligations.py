"""The obligations tracker: for a collectivité of this kind and size, which datasets of the
Socle Commun des Données Locales (SCDL, schema.data.gouv.fr) and which legally required
datasets are expected, which are published, valid against their schema, and fresh.

What the law says, in short (checked against the texts named on each line; the tracker says
"expected" only where a text requires it, "recommended" for the rest of the SCDL):
- open data by default (CRPA art. L312-1-1, loi pour une République numérique, 2016): every
  collectivité of 3,500 inhabitants or more **and** 50 agents or more; Pilotis knows the
  population, not the headcount, and says so;
- subsidies above 23,000 € (décret 2017-779): any collectivité granting them;
- essential data of public contracts (DECP, arrêtés of 22 Dec. 2022): every buyer, contracts of
  40,000 € excl. VAT or more;
- the ten highest salaries (loi 2019-828, art. 37): collectivités above 80,000 inhabitants;
- budget documents online (CGCT art. L2313-1): communes of 3,500 inhabitants or more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilotis.catalog.models import MAX_AGE
from pilotis.opendata.models import Publication, PublicationVersion
from pilotis.tenants.models import Tenant

CATALOG = Path(__file__).resolve().parent / "schemas" / "catalog" / "schemas-scdl.json"
OPEN_BY_DEFAULT_POPULATION = 3_500
DECP = "colinmaudry/decp-table-schema"  # the tabular DECP schema (decp.info)


@dataclass(frozen=True)
class Rule:
    basis: Any
    min_population: int = 0
    mandatory: bool = True


# Obligations beyond "recommended": schema → the text and who it binds.
RULES: dict[str, Rule] = {
    "scdl/subventions": Rule(_("Décret 2017-779: subsidies above 23,000 €")),
    "scdl/budget": Rule(
        _("CGCT art. L2313-1: budget documents online (3,500 inhabitants or more)"), 3_500
    ),
    "scdl/deliberations": Rule(
        _("Ordonnance 2021-1310: acts published electronically; SCDL format recommended"),
        mandatory=False,
    ),
    DECP: Rule(_("Arrêtés of 22 December 2022: public contracts of 40,000 € or more")),
    "etalab/schema-hautes-remunerations": Rule(
        _("Loi 2019-828 art. 37: the ten highest salaries (above 80,000 inhabitants)"), 80_000
    ),
}
EXTRA = [
    {"name": DECP, "title": "Données essentielles de la commande publique (DECP)"},
    {"name": "etalab/schema-hautes-remunerations", "title": "Hautes rémunérations"},
]


@cache
def scdl() -> list[dict[str, Any]]:
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    return [
        {"name": s["name"], "title": s["title"]}
        for s in data["schemas"]
        if "Socle Commun des Données Locales" in s.get("labels", [])
    ]


@dataclass
class Line:
    name: str
    title: str
    expected: bool
    basis: str
    status: str  # "ok", "stale", "failing", "missing"
    publication: Publication | None
    start_url: str
    detail: str


def _status(pub: Publication | None) -> tuple[str, str]:
    if pub is None:
        return "missing", str(_("Not published"))
    current = pub.current()
    last = pub.versions.order_by("-number").first()
    if last is not None and last.status == PublicationVersion.Status.FAILED:
        return "failing", str(_("The last publication failed: %(error)s")) % {
            "error": last.error.split("\n")[0][:200]
        }
    if current is None:
        return "missing", str(_("Never published"))
    max_age = MAX_AGE.get(pub.frequency)
    if max_age is not None and timezone.now() - current.modified > max_age:
        return "stale", str(_("Published, valid, but older than its frequency allows"))
    return "ok", str(_("Published, valid and up to date"))


def _canonical(name: str) -> str:
    from pilotis.errors import PilotisError
    from pilotis.opendata import national

    try:
        return national.get(name).name
    except PilotisError:
        return name


def subject_to_open_data(tenant: Tenant) -> tuple[bool | None, str]:
    """(subject?, why). None when the population alone cannot tell."""
    if tenant.population is None:
        return None, str(_("Population unknown: give it in the administration."))
    if tenant.population < OPEN_BY_DEFAULT_POPULATION:
        return False, str(
            _("Under 3,500 inhabitants: open data by default does not bind it (but it may).")
        )
    return True, str(
        _(
            "3,500 inhabitants or more: open data by default binds it if it also has 50 agents "
            "or more (CRPA art. L312-1-1)."
        )
    )


def track(tenant: Tenant) -> dict[str, Any]:
    subject, why = subject_to_open_data(tenant)
    pubs: dict[str, Publication] = {}
    for pub in Publication.objects.filter(tenant=tenant).exclude(national_schema=""):
        pubs.setdefault(_canonical(pub.national_schema), pub)
    lines: list[Line] = []
    population = tenant.population or 0
    for entry in scdl() + EXTRA:
        rule = RULES.get(entry["name"])
        expected = bool(rule and rule.mandatory and population >= rule.min_population)
        status, detail = _status(pubs.get(entry["name"]))
        start = reverse("opendata_manage:new", args=[tenant.code])
        lines.append(
            Line(
                name=entry["name"],
                title=entry["title"],
                expected=expected,
                basis=str(rule.basis) if rule else str(_("Recommended (SCDL)")),
                status=status,
                publication=pubs.get(entry["name"]),
                start_url=f"{start}?kind=file&schema={entry['name']}",
                detail=detail,
            )
        )
    lines.sort(key=lambda line: (not line.expected, line.status == "ok", line.title))
    due = [line for line in lines if line.expected]
    return {
        "subject": subject,
        "why": why,
        "lines": lines,
        "expected": len(due),
        "expected_ok": sum(1 for line in due if line.status == "ok"),
        "published": sum(1 for line in lines if line.status in ("ok", "stale")),
    }
