"""Per-column anonymisation rules and small-cell suppression (`pilotis.opendata.anonymise`)."""

import hashlib
import hmac
import math
import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from pilotis.errors import PilotisError
from pilotis.opendata import anonymise
from pilotis.opendata.anonymise import ColumnRule, Rule

SECRET = b"a test secret, long enough"


def rules(**by_column):
    return {column: ColumnRule(Rule(rule)) for column, rule in by_column.items()}


# ---------------------------------------------------------------------------------------------
# parse_rules


def test_parse_rules():
    parsed = anonymise.parse_rules(
        {
            "description": {"rule": "redact"},
            "lat": {"rule": "coords_grid", "param": 500},
            "long": {"rule": "coords_grid"},
            "email": "hash",
            "notes": {"rule": "drop"},
        },
        columns=["description", "lat", "long", "email", "notes", "other"],
    )
    assert parsed == {
        "description": ColumnRule(Rule.REDACT),
        "lat": ColumnRule(Rule.COORDS_GRID, 500.0),
        "long": ColumnRule(Rule.COORDS_GRID, anonymise.DEFAULT_CELL_METRES),
        "email": ColumnRule(Rule.HASH),
        "notes": ColumnRule(Rule.DROP),
    }
    assert [rule.value for rule in Rule] == [
        "keep",
        "drop",
        "hash",
        "date_day",
        "date_month",
        "coords_grid",
        "redact",
        "generalise_commune",
    ]


@pytest.mark.parametrize(
    ("data", "params"),
    [
        ({"description": {"rule": "scramble"}}, {"rule": "scramble", "column": "description"}),
        ({"description": "scramble"}, {"rule": "scramble", "column": "description"}),
        ({"ghost": {"rule": "drop"}}, {"column": "ghost"}),
        ({"description": {"param": 3}}, {"column": "description"}),
        ({"description": {"rule": "drop", "extra": 1}}, {"column": "description"}),
        ({"description": ["drop"]}, {"column": "description"}),
        ({"description": {"rule": "hash", "param": 3}}, {"rule": "hash", "column": "description"}),
        ({"lat": {"rule": "coords_grid", "param": -5}}, {"column": "lat", "param": -5}),
        ({"lat": {"rule": "coords_grid", "param": "big"}}, {"column": "lat", "param": "big"}),
        ({"lat": {"rule": "coords_grid", "param": True}}, {"column": "lat", "param": True}),
        ({"lat": {"rule": "coords_grid", "param": 1e7}}, {"column": "lat", "param": 1e7}),
        (
            {"description": {"rule": "coords_grid"}},
            {"rule": "coords_grid", "column": "description"},
        ),
        (
            {"description": {"rule": "generalise_commune"}},
            {"rule": "generalise_commune", "column": "description"},
        ),
    ],
)
def test_parse_rules_errors(data, params):
    with pytest.raises(PilotisError) as raised:
        anonymise.parse_rules(data, columns=["description", "lat", "long"])
    for key, value in params.items():
        assert raised.value.params[key] == value
    assert str(raised.value)  # formats in the active language, whatever it is


def test_parse_rules_needs_an_object():
    with pytest.raises(PilotisError):
        anonymise.parse_rules(["drop"])  # type: ignore[arg-type]


def test_parse_rules_without_known_columns_accepts_any_column():
    assert anonymise.parse_rules({"anything": "drop"}) == {"anything": ColumnRule(Rule.DROP)}


def test_parse_rules_accepts_a_decimal_cell():
    parsed = anonymise.parse_rules({"lat": {"rule": "coords_grid", "param": Decimal("250")}})
    assert parsed == {"lat": ColumnRule(Rule.COORDS_GRID, 250.0)}
    assert isinstance(parsed["lat"].param, float)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("lat", "lat"),
        ("Latitude", "lat"),
        ("geo_lat", "lat"),
        ("long", "lon"),
        ("lon", "lon"),
        ("lng", "lon"),
        ("longitude_wgs84", "lon"),
        ("plate", None),
        ("along", None),
    ],
)
def test_axis(column, expected):
    assert anonymise.axis(column) == expected


# ---------------------------------------------------------------------------------------------
# keep, drop, redact


def test_keep_drop_and_columns_without_a_rule():
    table = pa.table({"a": [1, 2], "b": ["x", "y"], "c": [True, False]})
    table = table.replace_schema_metadata({"source": "test"})
    result = anonymise.apply(table, rules(a="keep", c="drop"), SECRET)
    assert result.column_names == ["a", "b"]
    assert result.to_pydict() == {"a": [1, 2], "b": ["x", "y"]}
    assert result.schema.metadata == {b"source": b"test"}


def test_redact_rule():
    table = pa.table({"description": ["Appeler Mme Dupont au 06 12 34 56 78", None]})
    result = anonymise.apply(table, rules(description="redact"), SECRET)
    assert result["description"].to_pylist() == ["Appeler [nom] au [téléphone]", None]
    assert result.schema.field("description").type == pa.string()


def test_a_rule_on_a_missing_column():
    with pytest.raises(PilotisError) as raised:
        anonymise.apply(pa.table({"a": [1]}), rules(ghost="drop"), SECRET)
    assert raised.value.params == {"column": "ghost"}


# ---------------------------------------------------------------------------------------------
# hash


def test_hash_is_stable_keyed_and_keeps_nulls():
    table = pa.table({"email": ["a@b.fr", None, "c@d.fr", "a@b.fr"], "n": [1, 2, None, 1]})
    hashed = anonymise.apply(table, rules(email="hash", n="hash"), SECRET)
    again = anonymise.apply(table, rules(email="hash", n="hash"), SECRET)
    other = anonymise.apply(table, rules(email="hash", n="hash"), b"another secret")
    emails = hashed["email"].to_pylist()
    assert emails == again["email"].to_pylist()
    assert emails[0] == emails[3] != emails[2]
    assert emails[1] is None
    assert hashed["n"].to_pylist()[2] is None
    assert hashed["n"][0] == hashed["n"][3]
    expected = hmac.new(SECRET, b"a@b.fr", hashlib.sha256).hexdigest()[:16]
    assert emails[0] == expected
    assert all(len(v) == 16 and int(v, 16) >= 0 for v in emails if v)
    assert hashed["n"][0].as_py() == hmac.new(SECRET, b"1", hashlib.sha256).hexdigest()[:16]
    assert set(other["email"].to_pylist()) & set(emails) == {None}
    assert hashed.schema.field("email").type == pa.string()


def test_hash_is_joinable_across_tables_and_chunks():
    first = pa.table({"id": pa.chunked_array([["x", "y"], ["z"]])})
    second = pa.table({"id": ["z", "x"]})
    a = anonymise.apply(first, rules(id="hash"), SECRET)["id"].to_pylist()
    b = anonymise.apply(second, rules(id="hash"), SECRET)["id"].to_pylist()
    assert b == [a[2], a[0]]


def test_hash_needs_a_secret():
    with pytest.raises(PilotisError) as raised:
        anonymise.apply(pa.table({"a": ["x"]}), rules(a="hash"), b"")
    assert raised.value.params == {"variable": "PILOTIS_OPENDATA_SECRET"}


# ---------------------------------------------------------------------------------------------
# dates


def test_date_day_reads_aware_datetimes_in_local_time():
    aware = pa.array(
        [datetime(2024, 3, 12, 23, 30, tzinfo=UTC), datetime(2024, 7, 1, 8, tzinfo=UTC), None],
        pa.timestamp("us", tz="UTC"),
    )
    naive = pa.array([datetime(2024, 3, 12, 23, 30), None, None], pa.timestamp("s"))
    days = pa.array([date(2024, 3, 12), None, date(2024, 1, 31)], pa.date32())
    table = pa.table({"aware": aware, "naive": naive, "day": days})
    result = anonymise.apply(table, rules(aware="date_day", naive="date_day", day="date_day"), b"")
    # 23:30 UTC is 00:30 the next day in Paris (UTC+1 in March).
    assert result["aware"].to_pylist() == [date(2024, 3, 13), date(2024, 7, 1), None]
    assert result["naive"].to_pylist() == [date(2024, 3, 12), None, None]
    assert result["day"].to_pylist() == [date(2024, 3, 12), None, date(2024, 1, 31)]
    assert {field.type for field in result.schema} == {pa.date32()}


def test_date_month_gives_the_first_day_of_the_month_as_a_date():
    table = pa.table(
        {
            "when": pa.array(
                [datetime(2024, 3, 31, 23, 30, tzinfo=UTC), datetime(2024, 2, 29, 12, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "day": pa.array([date(2023, 12, 25), None], pa.date32()),
            "day64": pa.array([date(2023, 12, 25), date(2020, 1, 1)], pa.date64()),
        }
    )
    result = anonymise.apply(
        table, rules(when="date_month", day="date_month", day64="date_month"), SECRET
    )
    # 31 March 23:30 UTC is 1 April in Paris (summer time began on 31 March 2024).
    assert result["when"].to_pylist() == [date(2024, 4, 1), date(2024, 2, 1)]
    assert result["day"].to_pylist() == [date(2023, 12, 1), None]
    assert result["day64"].to_pylist() == [date(2023, 12, 1), date(2020, 1, 1)]
    assert result.schema.field("when").type == pa.date32()


def test_date_rules_need_dates():
    with pytest.raises(PilotisError) as raised:
        anonymise.apply(pa.table({"when": ["2024-03-12"]}), rules(when="date_month"), SECRET)
    assert raised.value.params["rule"] == "date_month"
    assert raised.value.params["column"] == "when"


# ---------------------------------------------------------------------------------------------
# coords_grid and generalise_commune


def grid(table, cell=200.0):
    return anonymise.apply(
        table,
        {"lat": ColumnRule(Rule.COORDS_GRID, cell), "long": ColumnRule(Rule.COORDS_GRID, cell)},
        SECRET,
    )


def test_coords_grid_snaps_points_of_a_cell_to_its_centre():
    lat_step, lon_step = anonymise.grid_steps(200)
    assert lat_step == pytest.approx(200 / 111320)
    assert lon_step == pytest.approx(200 / (111320 * math.cos(math.radians(46.5))))
    # Two points of Rennes in the same cell, one in the next.
    corner_lat, corner_lon = math.floor(48.1113 / lat_step), math.floor(-1.6800 / lon_step)
    lats = [
        (corner_lat + 0.1) * lat_step,
        (corner_lat + 0.9) * lat_step,
        (corner_lat + 1.2) * lat_step,
    ]
    lons = [
        (corner_lon + 0.2) * lon_step,
        (corner_lon + 0.8) * lon_step,
        (corner_lon + 0.5) * lon_step,
    ]
    result = grid(pa.table({"lat": lats + [None], "long": lons + [None]}))
    lat, lon = result["lat"].to_pylist(), result["long"].to_pylist()
    assert lat[0] == lat[1] != lat[2]
    assert lon[0] == lon[1] == lon[2]
    assert lat[0] == pytest.approx((corner_lat + 0.5) * lat_step, abs=1e-6)
    assert lon[0] == pytest.approx((corner_lon + 0.5) * lon_step, abs=1e-6)
    assert lat[3] is None and lon[3] is None


def test_coords_grid_moves_a_point_at_most_half_a_cell_diagonal():
    rng = random.Random(20240312)
    lats = [rng.uniform(41.3, 51.1) for _ in range(20_000)]  # metropolitan France
    lons = [rng.uniform(-5.2, 9.6) for _ in range(20_000)]
    for cell in (200.0, 500.0, 1000.0):
        result = grid(pa.table({"lat": lats, "long": lons}), cell)
        lat_step, lon_step = anonymise.grid_steps(cell)
        for before_lat, before_lon, after_lat, after_lon in zip(
            lats, lons, result["lat"].to_pylist(), result["long"].to_pylist(), strict=True
        ):
            metres_per_lon = 111320 * math.cos(math.radians(before_lat))
            dy = (after_lat - before_lat) * 111320
            dx = (after_lon - before_lon) * metres_per_lon
            width = lon_step * metres_per_lon  # the cell at this latitude
            half_diagonal = math.hypot(cell, width) / 2
            assert math.hypot(dx, dy) <= half_diagonal + 0.2
            assert abs(dy) <= cell / 2 + 0.2


def test_coords_grid_accepts_integers_and_refuses_text():
    result = grid(pa.table({"lat": pa.array([48], pa.int32()), "long": [-1.68]}))
    assert result.schema.field("lat").type == pa.float64()
    with pytest.raises(PilotisError) as raised:
        grid(pa.table({"lat": ["48.1"], "long": [-1.68]}))
    assert raised.value.params["column"] == "lat"


def test_coords_grid_validates_rules_built_by_hand():
    with pytest.raises(PilotisError) as raised:
        anonymise.apply(pa.table({"x": [1.0]}), {"x": ColumnRule(Rule.COORDS_GRID, 200.0)}, SECRET)
    assert raised.value.params["column"] == "x"
    with pytest.raises(PilotisError):
        anonymise.apply(
            pa.table({"lat": [1.0]}), {"lat": ColumnRule(Rule.COORDS_GRID, 1.0)}, SECRET
        )


def test_generalise_commune_drops_the_coordinates_and_keeps_the_commune():
    table = pa.table({"lat": [48.11], "long": [-1.68], "commune_insee": ["35238"], "n": [1]})
    result = anonymise.apply(table, rules(lat="generalise_commune", long="generalise_commune"), b"")
    assert result.column_names == ["commune_insee", "n"]
    with pytest.raises(PilotisError) as raised:
        anonymise.apply(table.drop_columns(["commune_insee"]), rules(lat="generalise_commune"), b"")
    assert raised.value.params["column"] == "lat"
    with pytest.raises(PilotisError):
        anonymise.apply(table, rules(lat="generalise_commune", commune_insee="drop"), b"")


def test_apply_on_a_million_rows():
    size = 1_000_000
    table = pa.table(
        {
            "user": pa.array([f"user{i % 10_000}" for i in range(size)]),
            "lat": pa.array([48.0 + (i % 1000) / 1000 for i in range(size)]),
            "long": pa.array([-1.7 + (i % 997) / 1000 for i in range(size)]),
            "when": pa.array([i * 60 for i in range(size)], pa.timestamp("s", tz="UTC")),
        }
    )
    result = anonymise.apply(
        table,
        {
            "user": ColumnRule(Rule.HASH),
            "lat": ColumnRule(Rule.COORDS_GRID, 200.0),
            "long": ColumnRule(Rule.COORDS_GRID, 200.0),
            "when": ColumnRule(Rule.DATE_MONTH),
        },
        SECRET,
    )
    assert result.num_rows == size
    assert result["user"][0] == result["user"][10_000]
    assert result["when"][0].as_py() == date(1970, 1, 1)


# ---------------------------------------------------------------------------------------------
# suppress_small_cells


def requests_table():
    return pa.table(
        {
            "commune": ["35238"] * 5 + ["35051"] * 2 + ["35288"] * 3 + [None] * 3,
            "kind": ["voirie"] * 4 + ["tag"] + ["voirie"] * 2 + ["tag"] * 3 + ["voirie"] * 3,
            "days": [1, 2, 3, 4, 10, 5, 5, 2, 4, 6, 1, 1, 1],
        }
    )


def test_suppress_small_cells_removes_the_groups_under_k():
    table, suppressed = anonymise.suppress_small_cells(
        requests_table(),
        ["commune"],
        k=3,
        measures={"total_days": ("days", "sum"), "mean_days": ("days", "avg")},
    )
    assert suppressed == 1  # 35051 has 2 requests
    assert table.column_names == ["commune", "count", "total_days", "mean_days"]
    assert table.to_pylist() == [
        {"commune": "35238", "count": 5, "total_days": 20, "mean_days": 4.0},
        {"commune": "35288", "count": 3, "total_days": 12, "mean_days": 4.0},
        {"commune": None, "count": 3, "total_days": 3, "mean_days": 1.0},
    ]


def test_suppress_small_cells_on_two_keys_and_thresholds():
    table, suppressed = anonymise.suppress_small_cells(requests_table(), ["commune", "kind"], 3)
    assert suppressed == 2  # (35238, tag): 1, (35051, voirie): 2
    assert [(r["commune"], r["kind"], r["count"]) for r in table.to_pylist()] == [
        ("35238", "voirie", 4),
        ("35288", "tag", 3),
        (None, "voirie", 3),
    ]
    assert min(table["count"].to_pylist()) >= 3
    everything, none = anonymise.suppress_small_cells(requests_table(), ["commune", "kind"], 1)
    assert none == 0 and everything.num_rows == 5
    total, suppressed = anonymise.suppress_small_cells(requests_table(), [], 20)
    assert total.num_rows == 0 and suppressed == 1


@pytest.mark.parametrize(
    ("group_by", "k", "measures", "param"),
    [
        (["commune"], 0, None, {"k": 0}),
        (["commune"], True, None, {"k": True}),
        (["commune"], 2.5, None, {"k": 2.5}),
        (["ghost"], 3, None, {"column": "ghost"}),
        (["commune"], 3, {"m": ("ghost", "sum")}, {"column": "ghost"}),
        (["commune"], 3, {"m": ("days", "median")}, {"aggregate": "median", "measure": "m"}),
        (["commune"], 3, {"m": ("kind", "sum")}, {"measure": "m", "column": "kind"}),
        (["commune"], 3, {"count": ("days", "sum")}, {"name": "count"}),
        (["commune", "commune"], 3, None, {"name": "commune"}),
    ],
)
def test_suppress_small_cells_errors(group_by, k, measures, param):
    with pytest.raises(PilotisError) as raised:
        anonymise.suppress_small_cells(requests_table(), group_by, k, measures)
    for key, value in param.items():
        assert raised.value.params[key] == value


# ---------------------------------------------------------------------------------------------
# secret_key


def test_secret_key_from_the_environment(settings):
    settings.OPENDATA_SECRET = "s3cret-of-the-instance"  # PILOTIS_OPENDATA_SECRET
    assert anonymise.secret_key() == b"s3cret-of-the-instance"


def test_secret_key_derived_from_the_django_secret(settings):
    settings.OPENDATA_SECRET = ""
    derived = anonymise.secret_key()
    assert derived == anonymise.secret_key()
    assert len(derived) == 32
    assert settings.SECRET_KEY.encode() not in derived
    assert (
        derived
        == hmac.new(settings.SECRET_KEY.encode(), anonymise.SECRET_CONTEXT, hashlib.sha256).digest()
    )
    settings.SECRET_KEY = "another-secret-key-for-this-test-0123456789"
    assert anonymise.secret_key() != derived
