"""The parking pages as data: plain-French answers, key figures, charts and what is missing —
then the what-if: a policy's prediction, the optimiser's proposal and SFpark's rule side by side.

No Django request here (see `pilotis.requests.page` for the same pattern).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from pilotis.metrics.charts import PALETTE, Chart, bar, base
from pilotis.parking import elasticity, indicators, optimise, simulate
from pilotis.parking.data import Data
from pilotis.parking.indicators import Period
from pilotis.requests.page import Answer, Kpi, num, pct

# Translated where shown (gettext_noop marks them for the catalogue).
DAY_TYPE_LABELS = {
    "weekday": gettext_noop("Monday to Friday"),
    "saturday": gettext_noop("Saturday"),
    "sunday": gettext_noop("Sunday and public holidays"),
}
KIND_LABELS = {
    "hyper_centre": gettext_noop("hyper-centre"),
    "centre": gettext_noop("centre"),
    "periphery": gettext_noop("periphery"),
    "residential": gettext_noop("residential"),
    "unknown": gettext_noop("zone of unknown kind"),
}


def euros(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return _("%(amount)s €") % {"amount": num(value, digits)}


@dataclass
class Page:
    period: Period
    answers: list[Answer]
    kpis: list[Kpi]
    charts: list[Chart]
    missing: list[str]
    notes: list[str]
    facts: dict[str, Any] = field(default_factory=dict)


def zone_label(data: Data, code: str) -> str:
    zone = data.zones.get(code)
    return zone.name if zone is not None else code


def build(data: Data, period: Period | None = None, zones: tuple[str, ...] = ()) -> Page | None:
    if data.empty:
        return None
    period = period or indicators.default_period(data)
    if period is None:
        return None
    s = indicators.summary(data, period, zones)
    table = indicators.by_zone(data, period)
    if zones and len(table):
        table = table[table["zone"].isin(zones)]
    estimates = elasticity.occupancy_elasticities(data)
    answers = [
        Answer(_("How much does parking bring in?"), _revenue_sentence(s)),
        Answer(_("Are the spaces used?"), _occupancy_sentence(data, s, table)),
        Answer(_("How do drivers react to prices?"), _elasticity_sentence(estimates)),
    ]
    kpis = [
        Kpi(
            _("Parking revenue"),
            euros(s.revenue),
            ngettext("%(n)s paid session", "%(n)s paid sessions", s.sessions)
            % {"n": num(s.sessions)},
        ),
        Kpi(
            _("Mean occupancy"),
            pct(s.occupancy),
            _("measured")
            if s.occupancy_source == "measured"
            else _("paid occupancy")
            if s.occupancy_source == "paid"
            else _("no occupancy data"),
        ),
        Kpi(_("Hours above 85 %"), pct(s.saturated), _("saturation")),
        Kpi(_("Hours below 50 %"), pct(s.underused), _("under-use")),
        Kpi(
            _("Average paid stay"),
            _("%(minutes)s min") % {"minutes": num(s.mean_duration)} if s.mean_duration else "—",
            _("turnover: %(n)s sessions per space per day") % {"n": num(s.turnover, 1)}
            if s.turnover
            else "",
        ),
        Kpi(
            _("Post-parking fines (FPS)"),
            num(s.fines) if data.has_fines else "—",
            _("%(rate)s per 100 paid sessions, %(paid)s of their amount paid")
            % {"rate": num(s.fine_rate, 1), "paid": pct(s.fine_payment_rate)}
            if s.fine_rate is not None
            else "",
        ),
    ]
    if s.entries:
        kpis.append(Kpi(_("Car-park entries"), num(s.entries), _("daily gate counts")))
    charts = [
        _heatmap(data, period, zones, "weekday"),
        _heatmap(data, period, zones, "saturday"),
        _revenue_chart(data, period, zones),
        _revenue_vs_occupancy(data, table),
        _flows_chart(data, period),
        _zones_table(data, table),
    ]
    facts = {
        "revenue": s.revenue,
        "sessions": s.sessions,
        "occupancy": s.occupancy,
        "saturated": s.saturated,
        "underused": s.underused,
        "fines": s.fines,
        "fine_rate": s.fine_rate,
        "mean_duration": s.mean_duration,
        "entries": s.entries,
    }
    return Page(
        period,
        answers,
        [k for k in kpis if k.value != "—" or k.note],
        [c for c in charts if c is not None],
        missing(data),
        _notes(data),
        facts,
    )


def missing(data: Data) -> list[str]:
    """What the data lacks for a full analysis, in plain words."""
    out = []
    if not data.zones or all(z.kind is None for z in data.zones.values()):
        out.append(
            _(
                "No parking zones table: zone kinds (hyper-centre, centre…) are unknown, so "
                "elasticities cannot be told apart by kind."
            )
        )
    if any(z.capacity is None for z in data.zones.values()):
        out.append(
            _(
                "Some zones have no capacity (number of spaces): their occupancy cannot be "
                "computed from payments."
            )
        )
    if not data.has_occupancy:
        out.append(
            _(
                "No occupancy readings (sensors, counts or patrol surveys): occupancy is rebuilt "
                "from payments where capacity is known, which misses unpaid parking."
            )
        )
    if not data.has_payments:
        out.append(_("No payment transactions: revenue, paid durations and turnover are unknown."))
    if not data.has_tariffs:
        out.append(
            _(
                "No tariff grid: prices are unknown, so elasticity cannot be estimated and "
                "the simulator cannot run."
            )
        )
    if not data.has_fines:
        out.append(_("No post-parking fines (FPS): their rate and revenue are unknown."))
    return out


def _notes(data: Data) -> list[str]:
    notes = [
        _(
            "Occupancy shares count the paid hours when a tariff grid is known, otherwise "
            "8:00–20:00 from Monday to Saturday. Saturation: above 85 %; under-use: below 50 %."
        ),
        _(
            "Paid occupancy counts what was paid for; real occupancy is higher by the share "
            "of drivers who do not pay (residents, disabled badge holders, fraud)."
        ),
    ]
    return notes


def _revenue_sentence(s: indicators.Summary) -> str:
    if not s.sessions:
        return _("No payment in the period.")
    text = _(
        "%(revenue)s from %(sessions)s paid sessions in the period, %(minutes)s minutes paid "
        "on average."
    ) % {
        "revenue": euros(s.revenue),
        "sessions": num(s.sessions),
        "minutes": num(s.mean_duration),
    }
    if s.fines:
        text += " " + ngettext(
            "%(fines)s post-parking fine was issued.",
            "%(fines)s post-parking fines were issued.",
            s.fines,
        ) % {"fines": num(s.fines)}
    return text


def _occupancy_sentence(data: Data, s: indicators.Summary, table: Any) -> str:
    if s.occupancy is None:
        return _("Occupancy is unknown: neither readings nor capacities with payments.")
    text = _(
        "On average %(occupancy)s of spaces are occupied; %(saturated)s of the hours are "
        "saturated (above 85 %%) and %(underused)s under-used (below 50 %%)."
    ) % {
        "occupancy": pct(s.occupancy),
        "saturated": pct(s.saturated),
        "underused": pct(s.underused),
    }
    if len(table) and table["saturated"].notna().any():
        top = table.sort_values("saturated", ascending=False).iloc[0]
        if top["saturated"] and top["saturated"] > 0:
            text += " " + _("The most saturated zone is %(zone)s (%(share)s of its hours).") % {
                "zone": top["name"],
                "share": pct(top["saturated"]),
            }
    return text


def kind_label(kind: str) -> str:
    return _(KIND_LABELS.get(kind, kind))


def _elasticity_sentence(estimates: dict[str, elasticity.Estimate]) -> str:
    if not estimates:
        return _("Not enough data to say.")
    parts = []
    for kind, e in estimates.items():
        if e.estimated:
            parts.append(
                _(
                    "%(kind)s: a 10 %% price rise changes occupancy by %(effect)s (estimated "
                    "from past tariff changes, elasticity %(value)s, 95 %% interval "
                    "%(low)s to %(high)s)"
                )
                % {
                    "kind": kind_label(kind),
                    "effect": pct(1.1**e.value - 1, 1, signed=True),
                    "value": num(e.value, 2),
                    "low": num(e.low, 2),
                    "high": num(e.high, 2),
                }
                + (
                    ""
                    if e.seasons
                    else _(", without season control: no month was seen at two prices")
                )
            )
        else:
            parts.append(
                _(
                    "%(kind)s: no price change in the history, so the published reference is "
                    "used — elasticity %(value)s (%(source)s; literature %(low)s to %(high)s)"
                )
                % {
                    "kind": kind_label(kind),
                    "value": num(e.value, 1),
                    "source": elasticity.REFERENCE_SOURCE,
                    "low": num(e.low, 1),
                    "high": num(e.high, 1),
                }
            )
    return "; ".join(parts) + "."


# --- charts -------------------------------------------------------------------------------------


def _heatmap(data: Data, period: Period, zones: tuple[str, ...], day_type: str) -> Chart | None:
    frame = indicators.heatmap(data, period, zones, day_type)
    if frame.empty:
        return None
    label = _(DAY_TYPE_LABELS[day_type])
    title = _("Occupancy by zone and hour — %(days)s") % {"days": label.lower()}
    rows = [
        [zone_label(data, r.zone), int(r.hour), round(float(r.occupancy) * 100, 1)]
        for r in frame.itertuples()
    ]
    values = [{"zone": r[0], "hour": f"{r[1]:02d} h", "occupancy": r[2]} for r in rows]
    spec = base(
        title,
        values,
        height=max(120, 34 * len({r[0] for r in rows})),
        mark={"type": "rect"},
        encoding={
            "x": {"field": "hour", "type": "ordinal", "title": _("Hour"), "sort": None},
            "y": {"field": "zone", "type": "nominal", "title": _("Zone")},
            "color": {
                "field": "occupancy",
                "type": "quantitative",
                "title": _("Occupancy (%)"),
                "scale": {"scheme": "yelloworangered", "domain": [0, 100]},
            },
            "tooltip": [
                {"field": "zone", "type": "nominal", "title": _("Zone")},
                {"field": "hour", "type": "ordinal", "title": _("Hour")},
                {
                    "field": "occupancy",
                    "type": "quantitative",
                    "title": _("Occupancy (%)"),
                    "format": ",.1f",
                },
            ],
        },
    )
    summary = _(
        "Mean occupancy of each zone at each hour, %(days)s: the darker, the fuller; "
        "above 85 %% drivers circle to find a space."
    ) % {"days": label.lower()}
    return Chart(
        f"occupation-{day_type}",
        title,
        summary,
        [_("Zone"), _("Hour"), _("Occupancy (%)")],
        rows,
        spec,
    )


def _revenue_chart(data: Data, period: Period, zones: tuple[str, ...]) -> Chart | None:
    frame = indicators.revenue_by_month(data, period, zones)
    if frame.empty:
        return None
    title = _("Parking revenue by month and zone")
    rows = [
        [
            r.month.strftime("%Y-%m"),
            zone_label(data, r.zone),
            round(float(r.revenue), 2),
            int(r.sessions),
        ]
        for r in frame.itertuples()
    ]
    values = [{"month": r[0] + "-01", "zone": r[1], "revenue": r[2]} for r in rows]
    spec = base(
        title,
        values,
        mark={"type": "bar"},
        encoding={
            "x": {
                "field": "month",
                "type": "temporal",
                "timeUnit": "yearmonth",
                "title": _("Month"),
            },
            "y": {
                "field": "revenue",
                "type": "quantitative",
                "title": _("Revenue (€)"),
                "stack": True,
            },
            "color": {"field": "zone", "type": "nominal", "title": _("Zone")},
            "tooltip": [
                {
                    "field": "month",
                    "type": "temporal",
                    "timeUnit": "yearmonth",
                    "title": _("Month"),
                },
                {"field": "zone", "type": "nominal", "title": _("Zone")},
                {
                    "field": "revenue",
                    "type": "quantitative",
                    "title": _("Revenue (€)"),
                    "format": ",.0f",
                },
            ],
        },
    )
    return Chart(
        "recettes",
        title,
        _("Revenue of the payments started each month, stacked by zone."),
        [_("Month"), _("Zone"), _("Revenue (€)"), _("Paid sessions")],
        rows,
        spec,
    )


def _revenue_vs_occupancy(data: Data, table: Any) -> Chart | None:
    if not len(table) or table["occupancy"].isna().all() or table["revenue"].sum() == 0:
        return None
    title = _("Revenue per space against occupancy, by zone")
    rows = []
    for r in table.itertuples():
        per_space = r.revenue / r.capacity if r.capacity else None
        rows.append(
            [
                r.name,
                None
                if r.occupancy is None or np.isnan(r.occupancy)
                else round(r.occupancy * 100, 1),
                None if per_space is None else round(per_space, 0),
                r.capacity,
            ]
        )
    values = [
        {"zone": r[0], "occupancy": r[1], "per_space": r[2], "capacity": r[3]}
        for r in rows
        if r[1] is not None and r[2] is not None
    ]
    spec = base(
        title,
        values,
        layer=[
            {
                "mark": {"type": "point", "filled": True, "color": PALETTE[0]},
                "encoding": {
                    "x": {
                        "field": "occupancy",
                        "type": "quantitative",
                        "title": _("Mean occupancy (%)"),
                        "scale": {"domain": [0, 100]},
                    },
                    "y": {
                        "field": "per_space",
                        "type": "quantitative",
                        "title": _("Revenue per space (€)"),
                    },
                    "size": {"field": "capacity", "type": "quantitative", "title": _("Spaces")},
                    "tooltip": [
                        {"field": "zone", "type": "nominal", "title": _("Zone")},
                        {
                            "field": "occupancy",
                            "type": "quantitative",
                            "title": _("Mean occupancy (%)"),
                        },
                        {
                            "field": "per_space",
                            "type": "quantitative",
                            "title": _("Revenue per space (€)"),
                        },
                    ],
                },
            },
            _labels("occupancy", "per_space", "zone"),
        ],
    )
    return Chart(
        "recettes-occupation",
        title,
        _(
            "Each point is a zone: to the right, fuller; higher, more revenue per space. A zone "
            "full but cheap is a candidate for a higher price, an empty one for a lower price."
        ),
        [_("Zone"), _("Mean occupancy (%)"), _("Revenue per space (€)"), _("Spaces")],
        rows,
        spec,
    )


def _flows_chart(data: Data, period: Period) -> Chart | None:
    frame = indicators.daily_flows(data, period)
    if frame.empty:
        return None
    title = _("Car-park entries by month")
    rows = [
        [
            r.month.strftime("%Y-%m"),
            zone_label(data, r.zone),
            int(r.entries or 0),
            int(r.exits or 0),
        ]
        for r in frame.itertuples()
    ]
    values = [{"month": r[0] + "-01", "zone": r[1], "entries": r[2]} for r in rows]
    spec = base(
        title,
        values,
        mark={"type": "line", "point": True},
        encoding={
            "x": {
                "field": "month",
                "type": "temporal",
                "timeUnit": "yearmonth",
                "title": _("Month"),
            },
            "y": {"field": "entries", "type": "quantitative", "title": _("Entries")},
            "color": {"field": "zone", "type": "nominal", "title": _("Zone")},
        },
    )
    return Chart(
        "entrees",
        title,
        _("Vehicles entering each car park per month, from the gates' daily counts."),
        [_("Month"), _("Zone"), _("Entries"), _("Exits")],
        rows,
        spec,
    )


def _zones_table(data: Data, table: Any) -> Chart | None:
    if not len(table):
        return None
    rows = [
        [
            r.name,
            _(KIND_LABELS.get(r.kind or "unknown", r.kind)),
            r.capacity,
            round(r.revenue, 2),
            r.sessions,
            None if r.mean_duration is None else round(r.mean_duration, 0),
            None if r.occupancy is None or np.isnan(r.occupancy) else round(r.occupancy * 100, 1),
            None if r.saturated is None or np.isnan(r.saturated) else round(r.saturated * 100, 1),
            None if r.underused is None or np.isnan(r.underused) else round(r.underused * 100, 1),
            r.fines,
        ]
        for r in table.itertuples()
    ]
    title = _("Figures by zone")
    values = [{"zone": r[0], "revenue": r[3]} for r in rows]
    spec = bar(title, values, x="revenue", y="zone", x_title=_("Revenue (€)"), y_title=_("Zone"))
    return Chart(
        "zones",
        title,
        _("Revenue of each zone in the period; the table gives every figure by zone."),
        [
            _("Zone"),
            _("Kind"),
            _("Spaces"),
            _("Revenue (€)"),
            _("Paid sessions"),
            _("Average paid stay (min)"),
            _("Mean occupancy (%)"),
            _("Hours above 85 % (%)"),
            _("Hours below 50 % (%)"),
            _("FPS"),
        ],
        rows,
        spec,
    )


def _labels(x: str, y: str, text: str) -> dict[str, Any]:
    """A layer writing each point's name just above it."""
    return {
        "mark": {"type": "text", "dy": -12, "fontSize": 12},
        "encoding": {
            "x": {"field": x, "type": "quantitative"},
            "y": {"field": y, "type": "quantitative"},
            "text": {"field": text},
        },
    }


# --- the what-if ----------------------------------------------------------------------------------


@dataclass
class Simulation:
    base: simulate.Baseline
    prediction: simulate.Prediction
    proposal: optimise.Proposal
    sfpark: simulate.Prediction
    sfpark_rates: dict[tuple[str, int], float]
    charts: list[Chart]
    explanation: list[str]
    comparison: list[dict[str, Any]]


@dataclass
class Prepared:
    """What a simulation needs that no policy changes: computed once per version of the data."""

    base: simulate.Baseline
    proposal: optimise.Proposal
    sfpark_rates: dict[tuple[str, int], float]
    sfpark: simulate.Prediction


def prepare(
    data: Data,
    floor: float = optimise.FLOOR,
    target: tuple[float, float] = simulate.TARGET,
    step: float = optimise.STEP,
) -> Prepared | None:
    base_ = simulate.baseline(data)
    if base_ is None:
        return None
    base_.target = target
    rates = optimise.sfpark_rule(base_)
    proposal = optimise.optimise(base_, floor=floor, step=step)
    return Prepared(base_, proposal, rates, optimise.evaluate(base_, rates))


def simulation(
    data: Data,
    policy: simulate.Policy,
    saved: list[Any] | None = None,
    prepared: Prepared | None = None,
) -> Simulation | None:
    prepared = prepared or prepare(data)
    if prepared is None:
        return None
    base_, proposal = prepared.base, prepared.proposal
    sfpark_rates, sfpark = prepared.sfpark_rates, prepared.sfpark
    prediction = simulate.predict(base_, policy)
    comparison = [
        _scenario_row(_("Today"), prediction.totals, "today"),
        _scenario_row(_("This policy"), prediction.totals, "predicted"),
        _scenario_row(_("Optimiser's proposal"), proposal.prediction.totals, "predicted"),
        _scenario_row(_("SFpark's rule"), sfpark.totals, "predicted"),
    ]
    for scenario in saved or []:
        comparison.append(_scenario_row(scenario.name, scenario.totals, "predicted"))
    charts = [
        _prediction_chart(data, prediction),
        _hourly_chart(data, prediction),
        _comparison_chart(comparison),
    ]
    return Simulation(
        base_,
        prediction,
        proposal,
        sfpark,
        sfpark_rates,
        [c for c in charts if c is not None],
        explain(data, base_, proposal),
        comparison,
    )


def _scenario_row(name: str, totals: dict[str, float], which: str) -> dict[str, Any]:
    return {
        "name": name,
        "revenue": totals.get(f"revenue_{which}", 0.0),
        "fps": totals.get(f"fps_{which}", 0.0),
        "income": totals.get(f"income_{which}", 0.0),
        "occupancy": totals.get(f"occupancy_{which}"),
        "in_target": totals.get(f"in_target_{which}"),
        "saturated": totals.get(f"saturated_{which}"),
    }


def explain(data: Data, base_: simulate.Baseline, proposal: optimise.Proposal) -> list[str]:
    """The optimiser's proposal in plain French, band by band."""
    low, high = base_.target
    lines = []
    if not proposal.feasible:
        lines.append(
            _(
                "No set of prices keeps the year's income above %(floor)s of today while "
                "improving occupancy: today's prices are kept."
            )
            % {"floor": pct(proposal.floor)}
        )
        return lines
    cells = proposal.prediction.cells
    for group in proposal.groups:
        new = proposal.rates.get((group.zone, group.start), group.rate)
        index, _bands = optimise._band_cells(base_, group)
        rows = cells.loc[index]
        if rows.empty:
            continue
        before = float(np.average(rows["occupancy_today"], weights=rows["days"]))
        after = float(np.average(rows["occupancy_predicted"], weights=rows["days"]))
        values = {
            "zone": zone_label(data, group.zone),
            "start": group.start,
            "end": group.end,
            "old": num(group.rate, 2),
            "new": num(new, 2),
            "before": pct(before),
            "after": pct(after),
        }
        if abs(new - group.rate) < 1e-9:
            lines.append(
                _(
                    "%(zone)s, %(start)s h–%(end)s h: keep %(old)s € per hour (occupancy "
                    "%(before)s)."
                )
                % values
            )
        elif new > group.rate:
            lines.append(
                _(
                    "%(zone)s, %(start)s h–%(end)s h: occupancy %(before)s is too high — "
                    "%(old)s → %(new)s € per hour brings it to about %(after)s."
                )
                % values
                if before > high
                else _(
                    "%(zone)s, %(start)s h–%(end)s h: %(old)s → %(new)s € per hour (occupancy "
                    "%(before)s → %(after)s) keeps the income above the floor."
                )
                % values
            )
        else:
            lines.append(
                _(
                    "%(zone)s, %(start)s h–%(end)s h: occupancy %(before)s leaves spaces empty "
                    "— %(old)s → %(new)s € per hour brings it to about %(after)s."
                )
                % values
                if before < low
                else _(
                    "%(zone)s, %(start)s h–%(end)s h: %(old)s → %(new)s € per hour (occupancy "
                    "%(before)s → %(after)s)."
                )
                % values
            )
    totals = proposal.prediction.totals
    lines.append(
        _(
            "In all: %(share)s of paid hours in the target band (today %(today)s), income "
            "%(income)s a year against %(income_today)s today."
        )
        % {
            "share": pct(totals["in_target_predicted"]),
            "today": pct(totals["in_target_today"]),
            "income": euros(totals["income_predicted"]),
            "income_today": euros(totals["income_today"]),
        }
    )
    return lines


def _prediction_chart(data: Data, prediction: simulate.Prediction) -> Chart:
    title = _("Occupancy and revenue by zone: today and with this policy")
    rows = []
    for r in prediction.zones.itertuples():
        rows.append(
            [
                zone_label(data, r.zone),
                round(r.occupancy_today * 100, 1),
                round(r.occupancy_predicted * 100, 1),
                round(r.revenue_today, 0),
                round(r.revenue_predicted, 0),
                round(r.fps_today, 0),
                round(r.fps_predicted, 0),
                round(r.turnover_today, 2),
                round(r.turnover_predicted, 2),
            ]
        )
    values = []
    for r in rows:
        values.append({"zone": r[0], "when": _("Today"), "occupancy": r[1]})
        values.append({"zone": r[0], "when": _("This policy"), "occupancy": r[2]})
    spec = base(
        title,
        values,
        height=max(160, 50 * len(rows)),
        mark={"type": "bar"},
        encoding={
            "y": {"field": "zone", "type": "nominal", "title": _("Zone")},
            "yOffset": {"field": "when", "type": "nominal"},
            "x": {
                "field": "occupancy",
                "type": "quantitative",
                "title": _("Mean occupancy in paid hours (%)"),
                "scale": {"domain": [0, 100]},
            },
            "color": {"field": "when", "type": "nominal", "title": ""},
            "tooltip": [
                {"field": "zone", "type": "nominal", "title": _("Zone")},
                {"field": "when", "type": "nominal", "title": ""},
                {"field": "occupancy", "type": "quantitative", "title": _("Occupancy (%)")},
            ],
        },
    )
    return Chart(
        "prevision-zones",
        title,
        _(
            "For each zone, mean occupancy in paid hours today and as predicted; the table "
            "adds revenue and fines per year, and turnover per hour."
        ),
        [
            _("Zone"),
            _("Occupancy today (%)"),
            _("Occupancy predicted (%)"),
            _("Revenue today (€/year)"),
            _("Revenue predicted (€/year)"),
            _("FPS today (€/year)"),
            _("FPS predicted (€/year)"),
            _("Turnover today (sessions/space/hour)"),
            _("Turnover predicted (sessions/space/hour)"),
        ],
        rows,
        spec,
    )


def _hourly_chart(data: Data, prediction: simulate.Prediction) -> Chart | None:
    cells = prediction.cells[prediction.cells["day_type"] == "weekday"]
    if cells.empty:
        return None
    title = _("Weekday occupancy by hour: today and with this policy")
    rows = [
        [
            zone_label(data, r.zone),
            int(r.hour),
            round(r.occupancy_today * 100, 1),
            round(r.occupancy_predicted * 100, 1),
            round(r.price_today, 2),
            round(r.price, 2),
            round(r.revenue_today, 2),
            round(r.revenue_predicted, 2),
        ]
        for r in cells.itertuples()
    ]
    values = []
    for r in rows:
        values.append({"zone": r[0], "hour": r[1], "when": _("Today"), "occupancy": r[2]})
        values.append({"zone": r[0], "hour": r[1], "when": _("This policy"), "occupancy": r[3]})
    spec = base(
        title,
        values,
        height=220,
        mark={"type": "line", "point": True},
        encoding={
            "x": {
                "field": "hour",
                "type": "quantitative",
                "title": _("Hour"),
                "scale": {"domain": [0, 23]},
            },
            "y": {
                "field": "occupancy",
                "type": "quantitative",
                "title": _("Occupancy (%)"),
                "scale": {"domain": [0, 100]},
            },
            "color": {"field": "zone", "type": "nominal", "title": _("Zone")},
            "strokeDash": {"field": "when", "type": "nominal", "title": ""},
            "tooltip": [
                {"field": "zone", "type": "nominal", "title": _("Zone")},
                {"field": "hour", "type": "quantitative", "title": _("Hour")},
                {"field": "when", "type": "nominal", "title": ""},
                {"field": "occupancy", "type": "quantitative", "title": _("Occupancy (%)")},
            ],
        },
    )
    return Chart(
        "prevision-heures",
        title,
        _(
            "Solid lines: today; dashed: as predicted. The table gives prices and revenue per "
            "weekday hour."
        ),
        [
            _("Zone"),
            _("Hour"),
            _("Occupancy today (%)"),
            _("Occupancy predicted (%)"),
            _("Price of one hour today (€)"),
            _("Price of one hour (€)"),
            _("Revenue today (€/day)"),
            _("Revenue predicted (€/day)"),
        ],
        rows,
        spec,
    )


def _comparison_chart(comparison: list[dict[str, Any]]) -> Chart:
    title = _("Scenarios compared")
    rows = [
        [
            c["name"],
            round(c["revenue"], 0),
            round(c["fps"], 0),
            round(c["income"], 0),
            None if c["occupancy"] is None else round(c["occupancy"] * 100, 1),
            None if c["in_target"] is None else round(c["in_target"] * 100, 1),
            None if c["saturated"] is None else round(c["saturated"] * 100, 1),
        ]
        for c in comparison
    ]
    values = [{"scenario": r[0], "income": r[3], "in_target": r[5]} for r in rows]
    spec = base(
        title,
        values,
        layer=[
            {
                "mark": {"type": "point", "filled": True, "size": 120, "color": PALETTE[0]},
                "encoding": {
                    "x": {
                        "field": "in_target",
                        "type": "quantitative",
                        "title": _("Paid hours in the target band (%)"),
                        "scale": {"domain": [0, 100]},
                    },
                    "y": {
                        "field": "income",
                        "type": "quantitative",
                        "title": _("Income per year (€)"),
                        "scale": {"zero": False},
                    },
                    "tooltip": [
                        {"field": "scenario", "type": "nominal", "title": _("Scenario")},
                        {
                            "field": "income",
                            "type": "quantitative",
                            "title": _("Income per year (€)"),
                            "format": ",.0f",
                        },
                        {
                            "field": "in_target",
                            "type": "quantitative",
                            "title": _("Paid hours in the target band (%)"),
                        },
                    ],
                },
            },
            _labels("in_target", "income", "scenario"),
        ],
    )
    return Chart(
        "scenarios",
        title,
        _(
            "Each point is a scenario: to the right, more hours in the target band; higher, "
            "more income (payments and fines)."
        ),
        [
            _("Scenario"),
            _("Revenue (€/year)"),
            _("FPS (€/year)"),
            _("Income (€/year)"),
            _("Mean occupancy (%)"),
            _("Paid hours in the target band (%)"),
            _("Hours above 85 % (%)"),
        ],
        rows,
        spec,
    )
