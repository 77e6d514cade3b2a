"""The public portal (no login): /donnees-ouvertes/."""

from django.urls import path

from pilotis.opendata import portal

app_name = "opendata"

urlpatterns = [
    path("", portal.home, name="home"),
    path("desabonnement/<str:token>/", portal.unsubscribe, name="unsubscribe"),
    path("<str:tenant_code>/", portal.publisher, name="publisher"),
    path("<str:tenant_code>/<slug:slug>/", portal.dataset, name="dataset"),
    path("<str:tenant_code>/<slug:slug>/abonnement/", portal.subscribe, name="subscribe"),
    path("<str:tenant_code>/<slug:slug>/telecharger/<str:fmt>/", portal.download, name="download"),
    path(
        "<str:tenant_code>/<slug:slug>/v<int:number>/<str:fmt>/",
        portal.download,
        name="download_version",
    ),
]
