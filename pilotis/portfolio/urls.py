from django.urls import path

from pilotis.portfolio import maturity_views, views

app_name = "portfolio"

urlpatterns = [
    path("", views.index, name="index"),
    *maturity_views.urlpatterns,
]
