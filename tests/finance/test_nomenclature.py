"""The M14 → M57 correspondence (data in pilotis/finance/data) and the continuity it gives the
multi-year series by function across the change of nomenclature."""

from __future__ import annotations

from datetime import date

import duckdb

from pilotis.connectors.mapping import normalise
from pilotis.finance import nomenclature as nom
from pilotis.metrics.registry import Query, evaluate
from pilotis.warehouse import storage


def test_the_correspondence_matches_by_label_and_is_consistent():
    """Rows marked “label” have the same label in both nomenclatures; each M14 code appears
    once; each M57 code has one label; every M57 code falls under one of the nine headings."""
    matches = nom.function_matches()
    assert len(matches) > 80
    labels: dict[str, set[str]] = {}
    for m in matches.values():
        assert m.match in ("label", "equivalent"), m
        if m.match == "label":
            assert normalise(m.m14_label) == normalise(m.m57_label), m
        labels.setdefault(m.m57_code, set()).add(m.m57_label)
        assert nom.heading(m.m57_code) in set("012345678"), m
    assert all(len(v) == 1 for v in labels.values())


def test_codes_four_to_seven_changed_meaning():
    """M14 4 (sport) is M57 3; M14 5 (social) and 6 (family) are M57 4; M14 7 (housing) is M57 5."""
    assert nom.heading(nom.m57_function("411", "M14")) == "3"
    assert nom.heading(nom.m57_function("523", "M14")) == "4"
    assert nom.heading(nom.m57_function("64", "M14")) == "4"
    assert nom.heading(nom.m57_function("72", "M14")) == "5"
    assert nom.m57_function("423", "M57") == "423"  # M57 codes are kept as they are
    assert nom.m57_function("-", "M14") == "-"
    assert nom.m57_function("999", "M4") is None


def test_chapters_of_usual_accounts():
    assert nom.chapter_of("64111", "F", "D", True) == "012"
    assert nom.chapter_of("6419", "F", "R", True) == "013"
    assert nom.chapter_of("739211", "F", "D", True) == "014"
    assert nom.chapter_of("2041582", "I", "D", True) == "204"
    assert nom.chapter_of("6811", "F", "D", False) == "042"
    assert nom.chapter_of("28031", "I", "R", False) == "040"
    assert nom.chapter_of("023", "F", "D", False) == "023"
    assert nom.family("M14-M14_COM_SUP3500") == "M14" and nom.family("M57A") == "M57"


def test_demo_series_by_function_run_on_across_the_change(loaded):
    """Saint-Malo 2022–2025 (M14 then M57): each M57 heading grows smoothly year to year; read
    by their raw first digit instead, the M14 years would put sport under 4 and the 2024 jump
    would jump in 2024."""
    by_year = {}
    for year in (2022, 2023, 2024, 2025):
        rows = evaluate(
            "finance.real_operating_expenses",
            Query(("35288",), date(year, 1, 1), date(year, 12, 31), by="function"),
        ).rows
        by_year[year] = {r["key"]: r["value"] for r in rows if not r["total"]}
    assert set(by_year[2023]) == set(by_year[2024])
    for heading in by_year[2023]:
        for year in (2023, 2024, 2025):
            ratio = by_year[year][heading] / by_year[year - 1][heading]
            assert 0.97 < ratio < 1.10, (heading, year, ratio)
    con = duckdb.connect()
    storage.register(con, "t", "35288", "budget_lines")
    raw = dict(
        con.execute(
            """SELECT exercise, sum(executed) FROM t WHERE stage = 'BAL' AND is_real
               AND section = 'F' AND direction = 'D' AND left(function, 1) = '4'
               GROUP BY exercise"""
        ).fetchall()
    )
    mapped = by_year[2024]["4"] / by_year[2023]["4"]
    assert abs(raw[2024] / raw[2023] - mapped) > 0.15, (raw, mapped)
