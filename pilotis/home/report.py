"""The monthly steering report: the whole home dashboard as a PDF in the tenant's colours (one
page per domain, charts drawn on the server by vl-convert, the plain-French summary, and the
scope and period printed at the top of every page) and as an Excel workbook with one sheet per
indicator (numbers and dates stored as such, with formats French Excel displays natively).
The worker e-mails both to the tenant's subscribers once a month."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from pilotis.exports import neutralise_cell
from pilotis.home import board as home_board
from pilotis.metrics import charts, periods, registry
from pilotis.metrics.display import display
from pilotis.pdf import chart_svg, render_pdf
from pilotis.tenants.access import data_scope
from pilotis.tenants.models import Tenant

log = logging.getLogger(__name__)
MONTHS = 13  # a year of month-ends and the same month a year before


@dataclass
class Series:
    card: home_board.Card
    points: list[tuple[date, Any]]  # (month-end, figure), oldest first


def series(card: home_board.Card, codes: tuple[str, ...], kind: str) -> Series:
    """The card's figure at each of the last `MONTHS` month-ends."""
    points = []
    for back in range(MONTHS - 1, -1, -1):
        at = periods.shift_months(card.anchor, -back)
        try:
            value = home_board.figure(card.metric, codes, kind, at)
        except Exception:
            log.exception("report: %s at %s failed", card.metric, at)
            value = None
        points.append((at, value))
    return Series(card, points)


def _scale(unit: str) -> float:
    return 100.0 if unit in ("ratio", "share") else 1.0


def series_chart(item: Series) -> charts.Chart:
    card = item.card
    scale = _scale(card.unit)
    data = [
        {"mois": at.isoformat(), "valeur": None if v is None else float(v) * scale}
        for at, v in item.points
    ]
    unit_title = "%" if scale == 100 else card.unit
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "line", "point": True, "color": charts.PALETTE[0]},
            "encoding": {
                "x": {"field": "mois", "type": "temporal", "title": None, "timeUnit": "yearmonth"},
                "y": {"field": "valeur", "type": "quantitative", "title": unit_title},
            },
        }
    ]
    if card.target is not None:
        layers.append(
            {
                "data": {"values": [{"objectif": card.target * scale}]},
                "mark": {"type": "rule", "color": charts.ACCENT, "strokeDash": [4, 3]},
                "encoding": {"y": {"field": "objectif", "type": "quantitative"}},
            }
        )
    spec = charts.base(card.label, data, height=150, layer=layers)
    rows = [[formats.date_format(at, "F Y"), display(v, card.unit)] for at, v in item.points]
    return charts.Chart(
        slug=card.metric.replace(".", "-"),
        title=card.label,
        summary=_("%(label)s at each month-end over a year (%(period)s each time).")
        % {"label": card.label, "period": card.period_label},
        columns=[_("Month"), card.label],
        rows=rows,
        spec=spec,
    )


def members_chart(built: home_board.Board, column: home_board.Column) -> charts.Chart:
    data: list[dict[str, Any]] = [
        {"commune": m.name, "valeur": float(m.values[column.metric])}
        for m in built.members
        if m.values.get(column.metric) is not None
    ]
    data.sort(key=lambda d: -d["valeur"])
    title = f"{column.label} {column.note}".strip()
    spec = charts.bar(
        title,
        data,
        x="valeur",
        y="commune",
        x_title=title,
        y_title=_("Member"),
        value_format=",.1f",
    )
    return charts.Chart(
        slug="membres",
        title=title,
        summary=_("Members of the intercommunality on “%(label)s”, highest first.")
        % {"label": title},
        columns=[_("Member"), title],
        rows=[[d["commune"], d["valeur"]] for d in data],
        spec=spec,
        empty=not data,
    )


def scope_line(tenant: Tenant, built: home_board.Board) -> str:
    codes = data_scope(tenant)
    if len(codes) > 1:
        return _("Scope: %(name)s and %(n)s members sharing their data.") % {
            "name": tenant.name,
            "n": len(codes) - 1,
        }
    return _("Scope: %(name)s.") % {"name": tenant.name}


def report_month(built: home_board.Board) -> date | None:
    """The month the report is about: the latest anchor of its cards."""
    anchors = [c.anchor for c in built.cards]
    return max(anchors) if anchors else None


def pdf(tenant: Tenant, built: home_board.Board | None = None) -> bytes:
    built = built or home_board.build(tenant)
    codes = data_scope(tenant)
    headlines = {h.metric: h for h in registry.headlines()}
    sections = []
    for domain, label, cards in built.domains:
        items = []
        for card in cards:
            chart = series_chart(series(card, codes, headlines[card.metric].period))
            items.append({"card": card, "svg": chart_svg(chart.spec), "chart": chart})
        sections.append({"domain": domain, "label": label, "items": items})
    members = []
    if built.members:
        for column in built.columns:
            chart = members_chart(built, column)
            if not chart.empty:
                members.append({"chart": chart, "svg": chart_svg(chart.spec)})
    month = report_month(built)
    context = {
        "board": built,
        "sections": sections,
        "members_charts": members,
        "scope": scope_line(tenant, built),
        "month": month,
    }
    return render_pdf("home/report_pdf.html", context, tenant)


# Excel number formats: codes are locale-independent; French Excel shows "1 234,5" and "45,0 %".
XLSX_FORMATS = {
    "ratio": "0.0%",
    "share": "0.0%",
    "count": "#,##0",
    "euros": "#,##0 €",
    "euros_per_inhabitant": "#,##0.00 €",
    "days": "#,##0.0",
    "fte": "#,##0.0",
    "percent": "#,##0.0",
}


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Indicateur"
    base, n = name, 2
    while name.lower() in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name.lower())
    return name


def xlsx(tenant: Tenant, built: home_board.Board | None = None) -> bytes:
    """One sheet of summary, one per indicator (its month-ends over a year), and one of the
    members side by side for an intercommunality."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    built = built or home_board.build(tenant)
    codes = data_scope(tenant)
    headlines = {h.metric: h for h in registry.headlines()}
    book = Workbook()
    summary = book.active
    assert summary is not None  # noqa: S101 - a new workbook has one sheet
    used: set[str] = set()
    summary.title = _sheet_name(_("Summary"), used)
    header = [
        _("Domain"),
        _("Indicator"),
        _("Period"),
        _("Value"),
        _("A month before"),
        _("A year before"),
        _("Target"),
        _("Status"),
        _("Definition"),
        _("Source"),
    ]
    summary.append(header)
    summary.append([])
    for _domain, label, cards in built.domains:
        for card in cards:
            summary.append(
                [
                    label,
                    neutralise_cell(card.label),
                    card.period_label,
                    card.value,
                    card.last_month,
                    card.year_before,
                    card.target,
                    card.status_label,
                    neutralise_cell(card.description),
                    ", ".join(card.sources),
                ]
            )
            fmt = XLSX_FORMATS.get(card.unit, "#,##0.0")
            for col in (4, 5, 6, 7):
                summary.cell(summary.max_row, col).number_format = fmt
    summary.delete_rows(2)
    for cell in summary[1]:
        cell.font = Font(bold=True)
    summary.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJ", (18, 40, 26, 14, 14, 14, 12, 16, 60, 24), strict=True):
        summary.column_dimensions[letter].width = width
    summary.append([])
    summary.append([scope_line(tenant, built)])
    for line in built.summary:
        summary.append([neutralise_cell(line)])
    for _domain, _label, cards in built.domains:
        for card in cards:
            item = series(card, codes, headlines[card.metric].period)
            sheet = book.create_sheet(_sheet_name(card.label, used))
            sheet.append([_("Month-end"), card.label, _("Target")])
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            fmt = XLSX_FORMATS.get(card.unit, "#,##0.0")
            for at, value in item.points:
                sheet.append([at, value, card.target])
                sheet.cell(sheet.max_row, 1).number_format = "dd/mm/yyyy"
                sheet.cell(sheet.max_row, 2).number_format = fmt
                sheet.cell(sheet.max_row, 3).number_format = fmt
            sheet.append([])
            sheet.append([neutralise_cell(card.description)])
            sheet.append([_("Each month-end: %(period)s.") % {"period": card.period_label}])
            sheet.column_dimensions["A"].width = 14
            sheet.column_dimensions["B"].width = 22
            sheet.freeze_panes = "A2"
    if built.members:
        sheet = book.create_sheet(_sheet_name(_("Members"), used))
        sheet.append(
            [_("Member"), _("Population")] + [f"{c.label} {c.note}".strip() for c in built.columns]
        )
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for m in built.members:
            sheet.append([m.name, m.population] + [m.values.get(c.metric) for c in built.columns])
            sheet.cell(sheet.max_row, 2).number_format = "#,##0"
            for i, c in enumerate(built.columns, start=3):
                unit = "days" if c.unit == "per_thousand" else c.unit
                sheet.cell(sheet.max_row, i).number_format = XLSX_FORMATS.get(unit, "#,##0.0")
        sheet.column_dimensions["A"].width = 30
        sheet.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(tenant: Tenant, today: date | None = None, force: bool = False) -> Any:
    """E-mail the report of the last complete month to the tenant's subscribers, once per
    month (`force` sends again). Returns the delivery row, or None when already sent."""
    from pypdf import PdfReader

    from pilotis.home.models import ReportDelivery, ReportSubscription

    with translation.override(settings.LANGUAGE_CODE):
        built = home_board.build(tenant, today)
        month = report_month(built)
        if month is None:
            return None
        done = ReportDelivery.objects.filter(
            tenant=tenant, month=month, status=ReportDelivery.Status.SENT
        )
        if done.exists() and not force:
            return None
        users = [
            s.user
            for s in ReportSubscription.objects.filter(tenant=tenant).select_related("user")
            if s.user.is_active and s.user.email
        ]
        if not users:
            return ReportDelivery.objects.create(
                tenant=tenant, month=month, status=ReportDelivery.Status.NOBODY
            )
        month_name = formats.date_format(month, "F Y")
        try:
            content = pdf(tenant, built)
            pages = len(PdfReader(io.BytesIO(content)).pages)
            workbook = xlsx(tenant, built)
            link = settings.PILOTIS_PUBLIC_URL.rstrip("/") + reverse(
                "home:index", args=[tenant.code]
            )
            body = "\n".join(
                [
                    _("Hello,"),
                    "",
                    _("Here is the steering report of %(name)s for %(month)s.")
                    % {"name": tenant.name, "month": month_name},
                    "",
                    *[f"– {line}" for line in built.summary],
                    "",
                    _("The dashboard, always up to date: %(link)s") % {"link": link},
                    "",
                    _(
                        "You receive this e-mail because you subscribed to the monthly report; "
                        "unsubscribe from the report page of the dashboard."
                    ),
                ]
            )
            slug = f"rapport-{tenant.code}-{month:%Y-%m}"
            for user in users:
                message = EmailMessage(
                    subject=_("Steering report — %(name)s — %(month)s")
                    % {"name": tenant.name, "month": month_name},
                    body=body,
                    to=[user.email],
                )
                message.attach(f"{slug}.pdf", content, "application/pdf")
                message.attach(
                    f"{slug}.xlsx",
                    workbook,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
                message.send()
        except Exception as exc:
            log.exception("report of %s failed", tenant.code)
            return ReportDelivery.objects.create(
                tenant=tenant,
                month=month,
                status=ReportDelivery.Status.FAILED,
                recipients=len(users),
                error=str(exc)[:2000],
            )
        return ReportDelivery.objects.create(
            tenant=tenant,
            month=month,
            status=ReportDelivery.Status.SENT,
            recipients=len(users),
            pdf_pages=pages,
        )
