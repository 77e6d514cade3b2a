"""What the public pages show of a published version: a preview of its rows, its fields and an
automatic chart, read from the version's Parquet file (never from the warehouse)."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from django.utils.translation import gettext as _

from pilotis.metrics.charts import Chart, bar
from pilotis.opendata.models import Publication, PublicationVersion
from pilotis.opendata.publish import resource_path
from pilotis.warehouse.storage import ident, lit

PREVIEW_ROWS = 20


def fold(text: str) -> str:
    """Lower case without accents, for searches that find « Église » from « eglise »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matches(pub: Publication, query: str) -> bool:
    haystack = fold(" ".join([pub.title, pub.description, pub.keywords, pub.tenant.name]))
    return all(word in haystack for word in fold(query).split())


def preview(version: PublicationVersion) -> tuple[list[str], list[list[Any]]]:
    path = resource_path(version, "parquet")
    if path is None or not path.exists():
        return [], []
    reader = pq.ParquetFile(path)
    rows: list[list[Any]] = []
    for batch in reader.iter_batches(batch_size=PREVIEW_ROWS):
        rows = [list(r.values()) for r in batch.to_pylist()]
        break
    return list(reader.schema_arrow.names), rows


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def auto_chart(pub: Publication, version: PublicationVersion) -> Chart | None:
    """A first look at the data: rows per month when there is a date, otherwise rows per value
    of the first text column with few distinct values. None when neither helps."""
    path = resource_path(version, "parquet")
    if path is None or not path.exists():
        return None
    schema = pq.read_schema(path)
    con = duckdb.connect()
    try:
        source = f"read_parquet({lit(str(path))})"
        dated = next(
            (f.name for f in schema if pa.types.is_date(f.type) or pa.types.is_timestamp(f.type)),
            None,
        )
        if dated is not None:
            return _monthly(con, source, dated, pub)
        for f in schema:
            if _is_text(f.type):
                chart = _by_value(con, source, f.name, pub)
                if chart is not None:
                    return chart
    finally:
        con.close()
    return None


def _monthly(con: duckdb.DuckDBPyConnection, source: str, column: str, pub: Publication) -> Chart:
    rows = con.execute(
        f"SELECT strftime(date_trunc('month', {ident(column)}), '%Y-%m') AS m, count(*) "  # noqa: S608
        f"FROM {source} WHERE {ident(column)} IS NOT NULL GROUP BY 1 ORDER BY 1"
    ).fetchall()
    data = [{"mois": m, "lignes": n} for m, n in rows]
    title = _("Rows per month (%(column)s)") % {"column": column}
    spec = bar(
        title, data, x="mois", y="lignes", x_title=_("Month"), y_title=_("Rows"), horizontal=False
    )
    summary = _("%(months)s months from %(first)s to %(last)s.") % {
        "months": len(rows),
        "first": rows[0][0] if rows else "—",
        "last": rows[-1][0] if rows else "—",
    }
    return Chart(
        f"apercu-{pub.pk}",
        title,
        summary,
        [_("Month"), _("Rows")],
        [list(r) for r in rows],
        spec,
        empty=not rows,
    )


def _by_value(
    con: duckdb.DuckDBPyConnection, source: str, column: str, pub: Publication
) -> Chart | None:
    distinct = con.execute(
        f"SELECT count(DISTINCT {ident(column)}) FROM {source}"  # noqa: S608
    ).fetchone()
    if distinct is None or not 1 < distinct[0] <= 30:
        return None
    rows = con.execute(
        f"SELECT coalesce({ident(column)}, '—'), count(*) AS n FROM {source} "  # noqa: S608
        "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 30"
    ).fetchall()
    data = [{"valeur": v, "lignes": n} for v, n in rows]
    title = _("Rows per value of %(column)s") % {"column": column}
    spec = bar(title, data, x="lignes", y="valeur", x_title=_("Rows"), y_title=column)
    summary = _("The most frequent value is “%(value)s” (%(rows)s rows).") % {
        "value": rows[0][0],
        "rows": rows[0][1],
    }
    return Chart(
        f"apercu-{pub.pk}", title, summary, [column, _("Rows")], [list(r) for r in rows], spec
    )


def file_size(path: Path | None) -> int:
    return path.stat().st_size if path is not None and path.exists() else 0
