"""Real public parking data loads through `pilotis ingest` with the mappings shipped in
pilotis/parking/mappings.

The files (tests/parking/data/real, see SOURCES.md there): the Charlottesville meter pilot's
27,661 payments (2017), 90,576 occupancy readings of Montpellier's 24 car parks (2026) and 21,261
daily entries/exits of 13 SFpark garages (2011–2013). Every expectation is recomputed here from
the files with the csv module and pandas — never copied from what Pilotis printed.
"""

from __future__ import annotations

import csv
import json
import re
from io import StringIO
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from django.core.management import call_command

from pilotis.connectors import pipeline
from pilotis.connectors.mapping import Mapping
from pilotis.connectors.models import LoadRun
from pilotis.warehouse import storage
from tests.tenants.factories import TenantFactory

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data" / "real"
MAPPINGS = ROOT / "pilotis" / "parking" / "mappings"
CHARLOTTESVILLE = DATA / "charlottesville_meter_pilot_transactions_2017.csv"
MONTPELLIER = DATA / "montpellier_parkings_occupancy_2026.csv"
SFPARK = DATA / "sfpark_garages_daily_entries_exits_2011_2013.csv"
FILES = {
    "charlottesville.yaml": ("parking_payments", CHARLOTTESVILLE),
    "montpellier.yaml": ("parking_occupancy", MONTPELLIER),
    "sfpark.yaml": ("parking_occupancy", SFPARK),
}
# Charlottesville's payment types, as the test reads them (the mapping's list, written again).
METHODS = {
    "Credit Card": "card",
    "Online Credit Card": "card",
    "Online Auth Complete - Session Pending": "card",
    "Coins": "coins",
}


# --- set-up -----------------------------------------------------------------------------------


@pytest.fixture
def tenant(db, warehouse):
    """A fresh tenant and an empty warehouse in the test's temporary folder."""
    pipeline._INDEX.clear()
    return TenantFactory(code="35288", name="Saint-Malo")


def ingest(tenant, mapping: str) -> dict[str, Any]:
    """`pilotis ingest … --json` of the mapping's file, as a script runs it."""
    table, path = FILES[mapping]
    out = StringIO()
    call_command(
        "ingest",
        "--tenant",
        tenant.code,
        "--table",
        table,
        str(path),
        "--mapping",
        str(MAPPINGS / mapping),
        "--json",
        stdout=out,
    )
    return json.loads(out.getvalue())


def stored(code: str, table: str) -> pd.DataFrame:
    """The tenant's table as the warehouse holds it (instants in UTC)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    assert storage.register(con, "t", code, table)
    frame = con.sql("SELECT * FROM t").df()
    con.close()
    return frame


def check_every_row_accounted_for(result: dict[str, Any], read: int) -> list[dict[str, Any]]:
    """Rows read (counted by the caller, not by Pilotis) = rows loaded + rows quarantined, and
    every quarantined row says why. Returns the quarantined rows, reasons and record decoded."""
    assert result["read"] == read
    assert result["loaded"] + result["quarantined"] == read
    run = LoadRun.objects.get(pk=result["load_id"])
    rows = [
        {**row, "reasons": json.loads(row["reasons"]), "record": json.loads(row["record"])}
        for row in pipeline.quarantine_rows(run)
    ]
    assert len(rows) == result["quarantined"]
    for row in rows:
        assert row["reasons"], row
        for reason in row["reasons"]:
            assert reason["field"] and reason["rule"], row
    return rows


def check_reload_is_a_no_op(tenant, mapping: str, first: dict[str, Any]) -> None:
    """The same file again: the same natural keys and values, nothing written."""
    table, _path = FILES[mapping]
    before = stored(tenant.code, table)
    version = storage.current_version(tenant.code, table)
    again = ingest(tenant, mapping)
    assert again["version"] is None
    assert (again["read"], again["loaded"], again["quarantined"]) == (
        first["read"],
        first["loaded"],
        first["quarantined"],
    )
    run = LoadRun.objects.get(pk=again["load_id"])
    assert (run.rows_inserted, run.rows_updated) == (0, 0)
    assert storage.current_version(tenant.code, table) == version
    after = stored(tenant.code, table)
    assert len(after) == len(before)
    assert set(after["_row_hash"]) == set(before["_row_hash"])


def csv_rows(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.DictReader(f))


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def local(values: pd.Series, fmt: str, zone: str) -> pd.Series:
    """Local wall-clock times as UTC instants (no DST ambiguity in these files: raise if any)."""
    parsed = pd.to_datetime(values, format=fmt)
    moments = parsed.dt.tz_localize(zone, ambiguous="raise", nonexistent="raise")
    return moments.dt.tz_convert("UTC").dt.as_unit("us")


def utc(values: pd.Series) -> pd.Series:
    """Stored instants as pandas UTC timestamps (microseconds, as the warehouse keeps them)."""
    return pd.to_datetime(values, utc=True).dt.as_unit("us")


# --- the mapping files ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FILES))
def test_mapping_file_parses_and_its_run_line_names_its_table_and_file(name):
    text = (MAPPINGS / name).read_text(encoding="utf-8")
    mapping = Mapping.from_yaml(text)
    table, path = FILES[name]
    assert mapping.table == table
    run = re.search(r"^#\s+pilotis ingest (.+)$", text, re.MULTILINE)
    assert run, "the header says how to run it"
    assert run.group(1).split() == [
        "--tenant",
        "CODE",
        "--table",
        table,
        str(path.relative_to(ROOT)),
        "--mapping",
        f"pilotis/parking/mappings/{name}",
    ]
    assert path.exists()


# --- Charlottesville meter payments -------------------------------------------------------------


@pytest.mark.django_db
def test_charlottesville_payments_load_with_amounts_durations_and_starts(tenant):
    result = ingest(tenant, "charlottesville.yaml")
    rejected = check_every_row_accounted_for(result, csv_rows(CHARLOTTESVILLE))
    source = read_csv(CHARLOTTESVILLE)
    # Nothing breaks the schema's rules: every row loads (failed payments included, at 0 $).
    assert rejected == [] and result["loaded"] == len(source) == 27_661
    dropped = {row["record"]["recordid"] for row in rejected}
    loaded = source[~source["recordid"].isin(dropped)].set_index("recordid")
    rows = stored(tenant.code, "parking_payments").set_index("transaction_id")
    assert len(rows) == len(loaded) and set(rows.index) == set(loaded.index)
    rows = rows.loc[loaded.index]

    # Amounts: the sum of `total` over the loaded rows (all of them: SOURCES.md's $51,442.19).
    total = loaded["total"].astype(float)
    assert rows["amount"].sum() == pytest.approx(total.sum(), abs=0.005)
    assert rows["amount"].sum() == pytest.approx(51_442.19, abs=0.005)
    assert (rows["amount"] - total).abs().max() < 1e-9
    # Revenue per meter.
    per_meter = rows.groupby("zone_code")["amount"].sum()
    expected_per_meter = total.groupby(loaded["spacename"]).sum()
    assert len(per_meter) == 41
    pd.testing.assert_series_equal(
        per_meter.sort_index(), expected_per_meter.sort_index(), check_names=False, atol=0.005
    )
    assert (rows["zone_code"] == loaded["spacename"]).all()
    assert (rows["meter_id"] == loaded["spacename"]).all()

    # Durations in minutes, seconds kept: "00:08:20" is 8.333… minutes.
    duration = pd.to_timedelta(loaded["totalparkingtime"])
    minutes = duration.dt.total_seconds() / 60
    assert (rows["paid_minutes"] - minutes).abs().max() < 1e-9
    assert rows.loc["2", "paid_minutes"] == 60
    assert rows["paid_minutes"].max() == 240  # up to 4 h
    assert (rows["paid_minutes"] == 0).sum() == (duration == pd.Timedelta(0)).sum() == 1_385

    # End: the local Charlottesville time, as an instant.
    end = local(loaded["parkingendtime"], "%m/%d/%Y %I:%M:%S %p", "America/New_York")
    assert (utc(rows["end_datetime"]) == end).all()
    # Start, derived by the schema: end − the exact duration, which is the payment instant.
    start = utc(rows["start_datetime"])
    paid_at = end - duration
    assert (start == paid_at).all()
    # …and the payment instant is what the source's 12-hour `time_payment` (no AM/PM) says, on
    # the day of `date_payment`.
    clock = paid_at.dt.tz_convert("America/New_York")
    assert (clock.dt.strftime("%I:%M:%S") == loaded["time_payment"]).all()
    assert (clock.dt.strftime("%Y/%m/%d") == loaded["date_payment"].str[:10]).all()
    # A few rows read by hand in the file (EDT is UTC−4).
    for record, (start_utc, end_utc, paid) in {
        # paid 02:32:19 PM for 1 h, ends 03:32:19 PM
        "2": ("2017-09-15 18:32:19", "2017-09-15 19:32:19", 60),
        # paid 01:53:25 PM for 2 h, ends 03:53:25 PM
        "4": ("2017-09-15 17:53:25", "2017-09-15 19:53:25", 120),
        # paid 05:04:16 PM for 1 h, which extends the same plate's session (record 22) to
        # 07:23:31 PM: 2:19:15 = 139.25 min from payment to end.
        "21": ("2017-09-14 21:04:16", "2017-09-14 23:23:31", 139.25),
    }.items():
        assert start[record] == pd.Timestamp(start_utc, tz="UTC")
        assert end[record] == pd.Timestamp(end_utc, tz="UTC")
        assert rows.loc[record, "paid_minutes"] == pytest.approx(paid)

    # Payment methods and channel.
    expected_methods = loaded["transactiontype"].str.strip().map(METHODS).fillna("other")
    assert rows["payment_method"].value_counts().to_dict() == (
        expected_methods.value_counts().to_dict()
    )
    assert (rows["payment_method"] == "card").sum() == 16_613 + 8 + 65
    assert (rows["payment_method"] == "coins").sum() == 10_717
    assert set(rows["channel"]) == {"meter"}

    # 0-dollar rows (every failed card payment, and the maintenance records) flagged.
    flagged = rows["data_flags"].fillna("") == "paid_nothing"
    assert (flagged == (total == 0)).all() and flagged.sum() == 745
    status = loaded["transactionstatus"]
    failed = status.isin(["Declined", "Transaction Cancelled", "No Time Purchased"])
    failed |= status == "RTCC Processing"
    assert failed.sum() == 434 and flagged[failed].all()
    assert rows["data_flags"].isna().sum() == len(rows) - 745
    # The cash has no status: keeping "Approved" rows only would lose it.
    assert total[status == "Approved"].sum() == pytest.approx(42_200.19, abs=0.005)
    assert total[loaded["transactiontype"] == "Coins"].sum() == pytest.approx(9_242.0)
    assert (status[loaded["transactiontype"] == "Coins"] == "").all()
    # Paid for no time: loaded at 0 minutes, not flagged.
    paid_no_time = (total > 0) & (duration == pd.Timedelta(0))
    assert paid_no_time.sum() == 893 and total[paid_no_time].sum() == pytest.approx(223.07)
    assert rows.loc[paid_no_time, "data_flags"].isna().all()
    assert (rows.loc[paid_no_time, "paid_minutes"] == 0).all()
    # The run time is longer than the time bought on 5,822 rows (never shorter).
    purchased = pd.to_timedelta(loaded["timepurchased"])
    assert (duration >= purchased).all() and (duration > purchased).sum() == 5_822

    check_reload_is_a_no_op(tenant, "charlottesville.yaml", result)


# --- Montpellier car-park occupancy -------------------------------------------------------------


@pytest.mark.django_db
def test_montpellier_occupancy_loads_with_occupied_derived(tenant):
    result = ingest(tenant, "montpellier.yaml")
    rejected = check_every_row_accounted_for(result, csv_rows(MONTPELLIER))
    source = read_csv(MONTPELLIER)
    assert rejected == [] and result["loaded"] == len(source) == 90_576
    free = source["plazas_libres"].astype(int)
    capacity = source["capacidad_total"].astype(int)
    # What would have been quarantined or flagged, checked on the file: nothing.
    assert not source.duplicated(["nombre_parking", "fecha_lectura"]).any()
    assert (free >= 0).all() and (free <= capacity).all()
    source["observed"] = local(source["fecha_lectura"], "%Y-%m-%d %H:%M:%S", "Europe/Paris")
    source["occupied"] = capacity - free

    rows = stored(tenant.code, "parking_occupancy")
    rows["observed"] = utc(rows["observed_datetime"])
    key = ["zone_code", "observed"]
    rows = rows.set_index(key).sort_index()
    expected = source.rename(columns={"nombre_parking": "zone_code"}).set_index(key).sort_index()
    assert rows.index.equals(expected.index)
    assert (rows["free_spaces"] == expected["plazas_libres"].astype(int)).all()
    assert (rows["capacity"] == expected["capacidad_total"].astype(int)).all()
    assert (rows["occupied"] == rows["capacity"] - rows["free_spaces"]).all()
    assert (rows["occupied"] == expected["occupied"]).all()
    assert set(rows["segment"]) == {"all"}
    assert set(rows["period_minutes"]) == {0}
    assert set(rows["method"]) == {"counter"}
    assert rows["entries"].isna().all() and rows["exits"].isna().all()
    assert rows["data_flags"].isna().all()

    # Readings per car park, and the mean occupancy rate of each.
    counts = rows.groupby(level="zone_code").size()
    assert counts.to_dict() == source["nombre_parking"].value_counts().to_dict()
    assert len(counts) == 24 and set(counts) == {3_774}
    rate = (rows["occupied"] / rows["capacity"]).groupby(level="zone_code").mean()
    expected_rate = (source["occupied"] / capacity).groupby(source["nombre_parking"]).mean()
    pd.testing.assert_series_equal(
        rate.sort_index(), expected_rate.sort_index(), check_names=False, rtol=1e-12
    )
    assert rate["Gaumont OUEST"] == pytest.approx(0.98)  # the stuck counter (5 free of 250)
    assert rate.idxmin() == "Garcia Lorca" and rate.drop("Gaumont OUEST").idxmax() == (
        "Arc de Triomphe"
    )

    check_reload_is_a_no_op(tenant, "montpellier.yaml", result)


# --- SFpark garages' daily entries and exits ----------------------------------------------------


@pytest.mark.django_db
def test_sfpark_daily_entries_and_exits_load_per_garage_and_usage_type(tenant):
    # pandas wrote its row index first, under an empty name: read as `index`, not mapped.
    assert open(SFPARK, encoding="utf-8").readline().startswith(",Usage Type,")
    result = ingest(tenant, "sfpark.yaml")
    rejected = check_every_row_accounted_for(result, csv_rows(SFPARK))
    source = read_csv(SFPARK)
    assert rejected == [] and result["loaded"] == len(source) == 21_261
    source["entries"] = source["entries"].astype(int)
    source["exits"] = source["exits"].astype(int)

    rows = stored(tenant.code, "parking_occupancy")
    assert "index" not in rows.columns
    assert len(rows) == len(source)
    for by, column in (("zone_code", "facility"), ("segment", "Usage Type")):
        for count in ("entries", "exits"):
            got = rows.groupby(by)[count].sum().sort_index()
            want = source.groupby(column)[count].sum().sort_index()
            pd.testing.assert_series_equal(got, want, check_names=False, check_dtype=False)
    assert len(set(rows["zone_code"])) == 13
    assert rows["entries"].sum() == source["entries"].sum()
    by_segment = rows.groupby("segment")[["entries", "exits"]].sum()
    assert by_segment.loc["Transient", "entries"] - by_segment.loc["Transient", "exits"] == (
        175_130
    )
    # Per garage, usage type and day.
    both = rows.assign(observed=utc(rows["observed_datetime"])).set_index(
        ["zone_code", "segment", "observed"]
    )
    source["observed"] = local(source["date"], "%m/%d/%Y", "America/Los_Angeles")
    want = source.set_index(["facility", "Usage Type", "observed"])
    both = both.sort_index()
    want = want.sort_index()
    assert both.index.equals(want.index)
    assert (both["entries"].to_numpy() == want["entries"].to_numpy()).all()
    assert (both["exits"].to_numpy() == want["exits"].to_numpy()).all()
    # Daily totals at local midnight.
    observed = utc(rows["observed_datetime"]).dt.tz_convert("America/Los_Angeles")
    assert (observed.dt.strftime("%H:%M:%S") == "00:00:00").all()
    assert observed.min().date().isoformat() == "2011-04-01"
    assert observed.max().date().isoformat() == "2013-05-31"
    assert set(rows["period_minutes"]) == {1440}
    assert set(rows["method"]) == {"counter"}
    for empty in ("capacity", "free_spaces", "occupied", "data_flags"):
        assert rows[empty].isna().all(), empty
    # Thanksgiving 2011 at 16th and Hoff: 6 entries (SOURCES.md).
    thanksgiving = observed.dt.date.astype(str) == "2011-11-24"
    hoff = rows["zone_code"] == "16th and Hoff Garage"
    assert rows.loc[thanksgiving & hoff, "entries"].sum() == 6

    check_reload_is_a_no_op(tenant, "sfpark.yaml", result)
