from django.urls import path

from pilotis.portfolio import maturity_views, views

app_name = "portfolio"

urlpatterns = [
    path("", views.index, name="index"),
    path("nouveau/", views.edit, name="new"),
    path("<int:project_id>/", views.project, name="project"),
    path("<int:project_id>/modifier/", views.edit, name="edit"),
    path("<int:project_id>/valeur/", views.value, name="value"),
    path("comparer/", views.compare, name="compare"),
    path("priorisation/", views.prioritisation, name="prioritisation"),
    path("budgets/", views.budgets, name="budgets"),
    path("methode/", views.grid, name="grid"),
    # One route per format, so that a format is never a free parameter.
    path("export/<slug:chart>.csv", views.export, {"fmt": "csv"}, name="export-csv"),
    path("export/<slug:chart>.xlsx", views.export, {"fmt": "xlsx"}, name="export-xlsx"),
    path("documents/portefeuille.pdf", views.portfolio_pdf, name="portfolio-pdf"),
    path("documents/portefeuille.xlsx", views.portfolio_xlsx, name="portfolio-xlsx"),
    path("documents/feuille-de-route.pdf", views.roadmap_pdf, name="roadmap-pdf"),
    path("documents/feuille-de-route.xlsx", views.roadmap_xlsx, name="roadmap-xlsx"),
    *maturity_views.urlpatterns,
]
