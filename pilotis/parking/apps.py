from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParkingConfig(AppConfig):
    name = "pilotis.parking"
    label = "parking"
    verbose_name = _("Paid parking")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the module declaring the parking indicators registers them.
        from pilotis.parking import metrics  # noqa: F401
