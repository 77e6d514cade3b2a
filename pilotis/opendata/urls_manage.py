"""The collectivité's side of open data: /t/<code>/publication/."""

from django.urls import path

from pilotis.opendata import views

app_name = "opendata_manage"

urlpatterns = [
    path("", views.index, name="index"),
    path("nouvelle/", views.edit, name="new"),
    path("verifier/", views.check_file, name="check"),
    path("<int:publication_id>/", views.detail, name="detail"),
    path("<int:publication_id>/modifier/", views.edit, name="edit"),
    path("<int:publication_id>/publier/", views.run, name="run"),
]
