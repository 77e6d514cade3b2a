"""Pages of a tenant's organisation units and themes, under /t/<tenant_code>/referentiel/.

The row to rename or delete is posted as `id`: an id unknown in the tenant is "gone", never a
hint that it exists elsewhere.
"""

from django.urls import path

from pilotis.referential import views

app_name = "referential"
urlpatterns = [
    path("", views.index, name="index"),
    path("services/ajouter/", views.add, {"what": "orgunit"}, name="orgunit_add"),
    path("services/renommer/", views.rename, {"what": "orgunit"}, name="orgunit_rename"),
    path("services/supprimer/", views.delete, {"what": "orgunit"}, name="orgunit_delete"),
    path("themes/ajouter/", views.add, {"what": "theme"}, name="theme_add"),
    path("themes/renommer/", views.rename, {"what": "theme"}, name="theme_rename"),
    path("themes/supprimer/", views.delete, {"what": "theme"}, name="theme_delete"),
]
