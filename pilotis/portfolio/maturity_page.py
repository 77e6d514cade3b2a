"""What the maturity page, its PDF and its workbook show, computed once: the latest assessment
against the previous one and against similar authorities, its questions with what Pilotis
measured, the recommendations and the history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from pilotis.exports import Sheet
from pilotis.metrics.charts import PALETTE, Chart, base
from pilotis.portfolio import maturity, sharing
from pilotis.portfolio.models import MaturityAssessment
from pilotis.portfolio.radar import radar_svg
from pilotis.tenants.models import Tenant


@dataclass(frozen=True)
class ScoreRow:
    dimension: maturity.Dimension
    score: int | None
    previous: int | None
    position: sharing.Position

    @property
    def change(self) -> int | None:
        if self.score is None or self.previous is None:
            return None
        return self.score - self.previous


@dataclass(frozen=True)
class Report:
    tenant: Tenant
    history: list[MaturityAssessment]
    latest: MaturityAssessment | None
    previous: MaturityAssessment | None
    rows: list[ScoreRow]
    peers: int  # similar authorities whose scores are in the median
    lines: list[maturity.Line]
    recommendations: list[maturity.Recommendation]
    chart: Chart

    @property
    def overall(self) -> int | None:
        return None if self.latest is None else maturity.overall(self.latest.scores)

    @property
    def measured_lines(self) -> list[maturity.Line]:
        return [line for line in self.lines if line.measured]

    @property
    def asked_lines(self) -> list[maturity.Line]:
        """Questions Pilotis tried to measure but could not, with the reason."""
        return [line for line in self.lines if not line.measured and line.text]

    def radar(self, size: int = 440) -> SafeString | None:
        if self.latest is None:
            return None
        labels = [str(d.short) for d in maturity.DIMENSIONS]
        series: list[tuple[str, list[float]]] = [
            (_day(self.latest), [float(r.score or 0) for r in self.rows])
        ]
        if self.previous is not None:
            series.append(
                (
                    _("previous: %(date)s") % {"date": _day(self.previous)},
                    [float(r.previous or 0) for r in self.rows],
                )
            )
        if self.peers:
            series.append(
                (
                    _("similar authorities' median"),
                    [float(r.position.median or 0) for r in self.rows],
                )
            )
        return radar_svg(
            labels, series, maximum=100, title=_("Digital maturity by dimension"), size=size
        )

    def radar_summary(self) -> str:
        if self.latest is None:
            return ""
        best = max(self.rows, key=lambda r: r.score or 0)
        worst = min(self.rows, key=lambda r: r.score or 0)
        return _(
            "Overall score %(overall)s out of 100 on %(date)s; strongest: %(best)s (%(high)s), "
            "weakest: %(worst)s (%(low)s). The table gives every figure."
        ) % {
            "overall": self.overall,
            "date": _day(self.latest),
            "best": best.dimension.label,
            "high": best.score,
            "worst": worst.dimension.label,
            "low": worst.score,
        }


def _day(assessment: MaturityAssessment) -> str:
    return date_format(assessment.assessed_on, "j F Y")


def build(tenant: Tenant) -> Report:
    history = maturity.history(tenant)
    latest = history[-1] if history else None
    previous = history[-2] if len(history) > 1 else None
    positions = sharing.positions(tenant, latest)
    rows = [
        ScoreRow(
            p.dimension,
            p.own,
            None if previous is None else previous.scores.get(p.dimension.id),
            p,
        )
        for p in positions
    ]
    return Report(
        tenant,
        history,
        latest,
        previous,
        rows,
        max((p.peers for p in positions), default=0),
        [] if latest is None else maturity.lines(latest),
        [] if latest is None else maturity.recommendations(latest),
        history_chart(history),
    )


def history_chart(history: list[MaturityAssessment]) -> Chart:
    """Each dimension's score at each assessment, as lines with marks of different shapes and
    dashes (not colour alone)."""
    dimensions = [str(d.label) for d in maturity.DIMENSIONS]
    columns = [_("Date"), *dimensions, _("Overall")]
    rows: list[list[Any]] = [
        [
            a.assessed_on,
            *[a.scores.get(d.id) for d in maturity.DIMENSIONS],
            maturity.overall(a.scores),
        ]
        for a in history
    ]
    data = [
        {"date": a.assessed_on.isoformat(), "dimension": str(d.label), "score": a.scores.get(d.id)}
        for a in history
        for d in maturity.DIMENSIONS
    ]
    title = _("Scores over time")
    if len(history) < 2:
        summary = _("One assessment only: the history starts with the next one.")
    else:
        summary = _(
            "Scores of the %(n)s assessments from %(first)s to %(last)s: overall %(start)s, then "
            "%(end)s out of 100."
        ) % {
            "n": len(history),
            "first": _day(history[0]),
            "last": _day(history[-1]),
            "start": maturity.overall(history[0].scores),
            "end": maturity.overall(history[-1].scores),
        }
    scale = {"domain": dimensions, "range": PALETTE[: len(dimensions)]}
    spec = base(
        title,
        data,
        mark={"type": "line", "point": {"size": 60, "filled": True}},
        encoding={
            "x": {
                "field": "date",
                "type": "temporal",
                "title": _("Date"),
                "timeUnit": "yearmonthdate",
            },
            "y": {
                "field": "score",
                "type": "quantitative",
                "title": _("Score (0–100)"),
                "scale": {"domain": [0, 100]},
            },
            "color": {"field": "dimension", "type": "nominal", "title": None, "scale": scale},
            "strokeDash": {"field": "dimension", "type": "nominal", "title": None},
            "shape": {"field": "dimension", "type": "nominal", "title": None},
            "tooltip": [
                {"field": "date", "type": "temporal", "title": _("Date"), "format": "%d/%m/%Y"},
                {"field": "dimension", "type": "nominal", "title": _("Dimension")},
                {"field": "score", "type": "quantitative", "title": _("Score")},
            ],
        },
    )
    return Chart("maturity-history", title, summary, columns, rows, spec, len(history) < 2)


def sheets(report: Report) -> list[Sheet]:
    """The workbook: scores against the previous assessment and similar authorities, every
    question with its level and how it was obtained, the recommendations, the history."""
    scores: Sheet = (
        _("Scores"),
        [
            _("Dimension"),
            _("Score"),
            _("Previous score"),
            _("Similar authorities: median"),
            _("Similar authorities: lowest"),
            _("Similar authorities: highest"),
            _("Similar authorities: number"),
        ],
        [
            [
                str(r.dimension.label),
                r.score,
                r.previous,
                r.position.median,
                r.position.low,
                r.position.high,
                r.position.peers,
            ]
            for r in report.rows
        ]
        if report.latest is not None
        else [],
    )
    questions: Sheet = (
        _("Questions"),
        [
            _("Dimension"),
            _("Question"),
            _("Level (0–3)"),
            _("Answer"),
            _("Obtained"),
            _("Measured figure or reason"),
            _("Source"),
        ],
        [
            [
                str(line.dimension.label),
                str(line.question.text),
                line.level,
                line.label,
                _("measured by Pilotis") if line.measured else _("answered"),
                line.text,
                str(line.question.indicator.source) if line.question.indicator else "",
            ]
            for line in report.lines
        ],
    )
    advice: Sheet = (
        _("Recommendations"),
        [_("Dimension"), _("Score"), _("Recommendation")],
        [
            [str(r.dimension.label), r.score, str(text)]
            for r in report.recommendations
            for text in [r.dimension.advice, *[q.advice for q, _level in r.steps]]
        ],
    )
    chart = report.chart
    return [scores, questions, advice, (_("History"), chart.columns, chart.rows)]
