from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnlineConfig(AppConfig):
    name = "pilotis.online"
    label = "online"
    verbose_name = _("Online services")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the module declaring the online-services indicators registers them.
        from pilotis.online import metrics  # noqa: F401
