"""Seeded synthetic requests with a known structure, in a DuckDB `Database` like the real one.

The statistics tests plant a structure (a summer peak, an anomalous week, a doubling category,
distinct vocabularies per topic) and check the statistics find it — and find nothing in noise.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd

from pilotis.requests.data import TIMEZONE, DuckDB

PARIS = ZoneInfo(TIMEZONE)

COLUMNS = ("service_request_id", "category", "description", "requested_datetime")


def database(frame: pd.DataFrame) -> DuckDB:
    """A DuckDB session whose view `requests` holds `frame` (the columns the statistics read)."""
    frame = frame.copy()
    for column in COLUMNS:
        if column not in frame:
            frame[column] = None
    if "service_request_id" not in frame or frame["service_request_id"].isna().all():
        frame["service_request_id"] = [f"R{i:07d}" for i in range(len(frame))]
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{TIMEZONE}'")
    con.register("_frame", frame[list(COLUMNS)])
    con.execute(
        """
        CREATE TABLE _requests AS SELECT
            CAST(service_request_id AS VARCHAR) AS service_request_id,
            CAST(category AS VARCHAR) AS category,
            CAST(description AS VARCHAR) AS description,
            CAST(requested_datetime AS TIMESTAMPTZ) AS requested_datetime,
            'web' AS channel
        FROM _frame
        """
    )
    con.unregister("_frame")
    con.execute("CREATE VIEW requests AS SELECT * FROM _requests")
    return DuckDB(con)


def stamps_for_days(days: list[date], counts: np.ndarray, rng: np.random.Generator) -> list:
    """`counts[i]` timestamps on `days[i]`, at random local times between 8:00 and 19:00."""
    out = []
    for day, n in zip(days, counts, strict=True):
        minutes = rng.integers(8 * 60, 19 * 60, size=int(n))
        base = datetime(day.year, day.month, day.day, tzinfo=PARIS)
        out.extend(base + timedelta(minutes=int(m)) for m in minutes)
    return out


def daily_requests(
    category: str,
    start: date,
    end: date,
    rate_per_day,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Poisson requests of one category each day from `start` to `end` (both included);
    `rate_per_day(day) -> float` is the planted expected count."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    rates = np.array([rate_per_day(d) for d in days], dtype=float)
    counts = rng.poisson(rates)
    stamps = stamps_for_days(days, counts, rng)
    return pd.DataFrame({"category": category, "requested_datetime": stamps})


# Topics with their own vocabulary (the planted key terms come first), and shared words.
VOCABULARY: dict[str, list[str]] = {
    "VOIRIE": ["nid de poule", "chaussée", "trottoir", "bitume", "fissure", "affaissement"],
    "PROPRETE": ["dépôt sauvage", "ordures", "encombrants", "poubelle", "détritus", "tags"],
    "ECLAIRAGE": ["lampadaire", "ampoule", "éclairage", "réverbère", "candélabre", "obscurité"],
    "ESPACES_VERTS": ["élagage", "haie", "pelouse", "tonte", "arbre", "branches"],
    "BRUIT": ["tapage", "musique", "nuisances sonores", "vacarme", "aboiements", "fête"],
    "STATIONNEMENT": ["stationnement gênant", "voiture ventouse", "fourrière", "place", "garé"],
    "EAU": ["fuite", "canalisation", "inondation", "égout", "bouche", "avaloir"],
    "ANIMAUX": ["chat errant", "pigeons", "rats", "déjections", "chien", "frelons"],
    "SIGNALISATION": ["panneau", "feu tricolore", "marquage", "passage piéton", "signalisation"],
    "MOBILIER": ["banc cassé", "abribus", "barrière", "potelet", "jeux enfants", "mobilier"],
    "GRAFFITI": ["graffiti", "peinture", "façade", "inscription", "nettoyage mur", "vandalisme"],
    "NEIGE": ["verglas", "neige", "salage", "déneigement", "glissant", "gel"],
}
SHARED = [
    "depuis plusieurs jours",
    "devant chez moi",
    "près de l'école",
    "dans la rue",
    "c'est dangereux",
    "merci d'intervenir rapidement",
    "situation qui dure",
    "quartier",
    "riverains",
    "au coin de la place",
    "problème récurrent",
    "intervention",
]
OPENINGS = ["Bonjour,", "Bonjour", "Madame, Monsieur,", "", "", "Bonsoir"]
CLOSINGS = ["Cordialement", "Merci", "Bien cordialement", "", ""]
SURNAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"]


def typo(word: str, rng: np.random.Generator) -> str:
    """Accents dropped or two letters swapped, as people type."""
    roll = rng.random()
    if roll < 0.3:
        return word.translate(str.maketrans("éèêàâôûîç", "eeeaaouic"))
    if roll < 0.4 and len(word) > 4:
        i = int(rng.integers(1, len(word) - 2))
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word


def descriptions(
    n: int, rng: np.random.Generator, categories: list[str] | None = None, noise: float = 0.15
) -> tuple[list[str], list[str]]:
    """`n` French descriptions and their topics. A share `noise` of them also carry a phrase of
    another topic, and some carry an e-mail, a phone number or a titled name (personal data)."""
    cats = categories or list(VOCABULARY)
    labels = [cats[i] for i in rng.integers(0, len(cats), size=n)]
    texts = []
    for label in labels:
        vocab = VOCABULARY[label]
        parts = [OPENINGS[rng.integers(len(OPENINGS))]]
        own = rng.choice(len(vocab), size=int(rng.integers(1, 3)), replace=False)
        phrases = [vocab[i] for i in own]
        if rng.random() < noise:
            other = cats[int(rng.integers(len(cats)))]
            phrases.append(VOCABULARY[other][int(rng.integers(len(VOCABULARY[other])))])
        phrases += [SHARED[i] for i in rng.choice(len(SHARED), size=2, replace=False)]
        rng.shuffle(phrases)
        parts.append(" ".join(" ".join(typo(w, rng) for w in p.split()) for p in phrases))
        roll = rng.random()
        if roll < 0.05:
            parts.append(f"Contact : {SURNAMES[rng.integers(8)].lower()}{rng.integers(99)}@mail.fr")
        elif roll < 0.10:
            parts.append("tél 06 " + " ".join(f"{rng.integers(100):02d}" for _ in range(4)))
        elif roll < 0.15:
            parts.append(f"signé M. {SURNAMES[rng.integers(8)]}")
        parts.append(CLOSINGS[rng.integers(len(CLOSINGS))])
        texts.append(" ".join(p for p in parts if p))
    return texts, labels


def text_requests(
    n: int, seed: int, start: date = date(2024, 1, 1), days: int = 365, **kwargs
) -> pd.DataFrame:
    """`n` categorised requests with descriptions, spread over `days` days from `start`."""
    rng = np.random.default_rng(seed)
    texts, labels = descriptions(n, rng, **kwargs)
    offsets = rng.integers(0, days * 24 * 60, size=n)
    base = datetime(start.year, start.month, start.day, tzinfo=PARIS)
    return pd.DataFrame(
        {
            "category": labels,
            "description": texts,
            "requested_datetime": [base + timedelta(minutes=int(m)) for m in offsets],
        }
    )
