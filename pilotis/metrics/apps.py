from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "pilotis.metrics"
    verbose_name = _("Indicators")
    default_auto_field = "django.db.models.BigAutoField"
