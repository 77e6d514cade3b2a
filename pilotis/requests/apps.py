from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsConfig(AppConfig):
    name = "pilotis.requests"
    label = "citizen_requests"  # "requests" would read as the HTTP library everywhere
    verbose_name = _("Citizen requests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the module declaring the requests indicators registers them.
        from pilotis.requests import metrics  # noqa: F401
