from pilotis.errors import PilotisError


class TenantError(PilotisError):
    """A tenant cannot be created or changed as asked."""
