"""The `ckan` and `udata` kinds against a real local CKAN Action API and udata API serving a real
CSV (Paris's DansMaRue sample): choosing the resource, downloading it, handing it to the file
kind, removing the temporary file, and the errors."""

import tempfile

import pytest

from pilotis.connectors import kinds
from pilotis.connectors.kinds import SOURCE_ROW, SourceError
from pilotis.connectors.portals import CkanKind, UdataKind, choose_resource, normalize_format
from tests.connectors.raw import rows_of as table
from tests.connectors.servers import DATA, FixtureServer, Reply, add_ckan, add_udata

CSV = (DATA / "portals" / "dansmarue_paris_sample_2017.csv").read_bytes()
COLUMNS = (
    "TYPE;SOUSTYPE;ADRESSE;CODE_POSTAL;VILLE;ARRONDISSEMENT;DATEDECL;ANNEE_DECLARATION;"
    "MOIS_DECLARATION;NUMERO;PREFIXE;INTERVENANT;CONSEIL_DE_QUARTIER;OBJECTID;geo_shape;"
    "geo_point_2d"
).split(";")


@pytest.fixture
def spool_dir(tmp_path, monkeypatch):
    """Temporary files go to a folder of the test, to check they are removed."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def server(spool_dir):
    with FixtureServer() as fixture:
        fixture.route("/files/dansmarue.csv", Reply(body=CSV, content_type="text/csv"))
        fixture.route("/files/download", Reply(body=CSV, content_type="text/csv; charset=utf-8"))
        fixture.route("/files/notice.pdf", Reply(body=b"%PDF-1.4", content_type="application/pdf"))
        fixture.route(
            "/files/landing", Reply.text("<!DOCTYPE html><html></html>", 200, "text/html")
        )
        fixture.route("/files/empty.csv", Reply(body=b"", content_type="text/csv"))
        yield fixture


def ckan_datasets(server):
    resource = {"format": "CSV", "url": server.url("/files/dansmarue.csv")}
    return {
        "paris": {
            "id": "0b1c-paris",
            "name": "dans-ma-rue-2017",
            "resources": [
                {"id": "r-pdf", "name": "Notice", "format": "PDF", "url": "/files/notice.pdf"},
                {"id": "r-json", "name": "Export", "format": "JSON", "url": "/files/x.json"},
                {"id": "r-csv", "name": "Signalements 2017", **resource},
            ],
        },
        "private": {
            "id": "0b1c-private",
            "name": "interne",
            "private": True,
            "resources": [{"id": "r-p", "name": "Interne", **resource}],
        },
        "pdf": {
            "id": "0b1c-pdf",
            "name": "notice-seule",
            "resources": [
                {"id": "r-pdf", "name": "Notice", "format": "PDF", "url": "/files/notice.pdf"}
            ],
        },
        "landing": {
            "id": "0b1c-landing",
            "name": "page",
            "resources": [
                {"id": "r-l", "name": "Données", "format": "CSV", "url": "/files/landing"},
                {"id": "r-e", "name": "Vide", "format": "CSV", "url": "/files/empty.csv"},
                {"id": "r-u", "name": "Sans format", "format": "", "url": "/files/download"},
            ],
        },
    }


UDATA = {
    "dmr": {
        "id": "5f3a9c0e8b4c2d0012345678",
        "slug": "dans-ma-rue-anomalies-signalees",
        "title": "Dans ma rue",
        "resources": [
            {
                "id": "doc-1",
                "title": "Documentation",
                "format": "csv",
                "type": "documentation",
                "url": "/files/notice.pdf",
            },
            {
                "id": "main-1",
                "title": "dans-ma-rue.csv",
                "format": "csv",
                "type": "main",
                "url": "/files/dansmarue.csv",
            },
        ],
    }
}


def error_of(kind, **config) -> str:
    with pytest.raises(SourceError) as caught:
        kind(config).open()
    return caught.value.in_language("en")


def check_dansmarue(raw, spool_dir):
    assert raw.columns == COLUMNS
    assert len(list(spool_dir.iterdir())) == 1  # the downloaded file, until the load is over
    rows = table(raw)
    assert len(rows) == 9
    assert [r[SOURCE_ROW] for r in rows] == list(range(1, 10))
    assert rows[0]["TYPE"] == "Graffitis, tags, affiches et autocollants"
    assert rows[0]["ADRESSE"] == "6 rue basfroi, 75011 PARIS"
    assert list(spool_dir.iterdir()) == []  # removed by cleanup


def test_registered():
    kinds.load_builtin_kinds()
    assert kinds.get("ckan") is CkanKind and kinds.get("udata") is UdataKind


def test_ckan_prefers_csv(server, spool_dir):
    portal = add_ckan(server, ckan_datasets(server))
    raw = CkanKind({"portal": portal + "/", "dataset": "dans-ma-rue-2017"}).open()
    assert raw.description.startswith(
        f"CKAN {portal}, dataset “dans-ma-rue-2017”, resource “Signalements 2017” (CSV, id r-csv); "
    )
    check_dansmarue(raw, spool_dir)
    assert server.requests_to("/ckan/api/3/action/package_show")[0].query == {
        "id": "dans-ma-rue-2017"
    }


def test_ckan_by_id_name_or_page_address(server, spool_dir):
    portal = add_ckan(server, ckan_datasets(server))
    raw = CkanKind({"portal": portal, "dataset": "0b1c-paris", "resource_id": "r-csv"}).open()
    check_dansmarue(raw, spool_dir)
    raw = CkanKind(
        {
            "portal": portal,
            "dataset": f"{portal}/dataset/dans-ma-rue-2017",
            "resource_name": " signalements 2017 ",
        }
    ).open()
    check_dansmarue(raw, spool_dir)
    assert server.log[-2].query == {"id": "dans-ma-rue-2017"}


def test_ckan_unknown_dataset_or_resource(server):
    portal = add_ckan(server, ckan_datasets(server))
    message = error_of(CkanKind, portal=portal, dataset="absent")
    assert "dataset “absent” was not found on the portal" in message
    message = error_of(CkanKind, portal=portal, dataset="dans-ma-rue-2017", resource_id="r-x")
    assert "has no resource “r-x”" in message
    assert (
        "“Signalements 2017” (CSV, id r-csv)" in message and "“Notice” (PDF, id r-pdf)" in message
    )
    message = error_of(CkanKind, portal=portal, dataset="notice-seule")
    assert "no resource in a readable format (CSV, XLSX, XLS, JSON)" in message
    assert "resource_id" in message


def test_ckan_private_dataset(server, spool_dir, monkeypatch):
    portal = add_ckan(server, ckan_datasets(server), api_key="k-private")
    message = error_of(CkanKind, portal=portal, dataset="interne")
    assert "refuses access to the dataset “interne”" in message and "api_key_env" in message
    monkeypatch.setenv("PILOTIS_SOURCE_SECRET_TEST_CKAN_KEY", "k-private")
    raw = CkanKind(
        {
            "portal": portal,
            "dataset": "interne",
            "api_key_env": "PILOTIS_SOURCE_SECRET_TEST_CKAN_KEY",
        }
    ).open()
    check_dansmarue(raw, spool_dir)
    assert server.log[-2].header("Authorization") == "k-private"
    assert "k-private" not in raw.description


def test_resource_that_is_a_web_page_or_empty(server, spool_dir):
    portal = add_ckan(server, ckan_datasets(server))
    message = error_of(CkanKind, portal=portal, dataset="page", resource_id="r-l")
    assert "returned a web page, not a data file" in message
    message = error_of(CkanKind, portal=portal, dataset="page", resource_id="r-e")
    assert "is empty" in message
    assert list(spool_dir.iterdir()) == []


def test_resource_without_format_takes_it_from_the_answer(server, spool_dir):
    portal = add_ckan(server, ckan_datasets(server))
    raw = CkanKind({"portal": portal, "dataset": "page", "resource_name": "Sans format"}).open()
    check_dansmarue(raw, spool_dir)


def test_download_cap(server, spool_dir):
    portal = add_ckan(server, ckan_datasets(server))
    message = error_of(CkanKind, portal=portal, dataset="dans-ma-rue-2017", max_download_mb=0.001)
    assert "larger than 0.001 MB" in message and "max_download_mb" in message
    assert list(spool_dir.iterdir()) == []


def test_not_a_ckan_portal(server):
    server.route(
        "/site/api/3/action/package_show", Reply.text("<html>Accueil</html>", 200, "text/html")
    )
    message = error_of(CkanKind, portal=server.url("/site"), dataset="x")
    assert "returned a web page, not JSON" in message
    server.route("/odd/api/3/action/package_show", Reply.json({"success": True, "result": []}))
    assert "did not answer like a CKAN portal" in error_of(
        CkanKind, portal=server.url("/odd"), dataset="x"
    )


def test_udata_main_resource_by_slug_or_id(server, spool_dir):
    portal = add_udata(server, UDATA)
    raw = UdataKind({"portal": portal, "dataset": "dans-ma-rue-anomalies-signalees"}).open()
    assert "resource “dans-ma-rue.csv” (CSV, id main-1)" in raw.description
    check_dansmarue(raw, spool_dir)
    raw = UdataKind(
        {"portal": portal, "dataset": f"{portal}/fr/datasets/5f3a9c0e8b4c2d0012345678/"}
    ).open()
    check_dansmarue(raw, spool_dir)


def test_udata_errors(server):
    portal = add_udata(server, UDATA)
    assert "was not found on the portal" in error_of(UdataKind, portal=portal, dataset="unknown")
    server.route("/udata/api/1/datasets/gone/", Reply.json({"message": "Deleted"}, 410))
    assert "was deleted from the portal" in error_of(UdataKind, portal=portal, dataset="gone")
    server.route("/udata/api/1/datasets/boom/", Reply.json({"message": "Oops"}, 500))
    message = error_of(UdataKind, portal=portal, dataset="boom")
    assert "HTTP 500 (Internal Server Error): Oops" in message
    assert "“dataset” is required" in error_of(UdataKind, portal=portal)


def test_choosing_and_formats():
    assert normalize_format("CSV") == "csv"
    assert normalize_format(".XLSX") == "xlsx"
    assert normalize_format("text/csv; charset=utf-8") == "csv"
    assert normalize_format("", "https://x.org/data/file.xls?download=1") == "xls"
    assert normalize_format("", "https://x.org/data/") == ""
    assert UdataKind.default_portal == "https://www.data.gouv.fr"
    with pytest.raises(SourceError, match="has no resource"):
        choose_resource([], "d")


def test_file_options_reach_the_file_kind(server, spool_dir):
    portal = add_ckan(server, ckan_datasets(server))
    raw = CkanKind(
        {
            "portal": portal,
            "dataset": "dans-ma-rue-2017",
            "formats": "xlsx, csv",
            "decimal": ",",
            "file_options": {"date_format": "%Y-%m-%d", "delimiter": ";"},
        }
    ).open()
    assert raw.hints.decimal == "," and raw.hints.date_formats == ["%Y-%m-%d"]
    check_dansmarue(raw, spool_dir)
