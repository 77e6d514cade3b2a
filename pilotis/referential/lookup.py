"""Find official entities by code, and communes by name and postal code, in the referential.

`describe(code)` answers "what is 35288?" from the database. `CommuneIndex` maps free-text
commune names (as found in spreadsheets and registers) to INSEE codes, built once and reused:
`CommuneIndex.from_db().resolve_many(names, postal_codes)` maps a million rows in seconds.
"""

import gc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from django.db.models import Sum

from pilotis.referential.models import Commune, Departement, Epci, Region
from pilotis.referential.names import (
    departement_code,
    departements_of_postal_code,
    name_key,
    postal_code,
)
from pilotis.referential.snapshot import Snapshot
from pilotis.referential.typos import TypoIndex

Kind = Literal["commune", "arrondissement", "epci", "departement", "region"]


@dataclass(frozen=True)
class OfficialEntity:
    """A commune, arrondissement municipal, EPCI, department or region of the referential."""

    code: str  # INSEE code, or SIREN for an EPCI
    kind: Kind
    name: str
    siren: str | None = None
    population: int | None = None
    postal_codes: list[str] = field(default_factory=list)
    parent_epci_code: str | None = None  # SIREN of a commune's EPCI
    member_codes: list[str] = field(default_factory=list)  # an EPCI's communes (INSEE codes)


def describe(code: str, kind: Kind | None = None) -> OfficialEntity | None:
    """The entity of official code `code`, or None when the referential has none.

    Args:
        code: an INSEE commune code ("35288", "2A004"; "75101" is an arrondissement municipal),
            a SIREN (an EPCI's, or a commune's: the commune is returned), a department code
            ("35", "2A", "971") or a region code ("53").
        kind: where to look. Without it, codes of 2 or 3 characters are read as departments
            first, then as regions: "53" is Mayenne, `kind="region"` gives Bretagne.
    """
    code = code.strip().upper()
    kinds: tuple[Kind, ...] = (kind,) if kind else _kinds_for(code)
    for candidate in kinds:
        entity = _DESCRIBERS[candidate](code)
        if entity is not None:
            return entity
    return None


def _kinds_for(code: str) -> tuple[Kind, ...]:
    if len(code) == 9 and code.isdigit():
        return ("epci", "commune")
    if len(code) == 5:
        return ("commune",)
    if 1 <= len(code) <= 3:
        return ("departement", "region")
    return ()


def _describe_commune(code: str) -> OfficialEntity | None:
    communes = Commune.objects.select_related("parent")
    commune = (
        communes.filter(siren=code).first() if len(code) == 9 else communes.filter(pk=code).first()
    )
    if commune is None:
        return None
    epci_code = commune.parent.epci_id if commune.parent else commune.epci_id
    return OfficialEntity(
        code=commune.code_insee,
        kind="arrondissement" if commune.parent else "commune",
        name=commune.name,
        siren=commune.siren or None,
        population=commune.population,
        postal_codes=list(commune.postal_codes),
        parent_epci_code=epci_code,
    )


def _describe_epci(code: str) -> OfficialEntity | None:
    epci = Epci.objects.filter(pk=code).first()
    if epci is None:
        return None
    members = list(epci.communes.order_by("code_insee").values_list("code_insee", "postal_codes"))
    return OfficialEntity(
        code=epci.siren,
        kind="epci",
        name=epci.name,
        siren=epci.siren,
        population=epci.population,
        postal_codes=sorted({cp for _, codes in members for cp in codes}),
        member_codes=[member for member, _ in members],
    )


def _describe_departement(code: str) -> OfficialEntity | None:
    departement = Departement.objects.filter(pk=departement_code(code)).first()
    if departement is None:
        return None
    population = departement.communes.filter(parent=None).aggregate(n=Sum("population"))["n"]
    return OfficialEntity(departement.code, "departement", departement.name, population=population)


def _describe_region(code: str) -> OfficialEntity | None:
    region = Region.objects.filter(pk=code).first()
    if region is None:
        return None
    communes = Commune.objects.filter(departement__region=region, parent=None)
    population = communes.aggregate(n=Sum("population"))["n"]
    return OfficialEntity(region.code, "region", region.name, population=population)


_DESCRIBERS = {
    "commune": _describe_commune,
    "arrondissement": _describe_commune,
    "epci": _describe_epci,
    "departement": _describe_departement,
    "region": _describe_region,
}


class _Entry(NamedTuple):
    code: str
    departement: str
    postal_codes: frozenset[str]


_Tiers = tuple[dict[str, list[_Entry]], ...]
_NOT_CACHED = ""  # never an INSEE code; None is a result (unknown or ambiguous)


class CommuneIndex:
    """Communes by normalised name and by postal code, in memory (about 30 MB; 40 more once
    a fuzzy look-up built the typo index).

    Names match whatever their case, accents, punctuation and abbreviations ("St-Malo",
    "SAINT MALO", "saint malo (35)"); the names of communes déléguées and associées lead to
    the commune they belong to. Several communes share a name (12 Sainte-Colombe): look-ups
    return them all, narrowed by department or postal code when given. Build it once with
    `from_db()` or `from_snapshot()` and keep it: it remembers every string it normalised, as
    real files repeat the same names over and over.
    """

    def __init__(self, rows: Iterable[tuple[str, str, str, list[str], bool, list[str]]]) -> None:
        """Args: rows of (code INSEE, name, department, postal codes, is an arrondissement,
        names of its communes déléguées)."""
        self._size = 0
        self._by_postal_code: dict[str, list[str]] = {}
        # Three tiers per source, strictest first: full key, without article, without spaces.
        self._names: _Tiers = ({}, {}, {})
        self._aliases: _Tiers = ({}, {}, {})
        self._candidates: dict[str, tuple[tuple[list[_Entry], ...], str | None]] = {}
        self._postal_codes: dict[object, str | None] = {}
        self._typos: TypoIndex | None = None  # built on the first fuzzy look-up
        self._near: dict[str, list[_Entry]] = {}
        for code, name, departement, postal_codes, is_arrondissement, delegated in rows:
            self._size += 1
            entry = _Entry(code, departement, frozenset(postal_codes))
            if not is_arrondissement:
                for cp in postal_codes:
                    self._by_postal_code.setdefault(cp, []).append(code)
            self._add(self._names, name, entry)
            if "(" in name:  # "Bors (Canton de Charente-Sud)" is also just "Bors"
                self._add(self._aliases, name[: name.index("(")], entry)
            for alias in delegated:
                self._add(self._aliases, alias, entry)
        for tiers in (self._names, self._aliases):
            for tier in tiers:
                for entries in tier.values():
                    entries.sort()
        for codes in self._by_postal_code.values():
            codes.sort()

    @staticmethod
    def _add(tiers: _Tiers, name: str, entry: _Entry) -> None:
        for tier, key in zip(tiers, name_key(name)[:3], strict=True):
            entries = tier.setdefault(key, [])
            if entry not in entries:
                entries.append(entry)

    @classmethod
    def from_db(cls) -> "CommuneIndex":
        """The index of the communes loaded in the database."""
        rows = Commune.objects.values_list(
            "code_insee", "name", "departement_id", "postal_codes", "parent_id", "delegated_names"
        )
        return cls(
            (code, name, dep, cps or [], parent is not None, delegated or [])
            for code, name, dep, cps, parent, delegated in rows.iterator(chunk_size=5000)
        )

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> "CommuneIndex":
        """The index of a snapshot's communes, without the database."""
        return cls(
            (c.code, c.name, c.departement, c.postal_codes, bool(c.parent), c.delegated_names)
            for c in snapshot.communes
        )

    def __len__(self) -> int:
        return self._size

    def by_postal_code(self, code: str) -> list[str]:
        """INSEE codes of the communes served by a postal code ("35400", "35400 CEDEX").

        Arrondissements municipaux are left out: 75015 gives Paris (75056). CEDEX codes of
        companies are not in La Poste's list and give nothing.
        """
        cp = self._postal_code(code)
        return list(self._by_postal_code.get(cp, ())) if cp else []

    def by_name(
        self,
        text: str,
        departement: str | None = None,
        postal_code: str | None = None,
        fuzzy: bool = False,
    ) -> list[str]:
        """INSEE codes of the communes called `text`, narrowed by department and postal code.

        A postal code narrows to the communes it serves, or when none (a CEDEX code, a
        neighbour's post office) to its department. Tried in turn until one gives a result:
        the exact name, the name without its leading article ("Mans" for "Le Mans"), without
        spaces ("Saintmalo"), then the same with former communes' names; with `fuzzy`, last,
        the names one typing error away ("Saint-Maol"). Empty when unknown.
        """
        departement = departement_code(departement) if departement else None
        return self._match(text, departement, self._postal_code(postal_code), fuzzy)

    def resolve(self, text: object, postal_code: object = None, fuzzy: bool = False) -> str | None:
        """The one INSEE code of a commune name (or of a postal code alone), None if 0 or 2+."""
        cp = self._postal_code(postal_code)
        if isinstance(text, str) and text.strip():
            codes = self._match(text, None, cp, fuzzy)
        else:
            codes = self._by_postal_code.get(cp, []) if cp else []
        return codes[0] if len(codes) == 1 else None

    def resolve_many(
        self,
        names: Sequence[object],
        postal_codes: Sequence[object] | None = None,
        fuzzy: bool = False,
    ) -> list[str | None]:
        """`resolve` for each row: one INSEE code, or None when unknown or ambiguous.

        Args:
            names: commune names as typed; None, NaN and other non-strings give None (or the
                commune of the postal code alone, when it serves only one).
            postal_codes: as many postal codes (strings, or numbers that lost their leading
                zero), or None.
            fuzzy: also accept a name one typing error away from a single commune's.
        Returns:
            a list as long as `names`. Each distinct (name, postal code) pair is resolved once.
        """
        if postal_codes is None:
            postal_codes = [None] * len(names)
        elif len(postal_codes) != len(names):
            raise ValueError("names and postal_codes must have the same length")
        cache: dict[tuple[object, object], str | None] = {}
        get = cache.get

        def resolve(name: object, cp: object) -> str | None:
            return self.resolve(name, cp, fuzzy)

        results: list[str | None] = []
        append = results.append
        collecting = gc.isenabled()
        gc.disable()  # the loop makes millions of acyclic objects: no garbage cycles to find
        try:
            for pair in zip(names, postal_codes, strict=True):
                try:
                    code = get(pair, _NOT_CACHED)
                except TypeError:  # an unhashable cell: resolve it alone
                    code = resolve(*pair)
                else:
                    if code == _NOT_CACHED:
                        code = cache[pair] = resolve(*pair)
                append(code)
        finally:
            if collecting:
                gc.enable()
        return results

    def _match(
        self, text: str, departement: str | None, cp: str | None, fuzzy: bool = False
    ) -> list[str]:
        candidates = self._candidates.get(text)
        if candidates is None:
            candidates = self._candidates[text] = self._lookup(text)
        tiers, hint = candidates
        departement = departement or hint
        if fuzzy and not tiers:
            tiers = (self._near_entries(text),)
        for entries in tiers:
            if not departement and not cp:
                return [entry.code for entry in entries]
            narrowed = _narrow(entries, departement, cp)
            if narrowed:
                return narrowed
        return []

    def _near_entries(self, text: str) -> list[_Entry]:
        """Communes whose name is one typing error away from `text` (compact keys compared)."""
        near = self._near.get(text)
        if near is None:
            compact = (self._names[2], self._aliases[2])
            if self._typos is None:
                self._typos = TypoIndex({key for tier in compact for key in tier})
            entries = {
                entry
                for word in self._typos.near(name_key(text).compact)
                for tier in compact
                for entry in tier.get(word, ())
            }
            near = self._near[text] = sorted(entries)
        return near

    def _lookup(self, text: str) -> tuple[tuple[list[_Entry], ...], str | None]:
        """The candidate lists of a name, strictest first, and the department it mentions."""
        key = name_key(text)
        found: list[list[_Entry]] = []
        for tiers in (self._names, self._aliases):
            for tier, name in zip(tiers, key[:3], strict=True):
                entries = tier.get(name)
                if entries and entries not in found:
                    found.append(entries)
        return tuple(found), key.departement

    def _postal_code(self, value: object) -> str | None:
        try:
            return self._postal_codes[value]
        except KeyError:
            cp = self._postal_codes[value] = _clean_postal_code(value)
            return cp
        except TypeError:
            return _clean_postal_code(value)


def _narrow(entries: list[_Entry], departement: str | None, cp: str | None) -> list[str]:
    if departement:
        entries = [e for e in entries if e.departement == departement]
    if cp:
        served = [e.code for e in entries if cp in e.postal_codes]
        if served:
            return served
        departements = departements_of_postal_code(cp)
        entries = [e for e in entries if e.departement in departements]
    return [e.code for e in entries]


def _clean_postal_code(value: object) -> str | None:
    if isinstance(value, float) and value == value:  # a spreadsheet's 35400.0; NaN is not
        value = int(value)
    return postal_code(value)
