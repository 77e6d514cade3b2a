"""The Open311 GeoReport v2 endpoints of one tenant, under /open311/v2/<tenant code>/.

Public machine APIs: anyone may read (the tenant is resolved through the single scoping
mechanism with the public right, so an unknown tenant is a 404); posting a request needs an API
key instead of a session, hence no CSRF check there. Every answer — errors included — is in the
format the URL ends with, and may be read by a web page of any origin (CORS), as Open311 web
clients need. Views stay thin: the work is in `services`, `query` and `submit`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from pilotis.open311 import query, render, services, submit
from pilotis.open311.errors import Open311Error
from pilotis.open311.models import Submission
from pilotis.tenants.access import resolve
from pilotis.tenants.models import Tenant
from pilotis.tenants.roles import Perm

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this server's interface last changed (GeoReport v2 discovery's `changeset`).
CHANGESET = "2026-11-23T00:00:00Z"

Endpoint = Callable[..., HttpResponse]


def endpoint(*methods: str) -> Callable[[Endpoint], Endpoint]:
    """Resolve the tenant, accept only `methods`, answer Open311 errors in the URL's format."""
    allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)

    def decorator(view: Endpoint) -> Endpoint:
        @wraps(view)
        def wrapped(
            request: HttpRequest, tenant_code: str, fmt: str, **kwargs: Any
        ) -> HttpResponse:
            try:
                if request.method not in allowed:
                    response = render.errors(
                        fmt, 405, [_("Use %(methods)s.") % {"methods": " or ".join(methods)}]
                    )
                    response["Allow"] = ", ".join(sorted(allowed))
                else:
                    tenant = _tenant(request, tenant_code)
                    response = view(request, tenant, fmt, **kwargs)
            except Open311Error as error:
                response = render.errors(fmt, error.status, error.descriptions())
            response["Access-Control-Allow-Origin"] = "*"
            return response

        wrapped.required_perm = Perm.VIEW_PUBLIC  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _tenant(request: HttpRequest, tenant_code: str) -> Tenant:
    try:
        return resolve(request.user, tenant_code, Perm.VIEW_PUBLIC).tenant
    except Http404:
        raise Open311Error(
            404, _("No collectivité has the code “%(code)s” here."), code=tenant_code[:20]
        ) from None


@endpoint("GET")
def discovery(request: HttpRequest, tenant: Tenant, fmt: str) -> HttpResponse:
    """Service discovery: where the endpoint is and what it speaks."""
    base = request.build_absolute_uri(
        reverse("open311:services", kwargs={"tenant_code": tenant.code, "fmt": fmt})
    ).rsplit("/", 1)[0]
    data = {
        "changeset": CHANGESET,
        "contact": _("Open311 server of %(name)s (Pilotis)") % {"name": tenant.name},
        "key_service": _("Ask %(name)s for an API key to post requests.") % {"name": tenant.name},
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render.respond(fmt, "discovery", data)


@endpoint("GET")
def service_list(request: HttpRequest, tenant: Tenant, fmt: str) -> HttpResponse:
    return render.respond(fmt, "services", services.service_list(tenant))


@endpoint("GET")
def service_definition(
    request: HttpRequest, tenant: Tenant, fmt: str, service_code: str
) -> HttpResponse:
    data = services.service_definition(tenant, service_code)
    return render.respond(fmt, "service_definition", data)


@csrf_exempt
@endpoint("GET", "POST")
def requests(request: HttpRequest, tenant: Tenant, fmt: str) -> HttpResponse:
    """GET: the request list; POST: file a new request (with an api_key)."""
    if request.method == "POST":
        params = _posted(request)
        key = submit.authenticate(tenant, params.get("api_key"))
        submitted = submit.submit(tenant, key, params)
        return render.respond(fmt, "service_requests", [submitted.as_dict()])
    found = query.fetch(tenant, query.parse_query(request.GET))
    return render.respond(fmt, "service_requests", found)


def _posted(request: HttpRequest) -> QueryDict:
    """The form posted, with what some clients put in the query string (api_key…) beside it."""
    params = request.GET.copy()
    for name in request.POST:
        params.setlist(name, request.POST.getlist(name))
    return params


@endpoint("GET")
def request_detail(
    request: HttpRequest, tenant: Tenant, fmt: str, service_request_id: str
) -> HttpResponse:
    return render.respond(fmt, "service_requests", query.fetch_one(tenant, service_request_id))


@endpoint("GET")
def token(request: HttpRequest, tenant: Tenant, fmt: str, token: str) -> HttpResponse:
    """The request a token (given when it was posted) became."""
    try:
        submission = Submission.objects.filter(tenant=tenant, token=uuid.UUID(token)).first()
    except ValueError:
        submission = None
    if submission is None:
        raise Open311Error(404, _("No request has the token “%(token)s”."), token=token[:50])
    data = [{"service_request_id": submission.service_request_id, "token": str(submission.token)}]
    return render.respond(fmt, "service_requests", data)
