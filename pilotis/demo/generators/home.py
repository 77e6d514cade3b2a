"""Demo steering dashboard: the mayor of Saint-Malo and the agglomeration's elected official
receive the monthly steering report, and Saint-Malo sets its own target for the median time to
close a request (7 days, stricter than Pilotis's default of 10)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model

from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.home.models import ReportSubscription, Target

NAME = "tableau-de-bord"
SAINT_MALO = "35288"
SUBSCRIBERS = (("maire.saint-malo@demo.pilotis.fr", SAINT_MALO), ("elu@demo.pilotis.fr", None))


@register
class HomeDemo(DemoGenerator):
    name = NAME
    order = 99  # after every domain's data

    def write(self, territory: Territory) -> list[Path]:
        return []  # nothing exported: settings made in the application

    def load(self, territory: Territory, paths: list[Path]) -> str:
        users = get_user_model().objects
        tenants = {t.code: t for t in territory.tenants()}
        subscribed = 0
        for email, code in SUBSCRIBERS:
            user = users.filter(email=email).first()
            tenant = tenants.get(code) if code else territory.epci
            if user is not None and tenant is not None:
                ReportSubscription.objects.get_or_create(tenant=tenant, user=user)
                subscribed += 1
        targets = 0
        if SAINT_MALO in tenants:
            Target.objects.update_or_create(
                tenant=tenants[SAINT_MALO], metric="requests.close_median", defaults={"value": 7}
            )
            targets = 1
        return f"{subscribed} abonnements au rapport mensuel, {targets} objectif propre"
