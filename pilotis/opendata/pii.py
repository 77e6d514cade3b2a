"""Detection and redaction of personal data in free text (French context), vectorised over Arrow.

Every pattern is an RE2 regular expression run by `pyarrow.compute` over a whole column
(`replace_substring_regex`; `extract_regex` for the excerpts of the first findings): no Python
loop over the rows. `find` takes the cells a replacement changed as the candidates; Python only
looks at those, to check the NIR and IBAN keys. Big columns are cut in slices replaced on several
threads (Arrow's kernels release the GIL): about 1.5 s per million short texts on 2 cores.

| kind | shape | placeholder |
|---|---|---|
| email | `local@domain.tld` | [courriel] |
| phone | `0X XX XX XX XX` (spaces, dots, dashes or none), `+33`/`0033` forms | [téléphone] |
| nir | 13 digits + optional key, first digit 1/2/7/8, month 01-12 or 20-99, 2A/2B | [NIR] |
| iban | country code + 2 check digits + 11 to 30 letters/digits, spaced or not | [IBAN] |
| plate | SIV `AB-123-CD` (dash, space, none), old FNI `1234 AB 56` | [immatriculation] |
| address | house number (+ bis/ter) + street type + street name | [adresse] |
| name | civility + name, first name + surname, SURNAME + First name | [nom] |

Order. Kinds are looked for in the order email, iban, nir, phone, plate, address, name, each on
the text where the previous ones are already replaced, so one value counts (and is replaced)
once: the digits of an IBAN are never seen as a phone, a street is never seen as a name.

`find` vs `redact`. `find` reports what is *certainly* there: a NIR counts only if its key is
right (or, without a key, if it is written with the NIR's own spacing `1 85 05 78 006 084`), an
IBAN only if its mod-97 check passes. `redact` is conservative: it replaces every value with the
*shape* of its kind, valid key or not (a mistyped NIR is still a NIR).

Counts are numbers of *cells* (rows of a column) holding at least one value of a kind. `find`
replaces the kinds before a kind even when they are not asked for (an IBAN is no phone in
`find(kinds={"phone"})`); `redact` replaces only the kinds asked for. Excerpts are the first two
characters of the value and "…", never more.

Avoided by construction (tested): amounts (`1 234 567,89 €`), dates (`12/03/2024`), year ranges,
INSEE codes (`35288`, `2A004`), postcodes, SIREN and SIRET numbers (9 and 14 digits: digit runs
must be exactly as long as the kind's), `place Jean Jaurès`, `Monsieur le Maire`.

`HIGH_PRECISION` (email, phone, nir, iban, plate) is what the publication pipeline uses as a gate
on columns without an anonymisation rule; names and addresses have too many false positives for
a gate and are only redacted in columns whose rule asks for it.

Trade-offs and false positives that cannot be avoided with patterns alone:

- phone: any 10-digit number starting with 0 (a file number `0123456789`) is a phone.
- nir: a 13-digit number starting with 1, 2, 7 or 8 whose 4th-5th digits look like a month is
  redacted (not counted by `find` unless spaced like a NIR); a 15-digit one counts only with a
  valid key (1 chance in 97 for a random number).
- iban: `redact` replaces any country code + 2 digits + groups of 4 letters/digits, case
  insensitive, e.g. a typo like `de12 mois pour` in running text.
- plate: product or file codes shaped like `AB-123-CD`, and upper-case text shaped like an old
  FNI plate (`12 BIS 35`, `3 BAT 12`), are plates. One-letter FNI series (`1 A 75`, before the
  1960s) are not looked for.
- address: the first street word may be lower case (`12 rue de la paix`), so `1 place de
  parking` or `3 cours de yoga` become an address; a year followed by a street type (`en 2024
  rue barrée`) too. A street without a house number (`rue des Lilas`) is not an address.
- name: a first name that is also a word (Rose, Pierre, Claire, Marine) followed by a
  capitalised word is a name (`Rose Bonbon`); `Monsieur Le Maire` is a name. A first name alone
  (`merci Julie`) and a lower-case name are not found. A capitalised word after a street type or a
  public place (`rue`, `place`, `avenue`, `école`, `stade`, `salle`…) is never the start of a
  name, so `place Jean Jaurès` and `lycée Victor Hugo` stay as they are, at the price of missing
  a real person in such a position (`dans la salle Jean Dupont a parlé`). With a house number the
  address rule wins: `12 rue Victor Hugo` becomes `[adresse]`.
- the private-use character U+E000 is used internally to protect street names; `redact` removes
  it from the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext_lazy as _

from pilotis.errors import PilotisError

KINDS: dict[str, str] = {
    "email": "[courriel]",
    "phone": "[téléphone]",
    "nir": "[NIR]",
    "iban": "[IBAN]",
    "plate": "[immatriculation]",
    "address": "[adresse]",
    "name": "[nom]",
}
HIGH_PRECISION = frozenset({"email", "phone", "nir", "iban", "plate"})

# The order kinds are looked for: the most specific shapes first (see the module docstring).
ORDER = ("email", "iban", "nir", "phone", "plate", "address", "name")
CHECKED = frozenset({"nir", "iban"})  # kinds whose candidates `find` validates with a checksum

FIRST_NAMES_FILE = Path(__file__).resolve().parent / "data" / "prenoms.txt"
PARALLEL_FROM_ROWS = 100_000  # below, one thread: starting threads costs more than it saves
MAX_THREADS = 8
PROTECT = "\ue000"  # marks a capitalised word that follows a street type: never a name

# ---------------------------------------------------------------------------------------------
# Building blocks (RE2 syntax; the ASCII-only ones are also valid for Python's `re`)

_SP = "[ \u00a0\u202f]"  # a space, a no-break space or a narrow no-break space
_PHONE_SEP = "[ .\\-\u00a0\u202f]"
_PLATE_SEP = "[ \u00a0-]"
_CAP = r"\p{Lu}[\pL'’\-]+"  # a capitalised (or upper-case) word of two letters or more
_PRE = r"(?P<p>^|[^\pL\pN\x{E000}_\-])"  # what may precede a name: not a letter, not protected

_IBAN_COUNTRIES = (
    "AD AE AL AT AZ BA BE BG BH BI BR BY CH CR CY CZ DE DJ DK DO EE EG ES FI FK FO FR GB GE GI "
    "GL GR GT HR HU IE IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MN MR MT MU NI NL "
    "NO OM PK PL PS PT QA RO RS RU SA SC SD SE SI SK SM SO ST SV TL TN TR UA VA VG XK YE"
).split()

# Street types: spelt out (followed by a space) and abbreviated (followed by a dot).
_STREET_WORDS = (
    "rue|avenue|av|ave|boulevard|bd|bld|boul|place|impasse|imp|all[ée]e|chemin|chem|route|rte|"
    "quai|cours|crs|square|sq|r[ée]sidence|lotissement|voie|sentier|passage|cit[ée]|hameau|"
    "faubourg|fg|esplanade|promenade|parvis|rond-point|mail|ruelle|venelle|clos|domaine|"
    "chauss[ée]e|mont[ée]e|traverse"
)
_STREET_ABBREVIATIONS = "av|ave|bd|bld|boul|pl|imp|ch|chem|rte|crs|sq|r[ée]s|lot|fg|r"
# Places named after people, after which a capitalised word is not a person's name either.
_PLACE_WORDS = (
    "pont|parc|jardins?|stade|gymnase|salle|[ée]cole|coll[èe]ge|lyc[ée]e|scolaire|"
    "m[ée]diath[èe]que|biblioth[èe]que|mus[ée]e|th[ée][âa]tre|centre|espace|maison|h[ôo]pital|"
    "clinique|piscine|halles?|quartier|fondation|prix|ehpad|cr[èe]che|complexe|gare|station|"
    "arr[êe]t|[ée]glise|chapelle|port|a[ée]roport|universit[ée]|institut|cimeti[èe]re|caserne|"
    "foyer|auditorium|cin[ée]ma|saint|sainte|st|ste"
)
_PARTICLES = r"(?:(?i:de|du|des|la|le|les|aux|au)\s+|(?i:l|d)['’]\s*)"


@dataclass(frozen=True)
class Finding:
    """One value of personal data: where it is and a masked excerpt (never the full value)."""

    row: int
    column: str
    kind: str
    excerpt: str


@dataclass(frozen=True)
class _Pattern:
    """An RE2 pattern whose group `v` is the personal value; `p` (before) and `s` (after), when
    present, are context kept by the replacement."""

    regex: str

    def replacement(self, label: str) -> str:
        before = r"\1" if "(?P<p>" in self.regex else ""
        after = ""
        if "(?P<s>" in self.regex:
            after = r"\3" if before else r"\2"
        return before + label + after


# ---------------------------------------------------------------------------------------------
# Patterns


def _email() -> list[_Pattern]:
    return [_Pattern(r"(?P<v>[\pL\pN._%+\-]+@[\pL\pN\-]+(?:\.[\pL\pN\-]+)*\.\pL{2,})")]


def _phone() -> list[_Pattern]:
    national = r"\b0"
    international = rf"(?:\+|\b00){_SP}?33{_SP}?(?:\(0\){_SP}?)?"
    return [
        _Pattern(rf"(?P<v>(?:{national}|{international})[1-9](?:{_PHONE_SEP}?\d\d){{4}})\b"),
    ]


NIR_REGEX = (
    rf"\b(?P<v>[12378]{_SP}?\d\d{_SP}?(?:0[1-9]|1[0-2]|[2-9]\d){_SP}?(?:\d\d|2[AaBb])"
    rf"{_SP}?\d{{3}}{_SP}?\d{{3}}(?:{_SP}?\d\d)?)\b"
)
IBAN_REGEX = (
    rf"\b(?P<v>(?i:{'|'.join(_IBAN_COUNTRIES)})\d\d(?:{_SP}?(?i:[A-Z0-9]){{4}}){{2,7}}"
    rf"(?:{_SP}?(?i:[A-Z0-9]){{1,3}})?)\b"
)


def _plate() -> list[_Pattern]:
    letters = "[A-HJ-NP-TV-Z]{2}"
    space = "[ \u00a0]"
    siv = rf"{letters}(?:-\d{{3}}-|{space}\d{{3}}{space}|\d{{3}}){letters}"
    siv_lower = r"[a-hj-np-tv-z]{2}-\d{3}-[a-hj-np-tv-z]{2}"
    department = r"(?:\d\d|2[AB]|97[1-6])"
    fni = rf"\d{{1,4}}(?:{_PLATE_SEP}[A-Z]{{2,3}}{_PLATE_SEP}|[A-Z]{{2,3}}){department}"
    return [_Pattern(rf"\b(?P<v>{siv}|{siv_lower}|{fni})\b")]


def _address() -> list[_Pattern]:
    number = rf"\b\d{{1,4}}(?:-\d{{1,4}})?(?:{_SP}?(?i:bis|ter|quater)\b|{_SP}?[A-Da-d]\b)?"
    street_type = rf"(?:(?i:{_STREET_WORDS})\s+|(?i:{_STREET_ABBREVIATIONS})\.\s*)"
    first_word = r"[\pL\pN][\pL\pN'’\-]*"
    next_word = r"(?:\p{Lu}[\pL'’\-]*|\d{1,4}\b)"
    street = rf"{_PARTICLES}*{first_word}(?:\s+{_PARTICLES}*{next_word}){{0,5}}"
    return [_Pattern(rf"(?P<v>{number}\s*,?\s*{street_type}{street})")]


def _name() -> list[_Pattern]:
    first = _first_names_regex(upper=True)
    first_cap = _first_names_regex(upper=False)
    compound = r"(?:-\p{Lu}\pL+)?"  # Jean-Marc, Marie-Hélène
    civility = (
        r"(?:(?:M|MM|Mr|Mrs|MR|Mme|MME|Mmes|Mlle|MLLE|Mlles|Melle|Dr|DR|Pr|Me)\.\s*"
        r"|(?:M|Mr|Mrs|MR|Mme|MME|Mmes|Mlle|MLLE|Mlles|Melle|Dr|DR|Pr|Me"
        r"|(?i:monsieur|madame|mademoiselle|messieurs|mesdames))\s+)"
    )
    civility_particle = r"(?:(?:de|du|des|van|von|De|Du|Des|Le|La|Van|Von)\s+|[dD]['’])"
    name_particle = (
        r"(?:(?:de la|De La|de|du|des|le|la|van|von|De|Du|Des|Le|La|Van|Von)\s+|[dD]['’])"
    )
    return [
        # (a) a civility then one or two capitalised words: Mme Dupont, M. Jean Dupont;
        # (b) a common first name then a surname: Marie Dupont, JEAN DUPONT, Jean Le Gall
        _Pattern(
            rf"{_PRE}(?P<v>{civility}{civility_particle}?{_CAP}(?:\s+{_CAP})?"
            rf"|(?:{first}){compound}\s+{name_particle}?{_CAP})"
        ),
        # (c) an upper-case surname then a first name, as in forms: DUPONT Marie
        _Pattern(
            rf"{_PRE}(?P<v>\p{{Lu}}[\p{{Lu}}'’\-]*\p{{Lu}}\s+(?:{first_cap}){compound})"
            r"(?P<s>[^\pL\pN]|$)"
        ),
    ]


# Protection of street names: a marker before the (up to three) capitalised words that follow
# a street type or a public place, e.g. `place \ue000Jean \ue000Jaurès`, in one pass.
_PROTECTED_WORD = rf"\p{{Lu}}[\pL'’\-]*\s+{_PARTICLES}*"
_PROTECT_REGEX = (
    rf"(?P<p>^|[^\pL\pN])(?P<t>(?:(?i:{_STREET_WORDS}|{_PLACE_WORDS})\s+"
    rf"|(?i:{_STREET_ABBREVIATIONS})\.\s*){_PARTICLES}*)"
    rf"(?:(?P<a>{_PROTECTED_WORD})(?P<b>{_PROTECTED_WORD})?)?(?P<s>\p{{Lu}})"
)
_PROTECT_REPLACEMENT = rf"\1\2{PROTECT}\3{PROTECT}\4{PROTECT}\5"


@cache
def first_names() -> tuple[str, ...]:
    """The common French first names of the data file, as written there (accents included)."""
    names = []
    for line in FIRST_NAMES_FILE.read_text(encoding="utf-8").splitlines():
        name = line.strip()
        if name and not name.startswith("#"):
            names.append(name)
    return tuple(dict.fromkeys(names))


def _unaccent(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _first_names_regex(upper: bool) -> str:
    """An alternation of the first names, capitalised and without accents (and in upper case
    if asked), longest first."""
    variants: set[str] = set()
    for name in first_names():
        forms = {name, _unaccent(name)}
        if upper:
            forms |= {form.upper() for form in forms}
        variants |= forms
    return "|".join(re.escape(v) for v in sorted(variants, key=lambda v: (-len(v), v)))


@cache
def _patterns(kind: str) -> tuple[_Pattern, ...]:
    if kind == "nir":
        return (_Pattern(NIR_REGEX),)
    if kind == "iban":
        return (_Pattern(IBAN_REGEX),)
    builders = {
        "email": _email,
        "phone": _phone,
        "plate": _plate,
        "address": _address,
        "name": _name,
    }
    return tuple(builders[kind]())


# ---------------------------------------------------------------------------------------------
# Checksums (Python, on candidates only)

_SPACES = re.compile(_SP)
_NIR_PY = re.compile(NIR_REGEX, re.ASCII)
_IBAN_PY = re.compile(IBAN_REGEX, re.ASCII)


def nir_is_valid(candidate: str) -> bool:
    """Whether a 15-character NIR (spaces allowed) has the right key: 97 − (number mod 97),
    the number being the first 13 characters, Corsica's 2A read as 19 and 2B as 18."""
    compact = _SPACES.sub("", candidate).upper()
    if len(compact) != 15:
        return False
    body, key = compact[:13], compact[13:]
    department = body[5:7]
    if department in ("2A", "2B"):
        body = body[:5] + ("19" if department == "2A" else "18") + body[7:]
    if not (body.isdigit() and key.isdigit()):
        return False
    return int(key) == 97 - int(body) % 97


def _nir_counts(candidate: str) -> bool:
    """A NIR `find` reports: a valid key, or no key but the NIR's own spacing (5 spaces)."""
    compact = _SPACES.sub("", candidate)
    if len(compact) == 13:
        return len(candidate) - len(compact) == 5
    return nir_is_valid(candidate)


def iban_is_valid(candidate: str) -> bool:
    """Whether an IBAN (spaces allowed) passes the ISO 13616 check: the four first characters
    moved to the end, letters read as 10 to 35, the number mod 97 is 1."""
    compact = _SPACES.sub("", candidate).upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


_VALIDATORS = {"nir": (_NIR_PY, _nir_counts), "iban": (_IBAN_PY, iban_is_valid)}


# ---------------------------------------------------------------------------------------------
# Vectorised operations


def _check_kinds(kinds: Iterable[str] | None) -> set[str]:
    if kinds is None:
        return set(KINDS)
    chosen = set(kinds)
    unknown = sorted(chosen - set(KINDS))
    if unknown:
        raise PilotisError(
            _("Unknown kind of personal data “%(kind)s” (known kinds: %(known)s)."),
            kind=unknown[0],
            known=", ".join(KINDS),
        )
    return chosen


def _is_text(type_: Any) -> bool:
    if pa.types.is_dictionary(type_):
        return _is_text(type_.value_type)
    return bool(
        pa.types.is_string(type_)
        or pa.types.is_large_string(type_)
        or pa.types.is_string_view(type_)
    )


def _as_text(values: Any) -> Any:
    """The values as a chunked array of (large) strings: other types are cast."""
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values], type=values.type)
    type_ = values.type
    if pa.types.is_string(type_) or pa.types.is_large_string(type_):
        return values
    try:
        return pc.cast(values, pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
        raise PilotisError(
            _("Values of type %(type)s cannot be read as text."), type=str(type_)
        ) from error


def _parallel(text: Any, function: Callable[[Any], Any]) -> Any:
    """Apply a vectorised function to slices of a big chunked array on several threads (Arrow
    releases the GIL in its kernels); small arrays are done in one call."""
    threads = min(pa.cpu_count(), MAX_THREADS)
    if threads < 2 or len(text) < PARALLEL_FROM_ROWS:
        return function(text)
    size = -(-len(text) // threads)
    slices = [text.slice(start, size) for start in range(0, len(text), size)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(function, slices))
    return pa.chunked_array([chunk for part in results for chunk in part.chunks], results[0].type)


def _regex_replace(text: Any, regex: str, replacement: str) -> Any:
    return _parallel(text, lambda part: pc.replace_substring_regex(part, regex, replacement))


def _protect(text: Any) -> Any:
    """Put the marker before the capitalised words that follow a street type or a place."""
    return _regex_replace(text, _PROTECT_REGEX, _PROTECT_REPLACEMENT)


def _unprotect(text: Any) -> Any:
    return _parallel(text, lambda part: pc.replace_substring(part, PROTECT, ""))


def _replace_kind(text: Any, kind: str) -> Any:
    """Replace every value of one kind (by its shape) with its placeholder. For names, `text`
    must already be protected (see `_protect`)."""
    for pattern in _patterns(kind):
        text = _regex_replace(text, pattern.regex, pattern.replacement(KINDS[kind]))
    return text


def redact(array: Any, kinds: set[str] | None = None) -> Any:
    """Replace each personal value of the given kinds (all by default) with its placeholder.

    Conservative: NIRs and IBANs are replaced on their shape, whether their key is valid or not.
    Nulls stay null; values that are not text are cast to text first. Returns a ChunkedArray of
    (large) strings.
    """
    chosen = _check_kinds(kinds)
    text = _as_text(array)
    for kind in ORDER:
        if kind not in chosen:
            continue
        if kind == "name":
            text = _unprotect(_replace_kind(_protect(text), kind))
        else:
            text = _replace_kind(text, kind)
    return text


def _excerpt(value: str) -> str:
    """A masked excerpt: the first two characters of the value, never more."""
    value = value.replace(PROTECT, "").strip()
    return value[:2] + "…"


def _first_values(text: Any, rows: Any, kind: str) -> list[str]:
    """The first value of a kind in each of the given rows (each holds one)."""
    subset = pc.take(text, rows)
    found: list[str | None] = [None] * len(subset)
    for pattern in _patterns(kind):
        extracted = pc.extract_regex(subset, pattern.regex)
        values = pc.struct_field(extracted, "v").to_pylist()
        valid = pc.is_valid(extracted).to_pylist()
        for i, (value, ok) in enumerate(zip(values, valid, strict=True)):
            if found[i] is None and ok:
                found[i] = value
    return [value or "" for value in found]


def _detect(text: Any, replaced: Any, kind: str, limit: int) -> tuple[int, list[tuple[int, str]]]:
    """How many rows hold a value of `kind`, and (row, value) for the first `limit` of them.
    `replaced` is `text` with the kind replaced: the rows that changed are the candidates."""
    changed = pc.fill_null(pc.not_equal(replaced, text), False)
    rows = pc.indices_nonzero(changed)
    if kind in CHECKED:
        return _detect_checked(text, rows, kind, limit)
    first_rows = rows[:limit]
    values = _first_values(text, first_rows, kind) if len(first_rows) else []
    return len(rows), list(zip(first_rows.to_pylist(), values, strict=True))


def _detect_checked(
    text: Any, rows: Any, kind: str, limit: int
) -> tuple[int, list[tuple[int, str]]]:
    """Validate the candidates of a checksum kind in Python: only the rows a regex flagged."""
    regex, is_valid = _VALIDATORS[kind]
    count = 0
    examples: list[tuple[int, str]] = []
    for row, value in zip(rows.to_pylist(), pc.take(text, rows).to_pylist(), strict=True):
        match = next((m for m in regex.finditer(value) if is_valid(m.group("v"))), None)
        if match is not None:
            count += 1
            if len(examples) < limit:
                examples.append((row, match.group("v")))
    return count, examples


def _default_columns(table: Any) -> list[str]:
    """Text columns, and integer ones (a NIR stored as a number)."""
    return [
        field.name
        for field in table.schema
        if _is_text(field.type) or pa.types.is_integer(field.type)
    ]


def _check_columns(table: Any, columns: list[str] | None) -> list[str]:
    names = _default_columns(table) if columns is None else list(columns)
    for column in names:
        if column not in table.column_names:
            raise PilotisError(_("The column %(column)s is not in the table."), column=column)
    return names


def _find_in_column(
    values: Any, column: str, chosen: set[str], limit: int
) -> tuple[list[Finding], dict[str, int]]:
    """Each kind in `ORDER`, up to the last one chosen, on the text where the kinds before it
    are replaced; the chosen ones are counted."""
    text = _as_text(values)
    counts = {kind: 0 for kind in KINDS if kind in chosen}
    findings: list[Finding] = []
    last = max(ORDER.index(kind) for kind in chosen)
    for kind in ORDER[: last + 1]:
        if kind == "name":
            text = _protect(text)
        replaced = _replace_kind(text, kind)
        if kind in chosen:
            counts[kind], examples = _detect(text, replaced, kind, limit)
            findings += [Finding(row, column, kind, _excerpt(value)) for row, value in examples]
        text = replaced
    return findings, counts


def find(
    table: Any,
    columns: list[str] | None = None,
    kinds: set[str] | None = None,
    limit: int = 100,
) -> tuple[list[Finding], dict[str, dict[str, int]]]:
    """Look for personal data in the columns (text and integer ones by default).

    Returns at most `limit` findings, the first ones in reading order (row, then column, then
    kind), and, over all rows, the number of cells of each column holding each kind. NIRs and
    IBANs count only when their key is valid (see the module docstring). Each kind is looked
    for on the text where the kinds before it in `ORDER` are already replaced, whether they
    were asked for or not, so that a value counts once.
    """
    chosen = _check_kinds(kinds)
    names = _check_columns(table, columns)
    limit = max(limit, 0)
    findings: list[Finding] = []
    counts: dict[str, dict[str, int]] = {}
    for column in names:
        if not chosen:
            counts[column] = {}
            continue
        found, counts[column] = _find_in_column(table[column], column, chosen, limit)
        findings += found
    position = {column: i for i, column in enumerate(names)}
    findings.sort(key=lambda f: (f.row, position[f.column], ORDER.index(f.kind)))
    return findings[:limit], counts
