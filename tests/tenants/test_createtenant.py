"""`pilotis createtenant CODE` fills a tenant from the official referential."""

import pytest
from django.core.management import CommandError, call_command

from pilotis.audit.models import AuditEvent
from pilotis.referential.load import load_snapshot
from pilotis.tenants.models import Tenant


@pytest.fixture
def referential(db):
    load_snapshot()


def test_createtenant_of_a_commune_fills_it_from_the_referential(referential, capsys, client):
    call_command("createtenant", "35288")
    tenant = Tenant.objects.get(code="35288")
    assert tenant.name == "Saint-Malo" and tenant.kind == "commune"
    assert tenant.population > 40000 and "35400" in tenant.postal_codes
    assert len(tenant.siren) == 9
    assert tenant.parent is None  # its EPCI is not served by this instance…
    assert tenant.epci_code == "243500782"  # …but is known, and named on the tenant's page
    assert "Saint Malo Agglomération" in client.get("/t/35288/").content.decode()
    assert AuditEvent.objects.filter(action="tenant_created", tenant=tenant).exists()
    assert "Saint-Malo" in capsys.readouterr().out


def test_createtenant_of_an_epci_creates_its_members(referential):
    call_command("createtenant", "243500782")
    epci = Tenant.objects.get(code="243500782")
    assert epci.kind == "epci"
    assert epci.members.count() == 18
    assert Tenant.objects.get(code="35288").parent == epci


def test_commune_created_after_its_epci_is_attached_to_it(referential):
    call_command("createtenant", "243500782", "--without-members")
    call_command("createtenant", "35049")
    assert Tenant.objects.get(code="35049").parent.code == "243500782"


def test_createtenant_with_an_unknown_code_says_what_to_give(referential):
    """The command line explains in French, then in English, and creates nothing."""
    with pytest.raises(CommandError) as error:
        call_command("createtenant", "99999")
    french, english = str(error.value).split("\n")
    assert "Aucune" in french and "35288" in french
    assert "No commune" in english and "243500782" in english
    assert not Tenant.objects.exists()


def test_createtenant_refuses_a_municipal_arrondissement(referential):
    with pytest.raises(CommandError, match="arrondissement"):
        call_command("createtenant", "75101")
