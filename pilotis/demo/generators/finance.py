"""Demo finances of the CA du Pays de Saint-Malo Agglomération and its communes, in the real
formats, loaded through the connectors:

- the DGFiP account balances of the last four closed exercises (one CSV per exercise for the
  whole territory, as cut from the national file: M14 until 2023, M57 from 2024), loaded by
  every tenant (its own rows, by SIREN): budget lines and balance-sheet balances;
- Saint-Malo's final accounts of the last closed exercise in the SCDL budget schema (CSV);
- Saint-Malo's budget of the current exercise as the XML sent to the prefecture (TOTEM
  DocumentBudgetaire, ISO-8859-1), with a staff annex and a subsidies annex holding fake
  personal names — which must never reach the warehouse;
- Saint-Malo's monthly execution of the current exercise from its finance software (Windows-1252,
  `;`, decimal commas), with two broken lines that go to quarantine;
- an OFGL-style peers reference (per-inhabitant aggregates by kind and DGCL band), loaded by
  the intercommunality: ILLUSTRATIVE figures in the shape of the OFGL's published data, not
  the OFGL's own.

Amounts scale with each tenant's population; the spending of each M57 function is drawn once,
and the M14 exercises carry it under the M14 function whose label maps onto it, so the
multi-year series by function run on across the change of nomenclature.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

from pilotis.demo.framework import DemoGenerator, Territory, register

if TYPE_CHECKING:
    from pilotis.connectors.models import LoadRun
    from pilotis.tenants.models import Tenant

NAME = "finance"
SAINT_MALO = "35288"
MAPPINGS = Path(__file__).resolve().parents[2] / "finance" / "mappings"
M57_FROM = 2024
BALANCE_HEADER = (
    "EXER;IDENT;NDEPT;LBUDG;INSEE;CBUDG;CTYPE;CSTYP;NOMEN;SIREN;CREGI;CACTI;SECTEUR;FINESS;"
    "CODBUD1;CATEG;BAL;FONCTION;COMPTE;BEDEB;BECRE;OBNETDEB;OBNETCRE;ONBDEB;ONBCRE;OOBDEB;"
    "OOBCRE;SD;SC"
)
EXECUTION_HEADER = (
    "Exercice;Mois;Nomenclature;Section;Sens;Chapitre;Article;Fonction;Libellé;Type d'opération;"
    "Crédits ouverts;Engagé;Mandaté ou titré"
)
# Fake people of the annexes: the test checks none of these names reaches the warehouse.
ANNEX_NAMES = ("Hélène Martinot", "Yannick Le Goff", "Soizic Kerbrat", "Gwenaël Tanguy")

# M57 functions of operating spending, with their share; the M14 function carrying each.
FUNCTIONS = (
    ("020", 0.25, "020"),
    ("212", 0.12, "212"),
    ("281", 0.06, "251"),
    ("313", 0.05, "321"),
    ("323", 0.05, "413"),
    ("33", 0.05, "42"),
    ("422", 0.08, "64"),
    ("423", 0.04, "61"),
    ("55", 0.02, "72"),
    ("511", 0.06, "823"),
    ("512", 0.03, "814"),
    ("843", 0.12, "822"),
    ("732", 0.04, "813"),
    ("633", 0.03, "95"),
)
EPCI_FUNCTIONS = (
    ("020", 0.20, "020"),
    ("73", 0.30, "812"),
    ("82", 0.20, "815"),
    ("633", 0.10, "95"),
    ("61", 0.10, "90"),
    ("55", 0.10, "72"),
)
INVEST_FUNCTIONS = (
    ("843", 0.4, "822"),
    ("212", 0.25, "212"),
    ("323", 0.15, "413"),
    ("511", 0.2, "823"),
)
# (account, label, share of real operating expenses) of a commune.
EXPENSES = (
    ("60611", "Eau et assainissement", 0.03),
    ("6068", "Autres matières et fournitures", 0.06),
    ("615221", "Entretien de bâtiments publics", 0.06),
    ("6226", "Honoraires", 0.02),
    ("6283", "Frais de nettoyage des locaux", 0.04),
    ("64111", "Rémunération principale des titulaires", 0.34),
    ("64131", "Rémunérations des non-titulaires", 0.08),
    ("6451", "Cotisations à l'URSSAF", 0.08),
    ("6453", "Cotisations aux caisses de retraite", 0.06),
    ("6574", "Subventions de fonctionnement aux associations", 0.10),
    ("65548", "Autres contributions", 0.05),
    ("66111", "Intérêts réglés à l'échéance", 0.03),
    ("739223", "Fonds de péréquation des ressources communales", 0.02),
    ("673", "Titres annulés sur exercices antérieurs", 0.03),
)
EPCI_EXPENSES = (
    ("611", "Contrats de prestations de services", 0.20),
    ("6068", "Autres matières et fournitures", 0.05),
    ("64111", "Rémunération principale des titulaires", 0.16),
    ("6451", "Cotisations à l'URSSAF", 0.05),
    ("739211", "Attributions de compensation", 0.35),
    ("65541", "Contributions aux organismes de regroupement", 0.10),
    ("6574", "Subventions de fonctionnement aux associations", 0.06),
    ("66111", "Intérêts réglés à l'échéance", 0.03),
)
# (account, label, share of real operating revenue, function).
REVENUES = (
    ("73111", "Impôts directs locaux", 0.50, "01"),
    ("7381", "Taxe additionnelle aux droits de mutation", 0.06, "01"),
    ("741211", "Dotation forfaitaire", 0.18, "01"),
    ("74121", "Dotation de solidarité rurale", 0.04, "01"),
    ("7067", "Redevances des services périscolaires", 0.08, "281"),
    ("70632", "Redevances des services à caractère de loisirs", 0.05, "323"),
    ("752", "Revenus des immeubles", 0.03, "01"),
    ("6419", "Remboursements sur rémunérations du personnel", 0.02, "020"),
    ("7478", "Participations d'autres organismes", 0.04, "422"),
)
EPCI_REVENUES = (
    ("73111", "Impôts directs locaux", 0.45, "01"),
    ("7331", "Taxe d'enlèvement des ordures ménagères", 0.20, "73"),
    ("73112", "Cotisation sur la valeur ajoutée des entreprises", 0.15, "01"),
    ("74124", "Dotation d'intercommunalité", 0.12, "01"),
    ("7062", "Redevances des services à caractère culturel", 0.08, "633"),
)
# Investment (account, label, share of equipment spending).
EQUIPMENT = (
    ("2031", "Frais d'études", 0.06),
    ("2041582", "Subventions d'équipement aux organismes publics", 0.08),
    ("21312", "Bâtiments scolaires", 0.20),
    ("2151", "Réseaux de voirie", 0.26),
    ("2184", "Mobilier", 0.04),
    ("2313", "Constructions en cours", 0.36),
)


@dataclass(frozen=True)
class Profile:
    """What one tenant spends, per inhabitant, in the first exercise generated."""

    operating: float  # real operating expenses
    savings_rate: float
    equipment: float
    debt: float  # outstanding debt at the start
    depreciation: float


def _profile(tenant: Tenant, rng_value: float) -> Profile:
    """The band's typical figures, each tenant off them by its draw (0.92–1.08): a tenant that
    spends more saves less and owes more, so no two members show the same ratios."""
    saving = (rng_value - 1) * 0.6  # ± 5 points of savings rate
    owing = 1 + (1 - rng_value) * 4  # ± 32 % of debt
    if tenant.kind == "epci":
        return Profile(420 * rng_value, 0.16 - saving, 160 * rng_value, 380 * owing, 40)
    population = tenant.population or 1000
    if population >= 20000:
        return Profile(1180 * rng_value, 0.12 - saving, 390 * rng_value, 1020 * owing, 70)
    if population >= 5000:
        return Profile(900 * rng_value, 0.15 - saving, 340 * rng_value, 760 * owing, 60)
    return Profile(700 * rng_value, 0.17 - saving, 320 * rng_value, 560 * owing, 50)


def _money(value: float) -> str:
    return f"{value:.2f}"


def _french(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _functions(tenant: Tenant) -> tuple[tuple[str, float, str], ...]:
    return EPCI_FUNCTIONS if tenant.kind == "epci" else FUNCTIONS


@dataclass
class Lines:
    """One exercise of one tenant: real flows by (section, direction, account, M57 function)."""

    flows: dict[tuple[str, str, str, str], float]
    order: dict[tuple[str, str, str, str], float]
    debt_open: float
    repaid: float
    borrowed: float


def exercise(tenant: Tenant, year: int, first: int, profile: Profile, population: int) -> Lines:
    growth = 1.03 ** (year - first)
    operating = profile.operating * population * growth
    revenue = operating / (1 - profile.savings_rate)
    expenses = EPCI_EXPENSES if tenant.kind == "epci" else EXPENSES
    revenues = EPCI_REVENUES if tenant.kind == "epci" else REVENUES
    flows: dict[tuple[str, str, str, str], float] = {}
    for account, _label, share in expenses:
        for m57, weight, _m14 in _functions(tenant):
            flows[("F", "D", account, m57)] = operating * share * weight
    for account, _label, share, m57 in revenues:
        flows[("F", "R", account, m57)] = revenue * share
    equipment = profile.equipment * population * (0.8 + 0.1 * (year - first))
    for account, _label, share in EQUIPMENT:
        for m57, weight, _m14 in INVEST_FUNCTIONS:
            flows[("I", "D", account, m57)] = equipment * share * weight
    debt_open = profile.debt * population * (0.97 ** (year - first))
    repaid = debt_open / 14
    borrowed = repaid * 0.9
    flows[("I", "D", "1641", "01")] = repaid
    flows[("I", "R", "1641", "01")] = borrowed
    flows[("I", "R", "10222", "01")] = equipment * 0.16
    flows[("I", "R", "1323", "01")] = equipment * 0.22
    depreciation = profile.depreciation * population * growth
    order = {("F", "D", "6811", "01"): depreciation, ("I", "R", "28031", "01"): depreciation}
    return Lines(flows, order, debt_open, repaid, borrowed)


def _source_function(m57: str, year: int, tenant: Tenant) -> str:
    if year >= M57_FROM or m57 == "01":
        return m57
    for code, _w, m14 in (*_functions(tenant), *INVEST_FUNCTIONS):
        if code == m57:
            return m14
    return m57


def balance_rows(tenant: Tenant, year: int, lines: Lines) -> list[str]:
    """The tenant's rows of the DGFiP balance of `year` (presentation by nature and function)."""
    nomen = "M57" if year >= M57_FROM else "M14"
    siren = tenant.siren or tenant.code
    insee = tenant.code[2:] if tenant.kind == "commune" else ""
    categ = "Commune" if tenant.kind == "commune" else "GFP"
    ident = f"{siren}00011"
    prefix = (
        f"{year};{ident};035;{tenant.name.upper()};{insee};1;101;;{nomen};{siren};053;;;;;"
        f"{categ};DEF"
    )
    out = []

    def row(
        function: str,
        account: str,
        bedeb: float,
        becre: float,
        obdeb: float,
        obcre: float,
        oodeb: float,
        oocre: float,
    ) -> None:
        net = bedeb - becre + obdeb - obcre
        sd, sc = (net, 0.0) if net >= 0 else (0.0, -net)
        values = [bedeb, becre, obdeb, obcre, 0.0, 0.0, oodeb, oocre, sd, sc]
        out.append(f"{prefix};{function};{account};" + ";".join(_money(v) for v in values))

    for (section, direction, account, m57), amount in sorted(lines.flows.items()):
        if account.startswith("16"):
            continue
        function = _source_function(m57, year, tenant)
        debit, credit = (amount, 0.0) if direction == "D" else (0.0, amount)
        opening = 0.0
        if account.startswith("2") and section == "I":
            opening = amount * 6  # the assets built up in earlier years
        row(function, account, opening, 0.0, debit, credit, 0.0, 0.0)
    for (_section, direction, account, _m57), amount in sorted(lines.order.items()):
        debit, credit = (amount, 0.0) if direction == "D" else (0.0, amount)
        depreciated = amount * 8 if account.startswith("28") else 0.0
        row("", account, 0.0, depreciated, debit, credit, debit, credit)
    row("", "1641", 0.0, lines.debt_open, lines.repaid, lines.borrowed, 0.0, 0.0)
    row("", "1688", 0.0, lines.debt_open * 0.01, 0.0, 0.0, 0.0, 0.0)
    return out


def budget_xml(tenant: Tenant, year: int, lines: Lines) -> str:
    """The tenant's budget (BP) of `year` as a TOTEM DocumentBudgetaire, with its annexes."""

    def v(tag: str, value: str) -> str:
        return f"<{tag} V={quoteattr(value)}/>"

    body = []
    for (_section, direction, account, m57), amount in sorted(lines.flows.items()):
        body.append(
            "<LigneBudget>"
            + v("Nature", account)
            + v("Fonction", m57)
            + v("CodRD", direction)
            + v("MtPrev", _money(amount * 1.04))
            + v("CredOuv", _money(amount * 1.04))
            + v("OpBudg", "0")
            + "</LigneBudget>"
        )
    for (_section, direction, account, _m57), amount in sorted(lines.order.items()):
        body.append(
            "<LigneBudget>"
            + v("Nature", account)
            + v("Fonction", "01")
            + v("CodRD", direction)
            + v("MtPrev", _money(amount))
            + v("OpBudg", "1")
            + "</LigneBudget>"
        )
    transfer = lines.order[("F", "D", "6811", "01")] * 0.5
    body.append(
        "<LigneBudget>"
        + v("Nature", "023")
        + v("CodRD", "D")
        + v("MtPrev", _money(transfer))
        + v("OpBudg", "1")
        + "</LigneBudget>"
    )
    body.append(
        "<LigneBudget>"
        + v("Nature", "021")
        + v("CodRD", "R")
        + v("MtPrev", _money(transfer))
        + v("OpBudg", "1")
        + "</LigneBudget>"
    )
    staff = [
        "<PERSONNEL>"
        + v("CodTypAgent", "I")
        + v("EmploiGradeAgent", f"Directrice générale des services : {ANNEX_NAMES[0]}")
        + v("CodCatAgent", "A")
        + v("TempsComplet", "true")
        + v("IndiceAgent", "830")
        + "</PERSONNEL>",
        "<PERSONNEL>"
        + v("CodTypAgent", "N")
        + v("EmploiGradeAgent", f"Chargé de mission contractuel {ANNEX_NAMES[1]}")
        + v("CodCatAgent", "A")
        + v("TempsComplet", "true")
        + v("IndiceAgent", "612")
        + "</PERSONNEL>",
    ]
    grants = [
        "<CONCOURS>"
        + v("CodNatJurBenefCA", "P3")
        + v("LibOrgaBenef", name)
        + v("MtSubv", "1500.00")
        + "</CONCOURS>"
        for name in ANNEX_NAMES[2:]
    ] + [
        "<CONCOURS>"
        + v("CodNatJurBenefCA", "P1")
        + v("LibOrgaBenef", "Cercle celtique de Saint-Malo")
        + v("MtSubv", "8000.00")
        + "</CONCOURS>"
    ]
    siren = tenant.siren or tenant.code
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<DocumentBudgetaire xmlns="http://www.minefi.gouv.fr/cp/demat/docbudgetaire" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        + v("VersionSchema", "101")
        + "<EnTeteDocBudgetaire>"
        + v("DteStr", f"{year}-01-15")
        + v("LibelleColl", tenant.name.upper())
        + v("IdColl", f"{siren}00011")
        + v("NatCEPL", "Communes")
        + "</EnTeteDocBudgetaire>"
        + "<Budget><EnTeteBudget>"
        + v("LibelleEtab", "BUDGET PRINCIPAL")
        + v("IdEtab", f"{siren}00011")
        + v("Nomenclature", "M57-M57")
        + "</EnTeteBudget>"
        + "<BlocBudget>"
        + v("NatDec", "01")
        + v("Exer", str(year))
        + v("NatVote", "FcIc")
        + v("CodTypBud", "P")
        + "</BlocBudget>"
        + "".join(body)
        + "<Annexes><DATA_PERSONNEL>"
        + "".join(staff)
        + "</DATA_PERSONNEL>"
        + "<DATA_CONCOURS>"
        + "".join(grants)
        + "</DATA_CONCOURS></Annexes>"
        + "</Budget></DocumentBudgetaire>\n"
    )


def execution_rows(tenant: Tenant, year: int, months: int, lines: Lines) -> list[str]:
    """Monthly execution of `year` up to month `months`: operating spread evenly (staff
    exactly), investment back-loaded; the credits are the BP's, raised by a DM in June."""
    from pilotis.finance import nomenclature as nom

    out = []
    for month in range(1, months + 1):
        for (section, direction, account, m57), amount in sorted(lines.flows.items()):
            chapter = nom.chapter_of(account, section, direction, True)
            share = 1 / 12 if section == "F" else month / 78
            credits = amount * (1.04 if month < 6 else 1.06)
            executed = amount * share
            committed = executed * (1.0 if section == "F" else 1.6)
            out.append(
                f"{year};{month};M57;{'Fonctionnement' if section == 'F' else 'Investissement'};"
                f"{'Dépense' if direction == 'D' else 'Recette'};{chapter};{account};{m57};"
                f"Ligne {account};Réelle;{_french(credits)};{_french(committed)};"
                f"{_french(executed)}"
            )
    # Two broken lines, as exports sometimes have: they are quarantined with their reasons.
    out.append(
        f"{year};13;M57;Fonctionnement;Dépense;011;6068;020;Mois impossible;Réelle;10,00;1,00;1,00"
    )
    out.append(
        f"{year};1;M57;Fonctionnement;Dépense;011;6068;020;Montant illisible;Réelle;10,00;1,00;"
        "douze"
    )
    return out


SCDL_HEADER = (
    "BGT_NATDEC;BGT_ANNEE;BGT_SIRET;BGT_NOM;BGT_CONTNAT;BGT_CONTNAT_LABEL;BGT_NATURE;"
    "BGT_NATURE_LABEL;BGT_FONCTION;BGT_FONCTION_LABEL;BGT_OPERATION;BGT_SECTION;BGT_OPBUDG;"
    "BGT_CODRD;BGT_MTREAL;BGT_MTBUDGPREC;BGT_MTRARPREC;BGT_MTPROPNOUV;BGT_MTPREV;BGT_CREDOUV;"
    "BGT_MTRAR3112;BGT_ARTSPE"
)


def scdl_rows(tenant: Tenant, year: int, lines: Lines) -> list[str]:
    """The tenant's final accounts (compte administratif) of `year` in the SCDL budget schema:
    the same amounts as its balance, with the credits opened and the carried commitments."""
    from pilotis.finance import nomenclature as nom

    siret = f"{tenant.siren or tenant.code}00011"
    out = []
    for (section, direction, account, m57), amount in sorted(lines.flows.items()):
        chapter = nom.chapter_of(account, section, direction, True)
        carried = amount * 0.08 if section == "I" else 0.0
        out.append(
            f"compte administratif;{year};{siret};{tenant.name};{chapter};"
            f"{nom.CHAPTER_LABELS.get(chapter, chapter)};{account};Article {account};{m57};;;"
            f"{'fonctionnement' if section == 'F' else 'investissement'};réel;"
            f"{'dépense' if direction == 'D' else 'recette'};{_money(amount)};;;;;"
            f"{_money(amount * (1.03 if section == 'F' else 1.35))};{_money(carried)};"
            "non spécialisé"
        )
    return out


PEER_BASE = {  # € per inhabitant, 20,000–49,999 communes; other bands scale by PEER_SCALE
    "Dépenses réelles de fonctionnement": 1210.0,
    "Recettes réelles de fonctionnement": 1400.0,
    "Frais de personnel": 690.0,
    "Épargne brute": 190.0,
    "Dépenses d'équipement": 370.0,
    "Encours de dette": 1010.0,
    "Remboursements d'emprunts": 105.0,
}
PEER_SCALE = {
    ("Commune", "0-499"): 0.62,
    ("Commune", "500-1999"): 0.58,
    ("Commune", "2000-3499"): 0.62,
    ("Commune", "3500-4999"): 0.68,
    ("Commune", "5000-9999"): 0.76,
    ("Commune", "10000-19999"): 0.88,
    ("Commune", "20000-49999"): 1.0,
    ("Commune", "50000-99999"): 1.12,
    ("Commune", "100000+"): 1.2,
    ("CA", "30000-49999"): 0.33,
    ("CA", "50000-99999"): 0.36,
    ("CA", "100000-299999"): 0.40,
    ("CC", "15000-29999"): 0.30,
}


def peer_rows(years: list[int]) -> list[str]:
    out = []
    for year in years:
        growth = 1.025 ** (year - years[0])
        for (kind, band), scale in PEER_SCALE.items():
            for aggregate, value in PEER_BASE.items():
                count = 40 if kind == "Commune" else 25
                out.append(
                    f"{year};{kind};{band};{aggregate};{_french(value * scale * growth)};{count};"
                    "Agrégats illustratifs (forme des données OFGL), démonstration Pilotis"
                )
    return out


def _write(path: Path, header: str, rows: list[str], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as out:
        out.write(header + "\r\n")
        out.write("".join(r + "\r\n" for r in rows))


def _load(
    tenant: Tenant, name: str, title: str, kind: str, config: dict[str, object], mapping: str
) -> LoadRun:
    from pilotis.connectors import pipeline
    from pilotis.connectors.models import Source

    source, _created = Source.objects.update_or_create(
        tenant=tenant,
        name=name,
        defaults={
            "title": title,
            "kind": kind,
            "config": config,
            "mapping": (MAPPINGS / mapping).read_text(encoding="utf-8"),
            "state": {},
        },
    )
    return pipeline.run_source(source)


@register
class FinanceGenerator(DemoGenerator):
    name = NAME
    order = 35

    def __init__(self, today: date | None = None) -> None:
        self.today = today or date.today()
        self.seconds = 0.0
        self.runs: list[LoadRun] = []

    def years(self) -> list[int]:
        return [self.today.year - 4 + i for i in range(4)]

    def write(self, territory: Territory) -> list[Path]:
        started = time.monotonic()
        rng = territory.rng(self.name)
        folder = territory.folder / self.name
        folder.mkdir(parents=True, exist_ok=True)
        years = self.years()
        current = self.today.year
        tenants = list(territory.tenants())
        profiles = {t.code: _profile(t, rng.uniform(0.92, 1.08)) for t in tenants}
        by_year: dict[int, list[str]] = {y: [] for y in years}
        for tenant in tenants:
            population = tenant.population or 1000
            for year in years:
                lines = exercise(tenant, year, years[0], profiles[tenant.code], population)
                by_year[year] += balance_rows(tenant, year, lines)
        paths = []
        for year in years:
            path = folder / f"balances-comptables-{year}.csv"
            _write(path, BALANCE_HEADER, by_year[year], "utf-8-sig")
            paths.append(path)
        malo = next(t for t in tenants if t.code == SAINT_MALO)
        lines = exercise(malo, current, years[0], profiles[malo.code], malo.population or 46000)
        xml = folder / f"BP{current}-saint-malo.xml"
        xml.write_bytes(budget_xml(malo, current, lines).encode("iso-8859-1"))
        closed = years[-1]
        accounts = folder / f"CA{closed}-saint-malo-scdl.csv"
        final = exercise(malo, closed, years[0], profiles[malo.code], malo.population or 46000)
        _write(accounts, SCDL_HEADER, scdl_rows(malo, closed, final), "utf-8")
        months = self.today.month - 1
        execution = folder / f"execution-mensuelle-{current}.csv"
        _write(execution, EXECUTION_HEADER, execution_rows(malo, current, months, lines), "cp1252")
        peers = folder / "agregats-ofgl-illustratifs.csv"
        _write(
            peers,
            "Exercice;Nature;Strate;Agrégat;Euros par habitant;Nombre de collectivités;Source",
            peer_rows(years),
            "utf-8-sig",
        )
        self.seconds = time.monotonic() - started
        return [*paths, accounts, xml, execution, peers]

    def load(self, territory: Territory, paths: list[Path]) -> str:
        started = time.monotonic()
        balances, (accounts, xml, execution, peers) = paths[:-4], paths[-4:]
        runs = []
        for tenant in territory.tenants():
            config: dict[str, object] = {
                "paths": [str(p) for p in balances],
                "siren": tenant.siren or tenant.code,
            }
            title = "Balances comptables DGFiP"
            runs.append(
                _load(
                    tenant, "dgfip-balances", title, "dgfip_balance", config, "budget_reader.yaml"
                )
            )
        malo = next(t for t in territory.communes if t.code == SAINT_MALO)
        runs.append(
            _load(
                malo,
                "compte-administratif",
                "Compte administratif (SCDL budget)",
                "scdl_budget",
                {"path": str(accounts), "nomenclature": "M57"},
                "budget_reader.yaml",
            )
        )
        runs.append(
            _load(
                malo,
                "budget-xml",
                "Budget primitif (flux XML TOTEM)",
                "budget_xml",
                {"path": str(xml)},
                "budget_reader.yaml",
            )
        )
        runs.append(
            _load(
                malo,
                "execution-mensuelle",
                "Exécution mensuelle (logiciel financier)",
                "file",
                {"path": str(execution)},
                "execution_mensuelle.yaml",
            )
        )
        runs.append(
            _load(
                territory.epci,
                "ofgl-strates",
                "Agrégats des collectivités comparables (illustratifs)",
                "file",
                {"path": str(peers)},
                "ofgl_peers.yaml",
            )
        )
        self.runs = runs
        read = sum(r.rows_read for r in runs)
        loaded = sum(r.rows_loaded for r in runs)
        quarantined = sum(r.rows_quarantined for r in runs)
        seconds = time.monotonic() - started
        return (
            f"{len(runs)} chargements, {read} lignes lues, {loaded} chargées, {quarantined} en "
            f"quarantaine (écriture {self.seconds:.1f} s, chargement {seconds:.1f} s)"
        ).replace(".", ",")
