"""A citizen-relations log (phone and counter), as the request-management software exports it:
Windows-1252, `;`, dd/mm/yyyy dates, decimal commas — with the few broken rows real exports
have (an impossible date, a mistyped status, a commune outside the territory), which the load
sends to quarantine. Loaded through the connectors, as a configured source."""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

from pilotis.connectors import pipeline
from pilotis.connectors.mapping import Mapping
from pilotis.connectors.models import Source
from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.tenants.models import Tenant

MAPPING_FILE = Path(__file__).resolve().parent.parent / "mappings" / "gru_accueil.yaml"
HEADER = [
    "N° de demande",
    "Date de la demande",
    "Canal",
    "Thème",
    "Motif",
    "Objet",
    "Commune",
    "Adresse",
    "Latitude",
    "Longitude",
    "Service traitant",
    "État",
    "Date de clôture",
]
# theme label → (service code in a large commune, in a small one, [(motif, objet)])
TOPICS = {
    "Voirie et déplacements": (
        "DEP-01",
        "MAIRIE-02",
        [
            ("Nid de poule", "Nid de poule dangereux sur la chaussée"),
            ("Trottoir abîmé", "Trottoir soulevé par des racines, risque de chute"),
            ("Signalisation", "Panneau stop arraché au carrefour"),
        ],
    ),
    "Propreté": (
        "DEP-02",
        "MAIRIE-02",
        [
            ("Dépôt sauvage", "Dépôt sauvage de gravats au bout de la rue"),
            ("Tags", "Tags sur le mur de l'école"),
            ("Déjections canines", "Déjections canines sur le trottoir devant la boulangerie"),
        ],
    ),
    "Espaces verts et nature en ville": (
        "DEP-03",
        "MAIRIE-02",
        [
            ("Tonte", "Herbe haute dans le square, tonte demandée"),
            ("Arbre dangereux", "Branche cassée au-dessus de l'aire de jeux"),
        ],
    ),
    "Éclairage public": (
        "DEP-04",
        "MAIRIE-02",
        [
            ("Lampadaire en panne", "Lampadaire éteint depuis une semaine"),
        ],
    ),
    "Tranquillité et bruit": (
        "DRU-02",
        "MAIRIE-01",
        [
            ("Bruit de voisinage", "Musique forte tard le soir dans l'immeuble"),
        ],
    ),
    "Déchets": (
        "DEP-02",
        "MAIRIE-02",
        [
            ("Bac non collecté", "Bac jaune non collecté mardi"),
        ],
    ),
    "État civil et citoyenneté": (
        "DRU-01",
        "MAIRIE-01",
        [
            ("Acte de naissance", "Demande de copie d'acte de naissance"),
        ],
    ),
}
STREETS = [
    "rue de Dinan",
    "boulevard Chateaubriand",
    "avenue Jean Jaurès",
    "rue de la Paix",
    "quai Saint-Louis",
    "place du Marché",
    "rue des Écoles",
    "chemin des Courtils",
]
CENTRES = {"35288": (48.6493, -2.0257), "35049": (48.6761, -1.8514)}
STATUSES = ["Clôturée", "Clôturée", "Clôturée", "Résolue", "En cours", "Nouvelle"]
CHANNELS = ["Téléphone", "Téléphone", "Accueil", "Courrier"]


def _rows(tenant: Tenant, rng: random.Random, count: int) -> list[list[str]]:
    large = (tenant.population or 0) >= 10000
    lat0, lon0 = CENTRES.get(tenant.code, (48.65, -2.0))
    start = datetime(2025, 1, 1, 8, 0)
    rows = []
    for i in range(1, count + 1):
        theme = rng.choice(list(TOPICS))
        service_large, service_small, motifs = TOPICS[theme]
        motif, objet = rng.choice(motifs)
        opened = start + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        status = rng.choice(STATUSES)
        closed = (
            opened + timedelta(hours=rng.randrange(2, 24 * 20))
            if status in ("Clôturée", "Résolue")
            else None
        )
        rows.append(
            [
                f"{tenant.code}-{i:06d}",
                opened.strftime("%d/%m/%Y %H:%M"),
                rng.choice(CHANNELS),
                theme,
                motif,
                objet,
                tenant.name,
                f"{rng.randint(1, 80)} {rng.choice(STREETS)}",
                f"{lat0 + rng.uniform(-0.01, 0.01):.5f}".replace(".", ","),
                f"{lon0 + rng.uniform(-0.015, 0.015):.5f}".replace(".", ","),
                service_large if large else service_small,
                status,
                closed.strftime("%d/%m/%Y %H:%M") if closed else "",
            ]
        )
    # What real exports contain now and then: each goes to quarantine with its reason.
    broken = rng.sample(range(len(rows)), k=max(3, count // 200))
    for n, index in enumerate(broken):
        row = rows[index]
        if n % 3 == 0:
            row[1] = "31/02/2025 10:00"  # an impossible date
        elif n % 3 == 1:
            row[11] = "Cloturée ?"  # a status typed by hand
        else:
            row[6] = "Trifouillis-les-Oies"  # not a French commune
    return rows


@register
class RequestsLogGenerator(DemoGenerator):
    name = "gru-accueil"
    order = 20
    sizes = {"35288": 3000, "35049": 600}

    def write(self, territory: Territory) -> list[Path]:
        rng = territory.rng(self.name)
        paths = []
        for tenant in territory.communes:
            if tenant.code not in self.sizes:
                continue
            path = territory.folder / self.name / f"demandes_{tenant.code}.csv"
            with open(path, "w", encoding="cp1252", newline="") as out:
                writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
                writer.writerow(HEADER)
                writer.writerows(_rows(tenant, rng, self.sizes[tenant.code]))
            paths.append(path)
        return paths

    def load(self, territory: Territory, paths: list[Path]) -> str:
        mapping = MAPPING_FILE.read_text(encoding="utf-8")
        summary = []
        for path in paths:
            tenant = Tenant.objects.get(code=path.stem.removeprefix("demandes_"))
            source, _ = Source.objects.update_or_create(
                tenant=tenant,
                name="gru-accueil",
                defaults={
                    "title": "Logiciel de relation usagers (téléphone, accueil)",
                    "kind": "file",
                    "config": {"path": str(path)},
                    "mapping": mapping,
                },
            )
            Mapping.from_yaml(mapping)
            run = pipeline.run_source(source)
            summary.append(
                f"{tenant.name} {run.rows_loaded} demandes, {run.rows_quarantined} en quarantaine"
            )
        return " ; ".join(summary)
