"""A panel of a self-service dashboard, as plain values: what an analyst chose (`Spec`), checked
against the metrics registry alone (so it works for every registered indicator, whatever its
domain), and what it shows once computed (`Shown`): its period, figure, comparison, rows and
chart. The figures come from `registry.evaluate_cached`: those of the domain pages, the API and
`pilotis kpi`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilotis.errors import PilotisError
from pilotis.metrics import charts, periods, registry
from pilotis.metrics.display import display

log = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")

CHARTS = ("number", "bar", "hbar", "line", "table")
PERIODS = ("rolling_year", "year_to_date", "month", "dates")
# Time grains: a breakdown, never a filter.
TIME_GRAINS = ("day", "week", "month", "year")
MAX_FILTER_VALUES = 60

DOMAIN_LABELS = {
    "requests": gettext_lazy("Citizen requests"),
    "finance": gettext_lazy("Finance"),
    "hr": gettext_lazy("Human resources"),
    "online": gettext_lazy("Online services"),
    "parking": gettext_lazy("Paid parking"),
    "portfolio": gettext_lazy("Digital projects"),
    "opendata": gettext_lazy("Open data"),
}
DIMENSION_LABELS = {
    "category": gettext_lazy("Category"),
    "service": gettext_lazy("Service"),
    "channel": gettext_lazy("Channel"),
    "commune_insee": gettext_lazy("Commune"),
    "status": gettext_lazy("Status"),
    "zone": gettext_lazy("Zone"),
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "year": gettext_lazy("Year"),
}

UNIT_LABELS = {
    "count": gettext_lazy("number"),
    "days": gettext_lazy("days"),
    "ratio": gettext_lazy("percentage"),
    "share": gettext_lazy("percentage"),
    "percent": gettext_lazy("percentage"),
    "euros": gettext_lazy("euros"),
    "euros_per_inhabitant": gettext_lazy("euros per inhabitant"),
    "fte": gettext_lazy("full-time equivalents"),
    "minutes": gettext_lazy("minutes"),
    "years": gettext_lazy("years"),
    "rate": gettext_lazy("per 100"),
}


def unit_label(unit: str) -> str:
    return str(UNIT_LABELS.get(unit, unit))


class PanelError(PilotisError):
    """A panel that cannot be built as asked (unknown indicator, dimension, period…)."""


def domain_label(domain: str) -> str:
    return str(DOMAIN_LABELS.get(domain, domain))


def dimension_label(dimension: str) -> str:
    return str(DIMENSION_LABELS.get(dimension, dimension.replace("_", " ")))


def filter_dimensions(metric: registry.Metric) -> tuple[str, ...]:
    """What a panel of `metric` may be filtered by: the filters the metric declares, else its
    dimensions — time grains aside (a month is a breakdown, not a filter)."""
    names = metric.filters or metric.dimensions
    return tuple(n for n in names if n not in TIME_GRAINS)


def charts_for(metric: registry.Metric) -> tuple[str, ...]:
    """The chart kinds `metric` can be drawn as: bars need a dimension, a line a month one."""
    kinds = ["number", "table"]
    if metric.dimensions:
        kinds[1:1] = ["bar", "hbar"]
    if "month" in metric.dimensions:
        kinds.insert(-1, "line")
    return tuple(kinds)


@dataclass(frozen=True)
class Spec:
    """What an analyst chose for a panel; the same values the model and the JSON keep."""

    metric: str
    chart: str = "number"
    period: str = "rolling_year"
    by: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    start: date | None = None
    end: date | None = None
    title: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "by": self.by,
            "filters": {k: list(v) for k, v in self.filters.items() if v},
            "chart": self.chart,
            "period": self.period,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "title": self.title,
        }


def errors_of(spec: Spec) -> dict[str, str]:
    """What is wrong with `spec`, field by field (empty: nothing)."""
    metric = registry.METRICS.get(spec.metric)
    if metric is None:
        return {
            "metric": _("Unknown indicator “%(slug)s”: choose one of the list.")
            % {"slug": spec.metric}
        }
    errors: dict[str, str] = {}
    label = str(metric.label)
    if spec.by and spec.by not in metric.dimensions:
        errors["by"] = _("“%(label)s” cannot be broken down by “%(by)s”. Possible: %(known)s.") % {
            "label": label,
            "by": spec.by,
            "known": ", ".join(dimension_label(d) for d in metric.dimensions) or "—",
        }
    allowed = filter_dimensions(metric)
    for name in spec.filters:
        if name not in allowed:
            errors["filters"] = _("“%(label)s” cannot be filtered by “%(name)s”.") % {
                "label": label,
                "name": name,
            }
    if spec.chart not in CHARTS:
        errors["chart"] = _("Unknown chart kind “%(kind)s”.") % {"kind": spec.chart}
    elif spec.chart not in charts_for(metric):
        errors["chart"] = (
            _("A line over the months needs an indicator that has a month breakdown.")
            if spec.chart == "line"
            else _("Bars need an indicator that can be broken down.")
        )
    elif spec.chart in ("bar", "hbar") and not spec.by:
        errors["by"] = _("Bars need a breakdown: choose what to break the indicator down by.")
    if spec.period not in PERIODS:
        errors["period"] = _("Unknown period “%(kind)s”.") % {"kind": spec.period}
    elif spec.period == "dates":
        if spec.start is None or spec.end is None:
            errors["start"] = _("Give both dates of the period.")
        elif spec.end < spec.start:
            errors["end"] = _("The period ends before it starts.")
    return errors


def normalised(spec: Spec) -> Spec:
    """`spec` as it is kept: a line is over months, a figure has no breakdown, explicit dates
    only with an explicit period, empty filters dropped."""
    by = "month" if spec.chart == "line" else "" if spec.chart == "number" else spec.by
    dated = spec.period == "dates"
    return Spec(
        metric=spec.metric,
        chart=spec.chart,
        period=spec.period,
        by=by,
        filters={k: [str(x) for x in v] for k, v in spec.filters.items() if v},
        start=spec.start if dated else None,
        end=spec.end if dated else None,
        title=spec.title.strip(),
    )


# --- periods ------------------------------------------------------------------------------------


def _headline_for(metric: registry.Metric) -> registry.Headline | None:
    """The metric's own headline, else one of its domain reading the same tables (they share
    the last day with data)."""
    found = registry.HEADLINES.get(metric.slug)
    if found is not None:
        return found
    for headline in registry.headlines():
        other = registry.METRICS.get(headline.metric)
        if (
            other is not None
            and other.domain == metric.domain
            and set(other.source_tables) & set(metric.source_tables)
        ):
            return headline
    return None


def anchor_for(metric: registry.Metric, codes: tuple[str, ...], today: date) -> date:
    """The month-end a period is read up to: the last complete month with data, else the end
    of the previous month."""
    headline = _headline_for(metric)
    latest = None
    if headline is not None:
        try:
            latest = headline.latest(codes)
        except Exception:  # noqa: BLE001 - an unreadable source must not break the page
            log.exception("latest day of %s unreadable", metric.slug)
    return periods.anchor(latest, today) or periods.previous_month_end(today)


def period_of(
    spec: Spec, metric: registry.Metric, codes: tuple[str, ...], today: date
) -> tuple[date, date]:
    if spec.period == "dates" and spec.start and spec.end:
        return spec.start, spec.end
    kind = spec.period if spec.period in PERIODS[:3] else registry.PeriodKind.ROLLING_YEAR
    return periods.period(kind, anchor_for(metric, codes, today))


def period_label(start: date, end: date) -> str:
    fmt = "j F Y"
    return _("%(start)s to %(end)s") % {
        "start": formats.date_format(start, fmt),
        "end": formats.date_format(end, fmt),
    }


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def as_of(end: date) -> datetime:
    """The instant a figure ending on `end` is read at: the following midnight, Paris."""
    return datetime.combine(end + timedelta(days=1), time(), PARIS)


def query(spec: Spec, codes: tuple[str, ...], start: date, end: date) -> registry.Query:
    return registry.Query(
        tenant_codes=codes,
        start=start,
        end=end,
        by=spec.by or None,
        filters={k: tuple(v) for k, v in spec.filters.items() if v},
        as_of=as_of(end),
    )


def evaluate(spec: Spec, q: registry.Query) -> registry.Result:
    """`registry.evaluate_cached`, any failure of the metric's computation turned into a
    message a reader can act on."""
    try:
        return registry.evaluate_cached(spec.metric, q)
    except PilotisError:
        raise
    except (TypeError, ValueError, KeyError) as error:
        log.info("panel %s refused: %s", spec.metric, error)
        raise PanelError(
            gettext_lazy("This indicator cannot be computed with these settings (%(reason)s)."),
            reason=str(error),
        ) from error


def key_label(row: dict[str, Any]) -> str:
    """A row's key as a reader reads it: its name when the metric gives one."""
    for name in ("name", "label", "title"):
        if row.get(name):
            return str(row[name])
    key = row.get("key")
    return _("(not given)") if key is None else str(key)


def filter_options(
    metric: registry.Metric, dimension: str, codes: tuple[str, ...], start: date, end: date
) -> list[tuple[str, str]]:
    """The values `dimension` takes in the data, from an evaluation of `metric` broken down by
    it ([] when the metric cannot be broken down by it or has no data)."""
    if dimension not in metric.dimensions:
        return []
    try:
        q = registry.Query(codes, start, end, by=dimension, as_of=as_of(end))
        rows = registry.evaluate_cached(metric.slug, q).rows
    except Exception:  # noqa: BLE001 - no offered values is the honest answer
        log.info("values of %s by %s unreadable", metric.slug, dimension, exc_info=True)
        return []
    found = [(str(r["key"]), key_label(r)) for r in rows if not r.get("total") and r.get("key")]
    return list(dict.fromkeys(found))[:MAX_FILTER_VALUES]


# --- what a panel shows -------------------------------------------------------------------------


@dataclass
class Shown:
    """A computed panel, ready for the page, the workbook and the PDF."""

    slug: str  # unique on the page: the chart's id
    title: str
    metric: str
    label: str
    description: str
    unit: str
    sources: list[str]
    chart_kind: str
    by: str
    by_label: str
    filters: list[tuple[str, str]]  # (dimension label, values)
    start: date | None = None
    end: date | None = None
    period_label: str = ""
    value: Any = None
    shown: str = "—"
    previous: Any = None
    shown_previous: str = ""
    change: float | None = None
    change_label: str = ""
    rows: list[tuple[Any, str, Any, str]] = field(default_factory=list)  # key, label, value, shown
    chart: charts.Chart | None = None
    error: str = ""

    @property
    def columns(self) -> list[str]:
        return [self.by_label or _("Scope"), self.label]

    def table(self) -> list[list[Any]]:
        """The panel's data as rows of plain values (the total first)."""
        out: list[list[Any]] = [[_("All"), self.value]]
        out += [[label, value] for _key, label, value, _shown in self.rows]
        return out


def _format(unit: str) -> str:
    return {"ratio": ".0%", "share": ".0%", "count": ",d"}.get(unit, ",.1f")


def _chart(shown: Shown, spec: Spec) -> charts.Chart:
    data = [{"key": label, "value": value} for _k, label, value, _s in shown.rows]
    summary = _("%(label)s by %(by)s, %(period)s: %(n)s values.") % {
        "label": shown.label,
        "by": shown.by_label.lower(),
        "period": shown.period_label,
        "n": len(data),
    }
    columns = [shown.by_label, shown.label]
    table = [[label, value_shown] for _k, label, _v, value_shown in shown.rows]
    if not data or all(d["value"] is None for d in data):
        return charts.Chart(shown.slug, shown.title, summary, columns, table, empty=True)
    fmt = _format(shown.unit)
    if spec.chart == "line":
        vega = charts.base(
            shown.title,
            data,
            mark={"type": "line", "point": True, "color": charts.PALETTE[0]},
            encoding={
                "x": {"field": "key", "type": "ordinal", "sort": None, "title": shown.by_label},
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": shown.label,
                    "axis": {"format": fmt},
                },
                "tooltip": [
                    {"field": "key", "type": "ordinal", "title": shown.by_label},
                    {"field": "value", "type": "quantitative", "title": shown.label, "format": fmt},
                ],
            },
        )
    else:
        vega = charts.bar(
            shown.title,
            data,
            x="value" if spec.chart == "hbar" else "key",
            y="key" if spec.chart == "hbar" else "value",
            x_title=shown.label if spec.chart == "hbar" else shown.by_label,
            y_title=shown.by_label if spec.chart == "hbar" else shown.label,
            horizontal=spec.chart == "hbar",
            value_format=fmt,
        )
    return charts.Chart(shown.slug, shown.title, summary, columns, table, spec=vega)


def _number(value: Any) -> Any:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def compute(spec: Spec, codes: tuple[str, ...], today: date, slug: str) -> Shown:
    """The panel `spec` over the data of `codes`, read on `today`; `slug` names its chart."""
    metric = registry.METRICS.get(spec.metric)
    if metric is None:
        return Shown(
            slug, spec.title or spec.metric, spec.metric, spec.metric, "", "", [], spec.chart,
            "", "", [], error=errors_of(spec)["metric"],
        )  # fmt: skip
    shown = Shown(
        slug=slug,
        title=spec.title or str(metric.label),
        metric=metric.slug,
        label=str(metric.label),
        description=str(metric.description),
        unit=metric.unit,
        sources=list(metric.source_tables),
        chart_kind=spec.chart,
        by=spec.by,
        by_label=dimension_label(spec.by) if spec.by else "",
        filters=[(dimension_label(k), ", ".join(v)) for k, v in spec.filters.items() if v],
    )
    try:
        start, end = period_of(spec, metric, codes, today)
        shown.start, shown.end, shown.period_label = start, end, period_label(start, end)
        result = evaluate(spec, query(spec, codes, start, end))
    except PilotisError as error:
        shown.error = str(error)
        return shown
    except Exception as error:  # noqa: BLE001 - one broken panel must not break the page
        log.exception("panel %s failed", spec.metric)
        shown.error = _("This indicator could not be computed: %(reason)s") % {"reason": error}
        return shown
    shown.value = _number(registry.total(result))
    shown.shown = display(shown.value, metric.unit)
    rows = [r for r in result.rows if not r.get("total")]
    if spec.chart == "line":
        rows.sort(key=lambda r: str(r.get("key")))
    values = [_number(r.get("value")) for r in rows]
    shown.rows = [
        (r.get("key"), key_label(r), v, display(v, metric.unit))
        for r, v in zip(rows, values, strict=True)
    ]
    if spec.chart == "number":
        _compare(shown, spec, codes)
    elif spec.chart != "table":
        shown.chart = _chart(shown, spec)
    return shown


def _compare(shown: Shown, spec: Spec, codes: tuple[str, ...]) -> None:
    """The same figure over the same period a year before."""
    assert shown.start is not None and shown.end is not None  # noqa: S101 - set by compute
    try:
        before = evaluate(
            spec, query(spec, codes, year_before(shown.start), year_before(shown.end))
        )
    except Exception:  # noqa: BLE001 - the comparison is a bonus
        log.info("no comparison for %s", spec.metric, exc_info=True)
        return
    shown.previous = _number(registry.total(before))
    shown.shown_previous = display(shown.previous, shown.unit)
    if shown.value is not None and shown.previous:
        shown.change = (float(shown.value) - float(shown.previous)) / abs(float(shown.previous))
        shown.change_label = _("%(sign)s%(n)s %% on the same period a year before") % {
            "sign": "+" if shown.change >= 0 else "−",
            "n": formats.number_format(round(abs(100 * shown.change)), use_l10n=True),
        }
