"""Small finance files in the real formats, with figures simple enough to check by hand."""

from __future__ import annotations

from pathlib import Path

from pilotis.demo.generators.finance import BALANCE_HEADER, EXECUTION_HEADER, MAPPINGS

# (function, account, BEDEB, BECRE, OBNETDEB, OBNETCRE, OOBDEB, OOBCRE, SD, SC)
BALANCE_2025 = [
    ("020", "64111", 0, 0, 500000, 0, 0, 0, 500000, 0),
    ("020", "6068", 0, 0, 200000, 0, 0, 0, 200000, 0),
    ("01", "6811", 0, 0, 50000, 0, 50000, 0, 50000, 0),
    ("01", "73111", 0, 0, 0, 900000, 0, 0, 0, 900000),
    ("01", "775", 0, 0, 0, 30000, 0, 0, 0, 30000),
    ("843", "2151", 1000000, 0, 300000, 0, 0, 0, 1300000, 0),
    ("", "1641", 0, 1220000, 100000, 80000, 0, 0, 0, 1200000),
    ("", "1688", 0, 10000, 0, 0, 0, 0, 0, 10000),
    ("", "4011", 0, 0, 450000, 450000, 0, 0, 0, 0),
]
# M14 exercise: function 413 (swimming pools, sport) is M57 323 (culture, sport: heading 3).
BALANCE_2023 = [
    ("413", "6068", 0, 0, 100000, 0, 0, 0, 100000, 0),
    ("64", "64111", 0, 0, 80000, 0, 0, 0, 80000, 0),
]


def balance_line(year: int, siren: str, nomen: str, row: tuple) -> str:
    function, account, *amounts = row
    values = (
        ";".join(f"{a:.2f}" for a in amounts[:4])
        + ";0.00;0.00;"
        + ";".join(f"{a:.2f}" for a in amounts[4:])
    )
    return (
        f"{year};{siren}00011;035;COMMUNE TEST;999;1;101;;{nomen};{siren};053;;;;;Commune;DEF;"
        f"{function};{account};{values}"
    )


def write_balance(path: Path, siren: str, year: int = 2025, rows=None, nomen: str = "M57") -> Path:
    rows = BALANCE_2025 if rows is None else rows
    lines = [balance_line(year, siren, nomen, r) for r in rows]
    lines.append(balance_line(year, "200000000", nomen, BALANCE_2025[0]))  # someone else
    path.write_text(BALANCE_HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


EXECUTION_2026 = [
    # month, section, direction, chapter, article, function, credits, committed, executed
    (1, "Fonctionnement", "Dépense", "012", "64111", "020", "600000,00", "50000,00", "50000,00"),
    (2, "Fonctionnement", "Dépense", "012", "64111", "020", "600000,00", "50000,00", "50000,00"),
    (1, "Investissement", "Dépense", "21", "2151", "843", "400000,00", "120000,00", "0,00"),
    (2, "Investissement", "Dépense", "21", "2151", "843", "400000,00", "0,00", "40000,00"),
]


def write_execution(path: Path, rows=EXECUTION_2026) -> Path:
    lines = [
        f"2026;{m};M57;{s};{d};{c};{a};{f};Ligne {a};Réelle;{cr};{co};{ex}"
        for m, s, d, c, a, f, cr, co, ex in rows
    ]
    path.write_bytes((EXECUTION_HEADER + "\r\n" + "\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def mapping(name: str) -> str:
    return (MAPPINGS / name).read_text(encoding="utf-8")


def load(tenant, name: str, kind: str, config: dict, mapping_file: str = "budget_reader.yaml"):
    from pilotis.connectors import pipeline
    from pilotis.connectors.mapping import Mapping

    run = pipeline.start_run(
        tenant, Mapping.from_yaml(mapping(mapping_file)), kind=kind, config=config, source_name=name
    )
    outcome = pipeline.execute(run)
    return run, outcome


def write_demo_xml(path: Path, tenant) -> Path:
    """A BP of the demo's shape (with its staff and subsidies annexes) for `tenant`."""
    from pilotis.demo.generators import finance as demo

    profile = demo.Profile(1000, 0.12, 300, 900, 60)
    lines = demo.exercise(tenant, 2026, 2022, profile, tenant.population or 1000)
    path.write_bytes(demo.budget_xml(tenant, 2026, lines).encode("iso-8859-1"))
    return path
