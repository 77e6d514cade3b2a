from django.urls import path

from pilotis.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.index, name="index"),
    path("nouvelle/", views.new, name="new"),
    path("<int:rule_id>/", views.detail, name="detail"),
    path("<int:rule_id>/modifier/", views.edit, name="edit"),
    path("<int:rule_id>/supprimer/", views.delete, name="delete"),
    path("<int:rule_id>/verifier/", views.check_now, name="check"),
]
