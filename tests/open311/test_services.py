# ruff: noqa: S314 - parses the answers of our own server and the reference files
"""GET services, GET services/<code> and discovery: the tenant's themes as Open311 services, in
the shapes of real servers' answers."""

from xml.etree import ElementTree

from pilotis.open311.models import ServiceAttribute
from pilotis.referential.models import Theme
from tests.open311.conftest import DATA, get
from tests.tenants.factories import TenantFactory


def test_service_list_is_the_tenants_themes(client, town):
    response = get(client, "services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"

    def service(code, name, group=None, **extra):
        return {
            "service_code": code,
            "service_name": name,
            "description": None,
            "metadata": False,
            "type": "realtime",
            "keywords": None,
            "group": group,
            **extra,
        }

    assert response.json() == [
        service("bruit", "Bruit"),
        service(
            "nids",
            "Nids-de-poule",
            "Voirie",
            description="Un trou dans la chaussée.",
            metadata=True,
            keywords="trou, chaussée, route",
        ),
        service("proprete", "Propreté"),
        service("voirie", "Voirie"),
    ]


def test_service_list_xml_has_the_elements_of_a_real_server(client, town):
    reference = ElementTree.parse(DATA / "cfa_services.xml").getroot()
    root = ElementTree.fromstring(get(client, "services.xml").content)
    assert root.tag == reference.tag == "services"
    assert [c.tag for c in root] == ["service"] * 4
    expected = {c.tag for c in reference.find("service")}
    for element in root:
        assert {c.tag for c in element} == expected
    nids = root[1]
    assert nids.findtext("service_code") == "nids"
    assert nids.findtext("metadata") == "true"
    assert nids.findtext("group") == "Voirie"
    assert root[0].findtext("metadata") == "false"


def test_service_definition(client, town):
    response = get(client, "services/nids.json")
    assert response.status_code == 200
    assert response.json() == {
        "service_code": "nids",
        "attributes": [
            {
                "variable": False,
                "code": "INFO",
                "datatype": "text",
                "required": False,
                "datatype_description": None,
                "order": 0,
                "description": "Pour un danger immédiat, appelez le 17.",
            },
            {
                "variable": True,
                "code": "TAILLE",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": None,
                "order": 1,
                "description": "Quelle taille ?",
                "values": [{"key": "P", "name": "Petit"}, {"key": "G", "name": "Grand"}],
            },
            {
                "variable": True,
                "code": "VOIES",
                "datatype": "multivaluelist",
                "required": False,
                "datatype_description": None,
                "order": 2,
                "description": "Quelles voies ?",
                "values": [{"key": "1", "name": "Chaussée"}, {"key": "2", "name": "Trottoir"}],
            },
            {
                "variable": True,
                "code": "PROFONDEUR",
                "datatype": "number",
                "required": False,
                "datatype_description": "En centimètres",
                "order": 3,
                "description": "Quelle profondeur ?",
            },
        ],
    }
    assert get(client, "services/bruit.json").json() == {"service_code": "bruit", "attributes": []}


def test_service_definition_xml_has_the_elements_of_a_real_server(client, town):
    reference = ElementTree.parse(DATA / "cfa_service_definition.xml").getroot()
    root = ElementTree.fromstring(get(client, "services/nids.xml").content)
    assert root.tag == reference.tag == "service_definition"
    assert root.findtext("service_code") == "nids"
    # The spec wraps the attributes in <attributes> (the older reference answer does not).
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["INFO", "TAILLE", "VOIES", "PROFONDEUR"]
    expected = [c.tag for c in reference.find("attribute")]
    taille = attributes[1]
    assert [c.tag for c in taille] == expected
    assert [c.tag for c in taille.find("values/value")] == [
        c.tag for c in reference.find("attribute/values/value")
    ]
    assert [v.findtext("key") for v in taille.findall("values/value")] == ["P", "G"]
    assert taille.findtext("required") == "true"
    # Attributes that are not lists have no values.
    assert [c.tag for c in attributes[3]] == [t for t in expected if t != "values"]


def test_unknown_service_is_a_404(client, town):
    response = get(client, "services/nope.json")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "No service has the code “nope” here."}]
    root = ElementTree.fromstring(get(client, "services/nope.xml").content)
    assert root.findtext("error/code") == "404"


def test_services_of_another_tenant_are_not_listed(client, town):
    other = TenantFactory(code="35049", name="Cancale")
    Theme.objects.create(tenant=other, code="port", label="Port")
    ServiceAttribute.objects.create(
        tenant=other,
        service_code="port",
        code="QUAI",
        datatype="string",
        description="Quel quai ?",
    )
    codes = [s["service_code"] for s in get(client, "services.json").json()]
    assert codes == ["bruit", "nids", "proprete", "voirie"]
    assert get(client, "services/port.json").status_code == 404
    assert client.get("/open311/v2/35049/services.json").json()[0]["metadata"] is True
    assert client.get("/open311/v2/35049/services/nids.json").status_code == 404


def test_discovery_advertises_the_endpoint(client, town):
    data = get(client, "discovery.json").json()
    assert data["endpoints"] == [
        {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "http://testserver/open311/v2/35288",
            "changeset": data["changeset"],
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }
    ]
    assert "Saint-Malo" in data["contact"]
    root = ElementTree.fromstring(get(client, "discovery.xml").content)
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "application/json",
        "text/xml",
    ]
    assert root.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2/35288"


def test_read_only_methods_refuse_other_verbs(client, town):
    response = client.post("/open311/v2/35288/services.json", {})
    assert response.status_code == 405
    assert response.json()[0]["code"] == 405
    assert "GET" in response["Allow"]
    assert client.delete("/open311/v2/35288/requests.json").status_code == 405
    assert client.head("/open311/v2/35288/services.json").status_code == 200


def test_every_endpoint_declares_the_public_right():
    """The single scoping mechanism knows these views are public (tests/tenants' matrix)."""
    from django.urls import get_resolver

    from pilotis.tenants.roles import Perm

    resolver = get_resolver()
    found = 0
    for pattern in resolver.url_patterns:
        if "open311" in str(pattern.pattern):
            for view in pattern.url_patterns:
                assert view.callback.required_perm == Perm.VIEW_PUBLIC
                found += 1
    assert found == 12
