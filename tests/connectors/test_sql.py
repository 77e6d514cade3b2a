"""The `sql` kind against a real PostgreSQL (a database of its own, created and dropped here) and
a real SQLite file: exact text of every type, streaming in batches, read-only reading, refused
statements and clear connection errors."""

import os
import sqlite3
from datetime import UTC, datetime

import psycopg
import pytest

from pilotis.connectors import kinds
from pilotis.connectors.kinds import SOURCE_ROW, SourceError
from pilotis.connectors.sql import SqlKind, check_select
from tests.connectors.raw import rows_of as table
from tests.connectors.servers import closed_port

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
# One database per xdist worker: two workers may run this module at once.
DATABASE = f"pilotis_sqlsource_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
URL = f"{SERVER}/{DATABASE}"

SETUP = """
CREATE TABLE demandes (
    id integer PRIMARY KEY,
    numero text,
    montant numeric(14, 2),
    ratio double precision,
    ouverte boolean,
    cree_le timestamptz,
    jour date,
    heure time,
    details jsonb,
    ref uuid,
    photo bytea,
    note text
);
INSERT INTO demandes VALUES
    (1, 'A-1', 12.50, 0.1, true, '2024-03-01 08:30:00+01', '2024-03-01', '08:30:00',
     '{"canal": "web", "priorite": 2}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\xdeadbeef',
     'Nid de poule ; rue « Saint-Malo »'),
    (2, 'A-2', 1234567890.10, 2.5e-7, false, '2024-03-02 17:05:09.25+00', '2024-03-02',
     '17:05:09', '[1, 2]', NULL, NULL, NULL),
    (3, 'A-3', -0.05, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '');
CREATE TABLE "Mixed Case" ("Libellé" text);
INSERT INTO "Mixed Case" VALUES ('é');
CREATE SCHEMA gru;
CREATE TABLE gru.big AS SELECT g AS n, 'r' || g AS label FROM generate_series(1, 25000) g;
ANALYZE gru.big;
CREATE SEQUENCE compteur;
"""


@pytest.fixture(scope="module")
def pg():
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {DATABASE}")
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DATABASE}") as c:
            c.execute(SETUP)
        yield URL
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


@pytest.fixture
def sqlite_file(tmp_path):
    path = tmp_path / "gru.sqlite"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE t (id INTEGER, label TEXT, amount REAL, data BLOB, day TEXT)")
        c.executemany(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
            [(1, "un", 0.1, b"\x01\x02", "2024-05-01"), (2, None, 3.0, None, "2024-05-02")],
        )
    c.close()
    return path


def open_kind(**config):
    return SqlKind(config).open()


def error_of(**config) -> str:
    with pytest.raises(SourceError) as caught:
        open_kind(**config)
    return caught.value.in_language("en")


def test_registered():
    kinds.load_builtin_kinds()
    assert kinds.get("sql") is SqlKind


def test_table_values_become_exact_text(pg):
    raw = open_kind(url=pg, table="demandes")
    assert raw.columns == [
        "id", "numero", "montant", "ratio", "ouverte", "cree_le", "jour", "heure", "details",
        "ref", "photo", "note",
    ]  # fmt: skip
    assert raw.description == f"SQL database {pg}, table demandes"
    rows = table(raw)
    assert len(rows) == 3
    first, second, third = rows
    created = first.pop("cree_le")
    assert datetime.fromisoformat(created) == datetime(2024, 3, 1, 7, 30, tzinfo=UTC)
    assert first == {
        "id": "1",
        "numero": "A-1",
        "montant": "12.50",
        "ratio": "0.1",
        "ouverte": "true",
        "jour": "2024-03-01",
        "heure": "08:30:00",
        "details": '{"canal": "web", "priorite": 2}',
        "ref": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "photo": "deadbeef",
        "note": "Nid de poule ; rue « Saint-Malo »",
        SOURCE_ROW: 1,
    }
    assert second["montant"] == "1234567890.10"
    assert second["ratio"] == "2.5e-07"
    assert second["ouverte"] == "false"
    assert datetime.fromisoformat(second["cree_le"]) == datetime(
        2024, 3, 2, 17, 5, 9, 250000, tzinfo=UTC
    )
    assert second["details"] == "[1, 2]"
    assert (second["ref"], second["photo"], second["note"]) == (None, None, None)
    assert third["montant"] == "-0.05" and third["note"] == "" and third[SOURCE_ROW] == 3
    assert raw.hints.date_formats == [
        "%Y-%m-%dT%H:%M:%S.%f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d",
    ]


def test_big_table_streams_in_batches(pg):
    raw = open_kind(url=pg, table="big", schema="gru")
    assert raw.columns == ["n", "label"]
    assert raw.estimated_rows == 25000
    batches = list(raw.batches())
    assert [b.num_rows for b in batches] == [10000, 10000, 5000]
    last = batches[-1].to_pylist()[-1]
    assert last == {"n": "25000", "label": "r25000", SOURCE_ROW: 25000}
    # Read again (e.g. a retried load): the query runs again.
    assert sum(b.num_rows for b in raw.batches()) == 25000
    raw.cleanup()


def test_quoted_table_name(pg):
    raw = open_kind(url=pg, table="Mixed Case")
    assert raw.columns == ["Libellé"]
    assert raw.description.endswith('table "Mixed Case"')
    assert table(raw) == [{"Libellé": "é", SOURCE_ROW: 1}]


def test_query_with_comments_literals_and_final_semicolon(pg):
    query = """-- the open ones
        WITH recent AS (SELECT n, label FROM gru.big WHERE n <= 12)
        SELECT n, label, ':x' AS colon, 'it''s; fine' AS quote, $$ DROP $$ AS dollars
        FROM recent WHERE label LIKE 'r1%' /* ; DELETE */ ORDER BY n;  -- done
    """
    raw = open_kind(url=pg, query=query)
    assert raw.columns == ["n", "label", "colon", "quote", "dollars"]
    assert raw.estimated_rows is None
    rows = table(raw)
    assert [r["n"] for r in rows] == ["1", "10", "11", "12"]
    assert rows[0] == {
        "n": "1", "label": "r1", "colon": ":x", "quote": "it's; fine", "dollars": " DROP ",
        SOURCE_ROW: 1,
    }  # fmt: skip
    assert "query “-- the open ones WITH recent AS (SELECT n, label FROM gru.big WHERE" in (
        raw.description
    )


def test_repeated_column_names_are_made_unique(pg):
    raw = open_kind(url=pg, query="SELECT id, id, numero AS _source_row FROM demandes WHERE id = 1")
    assert raw.columns == ["id", "id_2", "_source_row_2"]
    assert table(raw) == [{"id": "1", "id_2": "1", "_source_row_2": "A-1", SOURCE_ROW: 1}]


def test_an_empty_result_has_columns(pg):
    raw = open_kind(url=pg, query="SELECT id, numero FROM demandes WHERE false")
    assert raw.columns == ["id", "numero"]
    assert table(raw) == []


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("DELETE FROM demandes", "starts with “DELETE”"),
        ("SELECT 1; DROP TABLE demandes", "several statements"),
        ("SELECT 1;; ", None),
        ("SELECT * INTO copie FROM demandes", "contains “INTO”"),
        ("WITH d AS (DELETE FROM demandes RETURNING *) SELECT * FROM d", "contains “DELETE”"),
        ("select id from demandes for update", "contains “UPDATE”"),
        ("VALUES (1)", "starts with “VALUES”"),
        ("SELECT 'unclosed", "never closed"),
        ("SELECT 1 /* open", "never closed"),
    ],
)
def test_statements_that_do_not_only_read_are_refused(query, words):
    if words is None:
        assert check_select(query) == "SELECT 1"
        return
    with pytest.raises(SourceError) as caught:
        check_select(query)
    assert words in caught.value.in_language("en")


def test_quoted_words_are_not_refused():
    query = """SELECT "update", 'delete me' AS "into", E'\\'; drop' FROM t"""
    assert check_select(query) == query
    assert check_select("SELECT 'a\\'; DELETE' FROM t", backslash_escapes=True)


def test_the_database_itself_refuses_writes(pg):
    message = error_of(url=pg, query="SELECT nextval('compteur')")
    assert "The database refused the query" in message
    assert "read-only transaction" in message
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DATABASE}") as c:
        assert c.execute("SELECT count(*) FROM demandes").fetchone() == (3,)


def test_query_errors(pg):
    message = error_of(url=pg, table="absente")
    assert 'relation "absente" does not exist' in message
    assert "syntax error" in error_of(url=pg, query="SELECT FROM WHERE")
    assert "either a query or a table" in error_of(url=pg, table="t", query="SELECT 1")
    assert "“query”" in error_of(url=pg)


def test_connection_errors_hide_the_password(monkeypatch):
    port = closed_port()
    message = error_of(url=f"postgresql+psycopg://postgres:hunter2@127.0.0.1:{port}/x", table="t")
    assert "Could not connect to the database" in message
    assert "hunter2" not in message and "***" in message
    monkeypatch.setenv("PILOTIS_SOURCE_SECRET_TEST_DB_PASSWORD", "hunter3")
    message = error_of(
        url=f"{SERVER}/pilotis_no_such_db",
        password_env="PILOTIS_SOURCE_SECRET_TEST_DB_PASSWORD",
        table="t",
    )
    assert 'database "pilotis_no_such_db" does not exist' in message
    assert "hunter3" not in message


def test_configuration_errors(monkeypatch):
    assert "not a valid database address" in error_of(url="not an address", table="t")
    assert "driver for “mysql+mysqldb”" in error_of(url="mysql+mysqldb://u@h/db", table="t")
    monkeypatch.delenv("PILOTIS_SOURCE_SECRET_TEST_ABSENT", raising=False)
    message = error_of(url=URL, table="t", password_env="PILOTIS_SOURCE_SECRET_TEST_ABSENT")
    assert "PILOTIS_SOURCE_SECRET_TEST_ABSENT" in message and "not set" in message
    assert "“url” is required" in error_of(table="t")


def test_sqlite_file(sqlite_file):
    raw = open_kind(url=f"sqlite:///{sqlite_file}", table="t")
    assert raw.columns == ["id", "label", "amount", "data", "day"]
    assert raw.hints.date_formats == ["%Y-%m-%d"]
    assert table(raw) == [
        {"id": "1", "label": "un", "amount": "0.1", "data": "0102", "day": "2024-05-01",
         SOURCE_ROW: 1},
        {"id": "2", "label": None, "amount": "3", "data": None, "day": "2024-05-02",
         SOURCE_ROW: 2},
    ]  # fmt: skip
    raw = open_kind(url=f"sqlite:///{sqlite_file}", query="SELECT label FROM t WHERE id = 1")
    assert table(raw) == [{"label": "un", SOURCE_ROW: 1}]


def test_sqlite_is_read_only(sqlite_file):
    # Past the statement check (a function, not a statement), SQLite's query_only still holds.
    raw = open_kind(url=f"sqlite:///{sqlite_file}", query="SELECT 1 AS one")
    assert table(raw) == [{"one": "1", SOURCE_ROW: 1}]
    kind = SqlKind({"url": f"sqlite:///{sqlite_file}", "table": "t"})
    raw = kind.open()
    stream = raw.cleanup.__self__
    with pytest.raises(Exception, match="readonly|read-only|query_only"):
        stream._connection.exec_driver_sql("DELETE FROM t")
    raw.cleanup()
    with sqlite3.connect(sqlite_file) as c:
        assert c.execute("SELECT count(*) FROM t").fetchone() == (2,)
    c.close()


def test_sqlite_errors(tmp_path):
    message = error_of(url=f"sqlite:///{tmp_path / 'absent.db'}", table="t")
    assert "does not exist" in message and "absent.db" in message
    assert not (tmp_path / "absent.db").exists()
    assert "must be a file" in error_of(url="sqlite://", table="t")


def test_timestamps_without_offset(tmp_path):
    path = tmp_path / "naive.sqlite"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE t (at TEXT)")
        c.execute("INSERT INTO t VALUES ('2024-05-01T10:00:00'), ('2024-05-01T10:00:00.5')")
    c.close()
    raw = open_kind(url=f"sqlite:///{path}", table="t")
    assert raw.hints.date_formats == ["%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"]
    raw.cleanup()
