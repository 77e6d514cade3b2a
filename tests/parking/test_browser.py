"""The parking pages in real headless Chromium: every chart drawn under the strict CSP, the
what-if form submitted, and no WCAG 2.1 AA violation (axe-core) on either page."""

from __future__ import annotations

import os

import pytest
from axe_playwright_python.sync_playwright import Axe

from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.parking.conftest import town, write_town
from tests.shell.test_browser_a11y import AA_TAGS, PASSWORD, _login
from tests.tenants.factories import TenantFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def analyst(transactional_db, warehouse):
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    write_town(tenant.code, town(days=42))
    user = UserFactory(username="analyste@saint-malo.fr", password=PASSWORD)
    Membership.objects.create(user=user, tenant=tenant, role=Role.ANALYST)
    return user


def _drawn_and_accessible(page, console: list[str], at_least: int) -> None:
    figures = page.locator("figure[data-chart]:has(.chart-canvas)")
    count = figures.count()
    assert count >= at_least
    page.wait_for_function(
        f"document.querySelectorAll('figure.chart-drawn').length >= {count}", timeout=20_000
    )
    assert page.locator("figure.chart-drawn svg.marks").count() >= count
    assert not [
        m for m in console if "Content Security Policy" in m or "Error" in m or "WARN" in m
    ], console
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AA_TAGS}})
    problems = [
        f"{v['id']} — {v['help']}: {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
    ]
    assert not problems, problems


def test_parking_pages_draw_simulate_and_pass_axe(browser, live_server, analyst):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    _login(page, live_server.url, "analyste@saint-malo.fr")
    page.goto(f"{live_server.url}/t/35288/stationnement/")
    _drawn_and_accessible(page, console, 4)

    page.get_by_role("link", name="Simuler un changement de tarifs").click()
    page.get_by_label("Variation du prix horaire").fill("0.5")
    page.get_by_role("button", name="Simuler").click()
    page.wait_for_url("**/simulation/?*")
    assert "add_rate=0.5" in page.url
    _drawn_and_accessible(page, console, 3)
    page.get_by_label("Nom du scénario").fill("Hypercentre +0,50")
    page.get_by_role("button", name="Enregistrer le scénario").click()
    page.wait_for_load_state()
    assert page.get_by_role("row", name="Hypercentre +0,50").count() >= 1
    context.close()
