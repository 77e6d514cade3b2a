"""Build the demo territory: a real intercommunality, its tenants, demo users, generated data."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from pilotis.demo import generators  # noqa: F401 - registers the built-in generators
from pilotis.demo.framework import DEMO_EPCI_SIREN, Territory, run_generators
from pilotis.shell.instance import init_instance
from pilotis.shell.models import AccessibilityStatement
from pilotis.tenants.models import Tenant
from pilotis.tenants.roles import Role
from pilotis.tenants.services import create_tenant, set_role

DEMO_PASSWORD = "pilotis-demo"  # noqa: S105 - printed to the user; demo instances only
DEMO_DOMAIN = "demo.pilotis.fr"
SAINT_MALO = "35288"
CANCALE = "35049"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    description: str


# (e-mail local part, tenant code, role, description)
DEMO_USERS = [
    ("admin", DEMO_EPCI_SIREN, Role.ADMIN, "administrateur de l'agglomération"),
    ("donnees", DEMO_EPCI_SIREN, Role.STEWARD, "gestionnaire de données de l'agglomération"),
    ("analyste", DEMO_EPCI_SIREN, Role.ANALYST, "analyste de l'agglomération"),
    ("elu", DEMO_EPCI_SIREN, Role.ELECTED, "élu de l'agglomération"),
    ("maire.saint-malo", SAINT_MALO, Role.ELECTED, "maire de Saint-Malo"),
    ("dgs.saint-malo", SAINT_MALO, Role.ADMIN, "DGS de Saint-Malo, analyste à Cancale"),
    ("dgs.saint-malo", CANCALE, Role.ANALYST, ""),
]


def build_demo(say: Callable[[str], None] = lambda _: None) -> list[DemoLogin]:
    """Create (or refresh) the whole demo territory. Idempotent; returns the demo logins."""
    init_instance(say)
    with transaction.atomic():
        epci = create_tenant(DEMO_EPCI_SIREN)
        logins = _demo_users()
        _statement()
    say(f"Territoire : {epci.name}, {epci.members.count()} communes")
    folder = settings.VAR_DIR / "demo"
    territory = Territory(
        epci=epci, communes=list(epci.members.order_by("code")), folder=folder, say=say
    )
    run_generators(territory)
    return logins


def _demo_users() -> list[DemoLogin]:
    user_model = get_user_model()
    logins: dict[str, DemoLogin] = {}
    for local, code, role, description in DEMO_USERS:
        email = f"{local}@{DEMO_DOMAIN}"
        user = user_model.objects.filter(username=email).first()
        if user is None:
            user = user_model.objects.create_user(
                username=email, email=email, password=DEMO_PASSWORD
            )
        set_role(user, Tenant.objects.get(code=code), role)
        if description:
            logins[email] = DemoLogin(email, description)
    return list(logins.values())


def _statement() -> None:
    AccessibilityStatement.objects.get_or_create(
        tenant=None,
        defaults={
            "entity_name": "Instance de démonstration Pilotis",
            "compliance": AccessibilityStatement.Compliance.PARTIAL,
            "action_plan": "Audit RGAA complet prévu ; corrections au fil de l'eau.",
            "contact_email": f"accessibilite@{DEMO_DOMAIN}",
        },
    )
