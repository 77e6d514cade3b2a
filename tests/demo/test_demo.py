"""`pilotis demo` builds the real Saint-Malo agglomeration, its users and data; twice is once."""

import pytest
from django.core.management import call_command

from pilotis.alerts.models import AlertEvent, AlertRule, Notification
from pilotis.audit.models import AuditEvent
from pilotis.demo.framework import DEMO_EPCI_SIREN, GENERATORS, DemoGenerator, register
from pilotis.opendata.models import Publication, PublicationVersion
from pilotis.referential.models import OrgUnit, Theme
from pilotis.tenants.models import Membership, Tenant


@pytest.fixture
def demo_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"
    return tmp_path


@pytest.mark.django_db
def test_demo_builds_the_territory_and_is_idempotent(demo_dir, capsys):
    call_command("demo")
    out = capsys.readouterr().out
    epci = Tenant.objects.get(code=DEMO_EPCI_SIREN)
    assert epci.kind == "epci" and "Saint Malo" in epci.name
    assert epci.members.count() == 18
    saint_malo = Tenant.objects.get(code="35288")
    assert saint_malo.parent == epci and "35400" in saint_malo.postal_codes
    assert "admin@demo.pilotis.fr" in out and "pilotis-demo" in out
    roles = set(Membership.objects.filter(tenant=epci).values_list("role", flat=True))
    assert roles == {"admin", "steward", "analyst", "elected"}
    assert OrgUnit.objects.filter(tenant=saint_malo, kind="direction").count() >= 5
    # The org chart's ten themes, and « Autres demandes » of the request sources.
    assert Theme.objects.filter(tenant=saint_malo).count() == 11
    exported = (demo_dir / "demo" / "organigramme" / "organigramme_35288.csv").read_bytes()
    assert (
        b";" in exported and "Propreté".encode("cp1252") in exported
    )  # Windows-1252, like the real export

    # Open data: the requests anonymised, the monthly counts, the car parks, the subsidies file
    # published against the national schema after the safe fixes.
    online = {p.slug: p.current() for p in Publication.objects.filter(tenant=saint_malo)}
    assert set(online) == {
        "demandes-usagers",
        "demandes-par-mois",
        "zones-stationnement",
        "subventions",
    }, online
    assert all(v is not None for v in online.values()), online
    subsidies = online["subventions"]
    assert subsidies.rows == 40 and {f["kind"] for f in subsidies.report["fixes"]} >= {
        "header",
        "number",
        "date",
    }
    assert "geojson" in online["zones-stationnement"].resources
    versions = PublicationVersion.objects.count()

    # Alerts: three rules checked on the demo's data; the one above its threshold told its
    # recipients in the application (the demo sends no e-mail).
    rules = {r.metric: r for r in AlertRule.objects.all()}
    assert set(rules) == {"requests.close_median", "requests.backlog", "finance.execution_rate"}
    assert all(r.state in ("ok", "alert", "waiting") for r in rules.values()), rules
    backlog = rules["requests.backlog"]
    assert backlog.state == "alert" and backlog.last_value > backlog.threshold > 0
    assert f"{backlog.threshold:,.0f}".replace(",", "\u202f") in backlog.name
    assert backlog.tenant == epci and not backlog.by_email
    told = Notification.objects.filter(event__rule=backlog)
    assert {n.user.email for n in told} == {"elu@demo.pilotis.fr", "admin@demo.pilotis.fr"}
    alert_events = AlertEvent.objects.count()

    counts = (
        Tenant.objects.count(),
        Membership.objects.count(),
        OrgUnit.objects.count(),
        Theme.objects.count(),
    )
    events = AuditEvent.objects.count()
    call_command("demo")
    assert (
        Tenant.objects.count(),
        Membership.objects.count(),
        OrgUnit.objects.count(),
        Theme.objects.count(),
    ) == counts
    assert AuditEvent.objects.count() == events
    assert PublicationVersion.objects.count() == versions  # nothing changed: no new version
    assert AlertRule.objects.count() == 3 and AlertEvent.objects.count() == alert_events


def test_generators_refuse_duplicate_names():
    class Twin(DemoGenerator):
        name = "organigramme"

    assert "organigramme" in GENERATORS
    with pytest.raises(ValueError, match="already registered"):
        register(Twin)
