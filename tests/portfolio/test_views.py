"""The portfolio pages through Django's test client: register, project, edition with its
parts, value marks, comparison, prioritisation with what-if, budgets, grid, exports (PDF
parsed, workbooks opened), rights and tenant isolation."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.urls import reverse
from pypdf import PdfReader

from pilotis.audit.models import AuditEvent
from pilotis.portfolio.models import Project, ProjectYear, TargetUsage, ValueGrid, YearBudget
from pilotis.tenants.roles import Role
from tests.portfolio.builders import YEAR, build_portfolio, write_online_requests
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory


@pytest.fixture
def saint_malo(db, warehouse):
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    return tenant


@pytest.fixture
def projects(saint_malo):
    return build_portfolio(saint_malo)


def login(client, tenant, role):
    user = UserFactory(username=f"{role}@{tenant.code}.fr")
    MembershipFactory(tenant=tenant, role=role, user=user)
    client.force_login(user)
    return user


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def url(name, tenant, *args):
    return reverse(f"portfolio:{name}", args=[tenant.code, *args])


def test_register_lists_projects_with_value_and_lateness(client, saint_malo, projects):
    login(client, saint_malo, Role.ELECTED)
    body = text(client.get(url("index", saint_malo)))
    for p in projects.values():
        assert p.title.replace("'", "&#x27;") in body
    assert 'data-chart="calendrier"' in body and 'data-chart="valeur"' in body
    assert "en retard" in body  # the portal is past its end
    # Filtered by status: only the idea.
    body = text(client.get(url("index", saint_malo), {"statut": "idee"}))
    assert "Borne d" in body and "Portail des demandes" not in body


def test_project_page_shows_value_usages_and_adoption(client, saint_malo, projects):
    shares = write_online_requests(saint_malo.code)
    login(client, saint_malo, Role.ELECTED)
    portal = projects["portal"]
    body = text(client.get(url("project", saint_malo, portal.pk)))
    assert "Portail des demandes en ligne" in body
    assert "L&#x27;usager signale un problème en ligne" in body
    # The last complete month: 6 of 10 requests online → 60 %, target 50 % → reached.
    assert f"{100 * shares[-1]:.1f} %".replace(".", ",") in body
    assert "atteint" in body
    assert f'data-chart="usage-{portal.usages.first().pk}"' in body
    assert "<svg" in body  # the value radar
    assert "Plateforme d&#x27;identité des usagers" in body  # depends on


def test_create_and_edit_a_project_with_its_parts(client, saint_malo, projects):
    login(client, saint_malo, Role.ANALYST)
    response = client.get(url("new", saint_malo))
    assert response.status_code == 200
    data = {
        "number": "P-09",
        "title": "Application mobile des agents",
        "status": "etude",
        "categories": "Outils des agents, Mobilité",
        "investment": "25000",
        "running_cost": "2000",
        "business_gains": "9000",
        "it_gains": "0",
        "start": f"{YEAR}-03-01",
        "end": f"{YEAR + 1}-06-30",
        "depends_on": [str(projects["identity"].pk)],
    }
    for prefix in ("years", "usages", "milestones", "risks", "actions"):
        used = prefix in ("years", "usages")
        data.update({f"{prefix}-TOTAL_FORMS": "1" if used else "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update({"years-0-year": str(YEAR), "years-0-cost": "25000", "years-0-staff_days": "40"})
    data.update(
        {
            "usages-0-sentence": "L'agent renseigne son intervention en mobilité",
            "usages-0-metric": "requests.volume_series",
            "usages-0-filters": "channel=mobile",
            "usages-0-as_share": "on",
            "usages-0-target": "0.3",
        }
    )
    response = client.post(url("new", saint_malo), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    created = Project.objects.get(tenant=saint_malo, number="P-09")
    assert created.categories == ["Outils des agents", "Mobilité"]
    assert list(created.depends_on.all()) == [projects["identity"]]
    assert ProjectYear.objects.get(project=created).staff_days == 40
    usage = TargetUsage.objects.get(project=created)
    assert usage.filters == {"channel": ["mobile"]} and usage.as_share
    event = AuditEvent.objects.get(target=f"portfolio.project:{created.pk}")
    assert event.tenant == saint_malo and event.action == AuditEvent.Action.DATA_OPERATION
    assert event.details == {"operation": "portfolio.project.create", "number": "P-09"}
    # A filter the indicator does not know is refused, nothing saved.
    data.update({"number": "P-10", "usages-0-filters": "colour=blue"})
    response = client.post(url("new", saint_malo), data)
    assert response.status_code == 200
    assert not Project.objects.filter(number="P-10").exists()
    # A number taken by another project of the tenant is refused.
    data.update({"number": "P-01", "usages-0-filters": ""})
    response = client.post(url("new", saint_malo), data)
    assert (
        response.status_code == 200
        and not Project.objects.filter(title=data["title"]).exclude(pk=created.pk).exists()
    )


def test_value_marks_change_the_index(client, saint_malo, projects):
    login(client, saint_malo, Role.ANALYST)
    kiosk = projects["kiosk"]
    before = _index(client, saint_malo, kiosk)
    response = client.post(
        url("value", saint_malo, kiosk.pk),
        {"mark_necessite": "A", "note_necessite": "Demandé par le conseil", "mark_usagers": "A"},
    )
    assert response.status_code == 302
    kiosk.refresh_from_db()
    assert kiosk.value_marks == {"necessite": "A", "usagers": "A"}
    assert kiosk.value_notes == {"necessite": "Demandé par le conseil"}
    event = AuditEvent.objects.get(target=f"portfolio.project:{kiosk.pk}")
    assert event.details["operation"] == "portfolio.project.value"
    assert event.details["marks"] == {"necessite": "A", "usagers": "A"}
    after = _index(client, saint_malo, kiosk)
    # necessity D→A (+3 × 20) and users C→A (+2 × 20), agents and risks now unmarked (D):
    # risks C→D (−1 × 15); out of 3 × 100 weight points.
    assert after - before == pytest.approx(100 * (60 + 40 - 15) / 300, abs=0.1)


def _index(client, tenant, project) -> float:
    body = text(client.get(url("compare", tenant), {"p": [project.pk]}))
    found = re.search(r"<strong>([\d,]+)</strong> \(rang 1\)", body)
    assert found, body[:2000]
    return float(found.group(1).replace(",", "."))


def test_prioritisation_and_what_if(client, saint_malo, projects):
    login(client, saint_malo, Role.ELECTED)
    body = text(client.get(url("prioritisation", saint_malo)))
    # Budget 185,000: mandatory RGAA (30,000) + portal (90,000) + identity it needs (60,000)
    # = 180,000; the kiosk (90,000) does not fit any more.
    assert "3 projets retenus" in body
    kept = re.search(r"Borne d&#x27;accueil interactive</a></th>.*?<td>([^<]+)</td></tr>", body)
    assert kept and kept.group(1) == "non retenu cette fois"
    # +50 % budget: everything fits.
    body = text(client.get(url("prioritisation", saint_malo), {"budget_percent": "50"}))
    assert "4 projets retenus" in body and "Ajouté par l" in body
    # Leaving the identity platform out drops the portal that depends on it.
    body = text(
        client.get(url("prioritisation", saint_malo), {"exclude": [projects["identity"].pk]})
    )
    assert "Retiré par l" in body
    assert re.search(r"Portail des demandes en ligne</a></th>.*?<td>non retenu cette fois", body)
    # Forcing and leaving out the same project is refused with a message.
    body = text(
        client.get(
            url("prioritisation", saint_malo),
            {"force": [projects["kiosk"].pk], "exclude": [projects["kiosk"].pk]},
        )
    )
    assert "à la fois" in body


def test_budgets_form_and_infeasible_mandatory(client, saint_malo, projects):
    login(client, saint_malo, Role.ANALYST)
    budget = YearBudget.objects.get(tenant=saint_malo)
    response = client.post(
        url("budgets", saint_malo),
        {
            "budgets-TOTAL_FORMS": "1",
            "budgets-INITIAL_FORMS": "1",
            "budgets-0-id": str(budget.pk),
            "budgets-0-year": str(YEAR),
            "budgets-0-budget": "20000",
            "budgets-0-staff_days": "300",
        },
    )
    assert response.status_code == 302
    body = text(client.get(url("prioritisation", saint_malo)))
    assert "dépassent à eux seuls le budget de " + str(YEAR) in body


def test_grid_can_be_changed_and_reset(client, saint_malo, projects):
    login(client, saint_malo, Role.ANALYST)
    body = text(client.get(url("grid", saint_malo)))
    assert "MAREVA" in body
    from pilotis.portfolio.value import default_grid

    data = {}
    for axis in default_grid()["axes"]:
        data[f"label_{axis['id']}"] = axis["label"]
        data[f"question_{axis['id']}"] = axis["question"]
        data[f"weight_{axis['id']}"] = "0" if axis["id"] != "usagers" else "10"
    assert client.post(url("grid", saint_malo), data).status_code == 302
    assert ValueGrid.objects.get(tenant=saint_malo).grid["axes"][3]["weight"] == 10
    # Only the users' axis counts now: the kiosk (C) is worth 33.3.
    body = text(client.get(url("compare", saint_malo), {"p": [projects["kiosk"].pk]}))
    assert "<strong>33,3</strong>" in body
    client.post(url("grid", saint_malo), {"reset": "1"})
    assert not ValueGrid.objects.filter(tenant=saint_malo).exists()


def test_exports_pdf_and_excel(client, saint_malo, projects):
    login(client, saint_malo, Role.ELECTED)
    response = client.get(url("portfolio-pdf", saint_malo))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 3
    content = " ".join(page.extract_text() for page in reader.pages)
    assert "Saint-Malo" in content and "Portail des demandes en ligne" in content
    assert "Plan d" in content  # the action plan
    response = client.get(url("portfolio-xlsx", saint_malo))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    plan = book.worksheets[0]
    header = [c.value for c in plan[1]]
    for column in ("Numéro", "Titre", "Statut", "En retard", "Service pilote", "Budget total (€)"):
        assert column in header
    numbers = [row[0].value for row in plan.iter_rows(min_row=2)]
    assert numbers == ["P-01", "P-02", "P-03", "P-04", "P-05"]
    late = {row[0].value: row[header.index("En retard")].value for row in plan.iter_rows(min_row=2)}
    assert late["P-02"] == "oui" and late["P-01"] == "non"
    response = client.get(url("roadmap-xlsx", saint_malo), {"budget_percent": "50"})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    kept = [row[0].value for row in book.worksheets[0].iter_rows(min_row=2)]
    assert sorted(kept) == ["P-01", "P-02", "P-03", "P-04"]
    response = client.get(url("roadmap-pdf", saint_malo))
    reader = PdfReader(io.BytesIO(response.content))
    assert "Feuille de route" in reader.pages[0].extract_text()
    response = client.get(reverse("portfolio:export-csv", args=[saint_malo.code, "valeur"]))
    assert response.status_code == 200 and "Portail des demandes" in response.content.decode(
        "utf-8-sig"
    )


def test_rights_and_isolation(client, saint_malo, projects):
    other = TenantFactory(code="35049", name="Cancale")
    login(client, other, Role.ADMIN)
    portal = projects["portal"]
    assert client.get(url("project", saint_malo, portal.pk)).status_code == 404
    # Saint-Malo's project never shows through Cancale's URL either.
    assert client.get(url("project", other, portal.pk)).status_code == 404
    assert client.get(url("edit", other, portal.pk)).status_code == 404
    body = text(client.get(url("index", other)))
    assert "Portail des demandes" not in body
    client.logout()
    login(client, saint_malo, Role.ELECTED)
    assert client.get(url("edit", saint_malo, portal.pk)).status_code in (403, 404)
    assert client.post(
        url("value", saint_malo, portal.pk), {"mark_necessite": "D"}
    ).status_code in (403, 404)
    portal.refresh_from_db()
    assert portal.value_marks["necessite"] == "A"
