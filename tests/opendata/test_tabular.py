"""The tabular API (/api/donnees/): every operator, OR groups, full-text search, sorts with nulls,
cursor and offset pagination, group-bys, CSV exports, errors, what is online, rate limiting,
CORS and the OpenAPI document. Each answer is checked against the same rows computed in Python.

Every test runs on both layouts of the cached copy: text columns stored as ENUMs (the usual
case for columns with few values) and as plain text with a folded twin (free text)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import time
import unicodedata
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.cache import cache
from django.utils import timezone

from pilotis.opendata import api_views, tabular
from pilotis.opendata.models import Publication, PublicationVersion
from pilotis.opendata.publish import version_folder
from tests.opendata.builders import published
from tests.tenants.factories import TenantFactory

pytestmark = pytest.mark.django_db

CODE = "35238"
BASE = f"/api/donnees/{CODE}/travaux/"

ROWS: list[dict[str, Any]] = [
    {
        "id": 1,
        "commune": "Rennes",
        "categorie": "Église",
        "montant": 120.5,
        "quantite": 3,
        "jour": dt.date(2024, 1, 5),
        "urgent": True,
        "note": "Toiture de l'église Saint-Aubin",
    },
    {
        "id": 2,
        "commune": "Saint-Malo",
        "categorie": "Voirie",
        "montant": 80.0,
        "quantite": 3,
        "jour": dt.date(2024, 2, 1),
        "urgent": False,
        "note": '=HYPERLINK("http://x")',
    },
    {
        "id": 3,
        "commune": "Rennes",
        "categorie": "Voirie",
        "montant": None,
        "quantite": 7,
        "jour": dt.date(2024, 2, 1),
        "urgent": None,
        "note": "Nid de poule, rue d'Antrain",
    },
    {
        "id": 4,
        "commune": "Cesson-Sévigné",
        "categorie": "Éclairage public",
        "montant": 45.25,
        "quantite": None,
        "jour": None,
        "urgent": True,
        "note": None,
    },
    {
        "id": 5,
        "commune": "Bruz",
        "categorie": "Voirie",
        "montant": 80.0,
        "quantite": 1,
        "jour": dt.date(2023, 12, 24),
        "urgent": False,
        "note": "-5 degrés: verglas",
    },
    {
        "id": 6,
        "commune": None,
        "categorie": "Espaces verts",
        "montant": 300.0,
        "quantite": 12,
        "jour": dt.date(2024, 3, 15),
        "urgent": False,
        "note": "Élagage des platanes",
    },
    {
        "id": 7,
        "commune": "Rennes",
        "categorie": "Église",
        "montant": 999.99,
        "quantite": 3,
        "jour": dt.date(2024, 1, 5),
        "urgent": True,
        "note": "Vitraux, cathédrale",
    },
    {
        "id": 8,
        "commune": "Saint-Malo",
        "categorie": None,
        "montant": 10.0,
        "quantite": 2,
        "jour": dt.date(2024, 4, 1),
        "urgent": None,
        "note": "@import",
    },
    {
        "id": 9,
        "commune": "Bruz",
        "categorie": "Voirie",
        "montant": 80.0,
        "quantite": 5,
        "jour": dt.date(2024, 2, 1),
        "urgent": True,
        "note": "Trottoir, pas d'accent",
    },
    {
        "id": 10,
        "commune": "Cesson-Sévigné",
        "categorie": "Espaces verts",
        "montant": 0.5,
        "quantite": 0,
        "jour": dt.date(2022, 6, 30),
        "urgent": False,
        "note": "",
    },
    {
        "id": 11,
        "commune": "Rennes",
        "categorie": "Voirie",
        "montant": 80.0,
        "quantite": 3,
        "jour": dt.date(2024, 2, 1),
        "urgent": False,
        "note": "Marquage au sol, Rennes centre",
    },
    {
        "id": 12,
        "commune": "Pacé",
        "categorie": "Éclairage public",
        "montant": 61.0,
        "quantite": 4,
        "jour": dt.date(2024, 5, 2),
        "urgent": None,
        "note": "Lampadaire rue de l'Église",
    },
]
NAMES = list(ROWS[0])
TEXT = ("commune", "categorie", "note")


def arrow_table(rows: list[dict[str, Any]] = ROWS) -> pa.Table:
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("commune", pa.string()),
            ("categorie", pa.string()),
            ("montant", pa.float64()),
            ("quantite", pa.int32()),
            ("jour", pa.date32()),
            ("urgent", pa.bool_()),
            ("note", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


@pytest.fixture(autouse=True)
def _fresh(settings, monkeypatch):
    """A new bucket and new copies for each test; no rate limit unless a test sets one; what
    is online read on each request (test_online_is_remembered_a_moment checks the delay)."""
    cache.clear()
    tabular.forget_tables()
    api_views.forget_online()
    monkeypatch.setattr(api_views, "ONLINE_TTL", 0)
    settings.OPENDATA_API_RATE = "off"
    yield
    tabular.forget_tables()
    api_views.forget_online()


@pytest.fixture(params=["enum", "plain"])
def layout(request, monkeypatch):
    """Text columns stored as ENUMs, or as plain text with a folded twin."""
    if request.param == "plain":
        monkeypatch.setattr(tabular, "ENUM_MAX_DISTINCT", 0)
    return request.param


@pytest.fixture
def tenant():
    return TenantFactory(code=CODE, name="Rennes")


@pytest.fixture
def dataset(tenant, layout):
    return published(tenant, "travaux", arrow_table(), title="Travaux")


def get(client, url: str = BASE, **params: Any):
    query = urlencode(params, doseq=True)
    return client.get(f"{url}?{query}" if query else url)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [row["id"] for row in response.json()["data"]]


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def where(test) -> list[int]:
    return [r["id"] for r in ROWS if test(r)]


# --- filters --------------------------------------------------------------------------------


def _cmp(col: str, test):
    return lambda r: r[col] is not None and test(r[col])


OPERATOR_CASES = [
    ({"commune__exact": "Rennes"}, _cmp("commune", lambda v: v == "Rennes")),
    ({"categorie__exact": "Église"}, _cmp("categorie", lambda v: v == "Église")),
    ({"categorie__exact": "Inconnue"}, lambda r: False),
    ({"quantite__exact": "3"}, _cmp("quantite", lambda v: v == 3)),
    ({"montant__exact": "80"}, _cmp("montant", lambda v: v == 80.0)),
    ({"jour__exact": "2024-02-01"}, _cmp("jour", lambda v: v == dt.date(2024, 2, 1))),
    ({"urgent__exact": "true"}, _cmp("urgent", lambda v: v is True)),
    ({"urgent__exact": "non"}, _cmp("urgent", lambda v: v is False)),
    ({"commune__differs": "Rennes"}, _cmp("commune", lambda v: v != "Rennes")),
    ({"commune__differs": "Nulle part"}, _cmp("commune", lambda v: True)),
    ({"quantite__differs": "3"}, _cmp("quantite", lambda v: v != 3)),
    ({"commune__in": "Bruz,Pacé"}, _cmp("commune", lambda v: v in ("Bruz", "Pacé"))),
    ({"commune__in": "Bruz,Ailleurs"}, _cmp("commune", lambda v: v == "Bruz")),
    ({"commune__in": "Ailleurs"}, lambda r: False),
    ({"quantite__in": "1,5,12"}, _cmp("quantite", lambda v: v in (1, 5, 12))),
    ({"commune__notin": "Rennes,Bruz"}, _cmp("commune", lambda v: v not in ("Rennes", "Bruz"))),
    ({"commune__notin": "Ailleurs"}, _cmp("commune", lambda v: True)),
    ({"jour__notin": "2024-02-01"}, _cmp("jour", lambda v: v != dt.date(2024, 2, 1))),
    ({"montant__less": "80"}, _cmp("montant", lambda v: v <= 80)),
    ({"montant__greater": "80"}, _cmp("montant", lambda v: v >= 80)),
    ({"montant__strictly_less": "80"}, _cmp("montant", lambda v: v < 80)),
    ({"montant__strictly_greater": "80"}, _cmp("montant", lambda v: v > 80)),
    ({"quantite__less": "3"}, _cmp("quantite", lambda v: v <= 3)),
    ({"jour__strictly_greater": "2024-02-01"}, _cmp("jour", lambda v: v > dt.date(2024, 2, 1))),
    ({"jour__less": "2024-01-05"}, _cmp("jour", lambda v: v <= dt.date(2024, 1, 5))),
    ({"commune__less": "Pacé"}, _cmp("commune", lambda v: v <= "Pacé")),
    ({"commune__strictly_greater": "Rennes"}, _cmp("commune", lambda v: v > "Rennes")),
    ({"commune__greater": "M"}, _cmp("commune", lambda v: v >= "M")),
    ({"commune__contains": "SEVIGNE"}, _cmp("commune", lambda v: "sevigne" in fold(v))),
    ({"categorie__contains": "eglise"}, _cmp("categorie", lambda v: "eglise" in fold(v))),
    ({"note__contains": "église"}, _cmp("note", lambda v: "eglise" in fold(v))),
    ({"note__contains": "RUE"}, _cmp("note", lambda v: "rue" in fold(v))),
    ({"quantite__contains": "1"}, _cmp("quantite", lambda v: "1" in str(v))),
    ({"montant__isnull": ""}, lambda r: r["montant"] is None),
    ({"commune__isnull": "1"}, lambda r: r["commune"] is None),
    ({"note__isnotnull": ""}, lambda r: r["note"] is not None),
    ({"urgent__isnotnull": ""}, lambda r: r["urgent"] is not None),
    (
        {"commune__exact": "Rennes", "montant__greater": "100"},
        lambda r: r["commune"] == "Rennes" and r["montant"] is not None and r["montant"] >= 100,
    ),
    (
        {"montant__greater": "50", "montant__less": "100"},
        _cmp("montant", lambda v: 50 <= v <= 100),
    ),
]


@pytest.mark.parametrize(
    ("params", "expected"),
    OPERATOR_CASES,
    ids=lambda c: "&".join(f"{k}={v}" for k, v in c.items()) if isinstance(c, dict) else "",
)
def test_each_operator_matches_python(client, dataset, params, expected):
    response = get(client, page_size=100, **params)
    assert ids(response) == where(expected)
    assert response.json()["meta"]["total"] == len(where(expected))
    assert response.json()["meta"]["total_is_approximate"] is False


def test_repeated_filters_are_combined(client, dataset):
    response = client.get(f"{BASE}?montant__greater=50&montant__greater=100")
    assert ids(response) == where(_cmp("montant", lambda v: v >= 100))


def test_in_values_escape_commas(client, tenant, layout):
    table = pa.table({"id": [1, 2, 3, 4, 5], "nom": ["a,b", "a", "b", "c|d", "e\\f"]})
    published(tenant, "virgules", table)
    url = f"/api/donnees/{CODE}/virgules/"
    assert ids(get(client, url, nom__in="a\\,b")) == [1]
    assert ids(get(client, url, nom__in="a,b")) == [2, 3]
    assert ids(get(client, url, nom__exact="e\\f")) == [5]  # no escapes outside lists
    # In an or group: \| is a bar; lists are split on unescaped commas.
    assert ids(get(client, url, **{"or": "nom__in:a\\,b,e|id__exact:3"})) == [1, 3]
    assert ids(get(client, url, **{"or": "nom__exact:a,b|nom__exact:c\\|d"})) == [1, 4]
    assert ids(get(client, url, **{"or": "nom__exact:e\\\\f|id__exact:2"})) == [2, 5]


def test_or_groups(client, dataset):
    response = get(client, **{"or": "commune__exact:Bruz|categorie__contains:eglise"})
    assert ids(response) == where(
        lambda r: r["commune"] == "Bruz" or (r["categorie"] and "eglise" in fold(r["categorie"]))
    )
    # Two groups (AND between them), with the other filters too.
    response = client.get(
        BASE + "?or=commune__exact:Rennes|commune__exact:Bruz"
        "&or=montant__isnull|montant__strictly_greater:100&quantite__greater=3"
    )
    assert ids(response) == where(
        lambda r: (
            r["commune"] in ("Rennes", "Bruz")
            and (r["montant"] is None or r["montant"] > 100)
            and r["quantite"] is not None
            and r["quantite"] >= 3
        )
    )
    # in-lists inside a group, and a value holding the separators, escaped.
    response = get(client, **{"or": "quantite__in:1,12|note__contains:platanes"})
    assert ids(response) == [5, 6]


def test_full_text_search_ignores_case_and_accents(client, dataset):
    assert ids(get(client, q="eglise")) == where(
        lambda r: any(r[c] and "eglise" in fold(r[c]) for c in TEXT)
    )
    assert set(ids(get(client, q="eglise"))) >= {1, 7, 12}  # categorie « Église » and notes
    assert ids(get(client, q="ÉGLISE rennes")) == [1, 7]  # every word, in any text column
    assert ids(get(client, q="cesson sévigné")) == [4, 10]
    assert ids(get(client, q="introuvable")) == []
    assert get(client, q="introuvable").json()["meta"]["total"] == 0


# --- sorts and pagination -------------------------------------------------------------------


def python_sort(rows: list[dict[str, Any]], sorts: list[tuple[str, bool]]) -> list[int]:
    """Nulls are the greatest value (last going up, first going down); file order breaks ties."""
    ordered = list(rows)
    for col, desc in reversed(sorts):
        ordered.sort(key=lambda r: (r[col] is None, 0 if r[col] is None else r[col]), reverse=desc)
    return [r["id"] for r in ordered]


SORTS = [
    [("montant", False)],
    [("montant", True)],
    [("categorie", False), ("montant", True)],
    [("urgent", True), ("jour", False), ("commune", True)],
    [("quantite", False), ("commune", False)],
    [("note", True)],
]


@pytest.mark.parametrize("sorts", SORTS, ids=str)
def test_multi_column_sort_with_nulls(client, dataset, sorts):
    params = "&".join(f"{c}__sort={'desc' if d else 'asc'}" for c, d in sorts)
    assert ids(client.get(f"{BASE}?{params}&page_size=100")) == python_sort(ROWS, sorts)


def test_default_order_is_the_file_order(client, dataset):
    assert ids(get(client)) == [r["id"] for r in ROWS]


def walk(client, url: str, direction: str = "next") -> list[list[int]]:
    pages = []
    while url:
        response = client.get(url)
        pages.append(ids(response))
        url = response.json()["links"][direction]
        assert len(pages) < 100
    return pages


@pytest.mark.parametrize("sorts", SORTS, ids=str)
@pytest.mark.parametrize("size", [1, 2, 5])
def test_cursor_walks_every_row_once(client, dataset, sorts, size):
    params = "&".join(f"{c}__sort={'desc' if d else 'asc'}" for c, d in sorts)
    pages = walk(client, f"{BASE}?{params}&page_size={size}")
    walked = [i for page in pages for i in page]
    assert walked == python_sort(ROWS, sorts)
    assert all(len(p) == size for p in pages[:-1])
    # And back from the last page with prev, page by page.
    last = client.get(f"{BASE}?{params}&page_size={size}")
    url = None
    while last.json()["links"]["next"]:
        url = last.json()["links"]["next"]
        last = client.get(url)
    if url:
        back = walk(client, url, "prev")
        assert [i for page in reversed(back) for i in page] == walked


def test_cursor_walk_with_filters_and_total(client, dataset):
    first = get(client, categorie__isnotnull="", montant__sort="desc", page_size=2)
    expected = python_sort([r for r in ROWS if r["categorie"] is not None], [("montant", True)])
    assert first.json()["meta"]["total"] == len(expected)
    pages = walk(client, f"{BASE}?categorie__isnotnull=&montant__sort=desc&page_size=2")
    assert [i for p in pages for i in p] == expected
    nxt = client.get(first.json()["links"]["next"]).json()
    assert nxt["meta"]["total"] == len(expected)
    assert nxt["links"]["prev"]


def test_page_numbers(client, dataset):
    pages = walk(client, f"{BASE}?page=1&page_size=5&jour__sort=asc")
    assert [i for p in pages for i in p] == python_sort(ROWS, [("jour", False)])
    assert [len(p) for p in pages] == [5, 5, 2]
    third = get(client, page=3, page_size=5, jour__sort="asc").json()
    assert third["meta"]["page"] == 3 and third["links"]["next"] is None
    assert "page=2" in third["links"]["prev"]
    assert ids(get(client, page=9, page_size=5)) == []


def test_page_size_bounds(client, dataset):
    assert get(client).json()["meta"]["page_size"] == tabular.DEFAULT_PAGE_SIZE
    assert len(ids(get(client, page_size=tabular.MAX_PAGE_SIZE))) == len(ROWS)
    assert len(ids(get(client, page_size=1))) == 1
    for bad in (0, -1, tabular.MAX_PAGE_SIZE + 1, "dix"):
        response = get(client, page_size=bad)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_value"
    assert get(client, page=0).status_code == 400


def test_columns_selection(client, dataset):
    data = get(client, columns="commune,montant", montant__sort="desc").json()["data"]
    assert all(list(row) == ["commune", "montant"] for row in data)
    expected = python_sort(ROWS, [("montant", True)])
    by_id = {r["id"]: r for r in ROWS}
    assert [row["montant"] for row in data] == [by_id[i]["montant"] for i in expected]
    # Sorting by a column not returned still pages exactly.
    pages = walk(client, f"{BASE}?columns=id&jour__sort=desc&page_size=4")
    assert [i for p in pages for i in p] == python_sort(ROWS, [("jour", True)])
    assert get(client, columns="commune,nope").json()["error"]["code"] == "unknown_column"


def test_values_are_typed_in_json(client, dataset):
    row = get(client, id__exact="4").json()["data"][0]
    assert row == {
        "id": 4,
        "commune": "Cesson-Sévigné",
        "categorie": "Éclairage public",
        "montant": 45.25,
        "quantite": None,
        "jour": None,
        "urgent": True,
        "note": None,
    }
    assert get(client, id__exact="1").json()["data"][0]["jour"] == "2024-01-05"


def test_datetimes_decimals_and_nested_values(client, tenant, layout):
    from decimal import Decimal

    utc = dt.UTC
    moments = [
        dt.datetime(2026, 3, 1, 8, 30, tzinfo=utc),
        dt.datetime(2026, 3, 1, 22, 15, 30, 250000, tzinfo=utc),
        None,
        dt.datetime(2025, 12, 31, 23, 59, tzinfo=utc),
    ]
    table = pa.table(
        {
            "id": [1, 2, 3, 4],
            "quand": pa.array(moments, pa.timestamp("us", tz="UTC")),
            "local": pa.array([m.replace(tzinfo=None) if m else None for m in moments]),
            "prix": pa.array(
                [Decimal("12.30"), Decimal("0.05"), None, Decimal("100.00")], pa.decimal128(10, 2)
            ),
            "tags": pa.array([["a"], ["b", "c"], [], None]),
        }
    )
    published(tenant, "horaires", table)
    url = f"/api/donnees/{CODE}/horaires/"
    row = get(client, url, id__exact="2").json()["data"][0]
    assert row["quand"] == "2026-03-01T22:15:30.250000+00:00"
    assert row["local"] == "2026-03-01T22:15:30.250000"
    assert row["prix"] == 0.05 and row["tags"] == ["b", "c"]
    assert ids(get(client, url, quand__greater="2026-03-01T08:30:00Z")) == [1, 2]
    assert ids(get(client, url, quand__strictly_greater="2026-03-01T09:30:00+01:00")) == [2]
    assert ids(get(client, url, quand__less="2026-01-01")) == [4]  # a date: midnight UTC
    assert ids(get(client, url, local__strictly_less="2026-03-01T22:00:00")) == [1, 4]
    assert ids(get(client, url, prix__greater="12.3")) == [1, 4]
    assert ids(get(client, url, quand__sort="desc")) == [3, 2, 1, 4]
    assert ids(get(client, url, tags__isnull="")) == [4]
    assert ids(get(client, url, tags__contains="c")) == [2]
    assert get(client, url, tags__sort="asc").json()["error"]["code"] == "bad_operator"
    assert get(client, url, tags__less="a").json()["error"]["code"] == "bad_operator"
    assert get(client, url, quand__less="demain").json()["error"]["code"] == "bad_value"
    pages = walk(client, f"{url}?quand__sort=asc&page_size=1")
    assert [i for p in pages for i in p] == [4, 1, 2, 3]
    text = b"".join(get(client, url, format="csv").streaming_content).decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert dt.datetime.fromisoformat(lines[2][1]) == moments[1]
    assert Decimal(lines[1][3]) == Decimal("12.30") and lines[3][1] == ""


# --- group-by -------------------------------------------------------------------------------


def test_group_by_with_aggregates(client, dataset):
    response = get(
        client,
        categorie__groupby="",
        categorie__count="",
        montant__sum="",
        montant__avg="",
        montant__min="",
        montant__max="",
        quantite__count="",
        jour__max="",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in ROWS:
        groups[r["categorie"]].append(r)
    expected = []
    for key in sorted(groups, key=lambda k: (k is None, k or "")):
        rows = groups[key]
        amounts = [r["montant"] for r in rows if r["montant"] is not None]
        days = [r["jour"] for r in rows if r["jour"] is not None]
        expected.append(
            {
                "categorie": key,
                "categorie__count": len(rows),
                "montant__sum": sum(amounts) if amounts else None,
                "montant__avg": sum(amounts) / len(amounts) if amounts else None,
                "montant__min": min(amounts) if amounts else None,
                "montant__max": max(amounts) if amounts else None,
                "quantite__count": sum(1 for r in rows if r["quantite"] is not None),
                "jour__max": max(days).isoformat() if days else None,
            }
        )
    assert len(body["data"]) == len(expected)
    for got, want in zip(body["data"], expected, strict=True):
        assert got.keys() == want.keys()
        for key, value in want.items():
            if isinstance(value, float):
                assert math.isclose(got[key], value), key
            else:
                assert got[key] == value, key
    assert body["meta"]["total"] == len(expected)


def test_group_by_several_columns_filtered_and_sorted(client, dataset):
    response = get(
        client,
        commune__groupby="",
        urgent__groupby="",
        commune__count="",
        montant__sum="",
        montant__isnotnull="",
        montant__sum__sort="desc",
        page_size=2,
    )
    counts: Counter = Counter()
    sums: dict[Any, float] = defaultdict(float)
    for r in ROWS:
        if r["montant"] is not None:
            counts[(r["commune"], r["urgent"])] += 1
            sums[(r["commune"], r["urgent"])] += r["montant"]
    # Sorted by the sum (desc), ties broken by the grouped columns (nulls last).
    keys = sorted(counts, key=lambda k: (k[0] is None, k[0] or "", k[1] is None, k[1] or False))
    keys.sort(key=lambda k: sums[k], reverse=True)
    pages = [response.json()["data"]]
    while response.json()["links"]["next"]:
        response = client.get(response.json()["links"]["next"])
        pages.append(response.json()["data"])
    walked = [row for page in pages for row in page]
    assert [(r["commune"], r["urgent"]) for r in walked] == keys
    assert [r["commune__count"] for r in walked] == [counts[k] for k in keys]
    assert response.json()["meta"]["total"] == len(keys)


def test_aggregates_without_group_by_and_distinct_values(client, dataset):
    body = get(client, montant__sum="", id__count="", urgent__exact="true").json()
    assert body["data"] == [
        {
            "montant__sum": sum(r["montant"] for r in ROWS if r["urgent"] is True),
            "id__count": sum(1 for r in ROWS if r["urgent"] is True),
        }
    ]
    body = get(client, commune__groupby="", commune__sort="desc").json()
    assert [r["commune"] for r in body["data"]] == [
        None,
        "Saint-Malo",
        "Rennes",
        "Pacé",
        "Cesson-Sévigné",
        "Bruz",
    ]


def test_group_by_refusals(client, dataset):
    assert get(client, note__sum="").json()["error"]["code"] == "bad_operator"
    response = get(client, commune__groupby="", columns="commune")
    assert response.json()["error"]["code"] == "bad_parameter"
    response = get(client, commune__groupby="", montant__sort="asc")
    assert response.json()["error"]["code"] == "bad_parameter"


# --- CSV ------------------------------------------------------------------------------------


def _as_csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return str(value)


@pytest.mark.parametrize(
    "params",
    [
        {"montant__sort": "desc"},
        {"commune__in": "Rennes,Bruz", "jour__sort": "asc", "columns": "id,note,montant"},
        {"q": "eglise"},
        {"categorie__groupby": "", "montant__sum": "", "categorie__count": ""},
    ],
    ids=str,
)
def test_csv_export_equals_the_json_result(client, dataset, params):
    data = get(client, page_size=tabular.MAX_PAGE_SIZE, **params).json()["data"]
    response = get(client, format="csv", page_size=1, cursor="", **params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="travaux-v1.csv"'
    assert response["Access-Control-Allow-Origin"] == "*"
    text = b"".join(response.streaming_content).decode("utf-8")
    reader = list(csv.reader(io.StringIO(text)))
    assert reader[0] == list(data[0]) if data else True
    assert len(reader) - 1 == len(data)  # the whole result, not a page
    for row, want in zip(reader[1:], data, strict=True):
        for cell, (key, value) in zip(row, want.items(), strict=True):
            if isinstance(value, float):
                assert math.isclose(float(cell), value), key
            else:
                assert cell == _as_csv_cell(value), key


def test_csv_neutralises_formulas(client, dataset):
    response = get(client, format="csv", columns="id,note")
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = {r[0]: r[1] for r in list(csv.reader(io.StringIO(text)))[1:]}
    assert rows["2"] == '\'=HYPERLINK("http://x")'
    assert rows["5"] == "'-5 degrés: verglas"
    assert rows["8"] == "'@import"
    assert rows["1"] == "Toiture de l'église Saint-Aubin"


# --- errors, versions, what is online -------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"nope__exact": "1"}, "unknown_column"),
        ({"commune__like": "x"}, "bad_operator"),
        ({"quantite__exact": "trois"}, "bad_value"),
        ({"montant__greater": "1,5"}, "bad_value"),
        ({"jour__less": "31/12/2024"}, "bad_value"),
        ({"urgent__exact": "peut-être"}, "bad_value"),
        ({"montant__sort": "up"}, "bad_value"),
        ({"nope__sort": "asc"}, "unknown_column"),
        ({"cursor": "not-a-cursor"}, "bad_cursor"),
        ({"format": "xml"}, "bad_value"),
        ({"commune": "Rennes"}, "unknown_parameter"),
        ({"or": "commune:Rennes"}, "bad_operator"),
        ({"or": "commune__exact"}, "bad_operator"),
    ],
    ids=str,
)
def test_bad_queries_answer_400_in_french(client, dataset, params, code):
    response = get(client, **params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    with_english = client.get(
        response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"],
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert with_english.json()["error"]["code"] == code
    assert with_english.json()["error"]["message"] != error["message"]  # French by default


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_values_out_of_range_never_fail(client, dataset, fmt):
    huge = "9" * 40
    for params in (
        {"quantite__exact": huge},
        {"quantite__in": f"1,{huge}"},
        {"jour__less": "9999-12-31"},
    ):
        response = get(client, format=fmt, **params)
        assert response.status_code in (200, 400), params
        if response.status_code == 400:
            assert response.json()["error"]["code"] == "bad_value"
        elif fmt == "csv":
            b"".join(response.streaming_content)


def test_cache_busters_are_ignored(client, dataset):
    assert ids(get(client, _="12345")) == [r["id"] for r in ROWS]


def test_a_cursor_of_another_query_is_refused(client, dataset):
    first = get(client, montant__sort="asc", page_size=2).json()
    token = parse_qs(urlparse(first["links"]["next"]).query)["cursor"][0]
    response = get(client, montant__sort="desc", page_size=2, cursor=token)
    assert response.json()["error"]["code"] == "bad_cursor"
    response = get(client, montant__sort="asc", page_size=2, cursor=token[:-3] + "abc")
    assert response.json()["error"]["code"] == "bad_cursor"
    # The same query with another page size and columns keeps its place.
    response = get(client, montant__sort="asc", page_size=3, cursor=token, columns="id")
    assert ids(response) == python_sort(ROWS, [("montant", False)])[2:5]


def test_unknown_datasets_answer_404(client, dataset):
    for url in (
        f"/api/donnees/{CODE}/inconnu/",
        "/api/donnees/99999/travaux/",
        f"/api/donnees/{CODE}/travaux/v9/",
        f"/api/donnees/{CODE}/inconnu/profile/",
        f"/api/donnees/{CODE}/travaux/v9/profile/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
        assert response["Access-Control-Allow-Origin"] == "*"


def test_non_public_publication_answers_404(client, dataset):
    assert client.get(BASE).status_code == 200
    dataset.public = False
    dataset.save()
    for url in (BASE, BASE + "v1/", BASE + "profile/", BASE + "?format=csv"):
        assert client.get(url).status_code == 404, url


def test_online_is_remembered_a_moment(client, dataset, monkeypatch):
    """Each process trusts what it read for ONLINE_TTL seconds, no more; a change saved by
    this very process is seen at once."""
    monkeypatch.setattr(api_views, "ONLINE_TTL", 0.5)
    assert client.get(BASE).status_code == 200
    # Taken offline by another process (no signal here): seen once the delay is over.
    Publication.objects.filter(pk=dataset.pk).update(public=False)
    assert client.get(BASE).status_code == 200
    time.sleep(0.6)
    assert client.get(BASE).status_code == 404
    # Put back online by this process: seen at once.
    dataset.public = True
    dataset.save()
    assert client.get(BASE).status_code == 200


def test_never_published_answers_404(client, tenant):
    Publication.objects.create(tenant=tenant, slug="vide", title="Vide", description="-")
    assert client.get(f"/api/donnees/{CODE}/vide/").status_code == 404


def test_a_failed_latest_version_keeps_the_last_good_one_online(client, dataset):
    PublicationVersion.objects.create(
        publication=dataset,
        number=2,
        status=PublicationVersion.Status.FAILED,
        error="boom",
        finished_at=timezone.now(),
    )
    PublicationVersion.objects.create(publication=dataset, number=3)  # still running
    body = client.get(BASE).json()
    assert body["meta"]["version"] == 1
    assert [r["id"] for r in body["data"]] == [r["id"] for r in ROWS]
    assert client.get(BASE + "v2/").status_code == 404
    assert client.get(BASE + "v3/").status_code == 404
    assert client.get(BASE + "v1/").status_code == 200


def test_versions_and_a_walk_that_stays_on_its_version(client, dataset, tenant):
    first = get(client, page_size=5).json()
    assert first["meta"]["version"] == 1
    published(tenant, "travaux", arrow_table(ROWS[:3]))  # version 2: three rows
    assert get(client).json()["meta"] == {
        "page_size": 50,
        "total": 3,
        "total_is_approximate": False,
        "version": 2,
    }
    # The walk started on version 1 goes on with version 1.
    second = client.get(first["links"]["next"]).json()
    assert second["meta"]["version"] == 1
    assert [r["id"] for r in second["data"]] == [6, 7, 8, 9, 10]
    assert ids(client.get(BASE + "v1/")) == [r["id"] for r in ROWS]
    assert ids(client.get(BASE + "v2/")) == [1, 2, 3]
    # A cursor of version 1 on version 2's address is refused.
    token = parse_qs(urlparse(first["links"]["next"]).query)["cursor"][0]
    response = client.get(BASE + "v2/?" + urlencode({"cursor": token, "page_size": 5}))
    assert response.json()["error"]["code"] == "bad_cursor"
    assert "/v1/profile/" in client.get(BASE + "v1/").json()["links"]["profile"]


def test_profile(client, dataset):
    response = client.get(BASE + "profile/")
    assert response.status_code == 200
    body = response.json()
    assert body["rows"] == len(ROWS) and body["version"] == 1
    columns = {c["name"]: c for c in body["columns"]}
    assert list(columns) == NAMES
    assert columns["montant"]["type"] == "number"
    assert columns["quantite"]["type"] == "integer"
    assert columns["jour"]["type"] == "date"
    assert columns["urgent"]["type"] == "boolean"
    assert columns["commune"]["type"] == "string"
    assert columns["montant"]["nulls"] == 1
    assert columns["montant"]["min"] == 0.5 and columns["montant"]["max"] == 999.99
    assert columns["jour"]["min"] == "2022-06-30"
    assert columns["commune"]["distinct"] == 5
    assert "contains" in columns["note"]["operators"]
    assert body["links"]["data"] == "http://testserver" + BASE


def test_cors_and_preflight(client, dataset):
    response = client.get(BASE, HTTP_ORIGIN="https://example.org")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(BASE, HTTP_ORIGIN="https://example.org")
    assert preflight.status_code == 204
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert client.head(BASE).status_code == 200
    refused = client.post(BASE)
    assert refused.status_code == 405 and refused["Allow"] == "GET, HEAD, OPTIONS"


def test_rate_limit(client, dataset, settings):
    settings.OPENDATA_API_RATE = "3/m"
    for _ in range(3):
        assert client.get(BASE).status_code == 200
    response = client.get(BASE)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "rate_limited"
    assert response["Access-Control-Allow-Origin"] == "*"
    # Another client has its own bucket.
    assert client.get(BASE, REMOTE_ADDR="192.0.2.7").status_code == 200
    # Tokens come back with time: 3 a minute, one every 20 seconds.
    from django.test import RequestFactory

    from pilotis.opendata.throttle import KEY_PREFIX, client_id

    cache_key = KEY_PREFIX + client_id(RequestFactory().get(BASE))
    tokens, since = cache.get(cache_key)
    cache.set(cache_key, (tokens, since - 21))
    assert client.get(BASE).status_code == 200


def test_rate_parsing():
    from pilotis.opendata.throttle import Rate, parse_rate

    assert parse_rate("600/m") == Rate(600, 60)
    assert parse_rate("20/s") == Rate(20, 1)
    assert parse_rate("1000/h") == Rate(1000, 3600)
    assert parse_rate("100/10s") == Rate(100, 10)
    assert parse_rate("off") is None and parse_rate(None) is None


# --- the OpenAPI document -------------------------------------------------------------------


def test_openapi_document(client, dataset):
    import jsonschema

    response = client.get("/api/donnees/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.content)
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/api/donnees/{tenant_code}/{slug}/",
        "/api/donnees/{tenant_code}/{slug}/v{number}/",
        "/api/donnees/{tenant_code}/{slug}/profile/",
        "/api/donnees/{tenant_code}/{slug}/v{number}/profile/",
        "/api/donnees/openapi.json",
    }
    for route, item in doc["paths"].items():
        operation = item["get"]
        assert operation["operationId"] and operation["responses"]["200"]
        names = {p["name"] for p in operation.get("parameters", [])}
        for placeholder in ("tenant_code", "slug", "number"):
            assert (f"{{{placeholder}}}" in route) == (placeholder in names), route
    rows = doc["paths"]["/api/donnees/{tenant_code}/{slug}/"]["get"]
    names = {p["name"] for p in rows["parameters"]}
    assert {"q", "or", "columns", "page_size", "cursor", "page", "format", "filters"} <= names
    assert {"200", "400", "404", "429"} <= set(rows["responses"])
    try:  # the official validator, when installed
        from openapi_spec_validator import validate
    except ImportError:
        validate = None
    if validate is not None:
        validate(doc)

    def check(payload: Any, name: str) -> None:
        schema = {**doc, "$ref": f"#/components/schemas/{name}"}
        jsonschema.Draft202012Validator(schema).validate(payload)

    # Real answers follow the schemas, and so do the examples.
    check(client.get(BASE + "?page_size=2").json(), "Page")
    check(client.get(BASE + "?nope__exact=1").json(), "Error")
    check(client.get(BASE + "profile/").json(), "Profile")
    check(rows["responses"]["200"]["content"]["application/json"]["example"], "Page")
    for status in ("400", "404", "429"):
        check(rows["responses"][status]["content"]["application/json"]["example"], "Error")
    filters = next(p for p in rows["parameters"] if p["name"] == "filters")
    for example in filters["examples"].values():
        jsonschema.Draft202012Validator(filters["schema"]).validate(example["value"])


def test_docs_page_has_no_script(client):
    response = client.get("/api/donnees/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script" not in body and "http" not in body.split("<main>")[0]
    assert "/api/donnees/{tenant_code}/{slug}/" in body


# --- big tables -----------------------------------------------------------------------------


def _parquet_only(tenant, slug: str, table: pa.Table) -> Publication:
    """A publication online with its Parquet file only (the other formats take long to write
    for big tables, and the API reads the Parquet file alone)."""
    pub = Publication.objects.create(tenant=tenant, slug=slug, title=slug, description="-")
    version = PublicationVersion(publication=pub, number=1)
    folder = version_folder(version)
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "data.parquet")
    digest = hashlib.sha256((folder / "data.parquet").read_bytes()).hexdigest()
    version.resources = {"parquet": {"file": "data.parquet", "bytes": 0, "sha256": digest}}
    version.rows = table.num_rows
    version.status = PublicationVersion.Status.OK
    version.finished_at = timezone.now()
    version.save()
    return pub


BIG = 200_000
KINDS = ["alpha", "beta", "gamma", "delta"]


@pytest.fixture
def big(tenant, layout):
    import numpy as np

    rng = np.random.default_rng(7)
    days = rng.integers(0, 365, BIG).astype("timedelta64[D]")
    table = pa.table(
        {
            "id": pa.array(np.arange(1, BIG + 1)),
            "kind": pa.array([KINDS[i] for i in rng.integers(0, 4, BIG)]),
            "score": pa.array(rng.integers(0, 50, BIG)),  # many ties
            "jour": pa.array(np.datetime64("2025-01-01") + days),
        }
    )
    _parquet_only(tenant, "gros", table)
    return table


def test_deep_cursor_page_on_a_big_table(client, big):
    url = f"/api/donnees/{CODE}/gros/"
    walked: list[int] = []
    link: str | None = f"{url}?page_size=10000"
    pages = 0
    while link:
        response = client.get(link)
        body = response.json()
        walked += [r["id"] for r in body["data"]]
        link = body["links"]["next"]
        pages += 1
    assert pages == BIG // 10000 and walked == list(range(1, BIG + 1))
    # Deep pages with a sort on a column full of ties.
    first = client.get(f"{url}?score__sort=desc&kind__exact=beta&page_size=10000").json()
    total = first["meta"]["total"]
    kinds = big.column("kind").to_pylist()
    scores = big.column("score").to_pylist()
    expected = sorted(
        (i + 1 for i in range(BIG) if kinds[i] == "beta"), key=lambda i: -scores[i - 1]
    )
    assert total == len(expected)
    seen = [r["id"] for r in first["data"]]
    link = first["links"]["next"]
    while link:
        started = time.perf_counter()
        body = client.get(link).json()
        assert time.perf_counter() - started < 2
        seen += [r["id"] for r in body["data"]]
        link = body["links"]["next"]
    assert seen == expected


def test_clustered_copy_answers_the_same(client, big, monkeypatch):
    """On a copy clustered by its ENUM columns (forced here with tiny row groups), the default
    order stays the file's and every answer is the same."""
    monkeypatch.setattr(tabular, "ROW_GROUP", 1000)
    url = f"/api/donnees/{CODE}/gros/"
    body = client.get(f"{url}?page_size=5").json()
    assert [r["id"] for r in body["data"]] == [1, 2, 3, 4, 5]
    table = tabular.open_table(next((tabular.cache_dir().parent.parent).rglob("data.parquet")))
    if tabular.ENUM_MAX_DISTINCT:
        assert table.cluster == ["kind", "jour"] and table.ordered
    kinds = big.column("kind").to_pylist()
    scores = big.column("score").to_pylist()
    days = big.column("jour").to_pylist()
    # The file's order, by cursor (both ways) and by page number, deep in the table.
    body = client.get(f"{url}?page=15000&page_size=10").json()
    assert [r["id"] for r in body["data"]] == list(range(149991, 150001))
    back = client.get(body["links"]["prev"]).json()
    assert [r["id"] for r in back["data"]] == list(range(149981, 149991))
    pages = walk(client, f"{url}?page_size=10000&columns=id")
    assert [i for p in pages for i in p] == list(range(1, BIG + 1))
    deep = client.get(f"{url}?page_size=3").json()
    while deep["data"][0]["id"] < 10:
        deep = client.get(deep["links"]["next"]).json()
    assert [r["id"] for r in client.get(deep["links"]["prev"]).json()["data"]] == [7, 8, 9]
    # A sort on the date the clusters are ordered by, with a filter on the clustered column.
    response = client.get(f"{url}?kind__exact=alpha&jour__sort=desc&page_size=20")
    alphas = [i + 1 for i in range(BIG) if kinds[i] == "alpha"]
    expected = sorted(alphas, key=lambda i: -days[i - 1].toordinal())  # ties: the file's order
    assert [r["id"] for r in response.json()["data"]] == expected[:20]
    response = client.get(f"{url}?kind__in=gamma,delta&score__less=3&score__sort=asc")
    expected = sorted(
        (i + 1 for i in range(BIG) if kinds[i] in ("gamma", "delta") and scores[i] <= 3),
        key=lambda i: scores[i - 1],
    )
    assert response.json()["meta"]["total"] == len(expected)
    assert [r["id"] for r in response.json()["data"]] == expected[:50]
    grouped = client.get(f"{url}?kind__groupby&kind__count").json()["data"]
    assert {g["kind"]: g["kind__count"] for g in grouped} == Counter(kinds)
    # CSV exports in the file's order, whole (from the Parquet file) or filtered (the copy).
    for query, keep in (
        ("", lambda i: True),
        ("&kind__in=beta,gamma", lambda i: kinds[i] in ("beta", "gamma")),
    ):
        response = client.get(f"{url}?format=csv&columns=id{query}")
        chunks = list(response.streaming_content)
        assert len(chunks) > 2  # batch by batch
        lines = b"".join(chunks).decode().splitlines()
        assert lines[0] == '"id"'
        assert [int(x) for x in lines[1:]] == [i + 1 for i in range(BIG) if keep(i)]


def test_text_searches_on_big_tables_estimate_the_total(client, tenant, monkeypatch):
    monkeypatch.setattr(tabular, "APPROX_MIN_ROWS", 1000)
    monkeypatch.setattr(tabular, "ENUM_MAX_DISTINCT", 0)
    monkeypatch.setattr(tabular, "SAMPLE_PERCENT", 20)
    n = 20_000
    words = ["Église Saint-Pierre", "Rue de la Gare", "Place du Marché", "Quai Duguay-Trouin"]
    table = pa.table({"id": list(range(n)), "lieu": [words[i % 4] for i in range(n)]})
    _parquet_only(tenant, "lieux", table)
    url = f"/api/donnees/{CODE}/lieux/"
    body = client.get(f"{url}?q=eglise").json()
    assert body["meta"]["total_is_approximate"] is True
    assert abs(body["meta"]["total"] - n / 4) < n / 4 * 0.25
    assert all(r["lieu"] == words[0] for r in body["data"])
    exact = client.get(f"{url}?lieu__exact=Rue de la Gare").json()["meta"]
    assert exact["total_is_approximate"] is False and exact["total"] == n // 4
    assert client.get(url).json()["meta"] == {
        "page_size": 50,
        "total": n,
        "total_is_approximate": False,
        "version": 1,
    }
    # A rare match is counted exactly: the sample would say too little.
    table = tabular.open_table(next(tabular.cache_dir().parent.parent.rglob("data.parquet")))
    assert table.rows == n
    rare = client.get(f"{url}?q=introuvable").json()["meta"]
    assert rare == {**rare, "total": 0, "total_is_approximate": False}
