"""The publication pipeline end to end on a real Delta table of requests: personal data never
reaches a published file, a failed run leaves the last good version online, republishing
unchanged data makes no version, and the catalog and subscribers follow."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime

import pandas as pd
import pyarrow.parquet as pq
import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from pilotis.catalog.models import Dataset, Kind, LineageLink
from pilotis.opendata import publish as publish_mod
from pilotis.opendata.models import Publication, PublicationVersion, Subscription
from pilotis.opendata.publish import publish, resource_path, version_folder
from pilotis.warehouse import storage
from tests.requests.test_page import write_requests
from tests.tenants.factories import TenantFactory

pytestmark = pytest.mark.django_db

EMAIL = "jeanne.martin@example.org"
PHONE = "06 12 34 56 78"
NAME = "Jeanne Martin"
SAFE_RULES = {
    "description": {"rule": "redact"},
    "address": {"rule": "redact"},
    "requester_name": {"rule": "drop"},
    "requester_email": {"rule": "drop"},
    "requester_phone": {"rule": "drop"},
    "lat": {"rule": "coords_grid", "param": 500},
    "long": {"rule": "coords_grid", "param": 500},
}


def _requests(n: int = 6, notes: str = "Traité par le service") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "service_request_id": [f"R-{i}" for i in range(n)],
            "status": ["closed" if i % 2 else "open" for i in range(n)],
            "status_notes": [notes] * n,
            "category": ["voirie" if i % 3 else "proprete" for i in range(n)],
            "description": [
                f"Nid de poule devant chez moi, {NAME}, appelez le {PHONE} ou {EMAIL}"
                for _ in range(n)
            ],
            "address": ["12 rue des Lilas"] * n,
            "lat": [48.6493 + i * 0.0001 for i in range(n)],
            "long": [-2.0257 - i * 0.0001 for i in range(n)],
            "requested_datetime": [datetime(2026, 10, 1 + i, 9, tzinfo=UTC) for i in range(n)],
            "requester_name": [NAME] * n,
            "requester_email": [EMAIL] * n,
            "requester_phone": [PHONE] * n,
        }
    )


def _write(code: str, frame: pd.DataFrame) -> None:
    """Replace the tenant's requests table (a new load of everything)."""
    shutil.rmtree(storage.table_uri(code, "requests"), ignore_errors=True)
    write_requests(code, frame)


@pytest.fixture
def town(warehouse):
    tenant = TenantFactory(code="35288", name="Saint-Malo", population=46_000)
    write_requests(tenant.code, _requests())
    return tenant


def _pub(tenant, **fields) -> Publication:
    values = {
        "slug": "demandes",
        "title": "Demandes des usagers",
        "description": "Les demandes, anonymisées.",
        "source_table": "requests",
        "rules": SAFE_RULES,
    }
    return Publication.objects.create(tenant=tenant, **{**values, **fields})


def _all_published_bytes(version: PublicationVersion) -> bytes:
    folder = version_folder(version)
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()))


def test_personal_columns_without_a_rule_are_refused(town):
    pub = _pub(town, rules={"description": {"rule": "redact"}})
    version = publish(pub)
    assert version.status == PublicationVersion.Status.FAILED
    assert "requester_email" in version.error and "address" in version.error
    assert set(version.report["personal_without_rule"]) >= {"requester_email", "address"}
    assert not version_folder(version).exists() and pub.current() is None


def test_published_files_hold_no_personal_data(town, client):
    version = publish(_pub(town))
    assert version.status == PublicationVersion.Status.OK, version.error
    assert set(version.resources) == {"csv", "csv-excel", "json", "parquet", "xlsx", "geojson"}
    names = [f["name"] for f in version.fields]
    assert "requester_email" not in names and "description" in names
    blob = _all_published_bytes(version)
    for secret in (EMAIL, PHONE, NAME, "12 rue des Lilas", "jeanne.martin"):
        assert secret.encode() not in blob, secret
        assert secret.encode("cp1252") not in blob
    rows = pq.read_table(resource_path(version, "parquet")).to_pylist()
    assert len(rows) == 6 and "[courriel]" in rows[0]["description"]
    # Two requests 11 m apart land on the same 500 m cell.
    assert rows[0]["lat"] == rows[1]["lat"] and rows[0]["lat"] != 48.6493
    page = client.get("/donnees-ouvertes/35288/demandes/").content
    assert page.count(b"[courriel]") >= 1
    api = client.get("/api/donnees/35288/demandes/", {"page_size": 100})
    assert api.status_code == 200 and len(api.json()["data"]) == 6
    exported = client.get("/api/donnees/35288/demandes/", {"format": "csv"})
    answers = [
        page,
        api.content,
        b"".join(exported.streaming_content),
        client.get(
            "/api/3/action/package_show", {"id": str(version.publication.identifier)}
        ).content,
        client.get("/catalog.ttl").content,
        client.get("/api/donnees/35288/demandes/profile/").content,
    ]
    for answer in answers:
        for secret in (EMAIL, PHONE, NAME, "12 rue des Lilas", "jeanne.martin"):
            assert secret.encode() not in answer, secret


def test_text_left_as_it_is_is_scanned(town):
    _write(town.code, _requests(notes=f"Rappeler {EMAIL}"))
    version = publish(_pub(town))
    assert version.status == PublicationVersion.Status.FAILED
    assert "status_notes" in version.report["personal_data_found"]
    assert all(EMAIL not in json.dumps(e) for e in version.report["examples"])


def test_unchanged_data_makes_no_version_and_changes_make_one(town):
    pub = _pub(town)
    first = publish(pub)
    again = publish(pub)
    assert again.pk == first.pk and pub.versions.count() == 1
    _write(town.code, _requests(9))
    second = publish(pub, note="Trois demandes de plus")
    assert second.number == 2 and second.rows == 9
    assert "+3" in second.changelog and "Trois demandes de plus" in second.changelog
    assert pub.current() == second
    pub.refresh_from_db()
    assert Publication.objects.get(pk=pub.pk).identifier == pub.identifier
    assert version_folder(first).exists()  # every version stays downloadable


def test_a_crash_leaves_the_last_good_version_online(town, client, monkeypatch):
    pub = _pub(town)
    good = publish(pub)
    _write(town.code, _requests(8))

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(publish_mod, "write_all", boom)
    failed = publish(pub)
    assert failed.status == PublicationVersion.Status.FAILED and "disk full" in failed.error
    assert pub.current() == good
    response = client.get("/donnees-ouvertes/35288/demandes/telecharger/csv/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).count(b"\n") == 7  # header + 6 rows of v1
    leftovers = [p.name for p in version_folder(good).parent.iterdir()]
    assert leftovers == ["v1"]


def test_catalog_lineage_and_subscribers_follow(town):
    pub = _pub(town)
    Subscription.objects.create(publication=pub, email="reutilisateur@example.fr")
    version = publish(pub)
    entry = Dataset.objects.get(tenant=town, kind=Kind.PUBLICATION, name="demandes")
    assert entry.open_data and entry.last_loaded_at == version.finished_at
    assert LineageLink.objects.filter(
        tenant=town, from_name="requests", to_kind="publication", to_name="demandes"
    ).exists()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["reutilisateur@example.fr"]
    assert "/donnees-ouvertes/35288/demandes/" in message.body
    assert "/donnees-ouvertes/desabonnement/" in message.body
    publish(pub)  # nothing changed: nobody is told again
    assert len(mail.outbox) == 1


def test_aggregates_suppress_small_groups(town):
    pub = _pub(
        town,
        columns=["category", "status"],
        rules={},
        aggregate={"group_by": ["category"], "k": 3},
    )
    version = publish(pub)
    assert version.status == PublicationVersion.Status.OK, version.error
    rows = pq.read_table(resource_path(version, "parquet")).to_pylist()
    # 6 requests: voirie 4, proprete 2 → proprete (2 < 3) is not published.
    assert [(r["category"], r["count"]) for r in rows] == [("voirie", 4)]
    assert version.report["suppressed_groups"] == 1


def test_row_filters_and_columns(town):
    pub = _pub(
        town,
        columns=["service_request_id", "status", "category"],
        rules={},
        row_filters={"status": ["closed"]},
    )
    version = publish(pub)
    assert version.status == PublicationVersion.Status.OK, version.error
    table = pq.read_table(resource_path(version, "parquet"))
    assert table.column_names == ["service_request_id", "status", "category"]
    assert set(table.column("status").to_pylist()) == {"closed"} and table.num_rows == 3


def test_the_command_line_publishes_and_says_so(town):
    _pub(town)
    out = io.StringIO()
    call_command("publish", "--tenant", "35288", "--json", stdout=out)
    result = json.loads(out.getvalue().strip())
    assert result["status"] == "ok" and result["rows"] == 6 and result["version"] == 1
    _pub(town, slug="brut", rules={})
    with pytest.raises(CommandError, match="failed"):
        call_command(
            "publish",
            "--tenant",
            "35288",
            "--dataset",
            "brut",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_a_load_of_the_source_table_republishes(commune):
    """Through the real connectors pipeline: each load that changes the table queues a run
    (the worker runs it at once in tests); a load that changes nothing does not."""
    from tests.connectors.test_pipeline import BAD, GOOD, load

    pub = _pub(
        commune,
        rules={
            "description": {"rule": "redact"},
            **{
                c: {"rule": "drop"}
                for c in ("address", "requester_name", "requester_email", "requester_phone")
            },
        },
    )
    load(commune, GOOD)
    first = pub.current()
    assert first is not None and first.trigger == PublicationVersion.Trigger.LOAD
    assert first.rows == 3
    load(commune, GOOD)  # the same rows: no new version of the table, no run
    assert pub.versions.count() == 1
    load(commune, GOOD[:1] + [["A9", *GOOD[1][1:]]] + BAD[:1])
    assert pub.current().number == 2 and pub.current().rows == 4
