from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarehouseConfig(AppConfig):
    name = "pilotis.warehouse"
    verbose_name = _("Warehouse")
    default_auto_field = "django.db.models.BigAutoField"
