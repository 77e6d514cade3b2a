# ruff: noqa: S608 - SQL is built from identifiers and literals quoted by ident() and lit()
"""The procedures of a scope by day (or month), procedure and channel, as one pandas frame, and
the indicators computed from it: volumes, and the share done online.

online share = procedures done online ÷ procedures done through every channel (online,
counter, mail, phone), over the same period and procedures.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from pilotis.warehouse import storage

TABLE = "online_procedures"
TABLES = (TABLE,)
PROCEDURES = (
    "civil_status",
    "town_planning",
    "school_enrolment",
    "school_catering",
    "resident_parking",
    "identity_appointment",
    "waste",
    "other",
)
CHANNELS = ("online", "counter", "mail", "phone")
CACHE_SECONDS = 3600


@dataclass
class Data:
    counts: pd.DataFrame  # date (Timestamp), month ("YYYY-MM"), procedure, channel, count

    @property
    def empty(self) -> bool:
        return self.counts.empty or int(self.counts["count"].sum()) == 0


def load(tenant_codes: tuple[str, ...]) -> Data:
    con = duckdb.connect()
    try:
        storage.register(con, TABLE, list(tenant_codes), TABLE)
        frame = con.sql(
            f"SELECT date, strftime(date, '%Y-%m') AS month, procedure, channel, "
            f"sum(count)::BIGINT AS count FROM {TABLE} GROUP BY ALL ORDER BY ALL"
        ).df()
    finally:
        con.close()
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    return Data(frame)


def cached(tenant_codes: tuple[str, ...]) -> Data:
    """`load`, once per version of the scope's tables."""
    from django.core.cache import cache

    versions = ",".join(f"{c}:{storage.current_version(c, TABLE)}" for c in tenant_codes)
    raw = f"{storage.warehouse_root()}|{versions}"
    key = "online-data:" + hashlib.sha256(raw.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = load(tenant_codes)
        cache.set(key, found, CACHE_SECONDS)
    return found


def select(
    data: Data, start: date, end: date, filters: dict[str, tuple[str, ...]] | None = None
) -> pd.DataFrame:
    c = data.counts
    rows = c[(c["date"] >= pd.Timestamp(start)) & (c["date"] <= pd.Timestamp(end))]
    for column, values in (filters or {}).items():
        if values:
            rows = rows[rows[column].isin(values)]
    return rows


def volume(rows: pd.DataFrame) -> int:
    return int(rows["count"].sum())


def online_share(rows: pd.DataFrame) -> float | None:
    """Online ÷ all channels; None when nothing was done."""
    every = int(rows["count"].sum())
    if not every:
        return None
    return int(rows.loc[rows["channel"] == "online", "count"].sum()) / every


def default_period(data: Data) -> tuple[date, date] | None:
    """The twelve months up to the last month with data."""
    if data.empty:
        return None
    last = data.counts["date"].max()
    end = (last + pd.offsets.MonthEnd(0)).date()
    start = (last.to_period("M").to_timestamp() - pd.DateOffset(months=11)).date()
    return max(start, data.counts["date"].min().date()), end
