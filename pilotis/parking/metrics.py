"""The parking indicators, declared in the metrics registry (pilotis.metrics): what `pilotis
kpi`, the JSON API and the dashboards ask for by name. Each can be broken down by zone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from pilotis.metrics.periods import latest_in
from pilotis.metrics.registry import (
    Headline,
    Metric,
    MetricError,
    Query,
    register,
    register_headline,
)
from pilotis.parking import data as parking_data
from pilotis.parking import indicators

DOMAIN = "parking"
DIMENSIONS = ("zone",)


def _metric(
    slug: str,
    label: Any,
    description: Any,
    unit: str,
    figure: Callable[[indicators.Summary], float | int | None],
    higher_is_better: bool | None = None,
) -> None:
    def compute(query: Query) -> list[dict[str, Any]]:
        unknown = set(query.filters) - set(DIMENSIONS)
        if unknown:
            raise MetricError(
                _("Unknown filter(s): %(names)s. Possible: zone."), names=", ".join(sorted(unknown))
            )
        data = parking_data.load(query.tenant_codes)
        period = indicators.Period(query.start, query.end)
        zones = tuple(query.filters.get("zone", ()))
        rows: list[dict[str, Any]] = [
            {"key": None, "total": True, "value": figure(indicators.summary(data, period, zones))}
        ]
        if query.by == "zone":
            for code in sorted(data.zones):
                if zones and code not in zones:
                    continue
                rows.append(
                    {
                        "key": code,
                        "total": False,
                        "value": figure(indicators.summary(data, period, (code,))),
                        "name": data.zones[code].name,
                    }
                )
        return rows

    register(
        Metric(
            slug=f"{DOMAIN}.{slug}",
            domain=DOMAIN,
            label=label,
            description=description,
            unit=unit,
            dimensions=DIMENSIONS,
            compute=compute,
            higher_is_better=higher_is_better,
            source_tables=parking_data.TABLES,
        )
    )


_metric(
    "revenue",
    _("Parking revenue"),
    _("Amount of the parking payments (meters and apps) started in the period, in euros."),
    "euros",
    lambda s: round(s.revenue, 2),
)
_metric(
    "sessions",
    _("Paid parking sessions"),
    _("Number of parking payments started in the period."),
    "count",
    lambda s: s.sessions,
)
_metric(
    "occupancy",
    _("Mean parking occupancy"),
    _(
        "Mean share of spaces occupied during paid hours (readings, or paid occupancy rebuilt "
        "from payments when there are none)."
    ),
    "percent",
    lambda s: None if s.occupancy is None else round(100 * s.occupancy, 2),
)
_metric(
    "saturation",
    _("Saturated parking hours"),
    _("Share of paid hours with more than 85 % of spaces occupied."),
    "percent",
    lambda s: None if s.saturated is None else round(100 * s.saturated, 2),
    higher_is_better=False,
)
_metric(
    "underuse",
    _("Under-used parking hours"),
    _("Share of paid hours with less than 50 % of spaces occupied."),
    "percent",
    lambda s: None if s.underused is None else round(100 * s.underused, 2),
    higher_is_better=False,
)
_metric(
    "mean_duration",
    _("Average paid parking stay"),
    _("Mean paid duration of the parking sessions started in the period, in minutes."),
    "minutes",
    lambda s: None if s.mean_duration is None else round(s.mean_duration, 1),
)
_metric(
    "fine_rate",
    _("Post-parking fine rate"),
    _("Post-parking fines (FPS) issued per 100 paid sessions."),
    "rate",
    lambda s: None if s.fine_rate is None else round(s.fine_rate, 2),
    higher_is_better=False,
)


_latest_payment = latest_in("parking_payments", "start_datetime")
register_headline(
    Headline("parking.revenue", "parking:index", _latest_payment, order=50, per_inhabitant=True)
)
register_headline(Headline("parking.occupancy", "parking:index", _latest_payment, order=51))
