"""The online-services page as data: the share of procedures done online, by procedure and
month, and the procedures still mostly done at the counter — where to act first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pilotis.metrics.charts import ACCENT, PALETTE, Chart, bar, base
from pilotis.online import data as online_data
from pilotis.online.data import Data
from pilotis.requests.page import Answer, Kpi, num, pct

PROCEDURE_LABELS = {
    "civil_status": gettext_noop("Civil-status certificates"),
    "town_planning": gettext_noop("Town-planning applications"),
    "school_enrolment": gettext_noop("School enrolment"),
    "school_catering": gettext_noop("School catering and after-school"),
    "resident_parking": gettext_noop("Resident parking permits"),
    "identity_appointment": gettext_noop("Identity card and passport appointments"),
    "waste": gettext_noop("Waste and bulky items"),
    "other": gettext_noop("Other procedures"),
}
CHANNEL_LABELS = {
    "online": gettext_noop("Online"),
    "counter": gettext_noop("Counter"),
    "mail": gettext_noop("Mail"),
    "phone": gettext_noop("Phone"),
}
MOSTLY_COUNTER = 0.5  # a procedure below this online share is "still mostly off-line"


@dataclass
class Page:
    start: date
    end: date
    answers: list[Answer]
    kpis: list[Kpi]
    charts: list[Chart]
    notes: list[str]
    to_act: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


def procedure_label(code: str) -> str:
    return _(PROCEDURE_LABELS.get(code, code))


def by_procedure(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per procedure: volume, online volume, counter volume and online share."""
    table = rows.pivot_table(
        index="procedure", columns="channel", values="count", aggfunc="sum", fill_value=0
    )
    for channel in online_data.CHANNELS:
        if channel not in table:
            table[channel] = 0
    table["total"] = table[list(online_data.CHANNELS)].sum(axis=1)
    table = table[table["total"] > 0]
    table["share"] = table["online"] / table["total"]
    return table.sort_values("total", ascending=False)


def build(data: Data, period: tuple[date, date] | None = None, procedure: str = "") -> Page | None:
    if data.empty:
        return None
    period = period or online_data.default_period(data)
    if period is None:
        return None
    start, end = period
    filters: dict[str, tuple[str, ...]] = {"procedure": (procedure,)} if procedure else {}
    rows = online_data.select(data, start, end, filters)
    table = by_procedure(rows) if len(rows) else pd.DataFrame()
    total, share = online_data.volume(rows), online_data.online_share(rows)
    previous = _year_before(data, start, end, filters)
    to_act = (
        [
            {
                "procedure": procedure_label(code),
                "share": pct(r["share"]),
                "offline": num(r["total"] - r["online"]),
                "counter": num(r["counter"]),
            }
            for code, r in table.sort_values("counter", ascending=False).iterrows()
            if r["share"] < MOSTLY_COUNTER
        ]
        if len(table)
        else []
    )
    kpis = [
        Kpi(_("Procedures"), num(total), _("all channels")),
        Kpi(
            _("Done online"),
            pct(share),
            _("a year earlier: %(share)s") % {"share": pct(previous)}
            if previous is not None
            else "",
        ),
        Kpi(
            _("At the counter"),
            num(int(rows.loc[rows["channel"] == "counter", "count"].sum())),
            _("visits for a procedure"),
        ),
    ]
    answers = [
        Answer(_("How many procedures are done online?"), _share_sentence(total, share, previous)),
        Answer(_("Where should we act?"), _act_sentence(to_act)),
    ]
    charts = [
        share_chart(table),
        volume_chart(rows),
        trend_chart(rows),
        counter_chart(table),
    ]
    notes = [
        _(
            "Online share = procedures done online ÷ procedures done through every channel "
            "(online, counter, mail, phone), over the same period."
        ),
        _(
            "Counts come from the online-procedures platform's exports and the counters' logs: "
            "a procedure started online and finished at the counter may count in both."
        ),
    ]
    facts = {"procedures": total, "online_share": share, "previous_share": previous}
    return Page(start, end, answers, kpis, charts, notes, to_act, facts)


def _year_before(
    data: Data, start: date, end: date, filters: dict[str, tuple[str, ...]]
) -> float | None:
    try:
        before = online_data.select(
            data, start.replace(year=start.year - 1), end.replace(year=end.year - 1), filters
        )
    except ValueError:  # 29 February
        return None
    return online_data.online_share(before)


def _share_sentence(total: int, share: float | None, previous: float | None) -> str:
    if not total or share is None:
        return _("No procedure is counted in the period.")
    text = _("%(share)s of the %(total)s procedures of the period were done online.") % {
        "share": pct(share),
        "total": num(total),
    }
    if previous is not None:
        text += " " + _("A year earlier: %(share)s.") % {"share": pct(previous)}
    return text


def _act_sentence(to_act: list[dict[str, Any]]) -> str:
    if not to_act:
        return _("Every procedure is now done online at least half of the time.")
    first = to_act[0]
    return _(
        "%(count)s procedures are still mostly done off-line; the first to act on is "
        "“%(procedure)s”: %(counter)s visits at the counter, %(share)s online."
    ) % {
        "count": len(to_act),
        "procedure": first["procedure"],
        "counter": first["counter"],
        "share": first["share"],
    }


def share_chart(table: pd.DataFrame) -> Chart:
    title = _("Share done online, by procedure")
    rows = (
        [
            [procedure_label(code), int(r["total"]), int(r["online"]), round(100 * r["share"], 1)]
            for code, r in table.sort_values("share", ascending=False).iterrows()
        ]
        if len(table)
        else []
    )
    values = [{"procedure": r[0], "share": r[3] / 100} for r in rows]
    spec = bar(
        title,
        values,
        x="share",
        y="procedure",
        x_title=_("Share online"),
        y_title=_("Procedure"),
        value_format=".0%",
    )
    return Chart(
        "part-en-ligne",
        title,
        _("The share of each procedure done online over the period, highest first."),
        [_("Procedure"), _("Procedures"), _("Online"), _("Share online (%)")],
        rows,
        spec,
        empty=not rows,
    )


def volume_chart(rows: pd.DataFrame) -> Chart:
    """Procedures per month and channel: slug `volume`."""
    title = _("Procedures per month, by channel")
    monthly = (
        rows.pivot_table(
            index="month", columns="channel", values="count", aggfunc="sum", fill_value=0
        )
        if len(rows)
        else pd.DataFrame()
    )
    channels = [c for c in online_data.CHANNELS if c in monthly]
    table = [[m, *(int(r[c]) for c in channels)] for m, r in monthly.iterrows()]
    values = [
        {"month": m + "-01", "channel": _(CHANNEL_LABELS[c]), "count": int(r[c])}
        for m, r in monthly.iterrows()
        for c in channels
    ]
    spec = base(
        title,
        values,
        mark={"type": "bar"},
        encoding={
            "x": {"field": "month", "type": "ordinal", "timeUnit": "yearmonth", "title": None},
            "y": {
                "field": "count",
                "type": "quantitative",
                "stack": True,
                "title": _("Procedures"),
            },
            "color": {"field": "channel", "type": "nominal", "title": _("Channel")},
            "tooltip": [
                {
                    "field": "month",
                    "type": "temporal",
                    "timeUnit": "yearmonth",
                    "title": _("Month"),
                },
                {"field": "channel", "title": _("Channel")},
                {
                    "field": "count",
                    "type": "quantitative",
                    "format": ",d",
                    "title": _("Procedures"),
                },
            ],
        },
    )
    return Chart(
        "volume",
        title,
        _("Procedures done each month through each channel: school enrolment peaks in spring."),
        [_("Month"), *(_(CHANNEL_LABELS[c]) for c in channels)],
        table,
        spec,
        empty=not values,
    )


def trend_chart(rows: pd.DataFrame) -> Chart:
    title = _("Share done online, month by month")
    table, values = [], []
    for month, part in rows.groupby("month") if len(rows) else []:
        share = online_data.online_share(part)
        if share is None:
            continue
        table.append([month, round(100 * share, 1)])
        values.append({"month": month + "-01", "share": share})
    spec = base(
        title,
        values,
        mark={"type": "line", "point": True, "color": PALETTE[0], "strokeWidth": 2.5},
        encoding={
            "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": None},
            "y": {
                "field": "share",
                "type": "quantitative",
                "title": _("Share online"),
                "axis": {"format": ".0%"},
            },
            "tooltip": [
                {
                    "field": "month",
                    "type": "temporal",
                    "timeUnit": "yearmonth",
                    "title": _("Month"),
                },
                {
                    "field": "share",
                    "type": "quantitative",
                    "format": ".1%",
                    "title": _("Share online"),
                },
            ],
        },
    )
    return Chart(
        "tendance",
        title,
        _("The share of procedures done online each month of the period."),
        [_("Month"), _("Share online (%)")],
        table,
        spec,
        empty=not values,
    )


def counter_chart(table: pd.DataFrame) -> Chart:
    title = _("Procedures still done at the counter")
    ordered = table.sort_values("counter", ascending=False) if len(table) else table
    rows = (
        [
            [
                procedure_label(code),
                int(r["counter"]),
                int(r["mail"] + r["phone"]),
                round(100 * r["share"], 1),
            ]
            for code, r in ordered.iterrows()
            if r["counter"] > 0
        ]
        if len(table)
        else []
    )
    values = [{"procedure": r[0], "counter": r[1]} for r in rows]
    spec = bar(
        title,
        values,
        x="counter",
        y="procedure",
        x_title=_("Visits at the counter"),
        y_title=_("Procedure"),
        color=ACCENT,
    )
    return Chart(
        "guichet",
        title,
        _(
            "Counter visits by procedure, most first: where putting the procedure online, or "
            "making it easier, would save the most visits."
        ),
        [_("Procedure"), _("At the counter"), _("By mail or phone"), _("Share online (%)")],
        rows,
        spec,
        empty=not rows,
    )
