"""Normalise French commune names and postal codes as people type them, for matching.

"St-Malo", "SAINT MALO", "saint-malo (35)" and "Saint-Malo Cedex" all give the key "saint malo":
lower case, no accents, punctuation as spaces, "St"/"Ste" spelled out, "s/" read as "sur", a
trailing article moved to the front ("Mans (Le)" → "le mans"), "Paris 15e arrondissement" →
"paris 15". Pure functions, no Django: CommuneIndex calls them once per distinct string.
"""

import re
import unicodedata
from typing import NamedTuple

ARTICLES = frozenset({"le", "la", "les", "l"})
# Abbreviations found in addresses and registers; no commune name has these tokens.
ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "stes": "saintes",
    "mt": "mont",
}
_ORDINAL = re.compile(r"^0*(\d+)(?:er|re|e|eme|nd|nde)?$")
_DEPARTEMENT_HINT = re.compile(r"\(\s*(\d{2,3}|2[ab])\s*\)\s*$")
_SUR_SOUS = re.compile(r"(?<![a-z0-9])s\s*/\s*s(?![a-z0-9])|(?<![a-z0-9])s\s*/\s*")
_POSTAL_CODE = re.compile(r"\d+")
_DROPPED = frozenset({"arrondissement", "arrdt", "arr"})
_NEEDS_REWRITE = re.compile(
    r"\d|\b(?:%s)\b" % "|".join(sorted({*ABBREVIATIONS, *_DROPPED, "cedex"}))  # noqa: UP031
)


def _ascii_table() -> dict[int, str]:
    """Lower-case Latin letters without accents; every other non-alphanumeric a space."""
    table: dict[int, str] = {}
    for point in range(0x250):
        char = chr(point)
        if char.isascii():
            if not char.isalnum():
                table[point] = " "
            continue
        folded = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        table[point] = folded.lower() if folded.isascii() and folded.isalnum() else " "
    table.update({ord("œ"): "oe", ord("Œ"): "oe", ord("æ"): "ae", ord("Æ"): "ae", ord("ß"): "ss"})
    return table


_TABLE = _ascii_table()


class NameKey(NamedTuple):
    """The keys of one name, from strictest to loosest, and a department read in it."""

    full: str  # "le mans"
    bare: str  # without a leading article: "mans"
    compact: str  # without spaces: "mans"
    departement: str | None  # from a trailing "(35)", else None


def fold(text: str) -> str:
    """Lower case, accents removed, every non-alphanumeric character a space."""
    folded = text.lower().translate(_TABLE)
    if not folded.isascii():  # letters beyond Latin Extended: rare, decomposed one by one
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c if c.isascii() and c.isalnum() else " " for c in decomposed)
    return folded


def name_key(text: str) -> NameKey:
    """The matching keys of a commune name as typed by anyone."""
    lowered = text.lower()
    departement = None
    if ")" in lowered:
        hint = _DEPARTEMENT_HINT.search(lowered)
        if hint:
            departement = hint.group(1).upper()
            lowered = lowered[: hint.start()]
    if "/" in lowered:
        lowered = _SUR_SOUS.sub(_sur_or_sous, lowered)
    folded = fold(lowered)
    tokens = folded.split()
    if _NEEDS_REWRITE.search(folded):  # the rare names with abbreviations, numbers, CEDEX…
        tokens = _rewrite(tokens)
    if len(tokens) > 1 and tokens[-1] in ARTICLES:  # "Mans (Le)", "ROCHELLE, LA"
        tokens = [tokens[-1], *tokens[:-1]]
    full = " ".join(tokens)
    if len(tokens) > 1 and tokens[0] in ARTICLES:
        bare_tokens = tokens[1:]
        bare = " ".join(bare_tokens)
        return NameKey(full, bare, "".join(bare_tokens), departement)
    return NameKey(full, full, "".join(tokens), departement)


def _rewrite(tokens: list[str]) -> list[str]:
    """Spell out abbreviations, read ordinals as numbers, drop "arrondissement" and CEDEX."""
    rewritten = []
    for position, word in enumerate(tokens):
        if word == "cedex" and position > 0:
            break
        if word in _DROPPED:
            continue
        if word[0].isdigit():
            ordinal = _ORDINAL.match(word)
            rewritten.append(ordinal.group(1) if ordinal else word)
        else:
            rewritten.append(ABBREVIATIONS.get(word, word))
    return rewritten


def _sur_or_sous(match: re.Match[str]) -> str:
    return " sous " if match.group(0).rstrip().endswith("s") else " sur "


def postal_code(text: object) -> str | None:
    """A five-digit postal code from "35400", "35401 CEDEX 2", "F-35400" or the number 1400."""
    if text is None:
        return None
    if isinstance(text, int):
        text = str(text)
    if not isinstance(text, str):
        return None
    digits = _POSTAL_CODE.search(text)
    if digits is None:
        return None
    code = digits.group(0)
    if len(code) == 4:  # spreadsheets drop the leading zero of 01000…09999
        code = "0" + code
    return code if len(code) == 5 else None


def departements_of_postal_code(code: str) -> tuple[str, ...]:
    """The departments a postal code normally belongs to: "35400" → ("35",), "20000" → Corsica."""
    if code.startswith("20"):
        return ("2A", "2B")
    if code.startswith(("97", "98")):
        return (code[:3],)
    return (code[:2],)


def departement_code(text: str) -> str:
    """A department code as INSEE writes it: "1" → "01", "2a" → "2A"."""
    code = text.strip().upper()
    return code.zfill(2) if code.isdigit() and len(code) == 1 else code
