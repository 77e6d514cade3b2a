"""GeoReport v2 answers in JSON and in XML, shaped as the spec and real servers write them.

XML: a root element per method (`services`, `service_definition`, `service_requests`, `errors`,
`discovery`), one child per item (`service`, `request`, `error`…), one element per field in the
spec's order, empty for a missing value, `true`/`false` for booleans; a list nested in an item
is wrapped in its plural (`<attributes><attribute>…`, `<values><value>…`).
JSON: the same data, `null` for a missing value.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from django.http import HttpResponse

JSON = "json"
XML = "xml"
FORMATS = (JSON, XML)
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}
# The element of one item of a list, by the list's element.
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ElementTree.Element, tag: str, value: Any) -> None:
    element = ElementTree.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: ElementTree.Element, tag: str, value: Any) -> None:
    if isinstance(value, dict):
        for name, item in value.items():
            _append(element, name, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _append(element, SINGULAR.get(tag, "item"), item)
    else:
        element.text = _text(value)


def to_xml(root: str, data: Any) -> bytes:
    """`data` under the element `root`: a list gives one child per item, a dict one per key."""
    element = ElementTree.Element(root)
    _fill(element, root, data)
    ElementTree.indent(element)
    body = ElementTree.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def to_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=None).encode("utf-8")


def respond(fmt: str, root: str, data: Any, status: int = 200) -> HttpResponse:
    """The answer in `fmt`; `root` names the XML root element."""
    body = to_xml(root, data) if fmt == XML else to_json(data)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """GeoReport v2 errors: `[{code, description}]`, `<errors><error><code>…`."""
    data = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt, "errors", data, status=status)
