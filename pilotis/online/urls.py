from django.urls import path

from pilotis.online import views

app_name = "online"

urlpatterns = [
    path("", views.index, name="index"),
    # One route per format, so that a format is never a free parameter.
    path("export/<slug:chart>.csv", views.export, {"fmt": "csv"}, name="export-csv"),
    path("export/<slug:chart>.xlsx", views.export, {"fmt": "xlsx"}, name="export-xlsx"),
]
