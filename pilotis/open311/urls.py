"""GeoReport v2 URLs of one tenant, mounted at open311/v2/<str:tenant_code>/ by pilotis/urls.py.

Each method answers in JSON or XML after the extension of its URL: `services.json`,
`services.xml`… (one route per format, so that a format is never a free parameter)."""

from django.urls import URLPattern, path

from pilotis.open311 import views
from pilotis.open311.render import FORMATS

app_name = "open311"


def _both(route: str, view: views.Endpoint, name: str) -> list[URLPattern]:
    return [path(f"{route}.{fmt}", view, {"fmt": fmt}, name=name) for fmt in FORMATS]


urlpatterns = [
    *_both("discovery", views.discovery, "discovery"),
    *_both("services", views.service_list, "services"),
    *_both("services/<str:service_code>", views.service_definition, "service"),
    *_both("requests", views.requests, "requests"),
    *_both("requests/<str:service_request_id>", views.request_detail, "request"),
    *_both("tokens/<str:token>", views.token, "token"),
]
