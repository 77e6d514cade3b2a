"""Fixtures of the catalog tests: a warehouse in a temporary folder, a tenant with services and
themes, and a helper that writes a real Delta table of requests."""

from datetime import UTC, datetime

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from django.utils import translation

from pilotis.referential.models import OrgUnit, Theme
from pilotis.tenants.roles import Role
from pilotis.warehouse import storage
from pilotis.warehouse.schemas import get_schema
from tests.tenants.conftest import world  # noqa: F401 - a fixture
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory


@pytest.fixture
def tenant(db, warehouse):
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    OrgUnit.objects.create(tenant=tenant, name="Voirie", code="VOI")
    for code, label in (("voirie", "Voirie"), ("proprete", "Propreté")):
        Theme.objects.create(tenant=tenant, code=code, label=label)
    return tenant


@pytest.fixture
def people(tenant):
    """One user per role in `tenant`."""
    return {
        role: MembershipFactory(
            tenant=tenant, role=role, user=UserFactory(username=f"{role}@saint-malo.fr")
        ).user
        for role in Role.values
    }


def request_row(request_id, **values):
    """A valid row of the `requests` table; `values` override fields."""
    row = {
        "service_request_id": request_id,
        "status": "open",
        "requested_datetime": datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        "category": "voirie",
        "service": "VOI",
        "channel": "phone",
        "description": "Nid de poule",
    }
    row.update(values)
    return row


def write_requests(tenant_code, rows, mode="overwrite", load_id="load-1"):
    """Write `rows` (dicts of canonical fields) as the tenant's Delta table `requests`."""
    schema = storage.arrow_schema(get_schema("requests"))
    columns = {}
    for field in schema:
        if field.name == "_tenant":
            values = [tenant_code] * len(rows)
        elif field.name == "_source":
            values = ["gru"] * len(rows)
        elif field.name == "_load_id":
            values = [load_id] * len(rows)
        elif field.name == "_source_row":
            values = list(range(1, len(rows) + 1))
        else:
            values = [row.get(field.name) for row in rows]
        columns[field.name] = pa.array(values, field.type)
    table = pa.Table.from_pydict(columns, schema=schema)
    write_deltalake(storage.table_uri(tenant_code, "requests"), table, mode=mode)


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Assertions read the English messages: French ones arrive with the translations."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
