"""The services a tenant offers through Open311: its themes, described for clients.

GeoReport v2 calls "service" a type of request one can file (a pothole, graffiti…). In Pilotis
that is the tenant's own taxonomy, `referential.Theme`: `service_code` is the theme's code,
`service_name` its label, `group` the label of its broader theme. What a theme has no field for
(description, keywords, the notice told to whoever files a request, the attributes to ask) is
kept in `ServiceInfo` and `ServiceAttribute`, edited in the Django admin.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from pilotis.open311.errors import Open311Error
from pilotis.open311.models import ServiceAttribute, ServiceInfo
from pilotis.referential.models import Theme
from pilotis.tenants.models import Tenant


def theme_labels(tenant: Tenant) -> dict[str, str]:
    return dict(Theme.objects.filter(tenant=tenant).values_list("code", "label"))


def service_list(tenant: Tenant) -> list[dict[str, Any]]:
    """GET services: every theme of the tenant, in label order."""
    infos = {i.service_code: i for i in ServiceInfo.objects.filter(tenant=tenant)}
    with_attributes = set(
        ServiceAttribute.objects.filter(tenant=tenant).values_list("service_code", flat=True)
    )
    services = []
    for theme in (
        Theme.objects.filter(tenant=tenant).select_related("parent").order_by("label", "code")
    ):
        info = infos.get(theme.code)
        services.append(
            {
                "service_code": theme.code,
                "service_name": theme.label,
                "description": (info.description or None) if info else None,
                "metadata": theme.code in with_attributes,
                "type": "realtime",
                "keywords": (info.keywords or None) if info else None,
                "group": theme.parent.label if theme.parent else None,
            }
        )
    return services


def get_theme(tenant: Tenant, service_code: str) -> Theme | None:
    return Theme.objects.filter(tenant=tenant, code=service_code).first()


def service_notice(tenant: Tenant, service_code: str) -> str | None:
    info = ServiceInfo.objects.filter(tenant=tenant, service_code=service_code).first()
    return (info.service_notice or None) if info else None


def attributes_of(tenant: Tenant, service_code: str) -> list[ServiceAttribute]:
    return list(
        ServiceAttribute.objects.filter(tenant=tenant, service_code=service_code).order_by(
            "order", "code"
        )
    )


def service_definition(tenant: Tenant, service_code: str) -> dict[str, Any]:
    """GET services/<code>: the attributes a client asks for when filing a request."""
    if get_theme(tenant, service_code) is None:
        raise Open311Error(404, _("No service has the code “%(code)s” here."), code=service_code)
    return {
        "service_code": service_code,
        "attributes": [
            {
                "variable": attribute.variable,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": attribute.datatype_description or None,
                "order": attribute.order,
                "description": attribute.description,
                **(
                    {"values": [{"key": v["key"], "name": v["name"]} for v in attribute.values]}
                    if attribute.datatype in ServiceAttribute.LISTS
                    else {}
                ),
            }
            for attribute in attributes_of(tenant, service_code)
        ],
    }


def check_answers(
    tenant: Tenant, service_code: str, answers: dict[str, list[str]]
) -> dict[str, Any]:
    """The answers to a service's attributes, checked against its definition.

    `answers` maps each attribute code to the values posted (`attribute[code]=value`, several for
    `attribute[code][]`). Returns them typed (one value, or a list for multi-value lists); raises
    a 400 naming every problem at once."""
    attributes = {a.code: a for a in attributes_of(tenant, service_code) if a.variable}
    problems: list[str] = []
    checked: dict[str, Any] = {}
    for code in answers:
        if code not in attributes:
            problems.append(
                _("attribute[%(code)s]: the service “%(service)s” has no such attribute.")
                % {"code": code, "service": service_code}
            )
    for code, attribute in attributes.items():
        values = [v.strip() for v in answers.get(code, []) if v.strip()]
        if not values:
            if attribute.required:
                problems.append(
                    _("attribute[%(code)s] is required: %(question)s")
                    % {"code": code, "question": attribute.description}
                )
            continue
        problem = _check_values(attribute, values)
        if problem:
            problems.append(f"attribute[{code}]: {problem}")
            continue
        many = attribute.datatype == ServiceAttribute.Datatype.MULTIVALUELIST
        checked[code] = values if many else values[0]
    if problems:
        error = Open311Error(400, problems[0])
        error.details = problems
        raise error
    return checked


def _check_values(attribute: ServiceAttribute, values: list[str]) -> str | None:
    kind = attribute.datatype
    if kind != ServiceAttribute.Datatype.MULTIVALUELIST and len(values) > 1:
        return _("one value only.")
    if kind in ServiceAttribute.LISTS:
        keys = attribute.keys()
        wrong = [v for v in values if v not in keys]
        if wrong:
            return _("“%(value)s” is not one of the keys %(keys)s.") % {
                "value": wrong[0],
                "keys": ", ".join(keys),
            }
    elif kind == ServiceAttribute.Datatype.NUMBER:
        try:
            float(values[0].replace(",", "."))
        except ValueError:
            return _("“%(value)s” is not a number.") % {"value": values[0]}
    elif kind == ServiceAttribute.Datatype.DATETIME:
        try:
            datetime.fromisoformat(values[0].replace("Z", "+00:00"))
        except ValueError:
            return _("“%(value)s” is not a date and time (ISO 8601).") % {"value": values[0]}
    return None
