"""The connectors' pages: upload with a proposed mapping, load progress, quarantine, rollback,
replay. Loads run through the real Huey task (in immediate mode)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from pilotis.connectors.models import LoadRun, Source
from pilotis.tenants.roles import Role
from tests.connectors.test_cli import CSV
from tests.tenants.factories import MembershipFactory, UserFactory


@pytest.fixture
def immediate():
    """Tasks run inline (tests/settings.py sets it; said here because these tests rely on it)."""
    before, HUEY.immediate = HUEY.immediate, True
    yield
    HUEY.immediate = before


@pytest.fixture
def steward(commune, client):
    user = UserFactory(username="steward@saint-malo.fr")
    MembershipFactory(tenant=commune, user=user, role=Role.STEWARD)
    client.force_login(user)
    return user


def upload(client, commune):
    response = client.post(
        reverse("connectors:upload", args=[commune.code]),
        {"file": SimpleUploadedFile("export.csv", CSV.encode("cp1252")), "table": "requests"},
    )
    assert response.status_code == 302
    return response["Location"]


def test_upload_proposes_a_mapping_then_loads_with_it(commune, steward, client, immediate):
    mapping_url = upload(client, commune)
    page = client.get(mapping_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Saint-Malo" in html  # the preview of the first rows
    form = page.context["form"]
    assert form.initial["field_service_request_id"] == "N° demande"
    assert form.initial["field_requested_datetime"] == "Date de la demande"
    data = {name: form.initial.get(name, "") or "" for name in form.fields}
    data["save_as"] = "export-gru"
    response = client.post(mapping_url, data)
    assert response.status_code == 302, response.context["form"].errors
    run = LoadRun.objects.get()
    assert run.status == LoadRun.Status.SUCCEEDED
    assert (run.rows_read, run.rows_loaded, run.rows_quarantined) == (4, 3, 1)
    assert Source.objects.get(name="export-gru").kind == "file"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "32/01/2026" in html and "quarantaine" in html.lower()


def test_the_user_can_change_a_proposed_column(commune, steward, client, immediate):
    mapping_url = upload(client, commune)
    form = client.get(mapping_url).context["form"]
    data = {name: form.initial.get(name, "") or "" for name in form.fields}
    data["field_requested_datetime"] = ""  # a required field left without a column
    response = client.post(mapping_url, data)
    assert response.status_code == 400
    assert LoadRun.objects.count() == 0


def test_quarantine_csv_download_and_replay_and_rollback(commune, steward, client, immediate):
    mapping_url = upload(client, commune)
    form = client.get(mapping_url).context["form"]
    client.post(mapping_url, {name: form.initial.get(name, "") or "" for name in form.fields})
    run = LoadRun.objects.get()
    csv = client.get(reverse("connectors:quarantine_csv", args=[commune.code, run.load_id]))
    body = b"".join(csv.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff") and "'=HYPERLINK" in body
    status = client.get(reverse("connectors:run_status", args=[commune.code, run.load_id]))
    assert status.json()["status"] == "succeeded"
    replayed = client.post(reverse("connectors:run_replay", args=[commune.code, run.load_id]))
    assert replayed.status_code == 302
    again = LoadRun.objects.get(kind=LoadRun.Kind.REPLAY)
    assert (again.rows_read, again.rows_quarantined) == (1, 1)  # still an impossible date
    refused = client.post(reverse("connectors:run_rollback", args=[commune.code, run.load_id]))
    assert LoadRun.objects.get(pk=run.pk).status == LoadRun.Status.SUCCEEDED  # not confirmed
    assert refused.status_code == 302
    client.post(
        reverse("connectors:run_rollback", args=[commune.code, run.load_id]), {"confirm": "yes"}
    )
    assert LoadRun.objects.get(pk=run.pk).status == LoadRun.Status.ROLLED_BACK


def test_an_unreadable_upload_gets_a_clear_message(commune, steward, client):
    response = client.post(
        reverse("connectors:upload", args=[commune.code]),
        {"file": SimpleUploadedFile("photo.csv", bytes(range(256)) * 40), "table": "requests"},
    )
    page = client.get(response["Location"])
    assert page.status_code == 400
    assert page.context["error"]


def test_source_page_hides_secrets(commune, steward, client):
    Source.objects.create(
        tenant=commune,
        name="api",
        kind="http_json",
        config={"url": "https://x.test/api", "headers": {"Authorization": "Bearer s3cr3t"}},
        mapping="table: requests\nfields:\n  service_request_id: id\n  status: s\n"
        "  requested_datetime: d\n",
    )
    html = client.get(reverse("connectors:source", args=[commune.code, "api"])).content.decode()
    assert "s3cr3t" not in html and "https://x.test/api" in html
