import pytest

from pilotis.tenants.roles import Role
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory


@pytest.fixture
def world(db):
    """An EPCI with two member communes (one sharing its data with it, one not), an unrelated
    commune, and one user per role in the sharing member, plus the EPCI's administrator."""
    epci = TenantFactory(code="200000001", kind="epci", name="CA Test", siren="200000001")
    member = TenantFactory(
        code="35001", name="Commune Membre", parent=epci, shares_with_parent=True
    )
    private = TenantFactory(
        code="35002", name="Commune Privée", parent=epci, shares_with_parent=False
    )
    other = TenantFactory(code="56001", name="Commune Ailleurs")
    users = {
        role: MembershipFactory(
            tenant=member, role=role, user=UserFactory(username=f"{role}@membre.fr")
        ).user
        for role in Role.values
    }
    epci_admin = MembershipFactory(
        tenant=epci, role=Role.ADMIN, user=UserFactory(username="admin@epci.fr")
    ).user
    other_admin = MembershipFactory(
        tenant=other, role=Role.ADMIN, user=UserFactory(username="admin@ailleurs.fr")
    ).user
    return {
        "epci": epci,
        "member": member,
        "private": private,
        "other": other,
        "users": users,
        "epci_admin": epci_admin,
        "other_admin": other_admin,
    }
