"""Open data in the metrics registry: how many datasets the collectivité publishes, and how
many of them are up to date with their announced frequency."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from pilotis.metrics.registry import (
    Headline,
    Metric,
    PeriodKind,
    Query,
    register,
    register_headline,
)

DOMAIN = "opendata"
PARIS = ZoneInfo("Europe/Paris")


def _published_by(query: Query) -> list[tuple[Any, datetime]]:
    """(publication, instant of its last successful version by the end of the period)."""
    from pilotis.opendata.models import Publication, PublicationVersion

    until = datetime.combine(query.end + timedelta(days=1), time(), PARIS)
    out = []
    pubs = Publication.objects.filter(tenant__code__in=query.tenant_codes, public=True)
    for pub in pubs:
        last = (
            pub.versions.filter(status=PublicationVersion.Status.OK, started_at__lt=until)
            .order_by("-number")
            .first()
        )
        if last is not None:
            out.append((pub, last.started_at))
    return out


def _datasets(query: Query) -> list[dict[str, Any]]:
    return [{"key": None, "total": True, "value": len(_published_by(query))}]


def _up_to_date(query: Query) -> list[dict[str, Any]]:
    from pilotis.catalog.models import MAX_AGE

    until = datetime.combine(query.end + timedelta(days=1), time(), PARIS)
    judged = fresh = 0
    for pub, when in _published_by(query):
        max_age = MAX_AGE.get(pub.frequency)
        if max_age is None:
            continue
        judged += 1
        fresh += when >= until - max_age
    return [{"key": None, "total": True, "value": fresh / judged if judged else None}]


register(
    Metric(
        slug=f"{DOMAIN}.datasets",
        domain=DOMAIN,
        label=_("Open datasets published"),
        description=_("Public datasets with at least one published version at the period's end."),
        unit="count",
        dimensions=(),
        compute=_datasets,
        higher_is_better=True,
    )
)
register(
    Metric(
        slug=f"{DOMAIN}.up_to_date",
        domain=DOMAIN,
        label=_("Open datasets up to date"),
        description=_(
            "Published datasets whose last version is younger than their announced update "
            "frequency allows, at the period's end ÷ published datasets with a frequency."
        ),
        unit="ratio",
        dimensions=(),
        compute=_up_to_date,
        higher_is_better=True,
    )
)


def _latest(tenant_codes: tuple[str, ...]) -> date | None:
    from pilotis.opendata.models import Publication

    has = Publication.objects.filter(tenant__code__in=tenant_codes, public=True).exists()
    return date.today() if has else None


register_headline(
    Headline(
        f"{DOMAIN}.datasets", "opendata_manage:index", _latest, order=70, period=PeriodKind.STOCK
    )
)
register_headline(
    Headline(
        f"{DOMAIN}.up_to_date",
        "opendata_manage:index",
        _latest,
        order=71,
        period=PeriodKind.STOCK,
        target=0.9,
    )
)
