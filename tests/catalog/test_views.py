"""Catalog pages: rights of each role, search, editing, access requests and the register."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from pilotis.audit.models import AuditEvent
from pilotis.catalog.entries import ensure_dataset
from pilotis.catalog.models import (
    AccessRequest,
    Dataset,
    Frequency,
    ProcessingRecord,
    Sensitivity,
)
from pilotis.catalog.quality import run_checks
from pilotis.referential.models import OrgUnit
from pilotis.tenants.roles import Role
from tests.catalog.conftest import request_row, write_requests
from tests.catalog.test_models import COMPLETE


def base(tenant):
    return f"/t/{tenant.code}/donnees/catalogue/"


@pytest.fixture
def requests_dataset(tenant):
    write_requests(tenant.code, [request_row("A1"), request_row("A1"), request_row("A2")])
    dataset = ensure_dataset(tenant, "requests")
    run_checks(dataset, load_id="load-1")
    return dataset


READ = {None: "login", Role.ELECTED: 403, Role.ANALYST: 200, Role.STEWARD: 200, Role.ADMIN: 200}
MANAGE = {None: "login", Role.ELECTED: 403, Role.ANALYST: 403, Role.STEWARD: 200, Role.ADMIN: 200}
MEMBER = {None: "login", Role.ELECTED: 200, Role.ANALYST: 200, Role.STEWARD: 200, Role.ADMIN: 200}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("", READ),
        ("jeux/requests/", READ),
        ("jeux/requests/modifier/", MANAGE),
        ("jeux/requests/demander-acces/", MEMBER),
        ("demandes/", MANAGE),
        ("registre/", READ),
        ("registre/{record}/", READ),
        ("registre/{record}/modifier/", MANAGE),
        ("registre/nouveau/", MANAGE),
        ("registre/export.xlsx", READ),
        ("registre/imprimer/", READ),
    ],
)
def test_status_of_each_page_for_each_role(
    client, tenant, people, requests_dataset, path, expected
):
    url = base(tenant) + path.format(record=requests_dataset.processing_record_id)
    for role, status in expected.items():
        client.logout()
        if role is not None:
            client.force_login(people[role])
        response = client.get(url)
        if status == "login":
            assert response.status_code == 302 and "/connexion/" in response["Location"], url
        else:
            assert response.status_code == status, (url, role)


def test_another_tenants_dataset_is_not_found(client, tenant, requests_dataset, world):
    # The slug exists in `tenant` only: the member's own entry (made by `world`) goes.
    Dataset.objects.filter(tenant=world["member"]).delete()
    client.force_login(world["users"][Role.ADMIN])
    assert (
        client.get(f"/t/{world['member'].code}/donnees/catalogue/jeux/requests/").status_code == 404
    )
    assert client.get(base(tenant)).status_code == 404


def test_search_and_filters(client, tenant, people):
    voirie = OrgUnit.objects.get(tenant=tenant, code="VOI")
    other = OrgUnit.objects.create(tenant=tenant, name="Finances", code="FIN")
    now = timezone.now()

    def entry(slug, **fields):
        defaults = {"tenant": tenant, "name": slug, "slug": slug, "title": slug}
        return Dataset.objects.create(**{**defaults, **fields})

    entry("budget", title="Budget primitif", keywords="finances, M57", owner_unit=other)
    entry(
        "trees",
        title="Arbres d'alignement",
        description="Patrimoine arboré de la voirie",
        sensitivity=Sensitivity.PUBLIC,
        open_data=True,
        owner_unit=voirie,
        frequency=Frequency.YEARLY,
        last_loaded_at=now,
    )
    entry(
        "potholes",
        title="Nids de poule",
        frequency=Frequency.DAILY,
        last_loaded_at=now - timedelta(days=5),
        owner_unit=voirie,
    )
    client.force_login(people[Role.ANALYST])

    def titles(**params):
        page = client.get(base(tenant), params).content.decode()
        found = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', page)
        return {t.replace("&#x27;", "'") for t in found}

    assert titles() == {"Budget primitif", "Arbres d'alignement", "Nids de poule"}
    assert titles(q="m57") == {"Budget primitif"}
    assert titles(q="voirie arboré") == {"Arbres d'alignement"}
    assert titles(sensitivity="public") == {"Arbres d'alignement"}
    assert titles(owner=voirie.pk) == {"Arbres d'alignement", "Nids de poule"}
    assert titles(open_data="on") == {"Arbres d'alignement"}
    assert titles(stale="on") == {"Nids de poule"}
    assert titles(q="nothing like this") == set()

    page = client.get(base(tenant)).content.decode()
    assert "1 dataset was not updated as often as expected." in page
    assert 'class="badge badge-stale"' in page
    assert re.search(r'<label for="id_q">Search:?</label>', page), page
    assert 'aria-describedby="id_q_helptext"' in page


def test_dataset_page_shows_fields_quality_and_lineage(client, tenant, people, requests_dataset):
    client.force_login(people[Role.ANALYST])
    page = client.get(base(tenant) + "jeux/requests/").content.decode()

    assert "<code>requester_email</code>" in page
    assert "Unique key" in page and "Failed" in page
    assert "1 key (service_request_id) is used by several rows, e.g. A1." in page
    assert 'class="sparkline"' in page
    assert re.search(r'<svg [^>]*class="lineage-graph" role="img"[^>]*aria-label="Lineage of', page)
    assert "Fed by" in page and "Used by" in page
    assert f"registre/{requests_dataset.processing_record_id}/" in page
    assert "Incomplete" in page
    assert "Ask for access" in page  # personal data: an analyst must ask
    assert "<style" not in page and "style=" not in page and "<script>" not in page


def test_edit_requires_a_record_for_personal_data(client, tenant, people, requests_dataset):
    client.force_login(people[Role.STEWARD])
    url = base(tenant) + "jeux/requests/modifier/"
    data = {
        "title": "Demandes GRU",
        "sensitivity": "personal",
        "frequency": "daily",
        "licence": "etalab-2.0",
        "keywords": "GRU, réclamations",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "must be linked to its record of processing" in page
    assert 'aria-describedby="id_processing_record_helptext id_processing_record_error"' in page
    assert 'href="#id_processing_record"' in page

    response = client.post(
        url, {**data, "processing_record": requests_dataset.processing_record_id}
    )
    assert response.status_code == 302
    requests_dataset.refresh_from_db()
    assert requests_dataset.title == "Demandes GRU"
    assert requests_dataset.keyword_list == ["GRU", "réclamations"]
    event = AuditEvent.objects.filter(target=f"catalog.dataset:{requests_dataset.pk}").first()
    assert event.details["operation"] == "dataset.update"
    assert "title" in event.details["fields"]


def test_access_request_approved_by_a_steward(client, tenant, people, requests_dataset):
    elected, steward, analyst = people[Role.ELECTED], people[Role.STEWARD], people[Role.ANALYST]
    client.force_login(elected)
    url = base(tenant) + "jeux/requests/demander-acces/"
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Préparer le conseil municipal"}).status_code == 302
    row = AccessRequest.objects.get()
    assert (row.requester, row.status, row.tenant) == (elected, "pending", tenant)
    assert "the answer is pending" in client.get(url).content.decode()
    client.post(url, {"reason": "encore"})
    assert AccessRequest.objects.count() == 1

    decide = base(tenant) + "demandes/decider/"
    client.force_login(analyst)  # neither steward nor referent
    assert client.post(decide, {"id": row.pk, "decision": "approve"}).status_code == 403
    client.force_login(elected)  # not on one's own request, and not a steward anyway
    assert client.post(decide, {"id": row.pk, "decision": "approve"}).status_code == 403
    row.refresh_from_db()
    assert row.status == "pending"

    client.force_login(steward)
    page = client.get(base(tenant) + "demandes/").content.decode()
    assert "Préparer le conseil municipal" in page
    response = client.post(decide, {"id": row.pk, "decision": "approve", "comment": "OK"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.decided_by, row.decision_comment) == ("approved", steward, "OK")
    assert AuditEvent.objects.filter(
        target=f"catalog.access_request:{row.pk}", details__operation="access_request.approved"
    ).exists()
    client.post(decide, {"id": row.pk, "decision": "refuse", "comment": "no"})
    row.refresh_from_db()
    assert row.status == "approved"  # already decided

    from pilotis.catalog.access import can_read

    assert can_read(elected, requests_dataset)


def test_refusal_needs_a_comment_and_the_referent_may_decide(
    client, tenant, people, requests_dataset
):
    elected, analyst = people[Role.ELECTED], people[Role.ANALYST]
    requests_dataset.referent = analyst
    requests_dataset.save()
    row = AccessRequest.objects.create(
        tenant=tenant, dataset=requests_dataset, requester=elected, reason="Curiosité"
    )
    client.force_login(analyst)
    decide = base(tenant) + "demandes/decider/"
    page = client.get(base(tenant) + "jeux/requests/").content.decode()
    assert "Requests waiting for your decision" in page and "Curiosité" in page

    client.post(decide, {"id": row.pk, "decision": "refuse", "comment": " "})
    row.refresh_from_db()
    assert row.status == "pending"
    response = client.post(
        decide, {"id": row.pk, "decision": "refuse", "comment": "Pas de besoin de service"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == "refused"
    client.force_login(elected)
    page = client.get(base(tenant) + "jeux/requests/demander-acces/").content.decode()
    assert "Pas de besoin de service" in page


def test_decision_on_an_unknown_or_foreign_request(client, tenant, people, requests_dataset, world):
    foreign_dataset = ensure_dataset(world["other"], "requests")
    foreign = AccessRequest.objects.create(
        tenant=world["other"],
        dataset=foreign_dataset,
        requester=world["other_admin"],
        reason="x",
    )
    client.force_login(people[Role.STEWARD])
    response = client.post(
        base(tenant) + "demandes/decider/", {"id": foreign.pk, "decision": "approve"}, follow=True
    )
    assert "does not exist any more" in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.status == "pending"


def test_register_create_and_edit(client, tenant, people):
    client.force_login(people[Role.ANALYST])
    assert client.post(base(tenant) + "registre/nouveau/", COMPLETE).status_code == 403
    assert not ProcessingRecord.objects.exists()

    client.force_login(people[Role.STEWARD])
    response = client.post(base(tenant) + "registre/nouveau/", {"name": "Listes électorales"})
    record = ProcessingRecord.objects.get()
    assert response.status_code == 302 and record.tenant == tenant
    page = client.get(response["Location"]).content.decode()
    assert "This record is incomplete" in page and "purposes" in page

    response = client.post(base(tenant) + f"registre/{record.pk}/modifier/", COMPLETE)
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.is_complete
    assert AuditEvent.objects.filter(
        target=f"catalog.processing:{record.pk}", details__operation="processing.update"
    ).exists()
    page = client.get(base(tenant) + "registre/").content.decode()
    assert "Complete" in page


def test_page_of_an_indicator_without_schema_nor_checks(client, tenant, people):
    Dataset.objects.create(
        tenant=tenant, kind="indicator", name="delai", slug="indicator-delai", title="Délai moyen"
    )
    client.force_login(people[Role.ANALYST])
    response = client.get(base(tenant) + "jeux/indicator-delai/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "No check yet" in page
    assert "You may read this dataset." in page  # internal: analysts read it
    assert "Fields of the dataset" not in page
