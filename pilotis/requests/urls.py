from django.urls import path, re_path

from pilotis.requests import views

app_name = "requests"

urlpatterns = [
    path("", views.index, name="index"),
    re_path(r"^export/(?P<chart>[a-z-]+)\.(?P<fmt>csv|xlsx)$", views.export, name="export"),
]
