"""The demo territory's citizen requests, before any program exports them.

Three years of requests (150,000 by default) ending at `REFERENCE_DATE`, spread over the member
communes by population (Saint-Malo, a tourist city with a contact centre, weighs more per
inhabitant), then exported by three programs as real ones do — the citizen-relations software's
phone and counter log (`requests_log`), the web-form tool's JSON export (`requests_webform`) and
the mobile app's Open311 server (`requests_mobile`). Generating them once, here, keeps the three
sources consistent (one request is in exactly one source) and the shared statistics in one place.

What makes the data worth looking at on a dashboard, each modelled explicitly:
- volumes: a growth of about 6 % a year, channels shifting from the phone to the mobile app,
  weekday and hour patterns per channel (no phone on Sundays and public holidays, the counter on
  Saturday mornings, the app in the evening and at weekends, noise complaints at night);
- seasons per category: green spaces in spring and summer, dead leaves in autumn, potholes after
  the frost, ice and snow in winter, street lighting when nights are long, noise on summer
  nights, cleanliness, parking and waste in the tourist season of the coastal communes, and the
  electoral rolls before the 2024 and 2026 elections;
- an incident: the storm week that starts on `STORM_START` (fallen trees, roads, street lights)
  and the backlog it leaves;
- delays: log-normal per category, longer in small communes (one technical team) and after the
  storm; a first response for part of the requests, 3 % reopened, some still open (mostly the
  recent ones, and a few forgotten), some overdue against the category's target;
- data traps the pipeline flags (`data_flags`): requests closed before they were made (a closure
  date typed with the wrong year) and duplicates closed within seconds.

Everything is drawn from one seeded random generator: the same seed and communes give the same
requests, byte for byte.
"""

from __future__ import annotations

import math
import random
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from pilotis.referential.calendar import easter, public_holidays  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from pilotis.connectors.models import LoadRun
    from pilotis.tenants.models import Tenant

PARIS = ZoneInfo("Europe/Paris")
# The demo's "today": its requests end that day (inclusive). A fixed date keeps the demo
# deterministic; open requests are open as of the end of this day.
REFERENCE_DATE = date(2026, 10, 31)
YEARS = 3
START_DATE = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - YEARS) + timedelta(days=1)
TOTAL_REQUESTS = 150_000
# A winter storm (modelled on the one that crossed Brittany on 26–27 January 2025).
STORM_START = date(2025, 1, 26)
STORM_DAYS = 8
DUPLICATE_SHARE = 0.005  # of web and mobile requests, sent twice and closed within seconds
CLOSED_BEFORE_REQUESTED = 12  # log requests whose closure date was typed with the wrong year
FORGOTTEN_SHARE = 0.012  # requests nobody ever closed
REOPENED_SHARE = 0.03
FIRST_RESPONSE_SHARE = {"log": 0.5, "web": 0.85, "mobile": 0.8}
# Share of requests with the requester's name, e-mail address and phone number, per channel.
REQUESTER_DATA = {
    "phone": (0.7, 0.08, 0.65),
    "counter": (0.8, 0.1, 0.4),
    "mail": (1.0, 0.0, 0.2),
    "web": (0.95, 1.0, 0.35),
    "email": (0.8, 1.0, 0.1),
    "mobile": (0.3, 0.45, 0.0),
}
T = TypeVar("T")

# Sources and their channels.
LOG, WEB, MOBILE = "log", "web", "mobile"
CHANNEL_SOURCE = {
    "phone": LOG,
    "counter": LOG,
    "mail": LOG,
    "web": WEB,
    "email": WEB,
    "mobile": MOBILE,
}
CHANNELS = tuple(CHANNEL_SOURCE)
# Share of each channel at the start and at the end of the period (linear in between).
CHANNEL_TREND = {
    "phone": (0.37, 0.27),
    "counter": (0.10, 0.08),
    "mail": (0.025, 0.015),
    "web": (0.22, 0.23),
    "email": (0.105, 0.085),
    "mobile": (0.12, 0.25),
}
GROWTH_PER_YEAR = 0.06

MONTHS = 12


@dataclass(frozen=True)
class Topic:
    """One reason people call for, within a category (the "motif" of French software)."""

    motif: str
    weight: float
    objects: tuple[str, ...]
    details: tuple[str, ...] = ()
    season: tuple[float, ...] | None = None  # 12 monthly factors, January first
    storm: bool = False  # only asked for in storms (or a little in winter)
    nights: bool = False  # mostly reported at night (noise)
    located: bool = True  # about a place (an address), or about a person's file
    service_code: str = ""  # the mobile vendor's service code
    ask: bool = False  # asks for something (a collection…) rather than reports a problem
    citizen: tuple[str, ...] = ()  # own templates of what people write, when the usual don't fit
    agent: tuple[str, ...] = ()  # own templates of what agents note


@dataclass(frozen=True)
class Category:
    """A tenant theme (its code is the theme code the org-chart generator creates)."""

    code: str
    label: str  # the theme's label, as the citizen-relations software shows it
    group: str  # the mobile app's group of services
    share: float
    season: tuple[float, ...]
    service_large: str  # org unit in a commune with directions (≥ 10,000 inhabitants)
    service_small: str  # org unit in a small commune (the mairie's two services)
    median_days: float
    sigma: float
    target_days: int  # the expected delay announced to the requester
    affinity: dict[str, float]
    topics: tuple[Topic, ...]
    storm: tuple[float, ...] = ()  # multiplier on each day of the storm week
    tourism: bool = False  # more requests in the coastal communes in summer


_STREET = {"phone": 1.0, "counter": 0.6, "mail": 0.5, "web": 1.0, "email": 0.8, "mobile": 1.3}
CATEGORIES: tuple[Category, ...] = (
    Category(
        "VOIRIE",
        "Voirie et déplacements",
        "Voirie",
        0.20,
        (1.15, 1.35, 1.25, 1.05, 0.95, 0.9, 0.85, 0.8, 0.95, 1.0, 1.05, 1.1),
        "DEP-01",
        "MAIRIE-02",
        7.0,
        1.0,
        21,
        _STREET,
        (
            Topic(
                "Nid de poule",
                3.0,
                (
                    "un nid de poule",
                    "plusieurs nids de poule",
                    "un trou dans la chaussée",
                    "un affaissement de la chaussée",
                ),
                (
                    "dangereux pour les deux-roues",
                    "de plus en plus profond",
                    "qui abîme les voitures",
                    "rempli d'eau dès qu'il pleut",
                ),
                (1.3, 1.8, 1.6, 1.2, 0.9, 0.8, 0.7, 0.7, 0.8, 0.9, 1.0, 1.1),
                service_code="VOI-NDP",
            ),
            Topic(
                "Trottoir dégradé",
                2.0,
                (
                    "un trottoir soulevé par des racines",
                    "des pavés descellés",
                    "une bordure de trottoir cassée",
                    "une dalle qui bouge sur le trottoir",
                ),
                (
                    "risque de chute pour les personnes âgées",
                    "impossible de passer avec une poussette",
                    "ma voisine est déjà tombée",
                ),
                service_code="VOI-TRO",
            ),
            Topic(
                "Signalisation",
                1.5,
                (
                    "un panneau stop arraché",
                    "un panneau de sens interdit tordu",
                    "le marquage du passage piéton effacé",
                    "un feu tricolore en panne",
                ),
                ("c'est dangereux au carrefour", "les voitures ne s'arrêtent plus"),
                service_code="VOI-SIG",
            ),
            Topic(
                "Verglas, neige",
                1.0,
                (
                    "du verglas sur la chaussée",
                    "la rue n'a pas été salée",
                    "de la neige non dégagée sur le trottoir",
                    "une plaque de verglas dans la descente",
                ),
                ("plusieurs personnes ont glissé ce matin", "la côte est impraticable"),
                (2.2, 1.6, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.4, 1.6),
                service_code="VOI-VER",
            ),
            Topic(
                "Chaussée inondée",
                1.0,
                (
                    "une grille d'égout bouchée",
                    "la chaussée inondée",
                    "une énorme flaque qui éclabousse les piétons",
                ),
                ("à chaque averse", "l'eau monte jusqu'aux portes"),
                (1.3, 1.2, 1.0, 0.8, 0.6, 0.5, 0.5, 0.6, 0.8, 1.2, 1.5, 1.4),
                service_code="VOI-EAU",
            ),
            Topic(
                "Obstacle sur la chaussée",
                2.0,
                (
                    "des branches en travers de la route",
                    "des tuiles et des débris sur la chaussée",
                    "un arbre couché sur la route",
                    "la route coupée par des débris",
                ),
                ("depuis la tempête", "les voitures font demi-tour", "c'est très dangereux"),
                storm=True,
                service_code="VOI-OBS",
            ),
        ),
        storm=(2.5, 5.0, 3.5, 2.5, 1.8, 1.4, 1.2, 1.1),
    ),
    Category(
        "PROPRETE",
        "Propreté",
        "Propreté",
        0.20,
        (0.85, 0.8, 0.9, 0.95, 1.0, 1.1, 1.3, 1.35, 1.0, 1.15, 1.2, 0.9),
        "DEP-02",
        "MAIRIE-02",
        1.8,
        0.9,
        5,
        _STREET,
        (
            Topic(
                "Dépôt sauvage",
                3.0,
                (
                    "un dépôt sauvage",
                    "des gravats abandonnés",
                    "un matelas abandonné sur le trottoir",
                    "des sacs poubelle déposés au pied des conteneurs",
                    "un frigo abandonné",
                ),
                ("depuis plusieurs jours", "ça attire les goélands", "c'est inadmissible"),
                service_code="PRO-DEP",
            ),
            Topic(
                "Tags",
                1.5,
                (
                    "des tags sur le mur",
                    "un graffiti sur la façade de l'école",
                    "des tags sur l'abribus",
                    "des affiches collées partout",
                ),
                ("c'est la deuxième fois ce mois-ci", "ils ont été faits cette nuit"),
                service_code="PRO-TAG",
            ),
            Topic(
                "Déjections canines",
                1.0,
                ("des déjections canines", "des crottes de chien partout sur le trottoir"),
                ("devant l'école", "les enfants marchent dedans"),
                service_code="PRO-DEJ",
            ),
            Topic(
                "Corbeille pleine",
                1.5,
                (
                    "une corbeille qui déborde",
                    "les poubelles de la plage pleines",
                    "des déchets autour de la corbeille",
                ),
                ("les goélands éparpillent tout", "depuis le week-end"),
                (0.5, 0.5, 0.6, 0.9, 1.1, 1.5, 2.3, 2.4, 1.1, 0.7, 0.6, 0.6),
                service_code="PRO-COR",
            ),
            Topic(
                "Feuilles mortes",
                1.0,
                (
                    "des feuilles mortes glissantes sur le trottoir",
                    "un tas de feuilles qui bouche le caniveau",
                    "des feuilles partout sur la piste cyclable",
                ),
                ("on glisse dès qu'il pleut", "personne n'est passé cette année"),
                (0.4, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 3.5, 4.5, 1.5),
                service_code="PRO-FEU",
            ),
            Topic(
                "Verre brisé",
                0.8,
                ("du verre brisé sur la chaussée", "des bouteilles cassées près du banc"),
                ("après la soirée d'hier", "dangereux pour les chiens"),
                (0.7, 0.6, 0.7, 0.9, 1.1, 1.3, 1.6, 1.6, 1.0, 0.8, 0.7, 0.9),
                service_code="PRO-VER",
            ),
        ),
        storm=(1.0, 1.8, 1.6, 1.3, 1.1, 1.0, 1.0, 1.0),
        tourism=True,
    ),
    Category(
        "ESPACES-VERTS",
        "Espaces verts et nature en ville",
        "Espaces verts",
        0.11,
        (0.4, 0.45, 0.8, 1.3, 1.75, 1.85, 1.7, 1.35, 1.05, 0.75, 0.5, 0.4),
        "DEP-03",
        "MAIRIE-02",
        9.0,
        0.95,
        30,
        _STREET,
        (
            Topic(
                "Tonte",
                2.5,
                (
                    "l'herbe très haute",
                    "la pelouse pas tondue depuis des semaines",
                    "des herbes hautes le long du chemin",
                ),
                ("on ne voit plus les enfants jouer", "il y a des tiques"),
                (0.0, 0.0, 0.4, 1.3, 2.2, 2.3, 1.8, 1.2, 0.9, 0.3, 0.0, 0.0),
                service_code="EV-TON",
            ),
            Topic(
                "Taille de haie",
                1.5,
                (
                    "une haie qui déborde sur le trottoir",
                    "des branches qui cachent le panneau",
                    "des ronces qui envahissent le passage",
                ),
                ("on doit marcher sur la route", "la visibilité est nulle en sortant"),
                (0.3, 0.3, 0.5, 0.9, 1.4, 1.8, 1.8, 1.5, 1.2, 0.8, 0.4, 0.3),
                service_code="EV-HAI",
            ),
            Topic(
                "Arbre dangereux",
                1.2,
                ("une branche cassée", "un arbre penché qui menace de tomber", "un arbre mort"),
                ("au-dessus de l'aire de jeux", "les enfants passent dessous"),
                service_code="EV-ARB",
            ),
            Topic(
                "Aire de jeux",
                1.0,
                ("un jeu cassé dans l'aire de jeux", "le toboggan abîmé", "une balançoire cassée"),
                ("les enfants risquent de se blesser",),
                (0.5, 0.5, 0.8, 1.2, 1.4, 1.4, 1.5, 1.4, 1.0, 0.8, 0.5, 0.5),
                service_code="EV-JEU",
            ),
            Topic(
                "Désherbage",
                1.0,
                ("des mauvaises herbes sur le trottoir", "le cimetière envahi par les herbes"),
                ("c'est négligé",),
                (0.1, 0.1, 0.5, 1.3, 2.0, 2.0, 1.5, 1.0, 0.8, 0.4, 0.2, 0.1),
                service_code="EV-DES",
            ),
            Topic(
                "Chenilles processionnaires",
                0.4,
                ("des nids de chenilles processionnaires", "des chenilles dans les pins"),
                ("attention aux chiens et aux enfants",),
                (1.0, 2.0, 2.5, 1.8, 0.5, 0.0, 0.0, 0.0, 0.0, 0.2, 0.5, 0.8),
                service_code="EV-CHE",
            ),
            Topic(
                "Arbre tombé",
                2.5,
                (
                    "un arbre tombé",
                    "un arbre déraciné par le vent",
                    "une grosse branche tombée",
                    "un arbre tombé sur une clôture",
                ),
                ("depuis la tempête", "il bloque le passage", "il a abîmé une voiture"),
                storm=True,
                service_code="EV-CHU",
            ),
        ),
        storm=(4.0, 9.0, 6.0, 4.0, 2.8, 2.0, 1.5, 1.25),
    ),
    Category(
        "ECLAIRAGE",
        "Éclairage public",
        "Éclairage",
        0.09,
        (1.45, 1.25, 1.05, 0.85, 0.7, 0.6, 0.6, 0.7, 0.9, 1.15, 1.35, 1.5),
        "DEP-04",
        "MAIRIE-02",
        4.0,
        0.8,
        10,
        _STREET,
        (
            Topic(
                "Lampadaire en panne",
                3.0,
                (
                    "un lampadaire éteint",
                    "plusieurs lampadaires éteints",
                    "la rue entièrement dans le noir",
                ),
                ("depuis une semaine", "on ne se sent pas en sécurité le soir"),
                service_code="ECL-PAN",
            ),
            Topic(
                "Lampadaire clignotant",
                1.0,
                ("un lampadaire qui clignote", "un éclairage qui s'allume et s'éteint"),
                ("toute la nuit",),
                service_code="ECL-CLI",
            ),
            Topic(
                "Éclairage allumé le jour",
                0.4,
                ("l'éclairage public allumé en plein jour",),
                ("quel gaspillage",),
                (0.3, 0.4, 0.7, 1.0, 1.5, 1.8, 1.8, 1.5, 1.0, 0.6, 0.3, 0.3),
                service_code="ECL-JOU",
            ),
            Topic(
                "Candélabre endommagé",
                2.0,
                (
                    "un candélabre arraché par le vent",
                    "un lampadaire penché",
                    "des câbles qui pendent d'un lampadaire",
                ),
                ("depuis la tempête", "c'est dangereux"),
                storm=True,
                service_code="ECL-CAN",
            ),
        ),
        storm=(2.5, 6.0, 4.0, 3.0, 2.0, 1.5, 1.2, 1.1),
    ),
    Category(
        "BRUIT",
        "Tranquillité et bruit",
        "Tranquillité",
        0.07,
        (0.6, 0.6, 0.7, 0.85, 1.1, 1.4, 1.85, 1.75, 1.0, 0.8, 0.65, 0.8),
        "DRU-02",
        "MAIRIE-01",
        2.5,
        1.0,
        7,
        {"phone": 1.3, "counter": 0.5, "mail": 0.6, "web": 1.1, "email": 1.0, "mobile": 0.8},
        (
            Topic(
                "Bruit de voisinage",
                3.0,
                (
                    "de la musique très forte",
                    "des fêtes tous les week-ends",
                    "des cris et de la musique",
                ),
                ("jusqu'à 3 h du matin", "impossible de dormir", "ce n'est pas la première fois"),
                nights=True,
                service_code="TRA-VOI",
            ),
            Topic(
                "Bar, terrasse",
                1.5,
                ("du bruit tard devant un bar", "une terrasse bruyante jusqu'à 2 h"),
                ("tous les soirs de l'été", "les clients chantent dans la rue"),
                (0.3, 0.3, 0.5, 0.8, 1.2, 1.6, 2.2, 2.2, 1.0, 0.6, 0.4, 0.6),
                nights=True,
                service_code="TRA-BAR",
            ),
            Topic(
                "Bruit de chantier",
                1.0,
                ("un chantier qui commence avant 7 h", "un marteau-piqueur le samedi"),
                ("en dehors des horaires autorisés",),
                service_code="TRA-CHA",
            ),
            Topic(
                "Aboiements",
                1.0,
                ("un chien qui aboie toute la journée", "des aboiements incessants"),
                ("quand les propriétaires sont absents",),
                service_code="TRA-CHI",
            ),
            Topic(
                "Deux-roues bruyants",
                0.8,
                ("des scooters qui font du bruit le soir", "des rodéos de motos"),
                ("sur le parking", "tous les soirs"),
                (0.5, 0.5, 0.7, 1.0, 1.3, 1.5, 1.7, 1.6, 1.0, 0.8, 0.5, 0.5),
                nights=True,
                service_code="TRA-2RM",
            ),
        ),
        tourism=True,
    ),
    Category(
        "STATIONNEMENT",
        "Stationnement",
        "Stationnement",
        0.08,
        (0.9, 0.9, 0.95, 1.0, 1.05, 1.1, 1.35, 1.4, 1.0, 0.9, 0.85, 0.9),
        "DEP-01",
        "MAIRIE-01",
        1.5,
        1.1,
        5,
        {"phone": 1.1, "counter": 0.5, "mail": 0.4, "web": 0.9, "email": 0.8, "mobile": 1.1},
        (
            Topic(
                "Stationnement gênant",
                3.0,
                (
                    "une voiture garée sur le trottoir",
                    "un véhicule stationné sur une place handicapée",
                    "une voiture garée devant mon garage",
                ),
                ("tous les jours", "impossible de sortir"),
                service_code="STA-GEN",
            ),
            Topic(
                "Véhicule ventouse",
                1.5,
                ("une voiture qui n'a pas bougé depuis des semaines", "une épave de voiture"),
                ("les pneus sont à plat",),
                service_code="STA-VEN",
            ),
            Topic(
                "Horodateur en panne",
                1.0,
                ("l'horodateur qui ne fonctionne plus", "l'horodateur qui refuse la carte"),
                ("on risque une amende",),
                (0.7, 0.7, 0.8, 1.0, 1.1, 1.3, 1.6, 1.6, 1.0, 0.8, 0.7, 0.8),
                service_code="STA-HOR",
            ),
            Topic(
                "Camping-cars",
                0.6,
                ("des camping-cars stationnés la nuit sur le parking",),
                ("ils vident leurs eaux usées",),
                (0.1, 0.1, 0.3, 0.8, 1.3, 1.8, 2.8, 3.0, 1.3, 0.5, 0.1, 0.1),
                service_code="STA-CAM",
            ),
        ),
        tourism=True,
    ),
    Category(
        "DECHETS",
        "Déchets",
        "Déchets",
        0.14,
        (1.15, 0.9, 0.9, 1.0, 1.05, 1.05, 1.15, 1.15, 0.95, 0.9, 0.95, 1.15),
        "DEP-02",
        "MAIRIE-02",
        2.0,
        0.8,
        5,
        {"phone": 1.3, "counter": 0.8, "mail": 0.6, "web": 1.1, "email": 0.9, "mobile": 0.9},
        (
            Topic(
                "Bac non collecté",
                3.0,
                ("le bac jaune non collecté", "la poubelle pas ramassée", "le bac vert oublié"),
                ("le camion est passé sans le vider", "pour la deuxième semaine"),
                service_code="DEC-COL",
            ),
            Topic(
                "Bac cassé",
                1.5,
                ("le couvercle du bac cassé", "une roue du bac cassée", "un bac volé"),
                ("merci de le remplacer",),
                service_code="DEC-BAC",
            ),
            Topic(
                "Encombrants",
                1.5,
                ("l'enlèvement d'encombrants", "un rendez-vous pour les encombrants"),
                ("un canapé et une armoire",),
                service_code="DEC-ENC",
                ask=True,
            ),
            Topic(
                "Conteneur plein",
                1.2,
                ("le conteneur à verre plein", "les colonnes de tri qui débordent"),
                ("des sacs s'accumulent autour",),
                (0.9, 0.6, 0.7, 0.9, 1.0, 1.2, 1.6, 1.6, 1.0, 0.8, 0.8, 1.3),
                service_code="DEC-CON",
            ),
            Topic(
                "Sapins de Noël",
                0.5,
                ("des sapins de Noël abandonnés sur le trottoir",),
                ("où peut-on les déposer ?",),
                (5.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
                service_code="DEC-SAP",
            ),
        ),
        tourism=True,
    ),
    Category(
        "ETAT-CIVIL",
        "État civil et citoyenneté",
        "Démarches",
        0.08,
        (1.0, 1.0, 1.1, 1.2, 1.25, 1.15, 0.8, 0.7, 1.0, 1.0, 0.95, 0.85),
        "DRU-01",
        "MAIRIE-01",
        2.5,
        0.7,
        10,
        {"phone": 1.2, "counter": 3.5, "mail": 2.5, "web": 1.0, "email": 1.5, "mobile": 0.05},
        (
            Topic(
                "Acte d'état civil",
                3.0,
                (
                    "une copie intégrale d'acte de naissance",
                    "un extrait d'acte de mariage",
                    "une copie d'acte de décès",
                ),
                ("pour un dossier de retraite", "pour un mariage", "pour une succession"),
                located=False,
                service_code="EC-ACT",
            ),
            Topic(
                "Carte d'identité, passeport",
                2.5,
                (
                    "un rendez-vous pour une carte d'identité",
                    "un rendez-vous pour un passeport",
                    "des renseignements sur le renouvellement du passeport",
                ),
                ("pour un voyage cet été", "le délai est trop long"),
                (0.9, 1.0, 1.3, 1.5, 1.5, 1.2, 0.7, 0.6, 0.8, 0.9, 0.9, 0.8),
                located=False,
                service_code="EC-CNI",
            ),
            Topic(
                "Mariage, PACS",
                0.8,
                ("des renseignements sur un dossier de mariage", "un rendez-vous pour un PACS"),
                ("pour l'été prochain",),
                located=False,
                service_code="EC-MAR",
            ),
            Topic(
                "Listes électorales",
                0.4,
                (
                    "une inscription sur les listes électorales",
                    "un changement d'adresse sur la liste électorale",
                    "une procuration",
                ),
                ("avant la date limite", "je viens d'emménager"),
                located=False,
                service_code="EC-ELE",
            ),
            Topic(
                "Recensement citoyen",
                0.6,
                ("le recensement citoyen de mon fils", "une attestation de recensement"),
                ("il a eu 16 ans",),
                located=False,
                service_code="EC-REC",
            ),
        ),
    ),
    Category(
        "AUTRE",
        "Autres demandes",
        "Autres",
        0.03,
        (1.0,) * MONTHS,
        "DRU-02",
        "MAIRIE-01",
        3.0,
        1.1,
        15,
        {"phone": 1.3, "counter": 1.5, "mail": 1.5, "web": 1.0, "email": 1.5, "mobile": 0.3},
        (
            Topic(
                "Demande d'information",
                3.0,
                (
                    "des horaires d'ouverture de la mairie",
                    "des renseignements sur les inscriptions à la cantine",
                    "des informations sur les travaux prévus",
                ),
                ("merci de me rappeler",),
                located=False,
                service_code="AUT-INF",
            ),
            Topic(
                "Objet trouvé",
                1.0,
                ("un portefeuille", "un trousseau de clés", "un vélo d'enfant", "un doudou"),
                ("je l'ai déposé à l'accueil", "je peux le rapporter en mairie"),
                service_code="AUT-OBJ",
                citizen=("Bonjour,\nj'ai trouvé {object} {place}. {Detail}.",),
                agent=("Objet trouvé : {object} {place}, {detail}.",),
            ),
            Topic(
                "Remerciements",
                0.5,
                ("un grand merci aux agents", "merci pour la réparation rapide", "bravo"),
                ("très efficace", "intervention le jour même"),
                located=False,
                service_code="AUT-MER",
                citizen=("Bonjour, {object} ! {Detail}.", "{Object}, {detail}."),
                agent=("Usager appelle pour remercier le service ({detail}).",),
            ),
        ),
    ),
)
CATEGORY = {c.code: c for c in CATEGORIES}
# A theme the org-chart generator does not create: requests that fit no other theme.
EXTRA_THEMES = (("AUTRE", "Autres demandes"),)

# Where the requests are: approximate centres of the communes of the agglomeration, their
# streets and landmarks, and how much they are touched by tourism (0 inland → 1 Saint-Malo).
CENTRES = {
    "35288": (48.6493, -2.0257),
    "35049": (48.6761, -1.8514),
    "35070": (48.5622, -1.9283),
    "35116": (48.5958, -1.8442),
    "35122": (48.6075, -1.8958),
    "35132": (48.6042, -1.8056),
    "35153": (48.5728, -1.8597),
    "35179": (48.5150, -1.8972),
    "35224": (48.5306, -1.8472),
    "35255": (48.6144, -1.8514),
    "35263": (48.6750, -1.9133),
    "35279": (48.5769, -1.8800),
    "35284": (48.5981, -1.9733),
    "35299": (48.6344, -1.9064),
    "35306": (48.5883, -1.9256),
    "35314": (48.5669, -1.9711),
    "35358": (48.5572, -1.9594),
    "35362": (48.4872, -1.8422),
}
TOURISM = {
    "35288": 1.0,
    "35049": 1.0,
    "35263": 0.6,
    "35255": 0.5,
    "35314": 0.5,
    "35299": 0.3,
}
# Tourist season, January first: applied (scaled by the commune's exposure) to the categories
# marked `tourism`.
TOURIST_SEASON = (1.0, 1.0, 1.0, 1.05, 1.1, 1.25, 1.7, 1.8, 1.15, 1.0, 1.0, 1.0)
STREETS = {
    "35288": (
        "rue de Dinan",
        "boulevard Chateaubriand",
        "Grande Rue",
        "rue Jacques Cartier",
        "quai Saint-Louis",
        "quai Duguay-Trouin",
        "chaussée du Sillon",
        "boulevard de la République",
        "boulevard des Talards",
        "boulevard Gouazon",
        "boulevard Théodore Botrel",
        "avenue de Moka",
        "avenue John Kennedy",
        "avenue Pasteur",
        "rue Ville Pépin",
        "rue Jeanne Jugan",
        "rue Georges Clemenceau",
        "boulevard Douville",
        "rue de la Pie qui Boit",
        "rue Broussais",
        "place Chateaubriand",
        "rue des Rondeaux",
        "boulevard Hébert",
        "rue de Toulouse",
    ),
    "35049": (
        "quai Gambetta",
        "quai Thomas",
        "rue du Port",
        "rue des Parcs",
        "rue de la Marine",
        "rue du Général Leclerc",
        "place de l'Église",
        "rue de Saint-Malo",
        "route de la Pointe du Grouin",
    ),
}
GENERIC_STREETS = (
    "rue de l'Église",
    "place de la Mairie",
    "rue de la Gare",
    "route de Saint-Malo",
    "rue des Écoles",
    "chemin des Courtils",
    "rue du Stade",
    "rue de la Libération",
    "impasse des Lilas",
    "rue du Moulin",
    "allée des Chênes",
    "route de Dol",
)
LANDMARKS = {
    "35288": (
        "la plage du Sillon",
        "la plage de Rochebonne",
        "la plage du Môle",
        "la gare",
        "le marché de Saint-Servan",
        "la porte Saint-Vincent",
        "le parc de la Briantais",
        "la cité d'Aleth",
        "le port de Rothéneuf",
        "le lycée Jacques Cartier",
        "l'esplanade Saint-Vincent",
    ),
    "35049": (
        "le port de la Houle",
        "la plage du Verger",
        "la pointe du Grouin",
        "le marché aux huîtres",
        "l'église Saint-Méen",
    ),
}
GENERIC_LANDMARKS = (
    "l'église",
    "la salle des fêtes",
    "l'école",
    "le terrain de foot",
    "le parking de la mairie",
    "le cimetière",
    "l'arrêt de bus",
)

FIRST_NAMES = (
    "Marie",
    "Jean",
    "Anne",
    "Pierre",
    "Françoise",
    "Yann",
    "Nathalie",
    "Erwan",
    "Isabelle",
    "Loïc",
    "Sophie",
    "Gwenaël",
    "Catherine",
    "Nicolas",
    "Élodie",
    "Thomas",
    "Camille",
    "Maël",
    "Léa",
    "Hervé",
    "Sylvie",
    "Ronan",
    "Chantal",
    "Julien",
    "Morgane",
    "Bernard",
    "Aurélie",
    "Kévin",
    "Monique",
    "Gaëlle",
)
LAST_NAMES = (
    "Le Gall",
    "Le Goff",
    "Le Roux",
    "Lebreton",
    "Rault",
    "Hamon",
    "Guérin",
    "Lemoine",
    "Briand",
    "Tanguy",
    "Jégou",
    "Le Bihan",
    "Morvan",
    "Gicquel",
    "Renault",
    "Colin",
    "Martin",
    "Bernard",
    "Durand",
    "Petit",
    "Lefèvre",
    "Moreau",
    "Rouxel",
    "Lemée",
    "Pinel",
    "Chevalier",
    "Boucher",
    "Rolland",
    "Carré",
    "Hervé",
)
EMAIL_DOMAINS = ("example.org", "example.com", "example.net")  # reserved: no one's address
# Numbers ARCEP reserves for fiction: they reach nobody.
PHONE_PREFIXES = ("02 61 91", "06 39 98")

# Weekday factors (Monday first) and hour profiles per channel.
WEEKDAYS = {
    "phone": (1.25, 1.05, 1.0, 0.95, 0.85, 0.0, 0.0),
    "counter": (1.0, 1.0, 1.05, 1.0, 0.95, 0.55, 0.0),
    "mail": (1.2, 1.0, 1.0, 1.0, 0.9, 0.0, 0.0),
    "web": (1.15, 1.05, 1.0, 1.0, 0.9, 0.75, 0.8),
    "email": (1.25, 1.1, 1.05, 1.0, 0.95, 0.45, 0.5),
    "mobile": (0.95, 0.9, 0.95, 0.95, 1.0, 1.2, 1.25),
}
_OFFICE = (
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0.5,
    1.2,
    1.3,
    1.1,
    0.2,
    0.4,
    1.0,
    0.9,
    0.8,
    0.35,
    0,
    0,
    0,
    0,
    0,
    0,
)
HOURS = {
    "phone": _OFFICE,
    "counter": (
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0.3,
        1,
        1.2,
        1.2,
        0.3,
        0.2,
        0.9,
        1,
        0.9,
        0.4,
        0,
        0,
        0,
        0,
        0,
        0,
    ),
    "counter-saturday": (
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        1,
        1.3,
        1.1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    ),
    "mail": (0, 0, 0, 0, 0, 0, 0, 0, 0.5, 1.5, 1.2, 0.6, 0, 0, 0.2, 0.1, 0, 0, 0, 0, 0, 0, 0, 0),
    "web": (
        0.2,
        0.1,
        0.05,
        0.03,
        0.03,
        0.05,
        0.2,
        0.5,
        0.9,
        1.1,
        1.1,
        1.0,
        0.8,
        0.9,
        1.0,
        1.0,
        0.9,
        0.9,
        1.0,
        1.1,
        1.2,
        1.1,
        0.8,
        0.45,
    ),  # fmt: skip
    "email": (
        0.1,
        0.05,
        0.02,
        0.02,
        0.02,
        0.05,
        0.2,
        0.6,
        1.2,
        1.4,
        1.3,
        1.1,
        0.7,
        0.9,
        1.2,
        1.1,
        1.0,
        0.9,
        0.7,
        0.6,
        0.6,
        0.5,
        0.35,
        0.2,
    ),  # fmt: skip
    "mobile": (
        0.15,
        0.08,
        0.04,
        0.02,
        0.02,
        0.05,
        0.15,
        0.5,
        0.8,
        0.9,
        1.0,
        1.0,
        1.2,
        1.1,
        1.0,
        1.0,
        1.1,
        1.3,
        1.4,
        1.3,
        1.1,
        0.8,
        0.5,
        0.3,
    ),  # fmt: skip
    "nights": (
        1.7,
        1.4,
        0.9,
        0.4,
        0.15,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.1,
        0.15,
        0.2,
        0.3,
        0.6,
        1.2,
        1.6,
    ),  # fmt: skip
}
OFFICE_CHANNELS = ("phone", "counter", "mail")
# Periods when people register on the electoral rolls (European elections of June 2024, the
# snap general election of June–July 2024, the municipal elections of March 2026).
ELECTION_WINDOWS = (
    (date(2024, 3, 11), date(2024, 5, 3)),
    (date(2024, 6, 10), date(2024, 6, 21)),
    (date(2026, 1, 5), date(2026, 2, 6)),
)


@dataclass(frozen=True)
class CommuneSpec:
    """What the generator needs to know of a commune (a member tenant)."""

    code: str
    name: str
    population: int
    postal_code: str

    @property
    def large(self) -> bool:
        """Communes of 10,000 inhabitants and more have directions (see `orgchart`)."""
        return self.population >= 10000


@dataclass(slots=True)
class Request:
    """One request as the territory knows it; each source exports its own view of it.

    Instants are POSIX seconds (UTC). `closed` is what the agent recorded — for a few log rows
    a date before `requested` (a trap); `status` is "open" or "closed" at the end of the
    reference day; `stage` is the finer workflow step the programs show.
    """

    seq: int
    channel: str
    commune: CommuneSpec
    category: str
    topic: Topic
    requested: int
    service: str = ""
    description: str = ""
    street: str = ""
    number: int = 0
    place: str = ""  # the place as the requester wrote it
    lat: float = 0.0
    lon: float = 0.0
    first_response: int | None = None
    closed: int | None = None
    expected: int = 0
    updated: int = 0
    status: str = "open"
    stage: str = "new"
    reopened: int = 0
    requester_name: str | None = None
    requester_email: str | None = None
    requester_phone: str | None = None
    media_url: str | None = None
    trap: str | None = None  # "closed_before_requested" or "duplicate"
    duplicate_of: Request | None = None
    storm: bool = False
    ident: str = ""  # the identifier the exporting program gives it

    @property
    def source(self) -> str:
        return CHANNEL_SOURCE[self.channel]


@dataclass
class Dataset:
    """All the generated requests, in order of `requested`."""

    requests: list[Request]
    communes: list[CommuneSpec]
    seed: int
    by_source: dict[tuple[str, str], list[Request]] = field(default_factory=dict)

    def of(self, source: str, commune: str) -> list[Request]:
        """The requests of one source in one commune, in order of `requested`."""
        return self.by_source.get((source, commune), [])


# --------------------------------------------------------------------------------------------
# Calendar and Paris time, in integer arithmetic: 150,000 requests need a million conversions,
# which `datetime` with `zoneinfo` makes the slowest part of the generation.

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
WINTER, SUMMER = 3600, 7200  # Paris offsets from UTC, in seconds


def period_days() -> list[date]:
    return [START_DATE + timedelta(days=n) for n in range((REFERENCE_DATE - START_DATE).days + 1)]


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return day.toordinal() - _EPOCH_ORDINAL


_YEARS = range(START_DATE.year - 2, REFERENCE_DATE.year + 3)
# Instants (UTC) when Paris changes clocks: the last Sundays of March and October, 01:00 UTC.
_TRANSITIONS = [
    day_number(_last_sunday(year, month)) * 86400 + 3600 for year in _YEARS for month in (3, 10)
]
DST_CHANGE_DAYS = {_last_sunday(year, month) for year in _YEARS for month in (3, 10)}
_DAYS = {
    day_number(date(year, 1, 1)) + n: date(year, 1, 1) + timedelta(days=n)
    for year in _YEARS
    for n in range(366)
}


def offset(epoch: int) -> int:
    """Paris's offset from UTC at an instant, in seconds."""
    return SUMMER if bisect_right(_TRANSITIONS, epoch) % 2 else WINTER


def from_local(seconds: int) -> int:
    """The instant of a Paris wall-clock time given in seconds since 1970-01-01 00:00 (local).
    (An hour that exists twice is read as the second one; generated times avoid it.)"""
    epoch = seconds - WINTER
    return epoch if offset(epoch) == WINTER else seconds - SUMMER


def to_local(epoch: int) -> int:
    return epoch + offset(epoch)


def local_date(epoch: int) -> date:
    return _DAYS[to_local(epoch) // 86400]


def local(epoch: int) -> datetime:
    """The Paris wall-clock time of an instant (naive)."""
    seconds = to_local(epoch)
    day = _DAYS[seconds // 86400]
    rest = seconds % 86400
    return datetime(day.year, day.month, day.day, rest // 3600, rest % 3600 // 60, rest % 60)


def to_epoch(moment: datetime) -> int:
    """The instant of a Paris wall-clock time (naive datetime)."""
    seconds = day_number(moment.date()) * 86400
    return from_local(seconds + moment.hour * 3600 + moment.minute * 60 + moment.second)


def iso(epoch: int | None) -> str | None:
    """ISO 8601 with the Paris offset, e.g. 2025-01-27T08:14:03+01:00."""
    if epoch is None:
        return None
    shift = offset(epoch)
    seconds = epoch + shift
    rest = seconds % 86400
    return (
        f"{_DAYS[seconds // 86400].isoformat()}T{rest // 3600:02d}:{rest % 3600 // 60:02d}:"
        f"{rest % 60:02d}+0{shift // 3600}:00"
    )


def french(epoch: int | None, seconds: bool = False) -> str:
    """dd/mm/yyyy hh:mm (Paris time), as French software writes it; "" for None."""
    if epoch is None:
        return ""
    local_seconds = to_local(epoch)
    day = _DAYS[local_seconds // 86400]
    rest = local_seconds % 86400
    text = f"{day.day:02d}/{day.month:02d}/{day.year} {rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return f"{text}:{rest % 60:02d}" if seconds else text


END_OF_REFERENCE = from_local(day_number(REFERENCE_DATE + timedelta(days=1)) * 86400)


# --------------------------------------------------------------------------------------------
# Generation


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(accumulate(weights))


def _pick(rng: random.Random, cum: Sequence[float]) -> int:
    """Index drawn with cumulative weights `cum`."""
    return bisect_right(cum, rng.random() * cum[-1], 0, len(cum) - 1)


def _one(rng: random.Random, items: Sequence[T]) -> T:
    """`rng.choice`, three times faster (what a million draws notice)."""
    return items[int(rng.random() * len(items))]


def _allocate(total: int, weights: dict[tuple[str, str], float]) -> dict[tuple[str, str], int]:
    """Split `total` in proportion to `weights` (largest remainders): counts summing to total."""
    whole = sum(weights.values())
    exact = {k: total * w / whole for k, w in weights.items()}
    counts = {k: math.floor(v) for k, v in exact.items()}
    rest = total - sum(counts.values())
    for key in sorted(exact, key=lambda k: (counts[k] - exact[k], k))[:rest]:
        counts[key] += 1
    return counts


def commune_weight(commune: CommuneSpec) -> float:
    """Requests per inhabitant: Saint-Malo's contact centre and visitors make it ask more."""
    return commune.population * (1.45 if commune.large else 1.0)


class _Generator:
    def __init__(self, communes: Sequence[CommuneSpec], seed: int, total: int) -> None:
        self.communes = list(communes)
        self.rng = random.Random(f"{seed}:requests")  # noqa: S311 - demo data, not secrets
        self.total = total
        self.days = period_days()
        years = sorted({d.year for d in self.days})
        holidays = set().union(*(public_holidays(y) for y in years))
        self.holidays = holidays
        # Day numbers when agents do not work (weekends, public holidays).
        self.off_days = {day_number(d) for d in _DAYS.values() if d.weekday() >= 5 or d in holidays}
        self.storm_index = {STORM_START + timedelta(days=n): n for n in range(STORM_DAYS)}
        self.storm_first = day_number(STORM_START)
        self.elections = {
            start + timedelta(days=n)
            for start, end in ELECTION_WINDOWS
            for n in range((end - start).days + 1)
        }
        self.hour_cum = {name: _cumulative(profile) for name, profile in HOURS.items()}
        self._topic_cum: dict[tuple[str, int], tuple[list[Topic], list[float]]] = {}
        self._commune_cum: dict[tuple[str, int], list[float]] = {}
        self.seq = 0

    # --- volumes ------------------------------------------------------------------------

    def day_weight(self, channel: str, category: Category, day: date) -> float:
        t = (day - START_DATE).days / 365.25
        start, end = CHANNEL_TREND[channel]
        share = start + (end - start) * t / YEARS
        if day in self.holidays:
            weekday = 0.0 if channel in OFFICE_CHANNELS else WEEKDAYS[channel][6]
        else:
            weekday = WEEKDAYS[channel][day.weekday()]
        weight = (
            (1 + GROWTH_PER_YEAR) ** t
            * share
            * category.affinity[channel]
            * category.share
            * category.season[day.month - 1]
            * weekday
        )
        storm = self.storm_index.get(day)
        if storm is not None and category.storm:
            weight *= category.storm[storm]
        if category.code == "ETAT-CIVIL" and day in self.elections:
            weight *= 1.35
        return weight

    def topics(self, category: Category, month: int) -> tuple[list[Topic], list[float]]:
        key = (category.code, month)
        if key not in self._topic_cum:
            topics = [t for t in category.topics if not t.storm or month in (12, 1, 2)]
            weights = [
                t.weight * (t.season[month - 1] if t.season else 1.0) * (0.05 if t.storm else 1)
                for t in topics
            ]
            self._topic_cum[key] = (topics, _cumulative(weights))
        return self._topic_cum[key]

    def commune_cum(self, category: Category, month: int) -> list[float]:
        key = (category.code, month)
        if key not in self._commune_cum:
            weights = []
            for commune in self.communes:
                weight = commune_weight(commune)
                if category.tourism:
                    exposure = TOURISM.get(commune.code, 0.0)
                    weight *= 1 + exposure * (TOURIST_SEASON[month - 1] - 1)
                weights.append(weight)
            self._commune_cum[key] = _cumulative(weights)
        return self._commune_cum[key]

    # --- one request --------------------------------------------------------------------

    def make(self, channel: str, category: Category, day: date) -> Request:
        rng = self.rng
        storm_day = self.storm_index.get(day)
        topic: Topic | None = None
        storm = False
        if storm_day is not None and category.storm:
            if rng.random() < 1 - 1 / category.storm[storm_day]:
                storm_topics = [t for t in category.topics if t.storm]
                if storm_topics:  # else the storm's extra requests are ordinary ones
                    topic = _one(rng, storm_topics)
                    storm = True
        if topic is None and category.code == "ETAT-CIVIL" and day in self.elections:
            if rng.random() < 0.5:
                topic = next(t for t in category.topics if t.motif == "Listes électorales")
        if topic is None:
            topics, cum = self.topics(category, day.month)
            topic = topics[_pick(rng, cum)]
        commune = self.communes[_pick(rng, self.commune_cum(category, day.month))]
        profile = channel
        if channel == "counter" and day.weekday() == 5:
            profile = "counter-saturday"
        elif topic.nights and channel in ("web", "email", "mobile") and rng.random() < 0.75:
            profile = "nights"
        hour = _pick(rng, self.hour_cum[profile])
        if hour == 2 and day in DST_CHANGE_DAYS:
            hour = 3
        second = 0 if channel in OFFICE_CHANNELS else int(rng.random() * 60)
        seconds = day_number(day) * 86400 + hour * 3600 + int(rng.random() * 60) * 60 + second
        self.seq += 1
        return Request(
            seq=self.seq,
            channel=channel,
            commune=commune,
            category=category.code,
            topic=topic,
            requested=from_local(seconds),
            storm=storm,
        )

    # --- life of a request --------------------------------------------------------------

    def working_time(self, epoch: int) -> int:
        """The instant itself when agents work then, else the next working day, 8:00–17:00."""
        seconds = to_local(epoch)
        day, rest = divmod(seconds, 86400)
        off = self.off_days
        if day not in off and 8 * 3600 <= rest < 18 * 3600:
            return epoch
        if rest >= 8 * 3600:
            day += 1
        while day in off:
            day += 1
        return from_local(day * 86400 + 8 * 3600 + int(self.rng.random() * 9 * 3600))

    def live(self, request: Request) -> None:
        rng = self.rng
        category = CATEGORY[request.category]
        large = request.commune.large
        request.service = category.service_large if large else category.service_small
        request.expected = request.requested + category.target_days * 86400
        median = category.median_days * (1.0 if large else 1.35)
        day = to_local(request.requested) // 86400
        # The storm week and the three weeks after it: the teams clear the damage first.
        after_storm = 0 <= day - self.storm_first < STORM_DAYS + 21
        if request.storm or (after_storm and category.storm):
            median *= 2.5  # the storm, and the backlog it leaves
        month = _DAYS[day].month
        if month in (7, 8) and request.category in ("ESPACES-VERTS", "PROPRETE"):
            median *= 1.2  # the teams' summer holidays
        if request.channel == "counter" and not request.topic.located:
            median *= 0.3  # often settled at the counter
        delay = max(rng.lognormvariate(math.log(median * 86400), category.sigma), 600.0)
        closed: int | None = self.working_time(request.requested + int(delay))
        if rng.random() < FORGOTTEN_SHARE:
            closed = None
        first: int | None = None
        if rng.random() < FIRST_RESPONSE_SHARE[request.source]:
            wait = rng.lognormvariate(math.log(0.5 * 86400), 0.9)
            first = self.working_time(request.requested + int(wait))
            if closed is not None and first >= closed:
                first = None  # the closure was the first response
        if closed is not None and rng.random() < REOPENED_SHARE:
            request.reopened = 2 if rng.random() < 0.15 else 1
            again = rng.lognormvariate(math.log(category.median_days * 86400), category.sigma)
            closed = self.working_time(closed + int(again) * request.reopened)
        if first is not None and first >= END_OF_REFERENCE:
            first = None
        request.first_response = first
        if closed is not None and closed < END_OF_REFERENCE:
            request.closed = closed
            request.status = request.stage = "closed"
            request.updated = min(closed + int(rng.random() * 7200), END_OF_REFERENCE - 1)
        else:
            request.status = "open"
            if first is None:
                request.stage = "new"
            else:
                request.stage = "in_progress" if rng.random() < 0.6 else "waiting"
            request.updated = first or request.requested

    # --- the words ----------------------------------------------------------------------

    def place(self, request: Request) -> None:
        rng = self.rng
        code = request.commune.code
        streets = STREETS.get(code, GENERIC_STREETS)
        request.street = _one(rng, streets)
        request.number = 1 + int(rng.random() * (60 if code in STREETS else 30))
        lat0, lon0 = CENTRES.get(code, (48.6, -1.9))
        spread = 0.012 if request.commune.large else 0.006
        request.lat = round(lat0 + rng.gauss(0, spread), 6)
        request.lon = round(lon0 + rng.gauss(0, spread * 1.3), 6)
        if not request.topic.located:
            return
        roll = rng.random()
        if roll < 0.35:
            request.place = f"au {request.number} {request.street}"
        elif roll < 0.55:
            request.place = f"devant le {request.number} {request.street}"
        elif roll < 0.72:
            request.place = request.street
        elif roll < 0.82:
            request.place = f"à l'angle {request.street} / {_one(rng, streets)}"
        else:
            request.place = near(_one(rng, LANDMARKS.get(code, GENERIC_LANDMARKS)))

    def person(self, request: Request) -> None:
        rng = self.rng
        first, last = _one(rng, FIRST_NAMES), _one(rng, LAST_NAMES)
        p_name, p_email, p_phone = REQUESTER_DATA[request.channel]
        if rng.random() < p_name:
            request.requester_name = f"{first} {last}"
        if rng.random() < p_email:
            if rng.random() < 0.3:
                user = _ascii(f"{first[0]}{last}") + str(1 + int(rng.random() * 99))
            else:
                user = _ascii(f"{first}.{last}")
            request.requester_email = f"{user}@{_one(rng, EMAIL_DOMAINS)}"
        if rng.random() < p_phone:
            digits = int(rng.random() * 10000)
            request.requester_phone = (
                f"{_one(rng, PHONE_PREFIXES)} {digits // 100:02d} {digits % 100:02d}"
            )

    # --- traps --------------------------------------------------------------------------

    def duplicate(self, original: Request) -> Request:
        """The same request sent again a minute later, closed within seconds by an agent."""
        rng = self.rng
        self.seq += 1
        copy = Request(
            seq=self.seq,
            channel=original.channel,
            commune=original.commune,
            category=original.category,
            topic=original.topic,
            requested=original.requested + rng.randint(20, 150),
            service=original.service,
            description=original.description,
            street=original.street,
            number=original.number,
            place=original.place,
            lat=original.lat,
            lon=original.lon,
            requester_name=original.requester_name,
            requester_email=original.requester_email,
            requester_phone=original.requester_phone,
            media_url=original.media_url,
            storm=original.storm,
            expected=original.expected,
        )
        copy.closed = copy.updated = copy.requested + rng.randint(2, 40)
        copy.status, copy.stage = "closed", "duplicate"
        copy.trap = "duplicate"
        copy.duplicate_of = original
        return copy

    def run(self) -> Dataset:
        rng = self.rng
        web_mobile = sum(
            (CHANNEL_TREND[c][0] + CHANNEL_TREND[c][1]) / 2 for c in ("web", "email", "mobile")
        )
        duplicates = round(self.total * DUPLICATE_SHARE * web_mobile)
        weights: dict[tuple[str, str], list[float]] = {}
        totals: dict[tuple[str, str], float] = {}
        for channel in CHANNELS:
            for category in CATEGORIES:
                series = [self.day_weight(channel, category, d) for d in self.days]
                weights[(channel, category.code)] = series
                totals[(channel, category.code)] = sum(series)
        counts = _allocate(self.total - duplicates, totals)
        requests: list[Request] = []
        for channel in CHANNELS:
            for category in CATEGORIES:
                n = counts[(channel, category.code)]
                if n:
                    cum = _cumulative(weights[(channel, category.code)])
                    for day in rng.choices(self.days, cum_weights=cum, k=n):
                        requests.append(self.make(channel, category, day))
        requests.sort(key=lambda r: (r.requested, r.seq))
        for request in requests:
            self.place(request)
            self.person(request)
            self.live(request)
            if request.source == MOBILE and request.topic.located and rng.random() < 0.45:
                request.media_url = (
                    f"https://medias.mon-agglo.example/{local_date(request.requested):%Y/%m}/"
                    f"{rng.getrandbits(64):016x}.jpg"
                )
            request.description = describe(request, rng)
        # Traps: duplicates of web and mobile requests; closures typed with the wrong year.
        candidates = [r for r in requests if r.source in (WEB, MOBILE)]
        copies = [self.duplicate(r) for r in rng.sample(candidates, k=duplicates)]
        closed_log = [r for r in requests if r.source == LOG and r.closed is not None]
        for request in rng.sample(closed_log, k=min(CLOSED_BEFORE_REQUESTED, len(closed_log))):
            assert request.closed is not None  # noqa: S101 - filtered above
            request.closed = to_epoch(_year_back(local(request.closed)))
            request.trap = "closed_before_requested"
        requests.extend(copies)
        requests.sort(key=lambda r: (r.requested, r.seq))
        dataset = Dataset(requests, self.communes, 0)
        for request in requests:
            key = (request.source, request.commune.code)
            dataset.by_source.setdefault(key, []).append(request)
        return dataset


def _year_back(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - 1, day=28)


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _ascii(text: str) -> str:
    """For e-mail addresses: lower case, no accents, spaces or apostrophes."""
    return strip_accents(text).lower().replace("'", "").replace(" ", "")


# --------------------------------------------------------------------------------------------
# Free text: what agents note and what people write


AGENT_TEMPLATES = (
    "Usager signale {object} {place}.",
    "Usager signale {object} {place}. {Detail}.",
    "{Object} {place} ({detail}).",
    "{motif} : {object} {place}.",
    "Appel concernant {object} {place}, {detail}.",
    "Signalement : {object} {place}. Rappeler l'usager.",
)
AGENT_ASK_TEMPLATES = (
    "Demande : {object} {place}.",
    "Usager demande {object} {place} ({detail}).",
    "{motif} – {object_bare} {place}.",
)
AGENT_FILE_TEMPLATES = (
    "Demande : {object}.",
    "Usager demande {object} ({detail}).",
    "{motif} – {object}.",
    "Demande de {object_bare}, {detail}.",
)
CITIZEN_OPENINGS = (
    "je vous signale",
    "je me permets de vous signaler",
    "il y a",
    "je souhaite signaler",
    "depuis plusieurs jours il y a",
    "encore une fois, il y a",
    "pouvez-vous intervenir pour",
)
CITIZEN_ASK_OPENINGS = ("je souhaiterais", "je voudrais", "serait-il possible d'avoir")
CITIZEN_CLOSINGS = (
    "Merci d'avance.",
    "Cordialement.",
    "Merci de faire le nécessaire.",
    "Bonne journée.",
    "Merci pour votre intervention.",
    "C'est la troisième fois que je le signale !",
    "Merci de me tenir informé.",
    "",
)
CITIZEN_FILE_TEMPLATES = (
    "Bonjour,\nje souhaiterais obtenir {object} ({detail}).\n{closing}",
    "Bonjour, je voudrais des renseignements concernant {object}. {closing}",
    "Bonjour,\npouvez-vous m'indiquer la marche à suivre pour {object} ? {closing}",
)
MOBILE_TEMPLATES = (
    "{Object} {place}",
    "{Object}. {Detail}",
    "{Object} {place}, {detail}",
    "{Object}",
    "{Detail}",
)


def near(landmark: str) -> str:
    """ "près de" a landmark, with the French contractions (du, des)."""
    if landmark.startswith("le "):
        return "près du " + landmark[3:]
    if landmark.startswith("les "):
        return "près des " + landmark[4:]
    return "près de " + landmark


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _bare(text: str) -> str:
    """ "une copie d'acte" → "copie d'acte" (for "Demande de …")."""
    for article in ("un ", "une ", "des ", "le ", "la ", "les ", "l'"):
        if text.startswith(article):
            return text[len(article) :]
    return text


def typo(text: str, rng: random.Random) -> str:
    """One of the slips people make when typing fast."""
    kind = int(rng.random() * 6)
    if kind == 0:  # accents forgotten
        return strip_accents(text) if rng.random() < 0.5 else text.replace("é", "e")
    if kind == 1:  # two letters swapped in a long word
        words = text.split(" ")
        long_words = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
        if long_words:
            i = _one(rng, long_words)
            w = words[i]
            j = 1 + int(rng.random() * (len(w) - 3))
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        return " ".join(words)
    if kind == 2:  # all lower case, no final stop
        return text.lower().rstrip(".")
    if kind == 3:  # a doubled letter
        i = int(rng.random() * len(text))
        return text[: i + 1] + text[i:] if text[i : i + 1].isalpha() else text
    if kind == 4:  # SMS style
        return text.replace("Bonjour,", "Bjr").replace("Merci", "merci").replace(" pour ", " pr ")
    return text.upper() if len(text) < 80 else "URGENT " + text


def describe(request: Request, rng: random.Random) -> str:
    """What the agent noted (log) or the requester wrote (web, e-mail, app)."""
    topic = request.topic
    obj = _one(rng, topic.objects)
    detail = _one(rng, topic.details) if topic.details else ""
    values = {
        "object": obj,
        "Object": _capital(obj),
        "object_bare": _bare(obj),
        "place": request.place,
        "detail": detail,
        "Detail": _capital(detail),
        "motif": topic.motif,
    }
    channel = request.channel
    if channel in OFFICE_CHANNELS:
        if topic.agent:
            templates = topic.agent
        elif not topic.located:
            templates = AGENT_FILE_TEMPLATES
        else:
            templates = AGENT_ASK_TEMPLATES if topic.ask else AGENT_TEMPLATES
        text = _one(rng, templates).format(**values)
        if channel == "mail":
            text = "Courrier reçu. " + text
        slip = 0.02
    elif channel == "mobile":
        if rng.random() < 0.1:
            return ""  # the photo says it all
        template = _one(rng, topic.citizen or MOBILE_TEMPLATES)
        if not detail and "etail" in template:
            template = "{Object} {place}"
        text = template.format(**values).strip()
        slip = 0.08
    else:
        closing = _one(rng, CITIZEN_CLOSINGS)
        if topic.citizen:
            text = _one(rng, topic.citizen).format(**values)
        elif topic.located:
            opening = _one(rng, CITIZEN_ASK_OPENINGS if topic.ask else CITIZEN_OPENINGS)
            body = f"{opening} {obj} {request.place}."
            if detail and rng.random() < 0.7:
                body += f" {_capital(detail)}."
            text = f"Bonjour,\n{body}\n{closing}".strip()
        else:
            text = _one(rng, CITIZEN_FILE_TEMPLATES).format(closing=closing, **values).strip()
        if channel == "email" and request.requester_name and rng.random() < 0.6:
            text += f"\n{request.requester_name}"
        slip = 0.05
    if rng.random() < slip:
        text = typo(text, rng)
    return text


# --------------------------------------------------------------------------------------------

_CACHE: dict[tuple[int, tuple[CommuneSpec, ...], int], Dataset] = {}


def generate(communes: Sequence[CommuneSpec], seed: int, total: int | None = None) -> Dataset:
    """The territory's requests: `total` of them (default `TOTAL_REQUESTS`, read at call time so
    that tests can make a smaller territory). Cached: the three source generators share one draw."""
    total = TOTAL_REQUESTS if total is None else total
    key = (seed, tuple(communes), total)
    if key not in _CACHE:
        _CACHE.clear()
        dataset = _Generator(communes, seed, total).run()
        dataset.seed = seed
        _CACHE[key] = dataset
    return _CACHE[key]


def commune_specs(tenants: Sequence[Tenant]) -> list[CommuneSpec]:
    """The member tenants as the generator sees them."""
    return [
        CommuneSpec(
            code=tenant.code,
            name=tenant.name,
            population=tenant.population or 0,
            postal_code=(list(tenant.postal_codes or []) or [""])[0],
        )
        for tenant in tenants
    ]


# --------------------------------------------------------------------------------------------
# Loading, as a user would: a configured source per commune, run through the pipeline.


def ensure_themes(tenant: Tenant) -> None:
    """The themes the requests use that the org-chart generator does not create."""
    from pilotis.referential.models import Theme

    for code, label in EXTRA_THEMES:
        Theme.objects.get_or_create(tenant=tenant, code=code, defaults={"label": label})


def load_source(
    tenant: Tenant, name: str, title: str, kind: str, config: dict[str, Any], mapping: str
) -> LoadRun:
    """Save the source (the « Données » page lists it) and load it now.

    The incremental state is reset, so that running the demo again reads the whole source
    again — and, the data being the same, commits nothing."""
    from pilotis.connectors import pipeline
    from pilotis.connectors.models import Source

    ensure_themes(tenant)
    source, _created = Source.objects.update_or_create(
        tenant=tenant,
        name=name,
        defaults={"title": title, "kind": kind, "config": config, "mapping": mapping, "state": {}},
    )
    return pipeline.run_source(source)


def _number(value: float) -> str:
    return f"{value:,}".replace(",", "\u202f")


def load_commune_files(
    name: str, title: str, paths: Sequence[Path], prefix: str, mapping_file: Path
) -> list[LoadRun]:
    """Load one exported file per commune (named `<prefix><INSEE code>.<ext>`) as the file
    source `name` of that commune."""
    from pilotis.tenants.models import Tenant

    mapping = mapping_file.read_text(encoding="utf-8")
    runs = []
    for path in paths:
        tenant = Tenant.objects.get(code=path.stem.removeprefix(prefix))
        runs.append(load_source(tenant, name, title, "file", {"path": str(path)}, mapping))
    return runs


def summary(runs: Sequence[LoadRun], write_seconds: float, load_seconds: float) -> str:
    """One line (French) for `pilotis demo`: what the loads read, loaded and quarantined."""
    read = sum(run.rows_read for run in runs)
    loaded = sum(run.rows_loaded for run in runs)
    quarantined = sum(run.rows_quarantined for run in runs)
    return (
        f"{len(runs)} communes, {_number(read)} demandes lues, {_number(loaded)} chargées, "
        f"{_number(quarantined)} en quarantaine (écriture {write_seconds:.1f} s, "
        f"chargement {load_seconds:.1f} s)".replace(".", ",")
    )
