"""The open-data pages in real headless Chromium: the public portal (search, facets, a dataset
page whose automatic chart is drawn under the strict CSP) and the collectivité's pages (a
publication made through the form, the file check), with no WCAG 2.1 AA violation (axe-core)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pilotis.opendata.models import Publication
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.opendata.test_publish import _requests
from tests.parking.test_browser import _drawn_and_accessible
from tests.requests.test_page import write_requests
from tests.shell.test_browser_a11y import PASSWORD, _login
from tests.tenants.factories import TenantFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SOMME = Path(__file__).parent / "fixtures" / "subventions" / "real-world"


@pytest.fixture
def steward(transactional_db, warehouse, settings, tmp_path):
    settings.OPENDATA_DIR = tmp_path / "opendata"
    tenant = TenantFactory(code="35288", name="Saint-Malo", population=46_000)
    write_requests(tenant.code, _requests())
    user = UserFactory(username="donnees@saint-malo.fr", password=PASSWORD)
    Membership.objects.create(user=user, tenant=tenant, role=Role.STEWARD)
    return tenant


def test_open_data_pages_publish_check_and_pass_axe(browser, live_server, steward, tmp_path):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    _login(page, live_server.url, "donnees@saint-malo.fr")
    page.goto(f"{live_server.url}/t/35288/publication/")
    _drawn_and_accessible(page, console, 0)

    page.get_by_role("link", name="Publier un jeu de données").click()
    page.get_by_label("Titre").fill("Demandes des usagers")
    page.get_by_label("Description", exact=True).fill("Les demandes reçues, anonymisées.")
    page.get_by_label("table de l’entrepôt de données").select_option("requests")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/publication/*/")
    _drawn_and_accessible(page, console, 0)
    page.get_by_role("button", name="Publier maintenant").click()
    page.wait_for_url("**/publication/*/")
    pub = Publication.objects.get(slug="demandes-des-usagers")
    assert pub.current() is not None, pub.versions.first().error
    assert "requester_email" not in pub.columns

    page.goto(f"{live_server.url}/t/35288/publication/{pub.pk}/modifier/")
    _drawn_and_accessible(page, console, 0)

    page.goto(f"{live_server.url}/donnees-ouvertes/")
    _drawn_and_accessible(page, console, 0)
    page.get_by_role("searchbox").fill("demandes")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Demandes des usagers").click()
    page.wait_for_url("**/donnees-ouvertes/35288/demandes-des-usagers/")
    _drawn_and_accessible(page, console, 1)  # rows per month

    page.goto(f"{live_server.url}/t/35288/publication/verifier/")
    source = tmp_path / "somme.csv"
    shutil.copy(SOMME / "somme-20180330-conventions.csv", source)
    page.get_by_label("Le fichier à contrôler (CSV ou Excel)").set_input_files(str(source))
    page.get_by_label("schéma national").select_option("scdl/subventions")
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.wait_for_selector("#report-title")
    report = page.text_content("#contenu").replace("\xa0", " ")
    assert "137 825,00" in report and "datesPeriodeVersement" in report
    _drawn_and_accessible(page, console, 0)
