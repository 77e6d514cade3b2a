"""The citizen-requests page in real headless Chromium: every chart drawn under the strict CSP,
exported as SVG and PNG from its menu, and no WCAG 2.1 AA violation (axe-core)."""

from __future__ import annotations

import os

import pytest
from axe_playwright_python.sync_playwright import Axe

from pilotis.referential.models import Theme
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.requests.conftest import build_requests
from tests.requests.test_page import LABELS, write_requests
from tests.shell.test_browser_a11y import AA_TAGS, PASSWORD, _login
from tests.tenants.factories import TenantFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def elected(transactional_db, warehouse):
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    for code, label in LABELS.items():
        Theme.objects.create(tenant=tenant, code=code, label=label)
    write_requests(tenant.code, build_requests())
    user = UserFactory(username="maire@saint-malo.fr", password=PASSWORD)
    Membership.objects.create(user=user, tenant=tenant, role=Role.ELECTED)
    return user


def test_the_page_draws_exports_and_passes_axe(browser, live_server, elected, tmp_path):
    context = browser.new_context(locale="fr-FR", accept_downloads=True)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    _login(page, live_server.url, "maire@saint-malo.fr")
    page.goto(f"{live_server.url}/t/35288/demandes/?start=2024-03-16&end=2025-03-15")
    figures = page.locator("figure[data-chart]:has(.chart-canvas)")
    count = figures.count()
    assert count >= 5
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

    first = figures.first
    with page.expect_download() as svg:
        first.get_by_text("Enregistrer en SVG").click()
    path = tmp_path / "chart.svg"
    svg.value.save_as(path)
    assert path.read_text().lstrip().startswith("<svg")
    with page.expect_download() as png:
        first.get_by_text("Enregistrer en PNG").click()
    path = tmp_path / "chart.png"
    png.value.save_as(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    context.close()
