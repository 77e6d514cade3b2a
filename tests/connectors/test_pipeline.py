"""The load pipeline end to end, on hand-built inputs: mapping, validation, quarantine, commits,
idempotence, rollback and replay."""

import json

import duckdb
import pyarrow as pa
import pytest

from pilotis.connectors import pipeline
from pilotis.connectors.kinds import SOURCE_ROW, RawInput, ReadHints
from pilotis.connectors.mapping import Mapping
from pilotis.connectors.models import LoadRun
from pilotis.errors import PilotisError
from pilotis.warehouse import storage

MAPPING = """
table: requests
fields:
  service_request_id: Numéro
  status: {column: État, values: {Clôturée: closed, En cours: open, Nouvelle: open}}
  requested_datetime: {column: Date, format: "%d/%m/%Y %H:%M"}
  commune_insee: {column: Commune, referential: commune}
  category: {column: Thème, values: {Voirie: voirie, Propreté: proprete, Bruit: bruit}}
  service: Direction
  lat: Latitude
  channel: {value: phone}
  description: Objet
"""
COLUMNS = ["Numéro", "État", "Date", "Commune", "Thème", "Direction", "Latitude", "Objet"]
GOOD = [
    ["A1", "Clôturée", "03/01/2026 09:15", "Saint-Malo", "Voirie", "VOI", "48,65", "Nid de poule"],
    ["A2", "En cours", "04/01/2026 10:00", "cancale", "Propreté", "PRO", "48,67", "Dépôt sauvage"],
    ["A3", "Nouvelle", "05/01/2026 11:30", "35288", "Bruit", "", "", "Tapage nocturne"],
]
BAD = [
    ["A4", "Perdue", "06/01/2026 08:00", "Saint-Malo", "Voirie", "VOI", "48,6", "statut inconnu"],
    ["A5", "Clôturée", "31/02/2026 08:00", "Saint-Malo", "Voirie", "VOI", "48,6", "date fausse"],
    ["", "Clôturée", "07/01/2026 08:00", "Atlantis", "Jardins", "XXX", "148,6", "tout faux"],
    ["A1", "Clôturée", "03/01/2026 09:15", "Saint-Malo", "Voirie", "VOI", "48,65", "doublon"],
]


def raw_input(rows, columns=COLUMNS):
    def batches():
        data = {c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(columns)}
        data[SOURCE_ROW] = pa.array(range(1, len(rows) + 1), pa.int64())
        yield pa.RecordBatch.from_pydict(data)

    return RawInput(columns=list(columns), batches=batches, hints=ReadHints(decimal=","))


def load(tenant, rows, mapping=MAPPING, source="gru"):
    run = pipeline.start_run(
        tenant, Mapping.from_yaml(mapping), kind="inline", config={}, source_name=source
    )
    outcome = pipeline.execute(run, raw=raw_input(rows))
    run.refresh_from_db()
    return run, outcome


def table_rows(tenant, version=None):
    con = duckdb.connect()
    storage.register(con, "t", tenant.code, "requests", version)
    return {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT service_request_id, status, commune_insee, category, lat, _load_id FROM t"
        ).fetchall()
    }


def test_good_rows_load_bad_rows_go_to_quarantine_with_every_reason(commune):
    run, outcome = load(commune, GOOD + BAD)
    assert outcome.read == 7 == outcome.loaded + outcome.quarantined
    assert (outcome.loaded, outcome.quarantined, outcome.version) == (3, 4, 0)
    assert run.status == LoadRun.Status.SUCCEEDED
    rows = table_rows(commune)
    assert rows["A1"][:4] == ("closed", "35288", "voirie", 48.65)
    assert rows["A2"][:3] == ("open", "35049", "proprete")  # "cancale" → INSEE code
    assert rows["A3"][1] == "35288"
    quarantined = pipeline.quarantine_rows(run)
    assert [q["source_row"] for q in quarantined] == [4, 5, 6, 7]
    reasons = {q["source_row"]: json.loads(q["reasons"]) for q in quarantined}
    assert [(r["field"], r["rule"]) for r in reasons[4]] == [("status", "enum")]
    assert [(r["field"], r["rule"], r["value"]) for r in reasons[5]] == [
        ("requested_datetime", "type", "31/02/2026 08:00")
    ]
    assert {(r["field"], r["rule"]) for r in reasons[6]} == {
        ("service_request_id", "required"),
        ("commune_insee", "commune"),
        ("category", "foreign_key"),
        ("service", "foreign_key"),
        ("lat", "maximum"),
    }
    assert reasons[7] == [
        {"field": "service_request_id", "rule": "unique", "value": "A1", "expected": "1"}
    ]
    assert json.loads(quarantined[0]["record"])["État"] == "Perdue"
    assert json.loads(quarantined[3]["record"])["Objet"] == "doublon"  # rejected as duplicate


def test_reloading_the_same_data_changes_nothing(commune):
    _, first = load(commune, GOOD)
    _, second = load(commune, GOOD)
    assert first.version == 0
    assert (second.read, second.loaded, second.inserted, second.updated) == (3, 3, 0, 0)
    assert second.version is None
    assert storage.current_version(commune.code, "requests") == 0


def test_a_changed_row_is_updated_in_one_commit(commune):
    load(commune, GOOD)
    changed = [list(r) for r in GOOD]
    changed[1][1] = "Clôturée"
    changed.append(["A9", "Nouvelle", "09/01/2026 09:00", "Cancale", "Bruit", "", "", "x"])
    run, outcome = load(commune, changed)
    assert (outcome.inserted, outcome.updated, outcome.version) == (1, 1, 1)
    rows = table_rows(commune)
    assert rows["A2"][0] == "closed" and rows["A2"][-1] == run.load_id
    assert rows["A1"][-1] != run.load_id  # unchanged rows are not rewritten


def test_rollback_restores_previous_values_and_removes_added_rows(commune):
    first, _ = load(commune, GOOD)
    changed = [list(r) for r in GOOD]
    changed[1][1] = "Clôturée"
    changed.append(["A9", "Nouvelle", "09/01/2026 09:00", "Cancale", "Bruit", "", "", "x"])
    second, _ = load(commune, changed)
    undo = pipeline.rollback(second)
    second.refresh_from_db()
    assert second.status == LoadRun.Status.ROLLED_BACK
    assert (undo.rows_deleted, undo.rows_updated) == (1, 1)
    assert table_rows(commune) == table_rows(commune, version=0)
    with pytest.raises(pipeline.LoadError):
        pipeline.rollback(second)


def test_rolling_back_the_first_load_empties_the_table(commune):
    first, _ = load(commune, GOOD)
    pipeline.rollback(first)
    assert table_rows(commune) == {}


def test_replay_loads_fixed_rows_once_the_mapping_is_fixed(commune):
    run, _ = load(commune, GOOD + BAD[:1])  # "Perdue" is not a known status
    fixed = MAPPING.replace("Nouvelle: open}", "Nouvelle: open, Perdue: open}")
    again = pipeline.replay(run, mapping=Mapping.from_yaml(fixed))
    assert (again.rows_read, again.rows_loaded, again.rows_quarantined) == (1, 1, 0)
    assert table_rows(commune)["A4"][0] == "open"
    assert pipeline.quarantine_rows(run, pending_only=True) == []
    with pytest.raises(pipeline.LoadError):
        pipeline.replay(run)


def test_datetimes_in_every_usual_shape_land_in_utc(commune):
    mapping = (
        "table: requests\nfields:\n  service_request_id: id\n  status: {value: open}\n"
        "  requested_datetime: d\n"
    )
    rows = [
        ["Z", "2026-01-03T09:15:00Z"],
        ["offset", "2026-01-03T10:15:00+01:00"],
        ["paris", "03/01/2026 10:15"],  # naive: read in Europe/Paris (winter: UTC+1)
        ["fraction", "2026-01-03T10:15:00.000"],
    ]

    def batches():
        yield pa.RecordBatch.from_pydict(
            {
                "id": pa.array([r[0] for r in rows]),
                "d": pa.array([r[1] for r in rows]),
                SOURCE_ROW: pa.array(range(1, 5), pa.int64()),
            }
        )

    run = pipeline.start_run(
        commune, Mapping.from_yaml(mapping), kind="inline", config={}, source_name="t"
    )
    outcome = pipeline.execute(run, raw=RawInput(columns=["id", "d"], batches=batches))
    assert outcome.quarantined == 0
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    storage.register(con, "t", commune.code, "requests")
    hours = con.sql("SELECT DISTINCT strftime(requested_datetime, '%H:%M') FROM t").fetchall()
    assert hours == [("09:15",)]


def test_communes_given_as_names_codes_or_postal_codes(commune):
    mapping = (
        "table: requests\nfields:\n  service_request_id: id\n  status: {value: open}\n"
        "  requested_datetime: {value: 2026-01-01}\n"
        "  commune_insee: {column: c, referential: commune}\n"
    )
    given = ["SAINT MALO", "St-Malo", "35288", "35260", "Cancale ", "Rennes", "35999", "Nulle-Part"]

    def batches():
        yield pa.RecordBatch.from_pydict(
            {
                "id": pa.array([str(i) for i in range(len(given))]),
                "c": pa.array(given),
                SOURCE_ROW: pa.array(range(1, len(given) + 1), pa.int64()),
            }
        )

    run = pipeline.start_run(
        commune, Mapping.from_yaml(mapping), kind="inline", config={}, source_name="t"
    )
    outcome = pipeline.execute(run, raw=RawInput(columns=["id", "c"], batches=batches))
    assert (outcome.loaded, outcome.quarantined) == (6, 2)
    codes = {k: v[1] for k, v in table_rows(commune).items()}
    assert codes == {
        "0": "35288",
        "1": "35288",
        "2": "35288",
        "3": "35049",
        "4": "35049",
        "5": "35238",
    }
    reasons = [json.loads(q["reasons"])[0]["rule"] for q in pipeline.quarantine_rows(run)]
    assert reasons == ["commune", "commune"]


def test_an_unreadable_file_fails_the_load_and_changes_nothing(commune, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("Numéro;État;Date\nA1;Clôturée;03/01/2026 09:15\n", encoding="utf-8")
    mapping = Mapping.from_yaml(
        "table: requests\nfields:\n  service_request_id: Numéro\n"
        "  status: {column: État, values: {Clôturée: closed}}\n  requested_datetime: Date\n"
    )

    def load_file(path):
        run = pipeline.start_run(
            commune, mapping, kind="file", config={"path": str(path)}, source_name="f"
        )
        return run, pipeline.execute(run)

    load_file(good)
    cases = {
        "truncated.csv": 'Numéro;État;Date\nA2;"Clôturée;03/01/2026\n'.encode(),
        "random.csv": bytes(range(256)) * 20,
        "empty.csv": b"",
        "dupes.csv": "Numéro;Numéro;Date\nA1;A2;03/01/2026\n".encode(),
        "columns.csv": "Identifiant;État;Date\nA1;Clôturée;03/01/2026\n".encode(),
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(PilotisError) as error:
            load_file(path)
        run = LoadRun.objects.filter(source_name="f").first()
        assert run.status == LoadRun.Status.FAILED, name
        assert run.error and "Traceback" not in run.error, name
        assert str(error.value), name
        assert storage.current_version(commune.code, "requests") == 0, name
    assert list(table_rows(commune)) == ["A1"]


def test_a_decimal_in_a_whole_number_field_is_a_type_error(commune):
    from pilotis.connectors.validate import typed_expr

    con = duckdb.connect()
    from pilotis.connectors.mapping import FieldMap
    from pilotis.connectors.validate import Context
    from pilotis.warehouse.schemas import Field

    ctx = Context("t", "s", "l", ReadHints(decimal=","))
    expr = typed_expr(Field("n", "integer"), FieldMap(column="x"), "x", ctx, "Europe/Paris")
    values = ["12", "1 234", "1,5", "2026,7", "3,0", "abc"]
    got = con.sql(f"SELECT {expr} FROM (SELECT unnest(?) AS x)", params=[values]).fetchall()  # noqa: S608
    assert [r[0] for r in got] == [12, 1234, None, None, 3, None]


def test_the_territory_used_to_settle_homonyms_is_the_intercommunality(commune):
    """A name several communes of France bear is settled among the tenant's territory: the
    communes of its intercommunality, from the referential."""
    from pilotis.referential.models import Commune

    commune.epci_code = Commune.objects.get(code_insee="35288").epci_id
    commune.save()
    territory = pipeline._territory(commune)
    assert {"35288", "35049"} <= territory  # Saint-Malo and Cancale: the same agglomeration
    assert "35238" not in territory  # Rennes: another one
