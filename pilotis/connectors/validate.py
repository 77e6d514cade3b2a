# ruff: noqa: S608 - SQL is built from identifiers and literals quoted by ident() and lit()
"""Map and validate a whole source in one vectorised DuckDB query — never a Python loop per row.

`build_query` turns a mapping and a canonical Table Schema into SQL over the view `raw_input`
(the source's text columns plus `_source_row`). The query yields, for every source row, the typed
canonical fields, the lineage columns, `_errors` (a list of {field, rule, value, expected}) and,
for rejected rows only, `_record` (the source row as JSON, for the quarantine).

Rules, as in the Table Schema standard: type, required, unique and primary key, enum, pattern,
minimum/maximum, minLength/maxLength, format (email, uri), and foreign keys to the referential
and to the tenant's own lists. A row is accepted when `_errors` is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pilotis.connectors.kinds import ReadHints
from pilotis.connectors.mapping import FieldMap, Mapping, normalise
from pilotis.warehouse.schemas import (
    LOAD_ID,
    ROW_HASH,
    SOURCE,
    SOURCE_ROW,
    TENANT,
    Field,
    TableSchema,
)
from pilotis.warehouse.storage import DUCKDB_TYPES, ident, lit

DEFAULT_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%y"]
DEFAULT_NAIVE_DATETIME_FORMATS = [
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %Hh%M",
    "%m/%d/%Y %I:%M:%S %p",
    *DEFAULT_DATE_FORMATS,
]
DEFAULT_TZ_DATETIME_FORMATS = [
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M%z",
]
NBSP, NNBSP = "\u00a0", "\u202f"  # no-break spaces, French thousands separators
TRUE_WORDS = ("true", "1", "oui", "vrai", "yes", "o", "y", "x")
FALSE_WORDS = ("false", "0", "non", "faux", "no", "n")
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"
URI_PATTERN = r"[a-zA-Z][a-zA-Z0-9+.-]*:\S+"


def str_list(values: list[str]) -> str:
    return "[" + ", ".join(lit(v) for v in values) + "]::VARCHAR[]"


@dataclass
class References:
    """Names of the DuckDB tables (one VARCHAR column `code`) holding each foreign key's codes,
    and of the table resolving free-text communes (`commune_map`: name, cp, code)."""

    tables: dict[str, str] = field(default_factory=dict)  # resource → table name
    commune_map: str | None = None


@dataclass
class Context:
    tenant: str
    source: str
    load_id: str
    hints: ReadHints


def text_expr(fm: FieldMap, missing: tuple[str, ...]) -> str:
    """The field's source text: the column (trimmed; missing values → NULL) or the constant."""
    if fm.column is None:
        return "NULL::VARCHAR" if fm.value is None else f"{lit(str(fm.value))}::VARCHAR"
    col = f"trim({ident(fm.column)})"
    missing_list = ", ".join(lit(m) for m in missing if m != "")
    if missing_list:
        return f"CASE WHEN {col} = '' OR {col} IN ({missing_list}) THEN NULL ELSE {col} END"
    return f"nullif({col}, '')"


def mapped_expr(f: Field, fm: FieldMap, text: str, refs: References) -> str:
    """Apply value maps, defaults and the commune look-up to the source text."""
    expr = text
    if fm.values or fm.other is not None:
        key = f"strip_accents(lower(regexp_replace({text}, '\\s+', ' ', 'g')))"
        whens = " ".join(
            f"WHEN {lit(normalise_key(k))} THEN {lit(None if v is None else str(v))}"
            for k, v in fm.values.items()
        )
        otherwise = text if fm.other is None else lit(str(fm.other))
        if whens:
            # Exact matches first (a string comparison); normalising the text (lower case, no
            # accents, single spaces) costs far more and is done only for the other values.
            exact = " ".join(
                f"WHEN {lit(k)} THEN {lit(None if v is None else str(v))}"
                for k, v in fm.values.items()
            )
            loose = f"CASE {key} {whens} ELSE {otherwise} END"
            keys = ", ".join(lit(k) for k in fm.values)
            expr = (
                f"CASE WHEN {text} IS NULL THEN NULL WHEN {text} IN ({keys}) "
                f"THEN (CASE {text} {exact} END) ELSE ({loose}) END"
            )
        else:
            expr = f"CASE WHEN {text} IS NULL THEN NULL ELSE {otherwise} END"
    if fm.referential == "commune" and refs.commune_map:
        # The official code, or NULL when the text names no single commune (reason "commune").
        expr = f"_commune_{f.name}.code"
    if fm.default is not None:
        expr = f"coalesce({expr}, {lit(str(fm.default))})"
    return expr


def normalise_key(value: str) -> str:
    """The same normalisation as the SQL side of value maps: lower, no accents, single spaces."""
    import unicodedata

    text = unicodedata.normalize("NFKD", " ".join(str(value).strip().split()).lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def typed_expr(f: Field, fm: FieldMap, text: str, ctx: Context, timezone: str) -> str:
    """Cast the mapped text to the field's type; NULL when it does not parse."""
    if f.type in ("string", "any"):
        return text
    if fm.duration and f.type in ("integer", "number"):
        # A clock duration ("01:30:00") → minutes.
        clock = f"CAST(try_strptime({text}, {lit(fm.duration)}) AS TIME)"
        minutes = f"(extract(epoch FROM {clock}) / 60.0)"
        return minutes if f.type == "number" else f"CAST(round({minutes}) AS BIGINT)"
    if f.type in ("integer", "number", "year"):
        decimal = fm.decimal or ctx.hints.decimal or "."
        thousands = fm.thousands if fm.thousands is not None else ctx.hints.thousands
        # Spaces (plain, no-break, narrow no-break) and '_' group digits: dropped. A chain of
        # replace() is several times faster than one regular expression here.
        cleaned = text
        for mark in (" ", NBSP, NNBSP, "_", "'"):
            cleaned = f"replace({cleaned}, {lit(mark)}, '')"
        if thousands and thousands.strip():
            cleaned = f"replace({cleaned}, {lit(thousands)}, '')"
        if decimal != ".":
            cleaned = f"replace({cleaned}, {lit(decimal)}, '.')"
        target = DUCKDB_TYPES[f.type]
        if f.type == "number":
            return f"TRY_CAST({cleaned} AS DOUBLE)"
        # A whole number only: "1,5" in an integer field is a type error, never rounded.
        exact = f"TRY_CAST({cleaned} AS DECIMAL(38, 10))"
        return f"CASE WHEN {exact} = trunc({exact}) THEN TRY_CAST({exact} AS {target}) END"
    if f.type == "boolean":
        return (
            f"CASE WHEN lower({text}) IN ({', '.join(lit(w) for w in TRUE_WORDS)}) THEN TRUE "
            f"WHEN lower({text}) IN ({', '.join(lit(w) for w in FALSE_WORDS)}) THEN FALSE END"
        )
    if f.type == "date":
        formats = fm.formats or _dedupe(
            [fmt for fmt in ctx.hints.date_formats if "%H" not in fmt] + DEFAULT_DATE_FORMATS
        )
        return f"CAST(try_strptime({text}, {str_list(formats)}) AS DATE)"
    if f.type == "datetime":
        given = fm.formats or _dedupe(ctx.hints.date_formats + DEFAULT_NAIVE_DATETIME_FORMATS)
        naive = [fmt for fmt in given if "%z" not in fmt and "%Z" not in fmt]
        aware = [fmt for fmt in given if "%z" in fmt] or (
            [] if fm.formats else DEFAULT_TZ_DATETIME_FORMATS
        )
        # Local times first (the usual French export); offsets are tried only for the values
        # that did not parse (coalesce evaluates its next argument for those rows only).
        parts = []
        if naive:
            parts.append(f"timezone({lit(timezone)}, try_strptime({text}, {str_list(naive)}))")
        if aware:
            # ISO 8601's "Z" (UTC), which strptime's %z does not read.
            zulu = f"regexp_replace({text}, '(?i)z$', '+00:00')"
            parts.append(f"try_strptime({zulu}, {str_list(aware)})")
        return f"coalesce({', '.join(parts)})" if len(parts) > 1 else parts[0]
    if f.type == "time":
        formats = fm.formats or ["%H:%M:%S", "%H:%M", "%Hh%M"]
        # Kept as ISO text ("09:00:00"): Delta Lake has no time-of-day type.
        return f"CAST(CAST(try_strptime({text}, {str_list(formats)}) AS TIME) AS VARCHAR)"
    raise ValueError(f.type)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _reason(field_name: str, rule: str, value: str, expected: str | None = None) -> str:
    return (
        f"{{'field': {lit(field_name)}, 'rule': {lit(rule)}, "
        f"'value': CAST({value} AS VARCHAR), 'expected': {lit(expected)}}}"
    )


def checks(f: Field, raw: str, typed: str, refs: References, schema: TableSchema) -> list[str]:
    """SQL CASE expressions, one per rule of the field, each NULL or a reason struct."""
    c = f.constraints
    out: list[str] = []
    if f.type not in ("string", "any"):
        out.append(
            f"CASE WHEN {raw} IS NOT NULL AND {typed} IS NULL "
            f"THEN {_reason(f.name, 'type', raw, f.type)} END"
        )
    if c.get("required") or f.name in schema.primary_key:
        out.append(f"CASE WHEN {raw} IS NULL THEN {_reason(f.name, 'required', raw)} END")
    if "enum" in c:
        values = ", ".join(lit(v) for v in c["enum"])
        out.append(
            f"CASE WHEN {typed} NOT IN ({values}) "
            f"THEN {_reason(f.name, 'enum', raw, ', '.join(map(str, c['enum'])))} END"
        )
    if "pattern" in c:
        out.append(
            f"CASE WHEN NOT regexp_full_match(CAST({typed} AS VARCHAR), {lit(c['pattern'])}) "
            f"THEN {_reason(f.name, 'pattern', raw, c['pattern'])} END"
        )
    if f.format == "email":
        out.append(
            f"CASE WHEN NOT regexp_full_match({typed}, {lit(EMAIL_PATTERN)}) "
            f"THEN {_reason(f.name, 'format', raw, 'email')} END"
        )
    if f.format == "uri":
        out.append(
            f"CASE WHEN NOT regexp_full_match({typed}, {lit(URI_PATTERN)}) "
            f"THEN {_reason(f.name, 'format', raw, 'uri')} END"
        )
    for bound, op in (("minimum", "<"), ("maximum", ">")):
        if bound in c:
            value = c[bound]
            literal = lit(value) if f.type in ("integer", "number", "year") else f"{lit(value)}"
            out.append(
                f"CASE WHEN {typed} {op} {literal} "
                f"THEN {_reason(f.name, bound, raw, str(value))} END"
            )
    for bound, op in (("minLength", "<"), ("maxLength", ">")):
        if bound in c:
            out.append(
                f"CASE WHEN length(CAST({typed} AS VARCHAR)) {op} {int(c[bound])} "
                f"THEN {_reason(f.name, bound, f'left({raw}, 200)', str(c[bound]))} END"
            )
    for fk in schema.foreign_keys:
        if fk.fields == (f.name,) and fk.resource in refs.tables:
            table = refs.tables[fk.resource]
            out.append(
                f"CASE WHEN {typed} IS NOT NULL AND {typed} NOT IN (SELECT code FROM {table}) "
                f"THEN {_reason(f.name, 'foreign_key', raw, fk.resource)} END"
            )
    return out


def build_query(mapping: Mapping, ctx: Context, refs: References, raw_columns: list[str]) -> str:
    """The SQL mapping and validating `raw_input` (see the module docstring)."""
    schema = mapping.schema
    texts, typed, rule_checks, joins = [], [], [], []
    looked_up: set[str] = set()
    for f in schema.fields:
        fm = mapping.fields.get(f.name, FieldMap())
        raw = text_expr(fm, schema.missing_values)
        mapped = mapped_expr(f, fm, raw, refs)
        if fm.fallback == "row_hash":
            mapped = f"coalesce({mapped}, {row_key(raw_columns)})"
        texts.append(f"{mapped} AS {ident('t__' + f.name)}")
        if fm.referential == "commune" and refs.commune_map:
            texts.append(f"{raw} AS {ident('s__' + f.name)}")
            looked_up.add(f.name)
        t = ident("t__" + f.name)
        typed.append(f"{typed_expr(f, fm, t, ctx, mapping.timezone)} AS {ident(f.name)}")
        if fm.referential == "commune" and refs.commune_map and fm.column:
            cp = f"trim({ident(fm.postal_code_column)})" if fm.postal_code_column else "NULL"
            joins.append(
                f"LEFT JOIN {refs.commune_map} AS _commune_{f.name} "
                f"ON _commune_{f.name}.name IS NOT DISTINCT FROM {raw} "
                f"AND _commune_{f.name}.cp IS NOT DISTINCT FROM {cp}"
            )
    for f in schema.fields:
        t = ident("t__" + f.name)
        if f.derive:
            # "required" looks at what the source gave, or else at what was derived.
            t = f"coalesce({t}, CAST({ident(f.name)} AS VARCHAR))"
        if f.name in looked_up:
            source = ident("s__" + f.name)
            rule_checks.append(
                f"CASE WHEN {source} IS NOT NULL AND {t} IS NULL "
                f"THEN {_reason(f.name, 'commune', source)} END"
            )
            t = f"coalesce({t}, {source})"  # "required" looks at what the source gave
        rule_checks.extend(checks(f, t, ident(f.name), refs, schema))
    # The source columns travel under neutral names (r__0, r__1…), and are packed into the
    # quarantine's JSON record only for the rows rejected.
    carried = ", ".join(f"raw_input.{ident(c)} AS r__{i}" for i, c in enumerate(raw_columns))
    record = ", ".join(f"{lit(c)}: r__{i}" for i, c in enumerate(raw_columns))
    reasons = "list_filter([" + ", ".join(rule_checks) + "], lambda r: r IS NOT NULL)"
    derived = derived_expr(schema)
    flags = flags_expr(schema)
    fields = ", ".join(
        f"{flags} AS {ident(f.name)}" if f.name == "data_flags" and flags else ident(f.name)
        for f in schema.fields
    )
    row_hash = (
        "md5(concat_ws(chr(31), "
        + ", ".join(f"coalesce(CAST({_hashable(f)} AS VARCHAR), chr(0))" for f in schema.fields)
        + "))"
    )
    # No window here: uniqueness is settled afterwards (`uniqueness_sql`) over the valid rows
    # only, so this query streams and its memory does not grow with the file.
    return f"""
WITH mapped AS (
    SELECT raw_input.{SOURCE_ROW} AS {SOURCE_ROW}, {", ".join(texts)},
           {carried}
    FROM raw_input {" ".join(joins)}
), typed AS (
    SELECT *, {", ".join(typed)} FROM mapped
), derived AS (
    SELECT * {derived} FROM typed
), checked AS (
    SELECT *, {reasons} AS _e FROM derived
)
SELECT {fields},
       {lit(ctx.tenant)} AS {TENANT},
       {lit(ctx.source)} AS {SOURCE},
       {lit(ctx.load_id)} AS {LOAD_ID},
       {SOURCE_ROW},
       {row_hash} AS {ROW_HASH},
       _e,
       CASE WHEN len(_e) > 0 THEN to_json({{{record}}}) END AS _record
FROM checked
"""


def row_key(raw_columns: list[str]) -> str:
    """A stable key for a source row: "h-" and a hash of its values (column order kept)."""
    values = ", ".join(f"coalesce(raw_input.{ident(c)}, chr(0))" for c in raw_columns)
    return f"('h-' || left(md5(concat_ws(chr(31), {values})), 20))"


def derived_expr(schema: TableSchema) -> str:
    """`REPLACE (…)` filling each field with a `pilotis:derive` expression when its source text
    is empty (a value that does not parse stays a type error), or "" when none has one."""
    parts = [
        f"CASE WHEN {ident('t__' + f.name)} IS NULL THEN CAST(({f.derive}) AS "
        f"{DUCKDB_TYPES[f.type]}) ELSE {ident(f.name)} END AS {ident(f.name)}"
        for f in schema.fields
        if f.derive
    ]
    return f"REPLACE ({', '.join(parts)})" if parts else ""


def flags_expr(schema: TableSchema) -> str:
    """The `data_flags` of a row: the names of the schema's data traps it falls into, joined by
    ';' (NULL when none)."""
    if not schema.flags or "data_flags" not in schema.field_names:
        return ""
    cases = ", ".join(
        f"CASE WHEN ({rule['when']}) THEN {lit(rule['name'])} END" for rule in schema.flags
    )
    return f"nullif(concat_ws(';', {cases}), '')"


def _hashable(f: Field) -> str:
    """The field as cheap text for the row hash: instants as microseconds since 1970 (formatting
    a TIMESTAMPTZ as text goes through the time-zone library, ten times slower)."""
    if f.type == "datetime":
        return f"epoch_us({ident(f.name)})"
    return ident(f.name)


def uniqueness_keys(schema: TableSchema) -> list[tuple[str, list[str]]]:
    """(label, columns) of each uniqueness rule: the primary key, then `unique` fields."""
    keys: list[tuple[str, list[str]]] = []
    if schema.primary_key:
        keys.append((", ".join(schema.primary_key), list(schema.primary_key)))
    keys += [
        (f.name, [f.name])
        for f in schema.fields
        if f.constraints.get("unique") and (f.name,) != schema.primary_key
    ]
    return keys


def duplicates_sql(cols: list[str], staged: str) -> str:
    """The keys met more than once among the otherwise valid rows, with their first row."""
    names = ", ".join(ident(c) for c in cols)
    return (
        f"SELECT {names}, min({SOURCE_ROW}) AS _first FROM {staged} "
        f"WHERE len(_e) = 0 GROUP BY {names} HAVING count(*) > 1"
    )


def errors_sql(keys: list[tuple[str, list[str]]], staged: str) -> str:
    """`staged` with its final `_errors`: the row's own reasons, plus "unique" for a valid row
    whose key an earlier valid row already had (the first one is kept)."""
    joins, reasons = [], []
    for i, (label, cols) in enumerate(keys):
        on = " AND ".join(f"d{i}.{ident(c)} = s.{ident(c)}" for c in cols)
        joins.append(f"LEFT JOIN _duplicates_{i} AS d{i} ON {on}")
        value = ", ".join(f"CAST(s.{ident(c)} AS VARCHAR)" for c in cols)
        reasons.append(
            f"CASE WHEN len(s._e) = 0 AND s.{SOURCE_ROW} > d{i}._first THEN "
            f"{{'field': {lit(label)}, 'rule': 'unique', "
            f"'value': CAST(concat_ws(' | ', {value}) AS VARCHAR), "
            f"'expected': CAST(d{i}._first AS VARCHAR)}} END"
        )
    if not keys:
        return f"SELECT *, _e AS _errors FROM {staged}"
    errors = "list_concat(s._e, list_filter([" + ", ".join(reasons) + "], lambda r: r IS NOT NULL))"
    return f"SELECT s.*, {errors} AS _errors FROM {staged} AS s {' '.join(joins)}"


__all__ = [
    "Context",
    "References",
    "build_query",
    "duplicates_sql",
    "errors_sql",
    "ident",
    "lit",
    "normalise",
    "normalise_key",
    "uniqueness_keys",
]
