"""The periods of key indicators, shared by the home dashboard, the monthly report and alerts:
a figure is read up to the `anchor` — the last day of the last complete month for which the
domain has data — over a period of a given kind (registry.PeriodKind)."""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Callable
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from pilotis.metrics.registry import MetricError, PeriodKind


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month_end(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)


def anchor(latest: date | None, today: date) -> date | None:
    """The last day of the last complete month up to `today` that the data covers: data up
    to 31 October read on 2 December anchors on 31 October; data up to 15 November anchors
    on 31 October too (November is not complete). None when there is no data."""
    if latest is None:
        return None
    last_complete = previous_month_end(today)
    day = min(latest, last_complete)
    return day if day == month_end(day) else previous_month_end(day)


def shift_months(day: date, months: int) -> date:
    """The last day of the month `months` before (negative) or after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return month_end(date(year, month + 1, 1))


def period(kind: str, at: date) -> tuple[date, date]:
    """The (start, end) of a period of `kind` ending on the month-end `at`."""
    if kind == PeriodKind.ROLLING_YEAR:
        return shift_months(at, -12) + timedelta(days=1), at
    if kind == PeriodKind.YEAR_TO_DATE:
        return date(at.year, 1, 1), at
    if kind == PeriodKind.MONTH:
        return at.replace(day=1), at
    if kind == PeriodKind.STOCK:
        return at, at
    raise MetricError(_("Unknown period kind “%(kind)s”."), kind=kind)


def latest_in(table: str, column: str) -> Callable[[tuple[str, ...]], date | None]:
    """A `Headline.latest`: the last local day of `column` in the tenants' `table`, read once
    per version of their tables (None when none of them has loaded it)."""

    def latest(tenant_codes: tuple[str, ...]) -> date | None:
        import duckdb
        from django.core.cache import cache

        from pilotis.warehouse import storage

        versions = [storage.current_version(code, table) for code in tenant_codes]
        if all(v is None for v in versions):
            return None
        raw = f"{table}:{column}:{storage.warehouse_root()}:{tenant_codes}:{versions}"
        key = "latest:" + hashlib.sha256(raw.encode()).hexdigest()
        found = cache.get(key)
        if found is None:
            con = duckdb.connect()
            try:
                con.execute("SET TimeZone = 'Europe/Paris'")
                if not storage.register(con, "t", list(tenant_codes), table):
                    return None
                rows = con.execute(
                    f"SELECT max({storage.ident(column)})::DATE FROM t"  # noqa: S608
                ).fetchall()
            finally:
                con.close()
            found = (rows[0][0] if rows else None) or "none"
            cache.set(key, found, 24 * 3600)
        return None if found == "none" else found

    return latest
