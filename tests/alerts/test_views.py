"""The alerts pages and the notifications: who may read and change rules, what the form
refuses, and that everyone reads only their own notifications of collectivités they belong to."""

from __future__ import annotations

import pytest

from pilotis.alerts import check
from pilotis.alerts.models import AlertRule, Notification
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.alerts.conftest import ingest, make_town, member

pytestmark = pytest.mark.django_db
NEW = "/t/35288/alertes/nouvelle/"


def rule_for(tenant, *users, **fields) -> AlertRule:
    fields = {"metric": "requests.close_median", "comparison": "gt", "threshold": 10.0, **fields}
    rule = AlertRule.objects.create(tenant=tenant, **fields)
    rule.recipients.add(*users)
    return rule


@pytest.fixture
def form_data(town):
    _tenant, analyst = town
    return {"metric": "requests.on_time_rate", "comparison": "lt", "threshold_shown": "40",
            "period": "year_to_date", "from_month": "6", "by_email": "on", "in_app": "on",
            "active": "on", "recipients": [analyst.pk]}  # fmt: skip


def test_the_form_takes_a_percentage_and_creates_the_rule(town, client, form_data):
    """ "Handled on time < 40 % at the end of June": 40 typed, 0.40 stored, shown back as 40;
    the creator is recorded and the rule checked at once."""
    tenant, analyst = town
    client.force_login(analyst)
    page = client.get(NEW)
    assert page.status_code == 200
    text = page.content.decode()
    assert "requests.close_median" in text and "Kaplan" in text  # the chooser's definitions
    done = client.post(NEW, {**form_data, "name": "Délais à fin juin"})
    rule = AlertRule.objects.get(tenant=tenant)
    assert done.status_code == 302 and done["Location"] == f"/t/35288/alertes/{rule.pk}/"
    assert rule.threshold == pytest.approx(0.40) and rule.from_month == 6
    assert rule.created_by == analyst and list(rule.recipients.all()) == [analyst]
    assert rule.state == AlertRule.State.NO_DATA and rule.last_checked_at is not None
    page = client.get(f"/t/35288/alertes/{rule.pk}/modifier/")
    assert page.context["form"].initial["threshold_shown"] == pytest.approx(40)
    listing = client.get("/t/35288/alertes/").content.decode()
    assert "Délais à fin juin" in listing and "40\u00a0%" in listing
    assert "(à partir de fin juin)" in listing  # the month named, not "6"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"metric": "requests.nothing"}, "metric"),
        ({"dimension": "colour", "value": "bleu"}, "dimension"),
        ({"dimension": "service"}, "value"),
        ({"value": "DEP-01"}, "dimension"),
        ({"filters_text": "channel phone"}, "filters_text"),
        ({"filters_text": "colour = bleu"}, "filters_text"),
        ({"from_month": "13"}, "from_month"),
        ({"from_month": "0"}, "from_month"),
        ({"threshold_shown": "beaucoup"}, "threshold_shown"),
        ({"comparison": "between"}, "comparison"),
        ({"by_email": "", "in_app": ""}, "in_app"),
    ],
)
def test_the_form_refuses_what_the_metric_cannot_do(town, client, form_data, change, field):
    """Each mistake is said on its field (400), nothing is saved."""
    _tenant, analyst = town
    client.force_login(analyst)
    data = {k: v for k, v in {**form_data, **change}.items() if v != ""}
    bad = client.post(NEW, data)
    assert bad.status_code == 400 and field in bad.context["form"].errors
    assert not AlertRule.objects.exists()


def test_the_form_offers_only_the_tenants_members_as_recipients(town, client, form_data):
    tenant, analyst = town
    cancale = make_town("35049", "Cancale")
    outsider = member(cancale, "maire@cancale.fr", role=Role.ELECTED)
    client.force_login(analyst)
    page = client.get(NEW)
    assert "maire@cancale.fr" not in page.content.decode()
    bad = client.post(NEW, {**form_data, "recipients": [outsider.pk]})
    assert bad.status_code == 400 and "recipients" in bad.context["form"].errors


def test_filters_are_saved_and_shown_back(town, client, form_data):
    tenant, analyst = town
    client.force_login(analyst)
    data = {**form_data, "metric": "requests.volume", "dimension": "service", "value": "DEP-01",
            "filters_text": "channel = phone, email", "threshold_shown": "5",
            "comparison": "gt"}  # fmt: skip
    assert client.post(NEW, data).status_code == 302
    rule = AlertRule.objects.get()
    assert rule.filters == {"channel": ["phone", "email"]} and rule.value == "DEP-01"
    page = client.get(f"/t/35288/alertes/{rule.pk}/modifier/")
    assert page.context["form"].initial["filters_text"] == "channel = phone, email"
    detail = client.get(f"/t/35288/alertes/{rule.pk}/").content.decode()
    assert "channel = phone, email" in detail and "service = DEP-01" in detail


def test_changing_the_condition_starts_from_scratch(town, client, slow, smtp):
    """A rule in alert whose threshold is raised is checked anew: back to "normal" without a
    back-to-normal message (the old condition no longer exists)."""
    tenant, analyst = town
    ingest(tenant.code, slow)
    rule = rule_for(tenant, analyst)
    check.check(rule)
    assert len(smtp.messages) == 1
    client.force_login(analyst)
    edit = client.get(f"/t/35288/alertes/{rule.pk}/modifier/").context["form"]
    data = {name: value for name, value in edit.initial.items() if value not in (None, "")}
    data.update(threshold_shown="20", recipients=[analyst.pk], by_email="on", in_app="on",
                active="on")  # fmt: skip
    assert client.post(f"/t/35288/alertes/{rule.pk}/modifier/", data).status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == 20 and rule.state == AlertRule.State.OK
    assert rule.events.count() == 1 and len(smtp.messages) == 1


def test_the_pages_show_state_last_value_and_history(town, client, slow):
    tenant, analyst = town
    rule = rule_for(tenant, analyst, by_email=False)
    ingest(tenant.code, slow)
    client.force_login(analyst)
    listing = client.get("/t/35288/alertes/").content.decode()
    assert "12,0" in listing  # the last figure, in days
    detail = client.get(f"/t/35288/alertes/{rule.pk}/")
    assert detail.status_code == 200 and len(detail.context["events"]) == 1
    assert rule.events.get().message in detail.content.decode()
    assert client.post(f"/t/35288/alertes/{rule.pk}/verifier/").status_code == 302
    assert client.post(f"/t/35288/alertes/{rule.pk}/supprimer/").status_code == 302
    assert not AlertRule.objects.exists()


@pytest.mark.parametrize(
    ("role", "reads", "changes"),
    [(Role.ELECTED, 200, 403), (Role.ANALYST, 200, 200), (Role.STEWARD, 200, 200),
     (Role.ADMIN, 200, 200)],
)  # fmt: skip
def test_reading_needs_view_and_changing_needs_edit(town, client, role, reads, changes):
    tenant, analyst = town
    rule = rule_for(tenant, analyst)
    user = member(tenant, f"{role}@saint-malo.fr", role=role)
    client.force_login(user)
    assert client.get("/t/35288/alertes/").status_code == reads
    assert client.get(f"/t/35288/alertes/{rule.pk}/").status_code == reads
    assert client.get(NEW).status_code == changes
    assert client.get(f"/t/35288/alertes/{rule.pk}/modifier/").status_code == changes


def test_another_tenants_member_sees_none_of_its_alerts(town, client):
    """Cancale's administrator: Saint-Malo's alerts are not found (404), whatever the page."""
    tenant, analyst = town
    rule = rule_for(tenant, analyst)
    cancale = make_town("35049", "Cancale")
    own = rule_for(cancale, member(cancale, "admin@cancale.fr", role=Role.ADMIN))
    client.force_login(own.recipients.get())
    for url in ("/t/35288/alertes/", f"/t/35288/alertes/{rule.pk}/", NEW):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/t/35288/alertes/{rule.pk}/supprimer/").status_code == 404
    # nor through its own collectivité's address
    assert client.get(f"/t/35049/alertes/{rule.pk}/").status_code == 404
    assert client.get(f"/t/35049/alertes/{own.pk}/").status_code == 200
    assert AlertRule.objects.count() == 2


def test_notifications_are_each_users_own_and_from_their_collectivites(
    town, client, smtp, tmp_path, slow
):
    """Two collectivités, each an alert: the analyst of both reads both, the mayor of one only
    hers, the header badge counts the unread; marking read touches only one's own; someone
    who left a collectivité no longer reads its notifications."""
    malo, analyst = town
    cancale = make_town("35049", "Cancale")
    Membership.objects.create(user=analyst, tenant=cancale, role=Role.ANALYST)
    mayor = member(cancale, "maire@cancale.fr", role=Role.ELECTED)
    rule_for(malo, analyst, by_email=False)
    rule_for(cancale, analyst, mayor, by_email=False)
    ingest(malo.code, slow)
    ingest(cancale.code, slow)
    assert Notification.objects.filter(user=analyst).count() == 2
    client.force_login(mayor)
    page = client.get("/notifications/")
    assert [n.tenant.name for n in page.context["notifications"]] == ["Cancale"]
    assert page.context["unread_notifications"] == 1
    assert "Saint-Malo" not in page.content.decode()
    # the mayor cannot mark the analyst's notification as read
    theirs = Notification.objects.get(user=analyst, tenant=malo)
    client.post("/notifications/", {"notification": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.force_login(analyst)
    page = client.get("/notifications/")
    assert {n.tenant.name for n in page.context["notifications"]} == {"Saint-Malo", "Cancale"}
    assert page.context["unread_notifications"] == 2
    client.post("/notifications/", {"notification": theirs.pk})
    assert client.get("/notifications/").context["unread_notifications"] == 1
    Membership.objects.filter(user=analyst, tenant=cancale).delete()  # left Cancale
    page = client.get("/notifications/")
    assert [n.tenant.name for n in page.context["notifications"]] == ["Saint-Malo"]
    assert page.context["unread_notifications"] == 0
    client.post("/notifications/")
    assert Notification.objects.filter(user=mayor, read_at__isnull=True).count() == 1


def test_notifications_need_a_login(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/notifications/" in response["Location"]
