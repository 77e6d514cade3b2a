"""The demo territory's digital-transformation portfolio: plan objectives, projects with their
value marks, yearly costs, milestones, risks, change management and target usages, and the
yearly budgets they compete for — for the agglomeration, Saint-Malo and Cancale.

Written as the tenants' own data (in French), as of the demo's "today" (`REFERENCE_DATE`, the
last day of the demo requests): some projects are done, some late (past their end or a
milestone, not done), one suspended; two are legal obligations; several depend on another.
No file: the rows are created directly, idempotently (natural keys: tenant and project number,
then the project and a title or a sentence).

Budgets: each year of 2026–2029 covers what is committed (projects in progress, mandatory ones)
and only `NEW_SHARE` (drawn) of the money the other open projects ask for, `NEW_STAFF_SHARE` of
their staff-days — so the prioritisation has to choose among the new ones (the budgets are
about two thirds of the whole demand over the four years, 60–75 % from 2027), without dropping
the projects under way for lack of a 2026 budget: at the demo's "today", 2026 is almost all
spent by them. With the demo's draws the exact prioritisation leaves out, in Saint-Malo, the
parking signs (P-10), the coastal digital twin (P-13, not assessed) and the suspended
telephony (P-14); in the agglomeration, the shared portal (P-03) and the bus ticketing (P-05);
in Cancale, the online reports (P-03, short of staff-days).

Usages tied to the demo requests (`requests_common`, three years to 31 October 2026), with the
shares measured in the generated data (Saint-Malo, monthly): web + app 0.49 in January 2025 →
0.58 in October 2026 (about +5 points a year); the app alone 0.23 → 0.32; handled within the
default 10-day target about 0.80, flat (0.70 for the last month, whose requests are still
open). Hence: web + app ≥ 0.55 by mid-2027 is reached; the app alone ≥ 0.40 by the end of 2027
is behind; on time ≥ 0.85 (Saint-Malo) and ≥ 0.80 (Cancale, about 0.73) are behind; web + app
≥ 0.65 across the agglomeration by the end of 2028 is on track.

The people are invented (their surnames are places of the coast); roles stand for the elected
officials.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.db import models, transaction

from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.portfolio.models import (
    OPEN_STATUSES,
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
from pilotis.tenants.models import Tenant

NAME = "portefeuille"
SAINT_MALO, CANCALE = "35288", "35049"
YEARS = (2026, 2027, 2028, 2029)
# Of what the open projects not yet committed (not in progress, not mandatory) ask for in a
# year, the share the budget and the staff capacity leave room for; drawn per tenant and year.
NEW_SHARE = (0.40, 0.48)
NEW_STAFF_SHARE = (0.70, 0.80)
RUN_STAFF_DAYS = 20  # a year, once a project is in service
MIN_STAFF_DAYS = 20  # in any year a project asks for something
MARKED_AXES = ("necessite", "risques", "agents", "usagers")  # in the order of `marks`

# Usage metrics (pilotis/requests/metrics.py) and filters by dimension.
VOLUME, ON_TIME = "requests.volume_series", "requests.on_time_rate"
ONLINE = {"channel": ["web", "mobile"]}
APP = {"channel": ["mobile"]}

MANDAT, SDN = PlanObjective.Plan.MANDATE, PlanObjective.Plan.IT_MASTER
IDEA, STUDY, PLANNED = Status.IDEA, Status.STUDY, Status.PLANNED
RUNNING, DONE, SUSPENDED = Status.IN_PROGRESS, Status.DONE, Status.SUSPENDED
WORKSHOP = ChangeAction.Kind.WORKSHOP
TRAINING = ChangeAction.Kind.TRAINING
COMMUNICATION = ChangeAction.Kind.COMMUNICATION


def _d(text: str) -> date:
    return date.fromisoformat(text)


@dataclass(frozen=True)
class Usage:
    sentence: str
    metric: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    as_share: bool = False
    target: float | None = None
    target_on: date | None = None
    measured_from: date | None = None


@dataclass(frozen=True)
class Spec:
    """One project as the tenant entered it."""

    number: str
    title: str
    description: str
    categories: tuple[str, ...]
    status: str
    sponsor: str
    it_lead: str
    business_lead: str
    lead_service: str
    referent_elected: str
    partners: str
    money: tuple[int, int, int, int]  # investment, yearly running cost, business and IT gains
    start: date
    end: date
    staff_days: int  # a full year of building
    objectives: tuple[str, ...]
    marks: str = ""  # one of A–D per MARKED_AXES, "." for an axis not marked yet
    notes: tuple[str, ...] = ()  # why, per marked axis, in the same order
    mandatory: bool = False
    depends_on: tuple[str, ...] = ()
    milestones: tuple[tuple[str, date, date | None], ...] = ()  # title, planned, reached
    risks: tuple[tuple[str, int, int, str], ...] = ()  # title, likelihood, impact, mitigation
    actions: tuple[tuple[str, str, date | None, int], ...] = ()  # kind, title, date, progress
    usages: tuple[Usage, ...] = ()


@dataclass(frozen=True)
class Portfolio:
    tenant: str  # "epci" for the territory's intercommunality, else an INSEE code
    label: str
    objectives: tuple[tuple[str, str, str], ...]  # plan, code, title
    projects: tuple[Spec, ...]


# --- Saint-Malo --------------------------------------------------------------------------------

SM_DSI_PROJECTS, SM_DSI_INFRA, SM_DSI_DATA = "Soizic Le Sillon", "Erwan Grand-Bé", "Tanguy Solidor"
SM_NUMERIQUE = "Adjointe au numérique et à la simplification"
SM_ADMIN = "Adjoint aux finances et à l'administration générale"
SM_ESPACE_PUBLIC = "Adjoint à l'espace public"
SM_URBANISME = "Adjoint à l'urbanisme"

SAINT_MALO_PORTFOLIO = Portfolio(
    SAINT_MALO,
    "Saint-Malo",
    (
        (MANDAT, "M1", "Simplifier les démarches des habitants"),
        (MANDAT, "M2", "Un centre-ville vivant et accessible"),
        (MANDAT, "M3", "Une ville propre, sûre et bien entretenue"),
        (MANDAT, "M4", "Une administration sobre et efficace"),
        (MANDAT, "M5", "Une ville inclusive, à tous les âges"),
        (MANDAT, "M6", "Protéger le littoral face au changement climatique"),
        (SDN, "S1", "Socle d'identité et sécurité"),
        (SDN, "S2", "Données de référence et pilotage"),
        (SDN, "S3", "Outils des agents et travail en mobilité"),
        (SDN, "S4", "Services en ligne accessibles"),
        (SDN, "S5", "Infrastructure sobre et résiliente"),
    ),
    (
        Spec(
            "P-01",
            "Socle d'identité numérique : ProConnect pour les agents, FranceConnect pour les "
            "habitants",
            "Un annuaire unique des agents relié à ProConnect, la double authentification sur "
            "les outils sensibles et FranceConnect sur les services en ligne de la ville. "
            "Remplace l'annuaire historique et ses comptes orphelins.",
            ("Infrastructure", "Relation usager"),
            RUNNING,
            "DGS",
            SM_DSI_INFRA,
            "Hélène Courtoisville",
            "Direction du numérique",
            SM_NUMERIQUE,
            "Mégalis Bretagne, DINUM (ProConnect)",
            (85_000, 12_000, 0, 18_000),
            _d("2025-09-01"),
            _d("2026-12-18"),
            160,
            ("M4", "S1"),
            "BBAB",
            (
                "Comptes orphelins et mots de passe partagés relevés par l'audit de sécurité "
                "de 2025.",
                "Solutions éprouvées ; bascule des comptes à préparer service par service.",
                "Un seul identifiant pour tous les outils, fini les réinitialisations de mot de "
                "passe.",
                "FranceConnect évite de créer un compte de plus pour chaque démarche.",
            ),
            milestones=(
                (
                    "Choix de l'annuaire et du fournisseur d'identité",
                    _d("2025-11-14"),
                    _d("2025-11-28"),
                ),
                ("Agents connectés via ProConnect", _d("2026-04-30"), _d("2026-06-12")),
                ("FranceConnect ouvert sur le portail", _d("2026-12-18"), None),
            ),
            risks=(
                (
                    "Comptes de service non inventoriés qui bloquent des applications métier",
                    2,
                    3,
                    "Inventaire des applications avec chaque direction avant la bascule",
                ),
                (
                    "Résistance à la double authentification",
                    2,
                    2,
                    "Clés de sécurité pour les agents sans téléphone professionnel",
                ),
            ),
            actions=(
                (
                    COMMUNICATION,
                    "Guide « mon compte unique » sur l'intranet",
                    _d("2026-04-20"),
                    100,
                ),
                (
                    TRAINING,
                    "Prise en main de la double authentification (12 sessions)",
                    _d("2026-05-15"),
                    100,
                ),
            ),
            usages=(
                Usage("L'agent se connecte à tous ses outils avec un seul compte"),
                Usage("L'habitant se connecte au portail de la ville avec FranceConnect"),
            ),
        ),
        Spec(
            "P-02",
            "Mise en conformité RGAA du site et des démarches en ligne",
            "Audit complet du site de la ville, correction des gabarits et des formulaires, "
            "schéma pluriannuel et déclaration d'accessibilité à jour. Obligation légale "
            "(article 47 de la loi du 11 février 2005).",
            ("Relation usager", "Inclusion numérique"),
            RUNNING,
            SM_NUMERIQUE,
            SM_DSI_PROJECTS,
            "Clémence Saint-Ideuc",
            "Communication",
            SM_NUMERIQUE,
            "Prestataire d'audit RGAA, association locale de personnes déficientes visuelles",
            (48_000, 6_000, 0, 0),
            _d("2025-03-03"),
            _d("2026-06-30"),
            90,
            ("M5", "S4"),
            "ABCA",
            (
                "Obligation légale ; la déclaration actuelle dit « non conforme » (38 % des "
                "critères respectés).",
                "Audit fait ; les corrections dépendent du prestataire du site.",
                "Les rédacteurs apprennent à publier des contenus accessibles.",
                "Les personnes handicapées peuvent faire seules leurs démarches.",
            ),
            mandatory=True,
            milestones=(
                ("Audit RGAA complet", _d("2025-05-30"), _d("2025-06-20")),
                ("Gabarits du site corrigés", _d("2025-12-19"), _d("2026-02-06")),
                ("Formulaires en ligne conformes", _d("2026-06-30"), None),
            ),
            risks=(
                (
                    "Le prestataire du site tarde à livrer les corrections des gabarits",
                    3,
                    2,
                    "Pénalités prévues au marché ; point mensuel avec le prestataire",
                ),
                (
                    "Les nouveaux contenus réintroduisent des défauts",
                    2,
                    2,
                    "Formation des rédacteurs et contrôle avant publication",
                ),
            ),
            actions=(
                (
                    TRAINING,
                    "Écrire et publier des contenus accessibles (rédacteurs des directions)",
                    _d("2026-03-12"),
                    70,
                ),
                (
                    WORKSHOP,
                    "Tests des formulaires avec des usagers déficients visuels",
                    _d("2026-09-24"),
                    40,
                ),
            ),
            usages=(
                Usage(
                    "La personne aveugle remplit seule un formulaire de la ville avec son "
                    "lecteur d'écran"
                ),
                Usage(
                    "Le rédacteur publie une actualité accessible sans l'aide de la communication"
                ),
            ),
        ),
        Spec(
            "P-03",
            "Portail des démarches en ligne",
            "Un compte usager unique pour faire et suivre ses demandes (signalements, état "
            "civil, inscriptions scolaires, occupation du domaine public), relié à la gestion "
            "de la relation usager : l'habitant voit où en est sa demande sans appeler la "
            "mairie.",
            ("Relation usager",),
            RUNNING,
            SM_NUMERIQUE,
            SM_DSI_PROJECTS,
            "Maëlle Rochebonne",
            "Direction de la relation usagers",
            SM_NUMERIQUE,
            "Mégalis Bretagne",
            (160_000, 28_000, 65_000, 8_000),
            _d("2026-01-12"),
            _d("2027-06-30"),
            220,
            ("M1", "S1", "S4"),
            "BCBA",
            (
                "Le site n'offre que des formulaires sans suivi : 3 appels sur 10 au centre de "
                "contact demandent où en est une demande.",
                "Reprise des comptes et intégration à la GRU en cours ; dépend du socle "
                "d'identité.",
                "Moins d'appels de relance et de ressaisie au centre de contact.",
                "Les démarches les plus fréquentes faites et suivies en ligne, à toute heure.",
            ),
            depends_on=("P-01",),
            milestones=(
                ("Marché notifié", _d("2026-01-12"), _d("2026-01-12")),
                ("Dix premières démarches en ligne", _d("2026-09-30"), None),
                ("Compte usager ouvert à tous", _d("2027-03-31"), None),
            ),
            risks=(
                (
                    "Le retard du socle d'identité (P-01) décale l'ouverture du compte usager",
                    2,
                    3,
                    "Ouverture d'abord sans FranceConnect, avec un compte local",
                ),
                (
                    "Charge de la direction du numérique sur trois projets à la fois",
                    3,
                    2,
                    "Assistance à maîtrise d'ouvrage externe",
                ),
                (
                    "Démarches mal conçues, peu utilisées",
                    2,
                    2,
                    "Ateliers avec des habitants avant chaque démarche",
                ),
            ),
            actions=(
                (
                    WORKSHOP,
                    "Ateliers usagers : le parcours de l'inscription scolaire",
                    _d("2026-03-18"),
                    100,
                ),
                (
                    TRAINING,
                    "Le centre de contact oriente l'habitant vers son compte usager",
                    _d("2027-02-15"),
                    10,
                ),
                (
                    COMMUNICATION,
                    "Campagne « Ma mairie en ligne » (journal municipal, affiches)",
                    _d("2027-03-31"),
                    0,
                ),
            ),
            usages=(
                Usage(
                    "L'usager fait sa demande en ligne, sur le site ou l'application, plutôt "
                    "qu'au téléphone ou au guichet",
                    VOLUME,
                    ONLINE,
                    as_share=True,
                    target=0.55,
                    target_on=_d("2027-06-30"),
                    measured_from=_d("2025-01-01"),
                ),
                Usage(
                    "L'usager suit l'avancement de sa demande dans son compte sans appeler "
                    "la mairie"
                ),
            ),
        ),
        Spec(
            "P-04",
            "Nouvelle application mobile de signalement",
            "Refonte de l'application « Signaler à Saint-Malo » : photo, géolocalisation, suivi "
            "de la demande et notification à la clôture. Les signalements arrivent directement "
            "dans la GRU et sur la tablette des équipes.",
            ("Relation usager",),
            PLANNED,
            SM_ESPACE_PUBLIC,
            SM_DSI_PROJECTS,
            "Corentin Paramé",
            "Direction de l'espace public",
            SM_ESPACE_PUBLIC,
            "Éditeur de la GRU",
            (70_000, 15_000, 20_000, 6_000),
            _d("2027-01-04"),
            _d("2027-10-29"),
            120,
            ("M1", "M3", "S4"),
            "CBBA",
            (
                "L'application actuelle fonctionne mais ne dit pas à l'habitant ce que devient "
                "son signalement.",
                "Solution du marché ; dépend de la GRU (P-05).",
                "Signalements localisés avec photo : moins de déplacements pour rien.",
                "Signaler en trente secondes et être prévenu de la réparation.",
            ),
            depends_on=("P-01", "P-05"),
            milestones=(
                ("Choix de la solution", _d("2027-02-26"), None),
                ("Application publiée sur les magasins d'applications", _d("2027-09-15"), None),
            ),
            risks=(
                (
                    "Retard de la GRU (P-05)",
                    2,
                    3,
                    "Démarrage conditionné à la mise en service de la GRU",
                ),
                (
                    "Doublons de signalements d'un même problème",
                    2,
                    1,
                    "Carte des signalements en cours visible avant d'en créer un",
                ),
            ),
            actions=(
                (
                    COMMUNICATION,
                    "Lancement de l'application au marché et dans les quartiers",
                    _d("2027-10-02"),
                    0,
                ),
            ),
            usages=(
                Usage(
                    "L'usager signale un problème de voirie depuis l'application mobile",
                    VOLUME,
                    APP,
                    as_share=True,
                    target=0.40,
                    target_on=_d("2027-12-31"),
                    measured_from=_d("2025-01-01"),
                ),
                Usage("L'usager est prévenu quand le problème qu'il a signalé est réglé"),
            ),
        ),
        Spec(
            "P-05",
            "Gestion de la relation usager et interventions en mobilité",
            "Une seule file pour toutes les demandes (téléphone, guichet, courriel, site, "
            "application), affectées aux services avec un délai annoncé ; les équipes de "
            "voirie, de propreté et des espaces verts reçoivent et clôturent leurs "
            "interventions sur tablette.",
            ("Relation usager", "Outils des agents"),
            RUNNING,
            "DGS",
            SM_DSI_DATA,
            "Maëlle Rochebonne",
            "Direction de la relation usagers",
            SM_ESPACE_PUBLIC,
            "Éditeur de la GRU, Direction de l'espace public",
            (210_000, 35_000, 90_000, 20_000),
            _d("2025-06-02"),
            _d("2027-06-30"),
            240,
            ("M1", "M3", "S3"),
            "BCAB",
            (
                "Demandes suivies dans trois outils et des tableurs ; délais inconnus.",
                "Changement profond des façons de faire de cinq services.",
                "Les équipes reçoivent l'intervention sur le terrain, sans ressaisie au retour.",
                "Un délai annoncé, et tenu, pour chaque demande.",
            ),
            milestones=(
                ("Centre de contact sur la nouvelle GRU", _d("2025-12-01"), _d("2026-01-19")),
                ("Tablettes pour les équipes de voirie et de propreté", _d("2026-05-29"), None),
                ("Espaces verts et éclairage public raccordés", _d("2027-03-31"), None),
            ),
            risks=(
                (
                    "Les équipes de terrain continuent sur papier",
                    3,
                    3,
                    "Un référent par équipe et une formation sur le terrain",
                ),
                (
                    "Couverture réseau insuffisante intra-muros pour les tablettes",
                    2,
                    2,
                    "Mode hors ligne exigé au marché",
                ),
                (
                    "Délais par thème jamais fixés",
                    2,
                    2,
                    "Délais validés en comité de direction avant la mise en service",
                ),
            ),
            actions=(
                (
                    WORKSHOP,
                    "Fixer les délais annoncés par thème avec chaque service",
                    _d("2026-02-10"),
                    100,
                ),
                (
                    TRAINING,
                    "Prise en main de la tablette par les équipes de voirie",
                    _d("2026-06-15"),
                    30,
                ),
                (
                    COMMUNICATION,
                    "Les délais tenus publiés dans le journal municipal",
                    _d("2027-01-15"),
                    0,
                ),
            ),
            usages=(
                Usage("L'agent de voirie renseigne son intervention en mobilité, depuis la rue"),
                Usage(
                    "La demande de l'habitant est traitée dans le délai annoncé",
                    ON_TIME,
                    target=0.85,
                    target_on=_d("2027-12-31"),
                    measured_from=_d("2025-01-01"),
                ),
            ),
        ),
        Spec(
            "P-06",
            "Dématérialisation des autorisations d'urbanisme (obligation légale)",
            "Après le guichet en ligne ouvert en 2022 (saisine par voie électronique, "
            "obligatoire pour les communes de plus de 3 500 habitants), l'instruction "
            "entièrement numérique dans le logiciel ADS raccordé à PLAT'AU et les échanges "
            "numériques avec les services consultés.",
            ("Relation usager", "Outils des agents"),
            DONE,
            SM_URBANISME,
            SM_DSI_DATA,
            "Anne-Laure Rothéneuf",
            "Service urbanisme",
            SM_URBANISME,
            "Service commun ADS de Saint-Malo Agglomération, DDTM d'Ille-et-Vilaine",
            (55_000, 9_000, 30_000, 4_000),
            _d("2024-01-08"),
            _d("2025-03-31"),
            150,
            ("M1", "M4", "S4"),
            "AABB",
            (
                "Obligation légale (loi ELAN) : dépôt et instruction dématérialisés.",
                "Logiciel déjà en place ; raccordement à la plateforme nationale PLAT'AU.",
                "Fin des dossiers papier en cinq exemplaires.",
                "Dépôt et suivi du permis en ligne.",
            ),
            mandatory=True,
            milestones=(
                ("Raccordement à PLAT'AU", _d("2024-06-28"), _d("2024-07-05")),
                ("Instruction 100 % numérique", _d("2025-03-31"), _d("2025-03-24")),
            ),
            risks=(
                (
                    "Pièces déposées illisibles ou trop lourdes",
                    2,
                    1,
                    "Contrôle des formats au dépôt",
                ),
            ),
            actions=(
                (TRAINING, "Instruire sur double écran (instructeurs)", _d("2024-09-16"), 100),
                (
                    COMMUNICATION,
                    "Guide du dépôt en ligne pour les architectes et les notaires",
                    _d("2024-10-01"),
                    100,
                ),
            ),
            usages=(
                Usage("Le pétitionnaire dépose son permis de construire en ligne"),
                Usage("L'instructeur consulte les services extérieurs sans envoi papier"),
            ),
        ),
        Spec(
            "P-07",
            "Cybersécurité : conformité NIS 2 et sauvegardes hors ligne",
            "Mise en conformité avec la directive NIS 2, dont la ville entre dans le champ : "
            "analyse de risques, supervision, sauvegardes déconnectées, plan de reprise "
            "d'activité et exercice de crise.",
            ("Infrastructure",),
            PLANNED,
            "DGS",
            SM_DSI_INFRA,
            "Hélène Courtoisville",
            "Direction du numérique",
            SM_ADMIN,
            "ANSSI (parcours de cybersécurité), CSIRT régional",
            (180_000, 30_000, 0, 0),
            _d("2027-01-04"),
            _d("2028-06-30"),
            200,
            ("M4", "S1", "S5"),
            "ABCC",
            (
                "Obligation réglementaire ; un rançongiciel arrêterait tous les services.",
                "Méthode de l'ANSSI ; prestataire qualifié à choisir.",
                "Quelques contraintes de plus (postes verrouillés), peu de gains visibles.",
                "Invisible tant qu'il n'y a pas d'incident.",
            ),
            mandatory=True,
            depends_on=("P-01",),
            milestones=(
                ("Analyse de risques EBIOS", _d("2027-04-30"), None),
                ("Sauvegardes déconnectées en service", _d("2027-10-29"), None),
                ("Exercice de crise cyber", _d("2028-05-31"), None),
            ),
            risks=(
                (
                    "Pénurie de prestataires qualifiés",
                    2,
                    2,
                    "Marché mutualisé avec l'agglomération",
                ),
                (
                    "Incident avant la fin du projet",
                    1,
                    3,
                    "Les sauvegardes hors ligne en premier lot",
                ),
            ),
            actions=(
                (
                    TRAINING,
                    "Sensibilisation de tous les agents à l'hameçonnage",
                    _d("2027-03-15"),
                    0,
                ),
                (WORKSHOP, "Exercice de crise avec le comité de direction", _d("2028-05-31"), 0),
            ),
            usages=(
                Usage("L'agent signale un courriel suspect en un clic"),
                Usage("Le service redémarre en moins de 48 heures après un incident"),
            ),
        ),
        Spec(
            "P-08",
            "Entrepôt de données et tableaux de bord des élus",
            "Les exports des logiciels métier (relation usager, stationnement, finances) réunis "
            "dans un entrepôt, des tableaux de bord pour les élus et la direction générale, et "
            "les données publiques ouvertes par défaut.",
            ("Données",),
            RUNNING,
            "DGS",
            SM_DSI_DATA,
            "Loïc Marville",
            "Direction du numérique",
            SM_ADMIN,
            "Saint-Malo Agglomération",
            (40_000, 9_000, 15_000, 3_000),
            _d("2025-11-03"),
            _d("2027-03-31"),
            110,
            ("M4", "S2"),
            "CABC",
            (
                "Les chiffres existent mais sont recompilés à la main chaque trimestre.",
                "Logiciel libre déjà en service dans l'agglomération.",
                "Fini les tableaux consolidés à la main avant chaque conseil.",
                "Données publiques ouvertes, utiles surtout aux réutilisateurs.",
            ),
            milestones=(
                (
                    "Premières sources connectées (relation usager, stationnement)",
                    _d("2026-02-27"),
                    _d("2026-03-06"),
                ),
                ("Tableau de bord du maire", _d("2026-06-30"), _d("2026-07-10")),
                ("Données financières et RH", _d("2027-03-31"), None),
            ),
            risks=(
                (
                    "Exports des logiciels modifiés par les éditeurs",
                    2,
                    2,
                    "Contrôles automatiques des fichiers reçus",
                ),
                (
                    "Chiffres contestés faute de définitions partagées",
                    2,
                    2,
                    "Catalogue des indicateurs validé en comité de direction",
                ),
            ),
            actions=(
                (
                    WORKSHOP,
                    "Choisir les indicateurs du tableau de bord avec les élus",
                    _d("2026-04-08"),
                    100,
                ),
                (TRAINING, "Lire et partager un tableau de bord (cadres)", _d("2026-11-19"), 20),
            ),
            usages=(
                Usage("L'élu consulte chaque mois le tableau de bord de sa délégation"),
                Usage("Le chef de service dépose son export sans rien ressaisir"),
            ),
        ),
        Spec(
            "P-09",
            "Base adresse locale et référentiel des voies",
            "Une base adresse locale tenue par la ville, publiée dans la Base adresse "
            "nationale et partagée avec les secours, La Poste et les opérateurs de fibre ; les "
            "adresses des logiciels métier y sont rapprochées.",
            ("Données",),
            STUDY,
            SM_URBANISME,
            SM_DSI_DATA,
            "Anne-Laure Rothéneuf",
            "Service urbanisme",
            SM_URBANISME,
            "IGN, Saint-Malo Agglomération (SIG)",
            (25_000, 3_000, 6_000, 0),
            _d("2027-01-04"),
            _d("2027-12-17"),
            60,
            ("M3", "S2"),
            "BABC",
            (
                "Adresses en double ou absentes : secours et livreurs mal guidés dans les "
                "nouveaux lotissements.",
                "Outil national gratuit, méthode connue.",
                "Une adresse juste dans tous les logiciels.",
                "Visible surtout dans les nouveaux quartiers.",
            ),
            milestones=(
                ("Inventaire des adresses manquantes", _d("2027-03-31"), None),
                ("Publication dans la Base adresse nationale", _d("2027-11-30"), None),
            ),
            risks=(
                (
                    "Dépendance au SIG de l'agglomération",
                    2,
                    2,
                    "Convention de partage des données avec l'agglomération",
                ),
            ),
            actions=(
                (
                    COMMUNICATION,
                    "Information des habitants des voies renumérotées",
                    _d("2027-09-15"),
                    0,
                ),
            ),
            usages=(
                Usage("Le pompier trouve l'adresse du premier coup dans un nouveau lotissement"),
                Usage("L'agent de l'urbanisme attribue un numéro dans la base commune"),
            ),
        ),
        Spec(
            "P-10",
            "Jalonnement dynamique des parkings du centre-ville",
            "Des panneaux qui indiquent en temps réel les places libres des parkings et des "
            "zones payantes, alimentés par les capteurs de stationnement et les parkings en "
            "ouvrage ; la même information sur le site de la ville.",
            ("Infrastructure", "Données"),
            PLANNED,
            "Adjoint au commerce et au centre-ville",
            SM_DSI_INFRA,
            "Pierre-Yves Quelmer",
            "Direction de l'espace public",
            "Adjoint au commerce et au centre-ville",
            "Saint-Malo Agglomération (mobilités), exploitant des parkings en ouvrage",
            (320_000, 25_000, 35_000, 0),
            _d("2027-03-01"),
            _d("2028-06-30"),
            90,
            ("M2", "S2"),
            "CCDB",
            (
                "Le centre sature l'été mais des places restent libres en périphérie.",
                "Génie civil et dépendance aux données des exploitants.",
                "Aucun gain pour les agents.",
                "Moins de tours pour trouver une place l'été.",
            ),
            milestones=(
                ("Étude de trafic et implantation des panneaux", _d("2027-06-30"), None),
                ("Panneaux en service avant l'été", _d("2028-05-29"), None),
            ),
            risks=(
                (
                    "L'exploitant des parkings en ouvrage ne fournit pas les données en temps réel",
                    2,
                    3,
                    "Clause d'accès aux données dans l'avenant au contrat",
                ),
                (
                    "Surcoût du génie civil",
                    2,
                    2,
                    "Pose coordonnée avec les travaux de voirie",
                ),
            ),
            actions=(
                (
                    COMMUNICATION,
                    "Présentation du projet aux commerçants du centre-ville",
                    _d("2027-05-12"),
                    0,
                ),
            ),
            usages=(
                Usage("L'automobiliste trouve une place sans tourner dans l'intra-muros"),
                Usage("Le visiteur voit les places libres sur le site de la ville avant de partir"),
            ),
        ),
        Spec(
            "P-11",
            "Inclusion numérique : aidants et permanences dans les quartiers",
            "Deux conseillers numériques, des permanences au CCAS, à la médiathèque et dans "
            "les maisons de quartier, et des agents d'accueil formés à accompagner les "
            "démarches (Aidants Connect).",
            ("Inclusion numérique",),
            RUNNING,
            "Adjointe aux solidarités",
            SM_DSI_PROJECTS,
            "Gwenola Bon-Secours",
            "CCAS",
            "Adjointe aux solidarités",
            "CCAS, médiathèque, France services, Aidants Connect",
            (90_000, 45_000, 0, 0),
            _d("2025-09-01"),
            _d("2027-08-31"),
            40,  # the services' time: the advisors themselves are paid from the budget
            ("M1", "M5"),
            "BABA",
            (
                "Un habitant sur cinq dit renoncer à une démarche en ligne (enquête du CCAS).",
                "Dispositif national, postes cofinancés par l'État pendant deux ans.",
                "Les agents d'accueil savent accompagner sans faire à la place.",
                "Les habitants éloignés du numérique ne sont pas laissés de côté.",
            ),
            milestones=(
                ("Recrutement des deux conseillers numériques", _d("2025-11-28"), _d("2025-12-15")),
                (
                    "Permanences dans les quatre maisons de quartier",
                    _d("2026-03-31"),
                    _d("2026-05-04"),
                ),
                ("Bilan et pérennisation des postes", _d("2027-06-30"), None),
            ),
            risks=(
                (
                    "Fin du cofinancement de l'État des postes de conseillers",
                    3,
                    3,
                    "Demande de cofinancement à l'agglomération et au département",
                ),
                (
                    "Permanences peu connues",
                    2,
                    2,
                    "Relais par les travailleurs sociaux et les associations",
                ),
            ),
            actions=(
                (TRAINING, "Aidants Connect pour les agents d'accueil", _d("2026-02-09"), 100),
                (
                    COMMUNICATION,
                    "Calendrier des permanences dans les boîtes aux lettres",
                    _d("2026-04-15"),
                    100,
                ),
                (
                    WORKSHOP,
                    "Ateliers « premiers pas sur le smartphone » à la médiathèque",
                    _d("2026-10-07"),
                    60,
                ),
            ),
            usages=(
                Usage(
                    "L'habitant éloigné du numérique fait sa démarche en ligne accompagné par "
                    "un aidant"
                ),
                Usage("La personne âgée prend seule un rendez-vous en ligne après trois ateliers"),
            ),
        ),
        Spec(
            "P-12",
            "Parapheur électronique et circuit des délibérations",
            "Signature électronique des arrêtés, des bons de commande et des délibérations, "
            "télétransmission au contrôle de légalité et publication des actes en ligne.",
            ("Outils des agents",),
            DONE,
            "DGS",
            SM_DSI_DATA,
            "Hélène Courtoisville",
            "Secrétariat général",
            SM_ADMIN,
            "Mégalis Bretagne",
            (30_000, 5_000, 22_000, 2_000),
            _d("2024-09-02"),
            _d("2025-06-27"),
            70,
            ("M4", "S3"),
            "BAAC",
            (
                "Trois semaines en moyenne pour faire signer un arrêté.",
                "Solution mutualisée de Mégalis Bretagne, déjà utilisée par d'autres villes.",
                "Fin des parapheurs papier qui circulent entre les bâtiments.",
                "Actes publiés plus vite en ligne.",
            ),
            milestones=(
                ("Parapheur en service pour les arrêtés", _d("2024-12-13"), _d("2024-12-09")),
                ("Délibérations signées et télétransmises", _d("2025-06-27"), _d("2025-07-11")),
            ),
            risks=(
                (
                    "Élus sans certificat de signature",
                    2,
                    2,
                    "Certificats remis en séance du conseil",
                ),
            ),
            actions=(
                (TRAINING, "Signer dans le parapheur (élus et directeurs)", _d("2025-01-20"), 100),
            ),
            usages=(
                Usage("L'élu signe un arrêté depuis sa tablette"),
                Usage("L'habitant lit la délibération en ligne le lendemain du conseil"),
            ),
        ),
        Spec(
            "P-13",
            "Jumeau numérique du littoral face à la submersion marine",
            "Modéliser les digues, le Sillon et les quartiers bas pour simuler tempêtes et "
            "grandes marées, et préparer le plan communal de sauvegarde. Idée proposée après "
            "la tempête de l'hiver 2025 ; pas encore évaluée.",
            ("Données", "Infrastructure"),
            IDEA,
            "Conseillère déléguée au littoral",
            SM_DSI_DATA,
            "Pierre-Yves Quelmer",
            "Direction de l'espace public",
            "Conseillère déléguée au littoral",
            "Saint-Malo Agglomération, Cerema, université de Rennes",
            (250_000, 20_000, 0, 0),
            _d("2028-01-03"),
            _d("2029-06-29"),
            80,
            ("M6", "S2"),
            milestones=(
                ("Note d'opportunité au bureau municipal", _d("2027-03-31"), None),
                ("Étude de faisabilité avec le Cerema", _d("2028-06-30"), None),
            ),
            risks=(
                (
                    "Données topographiques et bathymétriques incomplètes",
                    2,
                    3,
                    "Partenariat avec le Cerema et le SHOM",
                ),
            ),
            usages=(
                Usage(
                    "L'agent d'astreinte voit les rues à évacuer avant une grande marée de tempête"
                ),
            ),
        ),
        Spec(
            "P-14",
            "Téléphonie sur IP des sites municipaux",
            "Remplacer les autocommutateurs des quarante sites par une téléphonie sur IP avec "
            "standard et centre de contact intégrés. Suspendu dans l'attente du marché "
            "mutualisé de l'agglomération.",
            ("Infrastructure", "Outils des agents"),
            SUSPENDED,
            "DGS",
            SM_DSI_INFRA,
            "Maëlle Rochebonne",
            "Direction du numérique",
            SM_ADMIN,
            "Saint-Malo Agglomération",
            (110_000, 18_000, 8_000, 30_000),
            _d("2025-04-01"),
            _d("2027-06-30"),
            70,
            ("M4", "S5"),
            "CCBB",
            (
                "Autocommutateurs en fin de support en 2028.",
                "Dépend du calendrier du marché de l'agglomération.",
                "Joignable sur son poste où que l'on travaille.",
                "Appels transférés sans raccrocher, temps d'attente annoncé.",
            ),
            milestones=(
                ("Audit des installations téléphoniques", _d("2025-06-30"), _d("2025-07-04")),
                ("Décision sur le marché mutualisé", _d("2026-09-30"), None),
            ),
            risks=(
                (
                    "Fin de support des autocommutateurs avant la reprise du projet",
                    2,
                    3,
                    "Contrat de maintenance prolongé de deux ans",
                ),
            ),
            usages=(
                Usage(
                    "L'agent d'accueil transfère un appel au bon service sans que l'habitant "
                    "rappelle"
                ),
            ),
        ),
        Spec(
            "P-15",
            "Suite collaborative et messagerie souveraines",
            "Remplacer la messagerie et la bureautique sous licence par une suite hébergée en "
            "France (messagerie, agenda, documents partagés, visioconférence) pour les 900 "
            "agents. À l'étude : risques et bénéfices pour les usagers pas encore évalués.",
            ("Outils des agents", "Infrastructure"),
            STUDY,
            "DGS",
            SM_DSI_INFRA,
            "Hélène Courtoisville",
            "Direction du numérique",
            SM_NUMERIQUE,
            "Mégalis Bretagne",
            (140_000, 60_000, 10_000, 55_000),
            _d("2027-09-01"),
            _d("2028-12-15"),
            180,
            ("M4", "S3"),
            "B.A.",
            (
                "Hausse annoncée de 30 % des licences au renouvellement de 2028.",
                "",
                "Des documents partagés au lieu des pièces jointes.",
                "",
            ),
            depends_on=("P-01",),
            milestones=(
                ("Étude comparative et pilote avec deux services", _d("2027-06-30"), None),
                ("Toutes les messageries migrées", _d("2028-10-27"), None),
            ),
            risks=(
                (
                    "Rejet par les agents habitués à leurs outils",
                    3,
                    2,
                    "Pilote avec des volontaires, ambassadeurs dans chaque direction",
                ),
                (
                    "Interopérabilité avec les logiciels métier",
                    2,
                    2,
                    "Tests des modèles de courrier dès le pilote",
                ),
            ),
            actions=(
                (
                    WORKSHOP,
                    "Pilote avec la direction des finances et la communication",
                    _d("2027-05-17"),
                    0,
                ),
            ),
            usages=(
                Usage("L'agent coédite un document avec un collègue sans l'envoyer par courriel"),
            ),
        ),
    ),
)

# --- Saint-Malo Agglomération ------------------------------------------------------------------

AGGLO_DSI, AGGLO_SIG = "Katell Guimorais", "Gaëlle Rance"
AGGLO_NUMERIQUE = "Vice-président au numérique et à la mutualisation"

EPCI_PORTFOLIO = Portfolio(
    "epci",
    "l'agglomération",
    (
        (MANDAT, "M1", "Des services publics proches dans toutes les communes"),
        (MANDAT, "M2", "Des mobilités durables pour tous"),
        (MANDAT, "M3", "Réduire et mieux valoriser les déchets"),
        (MANDAT, "M4", "Mutualiser pour mieux dépenser"),
        (SDN, "S1", "Socle d'identité et sécurité mutualisés"),
        (SDN, "S2", "Données de référence du territoire"),
        (SDN, "S3", "Infrastructure partagée avec les communes"),
        (SDN, "S4", "Services numériques accessibles"),
    ),
    (
        Spec(
            "P-01",
            "Hébergement et sauvegarde mutualisés pour les communes",
            "Un hébergement commun (deux salles répliquées) et des sauvegardes externalisées "
            "pour l'agglomération et les communes qui le souhaitent ; les petites communes "
            "abandonnent leur serveur de mairie.",
            ("Infrastructure",),
            RUNNING,
            AGGLO_NUMERIQUE,
            AGGLO_DSI,
            "Ronan Du Verger",
            "Direction du numérique mutualisée",
            AGGLO_NUMERIQUE,
            "Mégalis Bretagne, communes membres",
            (260_000, 40_000, 20_000, 75_000),
            _d("2025-09-01"),
            _d("2027-06-30"),
            180,
            ("M4", "S1", "S3"),
            "BBBC",
            (
                "Douze communes sauvegardent sur un disque USB, sans copie hors du bâtiment.",
                "Technologies connues, migration commune par commune.",
                "Fin des pannes de serveur de mairie sans secours.",
                "Des services plus disponibles, peu visible des habitants.",
            ),
            milestones=(
                ("Seconde salle opérationnelle", _d("2026-03-31"), _d("2026-04-17")),
                ("Cinq premières communes migrées", _d("2026-09-30"), _d("2026-10-23")),
                ("Toutes les communes volontaires migrées", _d("2027-06-30"), None),
            ),
            risks=(
                (
                    "Liaisons trop lentes pour les communes rurales",
                    2,
                    2,
                    "Raccordement à la fibre du réseau d'initiative publique",
                ),
                (
                    "Communes qui ne signent pas la convention",
                    2,
                    2,
                    "Tarif dégressif et présentation en conseil municipal",
                ),
            ),
            actions=(
                (COMMUNICATION, "Présentation aux secrétaires de mairie", _d("2025-10-14"), 100),
                (TRAINING, "Restaurer un fichier soi-même", _d("2026-11-26"), 30),
            ),
            usages=(
                Usage(
                    "La secrétaire de mairie restaure un fichier effacé sans appeler de prestataire"
                ),
                Usage("La commune redémarre ses logiciels dans la journée après un sinistre"),
            ),
        ),
        Spec(
            "P-02",
            "Application déchets : jours de collecte, badge de déchèterie et bacs non collectés",
            "Le calendrier de collecte à l'adresse, un rappel la veille, le badge de "
            "déchèterie sur le téléphone et le signalement des bacs non collectés ou abîmés, "
            "reliés au logiciel de gestion des bacs.",
            ("Relation usager",),
            PLANNED,
            "Vice-présidente à la prévention et à la gestion des déchets",
            AGGLO_DSI,
            "Sterenn Mont-Garrot",
            "Direction des déchets",
            "Vice-présidente à la prévention et à la gestion des déchets",
            "Prestataire de collecte, éditeur du logiciel de gestion des bacs",
            (90_000, 18_000, 28_000, 0),
            _d("2027-01-04"),
            _d("2027-12-17"),
            90,
            ("M1", "M3", "S4"),
            "CBBA",
            (
                "Le standard reçoit 400 appels par mois sur les jours de collecte.",
                "Solution du marché ; adresses à fiabiliser (P-04).",
                "Moins d'appels au standard et de bacs signalés par téléphone.",
                "Le bon jour de collecte, la veille, sur son téléphone.",
            ),
            depends_on=("P-04",),
            milestones=(
                ("Marché attribué", _d("2027-03-31"), None),
                ("Application publiée", _d("2027-10-29"), None),
            ),
            risks=(
                (
                    "Adresses du fichier des bacs incomplètes",
                    3,
                    2,
                    "Rapprochement avec la base adresse mutualisée (P-04)",
                ),
            ),
            actions=(
                (
                    COMMUNICATION,
                    "Autocollant sur les bacs et calendrier 2028 dans les boîtes aux lettres",
                    _d("2027-11-15"),
                    0,
                ),
            ),
            usages=(
                Usage("L'habitant connaît son jour de collecte et reçoit un rappel la veille"),
                Usage("L'usager signale un bac non collecté depuis son téléphone"),
            ),
        ),
        Spec(
            "P-03",
            "Portail intercommunal de la relation usagers",
            "Un point d'entrée unique pour les services de l'agglomération (eau, déchets, "
            "transport, habitat) et des communes qui le souhaitent, avec un compte usager "
            "commun. À l'étude, pas encore évalué.",
            ("Relation usager",),
            STUDY,
            "Président de l'agglomération",
            AGGLO_DSI,
            "Ronan Du Verger",
            "Direction du numérique mutualisée",
            AGGLO_NUMERIQUE,
            "Communes membres, Mégalis Bretagne",
            (180_000, 35_000, 45_000, 10_000),
            _d("2027-09-01"),
            _d("2028-12-15"),
            150,
            ("M1", "S1", "S4"),
            depends_on=("P-01", "P-04"),
            milestones=(
                ("Étude d'opportunité avec les communes", _d("2027-03-31"), None),
                ("Choix de la solution", _d("2027-12-17"), None),
            ),
            risks=(
                (
                    "Communes attachées à leur propre site",
                    2,
                    2,
                    "Portail en marque blanche aux couleurs de chaque commune",
                ),
            ),
            usages=(
                Usage(
                    "L'habitant fait ses démarches en ligne, quelle que soit sa commune",
                    VOLUME,
                    ONLINE,
                    as_share=True,
                    target=0.65,
                    target_on=_d("2028-12-31"),
                    measured_from=_d("2025-01-01"),
                ),
                Usage("L'usager n'a qu'un compte pour l'eau, les déchets et le transport"),
            ),
        ),
        Spec(
            "P-04",
            "SIG intercommunal et base adresse mutualisée",
            "Un système d'information géographique commun (cadastre, réseaux, PLUi) et une "
            "base adresse locale tenue pour les communes qui n'ont pas les moyens de le faire.",
            ("Données",),
            RUNNING,
            "Vice-président à l'aménagement et au PLUi",
            AGGLO_SIG,
            "Armel Bellevue",
            "Service SIG",
            "Vice-président à l'aménagement et au PLUi",
            "IGN, Mégalis Bretagne",
            (120_000, 20_000, 30_000, 12_000),
            _d("2025-03-03"),
            _d("2026-09-30"),
            130,
            ("M4", "S2"),
            "BBAB",
            (
                "Chaque commune a ses plans et ses adresses ; aucun n'est à jour partout.",
                "Outils connus ; une seule géomaticienne.",
                "Secrétaires de mairie et services techniques sur les mêmes plans.",
                "Des adresses justes pour les secours, les livraisons et la fibre.",
            ),
            milestones=(
                ("Cadastre et PLUi dans le SIG", _d("2025-09-30"), _d("2025-10-10")),
                ("Adresses des petites communes certifiées", _d("2026-06-30"), None),
                ("SIG ouvert aux secrétaires de mairie", _d("2026-09-30"), None),
            ),
            risks=(
                (
                    "Départ de la seule géomaticienne",
                    2,
                    3,
                    "Documentation et binôme avec Mégalis Bretagne",
                ),
                (
                    "Charge des secrétaires de mairie pour vérifier les adresses",
                    3,
                    2,
                    "Vérification sur le terrain par l'équipe SIG",
                ),
            ),
            actions=(
                (
                    TRAINING,
                    "Consulter le cadastre et le PLUi dans le SIG (secrétaires de mairie)",
                    _d("2026-11-05"),
                    20,
                ),
            ),
            usages=(
                Usage(
                    "La secrétaire de mairie répond à un notaire avec le plan cadastral et le PLUi"
                ),
                Usage("Les secours trouvent chaque adresse du territoire"),
            ),
        ),
        Spec(
            "P-05",
            "Billettique et information voyageurs en temps réel du réseau de bus",
            "Paiement par carte bancaire à bord, titres sur la carte KorriGo et horaires en "
            "temps réel aux arrêts et dans l'application du réseau.",
            ("Relation usager", "Infrastructure"),
            PLANNED,
            "Vice-président aux mobilités",
            AGGLO_DSI,
            "Mathieu Chevrets",
            "Direction des mobilités",
            "Vice-président aux mobilités",
            "Région Bretagne (KorriGo), délégataire du réseau de bus",
            (380_000, 45_000, 60_000, 0),
            _d("2027-06-01"),
            _d("2029-03-30"),
            110,
            ("M2", "S4"),
            "CCBA",
            (
                "Les valideurs actuels sont maintenus jusqu'en 2030.",
                "Projet long, plusieurs acteurs (région, délégataire).",
                "Moins de vente à bord pour les conducteurs.",
                "Payer avec sa carte bancaire et savoir quand passe le bus.",
            ),
            milestones=(
                ("Convention avec la région pour KorriGo", _d("2027-06-01"), None),
                ("Paiement par carte bancaire à bord", _d("2028-06-30"), None),
                ("Temps réel aux arrêts", _d("2029-03-30"), None),
            ),
            risks=(
                (
                    "Calendrier de la région pour la nouvelle génération de KorriGo",
                    2,
                    3,
                    "Lot temps réel indépendant de la billettique",
                ),
                (
                    "Coût du matériel embarqué sous-estimé",
                    2,
                    2,
                    "Étude détaillée avant le marché",
                ),
            ),
            actions=(
                (COMMUNICATION, "Campagne « Montez, payez sans contact »", _d("2028-06-15"), 0),
            ),
            usages=(
                Usage("Le voyageur paie son trajet avec sa carte bancaire en montant"),
                Usage("La voyageuse voit à l'arrêt quand passe le prochain bus"),
            ),
        ),
        Spec(
            "P-06",
            "Ouverture des données du territoire",
            "Les données publiques de l'agglomération et des communes volontaires publiées "
            "sur data.gouv.fr (horaires, équipements, collectes, délibérations) et mises à jour "
            "automatiquement.",
            ("Données",),
            DONE,
            AGGLO_NUMERIQUE,
            AGGLO_SIG,
            "Ronan Du Verger",
            "Direction du numérique mutualisée",
            AGGLO_NUMERIQUE,
            "data.gouv.fr, communes membres",
            (25_000, 4_000, 0, 0),
            _d("2024-10-01"),
            _d("2025-09-30"),
            60,
            ("M4", "S2"),
            "ABCB",
            (
                "Ouverture par défaut obligatoire (loi pour une République numérique).",
                "Plateforme nationale, peu de développement.",
                "Moins de demandes de fichiers à envoyer à la main.",
                "Des données à jour pour les habitants et les réutilisateurs.",
            ),
            mandatory=True,
            milestones=(
                ("Premiers jeux de données publiés", _d("2025-01-31"), _d("2025-02-14")),
                ("Mise à jour automatique", _d("2025-09-30"), _d("2025-10-06")),
            ),
            risks=(
                (
                    "Données personnelles publiées par erreur",
                    1,
                    3,
                    "Relecture systématique avant la première publication",
                ),
            ),
            actions=(
                (WORKSHOP, "Inventaire des données avec les services", _d("2024-11-20"), 100),
            ),
            usages=(
                Usage("Le réutilisateur télécharge sur data.gouv.fr les horaires du réseau à jour"),
            ),
        ),
    ),
)

# --- Cancale -----------------------------------------------------------------------------------

CANCALE_IT = "Ronan Du Verger (direction du numérique de l'agglomération)"
CANCALE_SG = "Pierrick Port-Mer"

CANCALE_PORTFOLIO = Portfolio(
    CANCALE,
    "Cancale",
    (
        (MANDAT, "M1", "Une mairie proche et accessible"),
        (MANDAT, "M2", "Préserver le port, la baie et le littoral"),
        (MANDAT, "M3", "Faire vivre les associations et la vie locale"),
        (SDN, "S1", "Sécurité et sauvegardes"),
        (SDN, "S2", "Des démarches en ligne simples"),
    ),
    (
        Spec(
            "P-01",
            "Dématérialisation des autorisations d'urbanisme (obligation légale)",
            "Dépôt en ligne des permis et déclarations préalables, instruction par le service "
            "commun de l'agglomération, fin des dossiers papier entre la mairie et le service "
            "instructeur. Obligatoire pour les communes de plus de 3 500 habitants.",
            ("Relation usager", "Outils des agents"),
            RUNNING,
            "Adjoint à l'urbanisme",
            CANCALE_IT,
            CANCALE_SG,
            "Secrétariat de mairie",
            "Adjoint à l'urbanisme",
            "Service commun ADS de Saint-Malo Agglomération, Mégalis Bretagne",
            (18_000, 4_000, 6_000, 0),
            _d("2025-01-06"),
            _d("2026-03-31"),
            40,
            ("M1", "S2"),
            "ABBB",
            (
                "Obligation légale depuis 2022 ; la mairie reçoit encore des dossiers papier.",
                "Outil du service commun, déjà utilisé par d'autres communes.",
                "Plus de photocopies ni de navettes de dossiers.",
                "Dépôt en ligne à toute heure.",
            ),
            mandatory=True,
            milestones=(
                ("Guichet en ligne ouvert", _d("2025-06-30"), _d("2025-09-15")),
                ("Fin des dossiers papier avec le service instructeur", _d("2026-03-31"), None),
            ),
            risks=(
                (
                    "Secrétariat de mairie en sous-effectif",
                    3,
                    2,
                    "Appui du service commun pendant trois mois",
                ),
            ),
            actions=(
                (TRAINING, "Recevoir un dossier numérique au guichet", _d("2025-09-22"), 100),
            ),
            usages=(
                Usage("Le pétitionnaire dépose sa déclaration préalable en ligne"),
                Usage("L'agent d'accueil transmet le dossier au service instructeur sans papier"),
            ),
        ),
        Spec(
            "P-02",
            "Nouveau site internet accessible avec démarches en ligne",
            "Un site refait, conforme au RGAA, avec les démarches courantes en ligne (salles, "
            "état civil, signalements) et l'agenda des associations.",
            ("Relation usager", "Inclusion numérique"),
            RUNNING,
            "Maire",
            CANCALE_IT,
            "Élodie Rimains",
            "Secrétariat de mairie",
            "Adjointe à la communication et à la vie associative",
            "Mégalis Bretagne (offre de sites mutualisée)",
            (35_000, 5_000, 8_000, 2_000),
            _d("2026-09-01"),
            _d("2027-06-30"),
            45,
            ("M1", "M3", "S2"),
            "BACA",
            (
                "Site de 2014, ni accessible ni lisible sur téléphone.",
                "Offre mutualisée déjà choisie par d'autres communes.",
                "Peu de gains pour l'accueil.",
                "Les démarches courantes en ligne, l'agenda des associations à jour.",
            ),
            milestones=(
                ("Arborescence validée avec des habitants", _d("2026-10-30"), _d("2026-10-28")),
                ("Mise en ligne", _d("2027-06-30"), None),
            ),
            risks=(
                (
                    "Contenus non mis à jour faute de temps",
                    2,
                    2,
                    "Un rédacteur désigné dans chaque association",
                ),
            ),
            actions=(
                (
                    WORKSHOP,
                    "Atelier avec les associations sur l'agenda partagé",
                    _d("2027-02-10"),
                    0,
                ),
            ),
            usages=(
                Usage("L'association publie elle-même son événement dans l'agenda de la commune"),
                Usage("L'habitant réserve la salle polyvalente en ligne"),
            ),
        ),
        Spec(
            "P-03",
            "Signalements en ligne et suivi par les services techniques",
            "Les signalements du site et de l'application arrivent aux services techniques, "
            "qui les suivent sur une tablette et préviennent l'habitant à la clôture.",
            ("Relation usager", "Outils des agents"),
            STUDY,
            "Adjoint aux travaux",
            CANCALE_IT,
            "Armelle Du Hock",
            "Services techniques",
            "Adjoint aux travaux",
            "Saint-Malo Agglomération (GRU mutualisée)",
            (12_000, 3_000, 5_000, 0),
            _d("2027-04-01"),
            _d("2027-12-17"),
            30,
            ("M1", "M2", "S2"),
            "CBAB",
            (
                "Les signalements arrivent par courriel et se perdent l'été.",
                "Outil de l'agglomération ; une seule équipe technique.",
                "L'équipe voit ses interventions sur la tablette, sans papier.",
                "L'habitant sait que son signalement est traité.",
            ),
            depends_on=("P-02",),
            milestones=(
                (
                    "Choix entre la GRU de l'agglomération et un outil propre",
                    _d("2027-03-31"),
                    None,
                ),
                ("Mise en service à l'automne", _d("2027-10-15"), None),
            ),
            risks=(
                (
                    "Une seule équipe technique, peu disponible l'été",
                    3,
                    2,
                    "Mise en service à l'automne, hors saison",
                ),
            ),
            usages=(
                Usage(
                    "La demande de l'habitant est traitée dans le délai annoncé",
                    ON_TIME,
                    target=0.80,
                    target_on=_d("2027-12-31"),
                    measured_from=_d("2025-01-01"),
                ),
                Usage("L'agent technique clôt le signalement depuis le terrain"),
            ),
        ),
        Spec(
            "P-04",
            "Sauvegarde externalisée et double authentification",
            "Après l'hameçonnage de la messagerie de la mairie en 2024 : une sauvegarde "
            "quotidienne hors site sur l'hébergement mutualisé de l'agglomération et la double "
            "authentification pour les élus et les agents.",
            ("Infrastructure",),
            DONE,
            "Maire",
            CANCALE_IT,
            CANCALE_SG,
            "Secrétariat de mairie",
            "Maire",
            "Saint-Malo Agglomération (hébergement mutualisé)",
            (9_000, 2_500, 0, 1_500),
            _d("2025-02-03"),
            _d("2025-09-30"),
            20,
            ("S1",),
            "AACD",
            (
                "Attaque de 2024 : aucune sauvegarde hors de la mairie.",
                "Service de l'agglomération, rien à développer.",
                "Un code de plus à la connexion.",
                "Aucun changement visible pour les habitants.",
            ),
            milestones=(
                ("Sauvegardes hors site quotidiennes", _d("2025-05-30"), _d("2025-05-23")),
                ("Double authentification pour tous", _d("2025-09-30"), _d("2025-10-14")),
            ),
            risks=(
                (
                    "Perte du second facteur par un élu",
                    2,
                    1,
                    "Codes de secours remis sous pli",
                ),
            ),
            actions=((TRAINING, "Reconnaître un courriel d'hameçonnage", _d("2025-06-12"), 100),),
            usages=(Usage("L'élu se connecte à sa messagerie avec la double authentification"),),
        ),
    ),
)

PORTFOLIOS = (EPCI_PORTFOLIO, SAINT_MALO_PORTFOLIO, CANCALE_PORTFOLIO)


# --- yearly costs and budgets ------------------------------------------------------------------


def _overlap(first: date, last: date, year: int) -> int:
    """Days of [first, last] in `year`."""
    start, end = max(first, date(year, 1, 1)), min(last, date(year, 12, 31))
    return max(0, (end - start).days + 1)


def year_lines(spec: Spec) -> dict[int, tuple[Decimal, int]]:
    """What the project asks for each year of `YEARS` it runs: its investment spread over the
    build period by days, then its running cost once in service; staff-days likewise
    (`staff_days` a year while building, `RUN_STAFF_DAYS` after)."""
    investment, running = spec.money[0], spec.money[1]
    build_days = (spec.end - spec.start).days + 1
    in_service = spec.end + timedelta(days=1)
    lines = {}
    for year in YEARS:
        days = 366 if year % 4 == 0 else 365
        built = _overlap(spec.start, spec.end, year)
        run = _overlap(in_service, date(max(YEARS), 12, 31), year)
        cost = investment * built / build_days + running * run / days
        staff = (spec.staff_days * built + RUN_STAFF_DAYS * run) / days
        if built or run:
            lines[year] = (Decimal(round(cost)), max(MIN_STAFF_DAYS, round(staff)))
    return lines


def _round_up(amount: float, step: int) -> int:
    return max(step, math.ceil(amount / step) * step)


def budgets(
    specs: tuple[Spec, ...], rng: random.Random
) -> dict[int, tuple[Decimal, int, Decimal, int]]:
    """Per year: the budget and the staff capacity, then what the open projects ask for. What
    is committed (projects in progress, mandatory ones) is covered; of what the other open
    projects ask for, only `NEW_SHARE` of the money and `NEW_STAFF_SHARE` of the staff-days
    (drawn per tenant and year)."""
    cost, staff = dict.fromkeys(YEARS, 0.0), dict.fromkeys(YEARS, 0)
    committed_cost, committed_staff = dict.fromkeys(YEARS, 0.0), dict.fromkeys(YEARS, 0)
    for spec in specs:
        if spec.status not in OPEN_STATUSES:
            continue
        committed = spec.mandatory or spec.status == RUNNING
        for year, (year_cost, year_staff) in year_lines(spec).items():
            cost[year] += float(year_cost)
            staff[year] += year_staff
            if committed:
                committed_cost[year] += float(year_cost)
                committed_staff[year] += year_staff
    out = {}
    for year in YEARS:
        share, staff_share = rng.uniform(*NEW_SHARE), rng.uniform(*NEW_STAFF_SHARE)
        budget = committed_cost[year] + share * (cost[year] - committed_cost[year])
        capacity = committed_staff[year] + staff_share * (staff[year] - committed_staff[year])
        out[year] = (
            Decimal(_round_up(budget, 5_000 if budget >= 100_000 else 1_000)),
            _round_up(capacity, 10 if capacity >= 150 else 5),
            Decimal(round(cost[year])),
            staff[year],
        )
    return out


# --- loading -----------------------------------------------------------------------------------


def _sync_children(
    model: type[models.Model], project: Project, key: str, rows: list[dict[str, object]]
) -> None:
    """The project's rows of `model` are exactly `rows` (matched on `key`)."""
    keys = [row[key] for row in rows]
    for row in rows:
        values = dict(row)
        model.objects.update_or_create(  # type: ignore[attr-defined]
            project=project, **{key: values.pop(key)}, defaults=values
        )
    model.objects.filter(project=project).exclude(  # type: ignore[attr-defined]
        **{f"{key}__in": keys}
    ).delete()


def _marks(spec: Spec) -> tuple[dict[str, str], dict[str, str]]:
    marks, notes = {}, {}
    for i, (axis, mark) in enumerate(zip(MARKED_AXES, spec.marks, strict=False)):
        if mark == ".":
            continue
        marks[axis] = mark
        if i < len(spec.notes) and spec.notes[i]:
            notes[axis] = spec.notes[i]
    return marks, notes


@transaction.atomic
def load_portfolio(tenant: Tenant, portfolio: Portfolio, rng: random.Random) -> dict[str, int]:
    """Create or refresh the tenant's portfolio; return counts."""
    objectives = {}
    for plan, code, title in portfolio.objectives:
        objective, _ = PlanObjective.objects.update_or_create(
            tenant=tenant, plan=plan, code=code, defaults={"title": title}
        )
        objectives[code] = objective
    projects: dict[str, Project] = {}
    for spec in portfolio.projects:
        investment, running, business, it = spec.money
        marks, notes = _marks(spec)
        project, _ = Project.objects.update_or_create(
            tenant=tenant,
            number=spec.number,
            defaults={
                "title": spec.title,
                "description": spec.description,
                "categories": list(spec.categories),
                "status": spec.status,
                "sponsor": spec.sponsor,
                "it_lead": spec.it_lead,
                "business_lead": spec.business_lead,
                "lead_service": spec.lead_service,
                "referent_elected": spec.referent_elected,
                "partners": spec.partners,
                "investment": Decimal(investment),
                "running_cost": Decimal(running),
                "business_gains": Decimal(business),
                "it_gains": Decimal(it),
                "start": spec.start,
                "end": spec.end,
                "mandatory": spec.mandatory,
                "value_marks": marks,
                "value_notes": notes,
            },
        )
        project.objectives.set([objectives[code] for code in spec.objectives])
        projects[spec.number] = project
        lines = year_lines(spec) if spec.status in OPEN_STATUSES else {}
        for year, (cost, staff) in lines.items():
            ProjectYear.objects.update_or_create(
                project=project, year=year, defaults={"cost": cost, "staff_days": staff}
            )
        ProjectYear.objects.filter(project=project).exclude(year__in=list(lines)).delete()
        _sync_children(
            Milestone,
            project,
            "title",
            [{"title": t, "planned_on": p, "done_on": d} for t, p, d in spec.milestones],
        )
        _sync_children(
            Risk,
            project,
            "title",
            [
                {"title": t, "likelihood": lk, "impact": im, "mitigation": m}
                for t, lk, im, m in spec.risks
            ],
        )
        _sync_children(
            ChangeAction,
            project,
            "title",
            [
                {"title": t, "kind": k, "planned_on": p, "progress": pr}
                for k, t, p, pr in spec.actions
            ],
        )
        _sync_children(
            TargetUsage,
            project,
            "sentence",
            [
                {
                    "sentence": u.sentence,
                    "metric": u.metric,
                    "filters": dict(u.filters),
                    "as_share": u.as_share,
                    "target": u.target,
                    "target_on": u.target_on,
                    "measured_from": u.measured_from,
                }
                for u in spec.usages
            ],
        )
    for spec in portfolio.projects:
        projects[spec.number].depends_on.set([projects[n] for n in spec.depends_on])
    yearly = budgets(portfolio.projects, rng)
    for year, (budget, capacity, _cost, _staff) in yearly.items():
        YearBudget.objects.update_or_create(
            tenant=tenant, year=year, defaults={"budget": budget, "staff_days": capacity}
        )
    return {
        "projects": len(projects),
        "objectives": len(objectives),
        "usages": sum(len(s.usages) for s in portfolio.projects),
        "budget": int(sum(b for b, _c, _d, _s in yearly.values())),
        "demand": int(sum(d for _b, _c, d, _s in yearly.values())),
    }


@register
class PortfolioGenerator(DemoGenerator):
    name = NAME
    order = 40  # after the org charts (10), the requests (20–22) and the parking (30)

    def write(self, territory: Territory) -> list[Path]:
        return []  # rows only: a portfolio is entered in Pilotis, not exported by a program

    def load(self, territory: Territory, paths: list[Path]) -> str:
        rng = territory.rng("portfolio")
        by_code = {tenant.code: tenant for tenant in territory.communes}
        parts, objectives, usages, budget, demand = [], 0, 0, 0, 0
        for portfolio in PORTFOLIOS:
            tenant = territory.epci if portfolio.tenant == "epci" else by_code.get(portfolio.tenant)
            if tenant is None:
                continue
            counts = load_portfolio(tenant, portfolio, rng)
            parts.append(f"{counts['projects']} à {portfolio.label}")
            objectives += counts["objectives"]
            usages += counts["usages"]
            budget += counts["budget"]
            demand += counts["demand"]
        share = round(100 * budget / demand) if demand else 0
        return (
            f"projets numériques : {', '.join(parts)} ; {objectives} objectifs, {usages} "
            f"usages visés ; budgets {YEARS[0]}–{YEARS[-1]} à {share} % de la demande"
        )
