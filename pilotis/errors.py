"""The root of every error Pilotis raises on purpose: a message a user can act on."""

from typing import Any

from django.utils import translation
from django.utils.functional import Promise


class PilotisError(Exception):
    """An error whose message says what went wrong, where, and what to do.

    Give it a lazy (translatable) message and its parameters: `str()` speaks the active language
    (French by default), `bilingual()` gives French then English, for the command line and logs.
    A plain string is accepted too, e.g. a message that already carries both languages.
    """

    def __init__(self, message: str | Promise, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message)

    def in_language(self, language: str) -> str:
        with translation.override(language):
            text = str(self.message)
            return text % self.params if self.params else text

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text

    def bilingual(self) -> str:
        french, english = self.in_language("fr"), self.in_language("en")
        return french if french == english else f"{french}\n{english}"
