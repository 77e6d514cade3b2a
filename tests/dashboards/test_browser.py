"""The builder page and a built page in real headless Chromium: the charts drawn under the
strict CSP, and no WCAG 2.1 AA violation (axe-core)."""

from __future__ import annotations

import os

import pytest
from axe_playwright_python.sync_playwright import Axe

from pilotis.dashboards.models import ChartKind, Dashboard, Panel, Visibility
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.dashboards.conftest import SERVICES, THEMES, ingest, write_export
from tests.shell.test_browser_a11y import AA_TAGS, PASSWORD, _login
from tests.tenants.factories import TenantFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def built(transactional_db, warehouse, tmp_path):
    from pilotis.connectors import pipeline
    from pilotis.referential.models import OrgUnit, Theme

    pipeline._INDEX.clear()
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    for code, label in zip(("VOIRIE", "PROPRETE", "ECLAIRAGE"), THEMES, strict=True):
        Theme.objects.create(tenant=tenant, code=code, label=label)
    for code in SERVICES:
        OrgUnit.objects.create(tenant=tenant, name=code, code=code, kind=OrgUnit.Kind.SERVICE)
    ingest(tenant.code, write_export(tmp_path / "export.csv"))
    user = UserFactory(username="analyste@saint-malo.fr", password=PASSWORD)
    Membership.objects.create(user=user, tenant=tenant, role=Role.ANALYST)
    page = Dashboard.objects.create(
        tenant=tenant, title="Relation usagers", owner=user, visibility=Visibility.SHARED
    )
    Panel.objects.create(dashboard=page, position=0, metric="requests.volume")
    Panel.objects.create(
        dashboard=page, position=1, metric="requests.volume", by="category", chart=ChartKind.HBAR
    )
    Panel.objects.create(
        dashboard=page, position=2, metric="requests.volume_series", by="month",
        chart=ChartKind.LINE,
    )  # fmt: skip
    return page


def _violations(page) -> list[str]:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AA_TAGS}})
    return [
        f"{page.url}: {v['id']} — {v['help']}: {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
    ]


def test_builder_and_page_draw_and_pass_axe(browser, live_server, built):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    _login(page, live_server.url, "analyste@saint-malo.fr")
    base = f"{live_server.url}/t/35288/tableaux/{built.pk}/"

    page.goto(base + "panneaux/ajouter/?metric=requests.close_median")
    select = page.locator("#id_metric")
    assert select.get_attribute("aria-describedby") == "metric-help"
    assert "Kaplan" in page.locator("#metric-help").inner_text()
    assert select.locator("option[value='requests.volume']").get_attribute("title")
    problems = _violations(page)
    # Choosing another indicator without JavaScript's help: the form's own button.
    select.select_option("requests.volume")
    page.get_by_role("button", name="Choose this indicator").or_(
        page.locator("button[value=choose]")
    ).first.click()
    page.wait_for_load_state()
    assert page.locator("input[name=filter_category]").count() == 3
    problems += _violations(page)

    page.goto(base)
    page.wait_for_function(
        "document.querySelectorAll('figure.chart-drawn').length >= 2", timeout=20_000
    )
    assert page.locator("figure.chart-drawn svg.marks").count() >= 2
    problems += _violations(page)
    page.goto(f"{live_server.url}/t/35288/donnees/catalogue/indicateurs/")
    problems += _violations(page)
    assert not problems, problems
    assert not [m for m in console if "Content Security Policy" in m or "Error" in m], console
    context.close()
