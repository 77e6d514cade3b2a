from django.urls import path

from pilotis.parking import views

app_name = "parking"

urlpatterns = [
    path("", views.index, name="index"),
    path("simulation/", views.simulation, name="simulation"),
    # One route per format, so that a format is never a free parameter.
    path("export/<slug:chart>.csv", views.export, {"fmt": "csv"}, name="export-csv"),
    path("export/<slug:chart>.xlsx", views.export, {"fmt": "xlsx"}, name="export-xlsx"),
    path(
        "simulation/export/<slug:chart>.csv",
        views.simulation_export,
        {"fmt": "csv"},
        name="simulation-export-csv",
    ),
    path(
        "simulation/export/<slug:chart>.xlsx",
        views.simulation_export,
        {"fmt": "xlsx"},
        name="simulation-export-xlsx",
    ),
]
