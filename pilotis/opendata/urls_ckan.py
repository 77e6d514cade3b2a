"""A read-only CKAN Action API (/api/3/action/): see pilotis.opendata.ckan."""

from django.urls import path

from pilotis.opendata import ckan

app_name = "ckan"

urlpatterns = [
    path("<str:action>", ckan.action, name="action"),
]
