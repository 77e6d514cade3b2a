"""The indicators of citizen requests, declared in the metrics registry (pilotis.metrics): what
`pilotis kpi`, the JSON API and the dashboards ask for by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from pilotis.metrics.periods import latest_in
from pilotis.metrics.registry import (
    Headline,
    Metric,
    PeriodKind,
    Query,
    register,
    register_headline,
)
from pilotis.requests import indicators, repeats, rising, seasonality, topics
from pilotis.requests.data import DIMENSIONS, Database, Period, Scope, connect

DOMAIN = "requests"


# Filters may be named by their dimension (as the registry's other domains do) or by the
# scope's own plural names (as the JSON API passes them).
FILTER_NAMES = {
    "commune_insee": "communes",
    "service": "services",
    "category": "categories",
    "channel": "channels",
}


def scope_of(query: Query) -> Scope:
    return Scope(
        query.tenant_codes, **{FILTER_NAMES.get(k, k): v for k, v in query.filters.items()}
    )


def targets_for(tenant_codes: tuple[str, ...]) -> dict[str, float]:
    """Target days to close per category (theme code), from the tenants' themes; the tenant's
    own value wins over a member's for the same code."""
    from pilotis.referential.models import Theme

    targets: dict[str, float] = {}
    themes = Theme.objects.filter(tenant__code__in=tenant_codes, target_days__isnull=False)
    order = {code: i for i, code in enumerate(tenant_codes)}
    for theme in sorted(themes.select_related("tenant"), key=lambda t: -order[t.tenant.code]):
        targets[theme.code] = float(theme.target_days or 0)
    return targets


def _records(items: Sequence[Any], value: str, key: str = "key") -> list[dict[str, Any]]:
    """Registry rows (not totals) from dataclasses: `key` and `value` name the fields that
    become the row's key and figure; the other fields travel as extras."""
    out = []
    for item in items:
        data = asdict(item)
        out.append({"key": data.pop(key, None), "total": False, "value": data.pop(value), **data})
    return out


def _rows(breakdown: Any, value: str) -> list[dict[str, Any]]:
    """Registry rows from a breakdown (`total` and `groups`): the total first."""
    rows = _records([breakdown.total, *breakdown.groups], value)
    rows[0]["total"] = True
    return rows


def _metric(
    slug: str,
    label: Any,
    description: Any,
    unit: str,
    compute: Callable[[Database, Query, Period], list[dict[str, Any]]],
    *,
    dimensions: tuple[str, ...] = DIMENSIONS,
    higher_is_better: bool | None = None,
) -> None:
    def run(query: Query) -> list[dict[str, Any]]:
        db = connect(scope_of(query))
        try:
            return compute(db, query, Period(query.start, query.end))
        finally:
            db.con.close()

    register(
        Metric(
            slug=f"{DOMAIN}.{slug}",
            domain=DOMAIN,
            label=label,
            description=description,
            unit=unit,
            dimensions=dimensions,
            compute=run,
            higher_is_better=higher_is_better,
            filters=tuple(FILTER_NAMES),
            source_tables=("requests",),
        )
    )


_metric(
    "volume",
    _("Requests"),
    _("Requests made in the period."),
    "count",
    lambda db, q, p: _rows(indicators.volume(db, p, q.by), "requests"),
)
_metric(
    "trend",
    _("Change on the previous period"),
    _(
        "Requests made in the period against the period of the same length just before (and the "
        "same days a year before, in `vs_year_before`)."
    ),
    "ratio",
    lambda db, q, p: _rows(indicators.trend(db, p, q.by), "vs_previous"),
)
_metric(
    "backlog",
    _("Open requests at the end of the period"),
    _("Requests still open at the end of the period's last day, whenever made."),
    "count",
    lambda db, q, p: _rows(indicators.backlog(db, p, q.by), "at_end"),
    higher_is_better=False,
)
_metric(
    "close_median",
    _("Median time to close"),
    _(
        "Half of the requests made in the period are closed within this many days "
        "(Kaplan–Meier estimate, counting the requests still open)."
    ),
    "days",
    lambda db, q, p: _rows(indicators.time_to_close(db, p, q.as_of, q.by), "median_days"),
    dimensions=("category", "service", "channel", "commune_insee"),
    higher_is_better=False,
)
_metric(
    "close_p90",
    _("Time to close 90 % of requests"),
    _(
        "Nine requests in ten made in the period are closed within this many days "
        "(Kaplan–Meier estimate, counting the requests still open)."
    ),
    "days",
    lambda db, q, p: _rows(indicators.time_to_close(db, p, q.as_of, q.by), "p90_days"),
    dimensions=("category", "service", "channel", "commune_insee"),
    higher_is_better=False,
)
_metric(
    "on_time_rate",
    _("Handled on time"),
    _(
        "Requests closed within the target of their category ÷ (requests closed + requests "
        "still open past their target). Targets are set per theme in “Services and themes”."
    ),
    "ratio",
    lambda db, q, p: _rows(
        indicators.on_time(db, p, q.as_of, targets_for(q.tenant_codes), by=q.by), "rate"
    ),
    dimensions=("category", "service", "channel", "commune_insee"),
    higher_is_better=True,
)
_metric(
    "backlog_age",
    _("Open requests by age"),
    _("Requests open now, whenever made: under 48 hours, 48 hours to 10 days, over 10 days."),
    "count",
    lambda db, q, p: _rows(indicators.backlog_by_age(db, q.as_of, q.by), "open"),
    higher_is_better=False,
)
_metric(
    "first_response",
    _("Median time to first response"),
    _("Days from the request to the first answer, where the source records it."),
    "days",
    lambda db, q, p: _rows(indicators.first_response(db, p, q.by), "median_days"),
    higher_is_better=False,
)
_metric(
    "reopened_share",
    _("Reopened requests"),
    _("Share of the requests reopened after a closure, among those whose source says it."),
    "ratio",
    lambda db, q, p: _rows(indicators.reopened(db, p, q.by), "share"),
    higher_is_better=False,
)


def repeat_settings() -> tuple[float, float]:
    """The repeat radius (metres) and window (days) of the instance (PILOTIS_REPEAT_*)."""
    return float(settings.REPEAT_RADIUS_M), float(settings.REPEAT_WINDOW_DAYS)


def _repeat_rows(db: Database, query: Query, period: Period) -> list[dict[str, Any]]:
    radius, window = repeat_settings()
    rows = _rows(repeats.repeats(db, period, radius_m=radius, window_days=window), "share")
    return rows if query.by == "category" else rows[:1]


_metric(
    "repeats_share",
    _("Repeat requests"),
    format_lazy(
        _(
            "Share of the requests of the period made about the same category within "
            "{metres} metres and {days} days of an earlier one."
        ),
        metres=lazy(lambda: f"{repeat_settings()[0]:g}", str)(),
        days=lazy(lambda: f"{repeat_settings()[1]:g}", str)(),
    ),
    "ratio",
    _repeat_rows,
    dimensions=("category",),
    higher_is_better=False,
)


# --- time series, rises, seasons, subjects -----------------------------------------------------


def _series_rows(db: Database, query: Query, period: Period) -> list[dict[str, Any]]:
    grain = query.by or "month"
    points = indicators.volume_series(db, period, grain)
    total = sum(p.value for p in points)
    return [{"key": None, "total": True, "value": total}] + [
        {"key": p.bucket, "total": False, "value": p.value} for p in points
    ]


_metric(
    "volume_series",
    _("Requests over time"),
    _(
        "Requests made in each day, week (from Monday), month or year of the period (`by`; "
        "month by default), zeros included; the first row is the whole period."
    ),
    "count",
    _series_rows,
    dimensions=indicators.GRAINS,
)


def _rise_rows(rises: list[rising.Rise]) -> list[dict[str, Any]]:
    return _records(rises, "ratio")


def _rising_rows(db: Database, query: Query, period: Period) -> list[dict[str, Any]]:
    found = rising.rising_categories(db, period)
    significant = sum(1 for r in found if r.significant)
    return [{"key": None, "total": True, "value": significant}, *_rise_rows(found)]


_metric(
    "rising",
    _("What is rising"),
    _(
        "Each category's requests against the period of the same length just before (`value`: "
        "ratio of the counts, scaled to the lengths); `significant` when the rise is too large "
        "to be chance (binomial test, Benjamini–Hochberg). The first row counts the significant "
        "rises."
    ),
    "ratio",
    _rising_rows,
    dimensions=("category",),
)


def _rising_terms_rows(db: Database, query: Query, period: Period) -> list[dict[str, Any]]:
    found = rising.rising_terms(db, period)
    return [{"key": None, "total": True, "value": len(found)}, *_rise_rows(found)]


_metric(
    "rising_terms",
    _("Words on the rise"),
    _(
        "Words and pairs of words of the descriptions used significantly more than in the period "
        "of the same length just before (`value`: ratio of the counts). The first row counts them."
    ),
    "ratio",
    _rising_terms_rows,
    dimensions=(),
)


def _season_rows(db: Database, query: Query, period: Period) -> list[dict[str, Any]]:
    def row(key: str | None, found: seasonality.Seasonality | None) -> dict[str, Any]:
        if found is None:
            return {"key": key, "total": key is None, "value": None}
        return {
            "key": key,
            "total": key is None,
            "value": found.amplitude_pct,
            "peak_months": found.peak_months,
            "monthly_index_pct": found.monthly_index_pct,
            "p_value": found.p_value,
            "significant": found.significant,
            "strength": found.strength,
            "months": len(found.months),
        }

    rows = [row(None, seasonality.decompose(db, end=period.end))]
    if query.by == "category":
        profiles = seasonality.seasonal_profiles(db, end=period.end)
        rows += [row(code, found) for code, found in profiles.items()]
    return rows


_metric(
    "seasonality",
    _("Seasons"),
    _(
        "STL decomposition of the monthly requests up to the end of the period (at least two "
        "years): `value` is the highest monthly index — how much more than in an average month — "
        "with the peak months, when the season is significant (F-test, 5 %)."
    ),
    "percent",
    _season_rows,
    dimensions=("category",),
)


def _anomaly_rows(db: Database, query: Query, period: Period) -> list[dict[str, Any]]:
    found = seasonality.anomalies(db, end=period.end, since=period.start)
    total = {"key": None, "total": True, "value": len(found)}
    return [total, *_records(found, "observed", key="week_start")]


_metric(
    "exceptional_weeks",
    _("Exceptional weeks"),
    _(
        "Weeks of the period with far more requests than expected from the neighbouring weeks "
        "and the season (robust z-score above 3.5); the first row counts them."
    ),
    "count",
    _anomaly_rows,
    dimensions=(),
)


def _topic_rows(db: Database, query: Query, period: Period) -> list[dict[str, Any]]:
    model = topics.trained(query.tenant_codes)
    if model is None:
        return [{"key": None, "total": True, "value": None}]
    report = model.report
    rows: list[dict[str, Any]] = [
        {
            "key": None,
            "total": True,
            "value": report.accuracy,
            "macro_f1": report.macro_f1,
            "held_out": report.n_test,
        }
    ]
    for code in report.classes:
        score = report.per_class[code]
        rows.append(
            {
                "key": code,
                "total": False,
                "value": score.recall,
                "precision": score.precision,
                "held_out": score.support,
                "key_terms": report.key_terms.get(code, []),
            }
        )
    return rows


_metric(
    "topics",
    _("Subjects recognised from the text"),
    _(
        "A French text classifier trained on the categorised requests: share of held-out "
        "requests whose category it recognises (first row), then per category its recall, "
        "precision and key terms."
    ),
    "ratio",
    _topic_rows,
    dimensions=("category",),
)


# The key indicators of the home dashboard, the monthly report and the alerts' suggestions.
_latest_request = latest_in("requests", "requested_datetime")
register_headline(
    Headline("requests.volume", "requests:index", _latest_request, order=10, per_inhabitant=True)
)
register_headline(
    Headline("requests.close_median", "requests:index", _latest_request, order=11, target=10)
)
register_headline(
    Headline("requests.on_time_rate", "requests:index", _latest_request, order=12, target=0.8)
)
register_headline(
    Headline(
        "requests.backlog",
        "requests:index",
        _latest_request,
        order=13,
        period=PeriodKind.STOCK,
        per_inhabitant=True,
    )
)
