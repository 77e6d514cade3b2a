# ruff: noqa: S608 - SQL is built from identifiers and literals quoted by ident() and lit()
"""The finance data of a scope as pandas frames: budget lines, closing balances, the peers'
reference aggregates and the population the ratios divide by.

Budget lines get `heading` (the M57 function heading, "0" to "8", of `function_m57`, or, for an
M14 line a reader did not normalise, of the label correspondence) and `tenant`.
S lines (balance-sheet balances) are kept apart as `balances` (`article`, `closing_balance`).
The peers' reference is public (OFGL-style aggregates): a member commune reads the one its
intercommunality loaded as well as its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from pilotis.finance import nomenclature as nom
from pilotis.warehouse import storage

TABLES = ("budget_lines", "finance_peers")
LINE_COLUMNS = [
    "exercise",
    "month",
    "stage",
    "budget",
    "nomenclature",
    "section",
    "direction",
    "chapter",
    "article",
    "function",
    "function_m57",
    "is_real",
    "budgeted",
    "committed",
    "executed",
    "closing_balance",
]


@dataclass
class Data:
    """Everything the finance page and indicators read, for one scope."""

    codes: tuple[str, ...]
    lines: pd.DataFrame  # the flows (D and R lines)
    balances: pd.DataFrame  # the S lines: balance-sheet accounts at 31 December
    peers: pd.DataFrame
    population: int | None
    populations: dict[str, int | None] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.lines.empty and self.balances.empty


def _read(
    con: duckdb.DuckDBPyConnection, codes: list[str], table: str, columns: str
) -> pd.DataFrame:
    storage.register(con, "t", codes, table)
    return con.execute(f"SELECT {columns}, _tenant AS tenant FROM t").df()


def _heading(
    row_function: str | None, function: str | None, nomenclature: str | None
) -> str | None:
    code = (
        row_function if row_function not in (None, "") else nom.m57_function(function, nomenclature)
    )
    return nom.heading(code)


def load(codes: tuple[str, ...] | list[str], with_population: bool = True) -> Data:
    """The scope's finance data (one DuckDB read per table)."""
    codes = tuple(codes)
    con = duckdb.connect()
    try:
        lines = _read(
            con, list(codes), "budget_lines", ", ".join(storage.ident(c) for c in LINE_COLUMNS)
        )
        peers = _read(
            con,
            list(codes) + parent_codes(codes),
            "finance_peers",
            "year, kind, band, aggregate, euros_per_inhabitant, authorities, source",
        ).drop_duplicates(subset=["year", "kind", "band", "aggregate"])
    finally:
        con.close()
    if len(lines):
        for column in ("budgeted", "committed", "executed", "closing_balance"):
            lines[column] = lines[column].astype(float)
        lines["exercise"] = lines["exercise"].astype(int)
        lines["month"] = lines["month"].astype(int)
        lines["heading"] = [
            _heading(m57, f, n)
            for m57, f, n in zip(
                lines["function_m57"], lines["function"], lines["nomenclature"], strict=True
            )
        ]
    else:
        lines["heading"] = pd.Series(dtype=object)
    lines = lines[lines["budget"] == "principal"] if len(lines) else lines
    # S lines are the balance-sheet accounts' balances (stocks), not flows.
    stocks = lines["direction"] == "S" if len(lines) else pd.Series(dtype=bool)
    balances = lines[stocks] if len(lines) else lines
    lines = lines[~stocks] if len(lines) else lines
    populations = tenant_populations(codes) if with_population else {}
    return Data(codes, lines, balances, peers, scope_population(codes), populations)


def parent_codes(codes: tuple[str, ...]) -> list[str]:
    from pilotis.tenants.models import Tenant

    return list(
        Tenant.objects.filter(code__in=codes, parent__isnull=False)
        .values_list("parent__code", flat=True)
        .distinct()
    )


def _covered(code: str) -> tuple[dict[str, int], int]:
    """The communes a tenant covers with their population, and a population not broken down."""
    from pilotis.referential.models import Commune, Epci
    from pilotis.tenants.models import Tenant, TenantKind

    tenant = Tenant.objects.filter(code=code).first()
    if tenant is None:
        return {}, 0
    if tenant.kind == TenantKind.EPCI:
        communes = dict(
            Commune.objects.filter(epci_id=tenant.code, parent__isnull=True).values_list(
                "code_insee", "population"
            )
        )
        if communes and all(p is not None for p in communes.values()):
            return {k: int(v or 0) for k, v in communes.items()}, 0
        epci = Epci.objects.filter(siren=tenant.code).first()
        return {}, int(tenant.population or (epci.population if epci else 0) or 0)
    if tenant.kind == TenantKind.COMMUNE:
        population = tenant.population
        if population is None:
            commune = Commune.objects.filter(code_insee=tenant.code).first()
            population = commune.population if commune else None
        return ({tenant.code: int(population)} if population else {}), 0
    return {}, int(tenant.population or 0)


def scope_population(codes: tuple[str, ...]) -> int | None:
    """The inhabitants of the territory the tenants cover, each commune counted once (an
    intercommunality and its members cover the same people)."""
    covered: dict[str, int] = {}
    extra = 0
    for code in codes:
        communes, rest = _covered(code)
        covered.update(communes)
        extra += rest
    total = sum(covered.values()) + extra
    return total or None


def tenant_populations(codes: tuple[str, ...]) -> dict[str, int | None]:
    return {code: scope_population((code,)) for code in codes}


def authority_kind(code: str) -> str | None:
    """The kind of authority in the peers' table: commune, ca, cc, cu or metropole."""
    from pilotis.referential.models import Epci
    from pilotis.tenants.models import Tenant, TenantKind

    tenant = Tenant.objects.filter(code=code).first()
    if tenant is None:
        return None
    if tenant.kind == TenantKind.COMMUNE:
        return "commune"
    if tenant.kind == TenantKind.EPCI:
        epci = Epci.objects.filter(siren=code).first()
        kind = (epci.kind if epci else "CA").upper()
        return {"CA": "ca", "CC": "cc", "CU": "cu", "METRO": "metropole", "MET69": "metropole"}.get(
            kind, "ca"
        )
    return None


# DGCL population bands (strates) of communes and of intercommunalities with their own taxation.
COMMUNE_BANDS = (0, 500, 2000, 3500, 5000, 10000, 20000, 50000, 100000)
EPCI_BANDS = (0, 15000, 30000, 50000, 100000, 300000)


def band(kind: str, population: int | None) -> str | None:
    """The DGCL band of a population: "20000-49999", or "100000+" for the last one."""
    if population is None:
        return None
    bounds = COMMUNE_BANDS if kind == "commune" else EPCI_BANDS
    for low, high in zip(bounds, bounds[1:], strict=False):
        if low <= population < high:
            return f"{low}-{high - 1}"
    return f"{bounds[-1]}+"


def latest_day(data: Data) -> date | None:
    """The last day the execution data covers: the end of the last month of monthly execution,
    or 31 December of the last exercise with final accounts or a balance."""
    lines = data.lines
    days: list[date] = []
    if len(lines):
        executed = lines[lines["stage"].isin(["CA", "BAL", "EXEC"])]
        annual = executed[executed["stage"] != "EXEC"]
        if len(annual):
            days.append(date(int(annual["exercise"].max()), 12, 31))
        monthly = executed[executed["stage"] == "EXEC"]
        if len(monthly):
            last = monthly.sort_values(["exercise", "month"]).iloc[-1]
            from pilotis.metrics.periods import month_end

            days.append(month_end(date(int(last["exercise"]), int(last["month"]), 1)))
    if len(data.balances):
        days.append(date(int(data.balances["exercise"].max()), 12, 31))
    return max(days) if days else None
