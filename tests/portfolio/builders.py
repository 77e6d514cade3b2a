"""A small portfolio to test the pages on: objectives, projects with costs, value marks,
dependencies, usages, milestones; yearly budgets that force a choice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from pilotis.portfolio.models import (
    ChangeAction,
    Milestone,
    PlanObjective,
    Project,
    ProjectYear,
    Risk,
    Status,
    TargetUsage,
    YearBudget,
)
from tests.requests.test_page import write_requests

YEAR = date.today().year


def build_portfolio(tenant) -> dict[str, Project]:
    m1 = PlanObjective.objects.create(
        tenant=tenant, plan="mandat", code="M1", title="Simplifier les démarches"
    )
    s1 = PlanObjective.objects.create(
        tenant=tenant, plan="sdn", code="S1", title="Socle d'identité numérique"
    )
    today = date.today()
    identity = Project.objects.create(
        tenant=tenant,
        number="P-01",
        title="Plateforme d'identité des usagers",
        status=Status.PLANNED,
        sponsor="Adjointe au numérique",
        business_lead="Claire Exemple",
        it_lead="Marc Exemple",
        lead_service="Direction du numérique",
        referent_elected="Adjointe au numérique",
        investment=Decimal(60000),
        running_cost=Decimal(5000),
        business_gains=Decimal(10000),
        it_gains=Decimal(15000),
        start=today - timedelta(days=30),
        end=today + timedelta(days=300),
        value_marks={"necessite": "B", "risques": "A", "agents": "C", "usagers": "B"},
        value_notes={"necessite": "Préalable au portail"},
    )
    identity.objectives.add(s1)
    portal = Project.objects.create(
        tenant=tenant,
        number="P-02",
        title="Portail des demandes en ligne",
        status=Status.IN_PROGRESS,
        investment=Decimal(120000),
        running_cost=Decimal(8000),
        business_gains=Decimal(30000),
        start=today - timedelta(days=400),
        end=today - timedelta(days=10),  # late: past its end, not done
        value_marks={"necessite": "A", "risques": "B", "agents": "B", "usagers": "A"},
        lead_service="Relation usagers",
        categories=["Relation usager"],
    )
    portal.objectives.add(m1, s1)
    portal.depends_on.add(identity)
    rgaa = Project.objects.create(
        tenant=tenant,
        number="P-03",
        title="Mise en conformité RGAA du site",
        status=Status.PLANNED,
        mandatory=True,
        investment=Decimal(30000),
        start=today,
        end=today + timedelta(days=200),
        value_marks={"necessite": "A"},
    )
    kiosk = Project.objects.create(
        tenant=tenant,
        number="P-04",
        title="Borne d'accueil interactive",
        status=Status.IDEA,
        investment=Decimal(90000),
        start=today + timedelta(days=100),
        end=today + timedelta(days=500),
        value_marks={"necessite": "D", "risques": "C", "agents": "D", "usagers": "C"},
    )
    done = Project.objects.create(
        tenant=tenant, number="P-05", title="Parapheur électronique", status=Status.DONE
    )
    for project, cost, days in (
        (identity, 60000, 80),
        (portal, 90000, 120),
        (rgaa, 30000, 20),
        (kiosk, 90000, 60),
    ):
        ProjectYear.objects.create(project=project, year=YEAR, cost=cost, staff_days=days)
    YearBudget.objects.create(tenant=tenant, year=YEAR, budget=Decimal(185000), staff_days=300)
    Milestone.objects.create(
        project=portal, title="Ouverture au public", planned_on=today - timedelta(days=20)
    )
    Milestone.objects.create(
        project=identity,
        title="Choix du prestataire",
        planned_on=today - timedelta(days=5),
        done_on=today - timedelta(days=6),
    )
    Risk.objects.create(project=portal, title="Adhésion des services", likelihood=3, impact=2)
    ChangeAction.objects.create(
        project=portal, kind="formation", title="Formation des agents d'accueil", progress=40
    )
    TargetUsage.objects.create(
        project=portal,
        sentence="L'usager signale un problème en ligne",
        metric="requests.volume_series",
        filters={"channel": ["web", "mobile"]},
        as_share=True,
        target=0.5,
        target_on=today + timedelta(days=365),
        measured_from=_month(today, -6),
    )
    TargetUsage.objects.create(project=portal, sentence="L'agent suit les demandes sur tablette")
    return {"identity": identity, "portal": portal, "rgaa": rgaa, "kiosk": kiosk, "done": done}


def _month(today: date, shift: int) -> date:
    year, month = today.year, today.month + shift
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1)


def write_online_requests(code: str) -> list[float]:
    """Six complete months of requests before this one: ten a month, of which the k-th month
    (k = 1 … 6, oldest first) has k made on the web or the app. Returns the shares."""
    today = date.today()
    rows = []
    shares = []
    for k in range(1, 7):
        first = _month(today, k - 7)
        for i in range(10):
            channel = ("web" if i % 2 else "mobile") if i < k else "phone"
            rows.append(
                {
                    "service_request_id": f"{code}-{k}-{i}",
                    "requested_datetime": pd.Timestamp(
                        first.replace(day=10 + i), tz="Europe/Paris"
                    ).replace(hour=11),
                    "status": "closed",
                    "channel": channel,
                    "category": "voirie",
                }
            )
        shares.append(k / 10)
    write_requests(code, pd.DataFrame(rows))
    return shares
