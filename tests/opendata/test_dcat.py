"""The DCAT-AP 3 catalogs: they parse in the three serialisations, conform to the official
shapes (DCAT-AP 3.0.1 core and ranges, the EU vocabularies, DCAT-AP HVD), keep their
identifiers across republications, page the way data.gouv.fr's harvester reads, negotiate their
format — and hold nothing that is not online."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa
import pytest
from django.urls import resolve, reverse
from pyshacl import validate
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from pilotis.opendata.dcat import api_url, resource_id
from pilotis.opendata.models import Publication, PublicationVersion
from pilotis.opendata.resources import FORMATS
from pilotis.opendata.vocab import HVD_LEGISLATION
from pilotis.tenants.roles import Perm
from tests.opendata.builders import published
from tests.tenants.factories import TenantFactory

pytestmark = [
    pytest.mark.django_db,
    # rdflib's own JSON-LD parser, not Pilotis.
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
]

SHAPES = Path(__file__).parent / "fixtures" / "dcat-ap"
SH = Namespace("http://www.w3.org/ns/shacl#")
MDR = Namespace("http://data.europa.eu/r5r#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
BASE = "http://testserver"  # PILOTIS_PUBLIC_URL in tests/opendata/conftest.py
RDF_FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}
SECRET = "Zebulon-confidentiel"  # only in data that is not online


def shapes(*names: str) -> Graph:
    """Official shapes, with the 3.0.1 release's defects handled (see fixtures/SOURCES.md):

    - dcat-ap-SHACL.ttl and ranges.ttl are loaded together (each defines property shapes the
      other names), and the links to the five property shapes ranges.ttl names but no file
      defines (no sh:path: pyshacl refuses them) are dropped;
    - mdr-vocabularies.shape.ttl's :Checksum_ShapeCV cannot be satisfied: it wants the checksum
      algorithm to match ^https://spdx.org/rdf/terms, but the algorithm DCAT-AP 3 prescribes,
      spdx:checksumAlgorithm_sha256, lives in the http:// SPDX namespace (and data.gouv.fr's
      harvester only recognises that one). It is left out; the core shapes still check the
      checksum (algorithm typed spdx:ChecksumAlgorithm, value xsd:hexBinary).
    """
    g = Graph()
    for name in names:
        g.parse(SHAPES / name)
    for triple in list(g.triples((MDR.Checksum_ShapeCV, None, None))):
        g.remove(triple)
    for node_shape, property_shape in list(g.subject_objects(SH.property)):
        if g.value(property_shape, SH.path) is None:
            g.remove((node_shape, SH.property, property_shape))
    return g


CORE = ("dcat-ap-SHACL.ttl", "ranges.ttl", "mdr-vocabularies.shape.ttl")
HVD = ("hvd/hvd-SHACL.ttl",)
_shapes_cache: dict[tuple[str, ...], Graph] = {}


def violations(data: Graph, names: tuple[str, ...] = CORE) -> list[str]:
    """The sh:Violation results of validating `data` (warnings are allowed: the publishers are
    French local authorities, not EU corporate bodies, which the EU vocabulary shapes warn of)."""
    if names not in _shapes_cache:
        _shapes_cache[names] = shapes(*names)
    _conforms, report, text = validate(data, shacl_graph=_shapes_cache[names], allow_warnings=True)
    found = [
        result
        for result in report.objects(None, SH.result)
        if (result, SH.resultSeverity, SH.Violation) in report
    ]
    return [text] if found else []


def get_graph(client, url: str, fmt: str = "ttl", **headers) -> Graph:
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return Graph().parse(data=response.content, format=RDF_FORMATS[fmt])


def datasets(g: Graph) -> list[URIRef]:
    return sorted(g.subjects(RDF.type, DCAT.Dataset))


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
    budget = pa.table({"chapitre": ["011", "012"], "montant": [1200.5, 3400.0]})
    parking = published(
        malo,
        "parkings",
        parkings,
        title="Parkings",
        keywords="parking, stationnement",
        theme="TRAN",
        frequency="weekly",
        hvd_category="c_b79e35eb",
        national_schema="etalab/schema-stationnement",
        national_schema_version="0.2.0",
    )
    budget_pub = published(
        malo, "budget", budget, title="Budget", licence="odbl-1.0", frequency="yearly"
    )
    demandes = published(
        cancale, "demandes", pa.table({"categorie": ["voirie", "proprete"]}), title="Demandes"
    )
    # Not online: unticked, and one whose only version failed.
    published(
        cancale,
        "brouillon",
        pa.table({"x": [1]}),
        title=f"Brouillon {SECRET}",
        description=SECRET,
        public=False,
    )
    failed = Publication.objects.create(
        tenant=malo, slug="echec", title=f"Échec {SECRET}", description=SECRET
    )
    PublicationVersion.objects.create(
        publication=failed, number=1, status=PublicationVersion.Status.FAILED
    )
    return {"malo": malo, "cancale": cancale, "parking": parking, "budget": budget_pub,
            "demandes": demandes}  # fmt: skip


CATALOG_URLS = [
    *(f"/catalog.{ext}" for ext in RDF_FORMATS),
    *(f"/donnees-ouvertes/35288/catalog.{ext}" for ext in RDF_FORMATS),
    *(f"/donnees-ouvertes/35049/catalog.{ext}" for ext in RDF_FORMATS),
]


@pytest.mark.parametrize("url", CATALOG_URLS)
def test_catalogs_parse_and_conform(client, world, url):
    """Every catalog, in every serialisation, parses and has no violation of DCAT-AP 3.0.1
    (core, ranges, EU vocabularies)."""
    g = get_graph(client, url, url.rsplit(".", 1)[1])
    expected = {"/catalog": 3, "/donnees-ouvertes/35288/catalog": 2}.get(url.rsplit(".")[0], 1)
    assert len(datasets(g)) == expected
    assert len(list(g.subjects(RDF.type, DCAT.Catalog))) == 1
    assert violations(g) == []


def test_serialisations_hold_the_same_graph(client, world):
    """The same graph, but for the Hydra page node, whose URI is the URL asked for."""
    graphs = []
    for ext in RDF_FORMATS:
        g = get_graph(client, f"/catalog.{ext}", ext)
        view = g.value(predicate=RDF.type, object=HYDRA.PartialCollectionView)
        assert str(view) == f"{BASE}/catalog.{ext}?page=1&page_size=100"
        g.remove((None, HYDRA.view, view))
        g.remove((view, None, None))
        graphs.append(g)
    assert isomorphic(graphs[0], graphs[1])
    assert isomorphic(graphs[0], graphs[2])
    response = client.get("/catalog.jsonld")
    assert response["Content-Type"] == "application/ld+json"
    assert client.get("/catalog.rdf")["Content-Type"].startswith("application/rdf+xml")


def test_hvd_catalog_conforms_to_the_hvd_shapes(client, world):
    """A catalog of High-Value Datasets only (the HVD shapes apply to every dataset and data
    service of the graph they check) conforms to DCAT-AP HVD as well as to DCAT-AP."""
    world["budget"].delete()
    g = get_graph(client, "/donnees-ouvertes/35288/catalog.ttl")
    assert violations(g, CORE) == []
    assert violations(g, HVD) == []
    pub = world["parking"]
    dataset = URIRef(f"{BASE}/catalog/datasets/{pub.identifier}")
    legislation = URIRef(HVD_LEGISLATION)
    category = URIRef("http://data.europa.eu/bna/c_b79e35eb")
    assert (dataset, DCATAP.applicableLegislation, legislation) in g
    assert (dataset, DCATAP.hvdCategory, category) in g
    assert (legislation, RDF.type, URIRef("http://data.europa.eu/eli/ontology#LegalResource")) in g
    for dist in g.objects(dataset, DCAT.distribution):
        assert (dist, DCATAP.applicableLegislation, legislation) in g
        assert (dist, DCATAP.hvdCategory, category) in g
    (service,) = g.subjects(RDF.type, DCAT.DataService)
    assert g.value(service, DCAT.endpointURL) == URIRef(api_url(pub))
    assert str(g.value(service, DCAT.endpointURL)) == f"{BASE}/api/donnees/35288/parkings/"
    assert g.value(service, DCAT.endpointDescription) == URIRef(f"{BASE}/api/donnees/openapi.json")
    assert (service, DCAT.servesDataset, dataset) in g
    assert (service, DCATAP.hvdCategory, category) in g
    assert g.value(service, DCT.license) is not None
    assert g.value(service, DCT.title) is not None
    catalog = g.value(predicate=RDF.type, object=DCAT.Catalog)
    assert (catalog, DCAT.service, service) in g
    (api,) = g.subjects(DCAT.accessService, service)
    assert (dataset, DCAT.distribution, api) in g


def test_a_dataset_described(client, world):
    g = get_graph(client, "/catalog.ttl")
    pub = world["parking"]
    current = pub.current()
    dataset = URIRef(f"{BASE}/catalog/datasets/{pub.identifier}")
    assert (dataset, RDF.type, DCAT.Dataset) in g
    assert g.value(dataset, DCT.identifier) == Literal(str(pub.identifier))
    assert str(g.value(dataset, DCT.title)) == "Parkings"
    assert str(g.value(dataset, DCT.description)) == "Test parkings."
    publisher = g.value(dataset, DCT.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in g
    assert str(g.value(publisher, FOAF.name)) == "Saint-Malo"
    theme = URIRef("http://publications.europa.eu/resource/authority/data-theme/TRAN")
    assert (dataset, DCAT.theme, theme) in g
    assert (theme, RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#Concept")) in g
    assert {str(k) for k in g.objects(dataset, DCAT.keyword)} == {"parking", "stationnement"}
    for prop in (DCT.issued, DCT.modified):
        assert g.value(dataset, prop).datatype == XSD.dateTime
    frequency = URIRef("http://publications.europa.eu/resource/authority/frequency/WEEKLY")
    assert (dataset, DCT.accrualPeriodicity, frequency) in g
    assert (frequency, RDF.type, DCT.Frequency) in g
    landing = BASE + reverse("opendata:dataset", args=["35288", "parkings"])
    assert g.value(dataset, DCAT.landingPage) == URIRef(landing)
    contact = g.value(dataset, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Organization) in g
    assert str(g.value(contact, VCARD.fn)) == "Saint-Malo"
    assert g.value(contact, VCARD.hasURL) == URIRef(f"{BASE}/donnees-ouvertes/35288/")
    schema = URIRef("https://schema.data.gouv.fr/etalab/schema-stationnement/0.2.0/")
    assert (dataset, DCT.conformsTo, schema) in g
    assert (schema, RDF.type, DCT.Standard) in g

    files = [d for d in g.objects(dataset, DCAT.distribution) if g.value(d, DCAT.downloadURL)]
    assert len(files) == len(current.resources) and "geojson" in current.resources
    file_types = {"csv": "CSV", "csv-excel": "CSV", "json": "JSON", "parquet": "PARQUET"}
    file_types |= {"xlsx": "XLSX", "geojson": "GEOJSON"}
    for fmt, info in current.resources.items():
        dist = URIRef(f"{dataset}#{fmt}")
        assert (dataset, DCAT.distribution, dist) in g
        download = BASE + reverse("opendata:download", args=["35288", "parkings", fmt])
        assert g.value(dist, DCAT.downloadURL) == URIRef(download)
        assert g.value(dist, DCAT.accessURL) == URIRef(download)
        assert g.value(dist, DCT.identifier) == Literal(resource_id(pub, fmt))
        eu_type = URIRef(
            f"http://publications.europa.eu/resource/authority/file-type/{file_types[fmt]}"
        )
        assert g.value(dist, DCT["format"]) == eu_type
        media = FORMATS[fmt].media_type.split(";")[0]
        assert g.value(dist, DCAT.mediaType) == URIRef(
            f"https://www.iana.org/assignments/media-types/{media}"
        )
        size = g.value(dist, DCAT.byteSize)
        assert size.datatype == XSD.nonNegativeInteger and int(size) == info["bytes"]
        checksum = g.value(dist, SPDX.checksum)
        assert g.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        value = g.value(checksum, SPDX.checksumValue)
        assert value.datatype == XSD.hexBinary and str(value).lower() == info["sha256"]
        licence = URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
        assert g.value(dist, DCT.license) == licence
        assert (licence, RDF.type, DCT.LicenseDocument) in g
    odbl = URIRef("https://opendatacommons.org/licenses/odbl/1-0/")
    budget = URIRef(f"{BASE}/catalog/datasets/{world['budget'].identifier}")
    assert all(g.value(d, DCT.license) == odbl for d in g.objects(budget, DCAT.distribution))
    assert not list(g.objects(budget, DCATAP.applicableLegislation))  # not a HVD


def test_identifiers_survive_a_republication(client, world):
    pub = world["demandes"]
    before = get_graph(client, "/catalog.ttl")
    published(pub.tenant, "demandes", pa.table({"categorie": ["voirie", "proprete", "eclairage"]}))
    assert pub.versions.count() == 2
    after = get_graph(client, "/catalog.ttl")
    uri = URIRef(f"{BASE}/catalog/datasets/{pub.identifier}")
    assert datasets(before) == datasets(after)
    assert len(datasets(after)) == 3
    assert list(after.subjects(DCT.identifier, Literal(str(pub.identifier)))) == [uri]
    assert str(after.value(uri, DCAT.version)) == "2"
    assert set(before.objects(uri, DCAT.distribution)) == set(after.objects(uri, DCAT.distribution))
    assert after.value(uri, DCT.issued) == before.value(uri, DCT.issued)


def test_nothing_that_is_not_online(client, world):
    """Unticked publications, failed versions and publishers' other data never appear, in any
    catalog or serialisation; their dataset URIs answer 404."""
    hidden = Publication.objects.filter(title__contains=SECRET)
    assert hidden.count() == 2
    urls = [*CATALOG_URLS, "/catalog", "/donnees-ouvertes/35001/catalog.ttl"]
    for url in urls:
        body = client.get(url).content.decode()
        assert SECRET not in body, url
        assert "brouillon" not in body and "echec" not in body, url
        for pub in hidden:
            assert str(pub.identifier) not in body, url
    for pub in hidden:
        assert client.get(f"/catalog/datasets/{pub.identifier}").status_code == 404
    cancale = get_graph(client, "/donnees-ouvertes/35049/catalog.ttl")
    assert datasets(cancale) == [URIRef(f"{BASE}/catalog/datasets/{world['demandes'].identifier}")]
    empty = get_graph(client, "/donnees-ouvertes/35001/catalog.ttl")
    assert datasets(empty) == []
    assert violations(empty) == []
    assert client.get("/donnees-ouvertes/99999/catalog.ttl").status_code == 404


def _page(client, url: str) -> tuple[Graph, URIRef | None]:
    g = get_graph(client, url)
    view = g.value(predicate=RDF.type, object=HYDRA.PartialCollectionView)
    return g, view


def test_hydra_paging_as_data_gouv_fr_follows_it(client, world):
    """page_size=2 over 3 datasets: page 1 links to page 2, page 2 links nowhere; together they
    hold every dataset once. Links are followed the way udata's DCAT backend does: the
    hydra:next of the (single) hydra:PartialCollectionView node."""
    seen: list[URIRef] = []
    url: str | None = "/catalog.ttl?page_size=2"
    pages = []
    while url:
        g, view = _page(client, url)
        assert view is not None
        pages.append((g, view))
        seen.extend(datasets(g))
        following = g.value(view, HYDRA.next)
        url = None
        if following is not None:
            parts = urlsplit(str(following))
            assert f"{parts.scheme}://{parts.netloc}" == BASE
            url = f"{parts.path}?{parts.query}"
    assert len(pages) == 2
    (g1, v1), (g2, v2) = pages
    assert len(datasets(g1)) == 2 and len(datasets(g2)) == 1
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 3
    everything = get_graph(client, "/catalog.ttl")
    assert set(seen) == set(datasets(everything))
    assert str(v1) == f"{BASE}/catalog.ttl?page=1&page_size=2"
    assert g1.value(v1, HYDRA.next) == URIRef(f"{BASE}/catalog.ttl?page=2&page_size=2")
    assert g1.value(v1, HYDRA.previous) is None
    assert g2.value(v2, HYDRA.next) is None
    assert g2.value(v2, HYDRA.previous) == URIRef(f"{BASE}/catalog.ttl?page=1&page_size=2")
    for g, view in pages:
        assert g.value(view, HYDRA.first) == URIRef(f"{BASE}/catalog.ttl?page=1&page_size=2")
        assert g.value(view, HYDRA.last) == URIRef(f"{BASE}/catalog.ttl?page=2&page_size=2")
        assert int(g.value(view, HYDRA.totalItems)) == 3
        catalog = g.value(predicate=RDF.type, object=DCAT.Catalog)
        assert int(g.value(catalog, HYDRA.totalItems)) == 3
        assert violations(g) == []
    # The default page holds them all, with no next page.
    g, view = _page(client, "/catalog.ttl")
    assert str(view) == f"{BASE}/catalog.ttl?page=1&page_size=100"
    assert g.value(view, HYDRA.next) is None
    # Past the end, and nonsense.
    assert client.get("/catalog.ttl?page=3&page_size=2").status_code == 404
    assert client.get("/catalog.ttl?page=0").status_code == 400
    assert client.get("/catalog.ttl?page_size=abc").status_code == 400
    # Paging the negotiated URL links to the negotiated URL.
    g, view = _page(client, "/catalog?page_size=2&page=2")
    assert str(view) == f"{BASE}/catalog?page=2&page_size=2"


@pytest.mark.parametrize(
    ("accept", "fmt", "content_type"),
    [
        (None, "ttl", "text/turtle"),
        ("text/turtle", "ttl", "text/turtle"),
        ("application/rdf+xml", "rdf", "application/rdf+xml"),
        ("application/ld+json", "jsonld", "application/ld+json"),
        ("application/rdf+xml;q=0.5, application/ld+json", "jsonld", "application/ld+json"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "ttl", "text/turtle"),
        ("image/png", "ttl", "text/turtle"),
    ],
)
def test_content_negotiation(client, world, accept, fmt, content_type):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    for url in ("/catalog", "/donnees-ouvertes/35288/catalog"):
        response = client.get(url, **headers)
        assert response.status_code == 200
        assert response["Content-Type"].split(";")[0] == content_type
        assert "Accept" in response["Vary"]
        g = Graph().parse(data=response.content, format=RDF_FORMATS[fmt])
        assert datasets(g)
    assert client.head("/catalog", **headers)["Content-Type"].split(";")[0] == content_type


def test_dataset_and_publisher_uris_resolve(client, world):
    pub = world["parking"]
    uri = f"/catalog/datasets/{pub.identifier}"
    response = client.get(uri)
    assert response.status_code == 303
    assert response["Location"] == BASE + reverse("opendata:dataset", args=["35288", "parkings"])
    g = get_graph(client, uri, "jsonld", HTTP_ACCEPT="application/ld+json")
    assert datasets(g) == [URIRef(BASE + uri)]
    assert violations(g) == []
    response = client.get("/catalog/publishers/35288")
    assert response.status_code == 303
    assert response["Location"] == f"{BASE}/donnees-ouvertes/35288/"
    g = get_graph(client, "/catalog/publishers/35288", HTTP_ACCEPT="text/turtle")
    assert str(g.value(URIRef(f"{BASE}/catalog/publishers/35288"), FOAF.name)) == "Saint-Malo"


def test_public_routes_declare_the_public_right(world):
    """The access matrix (tests/tenants) requires every view under a tenant code to say which
    right it needs: these are public."""
    for url in (
        "/donnees-ouvertes/35288/catalog",
        "/donnees-ouvertes/35288/catalog.ttl",
        "/donnees-ouvertes/35288/catalog.rdf",
        "/donnees-ouvertes/35288/catalog.jsonld",
        "/catalog/publishers/35288",
    ):
        assert resolve(url).func.required_perm == Perm.VIEW_PUBLIC


def test_the_dates_are_those_of_the_versions(client, world):
    pub = world["demandes"]
    version = pub.current()
    version.finished_at = dt.datetime(2026, 1, 2, 3, 4, 5, 600_000, tzinfo=dt.UTC)
    version.save()
    g = get_graph(client, "/donnees-ouvertes/35049/catalog.ttl")
    uri = URIRef(f"{BASE}/catalog/datasets/{pub.identifier}")
    assert str(g.value(uri, DCT.modified)) == "2026-01-02T03:04:05+00:00"
    assert str(g.value(uri, DCT.issued)) == "2026-01-02T03:04:05+00:00"


def test_the_shapes_do_catch_mistakes(client, world):
    """The validation is not vacuous: an untitled dataset, an untyped licence or a checksum
    that is not hexadecimal is a violation."""
    g = get_graph(client, "/donnees-ouvertes/35049/catalog.ttl")
    assert violations(g) == []
    dataset = URIRef(f"{BASE}/catalog/datasets/{world['demandes'].identifier}")
    untitled = Graph() + g
    untitled.remove((dataset, DCT.title, None))
    assert violations(untitled)
    untyped = Graph() + g
    untyped.remove((None, RDF.type, DCT.LicenseDocument))
    assert violations(untyped)
    bad_checksum = Graph() + g
    for checksum, value in list(bad_checksum.subject_objects(SPDX.checksumValue)):
        bad_checksum.set((checksum, SPDX.checksumValue, Literal(str(value))))
    assert violations(bad_checksum)
    # The HVD shapes hold every dataset of the graph to the HVD rules: a catalog of ordinary
    # datasets fails them (hence an HVD-only catalog in test_hvd_catalog_conforms…).
    assert violations(g, HVD)
