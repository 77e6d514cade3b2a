"""The M14 and M57 nomenclatures as Pilotis needs them: the family of a nomenclature, the section
and chapter of an account, which chapters are order operations, and the M14 → M57 function
correspondence, matched by label (data in `data/m14_m57_functions.csv`, documented in
docs/finance.md).

Chapters follow the rules of the instructions for the usual accounts (a chapter groups articles
by their first digits; the order chapters are fixed): a file that carries its own chapter keeps
it, these rules only fill the chapter a source does not give (balances, TOTEM lines).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("data")
NO_FUNCTION = "-"

# Chapters of order operations: transfers between sections (virement 021/023, 040/042) and
# within a section (041 patrimonial operations, 043). Real flows leave them out.
ORDER_CHAPTERS = frozenset({"021", "023", "040", "041", "042", "043"})
# Results carried over from the previous exercise: neither a real flow nor an order operation.
CARRIED_RESULTS = frozenset({"001", "002"})

_FAMILY = re.compile(r"M\s*([0-9]{1,2})", re.IGNORECASE)

# (prefix, chapter) rules per (section, direction), longest prefix first; real operations.
_REAL_RULES: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("F", "D"): [
        ("739", "014"),
        ("64", "012"),
        ("621", "012"),
        ("631", "012"),
        ("633", "012"),
        ("6419", "013"),
        ("65", "65"),
        ("66", "66"),
        ("67", "67"),
        ("68", "68"),
        ("6", "011"),
        ("7", "014"),
    ],
    ("F", "R"): [
        ("6419", "013"),
        ("6459", "013"),
        ("6479", "013"),
        ("6", "013"),
        ("70", "70"),
        ("73", "73"),
        ("74", "74"),
        ("75", "75"),
        ("76", "76"),
        ("77", "77"),
        ("78", "78"),
    ],
    ("I", "D"): [("204", "204")],
    ("I", "R"): [("024", "024")],
}


@dataclass(frozen=True)
class FunctionMatch:
    m14_code: str
    m14_label: str
    m57_code: str
    m57_label: str
    match: str  # "label": same label in both; "equivalent": the M57 heading taking it over


def family(nomenclature: str | None) -> str:
    """ "M14" for M14, M14A, M14_COM_SUP3500, "M14-M14_COM_500_3500"; "M57" for M57, M57A,
    M57P…; "" when the text names no instruction."""
    match = _FAMILY.search(nomenclature or "")
    return f"M{int(match.group(1))}" if match else ""


def section_of(account: str) -> str:
    """F for operating accounts (classes 6 and 7, carried result 002, virement 023), I else."""
    if account.startswith(("6", "7", "002", "023", "042", "043")):
        return "F"
    return "I"


def chapter_of(account: str, section: str, direction: str, is_real: bool) -> str:
    """The budget chapter of an article (nature account), for the usual cases."""
    if account in CARRIED_RESULTS or account in ORDER_CHAPTERS:
        return account
    if not is_real:
        if section == "F":
            return "042"
        return "040"
    for prefix, chapter in _REAL_RULES.get((section, direction), []):
        if account.startswith(prefix):
            return chapter
    return account[:2]


def is_real_chapter(chapter: str) -> bool:
    return chapter not in ORDER_CHAPTERS and chapter not in CARRIED_RESULTS


@cache
def function_matches() -> dict[str, FunctionMatch]:
    """The M14 → M57 correspondence by M14 code."""
    with open(DATA / "m14_m57_functions.csv", encoding="utf-8", newline="") as handle:
        return {
            row["m14_code"]: FunctionMatch(
                row["m14_code"], row["m14_label"], row["m57_code"], row["m57_label"], row["match"]
            )
            for row in csv.DictReader(handle, delimiter=";")
        }


@cache
def m57_labels() -> dict[str, str]:
    """Labels of the M57 functions: the nine headings, then every code the correspondence names."""
    with open(DATA / "m57_functions.csv", encoding="utf-8", newline="") as handle:
        labels = {row["code"]: row["label"] for row in csv.DictReader(handle, delimiter=";")}
    for match in function_matches().values():
        labels.setdefault(match.m57_code, match.m57_label)
    return labels


def m57_function(code: str | None, nomenclature: str | None) -> str | None:
    """The M57 function of a source's function code: itself in M57; for M14 the heading matched
    by label, found for the code or else its longest known prefix ("4131" → "413"); None when
    the nomenclature is neither or the code is unknown; "-" stays "-" (no function)."""
    code = (code or "").strip()
    if not code or code == NO_FUNCTION:
        return NO_FUNCTION
    fam = family(nomenclature)
    if fam == "M57":
        return code
    if fam != "M14":
        return None
    matches = function_matches()
    for length in range(len(code), 0, -1):
        found = matches.get(code[:length])
        if found is not None:
            return found.m57_code
    return None


def heading(m57_code: str | None) -> str | None:
    """The M57 heading (first digit, "0" to "8") of an M57 function code; None without one."""
    if not m57_code or m57_code == NO_FUNCTION or not m57_code[0].isdigit():
        return None
    return m57_code[0]


# Labels of the chapters the page names (official terms, kept in French like commune names).
CHAPTER_LABELS = {
    "011": "Charges à caractère général",
    "012": "Charges de personnel et frais assimilés",
    "013": "Atténuations de charges",
    "014": "Atténuations de produits",
    "65": "Autres charges de gestion courante",
    "66": "Charges financières",
    "67": "Charges spécifiques / exceptionnelles",
    "68": "Dotations aux amortissements et provisions",
    "70": "Produits des services, du domaine et ventes",
    "73": "Impôts et taxes",
    "731": "Fiscalité locale",
    "74": "Dotations et participations",
    "75": "Autres produits de gestion courante",
    "76": "Produits financiers",
    "77": "Produits spécifiques / exceptionnels",
    "78": "Reprises sur amortissements et provisions",
    "10": "Dotations, fonds divers et réserves",
    "13": "Subventions d'investissement",
    "16": "Emprunts et dettes assimilées",
    "20": "Immobilisations incorporelles",
    "204": "Subventions d'équipement versées",
    "21": "Immobilisations corporelles",
    "23": "Immobilisations en cours",
    "26": "Participations",
    "27": "Autres immobilisations financières",
    "024": "Produits des cessions",
    "021": "Virement de la section de fonctionnement",
    "023": "Virement à la section d'investissement",
    "040": "Opérations d'ordre de transfert entre sections",
    "041": "Opérations patrimoniales",
    "042": "Opérations d'ordre de transfert entre sections",
    "043": "Opérations d'ordre à l'intérieur de la section",
    "001": "Solde d'exécution reporté",
    "002": "Résultat de fonctionnement reporté",
}
