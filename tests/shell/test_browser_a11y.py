"""Every page, in real headless Chromium: zero WCAG 2.1 AA violations (axe-core), no CSP
violation, and keyboard navigation that reaches the content and the menu."""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe

from pilotis.shell.models import AccessibilityStatement
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.tenants.factories import TenantFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def territory(transactional_db):
    epci = TenantFactory(
        code="243500782",
        kind="epci",
        name="Saint-Malo Agglomération",
        siren="243500782",
        primary_color="#7a1f5c",
    )
    commune = TenantFactory(code="35288", name="Saint-Malo", parent=epci, postal_codes=["35400"])
    admin = UserFactory(username="admin@saint-malo.fr", first_name="Camille", last_name="Durand")
    Membership.objects.create(user=admin, tenant=commune, role=Role.ADMIN)
    Membership.objects.create(user=admin, tenant=epci, role=Role.ADMIN)
    AccessibilityStatement.objects.create(
        tenant=commune, entity_name="Ville de Saint-Malo", compliance="partiel"
    )
    return {"epci": epci, "commune": commune, "admin": admin}


def _pages(commune_code: str) -> list[str]:
    from pilotis.shell.capabilities import CAPABILITIES

    base = f"/t/{commune_code}/"
    return [
        base,
        f"{base}accessibilite/",
        f"{base}administration/",
        f"{base}referentiel/",
        *[f"{base}{cap.slug}/" for cap in CAPABILITIES],
    ]


def _check(page, axe: Axe, url: str, csp_errors: list[str]) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": AA_TAGS}})
    problems = [
        f"{url}: {v['id']} — {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]
    problems += [f"{url}: {e}" for e in csp_errors]
    csp_errors.clear()
    return problems


def _login(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/connexion/")
    page.get_by_label("Nom d’utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base_url}/")


def test_every_page_has_no_wcag_aa_violation(browser, live_server, territory):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    axe = Axe()
    problems = []
    for url in [
        "/",
        "/accessibilite/",
        "/connexion/",
        "/mot-de-passe/",
        "/t/35288/",
        "/t/35288/accessibilite/",
    ]:
        problems += _check(page, axe, live_server.url + url, csp_errors)
    _login(page, live_server.url, territory["admin"].username)
    for url in ["/", *_pages("35288"), "/t/243500782/"]:
        problems += _check(page, axe, live_server.url + url, csp_errors)
    context.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(live_server.url + "/t/35288/")
    page.get_by_role("button", name="English").click()
    problems += _check(page, axe, live_server.url + "/t/35288/", csp_errors)
    assert 'lang="en"' in page.content()
    context.close()
    assert not problems, "\n".join(problems)


def test_keyboard_reaches_skip_link_menu_and_content(browser, live_server, territory):
    """Tab first lands on the skip link, which moves focus to the main content; every menu entry
    is reachable with Tab and shows a visible focus outline."""
    page = browser.new_page(locale="fr-FR")
    _login(page, live_server.url, territory["admin"].username)
    page.goto(live_server.url + "/t/35288/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    menu = page.eval_on_selector_all(
        "#navigation a", "links => links.map(a => a.textContent.trim())"
    )
    assert "Administration" in menu
    page.goto(live_server.url + "/t/35288/")
    reached, outlines = set(), set()
    for _ in range(60):
        page.keyboard.press("Tab")
        info = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.closest('#navigation') ? e.textContent.trim() : null, s.outlineStyle]; }"
        )
        if info[0]:
            reached.add(info[0])
            outlines.add(info[1])
    assert set(menu) <= reached
    assert "none" not in outlines
    page.close()
