"""DCAT-AP 3 catalogs (Turtle, RDF/XML, JSON-LD) for harvesters, and the URIs they name.

Mounted at the root (full paths here): /catalog[.ttl|.rdf|.jsonld],
/donnees-ouvertes/<code>/catalog[.ttl|.rdf|.jsonld], /catalog/datasets/<identifier>,
/catalog/publishers/<code> — and /api/action/, the unversioned path of the read-only CKAN API
that the ckanapi client calls by default (the same views as /api/3/action/)."""

from django.urls import path

from pilotis.opendata import ckan, dcat

app_name = "dcat"

urlpatterns = [
    path("catalog", dcat.catalog, name="catalog"),
    path("catalog.ttl", dcat.catalog, {"ext": "ttl"}, name="catalog_ttl"),
    path("catalog.rdf", dcat.catalog, {"ext": "rdf"}, name="catalog_rdf"),
    path("catalog.jsonld", dcat.catalog, {"ext": "jsonld"}, name="catalog_jsonld"),
    path(
        "donnees-ouvertes/<str:tenant_code>/catalog",
        dcat.publisher_catalog,
        name="publisher_catalog",
    ),
    path(
        "donnees-ouvertes/<str:tenant_code>/catalog.ttl",
        dcat.publisher_catalog,
        {"ext": "ttl"},
        name="publisher_catalog_ttl",
    ),
    path(
        "donnees-ouvertes/<str:tenant_code>/catalog.rdf",
        dcat.publisher_catalog,
        {"ext": "rdf"},
        name="publisher_catalog_rdf",
    ),
    path(
        "donnees-ouvertes/<str:tenant_code>/catalog.jsonld",
        dcat.publisher_catalog,
        {"ext": "jsonld"},
        name="publisher_catalog_jsonld",
    ),
    path("catalog/datasets/<uuid:identifier>", dcat.dataset, name="dataset"),
    path("catalog/publishers/<str:tenant_code>", dcat.publisher, name="publisher"),
    path("api/action/<str:action>", ckan.action, name="ckan_action"),
]
