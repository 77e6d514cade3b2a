"""The home dashboard in real headless Chromium: the members chart drawn under the strict CSP,
the choice of indicator through the form, the targets page, and no WCAG 2.1 AA violation."""

from __future__ import annotations

import os

import pytest

from pilotis.tenants.models import Membership, TenantKind
from pilotis.tenants.roles import Role
from tests.parking.test_browser import _drawn_and_accessible
from tests.requests.conftest import build_requests
from tests.requests.test_page import write_requests
from tests.shell.test_browser_a11y import PASSWORD, _login
from tests.tenants.factories import TenantFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def analyst(transactional_db, warehouse):
    rows = build_requests()
    epci = TenantFactory(code="243500782", name="Agglo test", kind=TenantKind.EPCI)
    for code, name, population, part in (
        ("35288", "Saint-Malo", 46000, rows.iloc[::2]),
        ("35049", "Cancale", 5000, rows.iloc[1::2]),
    ):
        member = TenantFactory(code=code, name=name, parent=epci, population=population)
        write_requests(member.code, part)
    user = UserFactory(username="analyste@agglo.fr", password=PASSWORD)
    Membership.objects.create(user=user, tenant=epci, role=Role.ANALYST)
    return epci


def test_the_home_dashboard_draws_its_members_and_passes_axe(browser, live_server, analyst):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    _login(page, live_server.url, "analyste@agglo.fr")
    base = f"{live_server.url}/t/{analyst.code}/tableau-de-bord/"
    page.goto(base)
    assert page.locator(".board-card").count() >= 4
    assert (
        page.get_by_role("cell", name="Cancale").count()
        + page.get_by_role("rowheader", name="Cancale").count()
        >= 1
    )
    _drawn_and_accessible(page, console, 1)
    page.get_by_label("Graphique des membres pour").select_option("requests.close_median")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**indicateur=requests.close_median")
    _drawn_and_accessible(page, console, 1)
    page.goto(base + "objectifs/")
    _drawn_and_accessible(page, console, 0)
    page.goto(base + "rapport/")
    _drawn_and_accessible(page, console, 0)
    context.close()
