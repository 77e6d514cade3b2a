"""The finance readers through the real connectors: DGFiP balances, the TOTEM budget XML with
its personal-data annexes, the SCDL budget file; bad input is refused whole."""

from __future__ import annotations

import math

import duckdb
import pyarrow.parquet as pq
import pytest
from django.utils import translation

from pilotis.connectors.kinds import SourceError
from pilotis.demo.generators import finance as demo
from pilotis.warehouse import storage
from tests.finance import builders
from tests.tenants.factories import TenantFactory


def rows(code: str) -> list[dict]:
    con = duckdb.connect()
    storage.register(con, "t", code, "budget_lines")
    return (
        con.execute("SELECT * FROM t ORDER BY article, direction, is_real").df().to_dict("records")
    )


@pytest.fixture(autouse=True)
def _english():
    """The refusals are read in English here (whatever an earlier test left active); their
    French is the catalogue's, checked by tests/test_consistency.py."""
    with translation.override("en"):
        yield


@pytest.fixture
def commune(db, warehouse):
    return TenantFactory(code="35999", name="Commune test", siren="213599999", population=1000)


def test_dgfip_balance_splits_real_and_order_flows_and_keeps_balances(commune, tmp_path):
    """Each account gives its expense/revenue, real/order lines and, for the balance sheet, its
    balances; another authority's rows and non-budget accounts (class 4) are left out; loading
    the same file again changes nothing."""
    path = builders.write_balance(tmp_path / "balance.csv", commune.siren)
    config = {"path": str(path), "siren": commune.siren}
    run, outcome = builders.load(commune, "dgfip", "dgfip_balance", config)
    assert outcome.read == outcome.loaded + outcome.quarantined == 11
    assert outcome.quarantined == 0
    found = {(r["article"], r["direction"], r["is_real"]): r for r in rows(commune.code)}
    assert found[("64111", "D", True)]["chapter"] == "012"
    assert found[("64111", "D", True)]["executed"] == 500000
    assert found[("6811", "D", False)]["chapter"] == "042"
    assert ("6811", "D", True) not in found  # OBNETDEB − OOBDEB = 0: no real line
    assert found[("1641", "D", True)]["executed"] == 100000
    assert found[("1641", "R", True)]["executed"] == 80000
    assert found[("1641", "S", False)]["closing_balance"] == 1200000
    assert found[("1641", "S", False)]["opening_balance"] == 1220000
    assert found[("2151", "S", False)]["closing_balance"] == -1300000
    assert not any(a.startswith("4") for a, _d, _r in found)
    assert found[("64111", "D", True)]["function_m57"] == "020"
    _run, again = builders.load(commune, "dgfip", "dgfip_balance", config)
    assert again.version is None and again.inserted == again.updated == 0


def test_dgfip_balance_quarantines_an_unreadable_amount(commune, tmp_path):
    rows_ = [("020", "64111", 0, 0, 500000, 0, 0, 0, 500000, 0)]
    path = builders.write_balance(tmp_path / "b.csv", commune.siren, rows=rows_)
    text = path.read_text(encoding="utf-8-sig").replace(
        "500000.00;0.00;0.00;0.00;0.00;0.00", "5OO000;0.00;0.00;0.00;0.00;0.00", 1
    )
    path.write_text(text, encoding="utf-8-sig")
    _run, outcome = builders.load(
        commune, "dgfip", "dgfip_balance", {"path": str(path), "siren": commune.siren}
    )
    assert outcome.read == outcome.loaded + outcome.quarantined
    assert outcome.quarantined == 1


def test_a_file_that_is_not_a_balance_is_refused_and_nothing_loaded(commune, tmp_path):
    path = tmp_path / "autre.csv"
    path.write_text("Nom;Montant\nA;1\n", encoding="utf-8")
    with pytest.raises(SourceError, match="not a DGFiP account balance"):
        builders.load(commune, "dgfip", "dgfip_balance", {"path": str(path)})
    assert storage.current_version(commune.code, "budget_lines") is None


def test_budget_xml_loads_budget_lines_and_never_the_annexes(loaded, tmp_path):
    """The BP's lines are loaded (order operations flagged); the names of the staff and
    subsidies annexes appear nowhere in the warehouse — tables, quarantine, anywhere."""
    xml = next(p for p in loaded.paths if p.suffix == ".xml")
    raw = xml.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    for name in demo.ANNEX_NAMES:
        assert name.encode("iso-8859-1") in raw  # the file does hold them
    run = next(r for r in loaded.runs if r.source_name == "budget-xml")
    assert run.status == "succeeded" and run.rows_read == run.rows_loaded > 100
    lines = [r for r in rows("35288") if r["stage"] == "BP"]
    assert {r["chapter"] for r in lines if not r["is_real"]} == {"021", "023", "040", "042"}
    assert all(r["budgeted"] > 0 and math.isnan(r["executed"]) for r in lines)
    texts = []
    for parquet in storage.warehouse_root().rglob("*.parquet"):
        table = pq.read_table(parquet)
        for column in table.column_names:
            if str(table.schema.field(column).type) in ("string", "large_string", "string_view"):
                texts += [v for v in table.column(column).to_pylist() if v]
    assert texts
    blob = "\n".join(texts)
    for name in demo.ANNEX_NAMES:
        for part in name.split():
            if len(part) > 4:
                assert part not in blob, part


NS = b'xmlns="http://www.minefi.gouv.fr/cp/demat/docbudgetaire"'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not well-formed"),  # truncated
        (
            b'<?xml version="1.0" encoding="UTF-8"?><DocumentBudgetaire ' + NS + b"><Budget>"
            b'<EnTeteBudget><LibelleEtab V="\xe9cole"/></EnTeteBudget></Budget>'
            b"</DocumentBudgetaire>",
            "not well-formed",
        ),
        (b'<?xml version="1.0"?><Facture><Ligne/></Facture>', "not a budget document"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
            b"<DocumentBudgetaire>&a;</DocumentBudgetaire>",
            "entities",
        ),
        (
            b'<?xml version="1.0"?><DocumentBudgetaire ' + NS + b"><Budget><EnTeteBudget/>"
            b'<BlocBudget><NatDec V="77"/></BlocBudget></Budget></DocumentBudgetaire>',
            "NatDec",
        ),
    ],
)
def test_bad_budget_xml_is_refused_whole(commune, tmp_path, content, message):
    """Truncated, wrongly encoded, not a budget, with entities, unknown document: a sentence,
    and the table keeps its version."""
    xml = builders.write_demo_xml(tmp_path / "bp.xml", commune)
    _run, first = builders.load(commune, "budget-xml", "budget_xml", {"path": str(xml)})
    assert first.loaded > 100
    bad = tmp_path / "bad.xml"
    bad.write_bytes(
        content if content is not None else xml.read_bytes()[: len(xml.read_bytes()) // 2]
    )
    before = storage.current_version(commune.code, "budget_lines")
    with pytest.raises(SourceError, match=message):
        builders.load(commune, "budget-xml", "budget_xml", {"path": str(bad)})
    assert storage.current_version(commune.code, "budget_lines") == before == 0


def test_scdl_budget_loads_and_quarantines_what_breaks_the_schema(commune, tmp_path):
    header = demo.SCDL_HEADER
    good = (
        "compte administratif;2025;21359999900011;Commune test;012;Charges de personnel;64111;"
        "Rémunérations;020;;;fonctionnement;réel;dépense;1000.50;;;;;1200;;non spécialisé"
    )
    bad = good.replace(";fonctionnement;", ";exploitation;").replace(";64111;", ";6411;")
    path = tmp_path / "ca.csv"
    path.write_text(f"{header}\n{good}\n{bad}\n", encoding="utf-8")
    _run, outcome = builders.load(commune, "scdl", "scdl_budget", {"path": str(path)})
    assert (outcome.read, outcome.loaded, outcome.quarantined) == (2, 1, 1)
    (line,) = rows(commune.code)
    assert (
        line["stage"],
        line["section"],
        line["chapter"],
        line["executed"],
        line["budgeted"],
    ) == ("CA", "F", "012", 1000.5, 1200)
    assert line["nomenclature"] == "M57"  # 2025: M57 by default
    missing = tmp_path / "incomplet.csv"
    missing.write_text("BGT_ANNEE;BGT_NATURE\n2025;64111\n", encoding="utf-8")
    with pytest.raises(SourceError, match="SCDL budget schema"):
        builders.load(commune, "scdl", "scdl_budget", {"path": str(missing)})
