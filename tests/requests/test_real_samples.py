"""Real public samples load through `pilotis ingest` with the mappings shipped in
pilotis/requests/mappings, and the requests page works on them.

The samples (tests/requests/data/real, see SOURCES.md there): San Francisco 311 (10,000 cases,
2008–2016, open ones included), NYC 311 (1,000 requests), Paris DansMaRue (9 reports, French
layout), a real Open311 GeoReport v2 answer of Chicago (50 requests, 7 `submitted` ones without
an id) and the spec's XML example. Every expectation is recomputed here from the files with the
csv/json modules, pandas and lifelines — never copied from what Pilotis printed.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from lifelines import KaplanMeierFitter

from pilotis.connectors import pipeline
from pilotis.connectors.models import LoadRun, Source
from pilotis.referential.load import load_snapshot
from pilotis.referential.models import Commune, Departement, Region, Theme
from pilotis.requests import indicators, page
from pilotis.requests.data import DELAY_EXCLUDING_FLAGS, Period, Scope, connect
from pilotis.warehouse import storage
from tests.connectors.servers import FixtureServer, Reply
from tests.tenants.factories import TenantFactory

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data" / "real"
MAPPINGS = ROOT / "pilotis" / "requests" / "mappings"
SF = DATA / "sf311_cases_sample_2008_2016.csv"
NYC = DATA / "nyc311_sample_2014_2019.csv"
DANSMARUE = DATA / "dansmarue_paris_sample_2017.csv"
CHICAGO = DATA / "chicago_requests_2012-12-01.json"
SPEC_XML = DATA / "cfa_service_requests.xml"

PARIS = ZoneInfo("Europe/Paris")
US_FORMAT = "%m/%d/%Y %I:%M:%S %p"
# The demo territory's themes (pilotis/demo/generators): what the mappings' categories point at.
THEMES = {
    "VOIRIE": "Voirie et déplacements",
    "PROPRETE": "Propreté",
    "ESPACES-VERTS": "Espaces verts et nature en ville",
    "ECLAIRAGE": "Éclairage public",
    "BRUIT": "Tranquillité et bruit",
    "STATIONNEMENT": "Stationnement",
    "DECHETS": "Déchets",
    "ETAT-CIVIL": "État civil et citoyenneté",
    "AUTRE": "Autres demandes",
}
# The channels the mappings give, written again here from the sources' documentation.
SF_CHANNELS = {
    "Voice In": "phone",
    "Web Self Service": "web",
    "Open311": "mobile",
    "Twitter": "social",
    "e-mail In": "email",
    "Mail In": "mail",
}
NYC_CHANNELS = {"PHONE": "phone", "ONLINE": "web", "MOBILE": "mobile"}


# --- set-up -----------------------------------------------------------------------------------


@pytest.fixture
def tenant(db, small_snapshot_path, warehouse):
    """Saint-Malo with the demo territory's themes and the small real referential (six communes
    of Ille-et-Vilaine: no Paris)."""
    load_snapshot(small_snapshot_path)
    pipeline._INDEX.clear()
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    for code, label in THEMES.items():
        Theme.objects.create(tenant=tenant, code=code, label=label)
    return tenant


def ingest(*args: str) -> dict[str, Any]:
    """`pilotis ingest … --json`, as a script runs it."""
    out = StringIO()
    call_command("ingest", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def ingest_file(tenant, path: Path, mapping: str) -> dict[str, Any]:
    return ingest(
        "--tenant",
        tenant.code,
        "--table",
        "requests",
        str(path),
        "--mapping",
        str(MAPPINGS / mapping),
    )


def stored(code: str) -> pd.DataFrame:
    """The tenant's requests table as the warehouse holds it."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    assert storage.register(con, "r", code, "requests")
    frame = con.sql("SELECT * FROM r").df()
    con.close()
    return frame


def quarantined(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The load's quarantined rows, each with its reasons and its source record decoded."""
    run = LoadRun.objects.get(pk=result["load_id"])
    return [
        {**row, "reasons": json.loads(row["reasons"]), "record": json.loads(row["record"])}
        for row in pipeline.quarantine_rows(run)
    ]


def check_every_row_accounted_for(result: dict[str, Any], read: int) -> list[dict[str, Any]]:
    """Rows read (counted by the caller, not by Pilotis) = rows loaded + rows quarantined, and
    every quarantined row says why."""
    assert result["read"] == read
    assert result["loaded"] + result["quarantined"] == read
    rows = quarantined(result)
    assert len(rows) == result["quarantined"]
    for row in rows:
        assert row["reasons"], row
        for reason in row["reasons"]:
            assert reason["field"] and reason["rule"], row
    return rows


def csv_rows(path: Path, delimiter: str = ",") -> int:
    with open(path, encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.DictReader(f, delimiter=delimiter))


def read_csv(path: Path, **kwargs: Any) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, **kwargs)


def local_times(values: pd.Series, zone: str) -> pd.Series:
    """US-style local times ("04/30/2014 02:51:52 PM") as instants; empty → NaT."""
    parsed = pd.to_datetime(values.replace("", None), format=US_FORMAT)
    return parsed.dt.tz_localize(zone, ambiguous="raise", nonexistent="raise")


def paris_days(moments: pd.Series) -> pd.Series:
    return moments.dt.tz_convert(PARIS).dt.date


def usable_for_delays(requested: pd.Series, closed: pd.Series) -> pd.Series:
    """What the delays keep (pilotis/requests/data.py DELAY_EXCLUDING_FLAGS, and any request
    closed before it was requested), written from the schema's flag rules: not closed before
    requested, not closed within the first minute."""
    assert set(DELAY_EXCLUDING_FLAGS) == {"closed_before_requested", "closed_instantly"}
    return closed.isna() | (closed >= requested + pd.Timedelta(minutes=1))


def lifelines_median_days(requested: pd.Series, closed: pd.Series, cut: pd.Timestamp) -> float:
    """Kaplan–Meier median time to close in days, requests open at `cut` censored there."""
    keep = usable_for_delays(requested, closed) & (requested < cut)
    requested, closed = requested[keep], closed[keep]
    event = closed.notna() & (closed <= cut)
    end = closed.where(event, cut)
    durations = (end - requested).dt.total_seconds() / 86_400
    fitter = KaplanMeierFitter().fit(durations, event_observed=event)
    return float(fitter.median_survival_time_)


def counts_of(values: pd.Series) -> dict[str | None, int]:
    """How many times each value occurs, empty ones (None or NaN) under None."""
    return {
        (None if pd.isna(key) else key): int(n)
        for key, n in values.value_counts(dropna=False).items()
    }


def labels() -> page.Labels:
    return page.Labels(categories=dict(THEMES))


def default_period(requested: pd.Series, as_of: datetime) -> Period:
    """The page's default period, recomputed: the last twelve months of data (365 days up to
    the last day with a request, or up to today when earlier)."""
    days = paris_days(requested)
    end = min(as_of.astimezone(PARIS).date(), days.max())
    return Period(max(days.min(), end - timedelta(days=364)), end)


def leading_count(sentence: str) -> int:
    """The number the volume sentence starts with ("9,530 requests from …")."""
    match = re.match(r"^([\d,.\u202f\xa0 ]+?) requests? from ", sentence)
    assert match, sentence
    return int(re.sub(r"\D", "", match.group(1)))


def check_page(code: str, requested: pd.Series, closed: pd.Series, as_of: datetime) -> page.Page:
    """The page builds on the loaded rows, and its first answer states the count of requests of
    its default period and how many are open at `as_of`, recomputed from the source."""
    with translation.override("en"):
        built = page.build(Scope((code,)), labels(), period=None, as_of=as_of, targets={})
    assert built is not None
    period = default_period(requested, as_of)
    assert built.period == period
    days = paris_days(requested)
    expected = int(((days >= period.start) & (days <= period.end)).sum())
    assert expected > 0
    assert built.facts["requests"] == expected
    assert leading_count(built.answers[0].text) == expected
    at = pd.Timestamp(as_of)
    still_open = int(((requested <= at) & (closed.isna() | (closed > at))).sum())
    assert built.facts["open_now"] == still_open
    match = re.search(r"\. ([\d,]+) (?:is|are) open today", built.answers[0].text)
    assert match and int(match.group(1).replace(",", "")) == still_open, built.answers[0].text
    return built


# --- San Francisco 311 --------------------------------------------------------------------------


@pytest.fixture
def sf(tenant, tmp_path):
    """The SF sample loaded; the source as pandas reads it, restricted to the loaded rows."""
    result = ingest_file(tenant, SF, "sf311.yaml")
    rejected = check_every_row_accounted_for(result, csv_rows(SF))
    source = read_csv(SF)
    dropped = {row["record"]["CaseID"] for row in rejected}
    loaded = source[~source["CaseID"].isin(dropped)].copy()
    loaded["opened"] = local_times(loaded["Opened"], "America/Los_Angeles")
    loaded["closed"] = local_times(loaded["Closed"], "America/Los_Angeles")
    loaded["updated"] = local_times(loaded["Updated"], "America/Los_Angeles")
    return result, rejected, source, loaded


@pytest.mark.django_db
def test_sf311_sample_as_published_loads_its_nameless_first_column_as_index(tenant, sf):
    # R's write.csv starts the file with the row number under an empty name: read as `index`.
    assert open(SF, encoding="utf-8").readline().startswith('"",')
    result, _rejected, _source, _loaded = sf
    assert result["read"] == result["loaded"] == 10_000


@pytest.mark.django_db
def test_sf311_loads_with_its_statuses_channels_and_data_traps_flagged(tenant, sf):
    result, rejected, source, loaded = sf
    # Every case of the sample passes the mapping: nothing needs quarantining.
    assert rejected == [] and result["loaded"] == len(source) == 10_000
    rows = stored(tenant.code).set_index("service_request_id")
    assert len(rows) == len(loaded)
    assert rows["status"].value_counts().to_dict() == (
        loaded["Status"].str.lower().value_counts().to_dict()
    )
    assert (rows["status"] == "closed").sum() == 9_530  # SOURCES.md, minus nothing quarantined
    # Channels: the documented ones mapped, the others (Integrated Agency…) left empty.
    expected_channels = loaded["Source"].map(SF_CHANNELS)
    assert counts_of(rows["channel"]) == counts_of(expected_channels)
    assert (
        counts_of(rows["channel"])[None]
        == loaded["Source"].isin(["Integrated Agency", "Other Department"]).sum()
    )
    assert rows["category"].isna().sum() == 0 and set(rows["category"]) <= set(THEMES)
    by_id = loaded.set_index("CaseID")
    # Dates: local San Francisco times, stored as instants; no Closed date, no closing.
    for column, parsed in (
        ("requested_datetime", "opened"),
        ("closed_datetime", "closed"),
        ("updated_datetime", "updated"),
    ):
        values, expected = rows.loc[by_id.index, column], by_id[parsed].dt.tz_convert("UTC")
        assert (values.isna() == expected.isna()).all()
        assert (values[expected.notna()] == expected[expected.notna()]).all()
    # Data traps, counted by pandas from the file: flagged, not dropped.
    before = set(by_id.index[by_id["closed"] < by_id["opened"]])
    instantly = set(
        by_id.index[
            (by_id["closed"] >= by_id["opened"])
            & (by_id["closed"] < by_id["opened"] + pd.Timedelta(minutes=1))
        ]
    )
    assert len(before) == 129  # as SOURCES.md measured
    flags = rows["data_flags"].fillna("")
    assert set(rows.index[flags.str.contains("closed_before_requested")]) == before
    assert set(rows.index[flags.str.contains("closed_instantly")]) == instantly
    assert (flags != "").sum() == len(before) + len(instantly)
    # Photos: every Media.URL is a URI, so all are kept.
    assert rows["media_url"].notna().sum() == (loaded["Media.URL"] != "").sum() > 0


@pytest.mark.django_db
def test_sf311_kaplan_meier_median_matches_lifelines(tenant, sf):
    _result, _rejected, _source, loaded = sf
    as_of = loaded["updated"].max().to_pydatetime()  # the extract date: open cases censored there
    cut = pd.Timestamp(as_of)
    # The whole span: from the first request to the extract date (so the cut-off is `as_of`).
    period = Period(paris_days(loaded["opened"]).min(), as_of.astimezone(PARIS).date())
    expected = lifelines_median_days(loaded["opened"], loaded["closed"], cut)
    db = connect(Scope((tenant.code,)))
    try:
        exact = indicators.time_to_close(db, period, as_of, precision=None).total
        binned = indicators.time_to_close(db, period, as_of).total
    finally:
        db.con.close()
    keep = usable_for_delays(loaded["opened"], loaded["closed"])
    assert exact.requests == binned.requests == keep.sum()
    assert exact.still_open == (loaded["closed"].isna() & keep).sum() == 470
    assert exact.median_days == pytest.approx(expected, abs=1 / 86_400)
    # The page's binned durations (1 % wide, reported at the bottom of their bin).
    assert expected * 0.99 - 1e-9 <= binned.median_days <= expected + 1e-9
    assert abs(binned.median_days - expected) < 3 / 24
    # The naive median of closed cases only is biased low, as the indicator says.
    closed_only = (loaded["closed"] - loaded["opened"])[loaded["closed"].notna() & keep]
    assert exact.closed_median_days < exact.median_days
    assert exact.closed_median_days == pytest.approx(
        closed_only.dt.total_seconds().sort_values().iloc[(len(closed_only) - 1) // 2] / 86_400,
        abs=1 / 86_400,
    )


@pytest.mark.django_db
def test_sf311_page(tenant, sf):
    _result, _rejected, _source, loaded = sf
    as_of = loaded["updated"].max().to_pydatetime()
    built = check_page(tenant.code, loaded["opened"], loaded["closed"], as_of)
    assert built.facts["median_days"] is not None
    assert built.facts["flagged"] > 0  # the traps of the period are reported


# --- NYC 311 ----------------------------------------------------------------------------------


@pytest.fixture
def nyc(tenant):
    result = ingest_file(tenant, NYC, "nyc311.yaml")
    rejected = check_every_row_accounted_for(result, csv_rows(NYC))
    source = read_csv(NYC)
    dropped = {row["record"]["Unique Key"] for row in rejected}
    loaded = source[~source["Unique Key"].isin(dropped)].copy()
    loaded["created"] = local_times(loaded["Created Date"], "America/New_York")
    loaded["closed"] = local_times(loaded["Closed Date"], "America/New_York")
    return result, rejected, loaded


@pytest.mark.django_db
def test_nyc311_loads_and_counts_by_channel(tenant, nyc):
    result, rejected, loaded = nyc
    assert rejected == [] and result["loaded"] == 1_000
    rows = stored(tenant.code).set_index("service_request_id")
    assert (rows["status"] == "closed").sum() == (loaded["Status"] == "Closed").sum() == 969
    assert rows["expected_datetime"].notna().sum() == (loaded["Due Date"] != "").sum()
    assert rows["lat"].notna().sum() == (loaded["Latitude"] != "").sum()
    # Volume by channel over the whole span = pandas' value_counts of the mapped channel.
    days = paris_days(loaded["created"])
    db = connect(Scope((tenant.code,)))
    try:
        volume = indicators.volume(db, Period(days.min(), days.max()), "channel")
    finally:
        db.con.close()
    assert volume.total.requests == len(loaded)
    assert {g.key: g.requests for g in volume.groups} == counts_of(
        loaded["Open Data Channel Type"].map(NYC_CHANNELS)
    )


@pytest.mark.django_db
def test_nyc311_time_to_close(tenant, nyc):
    _result, _rejected, loaded = nyc
    created, closed = loaded["created"], loaded["closed"]
    took = (closed - created).dt.total_seconds() / 86_400
    # SOURCES.md's 0.43 d is the median over every request with a closing date, data traps
    # included: the file has many requests closed within a minute (duplicates closed on
    # arrival) and some closed before they were created.
    assert took.median() == pytest.approx(0.43, abs=0.005)
    rows = stored(tenant.code)
    stored_took = (rows["closed_datetime"] - rows["requested_datetime"]).dt.total_seconds()
    assert stored_took.median() / 86_400 == pytest.approx(took.median(), abs=1 / 86_400)
    flags = rows["data_flags"].fillna("")
    assert (
        flags.str.contains("closed_instantly").sum()
        == ((closed >= created) & (closed < created + pd.Timedelta(minutes=1))).sum()
    )
    assert flags.str.contains("closed_before_requested").sum() == (closed < created).sum()
    # The indicator leaves the traps out of delays: its median is that of the genuine requests,
    # Kaplan–Meier with the open ones censored at the extract date (the last date in the file).
    as_of = max(created.max(), closed.max()).to_pydatetime()
    period = Period(paris_days(created).min(), as_of.astimezone(PARIS).date())
    expected = lifelines_median_days(created, closed, pd.Timestamp(as_of))
    db = connect(Scope((tenant.code,)))
    try:
        close = indicators.time_to_close(db, period, as_of, precision=None).total
    finally:
        db.con.close()
    assert close.requests == usable_for_delays(created, closed).sum()
    assert close.median_days == pytest.approx(expected, abs=1 / 86_400)
    assert close.median_days > took.median()  # the traps pulled the naive figure down


@pytest.mark.django_db
def test_nyc311_page(tenant, nyc):
    _result, _rejected, loaded = nyc
    as_of = max(loaded["created"].max(), loaded["closed"].max()).to_pydatetime()
    check_page(tenant.code, loaded["created"], loaded["closed"], as_of)


# --- Chicago's Open311 GeoReport v2 answer ----------------------------------------------------


@pytest.mark.django_db
def test_chicago_open311_answer_loads_leniently_and_reloads_as_a_no_op(tenant):
    records = json.loads(CHICAGO.read_text(encoding="utf-8"))
    result = ingest_file(tenant, CHICAGO, "open311.yaml")
    assert check_every_row_accounted_for(result, len(records)) == []
    assert result["loaded"] == len(records) == 50
    rows = stored(tenant.code)
    ids = set(rows["service_request_id"])
    given = {r["service_request_id"] for r in records if r.get("service_request_id")}
    generated = ids - given
    assert given <= ids and len(generated) == len(records) - len(given) == 7
    assert all(re.fullmatch(r"h-[0-9a-f]{20}", key) for key in generated)
    statuses = pd.Series([r["status"] for r in records])
    assert (statuses == "submitted").sum() == 7
    assert (rows["status"] == "open").sum() == statuses.isin(["open", "submitted"]).sum()
    assert (rows["status"] == "closed").sum() == (statuses == "closed").sum()
    assert set(rows.loc[~rows["service_request_id"].isin(given), "status"]) == {"open"}
    assert rows["closed_datetime"].isna().all()  # GeoReport v2 has no closing date
    assert set(rows["category"]) <= set(THEMES)
    first = rows["requested_datetime"].min()
    assert first == min(pd.Timestamp(r["requested_datetime"]) for r in records)
    # The same file again: the same keys, nothing written.
    again = ingest_file(tenant, CHICAGO, "open311.yaml")
    assert again["version"] is None and again["loaded"] == 50 and again["quarantined"] == 0
    run = LoadRun.objects.get(pk=again["load_id"])
    assert (run.rows_inserted, run.rows_updated) == (0, 0)
    assert set(stored(tenant.code)["service_request_id"]) == ids
    # The page counts them (no delay: nothing is closed with a date).
    as_of = max(datetime.fromisoformat(r["updated_datetime"]) for r in records)
    requested = pd.Series(
        [pd.Timestamp(r["requested_datetime"]).tz_convert("UTC") for r in records]
    )
    check_page(
        tenant.code, requested, pd.Series([pd.NaT] * len(records), dtype=requested.dtype), as_of
    )


@pytest.mark.django_db
def test_spec_xml_example_through_an_open311_source(tenant):
    """`pilotis ingest` reads no XML file: the file kind knows CSV, spreadsheets, JSON and
    Parquet, and sniffs an XML file as a one-column CSV (its column named after the XML
    declaration), which the mapping then refuses for its missing columns — nothing is loaded.
    GeoReport XML is read by the `open311` source kind, from the server: the spec's own example,
    served by a local GeoReport endpoint, loads with the same mapping."""
    with pytest.raises(CommandError) as refused:
        ingest_file(tenant, SPEC_XML, "open311.yaml")
    message = str(refused.value)
    assert "The source has no column" in message and "« service_request_id »" in message
    assert '« <?xml version="1.0" encoding="utf-8"?> »' in message
    assert storage.open_table(tenant.code, "requests") is None
    body = SPEC_XML.read_bytes()
    expected = re.findall(rb"<status>(\w+)</status>", body)
    with FixtureServer() as server:
        server.route("/v2/requests.xml", Reply(body=body, content_type="text/xml"))
        Source.objects.create(
            tenant=tenant,
            name="sf-georeport",
            kind="open311",
            config={
                "endpoint": server.url("/v2"),
                "format": "xml",
                "start_date": "2010-04-13",
                "end_date": "2010-04-20",
            },
            mapping=(MAPPINGS / "open311.yaml").read_text(encoding="utf-8"),
        )
        result = ingest("--tenant", tenant.code, "--source", "sf-georeport")
    assert check_every_row_accounted_for(result, len(expected)) == []
    rows = stored(tenant.code).set_index("service_request_id")
    assert sorted(rows["status"]) == sorted(s.decode() for s in expected)
    assert rows.loc["638344", "status_notes"] == "Duplicate request."
    assert rows.loc["638344", "requested_datetime"] == pd.Timestamp("2010-04-14T14:37:38Z")
    assert rows.loc["638349", "media_url"].endswith("638349.rss")  # the trailing space trimmed


# --- Paris DansMaRue --------------------------------------------------------------------------


def add_paris() -> None:
    """Paris as the official referential (COG) holds it: the commune 75056, whose postal codes
    are 75001…75020 and 75116, and its twenty arrondissements municipaux 75101…75120."""
    region = Region.objects.create(code="11", name="Île-de-France")
    departement = Departement.objects.create(code="75", name="Paris", region=region)
    codes = [f"750{n:02d}" for n in range(1, 21)] + ["75116"]
    paris = Commune.objects.create(
        code_insee="75056", name="Paris", departement=departement, postal_codes=codes
    )
    for n in range(1, 21):
        Commune.objects.create(
            code_insee=f"751{n:02d}",
            name=f"Paris {n}{'er' if n == 1 else 'e'} Arrondissement",
            departement=departement,
            postal_codes=[f"750{n:02d}"] + (["75116"] if n == 16 else []),
            parent=paris,
        )


def dansmarue_source() -> pd.DataFrame:
    return read_csv(DANSMARUE, sep=";")


@pytest.mark.django_db
def test_dansmarue_without_paris_in_the_referential_is_quarantined_with_the_reason(tenant):
    # The small test referential holds six communes of Ille-et-Vilaine: a Paris postal code
    # names no commune it knows, so the look-up fails and each row is quarantined with the
    # reason "commune" (never loaded with an empty or wrong commune).
    assert not Commune.objects.filter(code_insee__startswith="75").exists()
    source = dansmarue_source()
    result = ingest_file(tenant, DANSMARUE, "dansmarue.yaml")
    rows = check_every_row_accounted_for(result, csv_rows(DANSMARUE, ";"))
    assert (result["loaded"], result["quarantined"]) == (0, len(source)) == (0, 9)
    for row in rows:
        assert [(r["field"], r["rule"]) for r in row["reasons"]] == [("commune_insee", "commune")]
        assert row["reasons"][0]["value"] == row["record"]["CODE_POSTAL"]


@pytest.mark.django_db
def test_dansmarue_loads_with_paris_in_the_referential(tenant):
    add_paris()
    source = dansmarue_source()
    result = ingest_file(tenant, DANSMARUE, "dansmarue.yaml")
    assert check_every_row_accounted_for(result, csv_rows(DANSMARUE, ";")) == []
    assert result["loaded"] == len(source) == 9
    rows = stored(tenant.code).set_index("service_request_id")
    # A Paris postal code serves the commune of Paris only: 75056 (arrondissements municipaux
    # are below the commune and are not what a postal code names).
    assert set(rows["commune_insee"]) == {"75056"}
    assert set(source["CODE_POSTAL"]) <= {f"750{n:02d}" for n in range(1, 21)}
    assert set(rows["status"]) == {"open"} and rows["closed_datetime"].isna().all()
    assert sorted(rows.index) == sorted(source["NUMERO"])
    declared = pd.to_datetime(source.set_index("NUMERO")["DATEDECL"]).dt.tz_localize(PARIS)
    assert (rows["requested_datetime"] == declared.loc[rows.index].dt.tz_convert("UTC")).all()
    expected = source["TYPE"].map(
        {"Graffitis, tags, affiches et autocollants": "PROPRETE", "Objets abandonnés": "DECHETS"}
    )
    assert rows["category"].value_counts().to_dict() == expected.value_counts().to_dict()


def test_a_season_that_is_not_significant_is_not_named():
    """SF 311's AUTRE (+25 %, p = 0.055): a large but irregular season has no peak months, and
    the seasons sentence says no category shows a marked season instead of naming none."""
    from pilotis.requests.seasonality import Seasonality

    irregular = Seasonality(
        category="AUTRE",
        months=[],
        observed=[],
        adjusted=[],
        trend=[],
        seasonal=[],
        resid=[],
        expected=[],
        level=10.0,
        monthly_index_pct=[0.0] * 12,
        peak_months=[],
        amplitude_pct=25.0,
        p_value=0.055,
        significant=False,
        strength=0.3,
        trend_strength=0.1,
    )
    text = page._seasons_sentence({"AUTRE": irregular}, [], page.Labels())
    assert "AUTRE" not in text and "%" in text
