"""The staff of the agglomeration and of its bigger communes, as their payroll software exports it.

Three years of monthly payroll snapshots up to the end of the previous month, for the EPCI and
the member communes of at least `MIN_POPULATION` inhabitants, each with about
`AGENTS_PER_1000` agents per 1,000 inhabitants (the EPCI: `EPCI_AGENTS_PER_1000` per 1,000 of
the whole agglomeration), spread over the tenant's services (the demo organisation chart).

What the data embed, for the page to show:
- categories ~ 11 % A, 20 % B, 69 % C and statuses ~ 76 % tenured, 22 % contract, 2 % others,
  with more C and contract staff in the technical services;
- seasonal contract staff in July and August (beaches, tourism), and a turnover of ~ 11 % a
  year: retirements, ends of contract (summer), transfers, resignations; recruitments in
  January and September;
- ordinary sickness peaking in winter (January–February ~ 1.8 × August), some long sickness,
  work accidents (mostly category C), maternity and paternity leaves; an absence rate ~ 7–9 %;
- training ~ 2 days per agent a year, hardly any in July and August.

The files, as a French HR software writes them (`rh/` in the demo folder, one set per tenant):
`rh_postes_<code>.csv`, `rh_absences_<code>.csv`, `rh_formations_<code>.csv`,
`rh_mouvements_<code>.csv` — Windows-1252, `;`, decimal commas (FTE), dd/mm/yyyy, with the
payroll number (matricule) and the agent's NAME on every line: the load keeps neither (the
matricule becomes a keyed pseudonym, the unmapped name columns are dropped). A few broken
lines (an impossible date, an FTE of 1,5) go to quarantine. Loaded with the mappings of
`pilotis/demo/mappings/hr_*.yaml`.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.demo.generators.requests_common import load_source
from pilotis.metrics.periods import previous_month_end
from pilotis.referential.calendar import public_holidays

if TYPE_CHECKING:
    from pilotis.connectors.models import LoadRun
    from pilotis.tenants.models import Tenant

NAME = "rh"
MONTHS = 36
MIN_POPULATION = 4000
AGENTS_PER_1000 = 21.0
EPCI_AGENTS_PER_1000 = 6.0
MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"

CATEGORY_SHARES = (("A", 0.11), ("B", 0.20), ("C", 0.69))
STATUS_LABELS = {
    "tenured": ("Titulaire", "Stagiaire"),
    "contract": ("Contractuel", "Contractuel permanent"),
    "other": ("Apprenti", "Emploi aidé"),
}
FTE_CHOICES = ((1.0, 0.82), (0.8, 0.09), (0.5, 0.05), (0.9, 0.02), (0.7, 0.02))
MONTHLY_LEAVING = 0.0085  # ~ 10 % a year, plus the seasonal contracts
# Sickness episodes per agent and month, January first (winter flu and gastro peaks).
SICKNESS_RATE = (0.21, 0.2, 0.155, 0.125, 0.11, 0.1, 0.09, 0.08, 0.11, 0.135, 0.155, 0.19)
TRAINING_SEASON = (1.1, 1.2, 1.3, 1.2, 1.1, 1.0, 0.15, 0.05, 0.9, 1.3, 1.4, 0.9)
THEMES = (
    "Hygiène et sécurité",
    "Management",
    "Bureautique et numérique",
    "Accueil des usagers",
    "Préparation aux concours",
    "Habilitation électrique",
    "Comptabilité M57",
    "Premiers secours",
)
ABSENCE_LABELS = {
    "ordinary_sickness": "Maladie ordinaire",
    "long_sickness": "Congé de longue maladie",
    "work_accident": "Accident de service",
    "parenthood": "Congé de maternité",
    "paternity": "Congé de paternité",
    "other": "Autorisation spéciale d'absence",
}
ARRIVAL_LABELS = {"recruitment": "Recrutement", "transfer_in": "Mutation entrante"}
DEPARTURE_LABELS = {
    "retirement": "Départ en retraite",
    "end_of_contract": "Fin de contrat",
    "resignation": "Démission",
    "transfer_out": "Mutation sortante",
    "death": "Décès",
}
LAST_NAMES = (
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel "
    "Lefebvre Leroy Roux David Bertrand Morel Fournier Girard Le Gall Le Goff Hamon Lemoine "
    "Guérin Bréhier Jégou Le Bihan Prigent Rivière"
).split(" ")
FIRST_NAMES = (
    "Marie Nathalie Isabelle Sylvie Catherine Anne Sophie Céline Jean Philippe Michel Alain "
    "Patrick Nicolas Christophe Pierre Stéphane Laurent Frédéric Éric Loïc Gwenaëlle Yann Maël"
).split(" ")
POSITIONS_HEADER = ["Matricule", "Nom", "Prénom", "Mois de paie", "Code service"]
POSITIONS_HEADER += ["Catégorie", "Statut", "Quotité ETP"]
ABSENCES_HEADER = ["Matricule", "Nom", "Date début", "Date fin", "Nb jours ouvrés", "Motif"]
TRAINING_HEADER = ["Matricule", "Nom", "Date de début", "Durée (jours)", "Intitulé"]
MOVEMENTS_HEADER = ["Matricule", "Nom", "Date d'effet", "Sens", "Motif"]
TECHNICAL = ("DEP", "MAIRIE-02")  # services where C and contract staff are more common


@dataclass
class Agent:
    matricule: str
    name: str
    first_name: str
    service: str
    category: str
    status: str
    fte: float
    arrived: int  # month index (0 = first month); negative: before the period
    left: int | None = None  # last month index paid


@dataclass
class Staff:
    """One tenant's simulated staff and the lines of its four exports."""

    code: str
    positions: list[str] = field(default_factory=list)
    absences: list[str] = field(default_factory=list)
    training: list[str] = field(default_factory=list)
    movements: list[str] = field(default_factory=list)
    broken: int = 0


def period(today: date | None = None) -> tuple[date, date]:
    """The first day of the first month and the last day of the last complete month."""
    last = previous_month_end(today or date.today())
    index = last.year * 12 + last.month - 1 - (MONTHS - 1)
    return date(index // 12, index % 12 + 1, 1), last


def month_of(first: date, index: int) -> date:
    n = first.year * 12 + first.month - 1 + index
    return date(n // 12, n % 12 + 1, 1)


def _weighted(rng: random.Random, choices: tuple[tuple[object, float], ...]) -> object:
    return rng.choices([c for c, _w in choices], [w for _c, w in choices])[0]


def working_days(start: date, end: date, holidays: set[date]) -> int:
    days, day = 0, start
    while day <= end:
        if day.weekday() < 5 and day not in holidays:
            days += 1
        day += timedelta(days=1)
    return days


class _Simulation:
    def __init__(self, rng: random.Random, code: str, services: list[str], size: int) -> None:
        self.rng, self.code, self.services = rng, code, services
        self.first, self.last = period()
        self.number = 0
        self.staff = Staff(code)
        self.holidays = set().union(
            *(public_holidays(y) for y in range(self.first.year - 1, self.last.year + 2))
        )
        self.agents = [self._new(-rng.randint(1, 240)) for _ in range(size)]

    def _new(self, arrived: int, seasonal: bool = False) -> Agent:
        rng = self.rng
        self.number += 1
        service = rng.choice(self.services)
        technical = service.startswith(TECHNICAL)
        category = str(_weighted(rng, CATEGORY_SHARES))
        if technical and category != "C" and rng.random() < 0.4:
            category = "C"
        status = "tenured"
        if seasonal or rng.random() < (0.30 if technical else 0.20):
            status = "contract"
        elif rng.random() < 0.025:
            status = "other"
        return Agent(
            matricule=f"{self.code[-3:]}{self.number:05d}",
            name=rng.choice(LAST_NAMES).upper(),
            first_name=rng.choice(FIRST_NAMES),
            service=service,
            category=category,
            status=status,
            fte=1.0 if seasonal else float(_weighted(rng, FTE_CHOICES)),  # type: ignore[arg-type]
            arrived=arrived,
        )

    def run(self) -> Staff:
        for index in range(MONTHS):
            month = month_of(self.first, index)
            self._move(index, month)
            for agent in self.agents:
                if agent.arrived <= index and (agent.left is None or agent.left >= index):
                    self._month(agent, month)
        return self.staff

    def _move(self, index: int, month: date) -> None:
        rng, present = self.rng, [a for a in self.agents if a.left is None]
        seasonal_end = month.month == 9
        for agent in present:
            if agent.arrived >= 0 and seasonal_end and agent.matricule.endswith("S"):
                self._leave(agent, index - 1, month - timedelta(days=1), "end_of_contract")
            elif rng.random() < MONTHLY_LEAVING * (1.6 if month.month in (6, 7, 8) else 1.0):
                reason = str(
                    _weighted(
                        rng,
                        (
                            ("retirement", 0.35),
                            (
                                "end_of_contract" if agent.status != "tenured" else "transfer_out",
                                0.30,
                            ),
                            ("resignation", 0.15),
                            ("transfer_out", 0.19),
                            ("death", 0.01),
                        ),
                    )
                )
                day = month + timedelta(days=rng.randint(0, 27))
                self._leave(agent, index, day, reason)
        gone = len(present) - len([a for a in self.agents if a.left is None])
        hires = gone + (1 if rng.random() < 0.4 else 0)
        if month.month in (1, 9):
            hires += rng.randint(0, 2)
        for _ in range(hires if index else 0):
            agent = self._new(index)
            self.agents.append(agent)
            reason = "recruitment" if rng.random() < 0.75 else "transfer_in"
            when = month + timedelta(days=rng.choice((0, 0, 0, 14)))
            self._movement(agent, when, "Arrivée", ARRIVAL_LABELS[reason])
        if month.month == 7:  # the summer's seasonal staff, two months
            for _ in range(max(2, len(present) // 40)):
                agent = self._new(index, seasonal=True)
                agent.matricule += "S"
                self.agents.append(agent)
                self._movement(agent, month, "Arrivée", ARRIVAL_LABELS["recruitment"])

    def _leave(self, agent: Agent, index: int, day: date, reason: str) -> None:
        agent.left = index
        self._movement(agent, day, "Départ", DEPARTURE_LABELS[reason])

    def _movement(self, agent: Agent, day: date, kind: str, reason: str) -> None:
        cells = [agent.matricule, agent.name, day.strftime("%d/%m/%Y"), kind, reason]
        self.staff.movements.append(";".join(cells))

    def _month(self, agent: Agent, month: date) -> None:
        rng = self.rng
        status = rng.choice(STATUS_LABELS[agent.status])
        fte = f"{agent.fte:.2f}".replace(".", ",")
        payday = month.replace(day=28).strftime("%d/%m/%Y")
        cells = [agent.matricule, agent.name, agent.first_name, payday, agent.service]
        self.staff.positions.append(";".join([*cells, agent.category, status, fte]))
        self._absences(agent, month)
        if rng.random() < 0.085 * TRAINING_SEASON[month.month - 1] * (agent.fte or 1):
            day = month + timedelta(days=rng.randint(0, 26))
            days = rng.choice(("0,5", "1", "1", "2", "2", "3", "5"))
            theme = rng.choice(THEMES)
            self.staff.training.append(
                ";".join([agent.matricule, agent.name, day.strftime("%d/%m/%Y"), days, theme])
            )

    def _absences(self, agent: Agent, month: date) -> None:
        rng = self.rng
        rate = SICKNESS_RATE[month.month - 1] * (1.25 if agent.category == "C" else 0.85)
        if rng.random() < rate:
            self._absence(agent, month, max(1, int(rng.expovariate(1 / 8.5))), "ordinary_sickness")
        if rng.random() < 0.002:
            self._absence(agent, month, rng.randint(60, 300), "long_sickness")
        if rng.random() < (0.0045 if agent.category == "C" else 0.001):
            self._absence(agent, month, rng.randint(3, 45), "work_accident")
        if rng.random() < 0.0016:
            kind = "parenthood" if rng.random() < 0.6 else "paternity"
            self._absence(agent, month, 112 if kind == "parenthood" else 25, kind)
        if rng.random() < 0.01:
            self._absence(agent, month, rng.randint(1, 3), "other")

    def _absence(self, agent: Agent, month: date, length: int, reason: str) -> None:
        start = month + timedelta(days=self.rng.randint(0, 27))
        end = min(start + timedelta(days=length - 1), self.last)
        days = working_days(start, end, self.holidays)
        line = [agent.matricule, agent.name, start.strftime("%d/%m/%Y")]
        line += [end.strftime("%d/%m/%Y"), str(days), ABSENCE_LABELS[reason]]
        self.staff.absences.append(";".join(line))


def _break(staff: Staff, rng: random.Random) -> None:
    """A few broken lines, as real exports have: the load must quarantine them."""
    for n in range(2):
        index = rng.randrange(len(staff.positions))
        cells = staff.positions[index].split(";")
        if n == 0:
            cells[3] = "31/02/" + cells[3][6:]
        else:
            cells[7] = "1,5"
        staff.positions[index] = ";".join(cells)
        staff.broken += 1


def simulate(rng: random.Random, code: str, services: list[str], size: int) -> Staff:
    staff = _Simulation(rng, code, services, size).run()
    _break(staff, rng)
    # Two absences starting the same day for one agent would be one and the same: keep one.
    seen: set[tuple[str, str]] = set()
    kept = []
    for line in staff.absences:
        key = tuple(line.split(";")[0:3:2])
        if key not in seen:
            seen.add(key)  # type: ignore[arg-type]
            kept.append(line)
    staff.absences = kept
    return staff


def _write(path: Path, header: list[str], lines: list[str]) -> None:
    with open(path, "w", encoding="cp1252", newline="") as out:
        out.write(";".join(header) + "\r\n")
        out.write("".join(line + "\r\n" for line in lines))


FILES = (
    (
        "rh_postes",
        POSITIONS_HEADER,
        "positions",
        "hr_positions.yaml",
        "rh-postes",
        "Paie : postes des agents (extraction mensuelle)",
    ),
    (
        "rh_absences",
        ABSENCES_HEADER,
        "absences",
        "hr_absences.yaml",
        "rh-absences",
        "Logiciel RH : absences",
    ),
    (
        "rh_formations",
        TRAINING_HEADER,
        "training",
        "hr_training.yaml",
        "rh-formations",
        "Logiciel RH : formations",
    ),
    (
        "rh_mouvements",
        MOVEMENTS_HEADER,
        "movements",
        "hr_movements.yaml",
        "rh-mouvements",
        "Logiciel RH : arrivées et départs",
    ),
)


def staffed(territory: Territory) -> list[tuple[Tenant, int]]:
    """The tenants with demo staff and their size: the EPCI and its bigger communes."""
    total = sum(t.population or 0 for t in territory.communes)
    out = [(territory.epci, max(20, round(total * EPCI_AGENTS_PER_1000 / 1000)))]
    for tenant in territory.communes:
        if (tenant.population or 0) >= MIN_POPULATION:
            out.append((tenant, round((tenant.population or 0) * AGENTS_PER_1000 / 1000)))
    return out


def services_of(tenant: Tenant) -> list[str]:
    from pilotis.referential.models import OrgUnit

    codes = OrgUnit.objects.filter(tenant=tenant, kind="service").exclude(code="")
    return sorted(codes.values_list("code", flat=True)) or [""]


@register
class HrGenerator(DemoGenerator):
    name = NAME
    order = 40

    def __init__(self) -> None:
        self.seconds = 0.0
        self.runs: list[LoadRun] = []
        self.staff: dict[str, Staff] = {}

    def write(self, territory: Territory) -> list[Path]:
        started = time.monotonic()
        folder = territory.folder / self.name
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for tenant, size in staffed(territory):
            rng = territory.rng(f"{self.name}:{tenant.code}")
            staff = self.staff[tenant.code] = simulate(rng, tenant.code, services_of(tenant), size)
            for prefix, header, attribute, *_rest in FILES:
                path = folder / f"{prefix}_{tenant.code}.csv"
                _write(path, header, getattr(staff, attribute))
                paths.append(path)
        self.seconds = time.monotonic() - started
        return paths

    def load(self, territory: Territory, paths: list[Path]) -> str:
        from pilotis.tenants.models import Tenant

        started = time.monotonic()
        files = {
            prefix: (mapping, source, title) for prefix, _h, _a, mapping, source, title in FILES
        }
        self.runs = []
        for path in paths:
            prefix, code = path.stem.rsplit("_", 1)
            mapping_file, source, title = files[prefix]
            mapping = (MAPPINGS / mapping_file).read_text(encoding="utf-8")
            tenant = Tenant.objects.get(code=code)
            self.runs.append(
                load_source(tenant, source, title, "file", {"path": str(path)}, mapping)
            )
        loaded = sum(r.rows_loaded for r in self.runs)
        quarantined = sum(r.rows_quarantined for r in self.runs)
        agents = sum(len({line.split(";")[0] for line in s.positions}) for s in self.staff.values())
        seconds = time.monotonic() - started
        return (
            f"{len(self.staff)} collectivités, {agents} agents, {loaded} lignes chargées, "
            f"{quarantined} en quarantaine (écriture {self.seconds:.1f} s, "
            f"chargement {seconds:.1f} s)".replace(".", ",")
        )
