"""A small parking town, built in memory: two zones over 140 days with a tariff change on day 70
in one of them, hourly sensor readings, payments and fines drawn from a known model — so that
the analysis can be checked against the truth it was drawn from.

`town()` returns the tables as pandas frames in the canonical layout; `town_data()` runs them
through `pilotis.parking.data.build` in a DuckDB session, as the page does with the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd
import pytest

from pilotis.parking import data as parking_data
from pilotis.warehouse import storage
from pilotis.warehouse.schemas import get_schema

PARIS = ZoneInfo("Europe/Paris")
START = date(2025, 9, 1)
DAYS = 140
CHANGE = START + timedelta(days=70)
ELASTICITY = -0.3
DURATION_ELASTICITY = -0.2
ZONES = {
    # code: (kind, capacity, rate before, rate after, fps, base occupancy at peak)
    "A": ("hyper_centre", 100, 2.0, 2.5, 30.0, 0.80),
    "B": ("periphery", 80, 1.0, 1.0, 15.0, 0.45),
}
PAID_HOURS = range(9, 19)
BANDS = ((time(9), time(12)), (time(12), time(14)), (time(14), time(19)))
MAX_STAY = 180


@dataclass
class Town:
    zones: pd.DataFrame
    tariffs: pd.DataFrame
    occupancy: pd.DataFrame
    payments: pd.DataFrame
    fines: pd.DataFrame


def _profile(hour: int, peak: float) -> float:
    """A daily rhythm: low at night, a late-morning and an afternoon peak."""
    shape = (
        0.25 + 0.75 * np.exp(-(((hour - 11) / 2.2) ** 2)) + 0.7 * np.exp(-(((hour - 16) / 2) ** 2))
    )
    return float(peak * shape / 1.3)


def _grid(zone: str, rate: float, fps: float, valid_from: date, valid_to: date | None) -> list:
    rows = []
    for day_type in ("weekday", "saturday"):
        for start, end in BANDS:
            for minutes in range(15, MAX_STAY - 30 + 1, 15):
                rows.append((zone, day_type, start, end, minutes, round(rate * minutes / 60, 2)))
            rows.append((zone, day_type, start, end, MAX_STAY, fps))
    return [
        {
            "zone_code": z,
            "day_type": d,
            "band_start": s.isoformat(),
            "band_end": e.isoformat(),
            "step_minutes": m,
            "price": p,
            "free_minutes": 0,
            "max_stay_minutes": MAX_STAY,
            "fps_amount": fps,
            "valid_from": valid_from,
            "valid_to": valid_to,
        }
        for z, d, s, e, m, p in rows
    ]


def town(seed: int = 7, days: int = DAYS) -> Town:
    rng = np.random.default_rng(seed)
    zones = pd.DataFrame(
        [
            {"zone_code": code, "name": f"Zone {code}", "kind": kind, "capacity": cap}
            for code, (kind, cap, *_rest) in ZONES.items()
        ]
    )
    tariffs = []
    occupancy = []
    payments = []
    fines = []
    for code, (_kind, cap, before, after, fps, peak) in ZONES.items():
        tariffs += _grid(code, before, fps, START - timedelta(days=365), CHANGE - timedelta(days=1))
        tariffs += _grid(code, after, fps, CHANGE, None)
        for n in range(days):
            day = START + timedelta(days=n)
            paid_day = day.weekday() < 6 and day not in parking_data.public_holidays(day.year)
            rate = after if day >= CHANGE else before
            for hour in range(24):
                paid = paid_day and hour in PAID_HOURS
                effect = (rate / before) ** ELASTICITY if paid else 1.0
                season = 1.0 + 0.08 * np.sin(2 * np.pi * day.month / 12)
                share = _profile(hour, peak) * season * effect * np.exp(rng.normal(0, 0.06))
                occupied = int(round(cap * min(share, 0.98)))
                at = datetime.combine(day, time(hour), PARIS)
                occupancy.append(
                    {
                        "zone_code": code,
                        "observed_datetime": at,
                        "segment": "all",
                        "period_minutes": 60,
                        "occupied": occupied,
                        "capacity": cap,
                        "method": "sensor",
                    }
                )
                if not paid:
                    continue
                median = 80 * (rate / before) ** DURATION_ELASTICITY
                starts = rng.poisson(occupied * 0.7 / (median / 60))
                durations = np.exp(rng.normal(np.log(median), 0.35, starts))
                for k, minutes in enumerate(durations):
                    step = int(min(MAX_STAY - 30, 15 * np.ceil(minutes / 15)))
                    begin = at + timedelta(minutes=int(rng.integers(0, 60)))
                    payments.append(
                        {
                            "transaction_id": f"{code}-{day:%Y%m%d}-{hour:02d}-{k}",
                            "zone_code": code,
                            "start_datetime": begin,
                            "end_datetime": begin + timedelta(minutes=step),
                            "paid_minutes": float(step),
                            "amount": round(rate * step / 60, 2),
                            "channel": "meter",
                            "payment_method": "card",
                        }
                    )
                for k in range(rng.poisson(occupied * 0.3 * 0.1)):
                    paid_fine = rng.random() < 0.6
                    fines.append(
                        {
                            "fine_id": f"F-{code}-{day:%Y%m%d}-{hour:02d}-{k}",
                            "zone_code": code,
                            "issued_datetime": at + timedelta(minutes=30),
                            "amount": fps,
                            "paid_amount": fps if paid_fine else None,
                            "paid_date": day + timedelta(days=10) if paid_fine else None,
                            "status": "paid" if paid_fine else "issued",
                        }
                    )
    return Town(
        zones,
        pd.DataFrame(tariffs),
        pd.DataFrame(occupancy),
        pd.DataFrame(payments),
        pd.DataFrame(fines),
    )


def _arrow(table: str, frame: pd.DataFrame):
    import pyarrow as pa

    schema = storage.arrow_schema(get_schema(table))
    columns = {}
    for f in schema:
        if f.name in frame.columns:
            columns[f.name] = pa.array(frame[f.name].tolist(), type=f.type, from_pandas=True)
        else:
            columns[f.name] = pa.nulls(len(frame), type=f.type)
    return pa.table(columns, schema=schema)


def data_of(t: Town) -> parking_data.Data:
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{parking_data.TIMEZONE}'")
    counts = {}
    for table, name in TABLE_FRAMES:
        frame = getattr(t, name)
        arrow = _arrow(table, frame)
        con.register(table + "_arrow", arrow)
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM {table}_arrow")  # noqa: S608
        counts[table] = len(frame)
    built = parking_data.build(con, counts)
    con.close()
    return built


TABLE_FRAMES = (
    ("parking_zones", "zones"),
    ("parking_tariffs", "tariffs"),
    ("parking_occupancy", "occupancy"),
    ("parking_payments", "payments"),
    ("parking_fines", "fines"),
)


def write_town(code: str, t: Town) -> None:
    """The town's tables in the warehouse of tenant `code`, as a load leaves them (the
    pipeline's own tests cover how rows get there)."""
    import pyarrow as pa
    from deltalake import write_deltalake

    for table, name in TABLE_FRAMES:
        arrow = _arrow(table, getattr(t, name))
        for column, value in (("_tenant", code), ("_source", "test"), ("_load_id", "test")):
            i = arrow.schema.get_field_index(column)
            arrow = arrow.set_column(i, arrow.schema.field(i), pa.array([value] * len(arrow)))
        write_deltalake(storage.table_uri(code, table), arrow, mode="overwrite")


@pytest.fixture(scope="session")
def small_town() -> Town:
    return town()


@pytest.fixture(scope="session")
def town_data(small_town) -> parking_data.Data:
    return data_of(small_town)
