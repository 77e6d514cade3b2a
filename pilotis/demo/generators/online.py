"""Procedures done online and at the counter in the agglomeration and its bigger communes.

Three years of daily counts up to the end of the previous month, for the EPCI (waste and bulky
items, other procedures) and the member communes of at least `MIN_POPULATION` inhabitants
(civil status, town planning, school enrolment and catering, identity appointments; resident
parking in towns of 10,000 inhabitants or more), each scaled by its population.

What the data embed, for the page to show: an online share rising steadily over the three
years, procedure by procedure (`SHARES`, first and last year), so that town planning and waste
stay mostly at the counter or on the phone; seasons — school enrolment in spring (March–May),
catering registrations in August–September, identity appointments before the summer, resident
parking renewals in December–January; counters closed on Sundays and public holidays.

The files (`demarches/` in the demo folder, one pair per tenant), Windows-1252, `;`, dd/mm/yyyy:
- `teleservices_<code>.csv`: the online-procedures platform's export, one line per day and
  procedure (`Date de dépôt;Démarche;Nombre de demandes`);
- `registre_accueil_<code>.csv`: the counters' log, one line per day, subject and channel
  (`Date;Motif;Canal;Nombre`), with two broken lines (an impossible date, a negative count)
  that the load quarantines.
Loaded with `pilotis/demo/mappings/online_platform.yaml` and `online_counter.yaml`.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.demo.generators.hr import MIN_POPULATION, period
from pilotis.demo.generators.requests_common import load_source
from pilotis.referential.calendar import public_holidays

if TYPE_CHECKING:
    from pilotis.connectors.models import LoadRun

NAME = "demarches"
MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"
# Procedures a year per 1,000 inhabitants; online share the first and the last year.
COMMUNE_PROCEDURES = {
    "civil_status": (60, (0.50, 0.68)),
    "town_planning": (12, (0.22, 0.48)),
    "school_enrolment": (10, (0.45, 0.78)),
    "school_catering": (25, (0.55, 0.82)),
    "identity_appointment": (45, (0.68, 0.88)),
    "resident_parking": (8, (0.60, 0.82)),
}
EPCI_PROCEDURES = {"waste": (30, (0.28, 0.46)), "other": (15, (0.20, 0.32))}
SEASONS = {  # factor per month, January first
    "school_enrolment": (0.5, 0.8, 2.6, 3.0, 2.4, 1.0, 0.5, 0.4, 0.8, 0.4, 0.3, 0.3),
    "school_catering": (0.6, 0.5, 0.6, 0.6, 0.7, 1.0, 1.2, 2.6, 2.4, 0.7, 0.6, 0.5),
    "identity_appointment": (0.8, 0.9, 1.2, 1.4, 1.5, 1.4, 1.0, 0.7, 0.8, 0.8, 0.8, 0.7),
    "resident_parking": (2.6, 1.0, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.6, 0.6, 0.8, 2.6),
    "town_planning": (0.8, 0.9, 1.2, 1.3, 1.2, 1.1, 0.9, 0.6, 1.0, 1.1, 1.0, 0.9),
    "waste": (0.7, 0.7, 1.0, 1.3, 1.3, 1.1, 1.0, 0.9, 1.0, 1.0, 1.0, 1.0),
}
# Of the procedures not done online: the share by mail and by phone (the rest at the counter).
OFFLINE = {"waste": (0.05, 0.55), "identity_appointment": (0.0, 0.55), "town_planning": (0.2, 0.0)}
PLATFORM_LABELS = {
    "civil_status": "Demande d'acte d'état civil",
    "town_planning": "Dépôt de demande d'urbanisme (GNAU)",
    "school_enrolment": "Inscription scolaire",
    "school_catering": "Inscription restauration scolaire et périscolaire",
    "identity_appointment": "Prise de rendez-vous CNI / passeport",
    "resident_parking": "Carte de stationnement résident",
    "waste": "Demande de collecte d'encombrants",
    "other": "Autre démarche",
}
COUNTER_LABELS = {
    "civil_status": "Acte d'état civil",
    "town_planning": "Urbanisme",
    "school_enrolment": "Inscription scolaire",
    "school_catering": "Cantine / périscolaire",
    "identity_appointment": "Carte d'identité / passeport",
    "resident_parking": "Stationnement résidentiel",
    "waste": "Déchets / encombrants",
    "other": "Autre",
}
CHANNEL_LABELS = {"counter": "Guichet", "mail": "Courrier", "phone": "Téléphone"}


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def simulate(
    gen: np.random.Generator,
    population: int,
    procedures: dict[str, tuple[int, tuple[float, float]]],
) -> tuple[list[str], list[str]]:
    """(platform lines, counter lines) for one tenant."""
    first, last = period()
    days = _days(first, last)
    holidays = set().union(*(public_holidays(y) for y in range(first.year, last.year + 1)))
    months = np.array([d.month - 1 for d in days])
    weekday = np.array([d.weekday() for d in days])
    closed = np.array([d.weekday() == 6 or d in holidays for d in days])
    progress = np.linspace(0.0, 1.0, len(days))
    stamps = [d.strftime("%d/%m/%Y") for d in days]
    online_weight = np.where(weekday >= 5, 0.6, 1.1)
    counter_weight = np.where(closed, 0.0, np.where(weekday == 5, 0.5, 1.1))
    platform, counter = [], []
    for code, (per_1000, (share_from, share_to)) in procedures.items():
        if code == "resident_parking" and population < 10_000:
            continue
        season = np.array(SEASONS.get(code, (1.0,) * 12))[months]
        daily = population * per_1000 / 1000 / 365 * season
        share = share_from + (share_to - share_from) * progress
        online = gen.poisson(daily * share * online_weight)
        offline = gen.poisson(daily * (1 - share) * counter_weight)
        mail_share, phone_share = OFFLINE.get(code, (0.08, 0.12))
        mail = gen.binomial(offline, mail_share)
        phone = gen.binomial(offline - mail, phone_share / max(1e-9, 1 - mail_share))
        at_counter = offline - mail - phone
        for n in np.flatnonzero(online):
            platform.append(f"{stamps[n]};{PLATFORM_LABELS[code]};{online[n]}")
        for channel, counts in (("counter", at_counter), ("mail", mail), ("phone", phone)):
            for n in np.flatnonzero(counts):
                line = f"{stamps[n]};{COUNTER_LABELS[code]};{CHANNEL_LABELS[channel]};{counts[n]}"
                counter.append(line)
    counter.sort(key=lambda line: line[6:10] + line[3:5] + line[:2])
    if len(counter) > 10:  # two broken lines, as real logs have
        cells = counter[3].split(";")
        counter[3] = ";".join(["31/04/" + cells[0][6:], *cells[1:]])
        cells = counter[7].split(";")
        counter[7] = ";".join([*cells[:3], "-2"])
    return platform, counter


def _write(path: Path, header: str, lines: list[str]) -> None:
    with open(path, "w", encoding="cp1252", newline="") as out:
        out.write(header + "\r\n" + "".join(line + "\r\n" for line in lines))


@register
class OnlineGenerator(DemoGenerator):
    name = NAME
    order = 45

    def __init__(self) -> None:
        self.runs: list[LoadRun] = []
        self.seconds = 0.0

    def write(self, territory: Territory) -> list[Path]:
        started = time.monotonic()
        folder = territory.folder / self.name
        folder.mkdir(parents=True, exist_ok=True)
        total = sum(t.population or 0 for t in territory.communes)
        tenants = [(territory.epci, total, EPCI_PROCEDURES)] + [
            (t, t.population or 0, COMMUNE_PROCEDURES)
            for t in territory.communes
            if (t.population or 0) >= MIN_POPULATION
        ]
        paths = []
        for tenant, population, procedures in tenants:
            gen = np.random.default_rng([territory.seed, int(tenant.code)])
            platform, counter = simulate(gen, population, procedures)
            online_path = folder / f"teleservices_{tenant.code}.csv"
            counter_path = folder / f"registre_accueil_{tenant.code}.csv"
            _write(online_path, "Date de dépôt;Démarche;Nombre de demandes", platform)
            _write(counter_path, "Date;Motif;Canal;Nombre", counter)
            paths += [online_path, counter_path]
        self.seconds = time.monotonic() - started
        return paths

    def load(self, territory: Territory, paths: list[Path]) -> str:
        from pilotis.tenants.models import Tenant

        started = time.monotonic()
        sources = {
            "teleservices": (
                "online_platform.yaml",
                "demarches-en-ligne",
                "Plateforme de démarches en ligne",
            ),
            "registre_accueil": (
                "online_counter.yaml",
                "registre-accueil",
                "Registre des guichets d'accueil",
            ),
        }
        self.runs = []
        for path in paths:
            prefix, code = path.stem.rsplit("_", 1)
            mapping_file, source, title = sources[prefix]
            mapping = (MAPPINGS / mapping_file).read_text(encoding="utf-8")
            tenant = Tenant.objects.get(code=code)
            self.runs.append(
                load_source(tenant, source, title, "file", {"path": str(path)}, mapping)
            )
        loaded = sum(r.rows_loaded for r in self.runs)
        quarantined = sum(r.rows_quarantined for r in self.runs)
        seconds = time.monotonic() - started
        return (
            f"{len(paths) // 2} collectivités, {loaded} lignes chargées, {quarantined} en "
            f"quarantaine (écriture {self.seconds:.1f} s, chargement {seconds:.1f} s)"
        ).replace(".", ",")
