"""The root of every error Pilotis raises on purpose: a message a user can act on."""


class PilotisError(Exception):
    """An error whose message says what went wrong, where, and what to do (French first)."""
