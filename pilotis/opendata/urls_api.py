"""The tabular API of each published resource (/api/donnees/, docs/opendata-api.md)."""

from django.urls import path

from pilotis.opendata import api_views

app_name = "opendata_api"

urlpatterns = [
    path("openapi.json", api_views.openapi, name="openapi"),
    path("docs/", api_views.docs, name="docs"),
    path("<str:tenant_code>/<slug:slug>/", api_views.rows, name="rows"),
    path("<str:tenant_code>/<slug:slug>/profile/", api_views.profile, name="profile"),
    path("<str:tenant_code>/<slug:slug>/v<int:number>/", api_views.rows, name="rows_version"),
    path(
        "<str:tenant_code>/<slug:slug>/v<int:number>/profile/",
        api_views.profile,
        name="profile_version",
    ),
]
