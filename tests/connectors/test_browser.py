"""The connectors and catalog pages in real headless Chromium: no WCAG 2.1 AA violation, a file
imported through the browser with the proposed mapping, and the progress of a running load."""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe

from pilotis.connectors import pipeline
from pilotis.connectors.mapping import Mapping
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.connectors.test_cli import CSV
from tests.shell.test_browser_a11y import PASSWORD, _check, _login
from tests.tenants.factories import UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAPPING = """table: requests
fields:
  service_request_id: N° demande
  status: {column: Statut, values: {Clôturée: closed, En cours: open, Fermée: closed}}
  requested_datetime: Date de la demande
  commune_insee: {column: Commune, referential: commune}
"""


@pytest.fixture
def steward(commune):
    user = UserFactory(username="donnees@saint-malo.fr", password=PASSWORD)
    Membership.objects.create(user=user, tenant=commune, role=Role.STEWARD)
    return user


def _load(commune, tmp_path, queued=False):
    path = tmp_path / "export.csv"
    path.write_bytes(CSV.encode("cp1252"))
    return pipeline.start_run(
        commune,
        Mapping.from_yaml(MAPPING),
        kind="file",
        config={"path": str(path)},
        source_name="export.csv",
        queued=queued,
    )


def test_connector_and_catalog_pages_are_accessible(
    browser, live_server, commune, steward, tmp_path
):
    run = _load(commune, tmp_path)
    pipeline.execute(run)
    page = browser.new_page(locale="fr-FR")
    _login(page, live_server.url, steward.username)
    axe, problems, csp = Axe(), [], []
    page.on("console", lambda m: csp.append(m.text) if "Content Security" in m.text else None)
    base = f"/t/{commune.code}/donnees/"
    for url in [
        base,
        f"{base}chargements/{run.load_id}/",
        f"{base}importer/",
        f"{base}catalogue/",
        f"{base}catalogue/jeux/requests/",
        f"{base}catalogue/registre/",
    ]:
        problems += _check(page, axe, live_server.url + url, csp)
    # Import a file through the form, check the proposed mapping, load it.
    page.goto(live_server.url + f"{base}importer/")
    page.set_input_files(
        "input[type=file]",
        files=[
            {"name": "nouvel-export.csv", "mimeType": "text/csv", "buffer": CSV.encode("cp1252")}
        ],
    )
    page.get_by_role("button", name="Lire ce fichier").click()
    page.wait_for_selector(".mapping-grid")
    problems += _check(page, axe, page.url, csp)
    assert page.locator("#id_field_service_request_id").input_value() == "N° demande"
    page.get_by_role("button", name="Charger avec cette correspondance").click()
    page.wait_for_selector(".status-succeeded")
    assert "32/01/2026" in page.content()  # the quarantined row, shown with its reason
    page.close()
    assert not problems, "\n".join(problems)


def test_the_run_page_follows_a_running_load(browser, live_server, commune, steward, tmp_path):
    run = _load(commune, tmp_path, queued=True)
    page = browser.new_page(locale="fr-FR")
    _login(page, live_server.url, steward.username)
    page.goto(f"{live_server.url}/t/{commune.code}/donnees/chargements/{run.load_id}/")
    assert page.locator("progress#run-bar").count() == 1
    pipeline.execute(run)  # the worker's part; the page polls and reloads by itself
    page.wait_for_selector(".status-succeeded", timeout=15_000)
    assert page.locator("progress#run-bar").count() == 0
    page.close()
