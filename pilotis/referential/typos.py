"""Find the names one typing error away from a word: a letter missing, added, replaced, or two
neighbours swapped ("Saint-Maol" → "saintmalo").

A deletion-neighbourhood index (the SymSpell idea): every name is stored under itself and under
each string made by deleting one of its letters; a query looks up itself and its own deletions,
then keeps the names truly within one edit. Built on demand, as it takes ~1 s and some memory.
"""

from collections.abc import Iterable

MIN_LENGTH = 6  # below this, one edit away lands on too many other names


class TypoIndex:
    """Words within one edit (Damerau) of a query, among a fixed vocabulary."""

    def __init__(self, words: Iterable[str]) -> None:
        self._by_variant: dict[str, str | tuple[str, ...]] = {}
        for word in words:
            if len(word) >= MIN_LENGTH - 1:
                for variant in {word, *_deletions(word)}:
                    self._put(variant, word)

    def _put(self, variant: str, word: str) -> None:
        # Most variants belong to one word: keep a bare string then, a tuple only when shared.
        found = self._by_variant.get(variant)
        if found is None:
            self._by_variant[variant] = word
        elif isinstance(found, str):
            if found != word:
                self._by_variant[variant] = (found, word)
        elif word not in found:
            self._by_variant[variant] = (*found, word)

    def near(self, query: str) -> list[str]:
        """The words within one edit of `query` (itself included if known), sorted."""
        if len(query) < MIN_LENGTH:
            return []
        words: set[str] = set()
        for variant in {query, *_deletions(query)}:
            found = self._by_variant.get(variant)
            if found is not None:
                words.update((found,) if isinstance(found, str) else found)
        return sorted(word for word in words if within_one_edit(query, word))


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def within_one_edit(a: str, b: str) -> bool:
    """Whether `a` becomes `b` by at most one insertion, deletion, substitution or swap of
    two neighbouring letters."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    shortest = min(len(a), len(b))
    while i < shortest and a[i] == b[i]:
        i += 1
    if len(a) > len(b):
        return a[i + 1 :] == b[i:]
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return a[i : i + 2] == b[i + 1 : i + 2] + b[i : i + 1] and a[i + 2 :] == b[i + 2 :]
