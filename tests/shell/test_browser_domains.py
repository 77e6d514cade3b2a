"""The finance, human-resources and online-services pages with their data, in real headless
Chromium: every chart drawn under the strict CSP, and no WCAG 2.1 AA violation (axe-core) on
pages full of charts, tables and answers — not only on their empty states."""

import os

import pytest

from pilotis.demo.generators import finance as demo_finance
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.finance.conftest import TODAY, make_territory
from tests.hr.conftest import load_hr
from tests.online.conftest import load_procedures
from tests.shell.test_browser_a11y import AA_TAGS, PASSWORD, _login
from tests.tenants.factories import UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def malo(transactional_db, warehouse, tmp_path):
    land = make_territory(tmp_path / "demo")
    generator = demo_finance.FinanceGenerator(today=TODAY)
    generator.load(land, generator.write(land))
    commune = land.communes[0]
    load_hr(commune, tmp_path)
    load_procedures(commune, tmp_path)
    user = UserFactory(username="maire@saint-malo.fr", password=PASSWORD)
    Membership.objects.create(user=user, tenant=commune, role=Role.ELECTED)
    return commune, user


def test_domain_pages_draw_their_charts_and_pass_axe(browser, live_server, malo):
    commune, user = malo
    page = browser.new_page(locale="fr-FR")
    csp: list[str] = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security" in m.text else None)
    _login(page, live_server.url, user.username)
    from axe_playwright_python.sync_playwright import Axe

    axe, problems = Axe(), []
    for slug, at_least in (("finances", 4), ("rh", 5), ("demarches", 2)):
        url = f"{live_server.url}/t/{commune.code}/{slug}/"
        page.goto(url)
        figures = page.locator("figure[data-chart]:has(.chart-canvas)").count()
        assert figures >= at_least, (slug, figures)
        # A locator's wait, not wait_for_function: polling a string would need 'unsafe-eval'.
        page.locator("figure.chart-drawn").nth(figures - 1).wait_for(timeout=30_000)
        assert page.locator("figure.chart-drawn svg").count() >= figures
        assert page.locator("table").count() >= 1  # each chart's data, readable as a table
        # Once drawn: the charts' own markup is checked too.
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": AA_TAGS}})
        problems += [
            f"{url}: {v['id']} — {v['help']}: {[n['target'] for n in v['nodes'][:3]]}"
            for v in results.response["violations"]
        ]
    problems += csp
    page.close()
    assert not problems, "\n".join(problems)
