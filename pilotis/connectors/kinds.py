"""Source kinds: where raw rows come from. A registry — adding a kind is adding one class.

A kind turns its configuration (a dict, as stored on a `Source` or given on the command line) into
a `RawInput`: named columns of *text* (every value a string or NULL, exactly as the source gave it)
plus the row number in the source. Typing, mapping and validation happen later, vectorised, in the
pipeline (`pilotis.connectors.pipeline`), so a kind never decides that a value is wrong: it only
reads. A kind raises `SourceError` (a `PilotisError`) with a message a clerk can act on when the
source cannot be read at all (unreachable, not the declared format, empty…); nothing is loaded then.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pilotis.errors import PilotisError

SOURCE_ROW = "_source_row"  # 1-based number of the data row in the source (header excluded)


class SourceError(PilotisError):
    """The source cannot be read at all: nothing is loaded, the message says why."""


@dataclass
class ReadHints:
    """What the reader learnt about the text it read, used to type values.

    `decimal` is the decimal mark of numbers (',' in French exports), `date_formats` the strptime
    formats its dates and datetimes were found in, most specific first (e.g. "%d/%m/%Y %H:%M").
    """

    decimal: str = "."
    thousands: str = ""
    date_formats: list[str] = field(default_factory=list)


@dataclass
class RawInput:
    """What a kind hands the pipeline.

    Exactly one of `relation` and `batches` is given:
    - `relation(con)` returns a DuckDB relation (fast path, e.g. DuckDB's own CSV reader);
    - `batches()` yields pyarrow record batches (any Python reader).
    Either way the columns are `columns` (source names, all VARCHAR/string) plus `SOURCE_ROW`
    (BIGINT, 1-based), in this order.
    `estimated_rows` feeds the progress bar (None when unknown); `next_state` is what the kind
    wants stored for its next incremental run (e.g. the last `updated_datetime` it saw).
    `description` says, for the run log, what was read (e.g. "CSV, Windows-1252, ';', decimal ','").
    """

    columns: list[str]
    hints: ReadHints = field(default_factory=ReadHints)
    relation: Callable[[duckdb.DuckDBPyConnection], duckdb.DuckDBPyRelation] | None = None
    batches: Callable[[], Iterator[pa.RecordBatch]] | None = None
    estimated_rows: int | None = None
    next_state: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    cleanup: Callable[[], None] | None = None  # removes temporary files once the load is over

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [(name, pa.string()) for name in self.columns] + [(SOURCE_ROW, pa.int64())]
        )

    def to_relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        if self.relation is not None:
            return self.relation(con)
        assert self.batches is not None  # noqa: S101 - one of the two is always given
        reader = pa.RecordBatchReader.from_batches(self.arrow_schema(), self.batches())
        return con.from_arrow(reader)


class SourceKind(ABC):
    """One way of reading a source. Subclasses set `name`, `label`, and implement `open`."""

    name: ClassVar[str]
    label: ClassVar[str | Promise]
    # The configuration keys the kind understands, with a short help text each (shown in the UI).
    options: ClassVar[dict[str, str | Promise]] = {}

    def __init__(self, config: dict[str, Any], state: dict[str, Any] | None = None) -> None:
        self.config = config
        self.state = state or {}

    @abstractmethod
    def open(self) -> RawInput:
        """Read (or prepare to stream) the source; raise SourceError when it cannot be read."""


KINDS: dict[str, type[SourceKind]] = {}


def register(kind: type[SourceKind]) -> type[SourceKind]:
    """Class decorator adding a source kind to the registry."""
    if kind.name in KINDS and KINDS[kind.name] is not kind:
        raise ValueError(f"two source kinds are named {kind.name!r}")
    KINDS[kind.name] = kind
    return kind


BUILTIN_MODULES = (
    "pilotis.connectors.files",
    "pilotis.connectors.http_api",
    "pilotis.connectors.sql",
    "pilotis.connectors.open311",
    "pilotis.connectors.portals",
)


def load_builtin_kinds() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def get(name: str) -> type[SourceKind]:
    try:
        return KINDS[name]
    except KeyError:
        raise SourceError(
            _("Unknown source kind “%(kind)s”. Known kinds: %(known)s."),
            kind=name,
            known=", ".join(sorted(KINDS)),
        ) from None


@register
class InlineKind(SourceKind):
    """Rows handed to the pipeline directly (re-played quarantine, programmatic loads)."""

    name = "inline"
    label = _("Rows given directly")

    def open(self) -> RawInput:
        raise SourceError(_("Rows given directly cannot be read again: load them again."))
