"""Demo open data: each commune with requests publishes them anonymised (and a monthly count per
category with small cells suppressed), Saint-Malo publishes its car parks (with coordinates, so
a GeoJSON too) and its subsidies — a file exported "the French way" (Windows-1252, `;`,
`12 500,00 €`-style amounts, dd/mm/yyyy dates) published against the national SCDL schema after
the safe fixes."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from django.core.files import File

from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.opendata.models import Publication, PublicationVersion, SourceKind
from pilotis.opendata.publish import publish
from pilotis.tenants.models import Tenant
from pilotis.warehouse import storage

NAME = "donnees-ouvertes"
SAINT_MALO = "35288"

REQUEST_RULES = {
    "description": {"rule": "redact"},
    "status_notes": {"rule": "redact"},
    "address": {"rule": "redact"},
    "requester_name": {"rule": "drop"},
    "requester_email": {"rule": "drop"},
    "requester_phone": {"rule": "drop"},
    "media_url": {"rule": "drop"},
    "lat": {"rule": "coords_grid", "param": 200},
    "long": {"rule": "coords_grid", "param": 200},
    "requested_datetime": {"rule": "date_day"},
    "updated_datetime": {"rule": "date_day"},
    "closed_datetime": {"rule": "date_day"},
    "first_response_datetime": {"rule": "date_day"},
    "expected_datetime": {"rule": "date_day"},
}

BENEFICIARIES = [
    ("Association sportive malouine", "W353001234"),
    ("Comité des fêtes de Paramé", "W353004567"),
    ("Les Amis du Grand Bé", "W353007891"),
    ("Club nautique de la Rance", "W353002468"),
    ("Théâtre de poche Intra-Muros", "W353001357"),
    ("Secours populaire – antenne de Saint-Malo", "W353009753"),
    ("École de musique de Rothéneuf", "W353008642"),
    ("Festival Étonnants Voyageurs", "W353006420"),
]
OBJECTS = [
    "Fonctionnement annuel",
    "Organisation de la fête de quartier",
    "Stage d'été pour les jeunes",
    "Achat de matériel",
    "Saison culturelle",
    "Aide alimentaire d'hiver",
]


def _luhn_complete(digits: str) -> str:
    """`digits` followed by the check digit that makes the number pass Luhn (SIREN, SIRET)."""
    for last in "0123456789":
        number = digits + last
        total = 0
        for i, char in enumerate(reversed(number)):
            value = int(char) * (2 if i % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return number
    raise AssertionError("unreachable")


def _siret(rng: random.Random) -> str:
    return _luhn_complete(f"{rng.randrange(10**12, 10**13):013d}")


def write_subsidies(
    path: Path, rng: random.Random, siren: str = "213502883", year: int = 2026
) -> int:
    """The subsidies a finance software exports: header case drift and French formats that the
    safe fixes of the national-schema check turn into SCDL 2.1.1."""
    town_siret = _luhn_complete(f"{siren}0001")
    rows = []
    for i in range(40):
        name, rna = BENEFICIARIES[i % len(BENEFICIARIES)]
        signed = date(year, 1, 15) + timedelta(days=rng.randrange(0, 300))
        amount = rng.choice([1500, 2500, 4000, 12500, 23000, 47800]) + rng.randrange(0, 100) / 4
        start = signed + timedelta(days=15)
        rows.append(
            [
                "Ville de Saint-Malo",
                town_siret,
                signed.strftime("%d/%m/%Y"),
                f"DEL-{year}-{i + 1:03d}",
                name,
                _siret(rng),
                rna,
                rng.choice(OBJECTS),
                f"{amount:,.2f}".replace(",", " ").replace(".", ","),
                "aide en numéraire",
                rng.choice(["unique", "échelonné"]),
                f"{start.isoformat()}/{(start + timedelta(days=180)).isoformat()}",
                "",
                "non",
                f"{rng.choice([0.1, 0.2, 0.25, 0.5]):.2f}".replace(".", ","),
                "",
            ]
        )
    header = [
        "NomAttribuant", "IdAttribuant", "DateConvention", "ReferenceDecision", "NomBeneficiaire",
        "IdBeneficiaire", "RnaBeneficiaire", "Objet", "Montant", "Nature",
        "ConditionsVersement", "DatesPeriodeVersement", "IdRAE", "NotificationUE",
        "PourcentageSubvention", "DispositifAide",
    ]  # fmt: skip
    with path.open("w", encoding="cp1252", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


def _upsert(tenant: Tenant, slug: str, **fields: object) -> Publication:
    pub, _created = Publication.objects.update_or_create(tenant=tenant, slug=slug, defaults=fields)
    return pub


@register
class OpenDataDemo(DemoGenerator):
    name = NAME
    order = 90  # after every table it publishes has been loaded

    def write(self, territory: Territory) -> list[Path]:
        path = territory.folder / NAME / "subventions_saint-malo_2026.csv"
        malo = next((t for t in territory.tenants() if t.code == SAINT_MALO), None)
        siren = malo.siren if malo is not None and malo.siren else "213502883"
        write_subsidies(path, territory.rng(NAME), siren)
        return [path]

    def load(self, territory: Territory, paths: list[Path]) -> str:
        pubs: list[Publication] = []
        for tenant in territory.tenants():
            if storage.open_table(tenant.code, "requests") is None:
                continue
            pubs.append(
                _upsert(
                    tenant,
                    "demandes-usagers",
                    title=f"Demandes et réclamations des usagers — {tenant.name}",
                    description=(
                        "Chaque demande ou réclamation reçue (téléphone, accueil, formulaire, "
                        "application), sa catégorie, son service et ses dates. Les textes "
                        "libres sont expurgés des données personnelles, les positions ramenées "
                        "sur une grille de 200 m, les dates au jour."
                    ),
                    keywords="demandes, réclamations, GRU, relation usagers",
                    theme="GOVE",
                    frequency="weekly",
                    source_table="requests",
                    rules=REQUEST_RULES,
                )
            )
            pubs.append(
                _upsert(
                    tenant,
                    "demandes-par-mois",
                    title=f"Nombre de demandes par catégorie et par mois — {tenant.name}",
                    description=(
                        "Le nombre de demandes reçues chaque mois par catégorie ; les cases de "
                        "moins de 5 demandes ne sont pas publiées."
                    ),
                    keywords="demandes, statistiques",
                    theme="GOVE",
                    frequency="monthly",
                    source_table="requests",
                    columns=["category", "requested_datetime"],
                    rules={"requested_datetime": {"rule": "date_month"}},
                    aggregate={"group_by": ["category", "requested_datetime"], "k": 5},
                )
            )
        malo = next((t for t in territory.tenants() if t.code == SAINT_MALO), None)
        if malo is not None and storage.open_table(malo.code, "parking_zones") is not None:
            pubs.append(
                _upsert(
                    malo,
                    "zones-stationnement",
                    title="Zones et parkings de stationnement payant — Saint-Malo",
                    description="Les zones de stationnement payant et les parkings, avec leur "
                    "capacité et leur position.",
                    keywords="stationnement, parkings",
                    theme="TRAN",
                    frequency="yearly",
                    hvd_category="c_b79e35eb",
                    source_table="parking_zones",
                    columns=[
                        "zone_code",
                        "name",
                        "commune_insee",
                        "kind",
                        "facility",
                        "capacity",
                        "lat",
                        "long",
                    ],
                )  # fmt: skip
            )
        if malo is not None:
            pub = _upsert(
                malo,
                "subventions",
                title="Subventions attribuées — Saint-Malo",
                description="Les subventions attribuées par la Ville (décret 2017-779), au "
                "format national SCDL.",
                keywords="subventions, associations, SCDL",
                theme="ECON",
                frequency="yearly",
                source_kind=SourceKind.FILE,
                national_schema="scdl/subventions",
                apply_fixes=True,
            )
            with paths[0].open("rb") as handle:
                pub.source_file.save(paths[0].name, File(handle), save=True)
            pubs.append(pub)
        ok = failed = 0
        for pub in pubs:
            version = publish(pub, note="Publication de démonstration")
            if version.status == PublicationVersion.Status.OK:
                ok += 1
            else:
                failed += 1
                territory.say(f"    {pub.slug} ({pub.tenant.code}) : {version.error}")
        return f"{ok} jeux de données publiés" + (f", {failed} en échec" if failed else "")
