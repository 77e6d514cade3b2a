"""The finance page as data: plain-French answers (where does the money go, are we executing
the budget, how do we compare), key figures, charts with their tables, and notes. No request
here: views call `build` with a scope's data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilotis.finance import data as finance_data
from pilotis.finance import indicators as ind
from pilotis.finance import nomenclature as nom
from pilotis.metrics.charts import PALETTE, Chart, bar, base
from pilotis.requests.page import Answer, Kpi, num, pct

CHART_SLUGS = ("sections", "chapitres", "comparaison", "fonctions", "annees", "membres")
# The ratios set against the peers: (aggregate in finance_peers, label, figure of a frame).
PEER_RATIOS = (
    ("staff_costs", gettext_lazy("Staff costs"), ind.staff_costs),
    ("real_operating_expenses", gettext_lazy("Real operating expenses"), ind.operating_expenses),
    ("equipment_spending", gettext_lazy("Equipment spending"), ind.equipment),
)


def euros(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 1_000_000:
        return _("%(amount)s M€") % {"amount": num(value / 1_000_000, 1)}
    return _("%(amount)s €") % {"amount": num(value)}


@dataclass
class Page:
    period: ind.Period
    exercise: int
    partial: bool  # the exercise is not closed: figures to date
    answers: list[Answer]
    kpis: list[Kpi]
    charts: list[Chart]
    notes: list[str]
    facts: dict[str, Any] = field(default_factory=dict)


def exercises(data: finance_data.Data) -> list[int]:
    """The exercises with execution (final accounts, balance or monthly), latest first."""
    if data.lines.empty:
        return []
    executed = data.lines[data.lines["stage"].isin(["CA", "BAL", "EXEC"])]
    return sorted({int(y) for y in executed["exercise"]}, reverse=True)


def default_period(data: finance_data.Data, exercise: int | None = None) -> ind.Period | None:
    years = exercises(data)
    if not years:
        return None
    year = exercise if exercise in years else years[0]
    latest = finance_data.latest_day(data)
    end = date(year, 12, 31)
    if latest is not None and latest.year == year:
        end = latest
    return ind.Period(date(year, 1, 1), end)


def build(
    data: finance_data.Data, exercise: int | None = None, tenant_code: str = ""
) -> Page | None:
    own = _own(data, tenant_code)
    period = default_period(own, exercise)
    if period is None:
        return None
    frame = ind.executed_lines(own, period)
    partial = period.end != date(period.end.year, 12, 31)
    peers = peer_comparison(own, period, tenant_code)
    facts = _facts(own, frame, period)
    answers = [
        Answer(_("Where does the money go?"), _where_sentence(frame, facts)),
        Answer(_("Are we executing the budget?"), _execution_sentence(frame, facts, partial)),
        Answer(_("How do we compare?"), _compare_sentence(peers)),
    ]
    charts = [
        _sections_chart(frame),
        _chapters_chart(frame),
        _peers_chart(peers),
        _functions_chart(own),
        _years_chart(own),
        _members_chart(data, period, tenant_code),
    ]
    return Page(
        period,
        period.end.year,
        partial,
        answers,
        _kpis(facts),
        [c for c in charts if c is not None],
        _notes(own, partial),
        facts,
    )


def _own(data: finance_data.Data, code: str) -> finance_data.Data:
    """The tenant's own budget (an intercommunality's members are compared, not added)."""
    if not code or len(data.codes) == 1:
        return data
    lines = data.lines[data.lines["tenant"] == code] if len(data.lines) else data.lines
    balances = (
        data.balances[data.balances["tenant"] == code] if len(data.balances) else data.balances
    )
    population = data.populations.get(code) if data.populations else None
    return finance_data.Data(
        (code,), lines, balances, data.peers, population or finance_data.scope_population((code,))
    )


def _facts(data: finance_data.Data, frame: pd.DataFrame, period: ind.Period) -> dict[str, Any]:
    debt = ind.debt(data, period.end)
    expenses = ind._sum(ind.operating_expenses(frame))
    revenue = ind._sum(ind.operating_revenue(frame))
    staff = ind._sum(ind.staff_costs(frame))
    return {
        "expenses": expenses,
        "revenue": revenue,
        "staff": staff,
        "staff_share": staff / expenses if staff is not None and expenses else None,
        "equipment": ind._sum(ind.equipment(frame)),
        "savings": ind.gross_savings(frame),
        "savings_rate": ind.savings_rate(frame),
        "execution_rate": ind.execution_rate(frame),
        "execution_operating": ind.execution_rate(frame[frame["section"] == "F"])
        if len(frame)
        else None,
        "execution_investment": ind.execution_rate(frame[frame["section"] == "I"])
        if len(frame)
        else None,
        "debt": None if debt is None else debt[1],
        "debt_exercise": None if debt is None else debt[0],
        "debt_years": ind.debt_years(data, period.end),
        "population": data.population,
    }


def _kpis(f: dict[str, Any]) -> list[Kpi]:
    pop = f["population"]
    kpis = [
        Kpi(_("Real operating expenses"), euros(f["expenses"]), _per_inh(f["expenses"], pop)),
        Kpi(_("Real operating revenue"), euros(f["revenue"]), _per_inh(f["revenue"], pop)),
        Kpi(
            _("Gross savings"),
            euros(f["savings"]),
            _("%(rate)s of operating revenue") % {"rate": pct(f["savings_rate"], 1)}
            if f["savings_rate"] is not None
            else "",
        ),
        Kpi(
            _("Execution rate of expenses"),
            pct(f["execution_rate"], 1),
            _("operating %(f)s, investment %(i)s")
            % {"f": pct(f["execution_operating"]), "i": pct(f["execution_investment"])},
        ),
        Kpi(_("Equipment spending"), euros(f["equipment"]), _per_inh(f["equipment"], pop)),
        Kpi(
            _("Outstanding debt"),
            euros(f["debt"]),
            _("at 31 December %(year)s, %(per)s")
            % {"year": f["debt_exercise"], "per": _per_inh(f["debt"], pop)}
            if f["debt"] is not None
            else "",
        ),
        Kpi(
            _("Debt repayment capacity"),
            _("%(years)s years") % {"years": num(f["debt_years"], 1)}
            if f["debt_years"] is not None
            else "—",
            _("alert threshold: 12 years"),
        ),
    ]
    return [k for k in kpis if k.value != "—"]


def _per_inh(value: float | None, population: int | None) -> str:
    per = ind.per_inhabitant(value, population)
    if per is None:
        return ""
    return _("%(amount)s € per inhabitant") % {"amount": num(per)}


def _heading_label(code: str | None) -> str:
    if code is None or code == "?":
        return _("function not given")
    return nom.m57_labels().get(code, code)


def _where_sentence(frame: pd.DataFrame, f: dict[str, Any]) -> str:
    headings = ind.by_heading(frame).sort_values("executed", ascending=False)
    headings = headings[headings["heading"] != "?"]
    total = float(headings["executed"].sum()) if len(headings) else 0.0
    parts = []
    if f["staff_share"] is not None:
        parts.append(
            _("Staff costs take %(share)s of operating expenses (%(amount)s).")
            % {"share": pct(f["staff_share"]), "amount": euros(f["staff"])}
        )
    if total > 0:
        top = [
            _("%(label)s (%(share)s)")
            % {"label": _heading_label(r.heading), "share": pct(r.executed / total)}
            for r in headings.head(3).itertuples()
        ]
        parts.append(
            _("By function, real spending goes first to %(list)s.") % {"list": ", ".join(top)}
        )
    if f["equipment"] is not None:
        parts.append(
            _("Equipment spending reaches %(amount)s.") % {"amount": euros(f["equipment"])}
        )
    return " ".join(parts) or _("The data loaded does not break spending down yet.")


def _execution_sentence(frame: pd.DataFrame, f: dict[str, Any], partial: bool) -> str:
    if f["execution_rate"] is None:
        return _(
            "No credits opened are known for this period: the execution rate cannot be computed."
        )
    text = _(
        "%(rate)s of the credits opened for expenses have been paid: %(f)s in operating, %(i)s in "
        "investment."
    ) % {
        "rate": pct(f["execution_rate"]),
        "f": pct(f["execution_operating"]),
        "i": pct(f["execution_investment"]),
    }
    if partial:
        text += " " + _("The exercise is not closed: these are the figures to date.")
    elif f["execution_investment"] is not None and f["execution_investment"] < 0.6:
        text += " " + _(
            "Investment is executed well below what was voted: projects slip or were over-budgeted."
        )
    return text


def peer_comparison(data: finance_data.Data, period: ind.Period, code: str) -> list[dict[str, Any]]:
    """The tenant's per-inhabitant ratios beside the peers of its kind and population band, for
    the exercise of the period (the peers' latest year on or before it)."""
    kind = finance_data.authority_kind(code) if code else None
    peers = data.peers
    if kind is None or peers.empty or not data.population:
        return []
    band = finance_data.band(kind, data.population)
    peers = peers[(peers["kind"] == kind) & (peers["band"] == band)]
    year = period.end.year
    peers = peers[peers["year"].astype(int) <= year]
    if peers.empty:
        return []
    peer_year = int(peers["year"].max())
    peers = peers[peers["year"].astype(int) == peer_year].set_index("aggregate")
    whole = ind.Period(date(period.end.year, 1, 1), date(period.end.year, 12, 31))
    if period.end != whole.end:  # an exercise in progress: compare the last closed one
        whole = ind.Period(date(year - 1, 1, 1), date(year - 1, 12, 31))
    frame = ind.executed_lines(data, whole)
    rows = []
    for aggregate, label, select in PEER_RATIOS:
        ours = ind.per_inhabitant(ind._sum(select(frame)) if len(frame) else None, data.population)
        theirs = peers["euros_per_inhabitant"].get(aggregate)
        if ours is not None and theirs is not None:
            rows.append(
                {"aggregate": aggregate, "label": str(label), "ours": ours, "peers": float(theirs)}
            )
    debt = ind.debt(data, whole.end)
    if debt is not None and "outstanding_debt" in peers.index:
        rows.append(
            {
                "aggregate": "outstanding_debt",
                "label": _("Outstanding debt"),
                "ours": debt[1] / data.population,
                "peers": float(peers["euros_per_inhabitant"]["outstanding_debt"]),
            }
        )
    for row in rows:
        row.update(year=whole.end.year, peer_year=peer_year, kind=kind, band=band)
        row["authorities"] = peers["authorities"].get(row["aggregate"])
    return rows


def _compare_sentence(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return _(
            "No comparison yet: load the per-inhabitant aggregates of comparable authorities "
            "(OFGL-style reference) and make sure the population is known."
        )
    first = rows[0]
    parts = [
        _("Against authorities of the same kind with %(band)s inhabitants (%(year)s):")
        % {"band": first["band"].replace("-", "–"), "year": first["peer_year"]}
    ]
    for row in rows:
        gap = row["ours"] / row["peers"] - 1 if row["peers"] else None
        word = _("above") if gap is not None and gap > 0 else _("below")
        parts.append(
            _("%(label)s %(ours)s € per inhabitant, %(gap)s %(word)s them (%(peers)s €);")
            % {
                "label": row["label"],
                "ours": num(row["ours"]),
                "gap": pct(abs(gap) if gap is not None else None),
                "word": word,
                "peers": num(row["peers"]),
            }
        )
    return " ".join(parts).rstrip(";") + "."


# --- Charts ---------------------------------------------------------------------------------


def _direction_label(direction: str) -> str:
    return _("expenses") if direction == "D" else _("revenue")


def _section_label(section: str) -> str:
    return _("Operating") if section == "F" else _("Investment")


def _rate(executed: float | None, budgeted: float | None) -> float | None:
    if executed is None or not budgeted or pd.isna(executed) or pd.isna(budgeted):
        return None
    return round(100 * float(executed) / float(budgeted), 1)


def _sections_chart(frame: pd.DataFrame) -> Chart | None:
    real = frame[frame["is_real"]] if len(frame) else frame
    if real.empty:
        return None
    grouped = real.groupby(["section", "direction"])[["budgeted", "committed", "executed"]].sum(
        min_count=1
    )
    rows = []
    for (section, direction), r in grouped.iterrows():
        rows.append(
            [
                f"{_section_label(section)} — {_direction_label(direction)}",
                _round(r["budgeted"]),
                _round(r["committed"]),
                _round(r["executed"]),
                _rate(r["executed"], r["budgeted"]),
            ]
        )
    rows = [[r[0], *[None if v is None else float(v) for v in r[1:]]] for r in rows]
    title = _("Execution by section")
    values = [{"part": r[0], "rate": r[4]} for r in rows if r[4] is not None]
    spec = bar(
        title,
        values,
        x="rate",
        y="part",
        x_title=_("Executed (% of credits)"),
        y_title=_("Section"),
        value_format=",.1f",
    )
    return Chart(
        "sections",
        title,
        _(
            "Share of the credits opened that was executed, for each section and direction "
            "(real operations)."
        ),
        [
            _("Section"),
            _("Credits opened (€)"),
            _("Committed (€)"),
            _("Executed (€)"),
            _("Executed (%)"),
        ],
        rows,
        spec,
        empty=not values,
    )


def _round(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 2)


def _chapters_chart(frame: pd.DataFrame) -> Chart | None:
    real = frame[frame["is_real"]] if len(frame) else frame
    if real.empty:
        return None
    grouped = (
        real.groupby(["section", "direction", "chapter"])[["budgeted", "committed", "executed"]]
        .sum(min_count=1)
        .reset_index()
        .sort_values(["section", "direction", "chapter"])
    )
    rows = [
        [
            f"{r.chapter} {nom.CHAPTER_LABELS.get(r.chapter, '')}".strip(),
            f"{_section_label(r.section)} — {_direction_label(r.direction)}",
            _round(r.budgeted),
            _round(r.committed),
            _round(r.executed),
            _rate(r.executed, r.budgeted),
        ]
        for r in grouped.itertuples()
    ]
    values = []
    for r in rows:
        for measure, amount in ((_("Credits opened"), r[2]), (_("Executed"), r[4])):
            if amount is not None:
                values.append({"chapter": r[0], "measure": measure, "amount": amount})
    title = _("Execution by chapter")
    spec = base(
        title,
        values,
        height=max(160, 34 * len(rows)),
        mark={"type": "bar"},
        encoding={
            "y": {"field": "chapter", "type": "nominal", "sort": None, "title": _("Chapter")},
            "yOffset": {"field": "measure"},
            "x": {
                "field": "amount",
                "type": "quantitative",
                "title": _("Amount (€)"),
                "axis": {"format": ",.0f"},
            },
            "color": {"field": "measure", "type": "nominal", "title": _("Measure")},
            "tooltip": [
                {"field": "chapter", "type": "nominal", "title": _("Chapter")},
                {"field": "measure", "type": "nominal", "title": _("Measure")},
                {
                    "field": "amount",
                    "type": "quantitative",
                    "title": _("Amount (€)"),
                    "format": ",.0f",
                },
            ],
        },
    )
    return Chart(
        "chapitres",
        title,
        _("Credits opened and amounts executed for each chapter (real operations)."),
        [
            _("Chapter"),
            _("Section"),
            _("Credits opened (€)"),
            _("Committed (€)"),
            _("Executed (€)"),
            _("Executed (%)"),
        ],
        rows,
        spec,
    )


def _peers_chart(rows: list[dict[str, Any]]) -> Chart | None:
    if not rows:
        return None
    title = _("Per inhabitant, compared with similar authorities")
    table = [
        [
            r["label"],
            round(float(r["ours"])),
            round(float(r["peers"])),
            None if pd.isna(r["authorities"]) else int(r["authorities"]),
        ]
        for r in rows
    ]
    values = []
    for r in rows:
        values.append({"ratio": r["label"], "who": _("Us"), "amount": round(r["ours"], 0)})
        values.append(
            {
                "ratio": r["label"],
                "who": _("Peers (same kind and band)"),
                "amount": round(r["peers"], 0),
            }
        )
    spec = base(
        title,
        values,
        height=max(160, 44 * len(rows)),
        mark={"type": "bar"},
        encoding={
            "y": {"field": "ratio", "type": "nominal", "sort": None, "title": _("Ratio")},
            "yOffset": {"field": "who"},
            "x": {
                "field": "amount",
                "type": "quantitative",
                "title": _("Euros per inhabitant"),
                "axis": {"format": ",.0f"},
            },
            "color": {
                "field": "who",
                "type": "nominal",
                "title": "",
                "scale": {"range": [PALETTE[0], PALETTE[7]]},
            },
            "tooltip": [
                {"field": "ratio", "type": "nominal", "title": _("Ratio")},
                {"field": "who", "type": "nominal", "title": ""},
                {
                    "field": "amount",
                    "type": "quantitative",
                    "title": _("Euros per inhabitant"),
                    "format": ",.0f",
                },
            ],
        },
    )
    first = rows[0]
    return Chart(
        "comparaison",
        title,
        _(
            "Exercise %(year)s, in euros per inhabitant, beside the average of authorities of the "
            "same kind with %(band)s inhabitants (%(peer_year)s)."
        )
        % {
            "year": first["year"],
            "band": first["band"].replace("-", "–"),
            "peer_year": first["peer_year"],
        },
        [
            _("Ratio"),
            _("Us (€ per inhabitant)"),
            _("Peers (€ per inhabitant)"),
            _("Authorities compared"),
        ],
        table,
        spec,
    )


def _functions_chart(data: finance_data.Data) -> Chart | None:
    """Real spending by M57 function heading and exercise, across the M14 → M57 change."""
    rows = []
    for year in sorted({int(y) for y in data.lines["exercise"]}) if len(data.lines) else []:
        frame = ind.executed_lines(data, ind.Period(date(year, 1, 1), date(year, 12, 31)))
        if frame.empty:
            continue
        nomenclatures = ", ".join(sorted(set(frame["nomenclature"])))
        complete = set(frame["stage"]) != {"EXEC"}
        for r in ind.by_heading(frame).itertuples():
            if r.heading == "?":
                continue
            rows.append(
                [
                    year,
                    _heading_label(r.heading),
                    round(float(r.executed), 2),
                    nomenclatures,
                    complete,
                ]
            )
    if not rows:
        return None
    title = _("Spending by function over the years (M57 functions)")
    values = [{"year": str(r[0]), "function": r[1], "amount": r[2]} for r in rows if r[4]]
    spec = base(
        title,
        values,
        mark={"type": "bar"},
        encoding={
            "x": {"field": "year", "type": "ordinal", "title": _("Exercise")},
            "y": {
                "field": "amount",
                "type": "quantitative",
                "stack": True,
                "title": _("Real spending (€)"),
                "axis": {"format": ",.0f"},
            },
            "color": {"field": "function", "type": "nominal", "title": _("Function")},
            "tooltip": [
                {"field": "year", "type": "ordinal", "title": _("Exercise")},
                {"field": "function", "type": "nominal", "title": _("Function")},
                {
                    "field": "amount",
                    "type": "quantitative",
                    "title": _("Real spending (€)"),
                    "format": ",.0f",
                },
            ],
        },
    )
    return Chart(
        "fonctions",
        title,
        _(
            "Real spending (both sections) of each closed exercise by M57 function heading; the "
            "M14 exercises are translated by the label of their functions, so the series go on "
            "across the change of nomenclature."
        ),
        [
            _("Exercise"),
            _("Function (M57)"),
            _("Real spending (€)"),
            _("Nomenclature of the source"),
            _("Closed exercise"),
        ],
        [r[:4] + [_("yes") if r[4] else _("no, to date")] for r in rows],
        spec,
    )


def _years_chart(data: finance_data.Data) -> Chart | None:
    table = ind.by_year(data)
    if table.empty:
        return None
    rows = [
        [
            int(r.exercise),
            _round(r.revenue),
            _round(r.expenses),
            _round(r.savings),
            _round(r.equipment),
            _("yes") if r.complete else _("no, %(months)s months") % {"months": r.months},
        ]
        for r in table.itertuples()
    ]
    values = []
    for r in rows:
        for measure, amount in (
            (_("Real operating revenue"), r[1]),
            (_("Real operating expenses"), r[2]),
            (_("Gross savings"), r[3]),
            (_("Equipment spending"), r[4]),
        ):
            if amount is not None:
                values.append({"year": str(r[0]), "measure": measure, "amount": amount})
    title = _("The main figures, year after year")
    spec = base(
        title,
        values,
        mark={"type": "line", "point": True, "strokeWidth": 2.5},
        encoding={
            "x": {"field": "year", "type": "ordinal", "title": _("Exercise")},
            "y": {
                "field": "amount",
                "type": "quantitative",
                "title": _("Amount (€)"),
                "axis": {"format": ",.0f"},
            },
            "color": {"field": "measure", "type": "nominal", "title": _("Measure")},
            "tooltip": [
                {"field": "year", "type": "ordinal", "title": _("Exercise")},
                {"field": "measure", "type": "nominal", "title": _("Measure")},
                {
                    "field": "amount",
                    "type": "quantitative",
                    "title": _("Amount (€)"),
                    "format": ",.0f",
                },
            ],
        },
    )
    return Chart(
        "annees",
        title,
        _(
            "Real operating revenue and expenses, gross savings and equipment spending of each "
            "exercise."
        ),
        [
            _("Exercise"),
            _("Real operating revenue (€)"),
            _("Real operating expenses (€)"),
            _("Gross savings (€)"),
            _("Equipment spending (€)"),
            _("Closed exercise"),
        ],
        rows,
        spec,
    )


def _members_chart(data: finance_data.Data, period: ind.Period, code: str) -> Chart | None:
    """For an intercommunality: each member's ratios per inhabitant side by side."""
    others = [c for c in data.codes if c != code]
    if not others or data.lines.empty:
        return None
    from pilotis.tenants.models import Tenant

    names = dict(Tenant.objects.filter(code__in=data.codes).values_list("code", "name"))
    year = period.end.year if period.end == date(period.end.year, 12, 31) else period.end.year - 1
    whole = ind.Period(date(year, 1, 1), date(year, 12, 31))
    rows = []
    for member in [code, *others]:
        own = _own(data, member)
        frame = ind.executed_lines(own, whole)
        if frame.empty:
            continue
        debt = ind.debt(own, whole.end)
        pop = own.population
        rows.append(
            [
                names.get(member, member),
                pop,
                _round(ind.per_inhabitant(ind._sum(ind.operating_expenses(frame)), pop)),
                _round(ind.per_inhabitant(ind._sum(ind.staff_costs(frame)), pop)),
                _round(ind.per_inhabitant(ind._sum(ind.equipment(frame)), pop)),
                _round(ind.per_inhabitant(None if debt is None else debt[1], pop)),
            ]
        )
    if len(rows) < 2:
        return None
    title = _("The members side by side (exercise %(year)s)") % {"year": year}
    values = [{"member": r[0], "amount": r[3]} for r in rows if r[3] is not None]
    spec = bar(
        title,
        values,
        x="amount",
        y="member",
        x_title=_("Staff costs (€ per inhabitant)"),
        y_title=_("Member"),
    )
    return Chart(
        "membres",
        title,
        _("Each member's own budget per inhabitant; the chart shows staff costs."),
        [
            _("Member"),
            _("Population"),
            _("Operating expenses (€/inh.)"),
            _("Staff costs (€/inh.)"),
            _("Equipment (€/inh.)"),
            _("Debt (€/inh.)"),
        ],
        rows,
        spec,
    )


def _notes(data: finance_data.Data, partial: bool) -> list[str]:
    notes = [
        _(
            "Real flows leave out the order operations — transfers between sections (chapters "
            "021/023, 040/042) and within them (041/043) — which move no money."
        ),
        _(
            "Closed exercises come from the final accounts (budget XML) or the DGFiP balance; the "
            "current one from the monthly execution of the finance software."
        ),
        _(
            "Until 2023 the accounts were kept in M14, since 2024 in M57: M14 functions are "
            "translated into M57 ones by their label (functions 4 to 7 changed meaning)."
        ),
        _("Per-inhabitant ratios divide by the official population of the referential."),
    ]
    if partial:
        notes.append(_("Credits opened are those known at the end of the last month loaded."))
    return notes
