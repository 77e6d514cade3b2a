# ruff: noqa: S608 - SQL is built from identifiers and literals quoted by ident() and lit()
"""The citizen-requests page as data: the four answers in plain French, key figures and charts.

No Django request here: `build` takes whose data, which filters and which period, and returns
what the template shows, what the exports download and what the tests check. The view caches
the result per table version, so a page is computed once per load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilotis.metrics.charts import ACCENT, MUTED, PALETTE, Chart, bar, base
from pilotis.requests import indicators
from pilotis.requests.data import VIEW, Database, Period, Scope, connect
from pilotis.requests.indicators import DAY, seconds

MONTHS = [
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# Time-to-close bands of the delay chart, in days: [low, high).
DELAY_BANDS = [(0, 1), (1, 2), (2, 5), (5, 10), (10, 30), (30, None)]
SHOWN_ROWS = 40


@dataclass
class Labels:
    """Readable names of the codes found in the data (themes, services, communes)."""

    categories: dict[str, str] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=dict)
    communes: dict[str, str] = field(default_factory=dict)
    populations: dict[str, int] = field(default_factory=dict)

    def category(self, code: str | None) -> str:
        return _("not categorised") if code is None else self.categories.get(code, code)

    def service(self, code: str | None) -> str:
        return _("no service") if code is None else self.services.get(code, code)

    def commune(self, code: str | None) -> str:
        return _("unknown commune") if code is None else self.communes.get(code, code)


@dataclass
class Kpi:
    label: str
    value: str
    note: str = ""


@dataclass
class Answer:
    question: str
    text: str


@dataclass
class Page:
    period: Period
    answers: list[Answer]
    kpis: list[Kpi]
    charts: list[Chart]
    notes: list[str]
    facts: dict[str, Any]  # the figures behind the sentences (tests, API)


# --- formatting ------------------------------------------------------------------------------


def num(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    # Django's number_format cuts the decimals off: round first (28.6 % reads 29 %).
    value = round(value, digits) if digits else int(round(value))
    return number_format(value, decimal_pos=digits, use_l10n=True, force_grouping=True)


def pct(ratio: float | None, digits: int = 0, signed: bool = False) -> str:
    if ratio is None:
        return "—"
    text = num(abs(ratio * 100) if signed else ratio * 100, digits)
    if signed:
        text = ("+" if ratio >= 0 else "−") + text
    return _("%(number)s %%") % {"number": text}


def days_text(value: float | None, longest: float | None = None) -> str:
    if value is None:
        if longest is not None:
            return _("more than %(days)s days") % {"days": num(longest)}
        return "—"
    digits = 1 if value < 10 else 0
    return ngettext("%(days)s day", "%(days)s days", math.ceil(value)) % {
        "days": num(value, digits)
    }


def month_names(months: list[int]) -> str:
    """ "May to July" for consecutive months, else "May, July"."""
    names = [_(MONTHS[m]).lower() for m in months]
    ordered = sorted(months)
    consecutive = all(b - a == 1 for a, b in zip(ordered, ordered[1:], strict=False))
    if len(months) >= 3 and consecutive:
        return _("%(first)s to %(last)s") % {
            "first": _(MONTHS[ordered[0]]).lower(),
            "last": _(MONTHS[ordered[-1]]).lower(),
        }
    return _(", ").join(names[:-1]) + (_(" and ") + names[-1] if len(names) > 1 else names[0])


# --- building the page -----------------------------------------------------------------------


def data_span(db: Database) -> tuple[date, date] | None:
    """First and last local day with a request, or None when the scope has none."""
    rows = db.rows(f"SELECT min(requested_datetime), max(requested_datetime) FROM {VIEW}")
    first, last = rows[0]
    if first is None:
        return None
    return indicators.aware(first).astimezone(indicators.PARIS).date(), indicators.aware(
        last
    ).astimezone(indicators.PARIS).date()


def default_period(span: tuple[date, date], today: date) -> Period:
    """The last twelve months of data: up to today, or up to the last request when the data
    stops earlier (an old export still reads as its own last year)."""
    end = min(today, span[1])
    return Period(max(span[0], end - timedelta(days=364)), end)


@dataclass
class Figures:
    """Every figure the page reads from the data, computed by `figures` (what the benchmark
    times on DuckDB and on PostgreSQL)."""

    trend: indicators.Trend
    backlog_age: indicators.BacklogAge
    close: indicators.Breakdown[indicators.CloseTime]
    on_time: indicators.Breakdown[indicators.OnTime]
    first: indicators.FirstResponse
    reopened: indicators.Reopened
    volume: indicators.Breakdown[indicators.Count]
    quality: indicators.DataQuality
    reference: Period
    rising: list[Any]
    profile: dict[str, Any]
    overall: Any
    peaks: list[Any]
    delays: dict[int, int]
    communes: indicators.Breakdown[indicators.Count]
    months: list[indicators.Point]


def figures(db: Database, period: Period, as_of: datetime, targets: dict[str, float]) -> Figures:
    from pilotis.requests import rising, seasonality

    reference = period.year_before() if period.days >= 300 else period.previous()
    return Figures(
        trend=indicators.trend(db, period).total,
        backlog_age=indicators.backlog_by_age(db, as_of).total,
        close=indicators.time_to_close(db, period, as_of, "category"),
        on_time=indicators.on_time(db, period, as_of, targets),
        first=indicators.first_response(db, period).total,
        reopened=indicators.reopened(db, period).total,
        volume=indicators.volume(db, period, "category"),
        quality=indicators.data_quality(db, period),
        reference=reference,
        rising=rising.rising_categories(db, period, reference),
        profile=seasonality.seasonal_profiles(db, end=period.end),
        overall=seasonality.decompose(db, end=period.end),
        peaks=seasonality.anomalies(db, end=period.end, since=period.start),
        delays=delay_bands(db, period, as_of),
        communes=indicators.volume(db, period, "commune_insee"),
        months=indicators.volume_series(db, period, "month"),
    )


def build(
    scope: Scope,
    labels: Labels,
    *,
    period: Period | None,
    as_of: datetime,
    targets: dict[str, float],
    topic_cache: Any = None,
) -> Page | None:
    db = connect(scope)
    try:
        span = data_span(db)
        if span is None:
            return None
        if period is None:
            period = default_period(span, as_of.astimezone(indicators.PARIS).date())
        return _build(db, scope, labels, period, as_of, targets, topic_cache)
    finally:
        db.con.close()


def _build(
    db: Database,
    scope: Scope,
    labels: Labels,
    period: Period,
    as_of: datetime,
    targets: dict[str, float],
    topic_cache: Any,
) -> Page:
    f = figures(db, period, as_of, targets)
    trend, backlog_age, close, on_time = f.trend, f.backlog_age, f.close, f.on_time
    first, reopened, volume, quality = f.first, f.reopened, f.volume, f.quality
    risen = [r for r in f.rising if r.significant]
    profile, overall, peaks, reference = f.profile, f.overall, f.peaks, f.reference
    facts: dict[str, Any] = {}
    model = topic_cache(db) if topic_cache else None
    facts.update(
        requests=trend.current,
        vs_previous=trend.vs_previous,
        vs_year_before=trend.vs_year_before,
        open_now=backlog_age.open,
        open_over_10d=backlog_age.over_10d,
        median_days=close.total.median_days,
        p90_days=close.total.p90_days,
        on_time_rate=on_time.total.rate,
        first_response_days=first.median_days,
        reopened_share=reopened.share,
        flagged=quality.flagged,
    )

    answers = [
        Answer(_("How many requests?"), _volume_sentence(period, trend, backlog_age)),
        Answer(
            _("How are they handled, and how fast?"),
            _speed_sentence(close.total, on_time.total, first),
        ),
        Answer(_("What are people unhappy about?"), _subjects_sentence(volume, risen, labels)),
        Answer(_("Are there seasons?"), _seasons_sentence(profile, peaks, labels)),
    ]
    kpis = [
        Kpi(_("Requests"), num(trend.current), _trend_note(trend)),
        Kpi(
            _("Open now"),
            num(backlog_age.open),
            _("%(count)s for more than 10 days") % {"count": num(backlog_age.over_10d)},
        ),
        Kpi(
            _("Median time to close"),
            days_text(close.total.median_days, close.total.longest_days),
            _("90 %% within %(days)s")
            % {"days": days_text(close.total.p90_days, close.total.longest_days)},
        ),
        Kpi(_("Handled on time"), pct(on_time.total.rate), _on_time_note(on_time.total)),
        Kpi(
            _("First response"),
            days_text(first.median_days),
            _("known for %(share)s of requests") % {"share": pct(first.share_known)},
        ),
        Kpi(
            _("Reopened"),
            pct(reopened.share, 1),
            _("of the requests whose source records it"),
        ),
    ]
    charts = [
        _volume_chart(f.months, overall),
        _delay_chart(f.delays),
        _close_by_category_chart(close, labels),
        _subjects_chart(volume, labels),
        _rising_chart(f.rising, labels, reference),
        _seasons_chart(profile, labels),
        _anomalies_chart(peaks),
        _map_chart(f.communes, labels),
    ]
    if model is not None:
        charts.append(_topics_chart(model, labels))
    notes = _notes(quality, model, targets)
    return Page(period, answers, kpis, [c for c in charts if c is not None], notes, facts)


# --- the four answers -------------------------------------------------------------------------


def _trend_note(trend: indicators.Trend) -> str:
    if trend.vs_year_before is not None:
        return _("%(change)s on a year") % {"change": pct(trend.vs_year_before, signed=True)}
    if trend.vs_previous is not None:
        return _("%(change)s on the previous period") % {
            "change": pct(trend.vs_previous, signed=True)
        }
    return ""


def _volume_sentence(period: Period, trend: indicators.Trend, age: indicators.BacklogAge) -> str:
    changes = []
    if trend.vs_year_before is not None:
        changes.append(
            _("%(change)s on a year") % {"change": pct(trend.vs_year_before, signed=True)}
        )
    if trend.vs_previous is not None:
        changes.append(
            _("%(change)s on the previous period") % {"change": pct(trend.vs_previous, signed=True)}
        )
    text = ngettext(
        "%(count)s request from %(start)s to %(end)s",
        "%(count)s requests from %(start)s to %(end)s",
        trend.current,
    ) % {
        "count": num(trend.current),
        "start": _date(period.start),
        "end": _date(period.end),
    }
    if changes:
        text += " (" + _(", ").join(changes) + ")"
    text += ". " + ngettext(
        "%(open)s is open today, ",
        "%(open)s are open today, ",
        age.open,
    ) % {"open": num(age.open)}
    text += ngettext(
        "%(old)s of them for more than 10 days.",
        "%(old)s of them for more than 10 days.",
        age.over_10d,
    ) % {"old": num(age.over_10d)}
    return text


def _date(day: date) -> str:
    from django.utils.formats import date_format

    return date_format(day, "j F Y")


def _on_time_note(on_time: indicators.OnTime) -> str:
    return _("%(late)s closed late, %(overdue)s open past their target") % {
        "late": num(on_time.closed_late),
        "overdue": num(on_time.open_overdue),
    }


def _speed_sentence(
    close: indicators.CloseTime, on_time: indicators.OnTime, first: indicators.FirstResponse
) -> str:
    if close.requests == 0:
        return _("No request was made in this period.")
    text = _("Half of the requests are closed within %(median)s, nine in ten within %(p90)s") % {
        "median": days_text(close.median_days, close.longest_days),
        "p90": days_text(close.p90_days, close.longest_days),
    }
    text += " " + _("(counting the %(open)s still open).") % {"open": num(close.still_open)}
    if on_time.rate is not None:
        text += " " + _("%(rate)s are handled within their target.") % {"rate": pct(on_time.rate)}
    if first.known and first.median_days is not None:
        text += " " + _("The first answer comes after %(days)s (median, where it is known).") % {
            "days": days_text(first.median_days)
        }
    return text


def _subjects_sentence(
    volume: indicators.Breakdown[indicators.Count], risen: list[Any], labels: Labels
) -> str:
    top = sorted((g for g in volume.groups if g.key is not None), key=lambda g: -g.requests)[:3]
    if not top:
        return _("The requests of this period carry no category.")
    parts = [
        _("%(category)s (%(share)s)") % {"category": labels.category(g.key), "share": pct(g.share)}
        for g in top
    ]
    text = _("First subjects: %(list)s.") % {"list": _(", ").join(parts)}
    if risen:
        rises = [
            _("%(category)s (%(change)s)")
            % {"category": labels.category(r.key), "change": pct(_relative(r), signed=True)}
            for r in risen[:3]
        ]
        text += " " + _("Rising significantly: %(list)s.") % {"list": _(", ").join(rises)}
    else:
        text += " " + _("No subject rises significantly.")
    return text


def _relative(rise: Any) -> float | None:
    """A rise as a relative change (+0.45 for +45 %), None when nothing was expected."""
    return None if rise.ratio is None else rise.ratio - 1


def _seasons_sentence(profile: dict[str, Any], peaks: list[Any], labels: Labels) -> str:
    seasonal = sorted(
        (
            (code, s)
            for code, s in profile.items()
            # Peak months are only named for a season the F-test finds real.
            if s is not None
            and s.significant
            and s.peak_months
            and s.amplitude_pct is not None
            and s.amplitude_pct >= 15
        ),
        key=lambda item: -item[1].amplitude_pct,
    )[:2]
    if not profile:
        return _("Seasons need at least two years of requests: not enough history yet.")
    parts = [
        _("“%(category)s” requests peak from %(months)s (%(amplitude)s above average)")
        % {
            "category": labels.category(code),
            "months": month_names(s.peak_months),
            "amplitude": pct(s.amplitude_pct / 100, signed=True),
        }
        for code, s in seasonal
    ]
    text = (
        (_("; ").join(parts) + ".")
        if parts
        else _(
            "No category shows a marked season (15 %% above average or more, and too regular "
            "to be chance)."
        )
    )
    if peaks:
        worst = max(peaks, key=lambda a: a.observed / max(a.expected, 1))
        text += " " + _(
            "Exceptional week: %(week)s, %(observed)s requests for about %(expected)s expected."
        ) % {
            "week": _date(date.fromisoformat(str(worst.week_start))),
            "observed": num(worst.observed),
            "expected": num(worst.expected),
        }
    return text


# --- charts ----------------------------------------------------------------------------------


def _volume_chart(series: list[indicators.Point], overall: Any) -> Chart:
    title = _("Requests per month, and the expected seasonal level")
    rows: list[list[Any]]
    if overall is None:
        rows = [[p.bucket[:7], p.value, None, None] for p in series]
    else:
        rows = [
            [m[:7], int(o), round(float(t), 1), round(float(t) + float(s), 1)]
            for m, o, t, s in zip(
                overall.months, overall.observed, overall.trend, overall.seasonal, strict=True
            )
        ]
    data = [
        {"month": r[0] + "-01", "requests": r[1], "trend": r[2], "expected": r[3]} for r in rows
    ]
    requests_title, trend_title, expected_title = (
        _("Requests"),
        _("Trend"),
        _("Trend and season"),
    )
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "bar", "color": PALETTE[0], "opacity": 0.85},
            "encoding": {
                "x": {
                    "field": "month",
                    "type": "temporal",
                    "timeUnit": "yearmonth",
                    "title": _("Month"),
                },
                "y": {"field": "requests", "type": "quantitative", "title": requests_title},
                "tooltip": [
                    {
                        "field": "month",
                        "type": "temporal",
                        "timeUnit": "yearmonth",
                        "title": _("Month"),
                    },
                    {"field": "requests", "type": "quantitative", "title": requests_title},
                    {"field": "expected", "type": "quantitative", "title": expected_title},
                ],
            },
        }
    ]
    if overall is not None:
        for field_name, colour, dash, label in (
            ("expected", PALETTE[1], [], expected_title),
            ("trend", MUTED, [6, 4], trend_title),
        ):
            layers.append(
                {
                    "mark": {
                        "type": "line",
                        "color": colour,
                        "strokeDash": dash,
                        "strokeWidth": 2.5,
                    },
                    "encoding": {
                        "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth"},
                        "y": {"field": field_name, "type": "quantitative"},
                    },
                    "name": label,
                }
            )
    summary = (
        _(
            "Bars: requests made each month over the last years; orange line: the level "
            "expected from the trend (dashed grey) and the usual season."
        )
        if overall is not None
        else _("Requests made each month of the period.")
    )
    return Chart(
        "volume",
        title,
        summary,
        [_("Month"), requests_title, trend_title, expected_title],
        rows,
        base(title, data, layer=layers),
        empty=not rows,
    )


def delay_bands(db: Database, period: Period, as_of: datetime) -> dict[int, int]:
    """Requests of the period closed within each of DELAY_BANDS (index), or still open (-1)."""
    duration = f"({seconds(db, 'closed_datetime')} - {seconds(db, 'requested_datetime')}) / {DAY}"
    cut = indicators.instant(indicators.cut_off(period, as_of))
    cases = " ".join(
        f"WHEN {duration} < {high} THEN {i}" if high is not None else f"ELSE {i}"
        for i, (_low, high) in enumerate(DELAY_BANDS)
    )
    rows_sql = db.rows(
        f"""SELECT CASE WHEN closed_datetime IS NULL OR closed_datetime > {cut} THEN -1
                        ELSE CASE {cases} END END AS band, count(*)
            FROM {VIEW} WHERE {period.sql()} AND {indicators.delays_sql()}
              AND (closed_datetime IS NULL OR closed_datetime >= requested_datetime)
            GROUP BY band"""
    )
    return {int(b): int(n) for b, n in rows_sql}


def _delay_chart(counts: dict[int, int]) -> Chart:
    """How long the requests of the period took: closed within each band, or still open."""
    labels = []
    for low, high in DELAY_BANDS:
        if high is None:
            labels.append(_("more than %(low)s days") % {"low": low})
        elif low == 0:
            labels.append(_("under 1 day"))
        else:
            labels.append(_("%(low)s to %(high)s days") % {"low": low, "high": high})
    labels.append(_("still open"))
    order = list(range(len(DELAY_BANDS))) + [-1]
    total = sum(counts.values()) or 1
    rows = [
        [labels[i], counts.get(band, 0), round(counts.get(band, 0) / total * 100, 1)]
        for i, band in enumerate(order)
    ]
    title = _("Time to close the requests of the period")
    data = [
        {"band": r[0], "requests": r[1], "open": i == len(order) - 1} for i, r in enumerate(rows)
    ]
    spec = bar(
        title,
        data,
        x="band",
        y="requests",
        x_title=_("Closed within"),
        y_title=_("Requests"),
        horizontal=False,
    )
    spec["encoding"]["color"] = {
        "field": "open",
        "type": "nominal",
        "legend": None,
        "scale": {"domain": [False, True], "range": [PALETTE[0], ACCENT]},
    }
    spec.pop("mark")
    spec["mark"] = {"type": "bar"}
    return Chart(
        "delais",
        title,
        _(
            "How many requests of the period were closed within each delay, and how many are "
            "still open (in red)."
        ),
        [_("Closed within"), _("Requests"), _("Share (%)")],
        rows,
        spec,
        empty=sum(counts.values()) == 0,
    )


def _close_by_category_chart(
    close: indicators.Breakdown[indicators.CloseTime], labels: Labels
) -> Chart:
    groups = sorted(
        (g for g in close.groups if g.requests >= 5),
        key=lambda g: -(g.median_days if g.median_days is not None else math.inf),
    )
    rows = [
        [
            labels.category(g.key),
            None if g.median_days is None else round(g.median_days, 1),
            None if g.p90_days is None else round(g.p90_days, 1),
            g.requests,
            g.still_open,
        ]
        for g in groups
    ]
    title = _("Median time to close by category")
    data = [{"category": r[0], "median": r[1], "p90": r[2]} for r in rows if r[1] is not None]
    spec = bar(
        title,
        data,
        x="median",
        y="category",
        x_title=_("Median (days)"),
        y_title=_("Category"),
        value_format=",.1f",
    )
    return Chart(
        "delais-categories",
        title,
        _(
            "Days within which half of each category's requests are closed (Kaplan–Meier, "
            "counting those still open); slowest first."
        ),
        [
            _("Category"),
            _("Median (days)"),
            _("90 %% within (days)"),
            _("Requests"),
            _("Still open"),
        ],
        rows,
        spec,
        empty=not data,
    )


def _subjects_chart(volume: indicators.Breakdown[indicators.Count], labels: Labels) -> Chart:
    groups = sorted(volume.groups, key=lambda g: -g.requests)
    rows = [[labels.category(g.key), g.requests, round((g.share or 0) * 100, 1)] for g in groups]
    title = _("What the requests are about")
    data = [{"category": r[0], "requests": r[1]} for r in rows]
    return Chart(
        "sujets",
        title,
        _("Requests of the period by category, most frequent first."),
        [_("Category"), _("Requests"), _("Share (%)")],
        rows,
        bar(title, data, x="requests", y="category", x_title=_("Requests"), y_title=_("Category")),
        empty=not rows,
    )


def _map_chart(communes: indicators.Breakdown[indicators.Count], labels: Labels) -> Chart | None:
    """Requests per 1,000 inhabitants by commune, on the communes' outlines (offline)."""
    from pilotis.referential.geo import outlines

    counts = {g.key: g.requests for g in communes.groups if g.key}
    if not counts:
        return None
    rows = []
    for code, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        population = labels.populations.get(code)
        rate = round(n / population * 1000, 1) if population else None
        rows.append([labels.commune(code), code, n, population, rate])
    title = _("Requests per 1,000 inhabitants, by commune")
    summary = _(
        "Requests of the period per 1,000 inhabitants of each commune: the darker, the "
        "more requests for its size."
    )
    columns = [
        _("Commune"),
        _("INSEE code"),
        _("Requests"),
        _("Population"),
        _("Per 1,000 inhabitants"),
    ]
    shapes = outlines(sorted(set(labels.communes) | set(counts)))
    if shapes is None or len(counts) < 2:
        data = [{"commune": r[0], "requests": r[2]} for r in rows]
        spec = bar(
            title, data, x="requests", y="commune", x_title=_("Requests"), y_title=_("Commune")
        )
        return Chart(
            "communes",
            _("Requests by commune"),
            _("Requests of the period in each commune, most first."),
            columns,
            rows,
            spec,
        )
    by_code = {r[1]: r for r in rows}
    features = []
    for feature in shapes["features"]:
        code = feature["properties"]["code"]
        row = by_code.get(code)
        features.append(
            {
                "type": "Feature",
                "geometry": feature["geometry"],
                "properties": {
                    "name": labels.commune(code),
                    "requests": row[2] if row else 0,
                    "rate": row[4] if row else None,
                },
            }
        )
    measure = "rate" if any(r[4] is not None for r in rows) else "requests"
    legend = _("Per 1,000 inhabitants") if measure == "rate" else _("Requests")
    if measure == "requests":
        title = _("Requests by commune")
        summary = _("Requests of the period in each commune: the darker, the more requests.")
    spec = base(
        title,
        features,
        height=420,
        projection={"type": "mercator"},
        mark={"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.8},
        encoding={
            "color": {
                "field": f"properties.{measure}",
                "type": "quantitative",
                "title": legend,
                "scale": {"scheme": "blues"},
            },
            "tooltip": [
                {"field": "properties.name", "type": "nominal", "title": _("Commune")},
                {
                    "field": "properties.requests",
                    "type": "quantitative",
                    "title": _("Requests"),
                    "format": ",d",
                },
                {
                    "field": "properties.rate",
                    "type": "quantitative",
                    "title": _("Per 1,000 inhabitants"),
                    "format": ",.1f",
                },
            ],
        },
    )
    return Chart("communes", title, summary, columns, rows, spec)


def _topics_chart(model: Any, labels: Labels) -> Chart:
    report = model.report
    rows = [
        [
            labels.category(cls),
            ", ".join(report.key_terms.get(cls, [])[:8]),
            round(report.per_class[cls].precision * 100),
            round(report.per_class[cls].recall * 100),
            report.per_class[cls].support,
        ]
        for cls in report.classes
        if cls in report.per_class
    ]
    title = _("Key terms of each subject, as the classifier learnt them")
    data = [{"category": r[0], "recall": r[3]} for r in rows]
    spec = bar(
        title,
        data,
        x="recall",
        y="category",
        x_title=_("Requests of the subject recognised (%)"),
        y_title=_("Category"),
        color=PALETTE[2],
    )
    summary = _(
        "A text classifier trained on this collectivité's categorised requests recognises the "
        "subject of %(accuracy)s of the requests it had not seen (%(tested)s held-out requests). "
        "It sorts the requests arriving without category."
    ) % {"accuracy": pct(report.accuracy), "tested": num(report.n_test)}
    return Chart(
        "termes",
        title,
        summary,
        [
            _("Category"),
            _("Key terms"),
            _("Precision (%)"),
            _("Recall (%)"),
            _("Held-out requests"),
        ],
        rows,
        spec,
    )


def _notes(quality: indicators.DataQuality, model: Any, targets: dict[str, float]) -> list[str]:
    notes = [
        _(
            "A request belongs to the period in which it was made. Times to close are estimated by "
            "the Kaplan–Meier method, which counts the requests still open instead of ignoring "
            "them (ignoring them would make the service look faster than it is)."
        ),
        _(
            "On time: closed within the target of its category (set per theme in “Services and "
            "themes”; %(default)s days when none is set), out of the requests closed plus those "
            "still open past their target."
        )
        % {"default": num(indicators.DEFAULT_TARGET_DAYS)},
    ]
    if quality.excluded_from_delays:
        notes.append(
            ngettext(
                "%(count)s request is counted in volumes but left out of delays: its dates are "
                "inconsistent (closed before it was made, or closed within a minute).",
                "%(count)s requests are counted in volumes but left out of delays: their dates "
                "are inconsistent (closed before they were made, or closed within a minute).",
                quality.excluded_from_delays,
            )
            % {"count": num(quality.excluded_from_delays)}
        )
    return notes


def _rising_chart(rises: list[Any], labels: Labels, reference: Period) -> Chart:
    """Change of each category against the reference period; significant rises stand out."""
    rows = [
        [
            labels.category(r.key),
            r.current,
            r.reference,
            None if _relative(r) is None else round((_relative(r) or 0) * 100, 1),
            round(r.q_value, 4),
            _("yes") if r.significant else _("no"),
        ]
        for r in sorted(rises, key=lambda r: -(r.ratio if r.ratio is not None else -math.inf))
    ]
    title = _("What is rising")
    data = [
        {"category": r[0], "change": r[3], "significant": r[5]} for r in rows if r[3] is not None
    ]
    spec = bar(
        title,
        data,
        x="change",
        y="category",
        x_title=_("Change (%)"),
        y_title=_("Category"),
        value_format=",.0f",
    )
    spec.pop("mark")
    spec["mark"] = {"type": "bar"}
    spec["encoding"]["color"] = {
        "field": "significant",
        "type": "nominal",
        "title": _("Significant rise"),
        "scale": {"domain": [_("yes"), _("no")], "range": [ACCENT, "#9e9e9e"]},
    }
    summary = _(
        "Change of each category against %(start)s – %(end)s. In red, the rises too large to be "
        "chance (binomial test, Benjamini–Hochberg correction, at least +20 %%)."
    ) % {"start": _date(reference.start), "end": _date(reference.end)}
    return Chart(
        "hausses",
        title,
        summary,
        [
            _("Category"),
            _("Requests"),
            _("Reference"),
            _("Change (%)"),
            _("q-value"),
            _("Significant"),
        ],
        rows,
        spec,
        empty=not data,
    )


def _seasons_chart(profile: dict[str, Any], labels: Labels) -> Chart:
    """Seasonal index of each category by month (STL over at least two years)."""
    rows = []
    data = []
    for code, s in sorted(profile.items(), key=lambda kv: labels.category(kv[0])):
        if s is None:
            continue
        index = s.monthly_index_pct  # January … December: % above or below the level
        rows.append([labels.category(code)] + [round(index[m - 1], 1) for m in range(1, 13)])
        for m in range(1, 13):
            data.append(
                {
                    "category": labels.category(code),
                    "month": _(MONTHS[m])[:4] + ".",
                    "order": m,
                    "index": round(index[m - 1], 1),
                }
            )
    title = _("Seasons of each subject")
    spec = base(
        title,
        data,
        height=max(120, 28 * len(rows)),
        mark={"type": "rect"},
        encoding={
            "x": {
                "field": "month",
                "type": "ordinal",
                "sort": {"field": "order"},
                "title": _("Month"),
            },
            "y": {"field": "category", "type": "nominal", "title": _("Category")},
            "color": {
                "field": "index",
                "type": "quantitative",
                "title": _("% above or below the usual level"),
                "scale": {"scheme": "redblue", "reverse": True, "domainMid": 0},
            },
            "tooltip": [
                {"field": "category", "type": "nominal", "title": _("Category")},
                {"field": "month", "type": "ordinal", "title": _("Month")},
                {
                    "field": "index",
                    "type": "quantitative",
                    "format": "+,.0f",
                    "title": _("% above or below the usual level"),
                },
            ],
        },
    )
    return Chart(
        "saisons",
        title,
        _(
            "For each subject, how much more (red) or less (blue) it is asked each month than "
            "its usual level, from a seasonal decomposition (STL) of at least two years."
        ),
        [_("Category")] + [_(MONTHS[m]) for m in range(1, 13)],
        rows,
        spec,
        empty=not rows,
    )


def _anomalies_chart(weeks: list[Any]) -> Chart:
    rows = [
        [_date(date.fromisoformat(str(a.week_start))), a.observed, round(a.expected), round(a.z, 1)]
        for a in weeks
    ]
    title = _("Exceptional weeks")
    data = [
        {"week": str(a.week_start), "observed": a.observed, "expected": round(a.expected)}
        for a in weeks
    ]
    spec = base(
        title,
        data,
        layer=[
            {
                "mark": {"type": "bar", "color": ACCENT},
                "encoding": {
                    "x": {"field": "week", "type": "ordinal", "title": _("Week of")},
                    "y": {"field": "observed", "type": "quantitative", "title": _("Requests")},
                },
            },
            {
                "mark": {"type": "tick", "color": "#1e1e1e", "thickness": 3},
                "encoding": {
                    "x": {"field": "week", "type": "ordinal"},
                    "y": {"field": "expected", "type": "quantitative"},
                },
            },
        ],
    )
    return Chart(
        "semaines",
        title,
        _(
            "Weeks with far more requests than expected from the trend and the season (red bars; "
            "the black tick marks the expected level)."
        ),
        [_("Week of"), _("Requests"), _("Expected"), _("Robust z-score")],
        rows,
        spec,
        empty=not rows,
    )
