"""The demo's paid parking (`pilotis.demo.generators.parking`).

Two parts: the full two-year simulation, as generated (no database), checked for its volumes,
its calendar and — by regressions run here on its arrays — the price elasticities it embeds; and
the exported files of a shorter period (the window of tests/demo/conftest.py, around the tariff
change), written and loaded through the connectors as `pilotis demo` does, then read back from
the warehouse."""

import json
import random
import re
from collections import Counter
from datetime import date

import duckdb
import numpy as np
import pytest

from pilotis.connectors import pipeline
from pilotis.connectors.models import LoadRun
from pilotis.demo.framework import DEMO_SEED, Territory
from pilotis.demo.generators import parking as pk
from pilotis.referential.load import load_snapshot
from pilotis.warehouse import storage
from tests.tenants.factories import TenantFactory

HOURS = 2 * 365 * 24  # 2024-12-01 → 2026-11-30, no 29 February


@pytest.fixture(scope="module")
def full():
    """The whole demo period, drawn as `pilotis demo` draws it."""
    return pk.simulate(random.Random(f"{DEMO_SEED}:{pk.NAME}"), pk.START, pk.END)


# --------------------------------------------------------------------------------------------
# The full simulation


def test_volumes_and_calendar(full):
    r, p, f = full.readings, full.payments, full.fines
    assert len(r.epoch) == len(pk.ZONES) * HOURS == 87_600
    assert len(set(zip(r.zone.tolist(), r.epoch.tolist(), strict=True))) == len(r.epoch)
    assert 300_000 < len(p.ids) <= 400_000
    assert len(set(p.ids)) == len(p.ids) and len(set(f.ids)) == len(f.ids)
    assert 0.03 < len(f.ids) / len(p.ids) < 0.08
    # Each month of the year once before the change and once after, whole.
    days = Counter((m, a) for m, a in zip(r.month.tolist(), r.after.tolist(), strict=True))
    assert {m for m, _after in days} == set(range(1, 13))
    assert all(days[(m, False)] == days[(m, True)] for m in range(1, 13))
    # Paid hours only: Monday to Saturday, 09:00–19:00, never on a public holiday.
    hours = r.hour[p.reading]
    assert hours.min() == 9 and hours.max() == 18
    assert not np.any(r.day_type[p.reading] == pk.SUNDAY)
    christmas = np.datetime64("2025-12-25").astype(int)
    assert not np.any(r.day[p.reading] == christmas)


def test_prices_durations_and_channels(full):
    r, p = full.readings, full.payments
    zone = r.zone[p.reading]
    for i, z in enumerate(pk.ZONES):
        rates = set(r.rate[(r.zone == i) & r.paid & ~r.after].tolist())
        rates_after = set(r.rate[(r.zone == i) & r.paid & r.after].tolist())
        assert (rates, rates_after) == ({z.kind.rates[0]}, {z.kind.rates[1]})
        minutes = p.minutes[zone == i]
        assert minutes.min() == pk.STEP and minutes.max() == pk.max_paid(z.kind)
        assert np.all(minutes % pk.STEP == 0)
        # The clip at the maximum stay less 30 minutes rarely binds.
        assert np.mean(minutes == pk.max_paid(z.kind)) < 0.08
    assert pk.PERIPHERY.rates[0] == pk.PERIPHERY.rates[1]  # no price variation, on purpose
    # Every amount is the grid's price of the step paid (a few 0 € tickets aside).
    expected = np.asarray(pk.price_cents(r.rate[p.reading], p.minutes))
    free = p.cents == 0
    assert 3 <= free.sum() <= 20 and np.all(p.cents[~free] == expected[~free])
    assert not np.any(p.app[free])
    # The app: about 40 %, rising; no meter for it.
    assert 0.37 < p.app.mean() < 0.43
    first_month = r.day[p.reading] < r.day.min() + 30
    last_month = r.day[p.reading] > r.day.max() - 30
    assert p.app[last_month].mean() > p.app[first_month].mean() + 0.05
    assert np.all((p.meter == 0) == p.app) and np.all((p.method == 2) == p.app)
    assert 0.65 < np.mean(p.method[~p.app] == 0) < 0.75  # card, else coins


def test_occupancy_looks_like_saint_malo(full):
    r = full.readings
    rate = r.occupied / r.capacity

    def mean(zone, **where):
        mask = r.zone == [z.code for z in pk.ZONES].index(zone)
        for name, value in where.items():
            values = getattr(r, name)
            mask &= np.isin(values, value) if isinstance(value, tuple) else values == value
        return rate[mask].mean()

    peak = (10, 11, 15, 16)
    intra_summer = mean("SM-INTRA", month=(7, 8), hour=peak, day_type=(pk.WEEKDAY, pk.SATURDAY))
    assert 0.80 < intra_summer < 0.95
    assert intra_summer > mean("SM-INTRA", month=(1, 2), hour=peak) + 0.08
    assert mean("SM-SERVAN", hour=peak) < mean("SM-INTRA", hour=peak)
    # Commuters at the station on weekdays; residents at night in Courtoisville.
    assert mean("SM-GARE", day_type=pk.WEEKDAY, hour=peak) > 1.3 * mean(
        "SM-GARE", day_type=pk.SATURDAY, hour=peak
    )
    assert mean("SM-COURTOISVILLE", hour=(0, 1, 2, 3, 4)) > 1.6 * mean(
        "SM-COURTOISVILLE", day_type=pk.WEEKDAY, hour=peak
    )
    # The cap (97 %) rarely binds; no reading above capacity.
    assert np.mean(rate[r.paid] >= pk.OCCUPANCY_CAP - 0.005) < 0.01
    assert np.all(r.occupied <= r.capacity)


def _ols_first_coefficient(y, x, cells, months):
    """OLS of y on x with a dummy per cell and per month (January the reference)."""
    _, cell = np.unique(cells, return_inverse=True)
    n = len(y)
    design = np.zeros((n, 1 + cell.max() + 1 + 11))
    design[:, 0] = x
    design[np.arange(n), 1 + cell] = 1.0
    later = months > 1
    design[np.flatnonzero(later), 1 + cell.max() + 1 + months[later] - 2] = 1.0
    return np.linalg.lstsq(design, y, rcond=None)[0][0]


def test_occupancy_elasticity_is_recovered(full):
    """log(occupancy rate) on log(price of one hour), with zone × day type × hour and month
    dummies, over the paid hours."""
    r = full.readings
    paid = r.paid & (r.occupied > 0)
    y = np.log(r.occupied[paid] / r.capacity[paid])
    x = np.log(r.rate[paid] / 100)
    cells = (r.zone[paid].astype(int) * 3 + r.day_type[paid]) * 24 + r.hour[paid]
    estimate = _ols_first_coefficient(y, x, cells, r.month[paid].astype(int))
    assert estimate == pytest.approx(pk.OCCUPANCY_ELASTICITY, rel=0.10)


def grouped_median(minutes):
    """The median of durations rounded up to the grid's steps, interpolated (log-linearly)
    within the step where the cumulative share crosses one half: the plain median of rounded
    durations moves by whole steps only, and the mean of their logs is biased by the rounding."""
    values = np.sort(minutes)
    steps = np.unique(values)
    below = np.searchsorted(values, steps, side="right") / len(values)
    j = int(np.searchsorted(below, 0.5))
    high, share_high = steps[j], below[j]
    low, share_low = (steps[j - 1], below[j - 1]) if j else (high - pk.STEP, 0.0)
    weight = (0.5 - share_low) / (share_high - share_low)
    return float(np.exp(np.log(low) + weight * (np.log(high) - np.log(low))))


def test_duration_elasticity_is_recovered(full):
    """log(median paid duration) of each zone × day type × hour × month on log(price of one
    hour), with zone × day type × hour and month dummies."""
    r, p = full.readings, full.payments
    at = p.reading
    cell = (r.zone[at].astype(np.int64) * 3 + r.day_type[at]) * 24 + r.hour[at]
    month = r.day[at].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    key = cell * 1000 + (month - month.min())
    keys, group, counts = np.unique(key, return_inverse=True, return_counts=True)
    order = np.argsort(group, kind="stable")
    bounds = np.r_[0, np.cumsum(counts)]
    medians, prices, cells, months = [], [], [], []
    for g, k in enumerate(keys):
        members = order[bounds[g] : bounds[g + 1]]
        if len(members) < 30:
            continue
        medians.append(grouped_median(p.minutes[members]))
        prices.append(r.rate[at[members[0]]] / 100)
        cells.append(k // 1000)
        months.append(r.month[at[members[0]]])
    assert len(medians) > 1500
    estimate = _ols_first_coefficient(
        np.log(medians), np.log(prices), np.array(cells), np.array(months, dtype=int)
    )
    assert estimate == pytest.approx(pk.DURATION_ELASTICITY, rel=0.15)


def test_fines(full):
    f, r = full.fines, full.readings
    shares = Counter(f.status.tolist())
    total = len(f.ids)
    for index, (_status, share) in enumerate(pk.FINE_STATUSES):
        # Paid ones turn unpaid when the export comes before their payment.
        assert abs(shares[index] / total - share) < 0.03
    fps = np.array([z.kind.fps for z in pk.ZONES])[r.zone[f.reading]]
    reduced = np.array([z.kind.fps_reduced for z in pk.ZONES])[r.zone[f.reading]]
    assert np.all(f.amount == fps)
    assert np.all(f.paid_amount == np.select([f.status == 0, f.status == 1], [fps, reduced], 0))
    paid = f.status <= 1
    delay = f.paid_day[paid] - r.day[f.reading][paid]
    assert delay.min() >= 0 and np.all(delay[f.status[paid] == 1] <= pk.REDUCED_DAYS)
    assert np.all(f.paid_day[~paid] == -1)
    assert f.paid_day.max() <= np.datetime64(pk.END).astype(int)
    assert all(re.fullmatch(r"[A-HJ-NP-TV-Z]{2}-\d{3}-[A-HJ-NP-TV-Z]{2}", p) for p in f.plates)


def test_same_seed_same_data_other_seed_other_data():
    window = (date(2025, 11, 20), date(2025, 12, 10))
    one = pk.simulate(random.Random("x"), *window)
    again = pk.simulate(random.Random("x"), *window)
    other = pk.simulate(random.Random("y"), *window)
    assert one.payments.ids == again.payments.ids
    assert np.array_equal(one.readings.occupied, again.readings.occupied)
    assert not np.array_equal(one.readings.occupied, other.readings.occupied)


# --------------------------------------------------------------------------------------------
# The files, loaded


@pytest.fixture
def loaded(db, small_snapshot_path, warehouse, tmp_path):
    """Saint-Malo, the parking files of the tests' window, loaded as `pilotis demo` does."""
    load_snapshot(small_snapshot_path)
    pipeline._INDEX.clear()
    tenant = TenantFactory(code=pk.SAINT_MALO, name="Saint-Malo")
    territory = Territory(epci=tenant, communes=[tenant], folder=tmp_path / "demo")
    generator = pk.ParkingGenerator()
    paths = generator.write(territory)
    summary = generator.load(territory, paths)
    return tenant, territory, generator, paths, summary


def _table(tenant, table):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Paris'")
    storage.register(con, table, tenant.code, table)
    return con


def test_every_file_loads_and_only_the_broken_lines_go_to_quarantine(loaded):
    tenant, territory, generator, paths, summary = loaded
    sim = generator.simulation
    assert (sim.first, sim.last) == pk.period() and sim.first < pk.TARIFF_CHANGE < sim.last
    runs = dict(zip([s.source for s in pk.SOURCES], generator.runs, strict=True))
    expected = {
        "stationnement-zones": len(pk.ZONES),
        "stationnement-tarifs": len(pk.tariff_lines()),
        "stationnement-occupation": len(sim.readings.epoch),
        "stationnement-paiements": len(sim.payments.ids),
        "stationnement-fps": len(sim.fines.ids),
    }
    for name, run in runs.items():
        assert run.status == LoadRun.Status.SUCCEEDED, (name, run.error)
        assert run.rows_read == expected[name] == run.rows_loaded + run.rows_quarantined, name
        broken = len(generator.broken) if name == "stationnement-paiements" else 0
        assert run.rows_quarantined == broken, name
    assert len(generator.broken) == len(pk.BROKEN_KINDS)
    reasons = {}
    for row in pipeline.quarantine_rows(runs["stationnement-paiements"]):
        record = json.loads(row["record"])
        reasons[record["N° transaction"]] = [
            (r["field"], r["rule"]) for r in json.loads(row["reasons"])
        ]
    assert reasons == {b.ident: [b.reason] for b in generator.broken}
    assert summary.startswith("Saint-Malo : 5 zones, ") and "2 lignes en quarantaine" in summary

    # The encodings of real exports.
    files = {path.name: path.read_bytes() for path in paths}
    assert files[pk.ZONES_FILE].startswith(b"\xef\xbb\xbf")
    assert "Paramé – Rochebonne".encode() in files[pk.ZONES_FILE]
    for name in (pk.TARIFFS_FILE, pk.PAYMENTS_FILE, pk.FINES_FILE):
        assert "(€)".encode("cp1252") in files[name].splitlines()[0], name
    assert files[pk.OCCUPANCY_FILE].splitlines()[1].startswith(b"SM-")

    # Loaded again (the demo run twice): nothing changes.
    generator.load(territory, paths)
    assert all(run.rows_inserted == run.rows_updated == 0 for run in generator.runs)


def test_the_warehouse_tables(loaded):
    tenant, _territory, generator, _paths, _summary = loaded
    sim = generator.simulation
    # Tariffs: one hour in intra-muros, 2.00 € before the change and 2.50 € after.
    con = _table(tenant, "parking_tariffs")
    one_hour = con.sql(
        """SELECT valid_from, valid_to, price FROM parking_tariffs
           WHERE zone_code = 'SM-INTRA' AND day_type = 'weekday' AND step_minutes = 60
             AND CAST(band_start AS VARCHAR) LIKE '09:00%' ORDER BY valid_from"""
    ).fetchall()
    assert one_hour == [
        (pk.OLD_GRID_FROM, date(2025, 11, 30), 2.0),
        (pk.TARIFF_CHANGE, None, 2.5),
    ]
    grids = con.sql(
        """SELECT zone_code, day_type, band_start, valid_from, max(step_minutes),
                  arg_max(price, step_minutes), max(fps_amount), min(fps_amount),
                  max(max_stay_minutes), max(free_minutes), count(*)
           FROM parking_tariffs GROUP BY ALL"""
    ).fetchall()
    assert len(grids) == len(pk.ZONES) * 2 * 2 * 3
    for zone, _day, _band, _from, last_step, last_price, fps, fps_min, max_stay, free, n in grids:
        kind = next(z.kind for z in pk.ZONES if z.code == zone)
        assert last_step == max_stay == kind.max_stay and free == 0
        assert last_price == fps == fps_min == kind.fps  # the tarif dissuasif
        assert n == len(pk.grid_steps(kind, 100))

    # Payments: every amount is the grid's price of its step (the 0 € tickets aside, flagged).
    con = _table(tenant, "parking_payments")
    storage.register(con, "parking_tariffs", tenant.code, "parking_tariffs")
    joined, mismatched, free, flagged, apps, app_methods = con.sql(
        """SELECT count(*), count(*) FILTER (WHERE p.amount > 0 AND p.amount <> t.price),
                  count(*) FILTER (WHERE p.amount = 0),
                  count(*) FILTER (WHERE p.data_flags = 'paid_nothing'),
                  count(*) FILTER (WHERE p.channel = 'app'),
                  count(*) FILTER (WHERE p.payment_method = 'app')
           FROM parking_payments p JOIN parking_tariffs t
             ON t.zone_code = p.zone_code AND t.step_minutes = p.paid_minutes
            AND t.day_type = CASE WHEN dayofweek(p.start_datetime) = 6 THEN 'saturday'
                                  ELSE 'weekday' END
            AND CAST(t.band_start AS VARCHAR) LIKE '09:00%'
            AND CAST(p.start_datetime AS DATE) BETWEEN t.valid_from
                AND coalesce(t.valid_to, DATE '9999-12-31')"""
    ).fetchall()[0]
    loaded_payments = len(sim.payments.ids) - len(generator.broken)
    broken_apps = sum(1 for b in generator.broken if b.ident.startswith("APP-"))
    assert joined == loaded_payments and mismatched == 0
    assert apps == app_methods == int(sim.payments.app.sum()) - broken_apps
    assert free == flagged == int((sim.payments.cents == 0).sum()) >= 3
    hours, durations = con.sql(
        """SELECT list_sort(list(DISTINCT hour(start_datetime))),
                  count(*) FILTER (WHERE end_datetime - start_datetime
                                   = to_minutes(CAST(paid_minutes AS BIGINT)))
           FROM parking_payments"""
    ).fetchall()[0]
    assert hours == list(range(9, 19)) and durations == loaded_payments

    # Occupancy: hourly sensor readings, every local hour, nothing over capacity.
    con = _table(tenant, "parking_occupancy")
    rows, zones, segments, periods, methods, over, local_hours = con.sql(
        """SELECT count(*), count(DISTINCT zone_code), list(DISTINCT segment),
                  list(DISTINCT period_minutes), list(DISTINCT method),
                  count(*) FILTER (WHERE data_flags IS NOT NULL),
                  count(DISTINCT hour(observed_datetime))
           FROM parking_occupancy"""
    ).fetchall()[0]
    assert rows == len(sim.readings.epoch) and zones == len(pk.ZONES)
    assert (segments, periods, methods, over, local_hours) == (["all"], [60], ["sensor"], 0, 24)
    first = con.sql(
        "SELECT min(observed_datetime), max(observed_datetime) FROM parking_occupancy"
    ).fetchall()[0]
    assert first[0].date() == sim.first and (first[0].hour, first[1].hour) == (0, 23)
    assert first[1].date() == sim.last

    # Zones and fines.
    con = _table(tenant, "parking_zones")
    zones = con.sql(
        "SELECT zone_code, name, commune_insee, kind, facility, capacity, lat FROM parking_zones"
    ).fetchall()
    assert sorted(zones) == sorted(
        (z.code, z.name, "35288", z.kind.code, "on_street", z.capacity, z.lat) for z in pk.ZONES
    )
    con = _table(tenant, "parking_fines")
    statuses = dict(con.sql("SELECT status, count(*) FROM parking_fines GROUP BY 1").fetchall())
    assert set(statuses) <= {s for s, _share in pk.FINE_STATUSES} and sum(statuses.values()) == len(
        sim.fines.ids
    )
    inconsistent = con.sql(
        """SELECT count(*) FROM parking_fines
           WHERE (status IN ('paid', 'reduced')) <> (paid_amount IS NOT NULL)
              OR (status IN ('paid', 'reduced')) <> (paid_date IS NOT NULL)
              OR (status = 'paid' AND paid_amount <> amount)
              OR (status = 'reduced' AND paid_amount >= amount)
              OR paid_date < CAST(issued_datetime AS DATE)
              OR NOT regexp_full_match(plate, '[A-Z]{2}-[0-9]{3}-[A-Z]{2}')"""
    ).fetchall()[0][0]
    assert inconsistent == 0
