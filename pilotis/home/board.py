"""The home dashboard of a tenant: the key indicator of every domain it has data for (the
registry's headlines), each with its value, the value a month before and a year before, its
target and a status colour, a plain-French summary of what changed since last month, and, for
an intercommunality, its members side by side on the same indicators.

Everything goes through `registry.evaluate_cached`, so the figures are those of the domain
pages, the API and `pilotis kpi`; the whole board is also kept in the cache under the Delta
versions of every source table in scope, so a warm board costs one directory listing per table.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilotis.metrics import periods, registry
from pilotis.metrics.display import display
from pilotis.tenants.access import data_scope
from pilotis.tenants.models import Tenant, TenantKind
from pilotis.warehouse import storage

log = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")
CACHE_SECONDS = 24 * 3600

DOMAIN_LABELS = {
    "requests": gettext_lazy("Citizen requests"),
    "finance": gettext_lazy("Finance"),
    "hr": gettext_lazy("Human resources"),
    "online": gettext_lazy("Online services"),
    "parking": gettext_lazy("Paid parking"),
    "portfolio": gettext_lazy("Digital projects"),
    "opendata": gettext_lazy("Open data"),
}
# A change of less than this (relative) since last month is not worth a sentence.
NOTABLE = 0.05
# Within this (relative) of its target on the wrong side, a figure is "to watch", not "off".
WATCH_BAND = 0.10


@dataclass
class Card:
    metric: str
    domain: str
    label: str
    description: str
    unit: str
    sources: list[str]
    url: str
    anchor: date
    start: date
    end: date
    period_label: str
    value: Any
    last_month: Any
    year_before: Any
    target: float | None
    higher_is_better: bool | None
    status: str  # "good", "watch", "off" or "none"
    shown: str = ""
    shown_last_month: str = ""
    shown_year_before: str = ""
    shown_target: str = ""
    status_label: str = ""
    change_month: float | None = None  # relative change since last month
    change_year: float | None = None
    trend_label: str = ""
    error: str = ""


@dataclass
class Member:
    code: str
    name: str
    population: int | None
    values: dict[str, Any] = field(default_factory=dict)  # metric → figure (per inhabitant)
    shown: dict[str, str] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)


@dataclass
class Column:
    metric: str
    label: str
    unit: str
    per_inhabitant: bool
    note: str


@dataclass
class Board:
    tenant_code: str
    tenant_name: str
    today: date
    domains: list[tuple[str, str, list[Card]]]  # (domain, label, cards)
    summary: list[str]
    members: list[Member]
    columns: list[Column]

    @property
    def cards(self) -> list[Card]:
        return [card for _d, _l, cards in self.domains for card in cards]


def as_of(anchor: date) -> datetime:
    """The instant a figure ending on `anchor` is read at: the following midnight, Paris."""
    return datetime.combine(anchor + timedelta(days=1), time(), PARIS)


def period_label(kind: str, start: date, end: date) -> str:
    fmt = "j F Y"
    if kind == registry.PeriodKind.ROLLING_YEAR:
        return _("12 months to %(end)s") % {"end": formats.date_format(end, fmt)}
    if kind == registry.PeriodKind.YEAR_TO_DATE:
        return _("1 January to %(end)s") % {"end": formats.date_format(end, fmt)}
    if kind == registry.PeriodKind.MONTH:
        return formats.date_format(end, "F Y")
    return _("at %(end)s") % {"end": formats.date_format(end, fmt)}


def status_of(value: Any, target: float | None, higher_is_better: bool | None) -> str:
    if value is None or target is None or higher_is_better is None:
        return "none"
    v = float(value)
    if (v >= target) if higher_is_better else (v <= target):
        return "good"
    gap = abs(v - target) / abs(target) if target else float("inf")
    return "watch" if gap <= WATCH_BAND else "off"


STATUS_LABELS = {
    "good": gettext_lazy("on target"),
    "watch": gettext_lazy("close to target"),
    "off": gettext_lazy("off target"),
    "none": gettext_lazy("no target"),
}


def relative(now: Any, before: Any) -> float | None:
    if now is None or before is None or float(before) == 0:
        return None
    return (float(now) - float(before)) / abs(float(before))


def figure(slug: str, codes: tuple[str, ...], kind: str, anchor: date) -> Any:
    start, end = periods.period(kind, anchor)
    query = registry.Query(codes, start, end, as_of=as_of(anchor))
    return registry.total(registry.evaluate_cached(slug, query))


def targets_of(tenant: Tenant) -> dict[str, float]:
    from pilotis.home.models import Target

    return dict(Target.objects.filter(tenant=tenant).values_list("metric", "value"))


def _url(headline: registry.Headline, code: str) -> str:
    try:
        return reverse(headline.url_name, args=[code])
    except NoReverseMatch:
        return ""


def _trend(card: Card) -> str:
    change = card.change_year
    if change is None:
        return ""
    pct = display(abs(change), "ratio")
    if abs(change) < 0.005:
        return _("stable over a year")
    if change > 0:
        return _("up %(pct)s over a year") % {"pct": pct}
    return _("down %(pct)s over a year") % {"pct": pct}


def card_for(
    headline: registry.Headline,
    tenant_code: str,
    codes: tuple[str, ...],
    targets: dict[str, float],
    today: date,
) -> Card | None:
    """The card of one headline, None when the scope has no data for its domain."""
    metric = registry.get(headline.metric)
    latest = headline.latest(codes)
    anchor = periods.anchor(latest, today)
    if anchor is None:
        return None
    start, end = periods.period(headline.period, anchor)
    target = targets.get(headline.metric, headline.target)
    card = Card(
        metric=metric.slug,
        domain=metric.domain,
        label=str(metric.label),
        description=str(metric.description),
        unit=metric.unit,
        sources=list(metric.source_tables),
        url=_url(headline, tenant_code),
        anchor=anchor,
        start=start,
        end=end,
        period_label=period_label(headline.period, start, end),
        value=None,
        last_month=None,
        year_before=None,
        target=target,
        higher_is_better=metric.higher_is_better,
        status="none",
    )
    try:
        card.value = figure(metric.slug, codes, headline.period, anchor)
        card.last_month = figure(
            metric.slug, codes, headline.period, periods.shift_months(anchor, -1)
        )
        card.year_before = figure(
            metric.slug, codes, headline.period, periods.shift_months(anchor, -12)
        )
    except Exception:  # one domain's failure must not take the whole board down
        log.exception("home: %s for %s failed", metric.slug, codes)
        card.error = _("This figure could not be computed; the domain page tells more.")
    card.status = status_of(card.value, target, metric.higher_is_better)
    card.status_label = str(STATUS_LABELS[card.status])
    card.shown = display(card.value, metric.unit)
    card.shown_last_month = display(card.last_month, metric.unit)
    card.shown_year_before = display(card.year_before, metric.unit)
    card.shown_target = "" if target is None else display(target, metric.unit)
    card.change_month = relative(card.value, card.last_month)
    card.change_year = relative(card.value, card.year_before)
    card.trend_label = _trend(card)
    return card


def summary_of(cards: list[Card]) -> list[str]:
    """What changed since last month, in plain French: the notable changes first (largest
    first), then the figures off target."""
    lines: list[tuple[float, str]] = []
    for card in cards:
        change = card.change_month
        if change is None or abs(change) < NOTABLE:
            continue
        better = None if card.higher_is_better is None else (change > 0) == card.higher_is_better
        verdict = "" if better is None else (_(" (better)") if better else _(" (worse)"))
        lines.append(
            (
                abs(change),
                _("%(label)s: %(before)s a month ago, %(now)s now%(verdict)s.")
                % {
                    "label": card.label,
                    "before": card.shown_last_month,
                    "now": card.shown,
                    "verdict": verdict,
                },
            )
        )
    out = [text for _size, text in sorted(lines, key=lambda item: -item[0])]
    steady = [c for c in cards if c.change_month is not None and abs(c.change_month) < NOTABLE]
    if steady:
        out.append(
            _("Little change since last month for: %(labels)s.")
            % {"labels": ", ".join(c.label for c in steady)}
        )
    off = [c for c in cards if c.status == "off"]
    for card in off:
        out.append(
            _("%(label)s is off its target (%(now)s for a target of %(target)s).")
            % {"label": card.label, "now": card.shown, "target": card.shown_target}
        )
    if not out and cards:
        out.append(_("No figure to compare with last month yet."))
    return out


def per_inhabitant(value: Any, unit: str, population: int | None) -> tuple[Any, str]:
    """A figure set side by side between members: counts per 1,000 inhabitants, euros per
    inhabitant; the unit it is then written in."""
    if value is None or not population:
        return None, unit
    if unit == "euros":
        return float(value) / population, "euros_per_inhabitant"
    return 1000 * float(value) / population, "per_thousand"


def members_of(
    tenant: Tenant, cards: list[Card], headlines: dict[str, registry.Headline]
) -> tuple[list[Member], list[Column]]:
    """The members sharing their data with the intercommunality, on the board's indicators,
    each read over the same period as the intercommunality's card."""
    if tenant.kind != TenantKind.EPCI:
        return [], []
    codes = data_scope(tenant)[1:]
    members = list(Tenant.objects.filter(code__in=codes).order_by("name"))
    columns = []
    for card in cards:
        per = headlines[card.metric].per_inhabitant and card.unit in ("count", "euros")
        unit = ("euros_per_inhabitant" if card.unit == "euros" else "per_thousand") if per else ""
        note = ""
        if unit == "per_thousand":
            note = _("per 1,000 inhabitants")
        elif unit == "euros_per_inhabitant":
            note = _("per inhabitant")
        columns.append(Column(card.metric, card.label, unit or card.unit, per, note))
    out = []
    for member in members:
        row = Member(member.code, member.name, member.population)
        for card, column in zip(cards, columns, strict=True):
            kind = headlines[card.metric].period
            sources = registry.get(card.metric).source_tables
            try:
                if sources and all(
                    storage.current_version(member.code, t) is None for t in sources
                ):
                    value = None  # no data of that domain: unknown ("—"), not zero
                else:
                    value = figure(card.metric, (member.code,), kind, card.anchor)
            except Exception:
                log.exception("home: %s for member %s failed", card.metric, member.code)
                value = None
            if column.per_inhabitant:
                value, _unit = per_inhabitant(value, card.unit, member.population)
            row.values[card.metric] = value
            row.shown[card.metric] = (
                display(value, "count" if column.unit == "per_thousand" else column.unit)
                if value is not None
                else "—"
            )
            row.status[card.metric] = (
                "none"
                if column.per_inhabitant
                else status_of(value, card.target, card.higher_is_better)
            )
        out.append(row)
    return out, columns


def _key(tenant: Tenant, codes: tuple[str, ...], today: date) -> str:
    """The board's cache key: every source table's version in scope, the targets, the day and
    the language."""
    tables = sorted({t for h in registry.headlines() for t in registry.get(h.metric).source_tables})
    versions = ",".join(f"{c}/{t}:{storage.current_version(c, t)}" for c in codes for t in tables)
    from pilotis.home.models import Target

    stamp = sorted(Target.objects.filter(tenant=tenant).values_list("metric", "value"))
    db_state = _database_state(codes)
    raw = (
        f"{storage.warehouse_root()}|{tenant.code}|{codes}|{versions}|{stamp}|{db_state}|"
        f"{today}|{translation.get_language()}"
    )
    return "home-board:" + hashlib.sha256(raw.encode()).hexdigest()


def _database_state(codes: tuple[str, ...]) -> str:
    """What the database-read indicators (projects, open data) depend on: the last change of
    the projects, milestones and publications of the scope."""
    from django.db.models import Max

    from pilotis.opendata.models import PublicationVersion
    from pilotis.portfolio.models import Milestone, Project

    projects = Project.objects.filter(tenant__code__in=codes).aggregate(
        n=Max("updated_at"), c=Max("pk")
    )
    milestones = Milestone.objects.filter(project__tenant__code__in=codes).aggregate(
        c=Max("pk"), d=Max("done_on")
    )
    versions = PublicationVersion.objects.filter(publication__tenant__code__in=codes).aggregate(
        c=Max("pk"), f=Max("finished_at")
    )
    return repr((projects, milestones, versions))


def build(tenant: Tenant, today: date | None = None) -> Board:
    """The board of `tenant` read on `today`, from the cache when nothing changed."""
    today = today or datetime.now(PARIS).date()
    codes = data_scope(tenant)
    key = _key(tenant, codes, today)
    found = cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    targets = targets_of(tenant)
    headlines = {h.metric: h for h in registry.headlines()}
    grouped: dict[str, list[Card]] = {}
    for headline in headlines.values():
        card = card_for(headline, tenant.code, codes, targets, today)
        if card is not None:
            grouped.setdefault(card.domain, []).append(card)
    order = list(DOMAIN_LABELS)
    domains = [
        (d, str(DOMAIN_LABELS.get(d, d)), cards)
        for d, cards in sorted(
            grouped.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99
        )
    ]
    cards = [c for _d, _l, cs in domains for c in cs]
    members, columns = members_of(tenant, cards, headlines)
    board = Board(tenant.code, tenant.name, today, domains, summary_of(cards), members, columns)
    cache.set(key, board, CACHE_SECONDS)
    return board
