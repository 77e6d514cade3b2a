"""Per-column anonymisation rules of an open-data publication, applied to a `pyarrow.Table`
with `pyarrow.compute` (vectorised: no Python loop over rows, except the keyed hash, computed
once per *distinct* value).

| rule | applies to | result |
|---|---|---|
| keep | any column | unchanged |
| drop | any column | the column is removed |
| hash | any column | HMAC-SHA256 of the value (as text) with a secret, 16 hex characters |
| date_day | date, datetime | the date only (`date32`) |
| date_month | date, datetime | the first day of the month, still a date (`date32`) |
| coords_grid | a latitude or longitude column | the centre of a grid cell of `param` metres |
| redact | text | personal data replaced by placeholders (`pii.redact`) |
| generalise_commune | a latitude or longitude column | removed: the commune code is the place |

Columns without a rule are kept: the publication pipeline checks them with `pii.find` and its
`HIGH_PRECISION` kinds before publishing.

Choices and trade-offs:

- hash: keyed (HMAC), so nobody without the secret can hash candidate values to find them again
  (a plate or a phone number has few enough possible values to be guessed otherwise). The same
  value and the same secret give the same hash in every run and every table, so the column stays
  joinable; a new secret breaks the joins with earlier publications. Values are hashed as text
  (`42`, `2024-03-12`), nulls stay null. 16 hex characters (64 bits) make collisions negligible
  for the sizes at hand.
- date_day, date_month: an aware datetime is first read in the local time zone of the instance
  (`settings.TIME_ZONE`, Europe/Paris), so 23:30 UTC on 12 March is 13 March in Paris; a naive one
  is taken as local already. date_month gives a date (the 1st of the month) rather than a
  `YYYY-MM` string: the column keeps a date type, sorts and filters as one in every tool.
- coords_grid: the latitude step is `param / 111320` degrees; the longitude step is computed at a
  fixed reference latitude (46.5°, the middle of metropolitan France), not at each point's, so
  that the grid is the same whatever the data and a lat/long pair is snapped independently. A
  point moves to the centre of its cell. At other latitudes cells are not square: about
  0.92 × param wide at 51° N (Dunkirk), 1.08 × at 42° N (Corsica), 1.4 × at 16° N (Guadeloupe);
  wider means more protection, narrower (the north) slightly less. Values are rounded to 6
  decimals (about 0.1 m).
- generalise_commune: a rule on a coordinate column that drops it, for a table whose commune
  column (`commune_insee`…) carries the location; it refuses a table that keeps no commune
  column (use `drop` then).
- suppress_small_cells: aggregates, then *removes* the groups of fewer than k rows and says how
  many it removed. Removing rather than blanking keeps the published file free of the small
  groups' very existence (a blank row still says "someone here"). The file carries no total; if
  totals are published elsewhere, the difference gives the sum of the removed groups
  (complementary suppression is not done), and a row is taken as one person.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from pilotis.errors import PilotisError
from pilotis.opendata import pii

HASH_KEY_ENV = "PILOTIS_OPENDATA_SECRET"
SECRET_CONTEXT = b"pilotis.opendata.anonymise.hash/v1"
HASH_LENGTH = 16  # hex characters kept of the HMAC-SHA256

DEFAULT_CELL_METRES = 200.0
MIN_CELL_METRES = 10.0
MAX_CELL_METRES = 100_000.0
METRES_PER_DEGREE = 111_320.0
REFERENCE_LATITUDE = 46.5  # degrees: where the longitude step of the grid is computed
COORDINATE_DECIMALS = 6

LATITUDE_NAMES = frozenset({"lat", "latitude"})
LONGITUDE_NAMES = frozenset({"long", "lon", "lng", "longitude"})
COMMUNE_COLUMNS = ("commune_insee", "code_commune", "commune", "code_insee", "insee")
AGGREGATES = {"sum": "sum", "avg": "mean"}  # measure aggregate → pyarrow's

MISSING_COLUMN = _(
    "The anonymisation rules name the column %(column)s, which the table does not have."
)
UNKNOWN_RULE = _("Unknown anonymisation rule “%(rule)s” for the column %(column)s.")


class Rule(StrEnum):
    KEEP = "keep"
    DROP = "drop"
    HASH = "hash"
    DATE_DAY = "date_day"
    DATE_MONTH = "date_month"
    COORDS_GRID = "coords_grid"
    REDACT = "redact"
    GENERALISE_COMMUNE = "generalise_commune"


COORDINATE_RULES = frozenset({Rule.COORDS_GRID, Rule.GENERALISE_COMMUNE})
REMOVING_RULES = frozenset({Rule.DROP, Rule.GENERALISE_COMMUNE})


@dataclass(frozen=True)
class ColumnRule:
    """The rule of one column; `param` is the grid cell in metres for coords_grid (only)."""

    rule: Rule
    param: float | None = None


# ---------------------------------------------------------------------------------------------
# Rules from JSON


def parse_rules(
    data: dict[str, Any], columns: Iterable[str] | None = None
) -> dict[str, ColumnRule]:
    """Read rules like `{"description": {"rule": "redact"}, "lat": {"rule": "coords_grid",
    "param": 500}}` (a bare `"drop"` is accepted for `{"rule": "drop"}`). With `columns`, a rule
    on a column not among them is refused. coords_grid gets its default cell when none is given.
    """
    if not isinstance(data, dict):
        raise PilotisError(
            _("The anonymisation rules must be an object with one entry per column.")
        )
    known = None if columns is None else set(columns)
    rules: dict[str, ColumnRule] = {}
    for column, spec in data.items():
        if known is not None and column not in known:
            raise PilotisError(
                MISSING_COLUMN,
                column=column,
            )
        rules[column] = _parse_rule(str(column), spec)
    return rules


def _parse_rule(column: str, spec: Any) -> ColumnRule:
    if isinstance(spec, str):
        spec = {"rule": spec}
    if not isinstance(spec, dict) or "rule" not in spec or set(spec) - {"rule", "param"}:
        raise PilotisError(
            _(
                "The anonymisation rule of the column %(column)s must be an object with a "
                "“rule” key and, for coords_grid, an optional “param”."
            ),
            column=column,
        )
    try:
        rule = Rule(spec["rule"])
    except ValueError:
        raise PilotisError(
            UNKNOWN_RULE,
            rule=spec["rule"],
            column=column,
            known=", ".join(Rule),
        ) from None
    param = spec.get("param")
    if rule is Rule.COORDS_GRID and param is None:
        param = DEFAULT_CELL_METRES
    column_rule = ColumnRule(rule, param)
    _validate(column, column_rule)
    if param is not None:
        column_rule = ColumnRule(rule, float(param))
    return column_rule


def _validate(column: str, rule: ColumnRule) -> None:
    """What can be checked without the data: the parameter, and the name of a coordinate."""
    if not isinstance(rule.rule, Rule):
        raise PilotisError(
            UNKNOWN_RULE,
            rule=rule.rule,
            column=column,
            known=", ".join(Rule),
        )
    if rule.param is not None and rule.rule is not Rule.COORDS_GRID:
        raise PilotisError(
            _("The rule “%(rule)s” of the column %(column)s takes no parameter."),
            rule=rule.rule.value,
            column=column,
        )
    if rule.rule is Rule.COORDS_GRID and rule.param is not None:
        param = rule.param
        valid = isinstance(param, int | float | Decimal) and not isinstance(param, bool)
        if not valid or not MIN_CELL_METRES <= param <= MAX_CELL_METRES:
            raise PilotisError(
                _(
                    "The grid cell of the column %(column)s must be a number of metres between "
                    "%(min)s and %(max)s."
                ),
                column=column,
                min=int(MIN_CELL_METRES),
                max=int(MAX_CELL_METRES),
                param=param,
            )
    if rule.rule in COORDINATE_RULES and axis(column) is None:
        raise PilotisError(
            _(
                "The rule “%(rule)s” applies to a latitude or a longitude column: name the "
                "column %(column)s lat, latitude, long, lon, lng or longitude."
            ),
            rule=rule.rule.value,
            column=column,
        )


def axis(column: str) -> str | None:
    """ "lat" or "lon" when the column's name says it holds a latitude or a longitude
    (`lat`, `geo_lat`, `Longitude`…), else None."""
    words = set(re.split(r"[^a-z0-9]+", column.lower()))
    if words & LATITUDE_NAMES:
        return "lat"
    if words & LONGITUDE_NAMES:
        return "lon"
    return None


# ---------------------------------------------------------------------------------------------
# Applying the rules


def apply(table: Any, rules: dict[str, ColumnRule], secret: bytes) -> Any:
    """The table with each column's rule applied (columns without a rule are kept as they are,
    in their order; field and table metadata are kept)."""
    missing = [column for column in rules if column not in table.column_names]
    if missing:
        raise PilotisError(MISSING_COLUMN, column=missing[0])
    for column, rule in rules.items():
        _validate(column, rule)
    _check_commune_kept(table, rules)
    if not secret and any(rule.rule is Rule.HASH for rule in rules.values()):
        raise PilotisError(
            _("The secret of the keyed hash is empty: set %(variable)s."), variable=HASH_KEY_ENV
        )
    fields, columns = [], []
    for field in table.schema:
        rule = rules.get(field.name, ColumnRule(Rule.KEEP))
        if rule.rule in REMOVING_RULES:
            continue
        values = _transform(table[field.name], field.name, rule, secret)
        fields.append(field.with_type(values.type))
        columns.append(values)
    return pa.table(columns, schema=pa.schema(fields, metadata=table.schema.metadata))


def _check_commune_kept(table: Any, rules: dict[str, ColumnRule]) -> None:
    generalised = [c for c, rule in rules.items() if rule.rule is Rule.GENERALISE_COMMUNE]
    if not generalised:
        return
    kept = [
        column
        for column in COMMUNE_COLUMNS
        if column in table.column_names
        and rules.get(column, ColumnRule(Rule.KEEP)).rule not in REMOVING_RULES
    ]
    if not kept:
        raise PilotisError(
            _(
                "The rule “generalise_commune” of the column %(column)s leaves the commune as the "
                "only location, but the table keeps no commune column (%(names)s): keep one, or "
                "use “drop”."
            ),
            column=generalised[0],
            names=", ".join(COMMUNE_COLUMNS),
        )


def _transform(values: Any, column: str, rule: ColumnRule, secret: bytes) -> Any:
    match rule.rule:
        case Rule.KEEP:
            return values
        case Rule.HASH:
            return keyed_hash(values, secret)
        case Rule.DATE_DAY:
            return _to_date(values, column, rule.rule)
        case Rule.DATE_MONTH:
            return pc.floor_temporal(_to_date(values, column, rule.rule), unit="month")
        case Rule.COORDS_GRID:
            return snap(values, column, rule.param or DEFAULT_CELL_METRES)
        case Rule.REDACT:
            return _redact(values)
    raise AssertionError(rule.rule)  # drop and generalise_commune never get here


def keyed_hash(values: Any, secret: bytes) -> Any:
    """HMAC-SHA256 of each value as text, 16 hex characters; nulls stay null. Computed once per
    distinct value, then mapped back onto the rows with `index_in` and `take`."""
    text = _as_text(values)
    distinct = pc.drop_null(pc.unique(text))
    digests = pa.array(
        [
            hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_LENGTH]
            for value in distinct.to_pylist()
        ],
        pa.string(),
    )
    return _chunked(pc.take(digests, pc.index_in(text, value_set=distinct)))


def _as_text(values: Any) -> Any:
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return values
    return pc.cast(values, pa.large_string())


def _chunked(values: Any) -> Any:
    if isinstance(values, pa.ChunkedArray):
        return values
    return pa.chunked_array([values], type=values.type)


def _to_date(values: Any, column: str, rule: Rule) -> Any:
    """The date of each value, an aware datetime read in the local time zone."""
    type_ = values.type
    if pa.types.is_date(type_):
        return pc.cast(values, pa.date32())
    if not pa.types.is_timestamp(type_):
        raise PilotisError(
            _(
                "The rule “%(rule)s” of the column %(column)s needs a date or datetime column, "
                "not %(type)s."
            ),
            rule=rule.value,
            column=column,
            type=str(type_),
        )
    if type_.tz is not None:
        local = pc.cast(values, pa.timestamp(type_.unit, tz=settings.TIME_ZONE))
        values = pc.local_timestamp(local)
    return pc.cast(values, pa.date32())


def grid_steps(cell_metres: float) -> tuple[float, float]:
    """The (latitude, longitude) steps of the grid, in degrees, for cells of `cell_metres`."""
    lat_step = cell_metres / METRES_PER_DEGREE
    lon_step = cell_metres / (METRES_PER_DEGREE * math.cos(math.radians(REFERENCE_LATITUDE)))
    return lat_step, lon_step


def snap(values: Any, column: str, cell_metres: float) -> Any:
    """Each coordinate moved to the centre of its grid cell (floor to the cell, plus half a
    step), the step chosen by the column's axis; nulls stay null."""
    if not _is_numeric(values.type):
        raise PilotisError(
            _("The rule “%(rule)s” of the column %(column)s needs a numeric column, not %(type)s."),
            rule=Rule.COORDS_GRID.value,
            column=column,
            type=str(values.type),
        )
    lat_step, lon_step = grid_steps(cell_metres)
    step = lat_step if axis(column) == "lat" else lon_step
    degrees = pc.cast(values, pa.float64())
    cell = pc.floor(pc.divide(degrees, step))
    centre = pc.multiply(pc.add(cell, 0.5), step)
    return _chunked(pc.round(centre, COORDINATE_DECIMALS))


def _redact(values: Any) -> Any:
    redacted = pii.redact(values)
    if pa.types.is_string(values.type):
        return pc.cast(redacted, pa.string())
    return redacted


def _is_numeric(type_: Any) -> bool:
    return bool(
        pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_decimal(type_)
    )


# ---------------------------------------------------------------------------------------------
# Aggregation with small-cell suppression


def suppress_small_cells(
    table: Any,
    group_by: list[str],
    k: int,
    measures: dict[str, tuple[str, str]] | None = None,
) -> tuple[Any, int]:
    """One row per group of `group_by`: the group's columns, `count` (rows of the group) and each
    measure `name → (column, "sum" | "avg")`; the groups of fewer than `k` rows are removed.
    Returns the table, sorted by the group columns, and how many groups were removed."""
    measures = measures or {}
    _check_aggregation(table, group_by, k, measures)
    aggregates: list[tuple[Any, str]] = [([], "count_all")]
    aggregates += [(column, AGGREGATES[how]) for column, how in measures.values()]
    grouped = table.group_by(group_by, use_threads=False).aggregate(aggregates)
    grouped = grouped.rename_columns([*group_by, "count", *measures])
    if group_by:
        grouped = grouped.sort_by([(column, "ascending") for column in group_by])
    kept = grouped.filter(pc.greater_equal(grouped["count"], k))
    return kept, grouped.num_rows - kept.num_rows


def _check_aggregation(
    table: Any, group_by: list[str], k: int, measures: dict[str, tuple[str, str]]
) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise PilotisError(
            _("The threshold k must be a whole number of at least 1, not %(k)s."), k=k
        )
    for column in [*group_by, *(column for column, _how in measures.values())]:
        if column not in table.column_names:
            raise PilotisError(_("The column %(column)s is not in the table."), column=column)
    for name, (column, how) in measures.items():
        if how not in AGGREGATES:
            raise PilotisError(
                _(
                    "Unknown aggregate “%(aggregate)s” for the measure %(measure)s "
                    "(known: %(known)s)."
                ),
                aggregate=how,
                measure=name,
                known=", ".join(AGGREGATES),
            )
        if not _is_numeric(table.schema.field(column).type):
            raise PilotisError(
                _("The measure %(measure)s needs a numeric column; %(column)s is %(type)s."),
                measure=name,
                column=column,
                type=str(table.schema.field(column).type),
            )
    names = [*group_by, "count", *measures]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise PilotisError(
            _("The name %(name)s is used twice in the aggregated table."), name=twice[0]
        )


# ---------------------------------------------------------------------------------------------
# The secret


def secret_key() -> bytes:
    """The secret of the keyed hash: `PILOTIS_OPENDATA_SECRET` when set, else derived from
    Django's SECRET_KEY with a fixed context (HMAC), so it is never SECRET_KEY itself.

    An instance should set its own PILOTIS_OPENDATA_SECRET: the derived one changes with
    SECRET_KEY (breaking the joins with earlier publications), and the demo SECRET_KEY is public.
    """
    configured = str(getattr(settings, "OPENDATA_SECRET", "") or "")
    if configured:
        return configured.encode("utf-8")
    return hmac.new(settings.SECRET_KEY.encode("utf-8"), SECRET_CONTEXT, hashlib.sha256).digest()
