"""Demo organisation charts and theme taxonomies, as an HR program's CSV export.

Files are Windows-1252, `;`-separated, with a header in French — as French software exports them.
"""

import csv
from pathlib import Path

from django.db import transaction

from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.referential.models import OrgUnit, Theme
from pilotis.tenants.models import Tenant

DIRECTIONS = {
    "DG": ("Direction générale des services", ["Secrétariat général", "Communication"]),
    "DRU": ("Direction de la relation usagers", ["Accueil et état civil", "Centre de contact"]),
    "DEP": (
        "Direction de l'espace public",
        ["Voirie", "Propreté urbaine", "Espaces verts", "Éclairage public"],
    ),
    "DF": ("Direction des finances", ["Budget", "Comptabilité"]),
    "DRH": ("Direction des ressources humaines", ["Carrières et paie", "Formation"]),
    "DSI": ("Direction du numérique", ["Infrastructures", "Projets numériques"]),
}
SMALL_COMMUNE = {"MAIRIE": ("Mairie", ["Secrétariat de mairie", "Services techniques"])}
THEMES = [
    ("VOIRIE", "Voirie et déplacements"),
    ("PROPRETE", "Propreté"),
    ("ESPACES-VERTS", "Espaces verts et nature en ville"),
    ("ECLAIRAGE", "Éclairage public"),
    ("BRUIT", "Tranquillité et bruit"),
    ("STATIONNEMENT", "Stationnement"),
    ("DECHETS", "Déchets"),
    ("ETAT-CIVIL", "État civil et citoyenneté"),
    ("FINANCES", "Finances"),
    ("RH", "Ressources humaines"),
]
HEADER = ["Code", "Libellé", "Type", "Code parent"]


def _chart_rows(tenant: Tenant) -> list[list[str]]:
    chart = (
        DIRECTIONS if (tenant.population or 0) >= 10000 or tenant.kind == "epci" else SMALL_COMMUNE
    )
    rows = []
    for code, (label, services) in chart.items():
        rows.append([code, label, "Direction", ""])
        rows.extend(
            [f"{code}-{i:02d}", service, "Service", code] for i, service in enumerate(services, 1)
        )
    return rows


@register
class OrgChartGenerator(DemoGenerator):
    name = "organigramme"
    order = 10

    def write(self, territory: Territory) -> list[Path]:
        paths = []
        for tenant in territory.tenants():
            path = territory.folder / self.name / f"organigramme_{tenant.code}.csv"
            with path.open("w", encoding="cp1252", newline="") as out:
                writer = csv.writer(out, delimiter=";")
                writer.writerow(HEADER)
                writer.writerows(_chart_rows(tenant))
            paths.append(path)
        themes = territory.folder / self.name / "thematiques.csv"
        with themes.open("w", encoding="cp1252", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(["Code", "Libellé"])
            writer.writerows(THEMES)
        return [*paths, themes]

    def load(self, territory: Territory, paths: list[Path]) -> str:
        units = 0
        *charts, themes_path = paths
        with themes_path.open(encoding="cp1252", newline="") as f:
            themes = list(csv.DictReader(f, delimiter=";"))
        for path in charts:
            tenant = Tenant.objects.get(code=path.stem.removeprefix("organigramme_"))
            with path.open(encoding="cp1252", newline="") as f:
                units += _load_chart(tenant, list(csv.DictReader(f, delimiter=";")), themes)
        return (
            f"{units} directions et services dans {len(charts)} collectivités, "
            f"{len(themes)} thématiques chacune"
        )


@transaction.atomic
def _load_chart(tenant: Tenant, rows: list[dict[str, str]], themes: list[dict[str, str]]) -> int:
    by_code: dict[str, OrgUnit] = {}
    for row in rows:
        unit, _ = OrgUnit.objects.update_or_create(
            tenant=tenant,
            code=row["Code"],
            defaults={
                "name": row["Libellé"],
                "kind": "direction" if row["Type"] == "Direction" else "service",
                "parent": by_code.get(row["Code parent"]),
            },
        )
        by_code[unit.code] = unit
    for theme in themes:
        Theme.objects.update_or_create(
            tenant=tenant, code=theme["Code"], defaults={"label": theme["Libellé"]}
        )
    return len(rows)
