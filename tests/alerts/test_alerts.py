"""Alerts on a real connectors load: the rule fires when the load makes its figure cross the
threshold, e-mails a real SMTP server and notifies in the application, once; comes back to
normal; "at the end of June" waits for June; nobody else is told."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from pilotis.alerts import check
from pilotis.alerts.models import AlertEvent, AlertRule, Notification
from pilotis.metrics import periods, registry
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.dashboards.conftest import ingest, write_export
from tests.tenants.factories import TenantFactory, UserFactory

TODAY = date(2026, 12, 3)  # the export runs to 30 November 2026


@pytest.fixture
def malo(db, warehouse):
    from pilotis.connectors import pipeline

    from pilotis.referential.models import OrgUnit, Theme
    from tests.dashboards.conftest import SERVICES, THEMES

    pipeline._INDEX.clear()
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    for code, label in zip(("VOIRIE", "PROPRETE", "ECLAIRAGE"), THEMES, strict=True):
        Theme.objects.create(tenant=tenant, code=code, label=label)
    for code in SERVICES:
        OrgUnit.objects.create(tenant=tenant, name=code, code=code, kind=OrgUnit.Kind.SERVICE)
    analyst = UserFactory(email="analyste@saint-malo.fr")
    Membership.objects.create(user=analyst, tenant=tenant, role=Role.ANALYST)
    return tenant, analyst


def median_now(tenant) -> float:
    anchor = date(2026, 11, 30)
    start, end = periods.period("rolling_year", anchor)
    q = registry.Query((tenant.code,), start, end, as_of=check.datetime(2026, 12, 1, tzinfo=check.PARIS))
    return registry.total(registry.evaluate("requests.close_median", q))


def rule_for(tenant, user, **fields) -> AlertRule:
    rule = AlertRule.objects.create(
        tenant=tenant,
        metric=fields.pop("metric", "requests.close_median"),
        comparison=fields.pop("comparison", "gt"),
        threshold=fields.pop("threshold", 1.0),
        **fields,
    )
    rule.recipients.add(user)
    return rule


@pytest.mark.django_db
def test_a_load_fires_the_alert_once_by_email_and_in_the_app(malo, smtp, tmp_path):
    tenant, analyst = malo
    rule = rule_for(tenant, analyst, threshold=1.0)  # median > 1 day
    counts = ingest(tenant.code, write_export(tmp_path / "demandes.csv"))
    assert counts["loaded"] > 0
    rule.refresh_from_db()
    assert rule.state == AlertRule.State.ALERT
    assert rule.last_value == pytest.approx(median_now(tenant))
    event = rule.events.get()
    assert event.kind == AlertEvent.Kind.FIRED and event.emailed == 1
    (to, message), = smtp.messages
    assert to == ["analyste@saint-malo.fr"]
    body = message.get_body(("plain",)).get_content()
    assert "Saint-Malo" in body and f"/t/35288/alertes/{rule.pk}/" in body
    assert "01/12/2025" in body and "30/11/2026" in body  # the period: 12 months to November
    note = Notification.objects.get(user=analyst)
    assert note.tenant == tenant and note.read_at is None and note.message == event.message
    # checked again (the daily run): still above, nothing new is sent
    assert check.check(rule, TODAY) is None
    assert len(smtp.messages) == 1 and rule.events.count() == 1


@pytest.mark.django_db
def test_back_to_normal_is_recorded_and_told(malo, smtp, tmp_path):
    tenant, analyst = malo
    ingest(tenant.code, write_export(tmp_path / "demandes.csv"))
    rule = rule_for(tenant, analyst, threshold=1.0)
    assert check.check(rule, TODAY).kind == AlertEvent.Kind.FIRED
    rule.threshold = 10_000
    rule.save()
    event = check.check(rule, TODAY)
    assert event.kind == AlertEvent.Kind.RESOLVED and rule.state == AlertRule.State.OK
    assert len(smtp.messages) == 2
    assert Notification.objects.filter(user=analyst).count() == 2


@pytest.mark.django_db
def test_an_end_of_june_rule_waits_for_june(malo, smtp, tmp_path):
    tenant, analyst = malo
    ingest(tenant.code, write_export(tmp_path / "demandes.csv"))
    # "requests handled on time below 101 % since 1 January, at the end of June": always true
    # once due, so the only question is when it is checked
    rule = rule_for(
        tenant, analyst, metric="requests.volume", comparison="gt", threshold=0,
        period="year_to_date", from_month=6,
    )  # fmt: skip
    assert check.check(rule, date(2026, 5, 20)) is None  # anchor 30 April: not yet
    rule.refresh_from_db()
    assert rule.state == AlertRule.State.UNKNOWN and rule.last_value > 0
    event = check.check(rule, date(2026, 7, 2))  # anchor 30 June
    assert event is not None and (event.start, event.end) == (date(2026, 1, 1), date(2026, 6, 30))


@pytest.mark.django_db
def test_a_narrowed_rule_reads_the_figure_of_its_dimension_value(malo, tmp_path):
    tenant, analyst = malo
    ingest(tenant.code, write_export(tmp_path / "demandes.csv"))
    rule = rule_for(tenant, analyst, metric="requests.volume", dimension="channel", value="phone",
                    threshold=10**9, by_email=False)  # fmt: skip
    check.check(rule, TODAY)
    start, end = periods.period("rolling_year", date(2026, 11, 30))
    q = registry.Query((tenant.code,), start, end, filters={"channel": ("phone",)})
    expected = registry.total(registry.evaluate("requests.volume", q))
    rule.refresh_from_db()
    assert rule.last_value == expected and rule.state == AlertRule.State.OK
    whole = registry.total(registry.evaluate("requests.volume", registry.Query((tenant.code,), start, end)))
    assert 0 < expected < whole


@pytest.mark.django_db
def test_nobody_outside_the_tenant_is_told(malo, smtp, tmp_path, client):
    tenant, analyst = malo
    other = TenantFactory(code="35049", name="Cancale")
    outsider = UserFactory(email="intrus@cancale.fr")
    Membership.objects.create(user=outsider, tenant=other, role=Role.ADMIN)
    ingest(tenant.code, write_export(tmp_path / "demandes.csv"))
    rule = rule_for(tenant, analyst, threshold=1.0)
    rule.recipients.add(outsider)  # e.g. chosen before leaving the tenant
    check.check(rule, TODAY)
    assert [to for to, _m in smtp.messages] == [["analyste@saint-malo.fr"]]
    assert not Notification.objects.filter(user=outsider).exists()
    client.force_login(outsider)
    page = client.get("/notifications/")
    assert page.status_code == 200 and "Saint-Malo" not in page.content.decode()
    assert client.get(f"/t/35288/alertes/{rule.pk}/").status_code == 404
    client.force_login(analyst)
    page = client.get("/notifications/")
    assert "Saint-Malo" in page.content.decode() and page.context["unread_notifications"] == 1
    client.post("/notifications/")
    assert not Notification.objects.filter(user=analyst, read_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_form_takes_a_percentage_and_refuses_what_the_metric_cannot_do(malo, client):
    tenant, analyst = malo
    client.force_login(analyst)
    url = "/t/35288/alertes/nouvelle/"
    base = {"metric": "requests.on_time_rate", "comparison": "lt", "threshold_shown": "40",
            "period": "year_to_date", "from_month": "6", "by_email": "on", "in_app": "on",
            "active": "on", "recipients": [analyst.pk]}  # fmt: skip
    bad = client.post(url, {**base, "dimension": "colour", "value": "bleu"})
    assert bad.status_code == 400 and "dimension" in bad.context["form"].errors
    bad = client.post(url, {**base, "from_month": "13"})
    assert bad.status_code == 400 and "from_month" in bad.context["form"].errors
    bad = client.post(url, {**base, "metric": "requests.nothing"})
    assert bad.status_code == 400 and "metric" in bad.context["form"].errors
    done = client.post(url, base)
    assert done.status_code == 302
    rule = AlertRule.objects.get(tenant=tenant)
    assert rule.threshold == pytest.approx(0.40) and rule.from_month == 6
    assert list(rule.recipients.all()) == [analyst]
    page = client.get(f"/t/35288/alertes/{rule.pk}/modifier/")
    assert page.context["form"].initial["threshold_shown"] == pytest.approx(40)


@pytest.mark.django_db
def test_an_elected_official_reads_alerts_but_does_not_change_them(malo, client):
    tenant, analyst = malo
    rule = rule_for(tenant, analyst)
    mayor = UserFactory()
    Membership.objects.create(user=mayor, tenant=tenant, role=Role.ELECTED)
    client.force_login(mayor)
    assert client.get("/t/35288/alertes/").status_code == 200
    assert client.get(f"/t/35288/alertes/{rule.pk}/").status_code == 200
    assert client.get("/t/35288/alertes/nouvelle/").status_code == 403
    assert client.post(f"/t/35288/alertes/{rule.pk}/supprimer/").status_code == 403


@pytest.mark.django_db
def test_the_command_checks_and_says_what_changed(malo, tmp_path, capsys):
    tenant, analyst = malo
    ingest(tenant.code, write_export(tmp_path / "demandes.csv"))
    rule_for(tenant, analyst, threshold=1.0, by_email=False)
    from io import StringIO

    out = StringIO()
    call_command("alerts", "check", "--tenant", "35288", stdout=out)
    text = out.getvalue()
    assert "1 règle(s) vérifiée(s), 1 en alerte" in text
