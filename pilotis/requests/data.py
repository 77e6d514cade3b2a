# ruff: noqa: S608 - SQL is built from identifiers and literals quoted by ident() and lit()
"""The requests a page looks at, as one SQL relation named `requests` — what every indicator reads.

Indicators are written in the portable subset of SQL that DuckDB and PostgreSQL share
(`percentile_cont … WITHIN GROUP`, `FILTER (WHERE …)`, window functions, `date_trunc`,
`extract(epoch FROM …)`), and run through a `Database`: DuckDB over the Delta tables by default,
PostgreSQL in the benchmark (and for an operator who keeps the warehouse there). Both sessions
work in the Europe/Paris time zone, so days, weeks and months are French ones.

`Scope` says whose requests (a tenant, or an EPCI with its members) and which ones (communes,
services, categories, channels); `Period` says when. The period is passed to each indicator, not
applied to the view, because trends and backlogs look outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Protocol

import duckdb

from pilotis.warehouse import storage
from pilotis.warehouse.storage import ident, lit

VIEW = "requests"
TIMEZONE = "Europe/Paris"
# Data traps: rows carrying one of these flags are counted in volumes but kept out of delays.
DELAY_EXCLUDING_FLAGS = ("closed_before_requested", "closed_instantly")
DIMENSIONS = ("category", "service", "channel", "commune_insee", "status")


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends after it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_before(self) -> Period:
        """The same days one year earlier (29 February falls back to the 28th)."""
        return Period(_year_back(self.start), _year_back(self.end))

    def sql(self, column: str = "requested_datetime") -> str:
        """`column` falls within the period (local days)."""
        end = self.end + timedelta(days=1)
        return (
            f"{ident(column)} >= CAST({lit(self.start)} AS TIMESTAMP WITH TIME ZONE) "
            f"AND {ident(column)} < CAST({lit(end)} AS TIMESTAMP WITH TIME ZONE)"
        )


def _year_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Scope:
    """Whose requests and which ones. Empty tuples mean "all"."""

    tenant_codes: tuple[str, ...]
    communes: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def predicate(self) -> str:
        parts = ["TRUE"]
        for column, values in (
            ("commune_insee", self.communes),
            ("service", self.services),
            ("category", self.categories),
            ("channel", self.channels),
        ):
            if values:
                parts.append(f"{ident(column)} IN ({', '.join(lit(v) for v in values)})")
        return " AND ".join(parts)

    def narrowed(self, **filters: Sequence[str]) -> Scope:
        return replace(self, **{k: tuple(v) for k, v in filters.items()})


class Database(Protocol):
    """Where indicators run: `rows` executes one query and returns its rows as tuples."""

    dialect: str  # "duckdb" or "postgres"

    def rows(self, sql: str) -> list[tuple[Any, ...]]: ...


@dataclass
class DuckDB:
    """DuckDB in this process, with the view `requests` over the tenants' Delta tables."""

    con: duckdb.DuckDBPyConnection
    dialect: str = field(default="duckdb", init=False)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.sql(sql).fetchall()


def connect(scope: Scope, version: int | None = None) -> DuckDB:
    """A DuckDB session whose view `requests` holds the requests in `scope`."""
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{TIMEZONE}'")
    storage.register(con, "_requests_all", list(scope.tenant_codes), "requests", version)
    con.execute(f"CREATE VIEW {VIEW} AS SELECT * FROM _requests_all WHERE {scope.predicate()}")
    return DuckDB(con)


def delays_sql() -> str:
    """The row may be used for delays: no data-trap flag."""
    checks = " AND ".join(
        f"position({lit(flag)} IN coalesce(data_flags, '')) = 0" for flag in DELAY_EXCLUDING_FLAGS
    )
    return f"({checks})"
