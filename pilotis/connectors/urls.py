from django.urls import path

from pilotis.connectors import views

app_name = "connectors"
urlpatterns = [
    path("", views.index, name="index"),
    path("importer/", views.upload, name="upload"),
    path("importer/<str:token>/", views.upload_mapping, name="upload_mapping"),
    path("sources/<str:source_name>/", views.source_detail, name="source"),
    path("sources/<str:source_name>/charger/", views.source_run, name="source_run"),
    path("chargements/<uuid:load_id>/", views.run_detail, name="run"),
    path("chargements/<uuid:load_id>/etat.json", views.run_status, name="run_status"),
    path(
        "chargements/<uuid:load_id>/quarantaine.csv",
        views.quarantine_download,
        name="quarantine_csv",
    ),
    path("chargements/<uuid:load_id>/annuler/", views.run_rollback, name="run_rollback"),
    path("chargements/<uuid:load_id>/rejouer/", views.run_replay, name="run_replay"),
]
