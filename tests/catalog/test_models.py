"""Catalog entries, their rules, the RGPD record's completeness and who may read what."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pilotis.catalog.access import can_decide, can_read
from pilotis.catalog.entries import ensure_dataset, link
from pilotis.catalog.lineage import lineage_graph, sparkline, svg
from pilotis.catalog.models import (
    AccessRequest,
    Dataset,
    Frequency,
    LegalBasis,
    ProcessingRecord,
    Sensitivity,
    stale_q,
)
from pilotis.connectors.models import LoadRun, Source
from pilotis.tenants.access import permissions_in
from pilotis.tenants.roles import Role
from tests.tenants.factories import UserFactory

SOURCE_MAPPING = """
table: requests
fields: {service_request_id: i, status: s, requested_datetime: d}
"""
COMPLETE = {
    "name": "Gestion des demandes des usagers",
    "controller_name": "Commune de Saint-Malo",
    "controller_address": "Place Chateaubriand, 35400 Saint-Malo",
    "controller_contact": "dpo@saint-malo.fr",
    "dpo_contact": "dpo@saint-malo.fr",
    "purposes": "Traiter les demandes et réclamations des usagers",
    "legal_basis": LegalBasis.PUBLIC_TASK,
    "data_categories": "Identité, coordonnées",
    "retention": "3 ans après la clôture",
    "data_subjects": "Usagers",
    "recipients": "Services municipaux",
    "security_measures": "Accès par rôle, journal d'audit",
}


def test_ensure_dataset_reads_the_table_schema(tenant):
    dataset = ensure_dataset(tenant, "requests")

    assert dataset.title == "Demandes et réclamations des usagers"
    assert dataset.slug == "requests"
    assert dataset.schema_name == "requests"
    assert dataset.sensitivity == Sensitivity.PERSONAL
    record = dataset.processing_record
    assert record is not None and record.tenant == tenant
    assert not record.is_complete
    assert "purposes" in [str(m) for m in record.missing_items]
    assert "Courriel du demandeur" in record.data_categories
    assert ensure_dataset(tenant, "requests") == dataset
    assert Dataset.objects.count() == ProcessingRecord.objects.count() == 1


def test_personal_data_needs_a_record_of_processing(tenant):
    dataset = Dataset(
        tenant=tenant, name="x", slug="x", title="X", sensitivity=Sensitivity.PERSONAL
    )
    with pytest.raises(ValidationError) as error:
        dataset.full_clean()
    assert "processing_record" in error.value.message_dict
    assert "register" in error.value.message_dict["processing_record"][0]

    dataset.processing_record = ProcessingRecord.objects.create(tenant=tenant, name="P")
    dataset.full_clean()


def test_personal_data_cannot_be_open_data(tenant):
    record = ProcessingRecord.objects.create(tenant=tenant, name="P")
    dataset = Dataset(
        tenant=tenant,
        name="x",
        slug="x",
        title="X",
        sensitivity=Sensitivity.PERSONAL,
        processing_record=record,
        open_data=True,
    )
    with pytest.raises(ValidationError) as error:
        dataset.full_clean()
    assert "open_data" in error.value.message_dict


def test_record_from_another_tenant_is_refused(tenant, world):
    foreign = ProcessingRecord.objects.create(tenant=world["other"], name="P")
    dataset = Dataset(tenant=tenant, name="x", slug="x", title="X", processing_record=foreign)
    with pytest.raises(ValidationError):
        dataset.full_clean()


def test_processing_record_completeness(tenant):
    record = ProcessingRecord.objects.create(tenant=tenant, **COMPLETE)
    assert record.is_complete
    assert record.missing_items == []

    record.sensitive_data = True
    record.transfers_outside_eu = True
    assert [str(m) for m in record.missing_items] == [
        "sensitive data, details",
        "transfers: recipients, countries and safeguards",
    ]
    record.purposes = "  "
    assert "purposes" in record.missing_items
    assert not record.is_complete


def test_stale_filter_follows_the_frequency(tenant):
    now = timezone.now()

    def entry(name, frequency, age):
        return Dataset.objects.create(
            tenant=tenant,
            name=name,
            slug=name,
            title=name,
            frequency=frequency,
            last_loaded_at=None if age is None else now - age,
        )

    entry("daily-ok", Frequency.DAILY, timedelta(hours=30))
    entry("daily-late", Frequency.DAILY, timedelta(days=3))
    entry("monthly-ok", Frequency.MONTHLY, timedelta(days=20))
    entry("never", Frequency.WEEKLY, None)
    entry("irregular", Frequency.IRREGULAR, timedelta(days=999))

    stale = set(Dataset.objects.filter(stale_q(now)).values_list("name", flat=True))
    assert stale == {"daily-late", "never"}
    assert {d.name for d in Dataset.objects.all() if d.is_stale} == stale


def test_who_may_read_a_dataset(tenant, people):
    dataset = ensure_dataset(tenant, "requests")  # personal data
    analyst, elected = people[Role.ANALYST], people[Role.ELECTED]
    assert can_read(people[Role.STEWARD], dataset)
    assert can_read(people[Role.ADMIN], dataset)
    assert not can_read(analyst, dataset)
    assert not can_read(elected, dataset)
    stranger = UserFactory()
    assert not can_read(stranger, dataset)

    AccessRequest.objects.create(
        tenant=tenant,
        dataset=dataset,
        requester=analyst,
        reason="r",
        status=AccessRequest.Status.APPROVED,
    )
    assert can_read(analyst, dataset)
    AccessRequest.objects.create(tenant=tenant, dataset=dataset, requester=elected, reason="r")
    assert not can_read(elected, dataset)  # pending is not approved

    dataset.referent = elected
    assert can_read(elected, dataset)
    assert can_decide(elected, permissions_in(elected, tenant), dataset)
    assert not can_decide(analyst, permissions_in(analyst, tenant), dataset)

    dataset.sensitivity = Sensitivity.INTERNAL
    dataset.referent = None
    assert can_read(analyst, dataset)
    assert not can_read(elected, dataset)
    dataset.sensitivity = Sensitivity.PUBLIC
    assert can_read(stranger, dataset)


def test_lineage_graph_and_its_drawing(tenant):
    Source.objects.create(
        tenant=tenant,
        name="gru-accueil",
        title="GRU de l'accueil",
        kind="file",
        mapping=SOURCE_MAPPING,
    )
    Source.objects.create(tenant=tenant, name="broken", kind="file", mapping="::: not yaml")
    LoadRun.objects.create(
        tenant=tenant,
        source_name="export-mars.csv",
        table="requests",
        status=LoadRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
    )
    LoadRun.objects.create(
        tenant=tenant, source_name="failed.csv", table="requests", status=LoadRun.Status.FAILED
    )
    dataset = ensure_dataset(tenant, "requests")
    link(tenant, "table", "requests", "indicator", "delai-moyen")
    link(tenant, "table", "requests", "indicator", "delai-moyen")  # idempotent

    graph = lineage_graph(dataset)

    assert [n.name for n in graph.upstream] == ["gru-accueil", "export-mars.csv"]
    assert [n.label for n in graph.upstream] == ["GRU de l'accueil", "export-mars.csv"]
    assert [(n.kind, n.name) for n in graph.downstream] == [("indicator", "delai-moyen")]
    drawing = svg(graph, element_id="l1")
    assert 'role="img"' in drawing
    assert 'aria-label="Lineage of “Demandes et réclamations des usagers”.' in drawing
    assert "GRU de l&#x27;accueil" in drawing
    assert "<title>" in drawing
    assert drawing.count('class="lineage-arrow"') == 3


def test_sparkline_says_its_results():
    drawing = sparkline([True, False, True], "Unique key: last 3 results, 1 failed")
    assert 'aria-label="Unique key: last 3 results, 1 failed"' in drawing
    assert drawing.count("spark-pass") == 2
    assert drawing.count("spark-fail") == 1
