from django.urls import path

from pilotis.tenants import views

app_name = "tenants"
urlpatterns = [
    path("", views.admin, name="admin"),
    path("membres/ajouter/", views.add_member, name="add_member"),
    path("membres/<int:membership_id>/role/", views.change_role, name="change_role"),
    path("membres/<int:membership_id>/retirer/", views.remove_member, name="remove_member"),
    path("identite/", views.identity, name="identity"),
    path("accessibilite/", views.accessibility_statement, name="accessibility_statement"),
]
