"""The online-services indicators, declared in the metrics registry: how many procedures
citizens did, by procedure, channel and month, and the share done online."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from pilotis.metrics.periods import latest_in, month_end
from pilotis.metrics.registry import (
    Headline,
    Metric,
    MetricError,
    Query,
    register,
    register_headline,
)
from pilotis.online import data as online_data

DOMAIN = "online"


def _keys(rows: Any, dimension: str) -> list[str]:
    found = set(rows[dimension].unique().tolist())
    order = {"procedure": online_data.PROCEDURES, "channel": online_data.CHANNELS}.get(dimension)
    return [k for k in order if k in found] if order else sorted(found)


def _metric(
    name: str,
    label: Any,
    description: Any,
    unit: str,
    dimensions: tuple[str, ...],
    figure: Any,
    higher_is_better: bool | None = None,
    filters: tuple[str, ...] = (),
) -> None:
    def compute(query: Query) -> list[dict[str, Any]]:
        allowed = set(dimensions) | set(filters)
        unknown = set(query.filters) - allowed
        if unknown:
            raise MetricError(
                _("Unknown filter(s): %(names)s. Possible: %(known)s."),
                names=", ".join(sorted(unknown)),
                known=", ".join(sorted(allowed - {"month"})),
            )
        data = online_data.cached(query.tenant_codes)
        rows = online_data.select(
            data, query.start, query.end, {k: tuple(v) for k, v in query.filters.items()}
        )
        out: list[dict[str, Any]] = [{"key": None, "total": True, "value": figure(rows)}]
        if query.by:
            for key in _keys(rows, query.by):
                part = rows[rows[query.by] == key]
                out.append({"key": key, "total": False, "value": figure(part)})
        return out

    register(
        Metric(
            slug=f"{DOMAIN}.{name}",
            domain=DOMAIN,
            label=label,
            description=description,
            unit=unit,
            dimensions=dimensions,
            compute=compute,
            higher_is_better=higher_is_better,
            filters=filters,
            source_tables=online_data.TABLES,
        )
    )


def _share(rows: Any) -> float | None:
    share = online_data.online_share(rows)
    return None if share is None else round(share, 4)


_metric(
    "procedures",
    _("Procedures carried out"),
    _(
        "Procedures citizens carried out in the period, through every channel (online, counter, "
        "mail, phone), from the online platform's exports and the counters' logs."
    ),
    "count",
    ("procedure", "channel", "month"),
    online_data.volume,
)
_metric(
    "online_share",
    _("Share of procedures done online"),
    _("Procedures done online ÷ procedures done through every channel, in the period."),
    "ratio",
    ("procedure", "month"),
    _share,
    higher_is_better=True,
)


_latest = latest_in(online_data.TABLE, "date")


def _latest_day(tenant_codes: tuple[str, ...]) -> Any:
    """The last day with data; monthly counts dated the 1st cover their whole month."""
    found = _latest(tenant_codes)
    return None if found is None else (found if found.day > 1 else month_end(found))


register_headline(
    Headline("online.online_share", "online:index", _latest_day, order=40, target=0.6)
)
register_headline(Headline("online.procedures", "online:index", _latest_day, order=41))
