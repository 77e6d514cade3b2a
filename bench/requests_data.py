"""Ten years of a métropole's citizen requests (10,000,000 by default), for bench_requests.py:
generated with seeded numpy, vectorised, and written as the warehouse's Delta table `requests`
of a tenant, as the connectors pipeline writes it (the canonical Arrow schema with its lineage
columns, one `write_deltalake` commit). Not a benchmark itself (`make bench` runs
`bench/bench_*.py` only).

What the page's figures have to chew on, each modelled explicitly:
- volumes: the 43 communes of Rennes Métropole (real INSEE codes, weighted by population), a
  growth of 2 % a year plus the categories' own trends (about 7 % a year in all), fewer
  requests at weekends, business hours, two exceptional weeks (storms, January 2025 and
  February 2022);
- 12 categories of very different sizes, each with its own season (street lighting and ice in
  winter, green spaces in spring and summer, noise on summer nights, dead leaves in autumn) and
  trend (tags and illegal dumping growing, parking shrinking), handled by 6 services;
- channels shifting from the phone and the counter to the web and the mobile app over the years;
- delays: log-normal per category, ~3 % of requests still open (a few forgotten ones, the
  recent ones), a first response for ~60 %, reopened counts where the source records them;
- data traps the pipeline flags: closed before requested, closed within seconds;
- short descriptions from a small vocabulary per category (with a subject that rises in the
  last year: abandoned e-scooters), for what reads texts.

The rows are written in the order the requests were made, as successive loads of exports
append them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

PARIS = ZoneInfo("Europe/Paris")
FORMAT_VERSION = 1  # bump when the generated data change
TENANT = "BENCH"
EPCI = "243500139"  # Rennes Métropole: its communes, by population
START = date(2016, 1, 1)
END = date(2025, 12, 31)  # the last day with requests; the extract is taken at midnight after it
AGENCY = "Rennes Métropole"
LOAD_ID = "bench-requests-0000"
BATCH_ROWS = 100_000  # what the pipeline hands write_deltalake at a time
CHUNK_ROWS = 1_000_000  # generated at once

# code, label, service, share, yearly trend, monthly season (Jan … Dec), median days to close
CATEGORIES: list[tuple[str, str, str, float, float, list[float], float]] = [
    ("voirie", "Voirie", "VOI", 18, 1.02, [13, 12, 11, 10, 9, 8, 7, 7, 8, 9, 10, 12], 6.0),
    (
        "proprete",
        "Propreté urbaine",
        "PRO",
        16,
        1.04,
        [8, 8, 9, 10, 11, 12, 12, 11, 10, 9, 8, 8],
        2.0,
    ),
    (
        "dechets",
        "Dépôts sauvages",
        "PRO",
        12,
        1.09,
        [8, 8, 9, 10, 10, 11, 12, 11, 10, 9, 8, 9],
        3.0,
    ),
    (
        "eclairage",
        "Éclairage public",
        "VOI",
        9,
        1.00,
        [15, 13, 10, 7, 5, 4, 4, 5, 7, 10, 14, 16],
        8.0,
    ),
    (
        "espaces-verts",
        "Espaces verts",
        "ENV",
        8,
        1.03,
        [4, 4, 7, 11, 14, 15, 14, 12, 9, 7, 4, 4],
        10.0,
    ),
    (
        "stationnement",
        "Stationnement gênant",
        "MOB",
        7,
        0.97,
        [9, 9, 9, 9, 9, 9, 7, 6, 9, 9, 9, 9],
        1.0,
    ),
    ("bruit", "Bruit et nuisances", "TRA", 5, 1.02, [5, 5, 6, 7, 9, 13, 16, 14, 8, 6, 5, 6], 4.0),
    ("eau", "Eau et assainissement", "EAU", 5, 1.01, [10, 9, 9, 8, 8, 8, 8, 8, 8, 9, 10, 11], 5.0),
    ("mobilier", "Mobilier urbain", "VOI", 4, 1.01, [8, 8, 8, 9, 9, 9, 9, 9, 8, 8, 8, 8], 12.0),
    ("tags", "Tags et graffitis", "PRO", 4, 1.10, [7, 7, 8, 9, 9, 9, 9, 9, 9, 9, 8, 7], 7.0),
    ("feuilles", "Feuilles mortes", "ENV", 2, 1.02, [4, 2, 1, 1, 1, 1, 1, 1, 3, 14, 18, 8], 3.0),
    (
        "neige",
        "Neige et verglas",
        "VOI",
        1,
        0.99,
        [30, 25, 6, 1, 0.2, 0.1, 0.1, 0.1, 0.2, 1, 8, 28],
        1.0,
    ),
]
UNCATEGORISED_SHARE = 0.015
SERVICES = ["VOI", "PRO", "ENV", "MOB", "TRA", "EAU"]
# Targets (days) the tenant set on some of its themes; the others get the page's default.
TARGETS = {
    "voirie": 10.0,
    "proprete": 3.0,
    "dechets": 5.0,
    "eclairage": 10.0,
    "espaces-verts": 15.0,
    "stationnement": 2.0,
    "tags": 7.0,
    "neige": 1.0,
}
CHANNELS = ["phone", "counter", "email", "web", "mobile", "mail", "social"]
CHANNELS_FIRST_YEAR = [0.42, 0.16, 0.14, 0.17, 0.04, 0.05, 0.02]
CHANNELS_LAST_YEAR = [0.22, 0.06, 0.10, 0.28, 0.29, 0.02, 0.03]
WEEKDAYS = [1.15, 1.1, 1.05, 1.05, 1.0, 0.55, 0.35]  # Monday … Sunday
HOURS = [1, 0.5, 0.3, 0.3, 0.3, 0.5, 2, 5, 9, 10, 10, 9, 6, 7, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1.5]
EXCEPTIONAL = [(date(2025, 1, 26), 6, 3.0), (date(2022, 2, 18), 5, 2.2)]  # start, days, factor
FORGOTTEN_SHARE = 0.025  # never closed
FIRST_RESPONSE_SHARE = 0.6
UNTRACKED_REOPENED_SHARE = 0.25  # the source does not say how many times (NULL)
REOPENED_SHARE = 0.03
CLOSED_BEFORE_REQUESTED_SHARE = 0.0001
CLOSED_INSTANTLY_SHARE = 0.003
DELAY_SIGMA = 1.1
MOTIFS = {
    "voirie": ["Nid de poule dangereux", "Chaussée déformée", "Trottoir dégradé après travaux"],
    "proprete": ["Trottoir sale", "Corbeille qui déborde", "Déjections canines"],
    "dechets": ["Dépôt sauvage de déchets", "Encombrants abandonnés", "Gravats déposés"],
    "eclairage": ["Lampadaire éteint", "Éclairage qui clignote", "Candélabre endommagé"],
    "espaces-verts": ["Haie débordant sur la chaussée", "Arbre menaçant de tomber", "Pelouse"],
    "stationnement": ["Véhicule ventouse stationné", "Stationnement sur trottoir", "Parking"],
    "bruit": ["Bruit de chantier très tôt", "Musique forte la nuit", "Aboiements répétés"],
    "eau": ["Fuite d'eau sur la voie publique", "Avaloir bouché", "Odeur d'égout"],
    "mobilier": ["Banc cassé", "Potelet arraché", "Abribus vandalisé"],
    "tags": ["Tags à effacer sur la façade", "Graffitis sur un mur", "Affichage sauvage"],
    "feuilles": ["Feuilles mortes glissantes", "Tas de feuilles sur le trottoir", "Caniveau"],
    "neige": ["Verglas sur le trottoir", "Route non salée", "Neige non déblayée"],
    "": ["Demande d'information", "Autre demande", "Réclamation diverse"],
}
RISING_MOTIF = ("stationnement", "Trottinettes électriques abandonnées sur le trottoir")
RISING_SINCE = date(2025, 1, 1)
PLACES = [
    "rue de la Mairie",
    "boulevard de la Liberté",
    "place de l'Église",
    "avenue du Général-Leclerc",
    "près de l'école",
    "à côté du gymnase",
    "chemin des Prés",
    "quai Émile-Zola",
    "allée des Châtaigniers",
    "impasse du Moulin",
]


@dataclass(frozen=True)
class Commune:
    code: str
    population: int
    postal_code: str


def communes() -> list[Commune]:
    """The communes of Rennes Métropole in the shipped referential (Django must be set up)."""
    from pilotis.referential.snapshot import read_snapshot

    found = [
        Commune(c.code, c.population or 1, c.postal_codes[0] if c.postal_codes else "")
        for c in read_snapshot().communes
        if c.epci == EPCI and not c.parent
    ]
    return sorted(found, key=lambda c: c.code)


def as_of() -> datetime:
    """When the extract was taken: midnight after the last day."""
    return datetime.combine(END + timedelta(days=1), datetime.min.time(), tzinfo=PARIS)


def cache_key(rows: int, seed: int, places: list[Commune]) -> str:
    """Changes with the rows, the seed, the communes and FORMAT_VERSION (bump it when the
    generator changes: a new key regenerates the Delta table and reloads PostgreSQL)."""
    text = f"{FORMAT_VERSION}|{rows}|{seed}|{places}"
    return hashlib.sha256(text.encode()).hexdigest()[:10]


# ---------------------------------------------------------------------------------------------
# Vectorised helpers


def _strings(values: np.ndarray) -> pa.Array:
    """A string array from a fixed-width bytes array (all values the same length), no copy."""
    width = values.dtype.itemsize
    offsets = np.arange(0, (len(values) + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(
        len(values), pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(values).tobytes())
    )


def _decoded(
    indices: np.ndarray, vocabulary: list[str], mask: np.ndarray | None = None
) -> pa.Array:
    """vocabulary[indices] as a plain string array (NULL where `mask`)."""
    codes = pa.array(indices.astype(np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(
        codes, pa.array(vocabulary, pa.string())
    ).dictionary_decode()


def _constant(value: str, n: int) -> pa.Array:
    return _decoded(np.zeros(n, dtype=np.int32), [value])


def _numbered(prefix: str, numbers: np.ndarray, digits: int) -> pa.Array:
    """prefix + zero-padded numbers ("RM-00000001"), built as bytes."""
    out = np.empty((len(numbers), len(prefix) + digits), dtype=np.uint8)
    out[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    rest = numbers.astype(np.int64)
    for position in range(len(prefix) + digits - 1, len(prefix) - 1, -1):
        out[:, position] = 48 + rest % 10
        rest //= 10
    return _strings(out.view(f"S{out.shape[1]}").ravel())


def _hex(values: np.ndarray) -> pa.Array:
    """16 hexadecimal digits of each uint64 (a stand-in for the pipeline's row hash)."""
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    raw = values.astype(np.uint64).view(np.uint8).reshape(-1, 8)
    out = np.empty((len(values), 16), dtype=np.uint8)
    out[:, 0::2] = digits[raw >> 4]
    out[:, 1::2] = digits[raw & 15]
    return _strings(out.view("S16").ravel())


def _timestamps(seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    micros = seconds.astype(np.int64) * 1_000_000
    return pa.array(micros, type=pa.timestamp("us", tz="UTC"), mask=mask)


def _pick(rng: np.random.Generator, cdf: np.ndarray) -> np.ndarray:
    """One index per row of `cdf` (rows: cumulative probabilities ending at 1)."""
    u = rng.random(len(cdf))[:, None]
    return np.minimum((u > cdf).sum(axis=1), cdf.shape[1] - 1)


# ---------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What is drawn once for all rows: when each request was made (sorted)."""

    local_seconds: np.ndarray  # local wall-clock seconds since 1970-01-01 (naive)
    utc_seconds: np.ndarray
    day: np.ndarray  # day index since START
    day_month: np.ndarray  # per day index: month 1–12
    day_year: np.ndarray  # per day index: years since START's year
    day_ordinal: np.ndarray  # per day index: date.toordinal()


def _plan(rows: int, rng: np.random.Generator) -> Plan:
    days = (END - START).days + 1
    dates = [START + timedelta(days=i) for i in range(days)]
    month = np.array([d.month for d in dates], dtype=np.int8)
    year = np.array([d.year - START.year for d in dates], dtype=np.int8)
    weekday = np.array([d.weekday() for d in dates])
    shares = np.array([c[3] for c in CATEGORIES], dtype=float)
    shares /= shares.sum()
    season = np.array([c[5] for c in CATEGORIES], dtype=float)
    season /= season.mean(axis=1, keepdims=True)
    trend = np.array([c[4] for c in CATEGORIES], dtype=float)
    # Expected volume of a day: the categories' mix in that month and year, weekdays, growth.
    mix = (shares[None, :] * season[:, month - 1].T * trend[None, :] ** year[:, None]).sum(axis=1)
    weights = mix * 1.02 ** (np.arange(days) / 365.25) * np.array(WEEKDAYS)[weekday]
    weights *= rng.lognormal(0, 0.08, size=days)  # day-to-day noise
    for start, length, factor in EXCEPTIONAL:
        first = (start - START).days
        weights[first : first + length] *= factor
    counts = rng.multinomial(rows, weights / weights.sum())
    day = np.repeat(np.arange(days, dtype=np.int32), counts)
    hours = np.array(HOURS) / sum(HOURS)
    within = rng.choice(24, size=rows, p=hours).astype(np.int64) * 3600
    within += rng.integers(0, 3600, size=rows)
    epoch_day = (START - date(1970, 1, 1)).days
    local = (epoch_day + day.astype(np.int64)) * 86_400 + within
    local.sort()  # the day stays the same, in order: requests as the exports list them
    day = (local // 86_400 - epoch_day).astype(np.int32)
    offsets = np.array(
        [
            int(datetime(d.year, d.month, d.day, 12, tzinfo=PARIS).utcoffset().total_seconds())  # type: ignore[union-attr]
            for d in dates
        ]
    )
    return Plan(
        local,
        local - offsets[day],
        day,
        month,
        year,
        np.array([d.toordinal() for d in dates]),
    )


def _category_cdfs() -> np.ndarray:
    """Per (year, month): cumulative probabilities of each category, then uncategorised."""
    years = END.year - START.year + 1
    shares = np.array([c[3] for c in CATEGORIES], dtype=float)
    season = np.array([c[5] for c in CATEGORIES], dtype=float)
    season /= season.mean(axis=1, keepdims=True)
    trend = np.array([c[4] for c in CATEGORIES], dtype=float)
    table = np.empty((years * 12, len(CATEGORIES) + 1))
    for y in range(years):
        for m in range(12):
            p = shares * season[:, m] * trend**y
            p = p / p.sum() * (1 - UNCATEGORISED_SHARE)
            table[y * 12 + m] = np.cumsum(np.append(p, UNCATEGORISED_SHARE))
    table[:, -1] = 1.0
    return table


def batches(
    rows: int, seed: int, places: list[Commune], schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    """The rows as record batches of `schema` (the warehouse's), in the order they were made."""
    rng = np.random.default_rng(seed)
    plan = _plan(rows, rng)
    cut = int(as_of().timestamp())
    category_cdf = _category_cdfs()
    population = np.array([c.population for c in places], dtype=float)
    commune_cdf = np.cumsum(population / population.sum())
    centre = np.column_stack(
        [rng.uniform(48.02, 48.22, len(places)), rng.uniform(-1.92, -1.48, len(places))]
    )
    centre[np.argmax(population)] = (48.1113, -1.6800)  # Rennes
    categories = [c[0] for c in CATEGORIES] + [""]
    category_codes = [c[0] for c in CATEGORIES]
    labels = [c[1] for c in CATEGORIES]
    services = [c[2] for c in CATEGORIES]
    median_days = np.array([c[6] for c in CATEGORIES] + [4.0])
    target_days = np.array([TARGETS.get(c, np.nan) for c in category_codes] + [np.nan])
    channel_first, channel_last = np.cumsum(CHANNELS_FIRST_YEAR), np.cumsum(CHANNELS_LAST_YEAR)
    last_year = END.year - START.year
    motifs = [m for c in categories for m in MOTIFS[c]] + [RISING_MOTIF[1]]
    descriptions = [f"{m} {p}" for m in motifs for p in PLACES]
    rising_motif = len(motifs) - 1
    rising_category = categories.index(RISING_MOTIF[0])
    rising_since = (RISING_SINCE - START).days
    for first in range(0, rows, CHUNK_ROWS):
        n = min(CHUNK_ROWS, rows - first)
        part = slice(first, first + n)
        requested = plan.utc_seconds[part]
        day = plan.day[part]
        year = plan.day_year[day].astype(np.int64)
        month = plan.day_month[day].astype(np.int64)
        category = _pick(rng, category_cdf[year * 12 + month - 1])
        uncategorised = category == len(CATEGORIES)
        service_index = np.array([SERVICES.index(s) for s in services] + [0])[category]
        no_service = uncategorised | (rng.random(n) < 0.03)
        fraction = (year / last_year)[:, None]
        channel = _pick(rng, (1 - fraction) * channel_first + fraction * channel_last)
        no_channel = rng.random(n) < 0.01
        commune = np.searchsorted(commune_cdf, rng.random(n) * commune_cdf[-1])
        commune = np.minimum(commune, len(places) - 1)
        no_commune = rng.random(n) < 0.01
        # Delays: log-normal around the category's median, slower in winter for the roads.
        delay = rng.lognormal(np.log(median_days[category] * 86_400), DELAY_SIGMA)
        closed = requested + delay.astype(np.int64)
        instantly = rng.random(n) < CLOSED_INSTANTLY_SHARE
        closed[instantly] = requested[instantly] + rng.integers(1, 50, int(instantly.sum()))
        before = rng.random(n) < CLOSED_BEFORE_REQUESTED_SHARE
        closed[before] = requested[before] - rng.integers(3600, 365 * 86_400, int(before.sum()))
        open_ = (rng.random(n) < FORGOTTEN_SHARE) | (closed > cut)
        open_ &= ~before
        flags = np.zeros(n, dtype=np.int32)  # 0 none, 1 closed_before_requested, 2 instantly
        flags[before] = 1
        flags[instantly & ~open_] = 2
        # First response: for ~60 %, between the request and its closing (or within days).
        responded = rng.random(n) < FIRST_RESPONSE_SHARE
        horizon = np.where(open_ | before, rng.lognormal(np.log(86_400), 1.0, n), delay)
        first_response = requested + (horizon * rng.uniform(0.02, 0.9, n)).astype(np.int64)
        responded &= first_response <= cut
        reopened = np.where(rng.random(n) < REOPENED_SHARE, rng.integers(1, 3, n), 0)
        untracked = rng.random(n) < UNTRACKED_REOPENED_SHARE
        # Descriptions: a motif of the category and a place; the rising subject in the last year.
        motif = category * 3 + rng.integers(0, 3, n)
        rises = (category == rising_category) & (day >= rising_since) & (rng.random(n) < 0.3)
        motif[rises] = rising_motif
        description = motif * len(PLACES) + rng.integers(0, len(PLACES), n)
        lat = centre[commune, 0] + rng.normal(0, 0.01, n)
        long = centre[commune, 1] + rng.normal(0, 0.014, n)
        no_position = rng.random(n) < 0.02
        target = target_days[category]
        expected = requested + np.nan_to_num(target * 86_400).astype(np.int64)
        updated = np.maximum(requested, np.where(open_, requested, closed))
        updated = np.maximum(updated, np.where(responded, first_response, requested))
        row_numbers = np.arange(first + 1, first + n + 1)
        columns: dict[str, pa.Array] = {
            "service_request_id": _numbered("RM-", row_numbers, 8),
            "status": _decoded(open_.astype(np.int32), ["closed", "open"]),
            "service_code": _decoded(category, categories, mask=uncategorised),
            "service_name": _decoded(category, labels + [""], mask=uncategorised),
            "description": _decoded(description, descriptions),
            "requested_datetime": _timestamps(requested),
            "updated_datetime": _timestamps(updated),
            "first_response_datetime": _timestamps(first_response, mask=~responded),
            "closed_datetime": _timestamps(closed, mask=open_),
            "expected_datetime": _timestamps(expected, mask=np.isnan(target)),
            "zipcode": _decoded(commune, [c.postal_code for c in places], mask=no_commune),
            "commune_insee": _decoded(commune, [c.code for c in places], mask=no_commune),
            "lat": pa.array(lat, mask=no_position),
            "long": pa.array(long, mask=no_position),
            "agency_responsible": _constant(AGENCY, n),
            "service": _decoded(service_index, SERVICES, mask=no_service),
            "category": _decoded(category, categories, mask=uncategorised),
            "channel": _decoded(channel, CHANNELS, mask=no_channel),
            "reopened_count": pa.array(reopened, type=pa.int64(), mask=untracked),
            "data_flags": _decoded(
                flags, ["", "closed_before_requested", "closed_instantly"], mask=flags == 0
            ),
            "_tenant": _constant(TENANT, n),
            "_source": _constant("bench", n),
            "_load_id": _constant(LOAD_ID, n),
            "_source_row": pa.array(row_numbers, type=pa.int64()),
            "_row_hash": _hex(rng.integers(0, 2**63, n, dtype=np.int64)),
        }
        arrays = [columns[f.name] if f.name in columns else pa.nulls(n, f.type) for f in schema]
        table = pa.Table.from_arrays(arrays, schema=schema)
        yield from table.to_batches(max_chunksize=BATCH_ROWS)


def write_table(folder: Path, rows: int, seed: int, places: list[Commune]) -> dict[str, Any]:
    """Generate the rows and write them as the tenant's Delta table `requests` under
    settings.WAREHOUSE_DIR (set by the caller); returns what was written and how long it took."""
    from deltalake import write_deltalake

    from pilotis.warehouse import storage
    from pilotis.warehouse.schemas import get_schema

    started = time.perf_counter()
    schema = storage.arrow_schema(get_schema("requests"))
    reader = pa.RecordBatchReader.from_batches(schema, batches(rows, seed, places, schema))
    write_deltalake(
        storage.table_uri(TENANT, "requests"),
        reader,
        mode="error",
        commit_properties=storage.commit_properties(LOAD_ID),
    )
    meta = {"rows": rows, "seed": seed, "seconds": time.perf_counter() - started}
    (folder / "done.json").write_text(json.dumps(meta))
    return meta
