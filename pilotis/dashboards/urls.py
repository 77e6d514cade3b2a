from django.urls import path

from pilotis.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    path("nouveau/", views.create, name="create"),
    path("importer/", views.import_page, name="import"),
    path("<int:dashboard_id>/", views.detail, name="detail"),
    path("<int:dashboard_id>/modifier/", views.edit, name="edit"),
    path("<int:dashboard_id>/dupliquer/", views.duplicate, name="duplicate"),
    path("<int:dashboard_id>/supprimer/", views.delete, name="delete"),
    path("<int:dashboard_id>/panneaux/ajouter/", views.panel_add, name="panel-add"),
    path("<int:dashboard_id>/panneaux/<int:panel_id>/", views.panel_edit, name="panel-edit"),
    path(
        "<int:dashboard_id>/panneaux/<int:panel_id>/deplacer/",
        views.panel_move,
        name="panel-move",
    ),
    path(
        "<int:dashboard_id>/panneaux/<int:panel_id>/retirer/",
        views.panel_remove,
        name="panel-remove",
    ),
    path(
        "<int:dashboard_id>/panneaux/<int:panel_id>/donnees.csv",
        views.export_csv,
        name="export-csv",
    ),
    path("<int:dashboard_id>/tableau.xlsx", views.export_xlsx, name="export-xlsx"),
    path("<int:dashboard_id>/tableau.pdf", views.export_pdf, name="export-pdf"),
    path("<int:dashboard_id>/definition.json", views.export_json, name="export-json"),
]
