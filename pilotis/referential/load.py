"""Load a snapshot into the referential tables, and tell what a new snapshot would change.

One transaction for the whole load: readers see the old referential or the new one, never a
mix. Rows are upserted in bulk (INSERT … ON CONFLICT DO UPDATE, on SQLite and PostgreSQL
alike), then rows the snapshot no longer has are deleted: 35,000 communes load in seconds.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from django.db import models, transaction

from pilotis.referential.models import Commune, Departement, Epci, Region
from pilotis.referential.snapshot import Snapshot, read_snapshot

BATCH_SIZE = 2000


class _Table(NamedTuple):
    """How one kind of snapshot rows maps to one table."""

    name: str  # as in Snapshot.counts()
    model: type[models.Model]
    key: str
    fields: tuple[str, ...]
    values: Callable[[Any], tuple[Any, ...]]  # snapshot row → (key, *fields)

    def rows(self, snapshot: Snapshot) -> dict[str, tuple[Any, ...]]:
        return {row[0]: row[1:] for row in map(self.values, getattr(snapshot, self.name))}

    def stored(self) -> dict[str, tuple[Any, ...]]:
        rows = self.model._default_manager.values_list(self.key, *self.fields)
        return {row[0]: tuple(row[1:]) for row in rows.iterator(chunk_size=5000)}


# In load order: a table's foreign keys point to tables above it.
TABLES = (
    _Table("regions", Region, "code", ("name",), lambda r: (r.code, r.name)),
    _Table(
        "departements",
        Departement,
        "code",
        ("name", "region_id"),
        lambda d: (d.code, d.name, d.region),
    ),
    _Table(
        "epcis",
        Epci,
        "siren",
        ("name", "kind", "population"),
        lambda e: (e.siren, e.name, e.kind, e.population),
    ),
    _Table(
        "communes",
        Commune,
        "code_insee",
        (
            "name",
            "siren",
            "departement_id",
            "epci_id",
            "population",
            "postal_codes",
            "parent_id",
            "delegated_names",
        ),
        lambda c: (
            c.code,
            c.name,
            c.siren,
            c.departement,
            c.epci or None,
            c.population,
            c.postal_codes,
            c.parent or None,
            c.delegated_names,
        ),
    ),
)


@dataclass
class TableChanges:
    """What loading a snapshot changes in one table."""

    added: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # (code, old, new)
    updated: list[str] = field(default_factory=list)  # other fields: population, postal codes…

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.renamed or self.updated)


def load_snapshot(path: Path | None = None) -> dict[str, int]:
    """Load the snapshot at `path` (by default the one shipped) and return the row counts."""
    return load(read_snapshot(path))


@transaction.atomic
def load(snapshot: Snapshot) -> dict[str, int]:
    """Make the referential tables hold exactly `snapshot`'s rows. Idempotent."""
    for table in TABLES:
        _upsert(table, snapshot)
    for table in reversed(TABLES):  # communes first: they point to EPCI and departments
        stale = table.stored().keys() - table.rows(snapshot).keys()
        _delete(table, sorted(stale))
    return snapshot.counts()


def _upsert(table: _Table, snapshot: Snapshot) -> None:
    columns = (table.key, *table.fields)
    objects = [
        table.model(**dict(zip(columns, values, strict=True)))
        for values in map(table.values, getattr(snapshot, table.name))
    ]
    table.model._default_manager.bulk_create(
        objects,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=[table.key],
        update_fields=list(table.fields),
    )


def _delete(table: _Table, keys: list[str]) -> None:
    for start in range(0, len(keys), BATCH_SIZE):  # SQLite limits the number of parameters
        batch = keys[start : start + BATCH_SIZE]
        table.model._default_manager.filter(**{f"{table.key}__in": batch}).delete()


def diff(snapshot: Snapshot) -> dict[str, TableChanges]:
    """What loading `snapshot` would change, table by table, without changing anything."""
    changes = {}
    for table in TABLES:
        before, after = table.stored(), table.rows(snapshot)
        result = TableChanges(
            added=[(key, after[key][0]) for key in sorted(after.keys() - before.keys())],
            removed=[(key, before[key][0]) for key in sorted(before.keys() - after.keys())],
        )
        for key in sorted(before.keys() & after.keys()):
            old, new = before[key], after[key]
            if old[0] != new[0]:
                result.renamed.append((key, old[0], new[0]))
            elif old != new:
                result.updated.append(key)
        changes[table.name] = result
    return changes
