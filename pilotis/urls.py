from django.contrib import admin
from django.urls import include, path

from pilotis.alerts import views as alert_views
from pilotis.metrics.api import api

urlpatterns = [
    path("", include("pilotis.shell.urls")),
    path("", include("pilotis.accounts.urls")),
    path("t/<str:tenant_code>/referentiel/", include("pilotis.referential.urls")),
    path("t/<str:tenant_code>/administration/", include("pilotis.tenants.urls")),
    path("t/<str:tenant_code>/donnees/catalogue/", include("pilotis.catalog.urls")),
    path("t/<str:tenant_code>/donnees/", include("pilotis.connectors.urls")),
    path("t/<str:tenant_code>/tableau-de-bord/", include("pilotis.home.urls")),
    path("t/<str:tenant_code>/alertes/", include("pilotis.alerts.urls")),
    path("notifications/", alert_views.notifications, name="notifications"),
    path("t/<str:tenant_code>/finances/", include("pilotis.finance.urls")),
    path("t/<str:tenant_code>/tableaux/", include("pilotis.dashboards.urls")),
    path("t/<str:tenant_code>/demandes/", include("pilotis.requests.urls")),
    path("t/<str:tenant_code>/stationnement/", include("pilotis.parking.urls")),
    path("t/<str:tenant_code>/rh/", include("pilotis.hr.urls")),
    path("t/<str:tenant_code>/demarches/", include("pilotis.online.urls")),
    path("t/<str:tenant_code>/projets/", include("pilotis.portfolio.urls")),
    path("t/<str:tenant_code>/publication/", include("pilotis.opendata.urls_manage")),
    path("donnees-ouvertes/", include("pilotis.opendata.urls")),
    path("", include("pilotis.opendata.urls_dcat")),
    path("api/3/action/", include("pilotis.opendata.urls_ckan")),
    path("api/donnees/", include("pilotis.opendata.urls_api")),
    path("api/v1/", api.urls),
    path("open311/v2/<str:tenant_code>/", include("pilotis.open311.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Always routed: the OpenID views answer 404 while OIDC is not configured.
    path("oidc/", include("mozilla_django_oidc.urls")),
]
