"""An intercommunality of two member communes with citizen requests in the warehouse (the
requests tests' fixture, split between the members), and a mayor and an analyst."""

from __future__ import annotations

from datetime import date

import pytest

from pilotis.tenants.models import Membership, TenantKind
from pilotis.tenants.roles import Role
from tests.requests.conftest import build_requests
from tests.requests.test_page import write_requests
from tests.tenants.factories import TenantFactory, UserFactory


@pytest.fixture(scope="session")
def requests_rows():
    return build_requests()


@pytest.fixture
def territory(db, warehouse, requests_rows):
    epci = TenantFactory(code="243500782", name="Agglo test", kind=TenantKind.EPCI)
    a = TenantFactory(code="35288", name="Saint-Malo", parent=epci, population=46000)
    b = TenantFactory(code="35049", name="Cancale", parent=epci, population=5000)
    write_requests(a.code, requests_rows.iloc[::2])
    write_requests(b.code, requests_rows.iloc[1::2])
    return epci, a, b


TODAY = date(2025, 4, 10)  # the fixture's requests run to early 2025


@pytest.fixture
def mayor(territory):
    epci = territory[0]
    user = UserFactory(email="maire@example.fr")
    Membership.objects.create(user=user, tenant=epci, role=Role.ELECTED)
    return user


@pytest.fixture
def analyst(territory):
    epci = territory[0]
    user = UserFactory(email="analyste@example.fr")
    Membership.objects.create(user=user, tenant=epci, role=Role.ANALYST)
    return user
