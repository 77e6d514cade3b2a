"""Paid on-street parking in the town centre of Saint-Malo, as its programs export it.

Two years, `START` → `END`, with a council decision changing the prices on `TARIFF_CHANGE`: each
month of the year appears once before and once after the change. Five zones (intra-muros,
Saint-Servan, Paramé – Rochebonne, the station, Courtoisville), paid Monday to Saturday
09:00–19:00 and free on Sundays, public holidays and outside those hours.

The data embed a KNOWN price elasticity, for the analysis to recover by log-log regression:
- occupancy: each hourly sensor reading is capacity × min(`OCCUPANCY_CAP`, base(zone kind, day
  type, hour) × season(month, zone kind) × (p / p_before) ^ `OCCUPANCY_ELASTICITY` × noise), p
  being the hourly rate in force (the price effect is 1 in free hours), the noise log-normal
  (σ = `OCCUPANCY_NOISE`), with no trend between the years;
- paid durations: log-normal (σ = `DURATION_SIGMA`) around a median per zone kind (× mild day
  type, hour and, in intra-muros, summer factors) × (p / p_before) ^ `DURATION_ELASTICITY`,
  rounded up to the 15-minute step of the grid and clipped to the maximum stay less 30 minutes;
- payments: per zone and paid hour, about occupied × `COMPLIANCE` / mean duration sessions start
  (Poisson), paid at the meter (card or coins) or with the app (a share rising from 35 % to
  45 %); a handful of 0 € tickets (flagged `paid_nothing` by the load);
- fines (FPS): the unpaid occupied sessions, controlled at `CONTROL_RATE`, at the zone's FPS
  amount, then paid, paid at the reduced amount within four days, unpaid, contested or
  cancelled; a fake French plate on each (personal data: it never reaches open data).

The periphery (the station) keeps its price on purpose: no price variation there, so the
analysis falls back to published references for that kind of zone.

The files, as the municipal programs write them (`stationnement/` in the demo folder):
- `zones_stationnement.csv`: the zones, UTF-8 with a BOM, `;`, decimal commas;
- `grille_tarifaire.csv`: the grids, Windows-1252, `;`, decimal commas, dd/mm/yyyy, 09:00;
- `occupation_capteurs.csv`: the sensor platform, UTF-8, `,`, English headers, one line per zone
  and hour, ISO 8601 instants with their offset;
- `transactions_stationnement.csv`: the meter and app back office, Windows-1252, `;`, decimal
  commas, dd/mm/yyyy hh:mm:ss local times — with a few broken lines (an impossible date,
  refunds exported as negative payments), which the load sends to quarantine;
- `fps_antai.csv`: the FPS, Windows-1252, `;`, decimal commas, dd/mm/yyyy hh:mm.
They are loaded, in that order, as file sources of Saint-Malo with the mappings of
`pilotis/demo/mappings/parking_*.yaml`.

Vectorised with numpy: one seeded draw (`simulate`) gives the arrays the files are written from,
which the tests also regress on directly. `WINDOW` (read at call time) shrinks the period for
tests.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.demo.generators.requests_common import day_number, from_local, load_source
from pilotis.referential.calendar import public_holidays

if TYPE_CHECKING:
    from pilotis.connectors.models import LoadRun
    from pilotis.tenants.models import Tenant

# The truth the analysis must recover.
START, END = date(2024, 12, 1), date(2026, 11, 30)
TARIFF_CHANGE = date(2025, 12, 1)
OCCUPANCY_ELASTICITY = -0.30  # occupancy rate vs price of one hour
DURATION_ELASTICITY = -0.20  # paid duration vs price of one hour

# Tests set a shorter (first, last) period here; read at call time. Keep TARIFF_CHANGE inside.
WINDOW: tuple[date, date] | None = None

SAINT_MALO = "35288"
NAME = "stationnement"
MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"
# The grid in force before the council decision dates from an earlier one.
OLD_GRID_FROM = date(2023, 1, 1)

PAID_FROM, PAID_TO = 9, 19  # paid hours, Monday to Saturday (not on public holidays)
BANDS = ((9, 12), (12, 14), (14, 19))  # the grid's time bands (same prices, for now)
STEP = 15  # minutes of each step of the grid
OCCUPANCY_CAP = 0.97
OCCUPANCY_NOISE = 0.08
DURATION_SIGMA = 0.5
COMPLIANCE = 0.7  # share of the occupied space-hours actually paid
CONTROL_RATE = 0.12  # share of the unpaid sessions that get an FPS
APP_SHARE = (0.35, 0.45)  # share of the sessions paid with the app, at the start and the end
CARD_SHARE = 0.7  # of the meter payments (the others in coins)
FREE_TICKET_EVERY = 40_000  # a 0 € ticket per this many meter payments (at least 3)
BROKEN_EVERY = 100_000  # a broken line of the payments export per this many (at least 2)
# The kinds of broken lines of the payments export, in turn, and the (field, rule) of each.
BROKEN_KINDS = {"date": ("start_datetime", "type"), "refund": ("amount", "minimum")}
# FPS outcomes: (code, share). Paid ones may turn out unpaid when the export comes too soon.
FINE_STATUSES = (
    ("paid", 0.55),
    ("reduced", 0.15),
    ("issued", 0.25),
    ("contested", 0.03),
    ("cancelled", 0.02),
)
REDUCED_DAYS = 4  # the reduced FPS is paid within this many days
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # French plates use no I, O or U

WEEKDAY, SATURDAY, SUNDAY = 0, 1, 2  # day types (SUNDAY also for public holidays)


@dataclass(frozen=True)
class Kind:
    """What the zones of a kind share: prices, limits, durations and occupancy profiles."""

    code: str
    label: str  # as the zones export writes it
    rates: tuple[int, int]  # cents per hour, before and after TARIFF_CHANGE
    max_stay: int  # minutes
    fps: int  # euros: the price of the maximum stay (the "tarif dissuasif")
    fps_reduced: int  # euros, when paid within REDUCED_DAYS
    median_minutes: float  # of a paid session, at the old price
    # Occupancy rate per local hour (0–23) on weekdays, Saturdays, Sundays and public holidays.
    profiles: tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]
    season: tuple[float, ...]  # occupancy factor per month, January first
    duration_season: tuple[float, ...] = (1.0,) * 12


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    kind: Kind
    capacity: int
    lat: float
    long: float
    meters: int

    def meter_id(self, number: int) -> str:
        return f"{self.code}-H{number:02d}"


HYPER_CENTRE = Kind(
    "hyper_centre",
    "Hypercentre",
    (200, 250),
    180,
    25,
    17,
    60.0,
    (
        (0.40, 0.38, 0.37, 0.36, 0.36, 0.37, 0.42, 0.50, 0.60, 0.70, 0.76, 0.79)
        + (0.77, 0.74, 0.77, 0.79, 0.79, 0.77, 0.73, 0.66, 0.60, 0.55, 0.50, 0.45),
        (0.45, 0.42, 0.40, 0.39, 0.39, 0.39, 0.42, 0.48, 0.58, 0.70, 0.78, 0.81)
        + (0.80, 0.78, 0.80, 0.82, 0.82, 0.80, 0.76, 0.70, 0.65, 0.60, 0.55, 0.50),
        (0.48, 0.45, 0.42, 0.41, 0.40, 0.40, 0.41, 0.44, 0.50, 0.58, 0.66, 0.72)
        + (0.74, 0.72, 0.74, 0.76, 0.76, 0.72, 0.66, 0.60, 0.55, 0.50, 0.47, 0.45),
    ),
    # The walled city's summer tourists, and Christmas shopping.
    (0.90, 0.90, 0.93, 0.98, 1.00, 1.02, 1.06, 1.05, 0.99, 0.96, 0.92, 0.97),
    (1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.15, 1.15, 1.0, 1.0, 1.0, 1.0),
)
CENTRE = Kind(
    "centre",
    "Centre",
    (150, 180),
    240,
    20,
    14,
    75.0,
    (
        (0.52, 0.51, 0.50, 0.50, 0.50, 0.50, 0.49, 0.50, 0.55, 0.60, 0.64, 0.66)
        + (0.64, 0.62, 0.64, 0.66, 0.66, 0.65, 0.62, 0.58, 0.56, 0.55, 0.54, 0.53),
        (0.54, 0.53, 0.52, 0.52, 0.52, 0.52, 0.51, 0.52, 0.56, 0.64, 0.70, 0.71)
        + (0.68, 0.64, 0.64, 0.66, 0.66, 0.64, 0.61, 0.58, 0.57, 0.56, 0.55, 0.54),
        (0.56, 0.55, 0.55, 0.54, 0.54, 0.54, 0.54, 0.54, 0.55, 0.58, 0.62, 0.64)
        + (0.62, 0.60, 0.62, 0.63, 0.63, 0.61, 0.59, 0.58, 0.57, 0.57, 0.56, 0.56),
    ),
    # The beaches of Paramé and the Sillon in summer.
    (0.93, 0.93, 0.95, 0.98, 1.01, 1.03, 1.10, 1.12, 1.01, 0.97, 0.94, 0.97),
)
PERIPHERY = Kind(
    "periphery",
    "Périphérie",
    (80, 80),  # unchanged, on purpose
    240,
    15,
    10,
    95.0,
    (
        # Commuters at the station on weekdays.
        (0.22, 0.21, 0.20, 0.20, 0.20, 0.22, 0.30, 0.45, 0.58, 0.64, 0.66, 0.66)
        + (0.62, 0.62, 0.65, 0.65, 0.62, 0.55, 0.45, 0.36, 0.30, 0.27, 0.25, 0.23),
        (0.22, 0.21, 0.20, 0.20, 0.20, 0.20, 0.22, 0.27, 0.34, 0.40, 0.44, 0.46)
        + (0.44, 0.42, 0.44, 0.45, 0.44, 0.40, 0.36, 0.32, 0.28, 0.26, 0.24, 0.23),
        (0.22, 0.21, 0.20, 0.20, 0.20, 0.20, 0.21, 0.23, 0.26, 0.30, 0.33, 0.34)
        + (0.33, 0.32, 0.34, 0.36, 0.38, 0.38, 0.35, 0.31, 0.28, 0.26, 0.24, 0.23),
    ),
    # Commuters on holiday in August.
    (1.00, 1.00, 1.00, 1.00, 0.99, 0.98, 0.95, 0.90, 1.00, 1.00, 1.00, 0.98),
)
RESIDENTIAL = Kind(
    "residential",
    "Résidentiel",
    (100, 120),
    240,
    15,
    10,
    80.0,
    (
        # Residents at night, who leave for work on weekdays.
        (0.74, 0.75, 0.75, 0.75, 0.75, 0.74, 0.72, 0.62, 0.48, 0.40, 0.38, 0.38)
        + (0.40, 0.40, 0.38, 0.38, 0.40, 0.46, 0.55, 0.63, 0.68, 0.71, 0.72, 0.73),
        (0.74, 0.75, 0.75, 0.75, 0.75, 0.75, 0.74, 0.70, 0.62, 0.54, 0.50, 0.50)
        + (0.52, 0.52, 0.50, 0.50, 0.52, 0.56, 0.60, 0.65, 0.68, 0.70, 0.72, 0.73),
        (0.75, 0.76, 0.76, 0.76, 0.76, 0.76, 0.76, 0.75, 0.72, 0.66, 0.62, 0.62)
        + (0.64, 0.64, 0.62, 0.60, 0.60, 0.62, 0.65, 0.68, 0.70, 0.72, 0.73, 0.74),
    ),
    # Holiday lets near the Sillon in summer.
    (0.97, 0.97, 0.98, 1.00, 1.01, 1.02, 1.07, 1.09, 1.01, 0.99, 0.97, 0.98),
)
KINDS = (HYPER_CENTRE, CENTRE, PERIPHERY, RESIDENTIAL)
ZONES = (
    Zone("SM-INTRA", "Intra-muros", HYPER_CENTRE, 60, 48.6493, -2.0257, 6),
    Zone("SM-SERVAN", "Saint-Servan", CENTRE, 40, 48.6358, -2.0138, 4),
    Zone("SM-PARAME", "Paramé – Rochebonne", CENTRE, 35, 48.6612, -1.9858, 3),
    Zone("SM-GARE", "Gare – Rocabey", PERIPHERY, 48, 48.6478, -2.0079, 4),
    Zone("SM-COURTOISVILLE", "Courtoisville", RESIDENTIAL, 28, 48.6566, -2.0004, 2),
)
# Paid durations: a factor per day type (weekday, Saturday) and per paid hour (09:00–18:00).
DURATION_DAY = (1.0, 1.15)
DURATION_HOUR = (1.05, 1.0, 1.0, 0.85, 0.85, 1.0, 1.0, 0.95, 0.9, 0.8)


def price_cents(rate: int | np.ndarray, minutes: int | np.ndarray) -> int | np.ndarray:
    """The grid price, in cents, of a stay of `minutes` (a multiple of STEP) at `rate` cents an
    hour, rounded half up to the cent (1.50 € an hour: 0.38 € for 15 minutes)."""
    return (rate * (minutes // STEP) + 2) // 4


def max_paid(kind: Kind) -> int:
    """The longest stay sold at the hourly rate; the maximum stay is priced at the FPS."""
    return kind.max_stay - 30


def _mean_paid_hours(median: np.ndarray) -> np.ndarray:
    """≈ the mean paid duration (hours) of a log-normal of this median, rounded up to the step."""
    return (median * math.exp(DURATION_SIGMA**2 / 2) + STEP / 2) / 60


# --------------------------------------------------------------------------------------------
# Paris time, vectorised (the same rules as requests_common's scalar functions).

WINTER, SUMMER = 3600, 7200


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


_TRANSITIONS = np.array(
    [
        day_number(_last_sunday(year, month)) * 86400 + 3600
        for year in range(START.year - 2, END.year + 3)
        for month in (3, 10)
    ],
    dtype=np.int64,
)


def offsets(epochs: np.ndarray) -> np.ndarray:
    """Paris's offset from UTC (seconds) at each instant."""
    summer = np.searchsorted(_TRANSITIONS, epochs, side="right") % 2 == 1
    return np.where(summer, SUMMER, WINTER).astype(np.int64)


# --------------------------------------------------------------------------------------------
# The simulation


@dataclass
class Readings:
    """Hourly occupancy readings, one per zone and hour (UTC hours: 23 or 25 local hours on the
    days the clocks change)."""

    zone: np.ndarray  # index into ZONES
    epoch: np.ndarray  # start of the hour, seconds since 1970 (UTC)
    day: np.ndarray  # local day number (days since 1970-01-01)
    hour: np.ndarray  # local hour
    month: np.ndarray  # 1–12
    day_type: np.ndarray  # WEEKDAY, SATURDAY, SUNDAY
    after: np.ndarray  # the new grid is in force
    paid: np.ndarray  # a paid hour
    rate: np.ndarray  # cents per hour in force (0 when free)
    capacity: np.ndarray
    occupied: np.ndarray
    median_minutes: np.ndarray  # of the sessions starting in that hour (paid hours only)


@dataclass
class Payments:
    reading: np.ndarray  # the reading of the hour the session starts in
    start: np.ndarray  # epoch seconds
    minutes: np.ndarray  # paid, a multiple of STEP
    cents: np.ndarray
    app: np.ndarray  # paid with the app (else at a meter)
    method: np.ndarray  # 0 card, 1 coins, 2 app
    meter: np.ndarray  # 1-based meter number in the zone (0 for the app)
    ids: list[str]


@dataclass
class Fines:
    reading: np.ndarray
    issued: np.ndarray  # epoch seconds
    status: np.ndarray  # index into FINE_STATUSES
    amount: np.ndarray  # euros
    paid_amount: np.ndarray  # euros (0 when unpaid)
    paid_day: np.ndarray  # local day number (-1 when unpaid)
    ids: list[str]
    plates: list[str]


@dataclass
class Simulation:
    first: date
    last: date
    zones: tuple[Zone, ...]
    readings: Readings
    payments: Payments
    fines: Fines


def period() -> tuple[date, date]:
    return WINDOW or (START, END)


def simulate(rng: random.Random, first: date | None = None, last: date | None = None) -> Simulation:
    """The parking of the demo from `first` to `last` (default `period()`), drawn from `rng`."""
    default_first, default_last = period()
    first, last = first or default_first, last or default_last
    gen = np.random.default_rng(rng.getrandbits(128))
    readings = _readings(gen, first, last)
    payments = _payments(gen, readings, first, last)
    fines = _fines(gen, readings, last)
    return Simulation(first, last, ZONES, readings, payments, fines)


def _day_types(first: date, last: date) -> np.ndarray:
    holidays = set().union(*(public_holidays(y) for y in range(first.year, last.year + 1)))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return np.array(
        [
            SUNDAY
            if d.weekday() == 6 or d in holidays
            else (SATURDAY if d.weekday() == 5 else WEEKDAY)
            for d in days
        ],
        dtype=np.int8,
    )


def _months(first: date, last: date) -> np.ndarray:
    return np.array(
        [(first + timedelta(days=n)).month for n in range((last - first).days + 1)], dtype=np.int8
    )


def _readings(gen: np.random.Generator, first: date, last: date) -> Readings:
    begin = from_local(day_number(first) * 86400)
    end = from_local(day_number(last + timedelta(days=1)) * 86400)
    hours = np.arange(begin, end, 3600, dtype=np.int64)
    local = hours + offsets(hours)
    n_zones, n_hours = len(ZONES), len(hours)
    epoch = np.tile(hours, n_zones)
    zone = np.repeat(np.arange(n_zones, dtype=np.int8), n_hours)
    day = np.tile(local // 86400, n_zones)
    hour = np.tile((local % 86400) // 3600, n_zones)
    index = day - day_number(first)
    day_type = _day_types(first, last)[index]
    month = _months(first, last)[index]
    after = day >= day_number(TARIFF_CHANGE)
    paid = (day_type != SUNDAY) & (hour >= PAID_FROM) & (hour < PAID_TO)

    kind = np.array([KINDS.index(z.kind) for z in ZONES])[zone]
    rates = np.array([k.rates for k in KINDS], dtype=np.int64)  # (kind, before/after)
    rate = np.where(paid, rates[kind, after.astype(int)], 0)
    ratio = np.where(paid, rates[kind, after.astype(int)] / rates[kind, 0], 1.0)
    profiles = np.array([k.profiles for k in KINDS])  # (kind, day type, hour)
    seasons = np.array([k.season for k in KINDS])  # (kind, month)
    base = profiles[kind, day_type, hour] * seasons[kind, month - 1]
    noise = np.exp(gen.normal(0.0, OCCUPANCY_NOISE, len(epoch)))
    rate_of_occupancy = np.minimum(OCCUPANCY_CAP, base * ratio**OCCUPANCY_ELASTICITY * noise)
    capacity = np.array([z.capacity for z in ZONES])[zone]
    occupied = np.rint(capacity * rate_of_occupancy).astype(np.int64)

    medians = np.array([k.median_minutes for k in KINDS])[kind]
    duration_seasons = np.array([k.duration_season for k in KINDS])[kind, month - 1]
    paid_hour = np.clip(hour - PAID_FROM, 0, len(DURATION_HOUR) - 1)
    median_minutes = np.where(
        paid,
        medians
        * np.array(DURATION_DAY)[np.minimum(day_type, SATURDAY)]
        * np.array(DURATION_HOUR)[paid_hour]
        * duration_seasons
        * ratio**DURATION_ELASTICITY,
        0.0,
    )
    return Readings(
        zone=zone,
        epoch=epoch,
        day=day,
        hour=hour,
        month=month,
        day_type=day_type,
        after=after,
        paid=paid,
        rate=rate,
        capacity=capacity,
        occupied=occupied,
        median_minutes=median_minutes,
    )


def _payments(gen: np.random.Generator, r: Readings, first: date, last: date) -> Payments:
    paid = np.flatnonzero(r.paid)
    expected = r.occupied[paid] * COMPLIANCE / _mean_paid_hours(r.median_minutes[paid])
    reading = np.repeat(paid, gen.poisson(expected))
    start = r.epoch[reading] + gen.integers(0, 3600, len(reading))
    order = np.argsort(start, kind="stable")
    reading, start = reading[order], start[order]
    n = len(reading)

    raw = r.median_minutes[reading] * np.exp(gen.normal(0.0, DURATION_SIGMA, n))
    limits = np.array([max_paid(z.kind) for z in ZONES])[r.zone[reading]]
    minutes = np.clip(np.ceil(raw / STEP).astype(np.int64) * STEP, STEP, limits)
    cents = np.asarray(price_cents(r.rate[reading], minutes))

    span = max(1, (last - first).days)
    progress = (r.day[reading] - day_number(first)) / span
    app = gen.random(n) < APP_SHARE[0] + (APP_SHARE[1] - APP_SHARE[0]) * progress
    method = np.where(app, 2, np.where(gen.random(n) < CARD_SHARE, 0, 1))
    meters = np.array([z.meters for z in ZONES])[r.zone[reading]]
    meter = np.where(app, 0, 1 + np.floor(gen.random(n) * meters).astype(np.int64))
    on_meter = np.flatnonzero(~app)
    free = gen.choice(on_meter, max(3, len(on_meter) // FREE_TICKET_EVERY), replace=False)
    cents[free] = 0

    # Meter tickets are numbered per meter; the app operator's ids grow across its cities.
    sequence = np.zeros(n, dtype=np.int64)
    key = r.zone[reading][on_meter].astype(np.int64) * 100 + meter[on_meter]
    by_meter = on_meter[np.argsort(key, kind="stable")]
    sorted_key = np.sort(key, kind="stable")
    group_start = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    sizes = np.diff(np.r_[group_start, len(sorted_key)])
    sequence[by_meter] = np.arange(len(by_meter)) - np.repeat(group_start, sizes) + 1
    on_app = np.flatnonzero(app)
    sequence[on_app] = 48_210_000 + np.cumsum(gen.integers(1, 40, len(on_app)))
    codes = [z.code for z in ZONES]
    zone_of = r.zone[reading]
    ids = [
        f"APP-{s:09d}" if a else f"{codes[z]}-H{m:02d}-{s:06d}"
        for a, z, m, s in zip(
            app.tolist(), zone_of.tolist(), meter.tolist(), sequence.tolist(), strict=True
        )
    ]
    return Payments(reading, start, minutes, cents, app, method, meter, ids)


def _fines(gen: np.random.Generator, r: Readings, last: date) -> Fines:
    paid = np.flatnonzero(r.paid)
    unpaid = r.occupied[paid] * (1 - COMPLIANCE) / _mean_paid_hours(r.median_minutes[paid])
    reading = np.repeat(paid, gen.poisson(unpaid * CONTROL_RATE))
    issued = r.epoch[reading] + gen.integers(0, 3600, len(reading))
    order = np.argsort(issued, kind="stable")
    reading, issued = reading[order], issued[order]
    n = len(reading)

    shares = np.array([share for _status, share in FINE_STATUSES])
    status = gen.choice(len(FINE_STATUSES), n, p=shares / shares.sum())
    day = r.day[reading]
    delay = np.where(
        status == 1,
        gen.integers(0, REDUCED_DAYS + 1, n),
        np.minimum(120, REDUCED_DAYS + 1 + np.floor(gen.lognormal(math.log(14), 0.8, n))),
    ).astype(np.int64)
    paid_day = day + delay
    too_soon = (status <= 1) & (paid_day > day_number(last))
    status = np.where(too_soon, 2, status)  # not paid yet when the file was exported
    fps = np.array([z.kind.fps for z in ZONES])[r.zone[reading]]
    reduced = np.array([z.kind.fps_reduced for z in ZONES])[r.zone[reading]]
    paid_amount = np.select([status == 0, status == 1], [fps, reduced], 0)
    paid_day = np.where(status <= 1, paid_day, -1)

    letters = np.array(list(PLATE_LETTERS))
    chosen = letters[gen.integers(0, len(PLATE_LETTERS), (n, 4))]
    digits = gen.integers(1, 1000, n)
    plates = [
        f"{a}{b}-{d:03d}-{c}{e}"
        for (a, b, c, e), d in zip(chosen.tolist(), digits.tolist(), strict=True)
    ]
    years = day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    ids = [f"{SAINT_MALO}{y}{i:07d}" for i, y in enumerate(years.tolist(), start=1)]
    return Fines(reading, issued, status, fps, paid_amount, paid_day, ids, plates)


# --------------------------------------------------------------------------------------------
# The exports


ZONES_FILE = "zones_stationnement.csv"
TARIFFS_FILE = "grille_tarifaire.csv"
OCCUPANCY_FILE = "occupation_capteurs.csv"
PAYMENTS_FILE = "transactions_stationnement.csv"
FINES_FILE = "fps_antai.csv"
ZONES_HEADER = ["Code zone", "Nom", "Commune", "Type", "Équipement", "Places", "Latitude"]
ZONES_HEADER += ["Longitude"]
TARIFFS_HEADER = ["Zone", "Jours", "Heure début", "Heure fin", "Durée (min)", "Tarif (€)"]
TARIFFS_HEADER += ["Franchise (min)", "Durée maximale (min)", "Montant FPS (€)"]
TARIFFS_HEADER += ["Début de validité", "Fin de validité"]
PAYMENTS_HEADER = ["N° transaction", "Zone", "Horodateur", "Début", "Fin", "Durée (min)"]
PAYMENTS_HEADER += ["Montant (€)", "Canal", "Moyen de paiement"]
OCCUPANCY_HEADER = ["zone_id", "timestamp", "period_minutes", "occupied_spaces", "total_spaces"]
FINES_HEADER = ["N° FPS", "Date et heure", "Zone", "Immatriculation", "Montant FPS (€)"]
FINES_HEADER += ["Statut", "Montant payé (€)", "Date de paiement"]
DAY_LABELS = {WEEKDAY: "Lundi au vendredi", SATURDAY: "Samedi"}
METHOD_LABELS = ("CB", "Espèces", "Paiement mobile")
FINE_LABELS = ("Payé", "Payé minoré", "Émis", "Contesté (RAPO)", "Annulé")


def _euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}" if cents >= 0 else "-" + _euros(-cents)


def _decimal(value: float) -> str:
    return f"{value:.4f}".replace(".", ",")


def _write_csv(path: Path, header: list[str], lines: list[str], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as out:
        out.write(";".join(header) + "\r\n")
        out.write("".join(line + "\r\n" for line in lines))


def zones_lines() -> list[str]:
    return [
        ";".join(
            [
                z.code,
                z.name,
                "Saint-Malo",
                z.kind.label,
                "Voirie",
                str(z.capacity),
                _decimal(z.lat),
                _decimal(z.long),
            ]
        )
        for z in ZONES
    ]


def grid_steps(kind: Kind, rate: int) -> list[tuple[int, int]]:
    """(minutes, cents) of each step of a grid: every STEP minutes at the hourly rate up to the
    maximum stay less 30 minutes, then the maximum stay at the FPS amount (the "tarif
    dissuasif": the FPS may not exceed the price of the maximum stay)."""
    steps = [(m, int(price_cents(rate, m))) for m in range(STEP, max_paid(kind) + 1, STEP)]
    return [*steps, (kind.max_stay, kind.fps * 100)]


def tariff_lines() -> list[str]:
    """One line per zone, grid, day type, time band and step."""
    grids = ((0, OLD_GRID_FROM, TARIFF_CHANGE - timedelta(days=1)), (1, TARIFF_CHANGE, None))
    lines = []
    for z in ZONES:
        for which, valid_from, valid_to in grids:
            validity = [
                valid_from.strftime("%d/%m/%Y"),
                valid_to.strftime("%d/%m/%Y") if valid_to else "",
            ]
            steps = grid_steps(z.kind, z.kind.rates[which])
            for label, (start, end), (minutes, cents) in product(DAY_LABELS.values(), BANDS, steps):
                cells = [z.code, label, f"{start:02d}:00", f"{end:02d}:00", str(minutes)]
                cells += [_euros(cents), "0", str(z.kind.max_stay), _euros(z.kind.fps * 100)]
                lines.append(";".join(cells + validity))
    return lines


class _Clock:
    """Local dates and times of instants, as French (dd/mm/yyyy hh:mm:ss) or ISO text."""

    def __init__(self, first: date, days: int) -> None:
        self.first = day_number(first)
        dates = [first + timedelta(days=n) for n in range(days)]
        self.french_days = [d.strftime("%d/%m/%Y") for d in dates]
        self.iso_days = [d.isoformat() for d in dates]
        self.times = [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in range(86400)]

    def split(self, epochs: np.ndarray) -> tuple[list[int], list[int], list[int]]:
        shift = offsets(epochs)
        local = epochs + shift
        return (
            (local // 86400 - self.first).tolist(),
            (local % 86400).tolist(),
            (shift // 3600).tolist(),
        )

    def french(self, epochs: np.ndarray, seconds: bool = True) -> list[str]:
        days, times, _shift = self.split(epochs)
        cut = 8 if seconds else 5
        return [
            f"{self.french_days[d]} {self.times[t][:cut]}" for d, t in zip(days, times, strict=True)
        ]

    def iso(self, epochs: np.ndarray) -> list[str]:
        days, times, shift = self.split(epochs)
        return [
            f"{self.iso_days[d]}T{self.times[t]}+0{h}:00"
            for d, t, h in zip(days, times, shift, strict=True)
        ]


def occupancy_lines(sim: Simulation, clock: _Clock) -> list[str]:
    """The sensor platform's readings, hour by hour, zones in turn."""
    r = sim.readings
    order = np.lexsort((r.zone, r.epoch))
    codes = [z.code for z in sim.zones]
    columns = zip(
        r.zone[order].tolist(),
        clock.iso(r.epoch[order]),
        r.occupied[order].tolist(),
        r.capacity[order].tolist(),
        strict=True,
    )
    return [f"{codes[z]},{stamp},60,{o},{c}" for z, stamp, o, c in columns]


@dataclass(frozen=True)
class Broken:
    """A line of the payments export that the load must send to quarantine."""

    ident: str
    kind: str

    @property
    def reason(self) -> tuple[str, str]:
        return BROKEN_KINDS[self.kind]


def payment_lines(
    sim: Simulation, clock: _Clock, rng: random.Random
) -> tuple[list[str], list[Broken]]:
    """The back office's transactions (header excluded), and the broken lines among them."""
    p = sim.payments
    codes = [z.code for z in sim.zones]
    starts = clock.french(p.start)
    ends = clock.french(p.start + p.minutes * 60)
    zone_of = sim.readings.zone[p.reading].tolist()
    columns = zip(
        p.ids,
        zone_of,
        p.meter.tolist(),
        starts,
        ends,
        p.minutes.tolist(),
        p.cents.tolist(),
        p.method.tolist(),
        strict=True,
    )
    lines = [
        f"{ident};{codes[z]};{codes[z] + f'-H{m:02d}' if m else ''};{start};{end};{minutes};"
        f"{_euros(cents)};{'Application' if method == 2 else 'Horodateur'};{METHOD_LABELS[method]}"
        for ident, z, m, start, end, minutes, cents, method in columns
    ]
    count = max(len(BROKEN_KINDS), round(len(lines) / BROKEN_EVERY))
    candidates = np.flatnonzero(p.cents > 0).tolist()  # "-0,00" would be no refund
    chosen = sorted(rng.sample(candidates, k=min(count, len(candidates))))
    broken = []
    kinds = list(BROKEN_KINDS)
    for n, index in enumerate(chosen):
        kind = kinds[n % len(kinds)]
        cells = lines[index].split(";")
        if kind == "date":
            cells[3] = "30/02/" + cells[3][6:]  # a date that does not exist
        else:
            cells[6] = "-" + cells[6]  # a refund, exported as a transaction
        lines[index] = ";".join(cells)
        broken.append(Broken(cells[0], kind))
    return lines, broken


def fine_lines(sim: Simulation, clock: _Clock) -> list[str]:
    f = sim.fines
    codes = [z.code for z in sim.zones]
    issued = clock.french(f.issued, seconds=False)
    zone_of = sim.readings.zone[f.reading].tolist()
    paid_days = [
        "" if d < 0 else (date(1970, 1, 1) + timedelta(days=d)).strftime("%d/%m/%Y")
        for d in f.paid_day.tolist()
    ]
    return [
        f"{ident};{when};{codes[z]};{plate};{amount},00;{FINE_LABELS[status]};"
        f"{f'{paid},00' if paid else ''};{paid_day}"
        for ident, when, z, plate, amount, status, paid, paid_day in zip(
            f.ids,
            issued,
            zone_of,
            f.plates,
            f.amount.tolist(),
            f.status.tolist(),
            f.paid_amount.tolist(),
            paid_days,
            strict=True,
        )
    ]


# --------------------------------------------------------------------------------------------
# The generator


@dataclass(frozen=True)
class SourceFile:
    """One exported file and the file source of Saint-Malo that loads it."""

    file: str
    mapping: str
    source: str  # the source's name
    title: str  # the source's title (the « Données » page shows it)
    rows: str  # what the summary counts (French, plural)


# In the order they are loaded.
SOURCES = (
    SourceFile(
        ZONES_FILE, "parking_zones.yaml", "stationnement-zones", "Zones de stationnement", "zones"
    ),
    SourceFile(
        TARIFFS_FILE,
        "parking_tariffs.yaml",
        "stationnement-tarifs",
        "Grille tarifaire du stationnement",
        "paliers tarifaires",
    ),
    SourceFile(
        OCCUPANCY_FILE,
        "parking_occupancy.yaml",
        "stationnement-occupation",
        "Capteurs d'occupation des places",
        "relevés d'occupation",
    ),
    SourceFile(
        PAYMENTS_FILE,
        "parking_payments.yaml",
        "stationnement-paiements",
        "Horodateurs et application de paiement",
        "paiements",
    ),
    SourceFile(
        FINES_FILE,
        "parking_fines.yaml",
        "stationnement-fps",
        "Forfaits post-stationnement (ANTAI)",
        "FPS",
    ),
)


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


@register
class ParkingGenerator(DemoGenerator):
    name = NAME
    order = 30

    def __init__(self) -> None:
        self.simulation: Simulation | None = None
        self.broken: list[Broken] = []
        self.seconds = 0.0
        self.runs: list[LoadRun] = []

    def write(self, territory: Territory) -> list[Path]:
        started = time.monotonic()
        rng = territory.rng(self.name)
        sim = self.simulation = simulate(rng)
        folder = territory.folder / self.name
        folder.mkdir(parents=True, exist_ok=True)
        clock = _Clock(sim.first, (sim.last - sim.first).days + 1)
        paths = [folder / source.file for source in SOURCES]
        _write_csv(paths[0], ZONES_HEADER, zones_lines(), "utf-8-sig")
        _write_csv(paths[1], TARIFFS_HEADER, tariff_lines(), "cp1252")
        with open(paths[2], "w", encoding="utf-8", newline="") as out:
            out.write(",".join(OCCUPANCY_HEADER) + "\n")
            out.write("".join(line + "\n" for line in occupancy_lines(sim, clock)))
        lines, self.broken = payment_lines(sim, clock, rng)
        _write_csv(paths[3], PAYMENTS_HEADER, lines, "cp1252")
        _write_csv(paths[4], FINES_HEADER, fine_lines(sim, clock), "cp1252")
        self.seconds = time.monotonic() - started
        return paths

    def load(self, territory: Territory, paths: list[Path]) -> str:
        started = time.monotonic()
        tenant = next(t for t in territory.communes if t.code == SAINT_MALO)
        self.runs = [
            _load(tenant, path, source) for path, source in zip(paths, SOURCES, strict=True)
        ]
        counts = [
            f"{_number(run.rows_loaded)} {source.rows}"
            for run, source in zip(self.runs, SOURCES, strict=True)
        ]
        quarantined = sum(run.rows_quarantined for run in self.runs)
        seconds = time.monotonic() - started
        return (
            f"{tenant.name} : {', '.join(counts)} ; {_number(quarantined)} lignes en quarantaine "
            f"(écriture {self.seconds:.1f} s, chargement {seconds:.1f} s)".replace(".", ",")
        )


def _load(tenant: Tenant, path: Path, source: SourceFile) -> LoadRun:
    mapping = (MAPPINGS / source.mapping).read_text(encoding="utf-8")
    return load_source(tenant, source.source, source.title, "file", {"path": str(path)}, mapping)
