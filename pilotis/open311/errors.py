"""The one error the Open311 server answers with: an HTTP status and a message for the client."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise

from pilotis.errors import PilotisError


class Open311Error(PilotisError):
    """Answered as GeoReport v2's `[{code, description}]` with the HTTP status `status`.

    400: a parameter is missing or wrong; 403: no valid api_key; 404: no such tenant, service,
    request or token; 503: the request could not be stored now (another load holds the table)."""

    def __init__(self, status: int, message: str | Promise, **params: Any) -> None:
        super().__init__(message, **params)
        self.status = status
        self.details: list[str] = []

    def descriptions(self) -> list[str]:
        """What to tell the client: the message, or one line per problem when there are several."""
        return self.details or [str(self)]
