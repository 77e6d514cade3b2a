"""Errors of the official referential, with a message an operator can act on (French first)."""

from pilotis.errors import PilotisError


class ReferentialError(PilotisError):
    """The referential could not be built, read or loaded; the message says why and what to do."""
