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


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last twelve months up to today: what a KPI means when no period is given."""
    end = today or date.today()
    return end - timedelta(days=364), end
