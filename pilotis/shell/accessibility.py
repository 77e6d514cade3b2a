"""Which accessibility statement applies to a page."""

from pilotis.shell.models import AccessibilityStatement
from pilotis.tenants.models import Tenant


def statement_for(tenant: Tenant | None) -> AccessibilityStatement:
    """The tenant's statement, else the instance's, else an unsaved default saying the truth:
    no audit yet, hence « non conforme » as the official template requires."""
    if tenant is not None:
        own = AccessibilityStatement.objects.filter(tenant=tenant).first()
        if own is not None:
            return own
    instance = AccessibilityStatement.objects.filter(tenant__isnull=True).first()
    if instance is not None:
        return instance
    return AccessibilityStatement(
        entity_name=str(tenant) if tenant is not None else "Pilotis",
        compliance=AccessibilityStatement.Compliance.NONE,
    )
