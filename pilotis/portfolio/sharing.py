"""What tenants share with one another: maturity scores, chosen indicators and experience
notes, each only when the tenant opted in (`Sharing`), under its name or as "a commune of
10,000 to 20,000 inhabitants". A tenant compares itself with "collectivités like me" — same
kind, same population band, opted in — and an intercommunality sees the members that share
their data with it side by side, by name (that is their agreement with it, not an opt-in here).

Nothing of a tenant that did not opt in ever leaves this module, except to its own
intercommunality as above.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from pilotis.metrics.registry import METRICS, MetricError, Query, evaluate
from pilotis.portfolio import maturity
from pilotis.portfolio.models import ExperienceNote, MaturityAssessment, Sharing
from pilotis.requests.page import num
from pilotis.tenants.models import Tenant, TenantKind

# Upper bounds of the population bands, per kind (the last band has none). For communes, the
# thresholds at which the law changes what a commune must do (1,000: list elections; 3,500:
# open data, budget reports; 10,000 and 20,000: the DGCL's strata) — broad enough for a band
# to hold several authorities, which also keeps anonymous ones hard to single out.
BOUNDS: dict[str, tuple[int, ...]] = {
    TenantKind.COMMUNE: (1_000, 3_500, 10_000, 20_000, 50_000, 100_000),
    TenantKind.EPCI: (15_000, 30_000, 50_000, 100_000, 300_000),
    TenantKind.DEPARTEMENT: (250_000, 500_000, 1_000_000),
    TenantKind.REGION: (3_000_000, 6_000_000),
}
# The indicators a tenant may share: one comparable figure for its whole data each.
SHAREABLE = (
    "requests.volume",
    "requests.close_median",
    "requests.close_p90",
    "requests.on_time_rate",
    "requests.backlog",
    "requests.first_response",
    "requests.reopened_share",
    "requests.repeats_share",
    "parking.revenue",
    "parking.sessions",
    "parking.occupancy",
    "parking.saturation",
    "parking.mean_duration",
    "parking.fine_rate",
)
MAX_NOTES = 50


@dataclass(frozen=True)
class Band:
    kind: str
    low: int
    high: int | None  # excluded; None for the last band

    def contains(self, population: int) -> bool:
        return population >= self.low and (self.high is None or population < self.high)


def band_of(tenant: Tenant) -> Band | None:
    """The population band of `tenant`, None when its population is unknown."""
    if tenant.population is None or tenant.kind not in BOUNDS:
        return None
    low = 0
    for high in BOUNDS[tenant.kind]:
        if tenant.population < high:
            return Band(tenant.kind, low, high)
        low = high
    return Band(tenant.kind, low, None)


def _people(n: int) -> str:
    return number_format(n, use_l10n=True, force_grouping=True)


def band_label(band: Band | None, kind: str) -> str:
    """ "a commune of 10,000 to 20,000 inhabitants", in the active language."""
    if band is None:
        names: dict[str, str] = {
            TenantKind.COMMUNE: _("a commune"),
            TenantKind.EPCI: _("an intercommunality"),
            TenantKind.DEPARTEMENT: _("a department"),
            TenantKind.REGION: _("a region"),
        }
        return names.get(kind, _("an authority"))
    params = {"low": _people(band.low), "high": _people(band.high or 0)}
    texts: dict[str, str]
    if band.low == 0:
        texts = {
            TenantKind.COMMUNE: _("a commune of fewer than %(high)s inhabitants"),
            TenantKind.EPCI: _("an intercommunality of fewer than %(high)s inhabitants"),
            TenantKind.DEPARTEMENT: _("a department of fewer than %(high)s inhabitants"),
            TenantKind.REGION: _("a region of fewer than %(high)s inhabitants"),
        }
    elif band.high is None:
        texts = {
            TenantKind.COMMUNE: _("a commune of %(low)s inhabitants or more"),
            TenantKind.EPCI: _("an intercommunality of %(low)s inhabitants or more"),
            TenantKind.DEPARTEMENT: _("a department of %(low)s inhabitants or more"),
            TenantKind.REGION: _("a region of %(low)s inhabitants or more"),
        }
    else:
        texts = {
            TenantKind.COMMUNE: _("a commune of %(low)s to %(high)s inhabitants"),
            TenantKind.EPCI: _("an intercommunality of %(low)s to %(high)s inhabitants"),
            TenantKind.DEPARTEMENT: _("a department of %(low)s to %(high)s inhabitants"),
            TenantKind.REGION: _("a region of %(low)s to %(high)s inhabitants"),
        }
    return texts[band.kind] % params


def sharing_of(tenant: Tenant) -> Sharing:
    """The tenant's sharing settings; unsaved and sharing nothing when never set."""
    found = Sharing.objects.filter(tenant=tenant).first()
    return found if found is not None else Sharing(tenant=tenant)


def shown_name(tenant: Tenant) -> str:
    """How other tenants see `tenant`: its name, or its band when it shares anonymously."""
    if _setting(tenant).anonymous:
        return band_label(band_of(tenant), tenant.kind)
    return tenant.name


def similar(tenant: Tenant) -> QuerySet[Tenant]:
    """ "Collectivités like me": the other tenants of the same kind and population band. Not
    filtered on sharing: each use below asks for its own opt-in."""
    band = band_of(tenant)
    if band is None:
        return Tenant.objects.none()
    found = Tenant.objects.filter(kind=tenant.kind, population__gte=band.low).exclude(pk=tenant.pk)
    if band.high is not None:
        found = found.filter(population__lt=band.high)
    return found


def peers(tenant: Tenant) -> list[Tenant]:
    """Similar tenants sharing their maturity scores."""
    return list(similar(tenant).filter(sharing__maturity=True).select_related("sharing"))


# --- maturity against peers -------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where the tenant stands in one dimension against its peers' latest assessments."""

    dimension: maturity.Dimension
    own: int | None
    median: float | None
    low: int | None
    high: int | None
    peers: int


@dataclass(frozen=True)
class PeerScores:
    label: str  # name, or band when anonymous
    assessed_on: date
    scores: dict[str, int]
    overall: int | None

    @property
    def ordered(self) -> list[int | None]:
        return [self.scores.get(d.id) for d in maturity.DIMENSIONS]


def peer_assessments(tenant: Tenant) -> list[MaturityAssessment]:
    """The latest assessment of each peer that has one."""
    return list(maturity.latest_of(peers(tenant)).values())


def positions(tenant: Tenant, own: MaturityAssessment | None) -> list[Position]:
    found = peer_assessments(tenant)
    out = []
    for dimension in maturity.DIMENSIONS:
        values = [a.scores[dimension.id] for a in found if dimension.id in a.scores]
        out.append(
            Position(
                dimension,
                None if own is None else own.scores.get(dimension.id),
                median(values) if values else None,
                min(values) if values else None,
                max(values) if values else None,
                len(values),
            )
        )
    return out


def peer_scores(tenant: Tenant) -> list[PeerScores]:
    """Each peer's latest scores, under the name it chose to show."""
    rows = [
        PeerScores(shown_name(a.tenant), a.assessed_on, dict(a.scores), maturity.overall(a.scores))
        for a in peer_assessments(tenant)
    ]
    return sorted(rows, key=lambda r: (-(r.overall or 0), r.label))


# --- indicators -------------------------------------------------------------------------------


def shareable_choices() -> list[tuple[str, str]]:
    return [(slug, str(METRICS[slug].label)) for slug in SHAREABLE if slug in METRICS]


def last_year(today: date | None = None) -> tuple[date, date]:
    end = today or timezone.localdate()
    return end - timedelta(days=364), end


def indicator_value(slug: str, tenant: Tenant, period: tuple[date, date]) -> float | None:
    """The figure of indicator `slug` for `tenant`'s own data only (not its members')."""
    if slug not in METRICS:
        return None
    try:
        rows = evaluate(slug, Query((tenant.code,), *period)).rows
    except MetricError:
        return None
    value = rows[0].get("value") if rows else None
    return None if value is None else float(value)


def formatted(slug: str, value: float | None) -> str:
    if value is None:
        return "—"
    unit = METRICS[slug].unit if slug in METRICS else ""
    if unit == "ratio":
        return _("%(number)s %%") % {"number": num(100 * value)}
    if unit == "percent":
        return _("%(number)s %%") % {"number": num(value, 1)}
    if unit == "days":
        return _("%(number)s d") % {"number": num(value, 1)}
    if unit == "minutes":
        return _("%(number)s min") % {"number": num(value)}
    if unit == "euros":
        return _("%(number)s €") % {"number": num(value)}
    return num(value, 0 if unit == "count" else 2)


@dataclass(frozen=True)
class IndicatorTable:
    slugs: list[str]
    labels: list[str]
    own: list[str]  # the tenant's own figures, same order
    rows: list[tuple[str, list[str]]]  # (peer label, figures; "" where not shared)


def shared_indicators(tenant: Tenant, today: date | None = None) -> IndicatorTable:
    """The indicators similar tenants chose to share, over the last 12 months, each computed on
    that tenant's data only; beside them the tenant's own figures."""
    period = last_year(today)
    sharing_peers = [t for t in similar(tenant).select_related("sharing") if _setting(t).indicators]
    slugs = [
        s
        for s in SHAREABLE
        if s in METRICS and any(s in _setting(t).indicators for t in sharing_peers)
    ]
    rows = []
    for peer in sorted(sharing_peers, key=shown_name):
        chosen = set(_setting(peer).indicators)
        rows.append(
            (
                shown_name(peer),
                [
                    formatted(s, indicator_value(s, peer, period)) if s in chosen else ""
                    for s in slugs
                ],
            )
        )
    return IndicatorTable(
        slugs,
        [str(METRICS[s].label) for s in slugs],
        [formatted(s, indicator_value(s, tenant, period)) for s in slugs],
        rows,
    )


def _setting(tenant: Tenant) -> Sharing:
    try:
        return tenant.sharing
    except Sharing.DoesNotExist:
        return Sharing(tenant=tenant)


# --- experience notes -------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedNote:
    author: str  # name, or band when anonymous
    similar: bool
    note: ExperienceNote
    project: str  # the project's title, only when the author shares under its name


def shared_notes(tenant: Tenant) -> list[SharedNote]:
    """Other tenants' notes, of those sharing them; similar tenants' first."""
    alike = set(similar(tenant).values_list("pk", flat=True))
    notes = (
        ExperienceNote.objects.filter(tenant__sharing__notes=True)
        .exclude(tenant=tenant)
        .select_related("tenant", "tenant__sharing", "project")
        .order_by("-created_at", "-pk")[:MAX_NOTES]
    )
    out = [
        SharedNote(
            shown_name(n.tenant),
            n.tenant_id in alike,
            n,
            "" if _setting(n.tenant).anonymous or n.project is None else n.project.title,
        )
        for n in notes
    ]
    return sorted(out, key=lambda s: not s.similar)


# --- an intercommunality's members ------------------------------------------------------------


@dataclass(frozen=True)
class MemberScores:
    tenant: Tenant
    assessment: MaturityAssessment | None
    overall: int | None

    @property
    def ordered(self) -> list[int | None]:
        scores = {} if self.assessment is None else self.assessment.scores
        return [scores.get(d.id) for d in maturity.DIMENSIONS]


def members_side_by_side(tenant: Tenant) -> tuple[list[MemberScores], int]:
    """For an intercommunality: its members that share their data with it, each with its
    latest assessment (by name), and how many members do not share."""
    if tenant.kind != TenantKind.EPCI:
        return [], 0
    sharing_members = list(tenant.members.filter(shares_with_parent=True).order_by("name"))
    hidden = tenant.members.filter(shares_with_parent=False).count()
    latest = maturity.latest_of(sharing_members)
    rows = [
        MemberScores(
            m,
            latest.get(m.pk),
            None if m.pk not in latest else maturity.overall(latest[m.pk].scores),
        )
        for m in sharing_members
    ]
    return rows, hidden


def median_scores(rows: Sequence[Any]) -> dict[str, float | None]:
    """The median of each dimension over assessments (for the radar's peer series)."""
    out: dict[str, float | None] = {}
    for dimension in maturity.DIMENSIONS:
        values = [a.scores[dimension.id] for a in rows if dimension.id in a.scores]
        out[dimension.id] = median(values) if values else None
    return out
