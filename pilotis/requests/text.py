"""French text of request descriptions, cut into the words the statistics read.

Descriptions are personal data: people write their name, address, phone number and e-mail in
them. Everything the topic classifier and the rising terms see goes through `words`, which
drops what looks like personal data *before* any feature exists:

- e-mail addresses and web addresses are removed whole (their parts never become words);
- anything holding a digit is dropped (phone numbers, house numbers, plates, postcodes): words
  are runs of letters only;
- the one or two capitalised words after a civility title ("M. Dupont", "Madame Le Goff") are
  dropped, since they are people's names;
- stop words (French function words and letter formulas — "bonjour", "cordialement") are dropped.

What remains can still hold a rare surname or street name; the callers keep only words seen in at
least a few distinct requests (`min_df` of the classifier, minimum counts of the rising terms),
which is what keeps an individual's words out of a model or a page.

Words are lowercased and stripped of accents so that "éclairage", "eclairage" and "ÉCLAIRAGE"
are one word (people type without accents); `surface_forms` gives back the usual spelling to show.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable

EMAIL = re.compile(r"[\w.+-]+\s*(?:@|\(at\)|\[at\])\s*[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
PHONE = re.compile(
    r"(?<!\d)(?:(?:\+|00)\s?\d{2,3}[\s.\-]?(?:\(0\)\s?)?\d|0\d)(?:[\s.\-]?\d\d){4}(?!\d)"
)
# A civility title and the capitalised words that follow it (a person's name).
TITLED_NAME = re.compile(
    r"\b(?:M|Mr|Mme|Mlle|Mmes|MM|Dr|Me|Monsieur|Madame|Mademoiselle|Messieurs|Mesdames|Docteur|"
    r"Ma[iî]tre)\b\.?\s+(?:[A-ZÀ-ÖØ-Þ][^\W\d_]*(?:[-'’][^\W\d_]+)*\s*){1,2}"
)
WORD = re.compile(r"[a-z]{2,}")
DIGIT = re.compile(r"\d")
LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "’": "'"})

# French function words, auxiliaries, and the formulas of a letter, without accents.
STOP_WORDS = frozenset(
    """
    a ai aie aient aies ait alors as au aucun aucune aupres auquel aura aurai auraient aurais
    aurait auras aurez auriez aurions aurons auront aussi autre autres aux auxquelles auxquels
    avaient avais avait avant avec avez aviez avions avoir avons ayant ayez ayons bah bien bon
    c ca car ce ceci cela celle celles celui cependant certain certaine certaines certains ces cet
    cette ceux chacun chacune chaque chez ci comme comment d dans de des depuis dessous dessus
    deux doit doivent donc dont du duquel durant elle elles en encore entre es est et etaient
    etais etait etant etc ete etes etiez etions etre eu eue eues eurent eus eut eux faire fais
    fait faites faut fois font furent fut hui ici il ils j je jusqu jusque l la laquelle le
    lequel les lesquelles lesquels leur leurs lors lorsque lui m ma mais me meme memes mes moi
    mon n ne ni non nos notre nous on ont ou oui par parce pas peu peut peuvent peux plus
    plusieurs pour pourquoi pourrait puis qu quand que quel quelle quelles quels qui quoi s sa
    sans sera serai seraient serais serait seras serez seriez serions serons seront ses si sien
    sienne soi soient sois soit sommes son sont sous suis sur t ta te tes toi ton tous tout toute
    toutes tres trop tu un une unes uns vais va vers voici voila vont vos votre vous y
    deja toujours jamais souvent depuis pendant apres aujourd hier demain ainsi alors assez
    beaucoup chose choses cote dit dire donc fait faire mettre mis peut etre quelque quelques
    rien tant tel telle tels telles tellement via vraiment
    bonjour bonsoir merci remercie remerciant remerciements cordialement cordiales salutations
    sincerement respectueusement bonne bonnes journee soiree madame monsieur mademoiselle mme mlle
    mr messieurs mesdames svp stp sil plait veuillez veuiller agreer agreez distinguees
    distingues sentiments avance prie priere demande demandes demander signale signaler
    signalement
    """.split()
)


def fold(text: str) -> str:
    """Lowercase without accents: "Éclairage cœur" → "eclairage coeur"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(LIGATURES))
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def scrub(text: str) -> str:
    """The text without e-mail addresses, web addresses, phone numbers and titled names."""
    return _scrub(text, " ", " ")


def _scrub(text: str, hole: str, name_hole: str) -> str:
    # Each pattern runs only when its cheap marker is present: most descriptions hold none.
    if "@" in text or "at)" in text or "at]" in text:
        text = EMAIL.sub(hole, text)
    if "www" in text or "://" in text:
        text = URL.sub(hole, text)
    if DIGIT.search(text):
        text = PHONE.sub(hole, text)
    return TITLED_NAME.sub(name_hole, text)


def words(text: str | None) -> list[str]:
    """The content words of a description, folded, in order (see the module docstring)."""
    if not text:
        return []
    return [w for w in WORD.findall(fold(scrub(text))) if w not in STOP_WORDS]


def clean(text: str | None) -> str:
    """`words` joined by spaces: the only form of a description that features are built from."""
    return " ".join(words(text))


def clean_all(texts: Iterable[str | None]) -> list[str]:
    """`clean` over many texts (a module-level function, so pickled pipelines can name it)."""
    return [clean(t) for t in texts]


def ngrams(cleaned: str) -> list[str]:
    """Unigrams and bigrams of a `clean` text (bigrams skip the stop words in between)."""
    tokens = cleaned.split()
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def terms(text: str | None) -> set[str]:
    """The distinct unigrams and bigrams of a description (document frequency counts these)."""
    return set(ngrams(clean(text)))


def mask(text: str, limit: int = 160) -> str:
    """An excerpt safe(r) to show: e-mails, phones, web addresses and titled names hidden."""
    text = " ".join(_scrub(text, "[…]", "[…] ").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_SURFACE = re.compile(r"[^\W\d_]+(?:['’])?")
SENTENCE_END = re.compile(r"[.!?:;\n]")


def surface_forms(texts: Iterable[str | None], wanted: Iterable[str]) -> dict[str, str]:
    """The usual spelling of folded terms: "eclairage" → "éclairage", "nid poule" → "nid de poule".

    Each wanted term gets the most frequent lowercase spelling found in `texts`; a bigram gets the
    most frequent run of words joining its two words (with up to two stop words between them,
    which `ngrams` skipped). Terms never found keep their folded form.

    Terms holding a proper noun are left out of the answer: a word written with a capital in
    most of its occurrences inside a sentence — or in all of them when it only ever opens one, as
    a signature does — is a name (of a person, a street, a place), not the mark of a subject.
    Words written all in capitals count neither way.
    """
    wanted = set(wanted)
    if not wanted:
        return {}
    firsts = {t.split()[0] for t in wanted}
    all_words = {w for t in wanted for w in t.split()}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    inside = Counter[str]()  # occurrences of a wanted word inside a sentence
    capitalised = Counter[str]()  # … written with a capital
    seen = Counter[str]()  # all occurrences (also first in a sentence)
    seen_capitalised = Counter[str]()
    cache: dict[str, str] = {}  # raw word → folded: texts repeat the same words
    for text in texts:
        if not text:
            continue
        text = scrub(text)
        matches = list(_SURFACE.finditer(text))
        raw = [m.group(0).lower() for m in matches]
        folded = []
        for r in raw:
            f = cache.get(r)
            if f is None:
                f = cache[r] = fold(r.rstrip("'’"))
            folded.append(f)
        previous_end = -1
        for i, word in enumerate(folded):
            match = matches[i]
            original = match.group(0)
            if word in all_words and not original.isupper():
                seen[word] += 1
                seen_capitalised[word] += original[0].isupper()
                if previous_end >= 0 and not SENTENCE_END.search(
                    text[previous_end : match.start()]
                ):
                    inside[word] += 1
                    capitalised[word] += original[0].isupper()
            previous_end = match.end()
            if word not in firsts:
                continue
            if word in wanted:
                counts[word][raw[i].rstrip("'’")] += 1
            # The next content word, with the stop words in between.
            j = i + 1
            while (
                j < len(folded) and j <= i + 3 and (folded[j] in STOP_WORDS or len(folded[j]) < 2)
            ):
                j += 1
            if j < len(folded) and j <= i + 3:
                bigram = f"{word} {folded[j]}"
                if bigram in wanted:
                    counts[bigram][_join(raw[i : j + 1])] += 1
    proper = {
        w
        for w in all_words
        if (capitalised[w] > inside[w] / 2 if inside[w] else seen_capitalised[w] == seen[w] > 0)
    }
    return {
        term: counts[term].most_common(1)[0][0] if counts.get(term) else term
        for term in wanted
        if not proper.intersection(term.split())
    }


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        out += part if not out or out.endswith(("'", "’")) else " " + part
    return out.replace("’", "'")
