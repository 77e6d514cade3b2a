"""DCAT-AP 3 catalogs of what is online, for harvesters (data.gouv.fr, data.europa.eu, CKAN's
ckanext-dcat): the instance's catalog at /catalog and each publisher's at
/donnees-ouvertes/<code>/catalog, in Turtle, RDF/XML and JSON-LD, paged with Hydra.

URIs are built on what never changes, so that a harvester never sees a dataset twice:

    <base>/catalog                            the instance's catalog
    <base>/donnees-ouvertes/<code>/catalog    a publisher's catalog
    <base>/catalog/datasets/<identifier>      a dataset (its dct:identifier is the UUID)
    <base>/catalog/datasets/<identifier>#csv  its distribution in a format (#api: the tabular API)
    <base>/catalog/datasets/<identifier>#service   the tabular API (dcat:DataService, HVD only)
    <base>/catalog/publishers/<code>          a publisher (foaf:Agent); #contact its contact point

<base> is PILOTIS_PUBLIC_URL, never the Host header of a request. The dataset and publisher URIs
answer: RDF when asked for, otherwise a redirection to their page.

Only publications that are public with a version that succeeded exist here. Every resource the
catalog names is typed, as the DCAT-AP range shapes check."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db.models import Max, Min, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS

from pilotis.catalog.models import Frequency
from pilotis.opendata import vocab
from pilotis.opendata.models import Publication, PublicationVersion
from pilotis.opendata.public import public_view
from pilotis.opendata.resources import FORMATS
from pilotis.tenants.models import Tenant

DCT = DCTERMS
# Open namespaces where rdflib's closed ones lack DCAT 3 terms (dcat:version) or stubs.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
PREFIXES: dict[str, Namespace] = {
    "dcat": DCAT,
    "dct": Namespace(str(DCT)),
    "dcatap": DCATAP,
    "eli": ELI,
    "foaf": Namespace(str(FOAF)),
    "vcard": VCARD,
    "skos": Namespace(str(SKOS)),
    "spdx": SPDX,
    "hydra": HYDRA,
    "adms": ADMS,
    "rdfs": Namespace(str(RDFS)),
    "xsd": Namespace(str(XSD)),
}

IANA = "https://www.iana.org/assignments/media-types/"
FILE_TYPE = vocab.EU + "file-type/"
# Pilotis formats → EU file types (both CSV flavours are CSV files).
FILE_TYPES = {
    "csv": "CSV",
    "csv-excel": "CSV",
    "json": "JSON",
    "parquet": "PARQUET",
    "xlsx": "XLSX",
    "geojson": "GEOJSON",
}
LANGUAGE = URIRef(vocab.EU + "language/FRA")
LOCAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/LocalAuthority")
PUBLISHER_TYPES = URIRef("http://purl.org/adms/publishertype/1.0")

# Vocabulary names and labels (English msgids; the EU tables' own English labels).
SCHEMES = {
    URIRef(vocab.EU + "data-theme"): gettext_lazy("Data theme"),
    URIRef(vocab.EU + "frequency"): gettext_lazy("Frequency"),
    URIRef(vocab.EU + "file-type"): gettext_lazy("File type"),
    URIRef(vocab.EU + "language"): gettext_lazy("Language"),
    PUBLISHER_TYPES: gettext_lazy("Publisher type"),
}
FRENCH = gettext_lazy("French")
# What each file is (dct:description of the distributions).
FORMAT_DESCRIPTIONS = {
    "csv": gettext_lazy("Comma-separated values, in UTF-8."),
    "csv-excel": gettext_lazy(
        "Semicolon-separated values in Windows-1252, with decimal commas and dd/mm/yyyy dates: "
        "French Excel opens it with a double click."
    ),
    "json": gettext_lazy("A JSON array of objects, one per row."),
    "parquet": gettext_lazy("Apache Parquet, with typed columns: the reference file."),
    "xlsx": gettext_lazy("An Excel workbook of one sheet."),
    "geojson": gettext_lazy("The rows as GeoJSON points."),
}
LOCAL_AUTHORITY_LABEL = gettext_lazy("Local authority")

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Serialisation:
    rdflib_format: str
    content_type: str


SERIALISATIONS: dict[str, Serialisation] = {
    "ttl": Serialisation("turtle", "text/turtle; charset=utf-8"),
    "rdf": Serialisation("xml", "application/rdf+xml; charset=utf-8"),
    "jsonld": Serialisation("json-ld", "application/ld+json"),
}
# Content negotiation on /catalog and the dataset URIs: media type → serialisation.
MEDIA_TYPES = {
    "text/turtle": "ttl",
    "application/rdf+xml": "rdf",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
}


# --- what is online ------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A publication online, with its current version and when it was first published."""

    pub: Publication
    current: PublicationVersion
    issued: dt.datetime

    @property
    def modified(self) -> dt.datetime:
        return self.current.modified  # type: ignore[no-any-return]


def online(**filters: Any) -> QuerySet[Publication]:
    """Publications anyone may see: public, with a version that succeeded. Annotated with the
    number of that version (`current_number`) and the date of the first one (`first_online`);
    in a stable order (creation), which paging needs."""
    ok = Q(versions__status=PublicationVersion.Status.OK)
    return (
        Publication.objects.filter(public=True, **filters)
        .annotate(
            current_number=Max("versions__number", filter=ok),
            first_online=Min(Coalesce("versions__finished_at", "versions__started_at"), filter=ok),
        )
        .filter(current_number__isnull=False)
        .order_by("pk")
    )


def entries(pubs: QuerySet[Publication]) -> list[Entry]:
    """The entries of a (sliced) `online()` query set, in its order, in three queries."""
    # The annotations of online(), which the type checker's plugin cannot see.
    rows = list(pubs.values_list("pk", "current_number", "first_online"))  # type: ignore[misc]
    if not rows:
        return []
    found = Publication.objects.select_related("tenant").in_bulk([pk for pk, _n, _f in rows])
    versions = {
        (v.publication_id, v.number): v
        for v in PublicationVersion.objects.filter(
            publication_id__in=[pk for pk, _n, _f in rows],
            number__in={n for _pk, n, _f in rows},
            status=PublicationVersion.Status.OK,
        )
    }
    out = []
    for pk, number, first in rows:
        version = versions[(pk, number)]
        version.publication = found[pk]  # resource_path() reads it: no query per dataset
        out.append(Entry(found[pk], version, first))
    return out


def entry(pub: Publication) -> Entry | None:
    """The entry of one publication, when it is online."""
    found = entries(online(pk=pub.pk))
    return found[0] if found else None


def resource_id(pub: Publication, fmt: str) -> str:
    """The stable id of a publication's file in a format (CKAN resource id, dct:identifier of
    the distribution): the same across versions."""
    return str(uuid.uuid5(pub.identifier, fmt))


# --- URLs and URIs -------------------------------------------------------------------------


def base_url() -> str:
    return str(settings.PILOTIS_PUBLIC_URL).rstrip("/")


def dataset_uri(pub: Publication) -> URIRef:
    return URIRef(f"{base_url()}/catalog/datasets/{pub.identifier}")


def publisher_uri(tenant: Tenant) -> URIRef:
    return URIRef(f"{base_url()}/catalog/publishers/{tenant.code}")


def landing_page(pub: Publication) -> str:
    return base_url() + reverse("opendata:dataset", args=[pub.tenant.code, pub.slug])


def publisher_page(tenant: Tenant) -> str:
    return base_url() + reverse("opendata:publisher", args=[tenant.code])


def download_url(pub: Publication, fmt: str) -> str:
    """The latest version's file: the URL stays when a new version is published."""
    return base_url() + reverse("opendata:download", args=[pub.tenant.code, pub.slug, fmt])


def api_url(pub: Publication) -> str:
    """The tabular API of a publication (served by pilotis.opendata.urls_api)."""
    return f"{base_url()}/api/donnees/{pub.tenant.code}/{pub.slug}/"


def openapi_url() -> str:
    return f"{base_url()}/api/donnees/openapi.json"


def schema_url(pub: Publication) -> str:
    """The national schema the data conforms to, on schema.data.gouv.fr ('' when none)."""
    if not pub.national_schema:
        return ""
    version = pub.national_schema_version or "latest"
    return f"https://schema.data.gouv.fr/{pub.national_schema}/{version}/"


def media_type(fmt: str) -> str:
    return FORMATS[fmt].media_type.split(";")[0].strip()


# --- the graph -----------------------------------------------------------------------------


def new_graph() -> Graph:
    g = Graph(bind_namespaces="core")
    for prefix, namespace in PREFIXES.items():
        g.bind(prefix, namespace, override=True)
    return g


def _time(value: dt.datetime) -> Literal:
    return Literal(value.astimezone(dt.UTC).replace(microsecond=0), datatype=XSD.dateTime)


def _text(value: str) -> Literal:
    """Text the publisher wrote, in the instance's language."""
    return Literal(value, lang=settings.LANGUAGE_CODE.split("-")[0])


def _labels(label: Any) -> list[Literal]:
    """A translatable label in English and in the active language when it is translated."""
    with translation.override("en"):
        english = str(label)
    out = [Literal(english, lang="en")]
    language = (translation.get_language() or "en").split("-")[0]
    local = str(label)
    if language != "en" and local != english:
        out.append(Literal(local, lang=language))
    return out


def _concept(g: Graph, uri: URIRef, label: Any, scheme: URIRef, *types: URIRef) -> URIRef:
    """A SKOS concept of a scheme (both typed, labelled and titled, as the shapes want)."""
    g.add((uri, RDF.type, SKOS.Concept))
    for extra in types:
        g.add((uri, RDF.type, extra))
    for text in _labels(label):
        g.add((uri, SKOS.prefLabel, text))
    g.add((uri, SKOS.inScheme, scheme))
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    for text in _labels(SCHEMES.get(scheme, str(scheme))):
        g.add((scheme, DCT.title, text))
    return uri


def _document(g: Graph, url: str) -> URIRef:
    """A web page: foaf:Document, and rdfs:Resource for the HVD ranges of URL properties."""
    uri = URIRef(url)
    g.add((uri, RDF.type, FOAF.Document))
    g.add((uri, RDF.type, RDFS.Resource))
    return uri


def _resource(g: Graph, url: str) -> URIRef:
    uri = URIRef(url)
    g.add((uri, RDF.type, RDFS.Resource))
    return uri


def _language(g: Graph) -> URIRef:
    g.add((LANGUAGE, RDF.type, DCT.LinguisticSystem))
    return _concept(g, LANGUAGE, FRENCH, URIRef(vocab.EU + "language"))


def add_publisher(g: Graph, tenant: Tenant) -> URIRef:
    """The tenant as a foaf:Agent (a local authority), with its contact point."""
    agent = publisher_uri(tenant)
    g.add((agent, RDF.type, FOAF.Agent))
    g.add((agent, RDF.type, FOAF.Organization))
    g.add((agent, FOAF.name, Literal(tenant.name)))
    g.add((agent, FOAF.homepage, _document(g, publisher_page(tenant))))
    kind = _concept(g, LOCAL_AUTHORITY, LOCAL_AUTHORITY_LABEL, PUBLISHER_TYPES)
    g.add((agent, DCT.type, kind))
    return agent


def add_contact(g: Graph, tenant: Tenant) -> URIRef:
    """No e-mail address is stored: the contact point is the publisher's page."""
    contact = URIRef(f"{publisher_uri(tenant)}#contact")
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, VCARD.fn, Literal(tenant.name)))
    g.add((contact, VCARD.hasURL, _document(g, publisher_page(tenant))))
    return contact


def _licence(g: Graph, pub: Publication) -> URIRef | None:
    url = vocab.LICENCE_URI.get(pub.licence, "")
    if not url:
        return None  # "other": said in the description; no URI to give
    licence = URIRef(url)
    g.add((licence, RDF.type, DCT.LicenseDocument))
    g.add((licence, DCT.title, Literal(vocab.LICENCE_TITLE[pub.licence])))
    return licence


def _hvd(g: Graph, subject: URIRef, pub: Publication) -> None:
    """The High-Value Dataset statements (Implementing Regulation (EU) 2023/138)."""
    legislation = URIRef(vocab.HVD_LEGISLATION)
    g.add((legislation, RDF.type, ELI.LegalResource))
    g.add((subject, DCATAP.applicableLegislation, legislation))
    category = URIRef(vocab.hvd_uri(pub.hvd_category))
    g.add((category, RDF.type, SKOS.Concept))
    label = vocab.HvdCategory(pub.hvd_category).label
    for text in _labels(label):
        g.add((category, SKOS.prefLabel, text))
    g.add((subject, DCATAP.hvdCategory, category))


def _distribution(
    g: Graph, item: Entry, fmt: str, licence: URIRef | None, schema: URIRef | None
) -> URIRef:
    pub, info = item.pub, item.current.resources[fmt]
    dist = URIRef(f"{dataset_uri(pub)}#{fmt}")
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCT.identifier, Literal(resource_id(pub, fmt))))
    g.add((dist, DCT.title, Literal(FORMATS[fmt].label)))
    if fmt in FORMAT_DESCRIPTIONS:
        for text in _labels(FORMAT_DESCRIPTIONS[fmt]):
            g.add((dist, DCT.description, text))
    url = _resource(g, download_url(pub, fmt))
    g.add((dist, DCAT.accessURL, url))
    g.add((dist, DCAT.downloadURL, url))
    file_type = URIRef(FILE_TYPE + FILE_TYPES.get(fmt, "BIN"))
    _concept(
        g,
        file_type,
        FILE_TYPES.get(fmt, "BIN"),
        URIRef(vocab.EU + "file-type"),
        DCT.MediaTypeOrExtent,
    )
    g.add((dist, DCT.format, file_type))
    mime = URIRef(IANA + media_type(fmt))
    g.add((mime, RDF.type, DCT.MediaType))
    g.add((dist, DCAT.mediaType, mime))
    g.add((dist, DCAT.byteSize, Literal(int(info["bytes"]), datatype=XSD.nonNegativeInteger)))
    checksum = BNode()
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(str(info["sha256"]), datatype=XSD.hexBinary)))
    g.add((dist, SPDX.checksum, checksum))
    g.add((dist, DCT.issued, _time(item.current.modified)))
    g.add((dist, DCT.modified, _time(item.current.modified)))
    if licence is not None:
        g.add((dist, DCT.license, licence))
    if schema is not None:
        g.add((dist, DCT.conformsTo, schema))
    if pub.hvd_category:
        _hvd(g, dist, pub)
    return dist


def _data_service(
    g: Graph, item: Entry, dataset: URIRef, licence: URIRef | None, contact: URIRef
) -> tuple[URIRef, URIRef]:
    """The tabular API of an HVD dataset, and the distribution that points to it. The API is
    its own distribution (not an accessService of the files), so that data.gouv.fr keeps the
    files as files and lists the API as an API resource."""
    pub = item.pub
    service = URIRef(f"{dataset}#service")
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCT.title, Literal(_("Tabular API of “%(title)s”") % {"title": pub.title})))
    g.add(
        (
            service,
            DCT.description,
            Literal(_("The rows of the dataset as JSON: filtered, sorted and paged.")),
        )
    )
    endpoint = _resource(g, api_url(pub))
    g.add((service, DCAT.endpointURL, endpoint))
    g.add((service, DCAT.endpointDescription, _resource(g, openapi_url())))
    g.add((service, DCAT.servesDataset, dataset))
    g.add((service, DCAT.contactPoint, contact))
    g.add((service, FOAF.page, _document(g, landing_page(pub))))
    g.add((service, DCT.publisher, publisher_uri(pub.tenant)))
    g.add((service, DCAT.theme, URIRef(vocab.theme_uri(pub.theme))))
    for keyword in pub.keyword_list:
        g.add((service, DCAT.keyword, _text(keyword)))
    if licence is not None:
        g.add((service, DCT.license, licence))
    _hvd(g, service, pub)

    dist = URIRef(f"{dataset}#api")
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCT.identifier, Literal(resource_id(pub, "api"))))
    g.add((dist, DCT.title, Literal(_("Tabular API (JSON)"))))
    g.add((dist, DCT.description, Literal(_("The rows as JSON, through the tabular API."))))
    g.add((dist, DCAT.accessURL, endpoint))
    g.add((dist, DCAT.accessService, service))
    json_type = URIRef(FILE_TYPE + "JSON")
    _concept(g, json_type, "JSON", URIRef(vocab.EU + "file-type"), DCT.MediaTypeOrExtent)
    g.add((dist, DCT.format, json_type))
    mime = URIRef(IANA + "application/json")
    g.add((mime, RDF.type, DCT.MediaType))
    g.add((dist, DCAT.mediaType, mime))
    if licence is not None:
        g.add((dist, DCT.license, licence))
    _hvd(g, dist, pub)
    return service, dist


def add_dataset(g: Graph, item: Entry) -> tuple[URIRef, URIRef | None]:
    """A dataset and its distributions; returns its URI and its DataService's (HVD only)."""
    pub = item.pub
    dataset = dataset_uri(pub)
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCT.identifier, Literal(str(pub.identifier))))
    g.add((dataset, DCT.title, _text(pub.title)))
    g.add((dataset, DCT.description, _text(pub.description)))
    g.add((dataset, DCT.publisher, add_publisher(g, pub.tenant)))
    contact = add_contact(g, pub.tenant)
    g.add((dataset, DCAT.contactPoint, contact))
    theme = URIRef(vocab.theme_uri(pub.theme))
    label = vocab.Theme(pub.theme).label if pub.theme in vocab.Theme.values else pub.theme
    g.add((dataset, DCAT.theme, _concept(g, theme, label, URIRef(vocab.EU + "data-theme"))))
    for keyword in pub.keyword_list:
        g.add((dataset, DCAT.keyword, _text(keyword)))
    g.add((dataset, DCT.issued, _time(item.issued)))
    g.add((dataset, DCT.modified, _time(item.modified)))
    frequency = vocab.FREQUENCY_URI.get(pub.frequency)
    if frequency:
        label = Frequency(pub.frequency).label
        uri = _concept(g, URIRef(frequency), label, URIRef(vocab.EU + "frequency"), DCT.Frequency)
        g.add((dataset, DCT.accrualPeriodicity, uri))
    g.add((dataset, DCAT.landingPage, _document(g, landing_page(pub))))
    g.add((dataset, DCT.language, _language(g)))
    g.add((dataset, DCAT.version, Literal(str(item.current.number))))
    if item.current.changelog:
        g.add((dataset, ADMS.versionNotes, _text(item.current.changelog)))
    schema: URIRef | None = None
    if pub.national_schema:
        schema = URIRef(schema_url(pub))
        g.add((schema, RDF.type, DCT.Standard))
        g.add((schema, DCT.title, Literal(pub.national_schema)))
        g.add((dataset, DCT.conformsTo, schema))
    licence = _licence(g, pub)
    for fmt in item.current.resources:
        if fmt in FORMATS:
            g.add((dataset, DCAT.distribution, _distribution(g, item, fmt, licence, schema)))
    service: URIRef | None = None
    if pub.hvd_category:
        _hvd(g, dataset, pub)
        service, api = _data_service(g, item, dataset, licence, contact)
        g.add((dataset, DCAT.distribution, api))
    return dataset, service


@dataclass(frozen=True)
class CatalogPage:
    """One page of a catalog: which catalog, its page, and how to address the other pages."""

    uri: str
    title: str
    description: str
    homepage: str
    publisher: Callable[[Graph], URIRef]
    entries: Sequence[Entry]
    total: int
    number: int
    size: int
    page_url: Callable[[int], str]
    modified: dt.datetime | None
    issued: dt.datetime | None = None

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))


def catalog_graph(page: CatalogPage) -> Graph:
    g = new_graph()
    catalog = URIRef(page.uri)
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCT.title, Literal(page.title)))
    g.add((catalog, DCT.description, Literal(page.description)))
    g.add((catalog, DCT.publisher, page.publisher(g)))
    g.add((catalog, FOAF.homepage, _document(g, page.homepage)))
    g.add((catalog, DCT.language, _language(g)))
    taxonomy = URIRef(vocab.EU + "data-theme")
    g.add((taxonomy, RDF.type, SKOS.ConceptScheme))
    for text in _labels(SCHEMES[taxonomy]):
        g.add((taxonomy, DCT.title, text))
    g.add((catalog, DCAT.themeTaxonomy, taxonomy))
    if page.issued is not None:
        g.add((catalog, DCT.issued, _time(page.issued)))
    if page.modified is not None:
        g.add((catalog, DCT.modified, _time(page.modified)))
    for item in page.entries:
        dataset, service = add_dataset(g, item)
        g.add((catalog, DCAT.dataset, dataset))
        if service is not None:
            g.add((catalog, DCAT.service, service))
    # Hydra paging, as data.gouv.fr's DCAT harvester follows it (hydra:next until none).
    total = Literal(page.total, datatype=XSD.nonNegativeInteger)
    g.add((catalog, RDF.type, HYDRA.Collection))
    g.add((catalog, HYDRA.totalItems, total))
    view = URIRef(page.page_url(page.number))
    g.add((catalog, HYDRA.view, view))
    g.add((view, RDF.type, HYDRA.PartialCollectionView))
    g.add((view, HYDRA.totalItems, total))
    g.add((view, HYDRA.first, URIRef(page.page_url(1))))
    g.add((view, HYDRA.last, URIRef(page.page_url(page.last))))
    if page.number < page.last:
        g.add((view, HYDRA.next, URIRef(page.page_url(page.number + 1))))
    if page.number > 1:
        g.add((view, HYDRA.previous, URIRef(page.page_url(page.number - 1))))
    return g


def serialise(g: Graph, ext: str) -> bytes:
    if ext == "jsonld":
        context = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        return g.serialize(format="json-ld", context=context, indent=2, encoding="utf-8")
    return g.serialize(format=SERIALISATIONS[ext].rdflib_format, encoding="utf-8")


# --- views ---------------------------------------------------------------------------------


def _negotiate(request: HttpRequest) -> str | None:
    """The serialisation the Accept header prefers (None: none of ours is acceptable)."""
    if "HTTP_ACCEPT" not in request.META:
        return "ttl"
    preferred = request.get_preferred_type(list(MEDIA_TYPES))
    return MEDIA_TYPES[preferred] if preferred else None


def _respond(g: Graph, ext: str, negotiated: bool) -> HttpResponse:
    response = HttpResponse(serialise(g, ext), content_type=SERIALISATIONS[ext].content_type)
    response["Access-Control-Allow-Origin"] = "*"
    if negotiated:
        response["Vary"] = "Accept"
    return response


def _paging(request: HttpRequest) -> tuple[int, int]:
    try:
        number = int(request.GET.get("page", "1"))
        size = int(request.GET.get("page_size", str(DEFAULT_PAGE_SIZE)))
    except ValueError:
        raise ValueError(_("page and page_size must be whole numbers.")) from None
    if number < 1 or size < 1:
        raise ValueError(_("page and page_size must be 1 or more."))
    return number, min(size, MAX_PAGE_SIZE)


def _serve_catalog(
    request: HttpRequest,
    ext: str | None,
    pubs: QuerySet[Publication],
    describe: Callable[[], tuple[str, str, str, str, Callable[[Graph], URIRef]]],
) -> HttpResponse:
    negotiated = ext is None
    chosen = _negotiate(request) if ext is None else ext
    if chosen is None:
        chosen = "ttl"  # harvesters that send odd Accept headers still get the catalog
    try:
        number, size = _paging(request)
    except ValueError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    total = pubs.count()
    if number > 1 and (number - 1) * size >= total:
        raise Http404
    path = base_url() + request.path

    def page_url(n: int) -> str:
        return f"{path}?{urlencode({'page': n, 'page_size': size})}"

    dates = PublicationVersion.objects.filter(
        status=PublicationVersion.Status.OK, publication__in=pubs.values("pk")
    ).aggregate(
        first=Min(Coalesce("finished_at", "started_at")),
        last=Max(Coalesce("finished_at", "started_at")),
    )
    uri, title, description, homepage, publisher = describe()
    page = CatalogPage(
        uri=uri,
        title=title,
        description=description,
        homepage=homepage,
        publisher=publisher,
        entries=entries(pubs[(number - 1) * size : number * size]),
        total=total,
        number=number,
        size=size,
        page_url=page_url,
        modified=dates["last"],
        issued=dates["first"],
    )
    return _respond(catalog_graph(page), chosen, negotiated)


def _operator(g: Graph) -> URIRef:
    """Who runs the instance: the publisher of its catalog."""
    agent = URIRef(f"{base_url()}/catalog#operator")
    host = urlsplit(base_url()).netloc
    name = settings.STATE_ENTITY_NAME or _("Operator of %(host)s") % {"host": host}
    g.add((agent, RDF.type, FOAF.Agent))
    g.add((agent, FOAF.name, Literal(name)))
    return agent


@require_safe
def catalog(request: HttpRequest, ext: str | None = None) -> HttpResponse:
    """The catalog of every publisher of the instance."""

    def describe() -> tuple[str, str, str, str, Callable[[Graph], URIRef]]:
        host = urlsplit(base_url()).netloc
        return (
            f"{base_url()}/catalog",
            _("Open data of %(host)s") % {"host": host},
            _("The datasets the local authorities publish on %(host)s, described in DCAT-AP 3.")
            % {"host": host},
            base_url() + reverse("opendata:home"),
            _operator,
        )

    return _serve_catalog(request, ext, online(), describe)


@public_view
@require_safe
def publisher_catalog(
    request: HttpRequest, tenant_code: str, ext: str | None = None
) -> HttpResponse:
    """The catalog of one publisher."""
    tenant = get_object_or_404(Tenant, code=tenant_code)

    def describe() -> tuple[str, str, str, str, Callable[[Graph], URIRef]]:
        return (
            base_url() + reverse("dcat:publisher_catalog", args=[tenant.code]),
            _("Open data of %(name)s") % {"name": tenant.name},
            _("The datasets %(name)s publishes, described in DCAT-AP 3.") % {"name": tenant.name},
            publisher_page(tenant),
            lambda g: add_publisher(g, tenant),
        )

    return _serve_catalog(request, ext, online(tenant=tenant), describe)


def _wants_rdf(request: HttpRequest) -> str | None:
    preferred = request.get_preferred_type(["text/html", *MEDIA_TYPES])
    return MEDIA_TYPES.get(preferred or "text/html")


@require_safe
def dataset(request: HttpRequest, identifier: uuid.UUID) -> HttpResponse:
    """A dataset's URI: its DCAT description when RDF is asked for, else its page (303)."""
    pub = get_object_or_404(Publication.objects.select_related("tenant"), identifier=identifier)
    item = entry(pub)
    if item is None:
        raise Http404
    ext = _wants_rdf(request)
    if ext is None:
        return HttpResponseRedirect(landing_page(pub), status=303)
    g = new_graph()
    add_dataset(g, item)
    return _respond(g, ext, negotiated=True)


@public_view
@require_safe
def publisher(request: HttpRequest, tenant_code: str) -> HttpResponse:
    """A publisher's URI: its description when RDF is asked for, else its page (303)."""
    tenant = get_object_or_404(Tenant, code=tenant_code)
    ext = _wants_rdf(request)
    if ext is None:
        return HttpResponseRedirect(publisher_page(tenant), status=303)
    g = new_graph()
    add_publisher(g, tenant)
    add_contact(g, tenant)
    return _respond(g, ext, negotiated=True)
