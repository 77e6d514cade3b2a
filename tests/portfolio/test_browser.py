"""The portfolio pages in real headless Chromium: charts drawn under the strict CSP, a value
marked and a what-if computed through the forms, and no WCAG 2.1 AA violation (axe-core) on
the register, a project, its edition, the comparison, the prioritisation and the method."""

from __future__ import annotations

import os

import pytest

from pilotis.portfolio.models import Project
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.parking.test_browser import _drawn_and_accessible
from tests.portfolio.builders import build_portfolio, write_online_requests
from tests.shell.test_browser_a11y import PASSWORD, _login
from tests.tenants.factories import TenantFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def analyst(transactional_db, warehouse):
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    build_portfolio(tenant)
    write_online_requests(tenant.code)
    user = UserFactory(username="analyste@saint-malo.fr", password=PASSWORD)
    Membership.objects.create(user=user, tenant=tenant, role=Role.ANALYST)
    return tenant


def test_portfolio_pages_draw_edit_prioritise_and_pass_axe(browser, live_server, analyst):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    _login(page, live_server.url, "analyste@saint-malo.fr")
    base = f"{live_server.url}/t/35288/projets/"
    page.goto(base)
    _drawn_and_accessible(page, console, 2)

    page.get_by_role("link", name="Borne d'accueil interactive").click()
    page.wait_for_url("**/projets/*/")
    _drawn_and_accessible(page, console, 0)
    page.get_by_role("link", name="Noter sa valeur").click()
    page.get_by_label("Note").first.select_option("A")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/projets/*/")
    kiosk = Project.objects.get(number="P-04")
    assert kiosk.value_marks["necessite"] == "A"

    page.goto(f"{base}{kiosk.pk}/modifier/")
    _drawn_and_accessible(page, console, 0)

    page.goto(f"{base}priorisation/")
    _drawn_and_accessible(page, console, 2)
    page.get_by_label("Variation du budget").fill("50")
    page.get_by_role("button", name="Calculer").click()
    page.wait_for_url("**/priorisation/?*")
    assert "budget_percent=50" in page.url
    assert page.get_by_text("4 projets retenus").count() == 1
    _drawn_and_accessible(page, console, 2)

    for path in ("comparer/", "methode/"):
        page.goto(base + path)
        _drawn_and_accessible(page, console, 0)
    context.close()
