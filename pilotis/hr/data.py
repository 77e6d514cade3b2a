"""The HR tables of a scope (a tenant, or an intercommunality and its sharing members) as pandas
frames: monthly positions, absences, training and movements, keyed by pseudonymous agents.

Agents are told apart by tenant and pseudonym (`agent` = "<tenant>:<agent_id>"): the pseudonyms
are keyed per tenant, and two employers' agents are two agents. Positions are reduced to one per
agent and month (the month of `month`, whatever day the payroll export writes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from pilotis.warehouse import storage

TABLES = ("hr_positions", "hr_absences", "hr_training", "hr_movements")
POPULATION = ("service", "category", "status")  # what an agent is, month by month


@dataclass
class Data:
    positions: pd.DataFrame  # tenant, agent, month (Timestamp, 1st), service, category, status, fte
    absences: pd.DataFrame  # agent, start, end (Timestamps), days, reason
    training: pd.DataFrame  # agent, date, days, theme
    movements: pd.DataFrame  # agent, date, kind, reason
    services: dict[str, str] = field(default_factory=dict)  # code → name

    @property
    def empty(self) -> bool:
        return self.positions.empty

    def service_name(self, code: str | None) -> str:
        if code is None or code == "" or pd.isna(code):
            return "—"
        return self.services.get(code, code)


SQL = {
    "hr_positions": (
        "SELECT _tenant AS tenant, _tenant || ':' || agent_id AS agent, "
        "CAST(date_trunc('month', month) AS DATE) AS month, service, category, status, fte "
        "FROM hr_positions QUALIFY row_number() OVER ("
        "PARTITION BY _tenant, agent_id, date_trunc('month', month) ORDER BY month DESC) = 1"
    ),
    "hr_absences": (
        "SELECT _tenant || ':' || agent_id AS agent, start_date AS start, "
        'greatest(end_date, start_date) AS "end", days, reason FROM hr_absences'
    ),
    "hr_training": (
        "SELECT _tenant || ':' || agent_id AS agent, date, days, theme FROM hr_training"
    ),
    "hr_movements": (
        "SELECT _tenant || ':' || agent_id AS agent, date, kind, reason FROM hr_movements"
    ),
}
DATES = {
    "hr_positions": ("month",),
    "hr_absences": ("start", "end"),
    "hr_training": ("date",),
    "hr_movements": ("date",),
}


def load(tenant_codes: tuple[str, ...]) -> Data:
    """The scope's HR tables, read from the warehouse."""
    con = duckdb.connect()
    try:
        frames = {}
        for table in TABLES:
            storage.register(con, table, list(tenant_codes), table)
            frame = con.sql(SQL[table]).df()
            for column in DATES[table]:
                frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
            frames[table] = frame
    finally:
        con.close()
    return Data(
        frames["hr_positions"],
        frames["hr_absences"],
        frames["hr_training"],
        frames["hr_movements"],
        service_names(tenant_codes),
    )


def service_names(tenant_codes: tuple[str, ...]) -> dict[str, str]:
    """The names of the scope's services, from the tenants' organisation charts."""
    from pilotis.referential.models import OrgUnit

    rows = OrgUnit.objects.filter(tenant__code__in=tenant_codes).exclude(code="")
    return dict(rows.values_list("code", "name"))


CACHE_SECONDS = 3600


def cached(tenant_codes: tuple[str, ...]) -> Data:
    """`load`, once per version of the scope's tables (a new load changes the key)."""
    import hashlib

    from django.core.cache import cache

    versions = ",".join(
        f"{code}:{table}:{storage.current_version(code, table)}"
        for code in tenant_codes
        for table in TABLES
    )
    raw = f"{storage.warehouse_root()}|{versions}"
    key = "hr-data:" + hashlib.sha256(raw.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = load(tenant_codes)
        cache.set(key, found, CACHE_SECONDS)
    return found
