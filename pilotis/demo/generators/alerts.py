"""Demo alerts: three thresholds an elected official would set, checked on the demo's data so
the alerts page, its history and the notifications show something — Saint-Malo watches its
median time to close (normal: under its 7 days), the agglomeration its requests in progress (in
alert: a round number under its figure) and its budget execution at the end of June. Told in
the application only: the demo's e-mails would only be printed on the console."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

from django.contrib.auth import get_user_model

from pilotis.alerts.check import PARIS, check, read
from pilotis.alerts.models import AlertRule, Comparison
from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.metrics.registry import PeriodKind
from pilotis.tenants.models import Tenant

NAME = "alertes"
SAINT_MALO = "35288"
# (tenant code or None for the agglomeration, name, metric, comparison, threshold, period,
#  from month, recipients)
RULES = (
    (
        SAINT_MALO,
        "Délai médian de clôture au-delà de 7 jours",
        "requests.close_median",
        Comparison.GT,
        7.0,
        PeriodKind.ROLLING_YEAR,
        None,
        ("maire.saint-malo@demo.pilotis.fr", "dgs.saint-malo@demo.pilotis.fr"),
    ),
    (
        None,
        "Plus de {threshold} demandes en cours",
        "requests.backlog",
        Comparison.GT,
        None,  # a little under the demo's own figure, whatever its size: in alert
        PeriodKind.STOCK,
        None,
        ("elu@demo.pilotis.fr", "admin@demo.pilotis.fr"),
    ),
    (
        None,
        "Exécution budgétaire sous 40 % fin juin",
        "finance.execution_rate",
        Comparison.LT,
        40.0,
        PeriodKind.YEAR_TO_DATE,
        6,
        ("elu@demo.pilotis.fr",),
    ),
)


def _figure(tenant: Tenant, metric: str, period: str) -> float:
    probe = AlertRule(tenant=tenant, metric=metric, comparison=Comparison.GT, threshold=0,
                      period=period)  # fmt: skip
    reading = read(probe, datetime.now(PARIS).date())
    return float(reading.value) if reading is not None and reading.value else 0.0


def _under(value: float) -> float:
    """A round threshold a little under `value` (80 % of it, two significant digits)."""
    target = value * 0.8
    if target < 10:
        return float(math.floor(target))
    step = 10 ** (math.floor(math.log10(target)) - 1)
    return float(math.floor(target / step) * step)


@register
class AlertsDemo(DemoGenerator):
    name = NAME
    order = 100  # after every domain's data and the steering settings

    def write(self, territory: Territory) -> list[Path]:
        return []  # nothing exported: rules set in the application

    def load(self, territory: Territory, paths: list[Path]) -> str:
        users = get_user_model().objects
        tenants = {t.code: t for t in territory.tenants()}
        states: list[str] = []
        for code, name, metric, comparison, threshold, period, month, emails in RULES:
            tenant = tenants.get(code) if code else territory.epci
            if tenant is None:
                continue
            if threshold is None:
                threshold = _under(_figure(tenant, metric, period))
                name = name.format(threshold=f"{threshold:,.0f}".replace(",", "\u202f"))
            rule, _created = AlertRule.objects.update_or_create(
                tenant=tenant,
                metric=metric,
                defaults={
                    "name": name,
                    "comparison": comparison,
                    "threshold": threshold,
                    "period": period,
                    "from_month": month,
                    "by_email": False,
                    "in_app": True,
                },
            )
            rule.recipients.set(users.filter(email__in=emails))
            check(rule)
            states.append(str(rule.get_state_display()).lower())
        return f"{len(states)} alertes ({', '.join(states)})"
