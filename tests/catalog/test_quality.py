"""Quality checks computed by DuckDB over a real Delta table written for each test."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pilotis.catalog import hooks
from pilotis.catalog.entries import ensure_dataset
from pilotis.catalog.models import CheckName, Dataset, Frequency, QualityCheck, QualityStatus
from pilotis.catalog.quality import check_freshness, run_checks
from pilotis.connectors.models import LoadRun
from pilotis.referential.models import Commune, Departement, Region
from tests.catalog.conftest import request_row, write_requests


def by_name(results):
    return {r.name: r for r in results}


@pytest.fixture
def communes(db):
    region = Region.objects.create(code="53", name="Bretagne")
    dep = Departement.objects.create(code="35", name="Ille-et-Vilaine", region=region)
    Commune.objects.create(code_insee="35288", name="Saint-Malo", departement=dep)


def test_clean_table_passes_every_check(tenant, communes):
    write_requests(tenant.code, [request_row(f"A{i}", commune_insee="35288") for i in range(3)])
    dataset = ensure_dataset(tenant, "requests")

    results = by_name(run_checks(dataset, load_id="load-1"))

    assert {n for n, r in results.items() if not r.passed} == set()
    assert results[CheckName.ROW_COUNT].value == 3
    assert results[CheckName.REQUIRED_FIELDS].value == 0
    assert results[CheckName.UNIQUE_KEY].value == 0
    assert results[CheckName.CODE_LISTS].value == 0
    assert results[CheckName.ROW_COUNT].load_id == "load-1"
    dataset.refresh_from_db()
    assert dataset.quality_status == QualityStatus.PASSED
    assert dataset.last_loaded_at is not None  # no load recorded: the Delta commit's time


def test_crafted_errors_are_measured(tenant, communes):
    rows = [
        request_row("A1"),
        request_row("A1", description="doublon"),  # duplicated key
        request_row("A2", status=None),  # a required field left empty
        request_row("A3", category="inconnu"),  # not one of the tenant's themes
        request_row("A4", status="pending", commune_insee="99999"),  # not in the enum, no commune
        request_row("A5", service_request_id="A5", requested_datetime=None),
        request_row("A6", service="  "),
    ]
    write_requests(tenant.code, rows)
    dataset = ensure_dataset(tenant, "requests")

    results = by_name(run_checks(dataset))

    unique = results[CheckName.UNIQUE_KEY]
    assert not unique.passed
    assert unique.value == 1  # one row in excess
    assert unique.detail["duplicated_keys"] == 1
    assert unique.detail["examples"] == ["A1"]

    required = results[CheckName.REQUIRED_FIELDS]
    assert not required.passed
    assert required.value == pytest.approx(1 / 7, abs=1e-4)
    assert required.detail["fields"]["status"]["empty"] == 1
    assert required.detail["fields"]["requested_datetime"]["empty"] == 1
    assert required.detail["fields"]["service_request_id"]["empty"] == 0

    lists = results[CheckName.CODE_LISTS]
    assert not lists.passed
    assert lists.value == 4  # inconnu, pending, 99999 and the blank service
    fields = lists.detail["fields"]
    assert fields["category"] == {
        "list": "tenant:theme",
        "unknown_rows": 1,
        "examples": ["inconnu"],
    }
    assert fields["status"]["unknown_rows"] == 1
    assert fields["status"]["examples"] == ["pending"]
    assert fields["commune_insee"]["examples"] == ["99999"]
    assert fields["service"]["unknown_rows"] == 1
    assert fields["channel"]["unknown_rows"] == 0

    assert results[CheckName.ROW_COUNT].passed
    dataset.refresh_from_db()
    assert dataset.quality_status == QualityStatus.FAILED


def test_commune_list_is_skipped_while_the_referential_is_not_loaded(tenant):
    write_requests(tenant.code, [request_row("A1", commune_insee="99999")])
    results = by_name(run_checks(ensure_dataset(tenant, "requests")))
    assert "commune_insee" not in results[CheckName.CODE_LISTS].detail["fields"]
    assert results[CheckName.CODE_LISTS].passed


def test_row_count_drop_of_more_than_half_fails(tenant):
    dataset = ensure_dataset(tenant, "requests")
    write_requests(tenant.code, [request_row(f"A{i}") for i in range(4)])
    assert by_name(run_checks(dataset))[CheckName.ROW_COUNT].passed

    write_requests(tenant.code, [request_row("A1")])
    row_count = by_name(run_checks(dataset))[CheckName.ROW_COUNT]

    assert not row_count.passed
    assert row_count.value == 1
    assert row_count.detail["previous"] == 4
    assert row_count.detail["drop"] == 0.75


def test_missing_table_fails_row_count(tenant):
    results = by_name(run_checks(ensure_dataset(tenant, "requests")))
    assert not results[CheckName.ROW_COUNT].passed
    assert results[CheckName.ROW_COUNT].value == 0


def _load(tenant, finished_at, **kwargs):
    return LoadRun.objects.create(
        tenant=tenant,
        source_name="gru",
        table="requests",
        status=kwargs.pop("status", LoadRun.Status.SUCCEEDED),
        finished_at=finished_at,
        **kwargs,
    )


def test_freshness_from_the_last_successful_load(tenant):
    now = timezone.now()
    write_requests(tenant.code, [request_row("A1")])
    dataset = ensure_dataset(tenant, "requests")
    dataset.frequency = Frequency.WEEKLY
    dataset.save()
    _load(tenant, now - timedelta(days=10))
    _load(tenant, now - timedelta(days=1), status=LoadRun.Status.FAILED)
    _load(tenant, now - timedelta(days=2), status=LoadRun.Status.ROLLED_BACK)

    stale = check_freshness(now=now)

    assert stale == [dataset]
    result = QualityCheck.objects.get(dataset=dataset, name=CheckName.FRESHNESS)
    assert not result.passed
    assert result.value == pytest.approx(240, abs=0.01)  # hours
    assert result.detail["max_age_hours"] == 8 * 24
    assert result.detail["state"] == "stale"
    dataset.refresh_from_db()
    assert dataset.is_stale
    assert list(Dataset.objects.stale(now)) == [dataset]

    _load(tenant, now - timedelta(hours=3))
    assert check_freshness(now=now) == []
    assert QualityCheck.objects.filter(dataset=dataset, name=CheckName.FRESHNESS).first().passed


def test_irregular_datasets_are_never_stale(tenant):
    dataset = ensure_dataset(tenant, "requests")
    assert dataset.frequency == Frequency.IRREGULAR
    _load(tenant, timezone.now() - timedelta(days=900))
    assert check_freshness() == []


def test_after_load_creates_the_entry_and_stores_the_results(tenant):
    write_requests(tenant.code, [request_row("A1"), request_row("A1")])
    hooks.after_load(tenant, "requests", "f1d0c0de-0000-0000-0000-000000000001")

    dataset = Dataset.objects.get(tenant=tenant, name="requests")
    checks = QualityCheck.objects.filter(dataset=dataset)
    assert set(checks.values_list("name", flat=True)) == set(CheckName.values)
    assert set(checks.values_list("load_id", flat=True)) == {"f1d0c0de-0000-0000-0000-000000000001"}
    assert not checks.get(name=CheckName.UNIQUE_KEY).passed


def test_after_load_never_raises(tenant, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(hooks, "run_checks", broken)
    hooks.after_load(tenant, "requests", "x")  # logged, not raised
    assert Dataset.objects.filter(tenant=tenant, name="requests").exists()
