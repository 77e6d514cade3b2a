"""Commune outlines for offline maps (GeoJSON shipped in `data/geo/`, see data/SOURCES.md).

Pilotis draws maps without any online base map: a choropleth of the communes of a tenant's
territory, from outlines kept in the repository. Files are named `communes-<department>.geojson.gz`;
an operator adds a department by dropping its file there (same shape: properties `code`, `nom`).
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

GEO_DIR = Path(__file__).resolve().parent / "data" / "geo"


def _department(code_insee: str) -> str:
    return code_insee[:3] if code_insee.startswith("97") else code_insee[:2]


@cache
def _features(department: str) -> dict[str, dict[str, Any]]:
    path = GEO_DIR / f"communes-{department}.geojson.gz"
    if not path.exists():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return {f["properties"]["code"]: f for f in data["features"]}


def outlines(codes: list[str]) -> dict[str, Any] | None:
    """A FeatureCollection of the communes `codes`, or None when one of them has no outline."""
    features = []
    for code in codes:
        feature = _features(_department(code)).get(code)
        if feature is None:
            return None
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}
