"""Mappings: which source column feeds which field of a canonical table, and how.

A mapping is a small YAML document, kept in the database beside its source (editable in the
admin) or in a file given on the command line:

    table: requests
    timezone: Europe/Paris        # for datetimes written without an offset
    read: {decimal: ","}          # options passed to the source kind (override sniffing)
    fields:
      service_request_id: N° demande              # shorthand for {column: ...}
      requested_datetime: {column: Date, format: "%d/%m/%Y %H:%M"}
      status: {column: État, values: {Clôturée: closed, En cours: open}, other: open}
      commune_insee: {column: Commune, referential: commune, postal_code_column: CP}
      channel: {value: phone}                      # a constant
      lat: {column: Latitude, decimal: ","}

Field options: `column` (source column) or `value` (constant); `values` (map of source values —
compared without case, accents or extra spaces — to canonical values); `other` (value for a
non-empty source value absent from `values`); `default` (value when the source is empty);
`format` (strptime format or list of formats for dates and datetimes); `decimal` and `thousands`
(number marks); `duration` (strptime format of a clock duration such as "%H:%M:%S", stored as
minutes in a number field); `referential: commune` (free-text commune names, postal codes or
INSEE codes → INSEE code through the official referential, with an optional
`postal_code_column`).
`propose()` drafts a mapping from column names and sample values; the user confirms it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import yaml
from django.utils.translation import gettext_lazy as _

from pilotis.errors import PilotisError
from pilotis.warehouse.schemas import TableSchema, get_schema


class MappingError(PilotisError):
    """The mapping cannot be used: the message names the field and what to change."""


FIELD_OPTIONS = {
    "column",
    "value",
    "values",
    "other",
    "default",
    "format",
    "decimal",
    "thousands",
    "referential",
    "postal_code_column",
    "fallback",
    "duration",
}
FALLBACKS = ("row_hash",)


@dataclass
class FieldMap:
    column: str | None = None
    value: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    other: Any = None
    default: Any = None
    formats: list[str] = field(default_factory=list)
    decimal: str | None = None
    thousands: str | None = None
    referential: str | None = None
    postal_code_column: str | None = None
    # "row_hash": when the source gives no value, a stable hash of the whole source row (real
    # Open311 servers return requests without an id; the same row then keeps the same key).
    fallback: str | None = None
    # A clock duration ("01:30:00") read with this strptime format, stored as minutes.
    duration: str | None = None

    def to_yaml_value(self) -> Any:
        data: dict[str, Any] = {}
        if self.column is not None:
            data["column"] = self.column
        if self.value is not None:
            data["value"] = self.value
        if self.values:
            data["values"] = dict(self.values)
        for name in (
            "other",
            "default",
            "decimal",
            "thousands",
            "referential",
            "fallback",
            "duration",
        ):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.postal_code_column:
            data["postal_code_column"] = self.postal_code_column
        if self.formats:
            data["format"] = self.formats[0] if len(self.formats) == 1 else list(self.formats)
        if list(data) == ["column"]:
            return self.column
        return data

    def source_columns(self) -> list[str]:
        return [c for c in (self.column, self.postal_code_column) if c]

    def is_unfed(self) -> bool:
        return self.column is None and self.value is None and self.default is None


@dataclass
class Mapping:
    table: str
    fields: dict[str, FieldMap]
    timezone: str = "Europe/Paris"
    read: dict[str, Any] = field(default_factory=dict)

    @property
    def schema(self) -> TableSchema:
        return get_schema(self.table)

    @classmethod
    def from_yaml(cls, text: str) -> Mapping:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else "?"
            raise MappingError(
                _("The mapping is not valid YAML (line %(line)s): %(error)s"),
                line=line,
                error=getattr(error, "problem", None) or str(error),
            ) from None
        if not isinstance(data, dict):
            raise MappingError(
                _("The mapping must be a YAML dictionary with “table” and “fields”.")
            )
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        table = data.get("table")
        if not isinstance(table, str):
            raise MappingError(_("The mapping does not say which table it feeds (“table: …”)."))
        schema = get_schema(table)
        raw_fields = data.get("fields") or {}
        if not isinstance(raw_fields, dict):
            raise MappingError(_("“fields” must map each field of the table to a source column."))
        fields: dict[str, FieldMap] = {}
        computed = {f.name for f in schema.fields if f.computed}
        for name, spec in raw_fields.items():
            if name in computed:
                raise MappingError(
                    _("The field “%(field)s” is computed by Pilotis: remove it from the mapping."),
                    field=name,
                )
            if name not in schema.field_names:
                raise MappingError(
                    _("The table “%(table)s” has no field “%(field)s”. Its fields: %(known)s."),
                    table=table,
                    field=name,
                    known=", ".join(schema.field_names),
                )
            fields[name] = _field_map(name, spec, schema.field(name).type)
        mapping = cls(
            table=table,
            fields=fields,
            timezone=str(data.get("timezone") or "Europe/Paris"),
            read=dict(data.get("read") or {}),
        )
        mapping.check_required()
        return mapping

    def check_required(self) -> None:
        missing = [
            f.name
            for f in self.schema.fields
            if f.required
            and f.derive is None  # derived from other fields when the source has no column
            and (f.name not in self.fields or self.fields[f.name].is_unfed())
        ]
        if missing:
            raise MappingError(
                _("The mapping feeds no column into the required field(s): %(fields)s."),
                fields=", ".join(missing),
            )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"table": self.table}
        if self.timezone != "Europe/Paris":
            data["timezone"] = self.timezone
        if self.read:
            data["read"] = dict(self.read)
        data["fields"] = {name: fm.to_yaml_value() for name, fm in self.fields.items()}
        return data

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False, width=100)

    def source_columns(self) -> list[str]:
        return sorted({c for fm in self.fields.values() for c in fm.source_columns()})

    def check_columns(self, columns: Sequence[str]) -> None:
        """Refuse a source lacking a column the mapping reads (nothing is loaded then)."""
        missing = [c for c in self.source_columns() if c not in columns]
        if missing:
            raise MappingError(
                _(
                    "The source has no column %(missing)s, which the mapping reads. Its columns: "
                    "%(columns)s."
                ),
                missing=", ".join(f"« {c} »" for c in missing),
                columns=", ".join(f"« {c} »" for c in columns) or "—",
            )


def _field_map(name: str, spec: Any, field_type: str = "string") -> FieldMap:
    if spec is None:
        return FieldMap()
    if isinstance(spec, str):
        return FieldMap(column=spec)
    if not isinstance(spec, dict):
        raise MappingError(
            _("Field “%(field)s”: write a column name or a dictionary of options."), field=name
        )
    unknown = set(spec) - FIELD_OPTIONS
    if unknown:
        raise MappingError(
            _("Field “%(field)s”: unknown option(s) %(unknown)s. Options: %(known)s."),
            field=name,
            unknown=", ".join(sorted(unknown)),
            known=", ".join(sorted(FIELD_OPTIONS)),
        )
    if spec.get("column") is not None and spec.get("value") is not None:
        raise MappingError(
            _("Field “%(field)s”: give either a column or a constant value, not both."), field=name
        )
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        raise MappingError(
            _("Field “%(field)s”: “values” must map source values to canonical ones."), field=name
        )
    formats = spec.get("format") or []
    if isinstance(formats, str):
        formats = [formats]
    referential = spec.get("referential")
    if referential not in (None, "commune"):
        raise MappingError(
            _("Field “%(field)s”: the only referential look-up is “commune”."), field=name
        )
    fallback = spec.get("fallback")
    if fallback not in (None, *FALLBACKS):
        raise MappingError(_("Field “%(field)s”: the only fallback is “row_hash”."), field=name)
    duration = spec.get("duration")
    if duration is not None and field_type not in ("integer", "number"):
        raise MappingError(
            _("Field “%(field)s”: “duration” applies to a number field only."), field=name
        )
    return FieldMap(
        fallback=fallback,
        duration=None if duration is None else str(duration),
        column=None if spec.get("column") is None else str(spec["column"]),
        value=spec.get("value"),
        values={str(k): v for k, v in values.items()},
        other=spec.get("other"),
        default=spec.get("default"),
        formats=[str(f) for f in formats],
        decimal=spec.get("decimal"),
        thousands=spec.get("thousands"),
        referential=referential,
        postal_code_column=spec.get("postal_code_column"),
    )


# --------------------------------------------------------------------------------------------
# Proposals: a first draft from column names and sample values, which the user confirms.

_DATE_RE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?")
_NUMBER_RE = re.compile(r"^-?\d+([.,]\d+)?$")
_INSEE_RE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")


def normalise(text: str) -> str:
    """Lowercase, no accents, words separated by single spaces: for comparing labels."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _similarity(column: str, names: list[str]) -> float:
    col = normalise(column)
    best = 0.0
    for name in names:
        target = normalise(name)
        if not target:
            continue
        if col == target:
            return 1.0
        ratio = SequenceMatcher(None, col, target).ratio()
        if target in col.split() or (len(target) > 3 and target in col):
            ratio = max(ratio, 0.8)
        best = max(best, ratio)
    return best


def _value_score(field_type: str, name: str, samples: list[str]) -> float:
    values = [s for s in samples if s not in (None, "")]
    if not values:
        return 0.0

    def share(pattern: re.Pattern[str]) -> float:
        return sum(1 for v in values if pattern.match(str(v).strip())) / len(values)

    if field_type in ("date", "datetime"):
        return share(_DATE_RE)
    if field_type in ("number", "integer"):
        return share(_NUMBER_RE)
    if name == "commune_insee":
        return share(_INSEE_RE)
    return 0.0


@dataclass
class Proposal:
    mapping: Mapping | None
    fields: dict[str, FieldMap]
    confidence: dict[str, float]
    unmatched_required: list[str]


def propose(
    table: str,
    columns: Sequence[str],
    samples: dict[str, list[str]],
    value_targets: dict[str, dict[str, str]] | None = None,
) -> Proposal:
    """Draft a mapping of `columns` onto the canonical `table`.

    Args:
        samples: a few values of each column (the first rows of the source).
        value_targets: for fields whose values come from a list (e.g. "category" → the tenant's
            theme codes by label), the canonical values by label, used to draft `values` maps.
    """
    schema = get_schema(table)
    synonyms = {
        item["name"]: [item["name"], item.get("title", ""), *item.get("pilotis:synonyms", [])]
        for item in schema.raw["fields"]
    }
    scored: list[tuple[float, str, str]] = []
    for f in schema.mappable_fields:
        for column in columns:
            name_score = _similarity(column, synonyms[f.name])
            value_score = _value_score(f.type, f.name, samples.get(column, []))
            score = name_score * 0.8 + value_score * 0.2 if name_score >= 0.6 else 0.0
            if score:
                scored.append((score, f.name, column))
    fields: dict[str, FieldMap] = {}
    confidence: dict[str, float] = {}
    used: set[str] = set()
    for score, name, column in sorted(scored, reverse=True):
        if name in fields or column in used:
            continue
        fields[name] = FieldMap(column=column)
        confidence[name] = round(score, 2)
        used.add(column)
    for name, fm in fields.items():
        f = schema.field(name)
        values = [v for v in samples.get(fm.column or "", []) if v not in (None, "")]
        if name == "commune_insee" and values and _value_score(f.type, name, values) < 0.9:
            fm.referential = "commune"
        enum = f.constraints.get("enum")
        targets = (value_targets or {}).get(name) or (
            {str(e): str(e) for e in enum} if enum else {}
        )
        if targets and values:
            fm.values = _draft_values(values, targets)
    unmatched = [f.name for f in schema.fields if f.required and f.name not in fields]
    mapping = None
    if not unmatched:
        mapping = Mapping(table=table, fields=fields)
    return Proposal(mapping, fields, confidence, unmatched)


STATUS_WORDS = {
    "closed": [
        "closed",
        "clos",
        "close",
        "cloture",
        "cloturee",
        "ferme",
        "fermee",
        "termine",
        "terminee",
        "resolu",
        "resolue",
        "traite",
        "traitee",
        "solde",
        "soldee",
        "done",
    ],
    "open": [
        "open",
        "ouvert",
        "ouverte",
        "en cours",
        "nouveau",
        "nouvelle",
        "a traiter",
        "en attente",
        "submitted",
        "new",
        "in progress",
        "acknowledged",
        "recue",
    ],
}


def _draft_values(values: list[str], targets: dict[str, str]) -> dict[str, str]:
    """Map each distinct sample value onto the closest canonical value, when close enough."""
    words = {label: [label] for label in targets}
    for canonical, synonyms in STATUS_WORDS.items():
        if canonical in targets:
            words[canonical] = [canonical, *synonyms]
    drafted: dict[str, str] = {}
    for value in dict.fromkeys(str(v).strip() for v in values):
        if value in targets.values():
            continue
        best = max(targets, key=lambda label: _similarity(value, words[label]))
        if _similarity(value, words[best]) >= 0.75:
            drafted[value] = targets[best]
    return drafted
