"""Demo digital-maturity self-assessments, sharing preferences and experience notes.

Each tenant of the territory gets two or three assessments over the last two years (the larger
ones started earlier), with answers drawn around a level that grows with the authority's size
and improves from one assessment to the next; Pilotis measures what it can from the demo's own
data at each date (the requests' channels and delays in the warehouse, and for today the
catalog, the sources and the portfolio), exactly as for a real assessment. Most communes share
their scores with authorities like them, some anonymously; a few write experience notes.

Nothing is written to files: an authority fills the questionnaire in Pilotis itself. Running it
again replaces the demo's assessments (those without an author) and keeps the users' own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.portfolio import maturity
from pilotis.portfolio.models import ExperienceNote, MaturityAssessment, Sharing
from pilotis.tenants.models import Tenant, TenantKind

SAINT_MALO = "35288"
SHARED_INDICATORS = ("requests.volume", "requests.close_median", "requests.on_time_rate")
YEARLY_PROGRESS = 0.35  # levels gained per year, on average


@dataclass(frozen=True)
class Note:
    rank: int  # which tenant writes it: 0 the intercommunality, then communes by population
    title: str
    worked: str
    failed: str
    cost: int | None


NOTES = (
    Note(
        0,
        "Parapheur électronique mutualisé pour les 18 communes",
        "Un seul marché porté par l'agglomération ; les délibérations et arrêtés sont signés "
        "en deux jours au lieu de dix.",
        "Les petites communes sans référent ont mis un an à s'en servir : prévoir dès le "
        "départ une demi-journée d'accompagnement sur place.",
        38_000,
    ),
    Note(
        1,
        "Prise de rendez-vous en ligne pour les cartes d'identité et passeports",
        "La file d'attente du samedi a disparu ; 70 % des rendez-vous sont pris en ligne dès "
        "le troisième mois.",
        "12 % des rendez-vous n'étaient pas honorés : il a fallu ajouter un rappel par SMS la "
        "veille.",
        6_500,
    ),
    Note(
        1,
        "Application de signalement dans l'espace public",
        "Les signalements arrivent localisés et avec une photo ; la voirie planifie ses "
        "tournées au lieu de courir.",
        "Sans réponse visible, l'usage a baissé au bout de six mois ; la notification de "
        "clôture envoyée à l'usager l'a relancé.",
        24_000,
    ),
    Note(
        2,
        "Conseiller numérique en mairie",
        "Deux permanences par semaine, pleines dès le premier mois ; les personnes âgées "
        "reviennent et font seules leurs démarches.",
        "Le financement de l'État a baissé la troisième année : le poste est désormais partagé "
        "avec deux communes voisines.",
        28_000,
    ),
    Note(
        3,
        "Portail famille : cantine et accueil périscolaire",
        "Inscriptions et paiements en ligne : quatre familles sur cinq l'utilisent, le "
        "secrétariat a retrouvé ses mercredis.",
        "La reprise des données de l'ancien logiciel a pris trois mois de plus que prévu.",
        15_000,
    ),
    Note(
        5,
        "Publication des délibérations en open data (SCDL)",
        "Le format du Socle commun et la publication automatique évitent toute ressaisie.",
        "Les délibérations anciennes, scannées, ne sont pas exploitables en l'état.",
        2_000,
    ),
    Note(
        8,
        "Wi-Fi public en centre-bourg",
        "Très utilisé par les visiteurs l'été.",
        "Presque aucun usage hors saison, et la maintenance n'avait pas été budgétée.",
        9_000,
    ),
    Note(
        12,
        "Dépôt en ligne des autorisations d'urbanisme",
        "La saisine électronique fonctionne sans logiciel propre, grâce au service instructeur "
        "de l'agglomération.",
        "Beaucoup de dossiers déposés en ligne restent incomplets : une aide en mairie reste "
        "nécessaire.",
        None,
    ),
)


def _base_level(tenant: Tenant) -> float:
    """Where an authority of this size usually stands (0–3)."""
    if tenant.kind == TenantKind.EPCI:
        return 1.5
    population = tenant.population or 0
    if population >= 20_000:
        return 1.6
    if population >= 3_500:
        return 1.2
    if population >= 1_000:
        return 0.8
    return 0.5


def _answers(base: float, offsets: dict[str, float], years: float, rng: random.Random) -> dict:
    out = {}
    for q in maturity.QUESTIONS:
        drawn = base + offsets[q.dimension] + YEARLY_PROGRESS * years + rng.gauss(0, 0.45)
        out[q.id] = max(0, min(3, round(drawn)))
    return out


def _dates(tenant: Tenant, today: date, rng: random.Random) -> list[date]:
    """Two or three dates over the last two years, today's last."""
    larger = tenant.kind == TenantKind.EPCI or (tenant.population or 0) >= 3_500
    months = (23, 11) if larger else (12,)
    earlier = [today - timedelta(days=30 * m + rng.randint(0, 20)) for m in months]
    return [*earlier, today]


def _sharing(tenant: Tenant, rank: int, rng: random.Random, writes_notes: bool) -> Sharing:
    """Most authorities share their scores; small ones more often anonymously."""
    if tenant.kind == TenantKind.EPCI or tenant.code == SAINT_MALO:
        shares, anonymous, indicators = True, False, list(SHARED_INDICATORS)
    else:
        shares = rng.random() < 0.8
        anonymous = rng.random() < (0.7 if (tenant.population or 0) < 3_500 else 0.4)
        indicators = list(SHARED_INDICATORS[: rng.randint(0, 3)]) if shares else []
    found, _created = Sharing.objects.update_or_create(
        tenant=tenant,
        defaults={
            "maturity": shares,
            "indicators": indicators,
            "notes": writes_notes and (shares or rank == 0),
            "anonymous": anonymous,
        },
    )
    return found


@register
class MaturityGenerator(DemoGenerator):
    name = "maturite"
    order = 50  # after the requests (20–22) it measures, and the portfolio (40)

    def write(self, territory: Territory) -> list[Path]:
        return []

    def load(self, territory: Territory, paths: list[Path]) -> str:
        rng = territory.rng(self.name)
        today = timezone.localdate()
        ranked = [
            territory.epci,
            *sorted(territory.communes, key=lambda t: (-(t.population or 0), t.code)),
        ]
        assessments = shared = notes = 0
        for rank, tenant in enumerate(ranked):
            base = _base_level(tenant)
            offsets = {d.id: rng.uniform(-0.6, 0.6) for d in maturity.DIMENSIONS}
            dates = _dates(tenant, today, rng)
            answers = [_answers(base, offsets, -(today - on).days / 365, rng) for on in dates]
            own_notes = [n for n in NOTES if n.rank == rank]
            with transaction.atomic():
                MaturityAssessment.objects.filter(tenant=tenant, created_by=None).delete()
                for on, given in zip(dates, answers, strict=True):
                    maturity.assess(tenant, given, on=on)
                assessments += len(dates)
                shared += _sharing(tenant, rank, rng, bool(own_notes)).maturity
                for note in own_notes:
                    ExperienceNote.objects.update_or_create(
                        tenant=tenant,
                        title=note.title,
                        defaults={
                            "worked": note.worked,
                            "failed": note.failed,
                            "cost": None if note.cost is None else Decimal(note.cost),
                        },
                    )
                notes += len(own_notes)
        return (
            f"{assessments} autodiagnostics de maturité dans {len(ranked)} collectivités, "
            f"{shared} partagent leurs scores, {notes} retours d'expérience"
        )
