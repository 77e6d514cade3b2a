"""Canonical tables: one Table Schema (frictionless standard, as on schema.data.gouv.fr) each.

The JSON files in `schemas/` are the single definition of a canonical table: its fields, types,
constraints, primary key and foreign keys. Pilotis extends the standard with a few `pilotis:`
properties: `pilotis:personal` marks a field (or a whole table) holding personal data,
`pilotis:title_en` gives the English title, `pilotis:computed` marks a field Pilotis fills itself
(never mapped from a source), `pilotis:derive` gives a SQL expression over the typed fields
that fills the field when the source leaves it empty (a parking stay's start from its end and
its duration; occupied spaces from capacity and free spaces), and `pilotis:flags` lists the
data traps a load flags in the computed field `data_flags` — `{"name", "when"}` with `when` a
SQL condition over the typed fields: such rows are kept (they count in volumes) but flagged, so
indicators can leave them out. Foreign keys reference the official referential
(`referential:commune`) or the tenant's own lists (`tenant:orgunit`, `tenant:theme`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).with_name("schemas")

# The lineage columns every canonical table carries beside its own fields.
TENANT = "_tenant"
SOURCE = "_source"
LOAD_ID = "_load_id"
SOURCE_ROW = "_source_row"
ROW_HASH = "_row_hash"  # a hash of the canonical fields: an unchanged row is not rewritten
LINEAGE_COLUMNS = (TENANT, SOURCE, LOAD_ID, SOURCE_ROW, ROW_HASH)

TYPES = {"string", "integer", "number", "boolean", "date", "datetime", "time", "year"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    title: str = ""
    description: str = ""
    format: str = "default"
    constraints: dict[str, Any] = field(default_factory=dict)
    personal: bool = False
    computed: bool = False
    derive: str | None = None  # SQL over the typed fields, used when the source gives nothing

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str  # "referential:commune", "tenant:orgunit", "tenant:theme"
    reference_fields: tuple[str, ...]


@dataclass(frozen=True)
class TableSchema:
    name: str
    title: str
    title_en: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    missing_values: tuple[str, ...] = ("",)
    personal: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def mappable_fields(self) -> list[Field]:
        """The fields a source can feed (not the ones Pilotis computes)."""
        return [f for f in self.fields if not f.computed]

    @property
    def flags(self) -> list[dict[str, str]]:
        """The data traps flagged at load: [{"name", "when"}]."""
        return list(self.raw.get("pilotis:flags", []))

    @property
    def personal_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.personal]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableSchema:
        fields = []
        for item in data["fields"]:
            if item.get("type", "string") not in TYPES and item.get("type") != "any":
                raise ValueError(f"{data.get('name')}.{item['name']}: type {item['type']!r}")
            fields.append(
                Field(
                    name=item["name"],
                    type=item.get("type", "string"),
                    title=item.get("title", ""),
                    description=item.get("description", ""),
                    format=item.get("format", "default"),
                    constraints=dict(item.get("constraints", {})),
                    personal=bool(item.get("pilotis:personal", False)),
                    computed=bool(item.get("pilotis:computed", False)),
                    derive=item.get("pilotis:derive"),
                )
            )
        primary_key = data.get("primaryKey", [])
        if isinstance(primary_key, str):
            primary_key = [primary_key]
        foreign_keys = []
        for fk in data.get("foreignKeys", []):
            own = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
            ref = fk["reference"]["fields"]
            ref = ref if isinstance(ref, list) else [ref]
            foreign_keys.append(ForeignKey(tuple(own), fk["reference"]["resource"], tuple(ref)))
        return cls(
            name=data["name"],
            title=data.get("title", data["name"]),
            title_en=data.get("pilotis:title_en", data.get("title", data["name"])),
            description=data.get("description", ""),
            fields=tuple(fields),
            primary_key=tuple(primary_key),
            foreign_keys=tuple(foreign_keys),
            missing_values=tuple(data.get("missingValues", [""])),
            personal=bool(data.get("pilotis:personal", False)),
            raw=data,
        )


@cache
def canonical_tables() -> dict[str, TableSchema]:
    """Every canonical table, by name, read from the JSON files shipped with Pilotis."""
    tables = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = TableSchema.from_dict(json.loads(path.read_text(encoding="utf-8")))
        tables[schema.name] = schema
    return tables


def get_schema(name: str) -> TableSchema:
    from pilotis.warehouse.errors import UnknownTable

    try:
        return canonical_tables()[name]
    except KeyError:
        raise UnknownTable(name, sorted(canonical_tables())) from None
