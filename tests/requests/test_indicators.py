"""The indicators, recomputed independently in pandas on the fixture's rows, on DuckDB and on
PostgreSQL (`requests_db` runs each test on both)."""

import json
from dataclasses import asdict
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from pilotis.requests import indicators
from pilotis.requests.data import DELAY_EXCLUDING_FLAGS, DIMENSIONS, Period
from tests.requests.conftest import (
    PARIS,
    database,
    groups_of,
    made_in,
    midnight,
    usable_for_delays,
)

PERIODS = {
    "2024": Period(date(2024, 1, 1), date(2024, 12, 31)),
    "february-2024": Period(date(2024, 2, 1), date(2024, 2, 29)),  # year before: to the 28th
    "dst-spring": Period(date(2024, 3, 31), date(2024, 3, 31)),  # a 23-hour day
    "dst-autumn": Period(date(2024, 10, 27), date(2024, 10, 27)),  # a 25-hour day
    "around-dst": Period(date(2024, 10, 20), date(2024, 11, 3)),
    "to-as-of": Period(date(2025, 1, 1), date(2025, 3, 31)),  # ends after AS_OF
    "first-month": Period(date(2023, 1, 1), date(2023, 1, 31)),  # nothing before it
    "empty": Period(date(2030, 1, 1), date(2030, 1, 31)),
    "everything": Period(date(2022, 6, 1), date(2025, 6, 30)),
}
BY = [None, *DIMENSIONS]
TARGETS = {"voirie": 5.0, "proprete": 3.0, "eclairage": 2.0, "etat_civil": 1.5}


def by_key(breakdown):
    """{key: figure} of a Breakdown's groups, checking they come sorted, NULL last."""
    keys = [g.key for g in breakdown.groups]
    assert keys == sorted(keys, key=lambda k: (k is None, k or ""))
    assert len(set(keys)) == len(keys)
    return {g.key: g for g in breakdown.groups}


def check_breakdown(breakdown, by, expected):
    """`expected`: {key: figure} with key None for all requests (when by is None) or
    {"total": figure, "groups": {key: figure}}."""
    assert breakdown.by == by
    assert breakdown.total == expected["total"]
    if by is None:
        assert breakdown.groups == []
    else:
        assert by_key(breakdown) == expected["groups"]


def expected_for(frame, by, compute):
    """The total and per-group figures `compute(rows, key)` gives."""
    return {
        "total": compute(frame, None),
        "groups": {key: compute(part, key) for key, part in groups_of(frame, by).items()}
        if by
        else {},
    }


def ratio(part, whole):
    return part / whole if whole else None


# --- 1. Volume ---------------------------------------------------------------------------------


@pytest.mark.parametrize("by", BY)
@pytest.mark.parametrize("name", list(PERIODS))
def test_volume(requests_db, name, by):
    frame, period = requests_db.frame, PERIODS[name]
    rows = frame[made_in(frame, period)]
    whole = len(rows)

    def compute(part, key):
        return indicators.Count(key, len(part), ratio(len(part), whole))

    result = indicators.volume(requests_db.db, period, by)
    expected = expected_for(rows, by, compute)
    expected["total"] = indicators.Count(None, whole, 1.0 if whole else None)
    check_breakdown(result, by, expected)
    if name == "empty":
        assert result.total.requests == 0 and result.groups == []
    if by and whole:
        assert sum(g.requests for g in result.groups) == whole


def test_volume_counts_the_dst_nights_by_local_day(requests_db):
    """The rows placed around the DST changes fall on their local day: 23:59:59 CEST on 31
    March is the 31st, midnight after it is 1 April; 02:30 CEST and 02:30 CET on 27 October are
    both the 27th."""
    db = requests_db.db
    spring = {
        p.bucket: p.value
        for p in indicators.volume_series(db, Period(date(2024, 3, 30), date(2024, 4, 1)), "day")
    }
    autumn = {
        p.bucket: p.value
        for p in indicators.volume_series(db, Period(date(2024, 10, 26), date(2024, 10, 28)), "day")
    }
    frame = requests_db.frame
    local_days = frame["requested_datetime"].dt.tz_convert(PARIS).dt.date
    for series in (spring, autumn):
        for day, value in series.items():
            assert value == int((local_days == date.fromisoformat(day)).sum())
    # The planted rows alone: 31 March holds 01:30 CET, 03:30 CEST and 23:59:59 CEST.
    assert spring["2024-03-31"] >= 3 and autumn["2024-10-27"] >= 4


# --- volume series ------------------------------------------------------------------------------


def pandas_buckets(days: pd.Series, grain: str) -> pd.Series:
    """The first day of each day's bucket, by pandas periods (weeks Monday to Sunday)."""
    stamps = pd.to_datetime(days)
    code = {"day": "D", "week": "W-SUN", "month": "M", "year": "Y"}[grain]
    return stamps.dt.to_period(code).dt.start_time.dt.date


def all_buckets(period: Period, grain: str) -> list[date]:
    days = pd.Series(pd.date_range(period.start, period.end, freq="D").date)
    return sorted(set(pandas_buckets(days, grain)))


@pytest.mark.parametrize("by", [None, "category", "channel"])
@pytest.mark.parametrize("grain", indicators.GRAINS)
@pytest.mark.parametrize("name", ["2024", "around-dst", "everything", "empty"])
def test_volume_series(requests_db, name, grain, by):
    frame, period = requests_db.frame, PERIODS[name]
    rows = frame[made_in(frame, period)].copy()
    rows["bucket"] = pandas_buckets(
        rows["requested_datetime"].dt.tz_convert(PARIS).dt.date, grain
    ).values
    expected = []
    groups = groups_of(rows, by) if len(rows) else {None: rows}
    for key in sorted(groups, key=lambda k: (k is None, k or "")):
        counts = groups[key].groupby("bucket").size()
        for bucket in all_buckets(period, grain):
            expected.append(indicators.Point(bucket.isoformat(), int(counts.get(bucket, 0)), key))
    result = indicators.volume_series(requests_db.db, period, grain, by)
    assert result == expected
    assert sum(p.value for p in result) == len(rows)


# --- 2. Backlog ----------------------------------------------------------------------------------


def open_at_end_of(frame: pd.DataFrame, day: date) -> pd.Series:
    """Open at the end of local day `day`: made before the midnight after it and not closed
    before that midnight."""
    boundary = midnight(day + timedelta(days=1))
    closed = frame["closed_datetime"]
    return (frame["requested_datetime"] < boundary) & (closed.isna() | (closed >= boundary))


@pytest.mark.parametrize("by", BY)
@pytest.mark.parametrize("name", list(PERIODS))
def test_backlog(requests_db, name, by):
    frame, period = requests_db.frame, PERIODS[name]

    def compute(part, key):
        before = int(open_at_end_of(part, period.start - timedelta(days=1)).sum())
        after = int(open_at_end_of(part, period.end).sum())
        return indicators.Backlog(key, before, after, after - before)

    # The groups listed are those with a request made before the end and not closed before the
    # start (the others cannot be open at either end).
    closed = frame["closed_datetime"]
    scanned = frame[
        (frame["requested_datetime"] < midnight(period.end + timedelta(days=1)))
        & (closed.isna() | (closed >= midnight(period.start)))
    ]
    check_breakdown(
        indicators.backlog(requests_db.db, period, by), by, expected_for(scanned, by, compute)
    )


def test_backlog_never_counts_a_request_closed_before_it_was_made(requests_db):
    frame = requests_db.frame
    trapped = frame[frame["closed_datetime"] < frame["requested_datetime"]]
    assert len(trapped) == 8  # six flagged, two not
    day = trapped["requested_datetime"].iloc[0].tz_convert(PARIS).date()
    period = Period(day, day)
    expected = int(open_at_end_of(frame, day).sum())
    assert indicators.backlog(requests_db.db, period).total.at_end == expected


@pytest.mark.parametrize("by", [None, "category", "status"])
@pytest.mark.parametrize("grain", indicators.GRAINS)
@pytest.mark.parametrize("name", ["2024", "around-dst", "to-as-of", "empty", "february-2024"])
def test_backlog_series(requests_db, name, grain, by):
    """Each point is the backlog at the end of its bucket (the period's last day for the
    last bucket), computed directly for that day."""
    frame, period = requests_db.frame, PERIODS[name]
    result = indicators.backlog_series(requests_db.db, period, grain, by)
    points = {(p.group, p.bucket): p.value for p in result}
    starts = all_buckets(period, grain)
    ends = [b - timedelta(days=1) for b in starts[1:]] + [period.end]
    groups = groups_of(frame, by)
    seen_groups = {p.group for p in result}
    for key, part in groups.items():
        for start, end in zip(starts, ends, strict=True):
            expected = int(open_at_end_of(part, end).sum())
            got = points.get((key, start.isoformat()), 0 if key not in seen_groups else None)
            assert got == expected, (key, start, end)
    assert len(result) == len(seen_groups) * len(starts)


def test_backlog_series_ends_where_backlog_does(requests_db):
    period = PERIODS["2024"]
    series = indicators.backlog_series(requests_db.db, period, "month")
    assert series[-1].value == indicators.backlog(requests_db.db, period).total.at_end


# --- 3. Trend ------------------------------------------------------------------------------------


def count_made(frame: pd.DataFrame, start: date, end: date) -> int:
    return int(made_in(frame, Period(start, end)).sum())


@pytest.mark.parametrize("by", [None, "category", "commune_insee"])
@pytest.mark.parametrize("name", list(PERIODS))
def test_trend(requests_db, name, by):
    frame, period = requests_db.frame, PERIODS[name]

    def compute(part, key):
        now = count_made(part, period.start, period.end)
        # The previous period and the year before, spelled out rather than taken from Period.
        length = (period.end - period.start).days + 1
        before = count_made(
            part, period.start - timedelta(days=length), period.start - timedelta(days=1)
        )
        year = count_made(part, _year_back(period.start), _year_back(period.end))
        return indicators.Trend(
            key,
            now,
            before,
            year,
            (now - before) / before if before else None,
            (now - year) / year if year else None,
        )

    expected = expected_for(frame, by, compute)
    result = indicators.trend(requests_db.db, period, by)
    assert result.total == expected["total"]
    # Groups seen in any of the three periods are listed.
    listed = by_key(result)
    for key, figure in expected["groups"].items():
        if figure.current or figure.previous or figure.year_before:
            assert listed[key] == figure
        else:
            assert key not in listed


def _year_back(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return date(day.year - 1, day.month, day.day)


def test_trend_of_29_february(requests_db):
    """February 2024 is compared with 1–28 February 2023: the request made on 28 February 2023
    counts, the one made five minutes after midnight on 1 March 2023 does not."""
    frame = requests_db.frame
    result = indicators.trend(requests_db.db, PERIODS["february-2024"]).total
    assert result.year_before == count_made(frame, date(2023, 2, 1), date(2023, 2, 28))
    day = indicators.trend(requests_db.db, Period(date(2024, 2, 29), date(2024, 2, 29))).total
    assert day.current == 2  # 10:00 and 23:30 on 29 February
    assert day.year_before == count_made(frame, date(2023, 2, 28), date(2023, 2, 28)) >= 1


def test_trend_without_a_base_gives_no_change(requests_db):
    result = indicators.trend(requests_db.db, PERIODS["first-month"]).total
    assert result.current > 0
    assert result.previous == result.year_before == 0
    assert result.vs_previous is None and result.vs_year_before is None


# --- 5. On-time rate ----------------------------------------------------------------------------


def on_time_rows(frame, period, as_of):
    requested = frame["requested_datetime"]
    return frame[made_in(frame, period) & (requested <= as_of) & usable_for_delays(frame)]


@pytest.mark.parametrize("by", [None, "category", "service"])
@pytest.mark.parametrize("name", ["2024", "to-as-of", "dst-autumn", "empty", "everything"])
def test_on_time(requests_db, name, by):
    frame, period, as_of = requests_db.frame, PERIODS[name], pd.Timestamp(requests_db.as_of)

    def compute(part, key):
        target = part["category"].map(TARGETS).fillna(10.0).astype(float) * 86400
        closed = part["closed_datetime"].notna() & (part["closed_datetime"] <= as_of)
        took = (part["closed_datetime"] - part["requested_datetime"]).dt.total_seconds()
        age = (as_of - part["requested_datetime"]).dt.total_seconds()
        in_time = int((closed & (took <= target)).sum())
        late = int((closed & (took > target)).sum())
        overdue = int((~closed & (age > target)).sum())
        waiting = len(part) - in_time - late - overdue
        return indicators.OnTime(
            key,
            len(part),
            in_time,
            late,
            overdue,
            waiting,
            ratio(in_time, in_time + late + overdue),
        )

    rows = on_time_rows(frame, period, as_of)
    result = indicators.on_time(requests_db.db, period, requests_db.as_of, TARGETS, 10.0, by)
    check_breakdown(result, by, expected_for(rows, by, compute))


def test_on_time_counts_a_request_closed_exactly_at_its_target(requests_db):
    """Many requests close after exactly two days; with a two-day target they are on time,
    with a target one second shorter they are late."""
    period, as_of = PERIODS["everything"], requests_db.as_of
    frame = requests_db.frame
    rows = on_time_rows(frame, period, pd.Timestamp(as_of))
    exactly = int(
        ((rows["closed_datetime"] - rows["requested_datetime"]) == pd.Timedelta(days=2)).sum()
    )
    assert exactly >= 10
    at = indicators.on_time(requests_db.db, period, as_of, {}, 2.0).total
    shorter = indicators.on_time(requests_db.db, period, as_of, {}, 2.0 - 1 / 86400).total
    assert shorter.closed_late - at.closed_late == exactly


def test_on_time_rejects_odd_targets(requests_db):
    for targets, default in (({"voirie": 0}, 10.0), ({}, -1.0), ({"voirie": float("nan")}, 10)):
        with pytest.raises(ValueError):
            indicators.on_time(requests_db.db, PERIODS["2024"], requests_db.as_of, targets, default)


# --- 6. Backlog by age ---------------------------------------------------------------------------


@pytest.mark.parametrize("by", BY)
@pytest.mark.parametrize(
    "as_of",
    [
        None,  # the fixture's AS_OF
        datetime(2024, 10, 27, 2, 45, tzinfo=PARIS),  # during the repeated hour (CEST)
        datetime(2024, 6, 1),  # naive: local time
        datetime(2022, 1, 1, tzinfo=PARIS),  # before any request
    ],
)
def test_backlog_by_age(requests_db, as_of, by):
    as_of = as_of or requests_db.as_of
    moment = pd.Timestamp(as_of if as_of.tzinfo else as_of.replace(tzinfo=PARIS))
    frame = requests_db.frame
    closed = frame["closed_datetime"]
    rows = frame[(frame["requested_datetime"] <= moment) & (closed.isna() | (closed > moment))]

    def compute(part, key):
        age = (moment - part["requested_datetime"]).dt.total_seconds()
        return indicators.BacklogAge(
            key,
            len(part),
            int((age < 2 * 86400).sum()),
            int(((age >= 2 * 86400) & (age <= 10 * 86400)).sum()),
            int((age > 10 * 86400).sum()),
        )

    check_breakdown(
        indicators.backlog_by_age(requests_db.db, as_of, by), by, expected_for(rows, by, compute)
    )


def test_backlog_by_age_boundaries(requests_db):
    """Open exactly 48 hours is in the middle band, exactly 10 days too."""
    at = requests_db.as_of
    just = indicators.backlog_by_age(requests_db.db, at).total
    later = indicators.backlog_by_age(requests_db.db, at + timedelta(seconds=1)).total
    # One second later the 48-hour request leaves the first band, the 10-day one the second.
    assert later.under_48h == just.under_48h
    assert later.from_48h_to_10d == just.from_48h_to_10d - 1
    assert later.over_10d == just.over_10d + 1
    before = indicators.backlog_by_age(requests_db.db, at - timedelta(seconds=1)).total
    assert before.under_48h == just.under_48h + 1
    assert before.from_48h_to_10d == just.from_48h_to_10d - 1
    assert before.over_10d == just.over_10d


# --- 7. First response ---------------------------------------------------------------------------


@pytest.mark.parametrize("by", [None, "category", "channel"])
@pytest.mark.parametrize("name", ["2024", "everything", "empty", "dst-spring"])
def test_first_response(requests_db, name, by):
    frame, period = requests_db.frame, PERIODS[name]
    rows = frame[made_in(frame, period)]
    result = indicators.first_response(requests_db.db, period, by)

    def compute(part, key):
        response, requested = part["first_response_datetime"], part["requested_datetime"]
        known = response.notna() & (response >= requested)
        delays = ((response - requested).dt.total_seconds() / 86400)[known]
        median = float(np.median(delays)) if len(delays) else None
        return (key, len(part), int(known.sum()), ratio(int(known.sum()), len(part)), median)

    expected = expected_for(rows, by, compute)
    got = [result.total, *result.groups]
    wanted = [expected["total"], *(expected["groups"][g.key] for g in result.groups)]
    assert set(expected["groups"]) == {g.key for g in result.groups}
    for figure, (key, n, known, share, median) in zip(got, wanted, strict=True):
        assert (figure.key, figure.requests, figure.known, figure.share_known) == (
            key,
            n,
            known,
            share,
        )
        if median is None:
            assert figure.median_days is None
        else:
            assert figure.median_days == pytest.approx(median, rel=1e-9, abs=1e-9)


def test_first_response_dated_before_the_request_is_unknown(requests_db):
    day = Period(date(2024, 7, 1), date(2024, 7, 3))
    frame = requests_db.frame
    rows = frame[made_in(frame, day)]
    wrong = int((rows["first_response_datetime"] < rows["requested_datetime"]).sum())
    assert wrong == 3
    result = indicators.first_response(requests_db.db, day).total
    assert result.known == int(rows["first_response_datetime"].notna().sum()) - wrong


# --- 8. Reopened ---------------------------------------------------------------------------------


@pytest.mark.parametrize("by", BY)
@pytest.mark.parametrize("name", ["2024", "everything", "empty"])
def test_reopened(requests_db, name, by):
    frame, period = requests_db.frame, PERIODS[name]
    rows = frame[made_in(frame, period)]

    def compute(part, key):
        known = int(part["reopened_count"].notna().sum())
        again = int((part["reopened_count"].fillna(0) > 0).sum())
        return indicators.Reopened(key, len(part), known, again, ratio(again, known))

    check_breakdown(
        indicators.reopened(requests_db.db, period, by), by, expected_for(rows, by, compute)
    )


# --- 9. Data quality ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["2024", "everything", "empty", "2023"])
def test_data_quality(requests_db, name):
    frame = requests_db.frame
    period = PERIODS.get(name) or Period(date(2023, 1, 1), date(2023, 12, 31))
    rows = frame[made_in(frame, period)]
    flags = rows["data_flags"].fillna("")
    counts: dict[str, int] = {}
    for value in flags:
        for name_ in {part.strip() for part in value.split(";")} - {""}:
            counts[name_] = counts.get(name_, 0) + 1
    for flag in DELAY_EXCLUDING_FLAGS:
        counts.setdefault(flag, 0)
    result = indicators.data_quality(requests_db.db, period)
    assert result.requests == len(rows)
    assert result.flagged == int((flags != "").sum())
    assert result.excluded_from_delays == int(
        flags.map(lambda v: any(f in v for f in DELAY_EXCLUDING_FLAGS)).sum()
    )
    assert {f.flag: f.requests for f in result.flags} == counts
    assert [f.requests for f in result.flags] == sorted(
        (f.requests for f in result.flags), reverse=True
    )
    assert {f.flag for f in result.flags if f.excludes_delays} == set(DELAY_EXCLUDING_FLAGS)


def test_data_quality_of_2024_in_words(requests_db):
    """What the page says: 6 closed before requested, 8 closed instantly (5 + 3 also flagged
    with an unknown flag), 5 with the unknown flag: 14 left out of delays."""
    result = indicators.data_quality(requests_db.db, PERIODS["2024"])
    flags = {f.flag: f.requests for f in result.flags}
    assert flags == {"closed_before_requested": 6, "closed_instantly": 8, "geocoded_centroid": 5}
    assert (result.flagged, result.excluded_from_delays) == (16, 14)


# --- Shapes, errors, serialisation -------------------------------------------------------------


def test_every_indicator_is_json_ready(requests_db):
    db, period, as_of = requests_db.db, PERIODS["2024"], requests_db.as_of
    results = [
        indicators.volume(db, period, "category"),
        indicators.volume_series(db, period, "week", "channel"),
        indicators.backlog(db, period, "service"),
        indicators.backlog_series(db, period, "month", "category"),
        indicators.trend(db, period, "category"),
        indicators.time_to_close(db, period, as_of, "category"),
        indicators.on_time(db, period, as_of, TARGETS, by="category"),
        indicators.backlog_by_age(db, as_of, "category"),
        indicators.first_response(db, period, "category"),
        indicators.reopened(db, period, "category"),
        indicators.data_quality(db, period),
    ]
    for result in results:
        data = [asdict(r) for r in result] if isinstance(result, list) else asdict(result)
        assert json.loads(json.dumps(data, allow_nan=False)) == data


def test_unknown_dimension_or_grain_is_refused(requests_db):
    db, period = requests_db.db, PERIODS["2024"]
    with pytest.raises(ValueError, match="dimension"):
        indicators.volume(db, period, "description")
    with pytest.raises(ValueError, match="dimension"):
        indicators.backlog(db, period, 'category"; DROP TABLE requests; --')
    with pytest.raises(ValueError, match="grain"):
        indicators.volume_series(db, period, "quarter")
    with pytest.raises(ValueError, match="grain"):
        indicators.backlog_series(db, period, "hour")


def test_an_unknown_dialect_is_refused():
    class Other:
        dialect = "sqlite"

        def rows(self, sql):
            raise AssertionError("not reached")

    with pytest.raises(ValueError, match="dialect"):
        indicators.seconds(Other(), "requested_datetime")


def test_local_days_across_many_dst_changes(engine):
    """A request every 20 minutes for two and a half years: each local day holds 72 of them,
    except the spring day (69) and the autumn day (75), and no request lands on the wrong day."""
    start = pd.Timestamp("2023-01-01", tz=PARIS)
    stamps = pd.date_range(start, pd.Timestamp("2025-06-30 23:59", tz=PARIS), freq="20min")
    frame = pd.DataFrame(
        {"requested_datetime": stamps.tz_convert("UTC").astype("datetime64[us, UTC]")}
    )
    frame["category"] = "voirie"
    period = Period(date(2023, 1, 1), date(2025, 6, 30))
    with database(engine, frame) as db:
        series = indicators.volume_series(db, period, "day")
    values = {date.fromisoformat(p.bucket): p.value for p in series}
    expected = stamps.tz_convert(PARIS).date
    assert values == pd.Series(expected).value_counts().sort_index().to_dict()
    assert values[date(2024, 3, 31)] == 69 and values[date(2024, 10, 27)] == 75
    assert values[date(2024, 6, 1)] == 72
