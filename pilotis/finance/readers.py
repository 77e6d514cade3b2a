"""Readers of the public finance formats, registered as source kinds of the connectors:

- `dgfip_balance`: the DGFiP « balances comptables » CSV (data.economie.gouv.fr: EXER, IDENT,
  SIREN, CBUDG, NOMEN, FONCTION, COMPTE, BEDEB … OOBCRE, SD, SC), read through the file kind.
  Each account's budget operations become budget lines split into expense (debit) and revenue
  (credit), real (OBNET − OOB) and order (OOB) parts; a balance-sheet account (classes 1 and
  2) also gives an S line with its opening and closing balances (the outstanding debt).
- `budget_xml`: the « DocumentBudgetaire » XML sent to the prefecture (TOTEM, Actes
  budgétaires; namespace http://www.minefi.gouv.fr/cp/demat/docbudgetaire, ISO-8859-1), parsed
  with defusedxml. Only the `LigneBudget` elements of `Budget` are read: the annexes
  (DATA_PERSONNEL, DATA_CONCOURS, DATA_EMPRUNT…) hold personal data and are never read.
- `scdl_budget`: the SCDL budget CSV (schema scdl/budget 0.8.3, shipped in `schemas/`).

Each hands the pipeline the same text columns (named by `mappings/budget_reader.yaml`); the
pipeline types and validates them as for any source. A reader decides nothing about values: a
value it cannot use travels as it is, and is quarantined.
A file that is not what the kind reads raises SourceError before anything is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pilotis.connectors.files import FileKind
from pilotis.connectors.kinds import (
    SOURCE_ROW,
    RawInput,
    ReadHints,
    SourceError,
    SourceKind,
    register,
)
from pilotis.finance import nomenclature as nom
from pilotis.warehouse import storage

NAMESPACE = "http://www.minefi.gouv.fr/cp/demat/docbudgetaire"
SCDL_SCHEMA = Path(__file__).with_name("schemas") / "scdl-budget-0.8.3.json"

LINE_COLUMNS = [
    "exercice",
    "mois",
    "etape",
    "budget",
    "nomenclature",
    "section",
    "sens",
    "chapitre",
    "article",
    "fonction",
    "fonction_m57",
    "reel",
    "credits_ouverts",
    "engage",
    "realise",
    "solde_entree",
    "solde_cloture",
    "libelle",
]
DGFIP_REQUIRED = ("EXER", "COMPTE", "OBNETDEB", "OBNETCRE", "OOBDEB", "OOBCRE", "SD", "SC")
# Classes of accounts that carry budget operations (4 and 5: third parties and cash, not budget).
BUDGET_CLASSES = ("1", "2", "6", "7")
XML_STAGES = {"01": "BP", "02": "DM", "03": "BS", "09": "CA"}
SCDL_STAGES = {
    "budget primitif": "BP",
    "budget supplementaire": "BS",
    "decision modificative": "DM",
    "compte administratif": "CA",
}

Row = dict[str, str | None]


def _name(path: str) -> str:
    return Path(path).name


def _raw(columns: list[str], rows: list[tuple[int, Row]], description: str) -> RawInput:
    """A RawInput of text columns from (source row, values) pairs, already all read."""
    raw = RawInput(
        columns=list(columns),
        hints=ReadHints(decimal="."),
        estimated_rows=len(rows),
        description=description,
    )
    schema = raw.arrow_schema()

    def batches() -> Iterator[pa.RecordBatch]:
        arrays = [pa.array([r.get(c) for _n, r in rows], pa.string()) for c in columns]
        arrays.append(pa.array([n for n, _r in rows], pa.int64()))
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    raw.batches = batches
    return raw


def _number(text: str | None) -> Decimal | None:
    """A number written with a point or a comma, spaces allowed; None when empty or not one."""
    if text is None:
        return None
    cleaned = str(text).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not cleaned:
        return None
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        return None


def _text(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _amount(text: str | None) -> str | None:
    """An amount as text with a decimal point; the source's text when it is not a number (it is
    then quarantined as it was written)."""
    value = _number(text)
    if value is None:
        return text if (text or "").strip() else None
    return _text(value)


def _plain(text: str | None) -> str:
    """Lower case, no accents: to compare enumerated words."""
    from pilotis.connectors.mapping import normalise

    return normalise(text or "")


_CACHE_MAX_BYTES = 64 * 1024**2  # files read again and again (a territory's balance) stay parsed
_parsed: dict[
    tuple[str, int, int, str], tuple[list[str], list[tuple[int, list[str | None]]], str]
] = {}


def _read_csv(
    config: dict[str, Any], where: tuple[str, str] | None = None
) -> tuple[list[str], list[tuple[int, list[str | None]]], str]:
    """The rows of a CSV file, through the file kind (encoding, separator and quoting sniffed,
    its errors explained); with `where` = (column, value), only the rows where the column
    (named in any case) holds the value. A small file is parsed once and kept (one extract of a
    territory loaded by each of its members); a large one (a national file) is filtered by
    DuckDB as it reads, never held in memory whole."""
    path = Path(str(config.get("path")))
    try:
        stat = path.stat()
    except OSError:
        stat = None
    small = stat is not None and stat.st_size <= _CACHE_MAX_BYTES
    key = (
        (str(path.resolve()), stat.st_size, stat.st_mtime_ns, str(config.get("encoding")))
        if stat is not None and small
        else None
    )
    found = _parsed.get(key) if key is not None else None
    if found is None:
        found = _parse_csv(config, path, None if small else where)
        if key is not None:
            if len(_parsed) >= 16:
                _parsed.clear()
            _parsed[key] = found
    if where is None or not small:
        return found
    columns, rows, description = found
    index = next((i for i, c in enumerate(columns) if c.strip().upper() == where[0]), None)
    if index is None:
        return found
    kept = [(n, r) for n, r in rows if (r[index] or "").strip() == where[1]]
    return columns, kept, description


def _parse_csv(
    config: dict[str, Any], path: Path, where: tuple[str, str] | None
) -> tuple[list[str], list[tuple[int, list[str | None]]], str]:
    file_config = {k: v for k, v in config.items() if k in FileKind.options}
    file_config["format"] = "csv"
    raw = FileKind(file_config).open()
    con = duckdb.connect()
    try:
        relation = raw.to_relation(con)
        if where is not None:
            column = next((c for c in raw.columns if c.strip().upper() == where[0]), None)
            if column is not None:
                relation = relation.filter(
                    f"trim({storage.ident(column)}) = {storage.lit(where[1])}"
                )
        rows = relation.fetchall()
    except duckdb.Error as error:
        from pilotis.connectors.files import explain_duckdb_error

        raise explain_duckdb_error(error, str(path)) from None
    finally:
        con.close()
        if raw.cleanup:
            raw.cleanup()
    return raw.columns, [(int(r[-1]), list(r[:-1])) for r in rows], raw.description


# --- DGFiP account balances ----------------------------------------------------------------


def _budget_id(cbudg: str | None, ident: str | None) -> str:
    return (
        "principal" if (cbudg or "1").strip() in ("1", "01") else f"annexe-{(ident or '').strip()}"
    )


def balance_lines(record: Row, number: int) -> list[tuple[int, Row]]:
    """The budget lines of one balance row: up to four (expense/revenue × real/order)."""
    account = (record.get("COMPTE") or "").strip()
    if not account.startswith(BUDGET_CLASSES):
        return []
    family = nom.family(record.get("NOMEN")) or (record.get("NOMEN") or "")
    function = (record.get("FONCTION") or "").strip() or nom.NO_FUNCTION
    section = nom.section_of(account)
    base: Row = {
        "exercice": (record.get("EXER") or "").strip()[:4],
        "mois": "0",
        "etape": "BAL",
        "budget": _budget_id(record.get("CBUDG"), record.get("IDENT")),
        "nomenclature": family,
        "section": section,
        "article": account,
        "fonction": function,
        "fonction_m57": nom.m57_function(function, family),
        "libelle": None,
    }
    out = []
    for direction, total_column, order_column in (
        ("D", "OBNETDEB", "OOBDEB"),
        ("R", "OBNETCRE", "OOBCRE"),
    ):
        total_text, order_text = record.get(total_column), record.get(order_column)
        total, order = _number(total_text), _number(order_text)
        if total is None and (total_text or "").strip():
            parts = [(True, total_text)]  # not a number: quarantined as it is
        elif total is None:
            continue
        else:
            order = order or Decimal(0)
            parts = [(True, _text(total - order)), (False, _text(order))]
        for is_real, amount in parts:
            if amount is None or _number(amount) == 0:
                continue
            row = dict(base)
            row.update(
                sens=direction,
                chapitre=nom.chapter_of(account, section, direction, is_real),
                reel="true" if is_real else "false",
                realise=amount,
            )
            out.append((number, row))
    if account.startswith(("1", "2")):
        out.extend(_balance_stock(record, number, base, account))
    return out


def _signed(credit: str | None, debit: str | None) -> str | None:
    """Credit minus debit as text; the source's text when one is not a number."""
    c, d = _number(credit), _number(debit)
    for text, value in ((credit, c), (debit, d)):
        if value is None and (text or "").strip():
            return text
    if c is None and d is None:
        return None
    return _text((c or Decimal(0)) - (d or Decimal(0)))


def _balance_stock(record: Row, number: int, base: Row, account: str) -> list[tuple[int, Row]]:
    """The S line of a balance-sheet account: its opening and closing balances."""
    opening = _signed(record.get("BECRE"), record.get("BEDEB"))
    closing = _signed(record.get("SC"), record.get("SD"))
    if all(text is None or _number(text) == 0 for text in (opening, closing)):
        return []
    row = dict(base)
    row.update(
        sens="S",
        chapitre=account[:2],
        reel="false",
        solde_entree=opening,
        solde_cloture=closing,
    )
    return [(number, row)]


@register
class DgfipBalanceKind(SourceKind):
    """The DGFiP account balances of local authorities (CSV of data.economie.gouv.fr)."""

    name = "dgfip_balance"
    label = _("DGFiP account balances (CSV)")
    options: ClassVar[dict[str, str | Promise]] = {
        "path": _("Path of the CSV file (one exercise, as published), or “paths”: a list."),
        "siren": _("Keep the rows of this SIREN only (a national file holds every authority)."),
        "budgets": _("“principal” (default: the main budget only) or “all”."),
        "encoding": _("Text encoding; detected when empty."),
    }

    def open(self) -> RawInput:
        paths = self.config.get("paths") or [self.config.get("path")]
        if not paths or not all(paths):
            raise SourceError(_("The DGFiP balance source needs a path: set the “path” option."))
        siren = str(self.config.get("siren") or "").strip()
        main_only = str(self.config.get("budgets") or "principal") != "all"
        out: list[tuple[int, Row]] = []
        offset = 0
        for path in paths:
            columns, rows, _description = _read_csv(
                {**self.config, "path": str(path)}, ("SIREN", siren) if siren else None
            )
            upper = [c.strip().upper() for c in columns]
            missing = [c for c in DGFIP_REQUIRED if c not in upper]
            if missing:
                raise SourceError(
                    _(
                        "The file “%(file)s” is not a DGFiP account balance: it lacks the "
                        "column(s) %(missing)s."
                    ),
                    file=_name(str(path)),
                    missing=", ".join(missing),
                )
            for number, values in rows:
                record = dict(zip(upper, values, strict=False))
                if main_only and (record.get("CBUDG") or "1").strip() not in ("1", "01"):
                    continue
                out.extend(balance_lines(record, offset + number))
            offset += max((n for n, _v in rows), default=0)
        return _raw(
            LINE_COLUMNS,
            out,
            str(_("DGFiP account balance, %(files)s file(s), %(rows)s budget lines"))
            % {"files": len(paths), "rows": len(out)},
        )


# --- DocumentBudgetaire XML (TOTEM) ---------------------------------------------------------


def _v(element: Any, tag: str) -> str | None:
    """The V attribute of the child `tag` (TOTEM puts every value there)."""
    child = element.find(f"{{{NAMESPACE}}}{tag}")
    if child is None:
        child = element.find(tag)
    if child is None:
        return None
    value = child.get("V")
    return None if value is None else value.strip()


def _parse_xml(path: Path) -> Any:
    try:
        return SafeET.parse(str(path)).getroot()
    except FileNotFoundError:
        raise SourceError(_("The file “%(file)s” does not exist."), file=path.name) from None
    except DefusedXmlException:
        raise SourceError(
            _("The file “%(file)s” declares entities or a DTD, which are refused for safety."),
            file=path.name,
        ) from None
    except SafeET.ParseError as error:
        line, column = getattr(error, "position", ("?", "?"))
        raise SourceError(
            _(
                "The file “%(file)s” is not well-formed XML (line %(line)s, column %(column)s: "
                "%(error)s): it may be truncated or not in the encoding it declares. Export "
                "it again from the budget software."
            ),
            file=path.name,
            line=line,
            column=column,
            error=str(error).split(":")[0],
        ) from None


def _xml_amount(line: Any, *tags: str) -> str | None:
    """The first of `tags` the line gives (as text)."""
    for tag in tags:
        value = _v(line, tag)
        if value not in (None, ""):
            return value
    return None


def xml_lines(root: Any, path: Path) -> list[tuple[int, Row]]:
    """The budget lines of a DocumentBudgetaire: the `LigneBudget` of its `Budget`, summed by
    the table's key (a line repeated for several equipment operations becomes one)."""
    ns = f"{{{NAMESPACE}}}"
    if root.tag not in (f"{ns}DocumentBudgetaire", "DocumentBudgetaire"):
        raise SourceError(
            _("The file “%(file)s” is XML but not a budget document (DocumentBudgetaire)."),
            file=path.name,
        )
    budget = root.find(f"{ns}Budget")
    if budget is None:
        raise SourceError(_("The file “%(file)s” holds no budget (Budget)."), file=path.name)
    header = budget.find(f"{ns}EnTeteBudget")
    block = budget.find(f"{ns}BlocBudget")
    if header is None or block is None:
        raise SourceError(
            _("The budget of “%(file)s” has no EnTeteBudget or BlocBudget."), file=path.name
        )
    nature_code = _v(block, "NatDec") or ""
    stage = XML_STAGES.get(nature_code)
    if stage is None:
        raise SourceError(
            _("The document type NatDec “%(code)s” of “%(file)s” is not a budget Pilotis reads."),
            code=nature_code,
            file=path.name,
        )
    family = nom.family(_v(header, "Nomenclature"))
    main = (_v(block, "CodTypBud") or "P") == "P"
    budget_id = "principal" if main else f"annexe-{_v(header, 'IdEtab') or ''}"
    merged: dict[tuple[str | None, ...], tuple[int, Row, list[Decimal | None]]] = {}
    for number, line in enumerate(budget.iterfind(f"{ns}LigneBudget"), start=1):
        account = _v(line, "Nature") or ""
        direction = _v(line, "CodRD")
        order_flag = _v(line, "OpBudg")
        is_real = order_flag != "1" and account not in nom.CARRIED_RESULTS
        if account in nom.ORDER_CHAPTERS:
            is_real = False
        section = nom.section_of(account)
        function = _v(line, "Fonction") or nom.NO_FUNCTION
        executed = _xml_amount(line, "MtReal")
        carried = _number(_v(line, "MtRAR3112"))
        committed = executed
        if stage == "CA" and _number(executed) is not None and carried:
            committed = _text((_number(executed) or Decimal(0)) + carried)
        row: Row = {
            "exercice": _v(block, "Exer"),
            "mois": "0",
            "etape": stage,
            "budget": budget_id,
            "nomenclature": family,
            "section": section,
            "sens": direction,
            "chapitre": nom.chapter_of(account, section, direction or "", is_real),
            "article": account,
            "fonction": function,
            "fonction_m57": nom.m57_function(function, family),
            "reel": "true" if is_real else "false",
            "credits_ouverts": _xml_amount(line, "CredOuv", "MtPrev", "MtPropNouv"),
            "engage": committed if stage == "CA" else None,
            "realise": executed if stage == "CA" else None,
            "libelle": None,
        }
        key = tuple(row[c] for c in ("section", "sens", "chapitre", "article", "fonction", "reel"))
        amounts = [_number(row[c]) for c in ("credits_ouverts", "engage", "realise")]
        if key not in merged:
            merged[key] = (number, row, amounts)
            continue
        _n, kept, sums = merged[key]
        for index, column in enumerate(("credits_ouverts", "engage", "realise")):
            if sums[index] is not None and amounts[index] is not None:
                sums[index] = (sums[index] or Decimal(0)) + (amounts[index] or Decimal(0))
                kept[column] = _text(sums[index] or Decimal(0))
    return [(number, row) for number, row, _a in merged.values()]


@register
class BudgetXmlKind(SourceKind):
    """A budget document sent to the prefecture (TOTEM / Actes budgétaires XML)."""

    name = "budget_xml"
    label = _("Budget document (TOTEM XML)")
    options: ClassVar[dict[str, str | Promise]] = {
        "path": _("Path of the DocumentBudgetaire XML file (BP, BS, DM or CA)."),
    }

    def open(self) -> RawInput:
        location = self.config.get("path")
        if not location:
            raise SourceError(_("The budget document source needs a path: set “path”."))
        path = Path(str(location))
        root = _parse_xml(path)
        rows = xml_lines(root, path)
        return _raw(
            LINE_COLUMNS,
            rows,
            str(_("Budget document (XML), %(rows)s budget lines")) % {"rows": len(rows)},
        )


# --- SCDL budget CSV ------------------------------------------------------------------------


@cache
def scdl_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCDL_SCHEMA.read_text(encoding="utf-8"))
    return data


def scdl_lines(record: Row, number: int, nomenclature: str) -> tuple[int, Row]:
    account = (record.get("BGT_NATURE") or "").strip()
    year = (record.get("BGT_ANNEE") or "").strip()
    family = nom.family(nomenclature) or ("M57" if year[:4] >= "2024" else "M14")
    section_text = _plain(record.get("BGT_SECTION"))
    section = {"fonctionnement": "F", "investissement": "I"}.get(section_text, section_text)
    direction_text = _plain(record.get("BGT_CODRD"))
    direction = {"depense": "D", "recette": "R"}.get(direction_text, direction_text)
    real_text = _plain(record.get("BGT_OPBUDG"))
    real = {"reel": "true", "ordre": "false"}.get(real_text, real_text)
    stage_text = _plain(record.get("BGT_NATDEC"))
    stage = SCDL_STAGES.get(stage_text, stage_text)
    function = (record.get("BGT_FONCTION") or "").strip() or nom.NO_FUNCTION
    executed = record.get("BGT_MTREAL")
    carried = _number(record.get("BGT_MTRAR3112"))
    committed = executed
    if stage == "CA" and _number(executed) is not None and carried:
        committed = _text((_number(executed) or Decimal(0)) + carried)
    return number, {
        "exercice": year,
        "mois": "0",
        "etape": stage,
        "budget": "principal",
        "nomenclature": family,
        "section": section,
        "sens": direction,
        "chapitre": nom.chapter_of(account, section, direction, real == "true"),
        "article": account,
        "fonction": function,
        "fonction_m57": nom.m57_function(function, family),
        "reel": real,
        "credits_ouverts": _amount(record.get("BGT_CREDOUV") or record.get("BGT_MTPREV")),
        "engage": _amount(committed) if stage == "CA" else None,
        "realise": _amount(executed) if stage == "CA" else None,
        "libelle": record.get("BGT_CONTNAT_LABEL") or record.get("BGT_NATURE_LABEL"),
    }


@register
class ScdlBudgetKind(SourceKind):
    """A budget published in the SCDL budget schema (CSV)."""

    name = "scdl_budget"
    label = _("SCDL budget file (CSV)")
    options: ClassVar[dict[str, str | Promise]] = {
        "path": _("Path of the CSV file in the SCDL budget schema."),
        "nomenclature": _("M14 or M57 (the schema does not say; by default M57 from 2024)."),
        "encoding": _("Text encoding; detected when empty."),
    }

    def open(self) -> RawInput:
        if not self.config.get("path"):
            raise SourceError(_("The SCDL budget source needs a path: set the “path” option."))
        columns, rows, description = _read_csv(self.config)
        required = [f["name"] for f in scdl_schema()["fields"] if f["constraints"].get("required")]
        upper = [c.strip().upper() for c in columns]
        missing = [c for c in required if c not in upper]
        if missing:
            raise SourceError(
                _(
                    "The file “%(file)s” does not follow the SCDL budget schema: it lacks the "
                    "column(s) %(missing)s."
                ),
                file=_name(str(self.config["path"])),
                missing=", ".join(missing),
            )
        nomenclature = str(self.config.get("nomenclature") or "")
        out = [
            scdl_lines(dict(zip(upper, values, strict=False)), number, nomenclature)
            for number, values in rows
        ]
        raw = _raw(LINE_COLUMNS, out, f"SCDL budget, {description}")
        return raw


__all__ = ["SOURCE_ROW", "BudgetXmlKind", "DgfipBalanceKind", "ScdlBudgetKind"]
