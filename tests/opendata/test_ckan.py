"""The read-only CKAN Action API, driven by the real ckanapi client against a live server: every
action, its errors as ckanapi turns them into exceptions, search — and nothing that is not
online."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import ckanapi
import pyarrow as pa
import pytest
import requests
from django.urls import reverse

from pilotis.opendata.dcat import resource_id
from pilotis.opendata.models import Publication, PublicationVersion
from pilotis.opendata.publish import resource_path
from tests.opendata.builders import published
from tests.tenants.factories import TenantFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "Zebulon-confidentiel"  # only in data that is not online
PACKAGE_KEYS = {
    "id", "name", "title", "notes", "url", "license_id", "license_title", "organization",
    "owner_org", "tags", "resources", "metadata_created", "metadata_modified", "num_resources",
    "num_tags", "state", "type", "private", "extras", "author", "author_email", "maintainer",
    "maintainer_email", "groups", "version", "isopen",
}  # fmt: skip
EN = {"Accept-Language": "en"}  # messages are translated: assert on the English ones
RESOURCE_KEYS = {
    "id", "url", "format", "mimetype", "size", "hash", "name", "package_id", "created",
    "last_modified", "position", "resource_type", "state", "description",
}  # fmt: skip


@pytest.fixture
def world():
    malo = TenantFactory(code="35288", name="Saint-Malo")
    cancale = TenantFactory(code="35049", name="Cancale")
    TenantFactory(code="35001", name="Acigné")  # publishes nothing
    parkings = pa.table(
        {
            "nom": ["Parking Saint-Vincent", "Parking de la Gare"],
            "places": [420, 310],
            "lat": [48.6493, 48.6460],
            "long": [-2.0257, -2.0110],
        }
    )
    pubs = {
        "parkings": published(
            malo,
            "parkings",
            parkings,
            title="Parkings de la ville",
            description="Les parkings publics et leur capacité.",
            keywords="stationnement, voiture",
            theme="TRAN",
            frequency="weekly",
            hvd_category="c_b79e35eb",
            national_schema="etalab/schema-stationnement",
            national_schema_version="0.2.0",
        ),
        "budget": published(
            malo,
            "budget",
            pa.table({"chapitre": ["011", "012"], "montant": [1200.5, 3400.0]}),
            title="Budget primitif",
            description="Le budget voté, par chapitre.",
            keywords="finances",
            licence="odbl-1.0",
            frequency="yearly",
        ),
        "demandes": published(
            cancale,
            "demandes",
            pa.table({"categorie": ["voirie", "propreté"]}),
            title="Demandes des habitants",
            description="Les signalements reçus (éclairage, voirie…).",
            keywords="voirie, stationnement",
        ),
    }
    # Not online: unticked, and one whose only version failed.
    pubs["brouillon"] = published(
        cancale,
        "brouillon",
        pa.table({"x": [1]}),
        title=f"Brouillon {SECRET}",
        description=SECRET,
        keywords="stationnement",
        public=False,
    )
    failed = Publication.objects.create(
        tenant=malo, slug="echec", title=f"Échec {SECRET}", description=SECRET
    )
    PublicationVersion.objects.create(
        publication=failed, number=1, status=PublicationVersion.Status.FAILED
    )
    pubs["echec"] = failed
    return pubs


@pytest.fixture
def ckan(live_server):
    """ckanapi as anyone would use it (it calls /api/action/, CKAN's unversioned path)."""
    session = requests.Session()
    session.headers.update(EN)
    with ckanapi.RemoteCKAN(live_server.url, session=session) as remote:
        yield remote


def test_status_show(ckan):
    status = ckan.action.status_show()
    assert status["ckan_version"].startswith("2.10")
    assert status["site_url"] == "http://testserver"


def test_package_list(ckan, world):
    assert ckan.action.package_list() == [
        "35049-demandes",
        "35288-budget",
        "35288-parkings",
    ]
    assert ckan.action.package_list(limit=1, offset=1) == ["35288-budget"]


def test_package_show(ckan, world):
    pub = world["parkings"]
    package = ckan.action.package_show(id=str(pub.identifier))
    assert PACKAGE_KEYS <= set(package)
    assert package == ckan.action.package_show(id="35288-parkings")
    assert package["id"] == str(pub.identifier)
    assert package["name"] == "35288-parkings"
    assert package["title"] == "Parkings de la ville"
    assert package["notes"] == "Les parkings publics et leur capacité."
    assert package["url"] == "http://testserver" + reverse(
        "opendata:dataset", args=["35288", "parkings"]
    )
    assert (package["state"], package["type"], package["private"]) == ("active", "dataset", False)
    assert package["license_id"] == "etalab-2.0"
    assert package["license_title"] == "Licence Ouverte / Open Licence version 2.0"
    assert package["isopen"] is True
    org = package["organization"]
    assert (org["name"], org["title"], org["type"]) == ("35288", "Saint-Malo", "organization")
    assert org["is_organization"] is True and package["owner_org"] == org["id"]
    assert [t["name"] for t in package["tags"]] == ["stationnement", "voiture"]
    assert package["num_tags"] == 2
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["identifier"] == str(pub.identifier)
    assert (
        extras["frequency"] == "http://publications.europa.eu/resource/authority/frequency/WEEKLY"
    )
    assert extras["schema"] == "etalab/schema-stationnement"
    assert extras["schema_url"] == "https://schema.data.gouv.fr/etalab/schema-stationnement/0.2.0/"
    assert extras["uri"] == f"http://testserver/catalog/datasets/{pub.identifier}"
    current = pub.current()
    resources = package["resources"]
    assert package["num_resources"] == len(resources) == len(current.resources)
    by_format = {r["id"]: r for r in resources}
    for position, fmt in enumerate(current.resources):
        resource = by_format[resource_id(pub, fmt)]
        assert RESOURCE_KEYS <= set(resource)
        assert resource["position"] == position
        assert resource["package_id"] == package["id"]
        assert resource["size"] == current.resources[fmt]["bytes"]
        assert resource["hash"] == current.resources[fmt]["sha256"]
        assert resource["resource_type"] == "file"
        assert urlsplit(resource["url"]).path == reverse(
            "opendata:download", args=["35288", "parkings", fmt]
        )
    assert {r["format"] for r in resources} == {"CSV", "JSON", "Parquet", "XLSX", "GeoJSON"}
    assert package["metadata_created"] <= package["metadata_modified"]
    assert "+" not in package["metadata_modified"]  # CKAN's naive UTC timestamps


def test_package_show_errors(ckan, world):
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="35288-nothing")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ckanapi.ValidationError) as error:
        ckan.action.package_show()
    assert "id" in error.value.error_dict


def test_identifiers_survive_a_republication(ckan, world):
    pub = world["demandes"]
    before = ckan.action.package_show(id="35049-demandes")
    published(pub.tenant, "demandes", pa.table({"categorie": ["voirie", "eclairage", "voirie"]}))
    after = ckan.action.package_show(id="35049-demandes")
    assert after["id"] == before["id"] == str(pub.identifier)
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]
    assert [r["url"] for r in after["resources"]] == [r["url"] for r in before["resources"]]
    assert after["version"] == "2"
    assert after["metadata_created"] == before["metadata_created"]


def test_package_search(ckan, world):
    everything = ckan.action.package_search()
    assert everything["count"] == 3 and len(everything["results"]) == 3
    assert set(everything["results"][0]) >= PACKAGE_KEYS
    # Words: title, description, keywords; accents and case ignored.
    found = ckan.action.package_search(q="ECLAIRAGE")
    assert [p["name"] for p in found["results"]] == ["35049-demandes"]
    assert ckan.action.package_search(q="parkings capacite")["count"] == 1
    assert ckan.action.package_search(q="finances")["results"][0]["name"] == "35288-budget"
    assert ckan.action.package_search(q="rien-de-tel")["count"] == 0
    # Filters.
    names = lambda result: sorted(p["name"] for p in result["results"])  # noqa: E731
    assert names(ckan.action.package_search(fq="organization:35288")) == [
        "35288-budget",
        "35288-parkings",
    ]
    assert names(ckan.action.package_search(fq="tags:stationnement")) == [
        "35049-demandes",
        "35288-parkings",
    ]
    assert names(ckan.action.package_search(fq="res_format:GeoJSON")) == ["35288-parkings"]
    assert ckan.action.package_search(fq="res_format:CSV")["count"] == 3
    assert names(ckan.action.package_search(fq="license_id:odbl-1.0")) == ["35288-budget"]
    both = ckan.action.package_search(fq="organization:35288 tags:stationnement")
    assert names(both) == ["35288-parkings"]
    # The query data.gouv.fr's CKAN harvester sends for its filters.
    udata = ckan.action.package_search(q="organization:35288 AND -tags:finances", rows=1000)
    assert names(udata) == ["35288-parkings"]
    # Sorting and paging.
    by_title = ckan.action.package_search(sort="title_string asc")
    titles = [p["title"] for p in by_title["results"]]
    assert titles == ["Budget primitif", "Demandes des habitants", "Parkings de la ville"]
    newest = ckan.action.package_search(sort="metadata_modified desc")["results"]
    assert [p["metadata_modified"] for p in newest] == sorted(
        (p["metadata_modified"] for p in newest), reverse=True
    )
    pages = [
        ckan.action.package_search(sort="title_string asc", rows=2, start=start) for start in (0, 2)
    ]
    assert [len(p["results"]) for p in pages] == [2, 1]
    assert all(p["count"] == 3 for p in pages)
    assert [p["title"] for page in pages for p in page["results"]] == titles
    assert ckan.action.package_search(rows=0)["results"] == []


def test_package_search_facets(ckan, world):
    result = ckan.action.package_search(
        **{"facet.field": ["organization", "tags", "res_format", "license_id"]}
    )
    facets = result["facets"]
    assert facets["organization"] == {"35288": 2, "35049": 1}
    assert facets["tags"] == {"stationnement": 2, "finances": 1, "voirie": 1, "voiture": 1}
    assert facets["res_format"]["CSV"] == 3 and facets["res_format"]["GeoJSON"] == 1
    assert facets["license_id"] == {"etalab-2.0": 2, "odbl-1.0": 1}
    orgs = result["search_facets"]["organization"]
    assert orgs["items"][0] == {"name": "35288", "display_name": "Saint-Malo", "count": 2}
    filtered = ckan.action.package_search(fq="organization:35049", **{"facet.field": ["tags"]})
    assert filtered["facets"]["tags"] == {"stationnement": 1, "voirie": 1}
    assert ckan.action.package_search()["facets"] == {}


def test_package_search_errors(ckan, world):
    with pytest.raises(ckanapi.ValidationError) as error:
        ckan.action.package_search(rows="many")
    assert "rows" in error.value.error_dict
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(start=-1)
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(sort="popularity desc")
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="colour:blue")


def test_organizations(ckan, world):
    assert ckan.action.organization_list() == ["35049", "35288"]  # by title: Cancale, Saint-Malo
    full = ckan.action.organization_list(all_fields=True, sort="package_count desc")
    assert [(o["name"], o["title"], o["package_count"]) for o in full] == [
        ("35288", "Saint-Malo", 2),
        ("35049", "Cancale", 1),
    ]
    org = ckan.action.organization_show(id="35288")
    assert (org["title"], org["package_count"]) == ("Saint-Malo", 2)
    assert "packages" not in org
    assert ckan.action.organization_show(id=org["id"])["name"] == "35288"
    with_datasets = ckan.action.organization_show(id="35288", include_datasets=True)
    assert sorted(p["name"] for p in with_datasets["packages"]) == [
        "35288-budget",
        "35288-parkings",
    ]
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="35001")  # publishes nothing
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="99999")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.organization_show()


def test_resource_show_and_download(ckan, world, live_server):
    pub = world["budget"]
    package = ckan.action.package_show(id="35288-budget")
    resource = next(r for r in package["resources"] if r["format"] == "CSV")
    assert ckan.action.resource_show(id=resource["id"]) == resource
    assert resource["id"] == resource_id(pub, "csv")
    path = urlsplit(resource["url"]).path
    assert path == reverse("opendata:download", args=["35288", "budget", "csv"])
    # The file the URL serves, from disk (the download view is being rewritten elsewhere; when
    # it answers, it must serve these bytes).
    data = resource_path(pub.current(), "csv").read_bytes()
    assert data.startswith(b"chapitre,montant")
    assert len(data) == resource["size"]
    assert hashlib.sha256(data).hexdigest() == resource["hash"]
    response = requests.get(live_server.url + path, headers=EN, timeout=30)
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert response.content == data
    with pytest.raises(ckanapi.NotFound):
        ckan.action.resource_show(id=resource_id(pub, "pdf"))
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.resource_show()


def test_nothing_that_is_not_online(ckan, world):
    for key in ("brouillon", "echec"):
        pub = world[key]
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id=str(pub.identifier))
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id=f"{pub.tenant.code}-{pub.slug}")
        with pytest.raises(ckanapi.NotFound):
            ckan.action.resource_show(id=resource_id(pub, "csv"))
    assert ckan.action.package_search(q=SECRET)["count"] == 0
    stationnement = ckan.action.package_search(fq="tags:stationnement", rows=1000)
    assert all(SECRET not in str(p) for p in stationnement["results"])
    assert stationnement["count"] == 2
    everything = str(
        [
            ckan.action.package_search(rows=1000),
            ckan.action.organization_list(all_fields=True),
            ckan.action.organization_show(id="35049", include_datasets=True),
            ckan.action.package_list(),
        ]
    )
    assert SECRET not in everything and "brouillon" not in everything
    assert "Acigné" not in everything


def test_unknown_and_write_actions(ckan, world):
    with pytest.raises(ckanapi.CKANAPIError) as error:
        ckan.action.no_such_action()
    assert "Action name not known" in str(error.value)
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_create(name="nouveau", title="Nouveau")
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_delete(id="35288-budget")
    assert ckan.action.package_list() == ["35049-demandes", "35288-budget", "35288-parkings"]


def test_get_requests_and_the_versioned_mount(live_server, world):
    """/api/3/action/ (what CKAN harvesters call), by GET with query parameters as well as by
    POST; the envelope and the error statuses of CKAN 2.10."""
    with ckanapi.RemoteCKAN(live_server.url, get_only=True) as remote:
        remote.base_url = "api/3/action/"  # the versioned path, as udata's harvester uses
        result = remote.action.package_search(
            fq="organization:35288", sort="title_string asc", **{"facet.field": ["tags"]}
        )
        assert [p["name"] for p in result["results"]] == ["35288-budget", "35288-parkings"]
        assert result["facets"]["tags"] == {"finances": 1, "stationnement": 1, "voiture": 1}
        with pytest.raises(ckanapi.NotFound):
            remote.action.package_show(id="35288-nothing")
    with ckanapi.RemoteCKAN(live_server.url) as remote:
        remote.base_url = "api/3/action/"
        assert remote.action.package_show(id="35288-budget")["title"] == "Budget primitif"

    base = f"{live_server.url}/api/3/action"
    ok = requests.get(f"{base}/package_show", params={"id": "35288-budget"}, headers=EN, timeout=30)
    assert ok.status_code == 200
    assert ok.headers["Content-Type"].startswith("application/json")
    body = ok.json()
    assert set(body) == {"help", "success", "result"}
    assert body["success"] is True
    assert body["help"] == "http://testserver/api/3/action/help_show?name=package_show"
    missing = requests.get(
        f"{base}/package_show", params={"id": "35288-nothing"}, headers=EN, timeout=30
    )
    assert missing.status_code == 404
    assert missing.json()["success"] is False
    assert missing.json()["error"]["__type"] == "Not Found Error"
    invalid = requests.get(f"{base}/package_search", params={"rows": "x"}, headers=EN, timeout=30)
    assert invalid.status_code == 409
    assert invalid.json()["error"] == {"__type": "Validation Error", "rows": ["Invalid integer"]}
    unknown = requests.post(f"{base}/no_such_action", json={}, headers=EN, timeout=30)
    assert unknown.status_code == 400
    assert unknown.json() == "Bad request - Action name not known: no_such_action"
    bad_body = requests.post(f"{base}/package_show", data="[1, 2]", headers=EN, timeout=30)
    assert bad_body.status_code == 400
    assert unknown.headers["Access-Control-Allow-Origin"] == "*"
    helped = requests.get(
        f"{base}/help_show", params={"name": "package_search"}, headers=EN, timeout=30
    )
    assert "facet.field" in helped.json()["result"]
