from django.urls import path

from pilotis.home import views

app_name = "home"

urlpatterns = [
    path("", views.index, name="index"),
    path("objectifs/", views.targets, name="targets"),
    path("rapport/", views.report_page, name="report"),
    path("rapport/abonnement/", views.subscribe, name="subscribe"),
    path("rapport/rapport.pdf", views.report_pdf, name="report-pdf"),
    path("rapport/rapport.xlsx", views.report_xlsx, name="report-xlsx"),
    # One route per format and a fixed chart, so that neither is a free parameter.
    path("export/<slug:chart>.csv", views.export, {"fmt": "csv"}, name="export-csv"),
    path("export/<slug:chart>.xlsx", views.export, {"fmt": "xlsx"}, name="export-xlsx"),
]
