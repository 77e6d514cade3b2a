import shutil
import uuid
from pathlib import Path

import pytest

from pilotis.tenants.roles import Role
from pilotis.warehouse import storage
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory

UPLOAD_TOKEN = "0123456789abcdef"
SOURCE_MAPPING = (
    "table: requests\nfields:\n  service_request_id: id\n  status: s\n  requested_datetime: d\n"
)


def tenant_objects(tenant_code: str, route: str = "") -> dict[str, str]:
    """URL parameters naming the objects `world` creates in each tenant (the Open311 server's
    tokens are its own: UUIDs given when a request is posted)."""
    if route.startswith("t/<str:tenant_code>/projets/"):
        return {"<int:project_id>": str(int(tenant_code) * 10), "<slug:chart>": "valeur"}
    if route.startswith("t/<str:tenant_code>/stationnement/"):
        return {"<slug:chart>": "scenarios" if "simulation" in route else "zones"}
    if route.startswith("t/<str:tenant_code>/finances/"):
        return {"<slug:chart>": "sections"}
    if route.startswith("t/<str:tenant_code>/tableau-de-bord/"):
        return {"<slug:chart>": "membres"}
    if route.startswith("t/<str:tenant_code>/tableaux/"):  # a shared page and its panel
        page = str(int(tenant_code) * 10)
        return {"<int:dashboard_id>": page, "<int:panel_id>": page}
    if route.startswith("t/<str:tenant_code>/alertes/"):
        return {"<int:rule_id>": str(int(tenant_code) * 10)}
    if route.startswith("t/<str:tenant_code>/publication/"):
        return {"<int:publication_id>": str(int(tenant_code) * 10)}
    if route.startswith(("donnees-ouvertes/", "api/donnees/")):  # open-data portal and API
        return {"<slug:slug>": "requests", "<str:fmt>": "csv", "<int:number>": "1"}
    if route.startswith("open311/"):
        return {
            "<str:service_code>": "voirie",
            "<str:service_request_id>": f"{tenant_code}-1",
            "<str:token>": str(uuid.uuid5(uuid.NAMESPACE_DNS, tenant_code)),
        }
    return {
        "<str:source_name>": "gru",
        "<uuid:load_id>": str(uuid.uuid5(uuid.NAMESPACE_URL, tenant_code)),
        "<str:token>": UPLOAD_TOKEN,
        "<slug:slug>": "requests",
        "<slug:chart>": "volume",
        "<int:record_id>": str(int(tenant_code) * 10),
    }


def _tenant_data(tenant, var_dir, parking_town: Path) -> None:
    """A source, a load and an uploaded file in `tenant`, so that every page has an object."""
    from pilotis.connectors.models import LoadRun, Source

    source = Source.objects.create(
        tenant=tenant,
        name="gru",
        kind="file",
        mapping=SOURCE_MAPPING,
        config={"path": str(var_dir / "absent.csv")},
    )
    LoadRun.objects.create(
        id=uuid.UUID(tenant_objects(tenant.code)["<uuid:load_id>"]),
        tenant=tenant,
        source=source,
        source_name="gru",
        table="requests",
        status=LoadRun.Status.SUCCEEDED,
        mapping=SOURCE_MAPPING,
    )
    from pilotis.catalog.entries import ensure_dataset
    from pilotis.catalog.models import ProcessingRecord

    ensure_dataset(tenant, "requests")
    ProcessingRecord.objects.create(
        id=int(tenant.code) * 10, tenant=tenant, name="Gestion des demandes des usagers"
    )
    upload = var_dir / "uploads" / tenant.code / UPLOAD_TOKEN
    upload.mkdir(parents=True)
    (upload / "export.csv").write_text("id;s;d\n1;open;01/01/2026\n", encoding="utf-8")
    (upload / ".table").write_text("requests", encoding="utf-8")
    _open311_objects(tenant)
    from pilotis.portfolio.models import Project

    Project.objects.create(
        id=int(tenant.code) * 10, tenant=tenant, number="P-01", title="Portail", status="idee"
    )
    import pyarrow as pa

    from tests.opendata.builders import published

    published(  # one dataset online, id code × 10, at the slug every portal route uses
        tenant,
        "requests",
        pa.table({"category": ["voirie", "proprete"], "count": [3, 5]}),
        id=int(tenant.code) * 10,
        source_table="requests",
    )
    from tests.dashboards.builders import shared_page

    shared_page(tenant, id=int(tenant.code) * 10)
    from pilotis.alerts.models import AlertRule

    AlertRule.objects.create(  # one alert, id code × 10
        id=int(tenant.code) * 10, tenant=tenant, metric="requests.volume", comparison="gt",
        threshold=1000,
    )  # fmt: skip
    for table in parking_town.iterdir():  # the same small parking town in every tenant
        shutil.copytree(table, storage.table_uri(tenant.code, table.name))


def _open311_objects(tenant) -> None:
    """A theme (an Open311 service), one request in the warehouse and the token it was given."""
    from datetime import UTC, datetime

    import pandas as pd

    from pilotis.open311.models import Submission
    from pilotis.referential.models import Theme
    from tests.requests.test_page import write_requests

    objects = tenant_objects(tenant.code, "open311/")
    Theme.objects.create(tenant=tenant, code=objects["<str:service_code>"], label="Voirie")
    request_id = objects["<str:service_request_id>"]
    frame = pd.DataFrame(
        {
            "service_request_id": [request_id],
            "status": ["open"],
            "category": ["voirie"],
            "requested_datetime": [datetime(2026, 11, 2, 9, 30, tzinfo=UTC)],
        }
    )
    write_requests(tenant.code, frame)
    Submission.objects.create(
        tenant=tenant,
        token=uuid.UUID(objects["<str:token>"]),
        service_request_id=request_id,
        service_code="voirie",
    )


@pytest.fixture
def world(db, warehouse, tmp_path, parking_town):
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
    for tenant in (member, private, other):
        _tenant_data(tenant, tmp_path, parking_town)
    return {
        "epci": epci,
        "member": member,
        "private": private,
        "other": other,
        "users": users,
        "epci_admin": epci_admin,
        "other_admin": other_admin,
    }
