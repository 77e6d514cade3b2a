from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "pilotis.dashboards"
    label = "dashboards"
    verbose_name = _("Self-service dashboards")
    default_auto_field = "django.db.models.BigAutoField"
