from django.urls import path

from pilotis.catalog import metrics_views, views

app_name = "catalog"
urlpatterns = [
    path("", views.index, name="index"),
    path("jeux/<slug:slug>/", views.dataset, name="dataset"),
    path("jeux/<slug:slug>/modifier/", views.dataset_edit, name="dataset_edit"),
    path("jeux/<slug:slug>/demander-acces/", views.request_access, name="request_access"),
    path("demandes/", views.requests, name="requests"),
    path("demandes/decider/", views.decide, name="decide"),
    path("registre/", views.register, name="register"),
    path("registre/nouveau/", views.record_create, name="record_create"),
    path("registre/export.xlsx", views.register_xlsx, name="register_xlsx"),
    path("registre/imprimer/", views.register_print, name="register_print"),
    path("registre/<int:record_id>/", views.record_detail, name="record"),
    path("registre/<int:record_id>/modifier/", views.record_edit, name="record_edit"),
    path("indicateurs/", metrics_views.metrics, name="metrics"),
]
