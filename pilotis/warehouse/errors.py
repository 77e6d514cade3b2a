from django.utils.translation import gettext_lazy as _

from pilotis.errors import PilotisError


class WarehouseError(PilotisError):
    """A warehouse operation refused or failed; nothing was changed."""


class UnknownTable(WarehouseError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(
            _("Unknown table “%(name)s”. Canonical tables: %(known)s."),
            name=name,
            known=", ".join(known),
        )
