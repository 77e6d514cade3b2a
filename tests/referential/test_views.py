"""The page of a tenant's directions, services and themes: who may see and change what."""

import pytest
from django.urls import reverse

from pilotis.audit.models import AuditEvent
from pilotis.referential.models import OrgUnit, Theme
from pilotis.tenants.roles import Role
from tests.referential.factories import OrgUnitFactory, ThemeFactory


def _url(name, tenant):
    return reverse(f"referential:{name}", args=[tenant.code])


def _add_unit(client, tenant, **fields):
    data = {"new-orgunit-name": "Direction des finances", "new-orgunit-kind": "direction"}
    data.update({f"new-orgunit-{key}": value for key, value in fields.items()})
    return client.post(_url("orgunit_add", tenant), data)


def test_index_anonymous_redirected_to_login(tenants, client):
    """Anonymous users are sent to log in, the page's address kept."""
    response = client.get(_url("index", tenants["a"]))
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.STEWARD, 200), (Role.ANALYST, 403), (Role.ELECTED, 403)],
)
def test_index_by_role(tenants, client, role, status):
    """Administrators and data stewards manage units and themes; others get 403."""
    client.force_login(tenants["users"][role])
    assert client.get(_url("index", tenants["a"])).status_code == status


def test_index_other_tenant_sees_nothing(tenants, client):
    """A steward of tenant B gets 404 on tenant A's page: its existence stays private."""
    client.force_login(tenants["other_steward"])
    assert client.get(_url("index", tenants["a"])).status_code == 404
    assert _add_unit(client, tenants["a"]).status_code == 404
    assert not OrgUnit.objects.exists()


def test_index_shows_own_tree_only(tenants, client):
    """Units nest under their direction; another tenant's units never show."""
    direction = OrgUnitFactory(tenant=tenants["a"], name="Direction du numérique", kind="direction")
    OrgUnitFactory(tenant=tenants["a"], name="Service SIG", parent=direction, code="SIG")
    OrgUnitFactory(tenant=tenants["b"], name="Service secret de Cancale")
    ThemeFactory(tenant=tenants["a"], code="voirie", label="Voirie")
    ThemeFactory(tenant=tenants["b"], code="port", label="Port de Cancale")
    client.force_login(tenants["users"][Role.STEWARD])
    page = client.get(_url("index", tenants["a"])).content.decode()
    assert "Direction du numérique" in page and "Service SIG" in page and "Voirie" in page
    assert "Cancale" not in page.replace("Saint-Malo", "")
    nested = page.index("Direction du numérique") < page.index("Service SIG")
    assert nested and page.count('<ul class="tree">') == 3  # units, their children, themes
    assert "style=" not in page and "<script" not in page


def test_add_unit_steward_creates_and_audits(tenants, client):
    """A steward of tenant A adds a direction, then a service under it; both are audited."""
    steward = tenants["users"][Role.STEWARD]
    client.force_login(steward)
    response = _add_unit(client, tenants["a"], code="DF")
    assert response.status_code == 302
    direction = OrgUnit.objects.get(tenant=tenants["a"], code="DF")
    assert direction.kind == "direction"
    response = _add_unit(
        client, tenants["a"], name="Service paie", kind="service", parent=direction.pk
    )
    assert response.status_code == 302
    assert OrgUnit.objects.get(name="Service paie").parent == direction
    event = AuditEvent.objects.filter(action="data_operation").order_by("id").first()
    assert event.tenant == tenants["a"] and event.actor == steward
    assert event.details == {"operation": "orgunit.add", "label": "Direction des finances"}
    assert event.target == f"referential.orgunit:{direction.pk}"


def test_add_unit_analyst_forbidden(tenants, client):
    client.force_login(tenants["users"][Role.ANALYST])
    assert _add_unit(client, tenants["a"]).status_code == 403
    assert not OrgUnit.objects.exists()


def test_add_unit_anonymous_redirected(tenants, client):
    response = _add_unit(client, tenants["a"])
    assert response.status_code == 302 and "/connexion/" in response["Location"]
    assert not OrgUnit.objects.exists()


def test_add_unit_duplicate_code_rejected(tenants, client):
    """Codes are unique within a tenant (whatever their case), not across tenants."""
    OrgUnitFactory(tenant=tenants["a"], code="DRH")
    OrgUnitFactory(tenant=tenants["b"], code="DSI")
    client.force_login(tenants["users"][Role.STEWARD])
    response = _add_unit(client, tenants["a"], code="drh")
    assert response.status_code == 400
    assert "already used" in response.content.decode() or "déjà" in response.content.decode()
    assert _add_unit(client, tenants["a"], code="DSI").status_code == 302


def test_add_unit_parent_of_another_tenant_rejected(tenants, client):
    foreign = OrgUnitFactory(tenant=tenants["b"], name="Direction de Cancale")
    client.force_login(tenants["users"][Role.STEWARD])
    response = _add_unit(client, tenants["a"], parent=foreign.pk)
    assert response.status_code == 400
    assert not OrgUnit.objects.filter(tenant=tenants["a"]).exists()


def test_rename_unit(tenants, client):
    unit = OrgUnitFactory(tenant=tenants["a"], name="Service des eaux")
    client.force_login(tenants["users"][Role.STEWARD])
    response = client.post(
        _url("orgunit_rename", tenants["a"]),
        {"id": unit.pk, f"orgunit-{unit.pk}-name": "Régie de l'eau"},
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "Régie de l'eau"
    event = AuditEvent.objects.get(action="data_operation")
    assert event.details["before"] == "Service des eaux"


def test_rename_empty_name_rejected(tenants, client):
    unit = OrgUnitFactory(tenant=tenants["a"], name="Service des eaux")
    client.force_login(tenants["users"][Role.STEWARD])
    response = client.post(
        _url("orgunit_rename", tenants["a"]), {"id": unit.pk, f"orgunit-{unit.pk}-name": ""}
    )
    assert response.status_code == 400
    unit.refresh_from_db()
    assert unit.name == "Service des eaux"


def test_rename_unit_of_another_tenant_changes_nothing(tenants, client):
    """Posting another tenant's id to one's own page finds nothing there."""
    foreign = OrgUnitFactory(tenant=tenants["b"], name="Port")
    client.force_login(tenants["users"][Role.STEWARD])
    response = client.post(
        _url("orgunit_rename", tenants["a"]),
        {"id": foreign.pk, f"orgunit-{foreign.pk}-name": "Pris"},
    )
    assert response.status_code == 302
    foreign.refresh_from_db()
    assert foreign.name == "Port"
    assert not AuditEvent.objects.filter(action="data_operation").exists()


def test_delete_unit(tenants, client):
    unit = OrgUnitFactory(tenant=tenants["a"])
    client.force_login(tenants["users"][Role.ADMIN])
    assert client.post(_url("orgunit_delete", tenants["a"]), {"id": unit.pk}).status_code == 302
    assert not OrgUnit.objects.exists()
    assert AuditEvent.objects.get(action="data_operation").details["operation"] == "orgunit.delete"


def test_delete_unit_with_children_refused(tenants, client):
    """A direction still holding services stays: move or delete them first."""
    direction = OrgUnitFactory(tenant=tenants["a"], kind="direction")
    OrgUnitFactory(tenant=tenants["a"], parent=direction)
    client.force_login(tenants["users"][Role.STEWARD])
    response = client.post(_url("orgunit_delete", tenants["a"]), {"id": direction.pk}, follow=True)
    assert OrgUnit.objects.count() == 2
    assert "first" in response.content.decode() or "abord" in response.content.decode()


def test_delete_unit_of_another_tenant_changes_nothing(tenants, client):
    foreign = OrgUnitFactory(tenant=tenants["b"])
    client.force_login(tenants["users"][Role.STEWARD])
    client.post(_url("orgunit_delete", tenants["a"]), {"id": foreign.pk})
    client.post(_url("orgunit_delete", tenants["a"]), {"id": "not a number"})
    assert OrgUnit.objects.filter(pk=foreign.pk).exists()


def test_theme_add_rename_delete(tenants, client):
    client.force_login(tenants["users"][Role.STEWARD])
    response = client.post(
        _url("theme_add", tenants["a"]), {"new-theme-label": "Voirie", "new-theme-code": "voirie"}
    )
    assert response.status_code == 302
    theme = Theme.objects.get(tenant=tenants["a"], code="voirie")
    client.post(
        _url("theme_rename", tenants["a"]), {"id": theme.pk, f"theme-{theme.pk}-label": "Routes"}
    )
    theme.refresh_from_db()
    assert theme.label == "Routes"
    client.post(_url("theme_delete", tenants["a"]), {"id": theme.pk})
    assert not Theme.objects.exists()
    operations = list(
        AuditEvent.objects.filter(action="data_operation")
        .order_by("id")
        .values_list("details__operation", flat=True)
    )
    assert operations == ["theme.add", "theme.rename", "theme.delete"]


def test_theme_code_required_and_unique(tenants, client):
    ThemeFactory(tenant=tenants["a"], code="voirie")
    client.force_login(tenants["users"][Role.STEWARD])
    url = _url("theme_add", tenants["a"])
    assert (
        client.post(url, {"new-theme-label": "Voirie bis", "new-theme-code": "VOIRIE"}).status_code
        == 400
    )
    assert (
        client.post(url, {"new-theme-label": "Sans code", "new-theme-code": ""}).status_code == 400
    )
    assert Theme.objects.count() == 1


def test_get_on_post_only_urls_not_allowed(tenants, client):
    client.force_login(tenants["users"][Role.STEWARD])
    assert client.get(_url("orgunit_add", tenants["a"])).status_code == 405
