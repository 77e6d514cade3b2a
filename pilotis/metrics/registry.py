"""The metrics registry: every indicator of Pilotis declared once — its label in French and
English, its unit, the dimensions it can be broken down by, and how it is computed.

Dashboards, the JSON API and the `pilotis kpi` command all go through `evaluate`, so the figure an
elected official reads on a page is the figure the API returns and the CLI prints. A domain app
declares its metrics in its own `metrics` module (imported by its AppConfig.ready), e.g.
`pilotis/requests/metrics.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pilotis.errors import PilotisError


class MetricError(PilotisError):
    """An unknown metric or dimension, or a period that cannot be used."""


@dataclass(frozen=True)
class Query:
    """What is asked: whose data (tenants), when (period), broken down how (`by`), filtered how.
    `as_of` is the instant "now" means (open requests are measured up to it)."""

    tenant_codes: tuple[str, ...]
    start: date
    end: date
    by: str | None = None
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise MetricError(
                _("The period ends (%(end)s) before it starts (%(start)s)."),
                start=self.start.isoformat(),
                end=self.end.isoformat(),
            )

    def __hash__(self) -> int:  # filters is a dict: hash its items
        return hash(
            (self.tenant_codes, self.start, self.end, self.by, tuple(sorted(self.filters.items())))
        )


@dataclass(frozen=True)
class Metric:
    slug: str
    domain: str
    label: str | Promise
    description: str | Promise
    unit: str  # "count", "days", "percent"
    dimensions: tuple[str, ...]
    compute: Callable[[Query], list[dict[str, Any]]] = field(compare=False, repr=False)
    higher_is_better: bool | None = None
    # What the figure may be filtered by, when more than its dimensions (e.g. a time series
    # broken down by month that can be narrowed to a channel).
    filters: tuple[str, ...] = ()
    # The warehouse tables the figure is computed from: its source (shown with its definition),
    # its lineage in the catalog, and the key of its cache (their Delta versions).
    source_tables: tuple[str, ...] = ()

    @property
    def filterable(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.dimensions + self.filters))

    def describe(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "domain": self.domain,
            "label": str(self.label),
            "description": str(self.description),
            "unit": self.unit,
            "dimensions": list(self.dimensions),
            "higher_is_better": self.higher_is_better,
            "source_tables": list(self.source_tables),
        }


@dataclass
class Result:
    """The rows of one evaluation: `{"key", "total", "value", …extras}` — first the figure for
    all the data (`total` true, `key` null), then one per value of the dimension (`key` null
    there for the rows without a value)."""

    metric: Metric
    query: Query
    rows: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric.describe(),
            "tenants": list(self.query.tenant_codes),
            "start": self.query.start.isoformat(),
            "end": self.query.end.isoformat(),
            "by": self.query.by,
            "filters": {k: list(v) for k, v in self.query.filters.items() if v},
            "as_of": self.query.as_of.isoformat(),
            "rows": self.rows,
        }


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.slug in METRICS and METRICS[metric.slug] != metric:
        raise ValueError(f"two metrics are named {metric.slug!r}")
    METRICS[metric.slug] = metric
    return metric


def get(slug: str) -> Metric:
    try:
        return METRICS[slug]
    except KeyError:
        raise MetricError(
            _("Unknown indicator “%(slug)s”. Known indicators: %(known)s."),
            slug=slug,
            known=", ".join(sorted(METRICS)),
        ) from None


def all_metrics(domain: str | None = None) -> list[Metric]:
    return [m for _slug, m in sorted(METRICS.items()) if domain is None or m.domain == domain]


def evaluate(slug: str, query: Query) -> Result:
    metric = get(slug)
    if query.by is not None and query.by not in metric.dimensions:
        raise MetricError(
            _("“%(slug)s” cannot be broken down by “%(by)s”. Possible: %(known)s."),
            slug=slug,
            by=query.by,
            known=", ".join(metric.dimensions) or "—",
        )
    return Result(metric, query, metric.compute(query))


def data_versions(metric: Metric, tenant_codes: tuple[str, ...]) -> str:
    """The Delta versions of the metric's source tables for these tenants: a figure computed
    at these versions stays true until one of them changes."""
    from pilotis.warehouse import storage

    versions = ",".join(
        f"{code}/{table}:{storage.current_version(code, table)}"
        for code in tenant_codes
        for table in metric.source_tables
    )
    return f"{storage.warehouse_root()}|{versions}"


def evaluate_cached(slug: str, query: Query, seconds: int = 24 * 3600) -> Result:
    """`evaluate`, kept in the cache until a source table of the metric changes (a new load
    commits a new Delta version, which changes the key). A metric that declares no source
    table is computed each time."""
    import hashlib

    from django.core.cache import cache
    from django.utils import translation

    metric = get(slug)
    if not metric.source_tables:
        return evaluate(slug, query)
    raw = repr(
        (
            slug,
            query.tenant_codes,
            query.start,
            query.end,
            query.by,
            sorted(query.filters.items()),
            query.as_of.date(),
            data_versions(metric, query.tenant_codes),
            translation.get_language(),
        )
    )
    key = "metric:" + hashlib.sha256(raw.encode()).hexdigest()
    rows = cache.get(key)
    if rows is None:
        result = evaluate(slug, query)
        cache.set(key, result.rows, seconds)
        return result
    return Result(metric, query, rows)


def total(result: Result) -> Any:
    """The figure for all the data (the row marked `total`), None when there is none."""
    for row in result.rows:
        if row.get("total"):
            return row.get("value")
    return None


class PeriodKind:
    """How the home dashboard and reports choose the period of a key indicator, from the
    `anchor` (last day of the last complete month with data):
    - ROLLING_YEAR: the twelve months up to the anchor (flows: requests, revenue, absences);
    - YEAR_TO_DATE: 1 January of the anchor's year to the anchor (budget execution);
    - MONTH: the anchor's month alone;
    - STOCK: the state at the anchor (headcount, debt): start = end = anchor."""

    ROLLING_YEAR = "rolling_year"
    YEAR_TO_DATE = "year_to_date"
    MONTH = "month"
    STOCK = "stock"


@dataclass(frozen=True)
class Headline:
    """A key indicator of a domain, shown on the home dashboard of every tenant that has the
    domain's data, in the monthly report, and offered to alerts.

    `latest(tenant_codes)` returns the last day the domain has data for (None: no data, the
    card is not shown); `url_name` is the domain page, reversed with the tenant code;
    `target` a default target (a tenant may set its own); `per_inhabitant` says the figure is
    divided by the population when members of an intercommunality are set side by side."""

    metric: str
    url_name: str
    latest: Callable[[tuple[str, ...]], date | None] = field(compare=False, repr=False)
    order: int = 100
    period: str = PeriodKind.ROLLING_YEAR
    target: float | None = None
    per_inhabitant: bool = False


HEADLINES: dict[str, Headline] = {}


def register_headline(headline: Headline) -> Headline:
    get(headline.metric)  # the metric must be registered first
    HEADLINES[headline.metric] = headline
    return headline


def headlines() -> list[Headline]:
    return sorted(HEADLINES.values(), key=lambda h: (h.order, h.metric))


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last twelve months up to today: what a KPI means when no period is given."""
    end = today or date.today()
    return end - timedelta(days=364), end
