from django.urls import path

from pilotis.shell import views
from pilotis.shell.capabilities import CAPABILITIES

app_name = "shell"
urlpatterns = [
    path("", views.home, name="home"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("aller/", views.switch, name="switch"),
    path("t/<str:tenant_code>/", views.tenant_home, name="tenant_home"),
    path("t/<str:tenant_code>/theme.css", views.theme_css, name="theme_css"),
    path(
        "t/<str:tenant_code>/accessibilite/",
        views.tenant_accessibility,
        name="tenant_accessibility",
    ),
] + [
    path(f"t/<str:tenant_code>/{cap.slug}/", views.capability_page(cap), name=cap.slug)
    for cap in CAPABILITIES
    if not cap.url_name
]
