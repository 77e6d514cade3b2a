"""Alerts checked on real connectors loads: a rule fires when a load makes its figure cross the
threshold, e-mails a real SMTP server and notifies in the application, once; a corrected load
brings it back to normal; "at the end of June" waits for June; the worker's daily run and the
`pilotis alerts check` command do the same."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from pilotis.alerts import check, tasks
from pilotis.alerts.models import AlertEvent, AlertRule, Notification
from pilotis.connectors.models import LoadRun
from pilotis.metrics import periods, registry
from tests.alerts.conftest import ANCHOR, ingest, make_town, member, write_export

pytestmark = pytest.mark.django_db


def rule_for(tenant, *users, **fields) -> AlertRule:
    fields = {"metric": "requests.close_median", "comparison": "gt", "threshold": 10.0, **fields}
    rule = AlertRule.objects.create(tenant=tenant, **fields)
    rule.recipients.add(*users)
    return rule


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_load_over_the_threshold_fires_once_by_email_and_in_the_app(town, smtp, slow):
    """ "Median time to close > 10 days": the load that makes it 12 days fires the alert,
    tells the recipient by e-mail (French text, period, link) and in the application; the
    morning check that follows sends nothing more."""
    tenant, analyst = town
    rule = rule_for(tenant, analyst)
    counts = ingest(tenant.code, slow)
    assert counts["loaded"] == 24 * 6 and counts["quarantined"] == 0
    rule.refresh_from_db()
    assert rule.state == AlertRule.State.ALERT and rule.last_value == pytest.approx(12.0)
    event = rule.events.get()
    assert event.kind == AlertEvent.Kind.FIRED and event.emailed == 1
    year_start = periods.shift_months(ANCHOR, -12) + timedelta(days=1)
    assert (event.start, event.end) == (year_start, ANCHOR)
    assert event.value == pytest.approx(12.0) and event.threshold == 10.0
    # the figure is the registry's, the one the dashboards show
    q = registry.Query((tenant.code,), event.start, event.end)
    assert registry.total(registry.evaluate("requests.close_median", q)) == pytest.approx(12.0)
    # « Délai médian de clôture : 12,0 jours sur les 12 derniers mois, au-dessus du seuil de
    # 10 jours. » — French label and numbers (the sentence's words come from the catalogue)
    assert event.message.startswith("Délai médian de clôture")
    assert "12,0 jours" in event.message and "10 jours" in event.message
    ((to, message),) = smtp.messages
    assert to == ["analyste@saint-malo.fr"]
    assert "Saint-Malo" in message["Subject"] and "Délai médian de clôture" in message["Subject"]
    body = plain(message)
    assert event.message in body
    assert f"http://127.0.0.1:8000/t/35288/alertes/{rule.pk}/" in body
    assert event.start.strftime("%d/%m/%Y") in body and ANCHOR.strftime("%d/%m/%Y") in body
    note = Notification.objects.get(user=analyst)
    assert (note.tenant, note.event, note.read_at) == (tenant, event, None)
    assert note.url == f"/t/35288/alertes/{rule.pk}/"
    # still above at the daily run and on demand: nothing new
    assert tasks.daily.call_local() == 0 and check.check(rule) is None
    assert len(smtp.messages) == 1 and rule.events.count() == 1
    assert Notification.objects.count() == 1


def test_a_corrected_load_brings_it_back_to_normal_and_says_so(town, smtp, slow, fast):
    """The same requests re-loaded with their true closing dates (2 days): a "back to normal"
    event, e-mail and notification; then silence."""
    tenant, analyst = town
    rule = rule_for(tenant, analyst)
    ingest(tenant.code, slow)
    ingest(tenant.code, fast)
    rule.refresh_from_db()
    assert rule.state == AlertRule.State.OK and rule.last_value == pytest.approx(2.0)
    resolved, fired = rule.events.all()
    assert (fired.kind, resolved.kind) == (AlertEvent.Kind.FIRED, AlertEvent.Kind.RESOLVED)
    assert resolved.value == pytest.approx(2.0) and resolved.emailed == 1
    assert "2,0 jours" in resolved.message
    assert [to for to, _m in smtp.messages] == [["analyste@saint-malo.fr"]] * 2
    assert smtp.messages[1][1]["Subject"] != smtp.messages[0][1]["Subject"]
    assert Notification.objects.filter(user=analyst).count() == 2
    assert check.check_all(tenant) == [] and len(smtp.messages) == 2


def test_only_rules_reading_the_loaded_table_are_checked_and_a_broken_rule_spares_the_load(
    town, slow
):
    """A requests load checks the requests rules, not a parking one; a rule naming an
    indicator that no longer exists is skipped, and the load is committed all the same."""
    tenant, analyst = town
    parking = next(m for m in registry.all_metrics() if "parking" in m.slug and m.source_tables)
    on_requests = rule_for(tenant, analyst, by_email=False)
    on_parking = rule_for(tenant, analyst, metric=parking.slug, by_email=False)
    rule_for(tenant, analyst, metric="requests.gone_since", by_email=False)
    ingest(tenant.code, slow)
    on_requests.refresh_from_db()
    on_parking.refresh_from_db()
    assert on_requests.last_checked_at is not None and on_parking.last_checked_at is None
    assert LoadRun.objects.get(tenant=tenant).status == "succeeded"


def test_an_end_of_june_rule_is_judged_only_from_june(town, smtp, slow):
    """ "Since 1 January, at the end of June": checked in May, the figure is read but nothing
    fires; checked once the data reach 30 June, it fires, over January–June; the next winter
    it waits again, so next June's crossing is told anew."""
    tenant, analyst = town
    ingest(tenant.code, slow)
    year = ANCHOR.year - 1  # a year the export covers entirely
    rule = rule_for(tenant, analyst, metric="requests.volume", comparison="lt", threshold=10_000,
                    period="year_to_date", from_month=6)  # fmt: skip
    assert check.check(rule, date(year, 5, 20)) is None  # anchor 30 April: not yet
    rule.refresh_from_db()
    assert rule.state == AlertRule.State.WAITING and rule.last_value == 4 * 6
    assert smtp.messages == []
    event = check.check(rule, date(year, 7, 2))  # anchor 30 June
    assert event is not None and event.kind == AlertEvent.Kind.FIRED
    assert (event.start, event.end) == (date(year, 1, 1), date(year, 6, 30))
    assert event.value == 6 * 6 and len(smtp.messages) == 1
    assert check.check(rule, date(year, 9, 2)) is None  # still in alert: silence
    assert check.check(rule, date(year + 1, 2, 2)) is None  # anchor 31 January: waits
    assert rule.state == AlertRule.State.WAITING and rule.last_value == 6
    assert check.check(rule, date(year, 7, 2)).kind == AlertEvent.Kind.FIRED
    assert len(smtp.messages) == 2 and rule.events.count() == 2


def test_a_rule_narrowed_to_a_dimension_value_and_filters_reads_that_figure(town, slow):
    """service = DEP-01 and channel in (phone, email): the figure of those requests only."""
    tenant, analyst = town
    ingest(tenant.code, slow)
    rule = rule_for(tenant, analyst, metric="requests.volume", dimension="service",
                    value="DEP-01", filters={"channel": ["phone", "email"]},
                    threshold=10**9, by_email=False)  # fmt: skip
    check.check(rule)
    start, end = periods.period("rolling_year", ANCHOR)
    filters = {"service": ("DEP-01",), "channel": ("phone", "email")}
    query = registry.Query((tenant.code,), start, end, filters=filters)
    expected = registry.total(registry.evaluate("requests.volume", query))
    rule.refresh_from_db()
    assert rule.last_value == expected == 12 * 2 and rule.state == AlertRule.State.OK


def test_a_tenant_without_data_is_not_judged(town, smtp):
    """No load yet: the rule says "no figure", fires nothing."""
    tenant, analyst = town
    rule = rule_for(tenant, analyst, metric="requests.volume", comparison="lt", threshold=5)
    assert check.check(rule) is None
    rule.refresh_from_db()
    assert rule.state == AlertRule.State.NO_DATA and smtp.messages == []


def test_nobody_outside_the_tenant_is_told(town, smtp, slow):
    """A recipient who is not (or no longer) a member of the collectivité gets neither the
    e-mail nor the notification."""
    tenant, analyst = town
    cancale = make_town("35049", "Cancale")
    outsider = member(cancale, "intrus@cancale.fr", role="admin")
    rule = rule_for(tenant, analyst, outsider)
    ingest(tenant.code, slow)
    assert [to for to, _m in smtp.messages] == [["analyste@saint-malo.fr"]]
    assert rule.events.get().emailed == 1
    assert not Notification.objects.filter(user=outsider).exists()


def test_an_intercommunality_rule_is_checked_after_a_member_load(db, warehouse, smtp, slow):
    """The agglomeration's rule reads its members' data together: a member's load checks it."""
    epci = make_town("243500782", "Saint-Malo Agglomération", kind="epci")
    malo = make_town("35288", "Saint-Malo", parent=epci, shares_with_parent=True)
    dgs = member(epci, "dgs@stmalo-agglo.fr", role="admin")
    rule = rule_for(epci, dgs)
    ingest(malo.code, slow)
    rule.refresh_from_db()
    assert rule.state == AlertRule.State.ALERT
    assert [to for to, _m in smtp.messages] == [["dgs@stmalo-agglo.fr"]]
    assert "Saint-Malo Agglomération" in smtp.messages[0][1]["Subject"]


def test_the_command_checks_and_says_what_changed(town, slow):
    tenant, analyst = town
    rule = rule_for(tenant, analyst, by_email=False, active=False)
    ingest(tenant.code, slow)  # inactive: not checked by the load
    rule.active = True
    rule.save()
    out = StringIO()
    call_command("alerts", "check", "--tenant", "35288", stdout=out)
    text = out.getvalue()
    assert "[35288] Délai médian de clôture" in text
    assert text.splitlines()[-1].startswith("1 ")
    rule.refresh_from_db()
    assert rule.state == AlertRule.State.ALERT
    with pytest.raises(Exception, match="99999"):
        call_command("alerts", "check", "--tenant", "99999", stdout=StringIO())


def test_a_failing_mail_server_keeps_the_event_and_the_notification(town, slow, settings):
    """The mail server refuses the connection: the event is recorded (0 e-mail sent), the
    in-app notification is there, the load succeeded."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: refused
    tenant, analyst = town
    rule = rule_for(tenant, analyst)
    ingest(tenant.code, slow)
    event = rule.events.get()
    assert event.emailed == 0 and Notification.objects.filter(event=event).count() == 1
    assert LoadRun.objects.get(tenant=tenant).status == "succeeded"


def test_a_month_rule_reads_the_last_month(town, slow):
    tenant, analyst = town
    ingest(tenant.code, slow)
    rule = rule_for(tenant, analyst, metric="requests.volume", period="month", threshold=5,
                    comparison="ge", in_app=False, by_email=False)  # fmt: skip
    event = check.check(rule)
    assert event is not None and event.value == 6
    assert (event.start, event.end) == (ANCHOR.replace(day=1), ANCHOR)


def test_write_export_is_a_windows_1252_french_file(tmp_path):
    path = write_export(tmp_path / "x.csv", days=3)
    raw = path.read_bytes()
    assert "Clôturée".encode("cp1252") in raw and b";" in raw and b"\r\n" in raw


def test_a_load_queues_no_check_where_there_is_no_rule(town, slow):
    """The connectors call the hook after every load; without an active rule it queues
    nothing (the worker is not woken for nothing)."""
    from pilotis.alerts.tasks import after_load

    tenant, analyst = town
    rule_for(tenant, analyst, active=False)
    assert after_load(tenant.pk, "requests") is False
    rule_for(tenant, analyst)
    assert after_load(tenant.pk, "requests") is True
